"""``ictqa timeline``: one topic across the editions of an index."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from ..results import Timeline
from .common import EXIT_OK, Add, index_option
from .render import indent, pad


def register(add: Add) -> None:
    t = add(
        "timeline",
        "Follow a term or a question across the editions: how many passages of each edition mention it, the best of them, "
        "and the first edition that does.",
        'examples:\n  ictqa timeline ブロックチェーン\n  ictqa timeline "When did the white paper first mention telework?" -k 1\n'
        "  ictqa timeline 光ファイバ --json | jq .first\n\n"
        "A Japanese term is looked up as written (quote it to keep it whole: 「デジタルツイン」); an English one\n"
        "through its Japanese translations; a question whose terms cannot be read is matched by meaning.",
    )
    t.add_argument("query", help="a term or a question, Japanese or English")
    index_option(t)
    t.add_argument("-k", type=int, default=3, help="passages shown per edition (default 3)")
    t.add_argument("--json", action="store_true", help="one JSON object: query, first, editions[year, edition, matches, results]")
    t.set_defaults(func=cmd_timeline)


def cmd_timeline(args: argparse.Namespace) -> int:
    from ..search import Searcher, check_query, timeline

    check_query(args.query)  # a bad question fails before the model loads
    searcher = Searcher.open(args.index)
    t = timeline(searcher, args.query, k=max(1, min(args.k, 20)))
    if args.json:
        print(json.dumps(t.to_json(), ensure_ascii=False))
    else:
        print_timeline(t, sys.stdout)
    return EXIT_OK


def print_timeline(t: Timeline, out: TextIO) -> None:
    how = "terms: " + ", ".join(t.terms) if t.terms else "matched by meaning"
    print(f"{t.query}  ({how})", file=out)
    top = max((e.matches for e in t.editions), default=0) or 1
    for e in t.editions:
        bar = "█" * max(1 if e.matches else 0, round(30 * e.matches / top))
        print(f"  {e.year}  {pad(e.edition, 24)} {e.matches:>5}  {bar}".rstrip(), file=out)
    first = t.first
    if first is None:
        print("初出 / first: none of the indexed editions mentions it", file=out)
        return
    print(f"初出 / first: {first.chunk.citation.year}  {first.chunk.citation.label}", file=out)
    for e in t.editions:
        for r in e.results:
            print(f"\n[{e.year}] {r.chunk.citation.label}", file=out)
            print(indent(r.highlight.text if r.highlight else r.chunk.text), file=out)
