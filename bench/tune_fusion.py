"""Choose the hybrid weights on the dev set.

    python bench/tune_fusion.py --index bench/out/index-seed+5

For each question the signals of every candidate (passage cosine, best
sentence cosine, BM25, BM25 of the English question's Japanese translations,
and the footnote / back-matter / recency priors) are computed once, through
the Searcher's own code; each weighting of a grid is then scored offline with
ictqa.search.fuse and the best are printed by mean of (R@1 ja, R@1 en).  The
chosen weights are the defaults of ictqa.search.FusionWeights.  Abstention
margins (ictqa.search.Abstention) are calibrated separately with
bench/dev_eval.py on the seed-only index.

A grid point that wins on 64 + 64 questions by one question is noise; prefer
the middle of a plateau (the translated weight was set to 0.1, where 0.1–0.15
all do well, rather than at the single best value).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


@dataclasses.dataclass
class Signals:
    lang: str
    passage: np.ndarray
    sentence: np.ndarray
    lexical: np.ndarray
    translated: np.ndarray | None
    coverage: float
    kinds: list[str]
    untitled: list[bool]
    years: list[int | None]
    relevant: np.ndarray


def signals(searcher, items) -> list[Signals]:
    from ictqa.evaluation import is_relevant, squash
    from ictqa.lexical import words
    from ictqa.search import coverage

    qv = searcher.encoder.encode_queries([i.question for i in items])
    out = []
    for it, q in zip(items, qv):
        if not it.answerable:
            continue
        qw = words(it.question)
        bm25 = searcher._bm25_all(qw)
        _, per_term = searcher._translated(it.question)
        tr = np.sum(per_term, axis=0) if per_term else None
        cand = searcher._candidates(q, bm25 if tr is None else bm25 + tr, None, "hybrid")
        chunks = [searcher.chunks[int(c)] for c in cand]
        out.append(
            Signals(
                it.lang,
                np.asarray(searcher.index.vectors[cand]) @ q,
                searcher._sentence_scores(cand, q),
                bm25[cand],
                None if tr is None else tr[cand],
                coverage(qw, searcher.index.bm25.vocab_dict),
                [c.kind for c in chunks],
                [c.citation.section is None and not c.citation.path for c in chunks],
                [c.citation.year for c in chunks],
                np.array([is_relevant(it, c, squash(c.text)) for c in chunks]),
            )
        )
    return out


def recall(sig: list[Signals], weights, k: int = 1) -> dict[str, float]:
    from ictqa.search import fuse, priors

    per: dict[str, list[bool]] = {}
    for s in sig:
        prior = priors(s.kinds, s.untitled, s.years, weights)
        score = fuse(s.passage, s.sentence, s.lexical, s.coverage, weights, prior, s.translated)
        top = np.argsort(-score, kind="stable")[:k]
        per.setdefault(s.lang, []).append(bool(s.relevant[top].any()))
    return {lang: round(float(np.mean(v)), 3) for lang, v in per.items()}


def main() -> int:
    from ictqa.evaluation import load_qa
    from ictqa.search import FusionWeights, Searcher

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--qa", type=Path, default=HERE / "data" / "dev_seed.jsonl")
    args = ap.parse_args()
    searcher = Searcher.open(args.index)
    sig = signals(searcher, load_qa(args.qa))

    print("default    ", FusionWeights(), recall(sig, FusionWeights()), recall(sig, FusionWeights(), 5))
    rows = []
    grid = itertools.product([0.5, 1.0, 1.5], [0.05, 0.1, 0.2], [0, 0.1], [0, 0.03], [0, 0.06], [0, 0.05, 0.1, 0.15, 0.2])
    for ws, wl, wf, wu, wr, wt in grid:
        w = FusionWeights(sentence=ws, lexical=wl, footnote=wf, untitled=wu, recency=wr, translated=wt)
        r1, r5 = recall(sig, w), recall(sig, w, 5)
        rows.append(((r1["ja"] + r1["en"]) / 2, (ws, wl, wf, wu, wr, wt), r1, r5))
    rows.sort(key=lambda r: -r[0])
    print("sentence, lexical, footnote, untitled, recency, translated")
    for r in rows[:15]:
        print(f"mean R@1 {r[0]:.3f}  weights={r[1]}  R@1={r[2]}  R@5={r[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
