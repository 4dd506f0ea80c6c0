"""``ictqa ask``, ``ictqa batch`` and ``ictqa eval``: questions in, cited passages out."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TextIO

from ..errors import IctqaError
from ..results import Response
from .common import EXIT_OK, EXIT_PARTIAL, Add, cite_option, editions, index_option, search_options
from .render import print_response, style_for

BATCH_STEP = 64  # questions encoded together


def register(add: Add) -> None:
    a = add(
        "ask",
        "Ask one question; print the best passages with citations.",
        'examples:\n  ictqa ask "ITU-Tでの日本の取組は？"\n  ictqa ask "Which countries joined the Japan-ASEAN cybersecurity policy meeting?" -k 3\n'
        '  ictqa ask "What is DFFT?" --json | jq .results[0].citation.label\n'
        '  ictqa ask "DFFTとは" --cite japanese\n'
        "  echo 'DFFTとは' | ictqa ask -        # the question from standard input\n"
        "  ictqa ask                           # interactive: one question a line, Ctrl-D to end\n\n"
        "The line after → is the sentence that answers; the span that answers in it is bold\n"
        "(«…» when the output is not a terminal).  For an English question, each Japanese word of a\n"
        "translated term is followed by the term: 海底ケーブル[submarine cable].",
    )
    a.add_argument(
        "question",
        nargs="?",
        default=None,
        help="the question; - reads it from standard input; none asks interactively (or reads standard input when piped)",
    )
    search_options(a)
    cite_option(a)
    a.add_argument("--full", action="store_true", help="show every line of a figure, not its first lines")
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
    from ..search import Searcher, check_query

    interactive = args.question is None and sys.stdin.isatty()
    if not interactive:
        question = sys.stdin.read() if args.question in (None, "-") else args.question
        # Checked before the model loads: a bad question costs nothing.
        check_query(question)
    searcher = Searcher.open(args.index, args.model)
    wanted = editions(args.edition)
    if interactive:
        return repl(searcher, args, sys.stdin, sys.stdout)
    response = searcher.search(question, k=args.k, mode=args.mode, editions=wanted, detect_editions=not args.all_editions)
    show(response, args, sys.stdout)
    return EXIT_OK


def show(response: Response, args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        print(json.dumps(response.to_json(), ensure_ascii=False), file=out)
    else:
        print_response(response, out, style_for(out, args.cite, args.full))


PROMPT = "質問 / question> "


def repl(searcher, args: argparse.Namespace, lines: TextIO, out: TextIO) -> int:
    """Ask one question a line until end of input (Ctrl-D) or "exit"; a bad
    question is explained and the next one asked."""
    wanted = editions(args.edition)
    print("ictqa: type a question in Japanese or English and press Enter; Ctrl-D (or exit) to end.", file=out)
    while True:
        print(PROMPT, end="", file=out, flush=True)
        line = lines.readline()
        if not line or line.strip().lower() in ("exit", "quit", ":q"):
            print(file=out)
            return EXIT_OK
        if not line.strip():
            continue
        try:
            show(
                searcher.search(line, k=args.k, mode=args.mode, editions=wanted, detect_editions=not args.all_editions), args, out
            )
        except IctqaError as e:
            print(f"ictqa: {e.message}", file=out)


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
        answers = searcher.search_many(
            [q for _, _, q in part],
            k=args.k,
            mode=args.mode,
            editions=editions(args.edition),
            detect_editions=not args.all_editions,
        )
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
