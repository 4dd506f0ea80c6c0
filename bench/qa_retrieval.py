"""Paragraph retrieval on public Japanese QA sets (issue #4): JSQuAD v1.3 valid
and JaQuAD dev from ../shared/data/qa.  Each paragraph is one passage; a
question's gold is its paragraph.  ictqa's modes are compared with naive
baselines computed in the same run:

* naive BM25: bm25s over every fugashi surface token (no normalisation, no stop words);
* naive dense: multilingual-e5-small on the raw paragraph, FAISS flat inner product;
* naive RRF: reciprocal-rank fusion (k = 60) of the two.

    python bench/qa_retrieval.py                 # both sets
    python bench/qa_retrieval.py --sets jsquad --limit 500
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
QA = HERE.parent.parent / "shared" / "data" / "qa"
SETS = {
    "jsquad": ("jsquad_v1.3_valid_paragraphs.jsonl", "jsquad_v1.3_valid.jsonl"),
    "jaquad": ("jaquad_v0.1.0_dev_paragraphs.jsonl", "jaquad_v0.1.0_dev.jsonl"),
}
KS = (1, 5, 10)


def load(name: str, limit: int | None):
    pfile, qfile = SETS[name]
    paras = [json.loads(x) for x in (QA / pfile).read_text(encoding="utf-8").splitlines() if x.strip()]
    qs = [json.loads(x) for x in (QA / qfile).read_text(encoding="utf-8").splitlines() if x.strip()]
    if limit:
        qs = qs[:limit]
    return paras, qs


def as_chunks(paras):
    from ictqa.chunks import Chunk, Citation

    out = []
    for p in paras:
        pid = str(p["paragraph_id"])
        cit = Citation(pid, None, None, None, (), None, p["title"], 0, len(p["text"]))
        out.append(Chunk(pid, "text", p["text"], p["title"], "ja", cit))
    return out


def ranks_to_metrics(ranked_ids: list[list[str]], gold: list[str]) -> dict[str, float]:
    n = len(gold)
    first = []
    for ids, g in zip(ranked_ids, gold):
        try:
            first.append(ids[:10].index(g) + 1)
        except ValueError:
            first.append(None)
    m = {f"R@{k}": sum(1 for f in first if f and f <= k) / n for k in KS}
    m["MRR@10"] = sum(1 / f for f in first if f) / n
    return m


def naive_runs(paras, questions, encoder):
    """The three baselines, written plainly on purpose."""
    import bm25s
    import faiss

    from ictqa.lexical import _tagger

    tagger = _tagger()
    tok = lambda s: [w.surface for w in tagger(s)]  # noqa: E731
    ids = [str(p["paragraph_id"]) for p in paras]
    bm = bm25s.BM25()
    bm.index([tok(p["text"]) for p in paras], show_progress=False)
    t = time.perf_counter()
    pv = encoder.encode_documents([p["text"] for p in paras])
    embed_s = time.perf_counter() - t
    fi = faiss.IndexFlatIP(pv.shape[1])
    fi.add(pv.astype(np.float32))
    qv = encoder.encode_queries([q["question"] for q in questions])
    _, dense_top = fi.search(qv.astype(np.float32), 100)
    runs = {"naive BM25": [], "naive dense": [], "naive RRF k=60": []}
    for q, dt in zip(questions, dense_top):
        qi = bm.get_tokens_ids(tok(q["question"]))
        scores = bm.get_scores_from_ids(qi) if qi else np.zeros(len(paras))
        bt = np.argsort(-scores)[:100]
        runs["naive BM25"].append([ids[i] for i in bt[:10]])
        runs["naive dense"].append([ids[i] for i in dt[:10]])
        rrf: dict[int, float] = {}
        for rank, i in enumerate(bt, start=1):
            rrf[int(i)] = rrf.get(int(i), 0.0) + 1 / (60 + rank)
        for rank, i in enumerate(dt, start=1):
            rrf[int(i)] = rrf.get(int(i), 0.0) + 1 / (60 + rank)
        runs["naive RRF k=60"].append([ids[i] for i, _ in sorted(rrf.items(), key=lambda kv: -kv[1])[:10]])
    return runs, embed_s


def main() -> int:
    from ictqa.chunks import ChunkParams
    from ictqa.index import index_chunks, manifest_for
    from ictqa.model import load_encoder
    from ictqa.search import Searcher

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="jsquad,jaquad")
    ap.add_argument("--limit", type=int, default=None, help="first N questions only")
    args = ap.parse_args()
    if not QA.exists():
        print(f"{QA} is absent; this benchmark needs ../shared", file=sys.stderr)
        return 2
    encoder = load_encoder()
    tables = []
    for name in args.sets.split(","):
        paras, qs = load(name, args.limit)
        gold = [str(q["paragraph_id"]) for q in qs]
        chunks = as_chunks(paras)
        idx = HERE / "out" / f"index-{name}"
        params = ChunkParams()
        t = time.perf_counter()
        index_chunks(chunks, idx, encoder, params, manifest_for(chunks, encoder, params), progress=True)
        build_s = time.perf_counter() - t
        searcher = Searcher.open(idx)
        rows = {}
        for mode in ("bm25", "dense", "hybrid"):
            t = time.perf_counter()
            ranked = []
            for start in range(0, len(qs), 256):
                part = qs[start : start + 256]
                for r in searcher.search_many([q["question"] for q in part], k=10, mode=mode):
                    ranked.append([x.chunk.id for x in r.results] if not isinstance(r, Exception) else [])
            rows[f"ictqa {mode}"] = ranks_to_metrics(ranked, gold) | {"s": time.perf_counter() - t}
        naive, _ = naive_runs(paras, qs, encoder)
        for k, v in naive.items():
            rows[k] = ranks_to_metrics(v, gold)
        tables.append((name, len(paras), len(qs), build_s, rows))
    for name, np_, nq, build_s, rows in tables:
        print(f"\n### {name}: {np_} paragraphs, {nq} questions (ictqa index built in {build_s:.0f}s)\n")
        print("| run | R@1 | R@5 | R@10 | MRR@10 |")
        print("|---|---|---|---|---|")
        for run, m in rows.items():
            print(f"| {run} | {m['R@1']:.3f} | {m['R@5']:.3f} | {m['R@10']:.3f} | {m['MRR@10']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
