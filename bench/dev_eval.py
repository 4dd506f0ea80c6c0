"""Dev-set retrieval quality (issues #3, #4, #16): recall@1/5/10, MRR@10,
nDCG@10, heading accuracy, the two highlight figures (of the questions whose
first passage holds a gold answer: the marked sentence holds it, "highlight
ok"; the bold answer span equals or contains it, "answer span ok") and
abstention, per language and mode.

    python bench/dev_eval.py                       # seed-only index
    python bench/dev_eval.py --editions            # seed + the five full editions in ../shared
    python bench/dev_eval.py --index /tmp/idx      # reuse an index built before
    python bench/dev_eval.py --editions --qa bench/data/holdout_editions.jsonl --no-oos

Builds the index (incrementally) under bench/out/ unless --index is given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared"


def main() -> int:
    from ictqa.evaluation import by_language, evaluate, format_table, load_qa
    from ictqa.index import build_index
    from ictqa.model import load_encoder
    from ictqa.search import MODES, Searcher

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, default=None)
    p.add_argument("--editions", action="store_true", help="add ../shared/data/whitepaper/ja/full/r0?_20??.txt")
    p.add_argument("--qa", type=Path, default=HERE / "data" / "dev_seed.jsonl")
    p.add_argument("--oos", type=Path, default=HERE / "data" / "out_of_scope.jsonl")
    p.add_argument("--no-oos", action="store_true", help="answerable questions only")
    p.add_argument("--holdout", type=Path, default=None, help="e.g. bench/data/out_of_scope_holdout.jsonl")
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--model", default=None, help="--model value for the build (default: ictqa's default)")
    p.add_argument("--sentence-vectors", default="separate", choices=["separate", "pooled"], help="as ictqa build")
    args = p.parse_args()

    index = args.index
    if index is None:
        paths = [REPO / "corpus"]
        name = "seed"
        if args.editions:
            full = SHARED / "data" / "whitepaper" / "ja" / "full"
            paths += sorted(full.glob("r0?_20??.txt"))
            name = "seed+5"
        index = HERE / "out" / (f"index-{name}" + (f"-{args.model.replace('/', '_')}" if args.model else ""))
        if args.sentence_vectors != "separate":
            index = index.with_name(index.name + f"-{args.sentence_vectors}")
        t = time.perf_counter()
        r = build_index(paths, index, load_encoder(args.model), progress=True, sentence_vectors=args.sentence_vectors)
        print(
            f"index {index}: {r.documents} docs, {r.chunks} passages ({r.embedded} embedded) in {time.perf_counter() - t:.0f}s",
            file=sys.stderr,
        )
    searcher = Searcher.open(index)
    if args.no_oos:
        args.oos = None
    items = load_qa(args.qa) + (load_qa(args.oos) if args.oos and args.oos.exists() else [])
    if args.holdout and args.holdout.exists():
        items += load_qa(args.holdout)
    table = {}
    for mode in args.modes.split(","):
        t = time.perf_counter()
        table[mode] = by_language(evaluate(searcher, items, mode=mode))
        print(f"{mode}: {time.perf_counter() - t:.1f}s", file=sys.stderr)
    print(
        f"\nindex: {index} ({len(searcher.chunks)} passages); questions: {args.qa.name}"
        + (f" + {args.oos.name}" if args.oos else "")
    )
    print(format_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
