"""Ask a running ictqa web form through its API (``gradio_client``).

    python app.py &                                   # serves http://127.0.0.1:7860
    python examples/api_client.py "DFFTとは何ですか"
    python examples/api_client.py --url http://127.0.0.1:7860 -k 3 "What is DFFT?"
    python examples/api_client.py --batch questions.jsonl --out answers.jsonl

Prints one line per passage: rank, score, citation label, highlighted sentence.
``/ask`` returns (HTML, JSON); the JSON is the ``ictqa ask --json`` object, or
``{"error": "..."}`` when the question cannot be searched (empty, too long).
``/batch`` returns (HTML summary, answers.jsonl, answers.csv); the client
downloads both files and gives their local paths.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
from pathlib import Path

from gradio_client import Client, handle_file


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("question", nargs="?", help="a question in Japanese or English")
    p.add_argument("--url", default="http://127.0.0.1:7860", help="where app.py serves (default: %(default)s)")
    p.add_argument("-k", type=int, default=5, help="passages to return, 1-20 (default: %(default)s)")
    p.add_argument("--edition", action="append", default=[], help="only this edition, e.g. '令和5年版 情報通信白書'")
    p.add_argument("--chapter", action="append", default=[], help="only this chapter, as listed in the form")
    p.add_argument("--batch", metavar="FILE", help="a .txt/.jsonl/.csv question file instead of one question")
    p.add_argument("--out", metavar="FILE", help="with --batch: copy the JSON Lines answers here")
    args = p.parse_args()
    if not args.question and not args.batch:
        p.error("give a question or --batch FILE")

    client = Client(args.url, verbose=False, analytics_enabled=False)
    if args.batch:
        summary, jsonl, _csv = client.predict(handle_file(args.batch), args.k, args.edition, args.chapter, api_name="/batch")
        # The summary is HTML banners: answered count, then one per skipped row.
        for line in re.findall(r">([^<>]+)</div>", summary):
            print(html.unescape(line), file=sys.stderr)
        if jsonl is None:
            return 2
        if args.out:
            shutil.copyfile(jsonl, args.out)
        else:
            sys.stdout.write(Path(jsonl).read_text(encoding="utf-8"))
        return 0

    _html, answer = client.predict(args.question, args.k, args.edition, args.chapter, api_name="/ask")
    if "error" in answer:
        print(f"error: {answer['error']}", file=sys.stderr)
        return 2
    if not answer["answerable"]:
        print("(the indexed white papers do not seem to answer this; nearest passages follow)")
    for note in answer["notices"]:
        print(f"note: {note}")
    for r in answer["results"]:
        print(f"[{r['rank']}] {r['score']:.3f}  {r['citation']['label']}")
        if r["highlight"]:
            print(f"    → {r['highlight']['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
