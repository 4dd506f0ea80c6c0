"""Choose the hybrid weights on the dev set.

    python bench/tune_fusion.py --index bench/out/index-seed+5

For each question the signals of every candidate (passage cosine, best
sentence cosine, BM25, and the footnote / back-matter / recency priors) are
computed once; each weighting of a grid is then scored offline and the best
are printed by mean of (R@1 ja, R@1 en).  The chosen weights are the defaults
of ictqa.search.FusionWeights.  Abstention margins (ictqa.search.Abstention)
are calibrated separately with bench/dev_eval.py on the seed-only index.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def signals(searcher, items):
    """Per question: (item, passage, sentence, lexical, relevant, coverage,
    footnote, untitled, recency) arrays over its candidates."""
    from ictqa.evaluation import is_relevant, squash
    from ictqa.lexical import words

    years = [c.citation.year for c in searcher.chunks if c.citation.year]
    lo, hi = (min(years), max(years)) if years else (0, 0)
    qv = searcher.encoder.encode_queries([i.question for i in items])
    out = []
    for it, q in zip(items, qv):
        qw = words(it.question)
        ssims = np.asarray(searcher.index.sentence_vectors) @ q
        bm25 = searcher._bm25_all(qw)
        cand = searcher._candidates(q, bm25, None, "hybrid", ssims)
        chunks = [searcher.chunks[int(c)] for c in cand]
        passage = np.asarray(searcher.index.vectors[cand]) @ q
        sentence = searcher._sentence_scores(cand, q, ssims)
        lexical = bm25[cand]
        rel = np.array([is_relevant(it, c, squash(c.text)) for c in chunks])
        foot = np.array([c.kind == "footnote" for c in chunks], float)
        unt = np.array([c.citation.section is None and not c.citation.path for c in chunks], float)
        rec = np.array([((c.citation.year or lo) - lo) / max(hi - lo, 1) for c in chunks])
        out.append((it, passage, sentence, lexical, rel, _coverage(searcher, qw), foot, unt, rec))
    return out


def _coverage(searcher, qw):
    if not qw:
        return 0.0
    vocab = searcher.index.bm25.vocab_dict
    return sum(1 for w in qw if w in vocab) / len(qw)


def r_at(sig, score_fn, k=1):
    per = {}
    for it, p, s, l, rel, cov, *priors in sig:
        if not it.answerable:
            continue
        sc = score_fn(p, s, l, cov, *priors)
        top = np.argsort(-sc, kind="stable")[:k]
        per.setdefault(it.lang, []).append(bool(rel[top].any()))
    return {k2: round(float(np.mean(v)), 3) for k2, v in per.items()}


def main() -> int:
    from ictqa.evaluation import load_qa
    from ictqa.search import Searcher

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--qa", type=Path, default=HERE / "data" / "dev_seed.jsonl")
    args = ap.parse_args()
    searcher = Searcher.open(args.index)
    items = load_qa(args.qa)
    sig = signals(searcher, items)

    def norm(l):
        m = l.max()
        return l / m if m > 0 else l

    dense = lambda p, *a: p  # noqa: E731
    print("dense      ", r_at(sig, dense), r_at(sig, dense, 5))
    print("sentence   ", r_at(sig, lambda p, s, *a: s), r_at(sig, lambda p, s, *a: s, 5))
    print("bm25       ", r_at(sig, lambda p, s, l, *a: l), r_at(sig, lambda p, s, l, *a: l, 5))
    rows = []
    grid = itertools.product([0.5, 1.0, 1.5], [0.05, 0.1, 0.2], [0, 0.1], [0, 0.03], [0, 0.06])
    for ws, wl, wf, wu, wr in grid:

        def fn(p, s, l, c, foot, unt, rec, ws=ws, wl=wl, wf=wf, wu=wu, wr=wr):
            return p + ws * s + wl * c**2 * norm(l) - wf * foot - wu * unt + wr * rec

        r1, r5 = r_at(sig, fn), r_at(sig, fn, 5)
        rows.append(((r1["ja"] + r1["en"]) / 2, (ws, wl, wf, wu, wr), r1, r5))
    rows.sort(key=lambda r: -r[0])
    print("sentence, lexical, footnote, untitled, recency")
    for r in rows[:10]:
        print(f"mean R@1 {r[0]:.3f}  weights={r[1]}  R@1={r[2]}  R@5={r[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
