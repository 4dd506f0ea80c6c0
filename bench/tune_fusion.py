"""Choose the hybrid weights and the abstention threshold on the dev set.

    python bench/tune_fusion.py --index bench/out/index-seed

For each question the three signals of every candidate (passage cosine, best
sentence cosine, BM25) are computed once; each weighting is then scored
offline.  Prints the best settings by mean of (R@1 ja, R@1 en) with the
constraint that English hybrid R@1 is not below dense alone, and the abstention
threshold that flags most out-of-scope questions while flagging at most 5% of
answerable ones.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def signals(searcher, items):
    from ictqa.evaluation import is_relevant, squash
    from ictqa.lexical import words

    qv = searcher.encoder.encode_queries([i.question for i in items])
    out = []
    for it, q in zip(items, qv):
        qw = words(it.question)
        cand = searcher._candidates(q, qw, None, "hybrid")
        passage = np.asarray(searcher.index.vectors[cand]) @ q
        sentence = searcher._sentence_scores(cand, q)
        lexical = searcher._bm25(qw, cand)
        rel = np.array([is_relevant(it, searcher.chunks[int(c)], squash(searcher.chunks[int(c)].text)) for c in cand])
        coverage = _coverage(searcher, qw)
        out.append((it, passage, sentence, lexical, rel, coverage))
    return out


def _coverage(searcher, qw):
    if not qw:
        return 0.0
    vocab = searcher.index.bm25.vocab_dict
    return sum(1 for w in qw if w in vocab) / len(qw)


def r_at(sig, score_fn, k=1):
    per = {}
    for it, p, s, l, rel, cov in sig:
        if not it.answerable:
            continue
        sc = score_fn(p, s, l, cov)
        top = np.argsort(-sc, kind="stable")[:k]
        per.setdefault(it.lang, []).append(bool(rel[top].any()))
    return {k2: float(np.mean(v)) for k2, v in per.items()}


def main() -> int:
    from ictqa.evaluation import load_qa
    from ictqa.search import Searcher

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--qa", type=Path, default=HERE / "data" / "dev_seed.jsonl")
    ap.add_argument("--oos", type=Path, default=HERE / "data" / "out_of_scope.jsonl")
    args = ap.parse_args()
    searcher = Searcher.open(args.index)
    items = load_qa(args.qa) + load_qa(args.oos)
    sig = signals(searcher, items)

    def norm(l):
        m = l.max()
        return l / m if m > 0 else l

    dense = lambda p, s, l, c: p  # noqa: E731
    print("dense      ", r_at(sig, dense), r_at(sig, dense, 5))
    print("sentence   ", r_at(sig, lambda p, s, l, c: s), r_at(sig, lambda p, s, l, c: s, 5))
    print("bm25       ", r_at(sig, lambda p, s, l, c: l))
    rows = []
    for wp, ws, wl, cexp in itertools.product([1.0], [0, 0.25, 0.5, 1.0, 2.0], [0, 0.02, 0.05, 0.1, 0.2, 0.4], [0, 1, 2]):
        fn = lambda p, s, l, c, wp=wp, ws=ws, wl=wl, cexp=cexp: wp * p + ws * s + wl * (c**cexp) * norm(l)  # noqa: E731
        r1 = r_at(sig, fn)
        r5 = r_at(sig, fn, 5)
        rows.append(((r1["ja"] + r1["en"]) / 2, wp, ws, wl, cexp, r1, r5))
    rows.sort(key=lambda r: -r[0])
    for r in rows[:15]:
        print(f"mean R@1 {r[0]:.3f}  wp={r[1]} ws={r[2]} wl={r[3]} cov^{r[4]}  R@1={r[5]}  R@5={r[6]}")
    _, wp, ws, wl, cexp, *_ = rows[0]
    print(f"abstention with the best weights (wp={wp} ws={ws} wl={wl} cov^{cexp}):")
    abstention_report(sig, lambda p, s, l, c: wp * p + ws * s + wl * (c**cexp) * norm(l))
    print("abstention on dense passage cosine alone:")
    abstention_report(sig, lambda p, s, l, c: p)
    return 0



def abstention_report(sig, fn) -> None:
    """Top fused score of answerable vs out-of-scope questions, per language."""
    tops = {}
    for it, p, s, l, rel, cov in sig:
        sc = fn(p, s, l, cov)
        tops.setdefault((it.lang, it.answerable), []).append(float(sc.max()) if sc.size else 0.0)
    for key, v in sorted(tops.items()):
        v = np.array(v)
        print(key, "n", len(v), "min %.3f p5 %.3f p50 %.3f p95 %.3f max %.3f" % (v.min(), *np.percentile(v, [5, 50, 95]), v.max()))
    ans = np.array([t for (lang, a), v in tops.items() if a for t in v])
    oos = np.array([t for (lang, a), v in tops.items() if not a for t in v])
    for th in np.arange(np.percentile(ans, 1), np.percentile(ans, 20), 0.002):
        fa = float((ans < th).mean())
        if fa > 0.05:
            break
        best = (th, fa, float((oos < th).mean()))
    print("threshold %.3f flags %.2f of answerable, %.2f of out-of-scope" % best)


if __name__ == "__main__":
    sys.exit(main())
