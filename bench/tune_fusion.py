"""Choose the hybrid weights on the dev set.

    python bench/tune_fusion.py --index bench/out/index-seed+5

For each question the candidates and their named signals are computed once
with ``Searcher.candidates`` (the very path the Searcher ranks by); each
weighting of a grid is then scored offline with ``ictqa.search.fuse``, the
prior recomputed for that weighting with ``ictqa.search.signals.priors`` over
the whole index as the Searcher does, and the best are printed by mean of
(R@1 ja, R@1 en).  The chosen weights are the defaults of
``ictqa.search.FusionWeights``, whose docstring records the measurement.
Abstention margins (``ictqa.search.Abstention``) are calibrated separately
with bench/dev_eval.py on the seed-only index.

A grid point that wins on 64 + 64 questions by one question is noise; prefer
the middle of a plateau.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


@dataclass
class Case:
    lang: str
    ids: np.ndarray  # candidate rows
    signals: dict[str, np.ndarray]
    scales: dict[str, float]
    relevant: np.ndarray


def cases(searcher, items) -> list[Case]:
    from ictqa.evaluation import is_relevant, squash

    answerable = [it for it in items if it.answerable]
    queries = [searcher.analyse(it.question) for it in answerable]
    qvecs = searcher.encoder.encode_queries([q.text for q in queries])
    out = []
    for it, q, v in zip(answerable, queries, qvecs):
        c = searcher.candidates(q, v)
        chunks = [searcher.chunks[int(i)] for i in c.ids]
        rel = np.array([is_relevant(it, ch, squash(ch.text)) for ch in chunks])
        out.append(Case(it.lang, c.ids, c.signals, c.scales, rel))
    return out


def recall(searcher, data: list[Case], weights, k: int = 1) -> dict[str, float]:
    from ictqa.search import fuse
    from ictqa.search.signals import priors

    prior = priors(searcher.facts, weights)  # the prior's parts are tuned too
    per: dict[str, list[bool]] = {}
    for c in data:
        signals = {**c.signals, "prior": prior[c.ids]}
        score = fuse(signals, weights, c.scales)
        top = np.argsort(-score, kind="stable")[:k]
        per.setdefault(c.lang, []).append(bool(c.relevant[top].any()))
    return {lang: round(float(np.mean(v)), 3) for lang, v in per.items()}


def main() -> int:
    from ictqa.evaluation import load_qa
    from ictqa.search import FusionWeights, Searcher

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--qa", type=Path, default=HERE / "data" / "dev_seed.jsonl")
    args = ap.parse_args()
    searcher = Searcher.open(args.index)
    data = cases(searcher, load_qa(args.qa))

    base = FusionWeights()
    print("default    ", base, recall(searcher, data, base), recall(searcher, data, base, 5))
    rows = []
    grid = itertools.product([0.5, 1.0, 1.5], [0.05, 0.1, 0.2], [0, 0.1], [0, 0.03], [0, 0.06], [0, 0.05, 0.1, 0.15, 0.2])
    for ws, wl, wf, wu, wr, wt in grid:
        w = FusionWeights(sentence=ws, lexical=wl, footnote=wf, untitled=wu, recency=wr, translated=wt)
        r1, r5 = recall(searcher, data, w), recall(searcher, data, w, 5)
        rows.append(((r1.get("ja", 0) + r1.get("en", 0)) / 2, (ws, wl, wf, wu, wr, wt), r1, r5))
    rows.sort(key=lambda r: -r[0])
    print("sentence, lexical, footnote, untitled, recency, translated")
    for r in rows[:15]:
        print(f"mean R@1 {r[0]:.3f}  weights={r[1]}  R@1={r[2]}  R@5={r[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
