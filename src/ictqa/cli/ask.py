"""``ictqa ask``, ``ictqa batch`` and ``ictqa eval``: questions in, cited passages out."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from ..errors import IctqaError
from ..results import Response
from .common import EXIT_OK, EXIT_PARTIAL, Add, index_option, search_options
from .render import print_response

BATCH_STEP = 64  # questions encoded together


def register(add: Add) -> None:
    a = add(
        "ask",
        "Ask one question; print the best passages with citations.",
        'examples:\n  ictqa ask "ITU-Tでの日本の取組は？"\n  ictqa ask "Which countries joined the Japan-ASEAN cybersecurity policy meeting?" -k 3\n'
        '  ictqa ask "What is DFFT?" --json | jq .results[0].citation.label',
    )
    a.add_argument("question")
    search_options(a)
    a.add_argument("--json", action="store_true", help="one JSON object (the batch format)")
    a.set_defaults(func=cmd_ask)

    bt = add(
        "batch",
        "Answer a file of questions: .txt (one a line), .jsonl (question, optional id) or .csv (question column, optional id).",
        "examples:\n  ictqa batch questions.txt --out answers.jsonl\n  ictqa batch questions.csv --out answers.csv -k 3\n\n"
        "Output is JSON Lines (one object per question) unless --out ends in .csv.  A bad row is reported\n"
        "on stderr and skipped; the others are answered (exit code 1 when a row was skipped).",
    )
    bt.add_argument("file", type=Path)
    bt.add_argument("--out", type=Path, default=None, help="output file (.jsonl or .csv; default: stdout as JSON Lines)")
    search_options(bt)
    bt.add_argument("--no-progress", action="store_true", help="no progress bar")
    bt.set_defaults(func=cmd_batch)

    ev = add(
        "eval",
        "Measure retrieval on your own questions: recall@1/5/10, MRR@10, nDCG@10 and abstention, per language.",
        "QA file: JSON Lines, one question a line:\n"
        '  {"id": "q1", "lang": "ja", "question": "…", "answers": ["answer string"], "heading": ["1 概要", "1 これまでの取組"]}\n'
        '  {"id": "q2", "question": "…", "paragraph_id": "<document id>"}\n'
        '  {"id": "q3", "question": "Tomorrow\'s weather in Osaka?", "answerable": false}\n'
        "A passage is relevant when it contains one of the answers (NFKC, whitespace ignored) or its document\n"
        "is the paragraph_id; heading (optional) is checked against the first relevant passage's path.\n\n"
        "examples:\n  ictqa eval bench/data/dev_seed.jsonl\n  ictqa eval my_questions.jsonl --mode all --json",
    )
    ev.add_argument("qa", type=Path, help="QA file (JSON Lines)")
    index_option(ev)
    ev.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25", "all"], help="retrieval mode(s) to measure")
    ev.add_argument("--json", action="store_true", help="one JSON object per mode and language")
    ev.set_defaults(func=cmd_eval)


def cmd_ask(args: argparse.Namespace) -> int:
    from ..search import Searcher

    searcher = Searcher.open(args.index, args.model)
    response = searcher.search(args.question, k=args.k, mode=args.mode, editions=args.edition)
    if args.json:
        print(json.dumps(response.to_json(), ensure_ascii=False))
    else:
        print_response(response, sys.stdout)
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from ..batchio import read_questions, write_responses
    from ..search import Searcher

    rows, bad = read_questions(args.file)
    for problem in bad:
        print(f"ictqa: skipped {args.file}:{problem}", file=sys.stderr)
    searcher = Searcher.open(args.index, args.model)
    out_path: Path | None = args.out
    answered = skipped = 0
    bar = tqdm(total=len(rows), desc="questions", unit="q", disable=args.no_progress or None)
    responses: list[Response] = []
    for start in range(0, len(rows), BATCH_STEP):
        part = rows[start : start + BATCH_STEP]
        answers = searcher.search_many([q for _, _, q in part], k=args.k, mode=args.mode, editions=args.edition)
        for (rid, line, _), r in zip(part, answers):
            if isinstance(r, IctqaError):
                print(f"ictqa: skipped {args.file}:{line}: {r.message}", file=sys.stderr)
                skipped += 1
            else:
                responses.append(dataclasses.replace(r, id=rid))
                answered += 1
        bar.update(len(part))
    bar.close()
    write_responses(responses, out_path)
    skipped += len(bad)
    print(
        f"answered {answered} question(s)"
        + (f", skipped {skipped}" if skipped else "")
        + (f"; wrote {out_path}" if out_path else ""),
        file=sys.stderr,
    )
    return EXIT_PARTIAL if skipped else EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from ..evaluation import by_language, evaluate, format_table, load_qa
    from ..search import MODES, Searcher

    items = load_qa(args.qa)
    searcher = Searcher.open(args.index)
    modes = list(MODES) if args.mode == "all" else [args.mode]
    table = {mode: by_language(evaluate(searcher, items, mode=mode)) for mode in modes}
    if args.json:
        for mode, per_lang in table.items():
            for lang, m in per_lang.items():
                print(json.dumps({"mode": mode, "lang": lang, **m.to_json()}, ensure_ascii=False))
    else:
        print(format_table(table))
    return EXIT_OK
