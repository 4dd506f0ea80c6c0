"""How ictqa's index and query costs grow with corpus size, up to 10× the real
corpus, by synthetic repetition of an index that was really built.

    python bench/scale.py                                   # ×1, ×2, ×5, ×10 of the 6-document index: ~5–10 min on 2 cores
    python bench/scale.py --factors 1,2,5,10,20             # add ×20, where the passage index turns HNSW too
    python bench/scale.py --base bench/out/index-seed --factors 1,2 --questions 8 \\
        --embed-chars-per-s 1000 --json bench/out/scale-smoke.json   # a smoke run (under a minute)

The base is the index written by ``python bench/dev_eval.py --editions``
(bench/out/index-seed+5, 6 documents, ~8,700 passages).  For each factor N the
script writes a synthetic index of the base's passages repeated N times: copy
0 is the original; copy k > 0 has the same text and citation under a distinct
id (``<id>~x<k>``), and its passage and sentence vectors carry Gaussian noise
(cosine ≈ 0.97 to the original, then re-normalised), so that copies are near-
rather than exact duplicates, as passages of successive editions are.  BM25
gets the base's token lists repeated: copies are lexically identical.

Measured per factor:

1. index-side build seconds: ``store.write_index`` (FAISS, BM25, files) on
   the synthetic arrays.  Embedding is NOT re-run (it would take hours at ×10):
   the total build seconds add chars / the ictqa build rate of the 6-document
   build in bench/out/speed.json (or --embed-chars-per-s), i.e. the embedding
   part is extrapolated at the measured linear rate;
2. in a child process of its own (so that memory is per size): seconds of
   ``Searcher.open``, peak RSS after loading and after answering, query
   latency p50/p95 of the full pipeline (encode, search, fusion, highlight;
   one question per call after 5 warm-up questions, bench/data/dev_seed.jsonl
   cycled), and recall@10 of FAISS against brute force where an index is HNSW
   (more than store.FLAT_LIMIT vectors; a flat index is exact, 1.000);
3. the share of questions whose top-1 passage text is the same as at ×1
   (copies have the same text, so growth alone should not change answers);
4. disk size of the build, vector counts and FAISS index types.

Prints a Markdown table to stdout (progress goes to stderr) and writes every
number to bench/out/scale.json (bench/speed.py plots its points).  Synthetic
indexes go to bench/out/scale/x<N> and are removed after measuring unless
--keep.  The page cache is warm when a child loads (the parent just wrote the
files): load seconds are warm-cache figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

DEFAULT_BASE = HERE / "out" / "index-seed+5"
DEFAULT_FACTORS = (1, 2, 5, 10)
QUESTIONS = HERE / "data" / "dev_seed.jsonl"
SPEED = HERE / "out" / "speed.json"
SPEED_DOCS = 6  # the speed.json build whose rate stands for the real corpus
K = 5
WARMUP = 5
RECALL_K = 10
COPY_COSINE = 0.97
SEED = 20231124

NOTE = (
    "Synthetic corpus: the base index's passages repeated N times; copies have the same text and citation, "
    f"vectors perturbed to cosine ≈ {COPY_COSINE} and re-normalised, BM25 tokens repeated. index_seconds is "
    "measured (store.write_index: FAISS + BM25 + files, no embedding). build_seconds = index_seconds + "
    "chars / embed_chars_per_s: the embedding part is EXTRAPOLATED at the measured linear rate, not measured. "
    "chars = characters of passage text. Load seconds are with a warm page cache. RSS is the child's peak "
    "(ru_maxrss). ANN recall@10 is measured against brute force for HNSW indexes and 1.0 (exact) for flat ones."
)

T0 = time.monotonic()


def say(msg: str) -> None:
    t = int(time.monotonic() - T0)
    print(f"[{t // 60:02d}:{t % 60:02d}] {msg}", file=sys.stderr, flush=True)


def load_questions(n: int) -> list[str]:
    """The first n dev questions, cycled when n is larger than the file."""
    qs = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [qs[i % len(qs)] for i in range(n)]


def percentile(xs: Sequence[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def is_hnsw(index: Any) -> bool:
    return getattr(index, "hnsw", None) is not None


# -- the embedding rate ---------------------------------------------------------------


def embed_rate(flag: float | None, speed_json: Path) -> tuple[float, str]:
    """Characters per second of a real ictqa build, and where the figure came from."""
    if flag is not None:
        return flag, "--embed-chars-per-s"
    try:
        builds = json.loads(speed_json.read_text(encoding="utf-8"))["builds"]
    except (OSError, ValueError, KeyError, TypeError):
        builds = []
    # The 6-document build: smaller ones carry fixed costs (the background
    # bank, first-batch warm-up) that would understate the rate.
    for b in builds:
        if b.get("pipeline") == "ictqa" and b.get("docs") == SPEED_DOCS and b.get("seconds"):
            return b["chars"] / b["seconds"], f"{speed_json} (ictqa, {SPEED_DOCS} documents)"
    sys.exit(
        f"no ictqa build of {SPEED_DOCS} documents in {speed_json}: run `python bench/speed.py` first, "
        "or give the rate with --embed-chars-per-s"
    )


# -- the synthetic index --------------------------------------------------------------


@dataclasses.dataclass
class Base:
    """The real index, in memory, with its BM25 tokens."""

    path: Path
    manifest: Any  # ictqa.index.manifest.Manifest
    chunks: list
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_counts: np.ndarray
    background: np.ndarray | None
    tokens: list[list[str]]

    @property
    def chars(self) -> int:
        return sum(len(c.text) for c in self.chunks)


def load_base(path: Path) -> Base:
    from ictqa.index.store import load_index
    from ictqa.lexical import batch_words

    index = load_index(path)
    # Tokenised once: copies are lexically identical, so their lists are the same.
    tokens = batch_words([c.embed_text for c in index.chunks])
    return Base(
        path=path,
        manifest=index.manifest,
        chunks=index.chunks,
        vectors=np.array(index.vectors, dtype=np.float32),
        sentence_vectors=np.array(index.sentence_vectors, dtype=np.float32),
        sentence_counts=np.diff(index.sentence_offsets),
        background=index.background_vectors,
        tokens=tokens,
    )


def perturb(v: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Unit rows + isotropic noise, re-normalised: E[cos] ≈ 1/sqrt(1 + dim·σ²)."""
    noisy = v + rng.standard_normal(v.shape, dtype=np.float32) * np.float32(sigma)
    noisy /= np.maximum(np.linalg.norm(noisy, axis=1, keepdims=True), np.float32(1e-12))
    return noisy


def noise_sigma(dim: int, cosine: float = COPY_COSINE) -> float:
    return float(np.sqrt((1 / cosine**2 - 1) / dim))


def synthetic_arrays(base: Base, factor: int) -> tuple[list, np.ndarray, np.ndarray, np.ndarray, list[list[str]], float]:
    """Chunks, vectors, sentence vectors, offsets and tokens of ×factor, and the
    mean cosine of the copies' passage vectors to their originals."""
    sigma = noise_sigma(base.vectors.shape[1])
    chunks, vecs, sents, cosines = list(base.chunks), [base.vectors], [base.sentence_vectors], []
    for k in range(1, factor):
        # One generator per copy: copy k is the same whatever the factor, so
        # ×2's copy 1 is also ×10's copy 1.
        rng = np.random.default_rng([SEED, k])
        chunks += [dataclasses.replace(c, id=f"{c.id}~x{k}") for c in base.chunks]
        v = perturb(base.vectors, rng, sigma)
        cosines.append(float(np.einsum("ij,ij->i", v, base.vectors).mean()))
        vecs.append(v)
        sents.append(perturb(base.sentence_vectors, rng, sigma))
    offsets = np.cumsum(np.concatenate([[0], np.tile(base.sentence_counts, factor)]), dtype=np.int64)
    mean_cos = float(np.mean(cosines)) if cosines else 1.0
    return chunks, np.concatenate(vecs), np.concatenate(sents), offsets, base.tokens * factor, mean_cos


def build(base: Base, factor: int, out: Path) -> dict[str, Any]:
    """Write the ×factor index under ``out``; time only ``write_index``."""
    from ictqa.index.store import write_index

    shutil.rmtree(out, ignore_errors=True)
    chunks, vectors, sentence_vectors, offsets, tokens, mean_cos = synthetic_arrays(base, factor)
    manifest = dataclasses.replace(
        base.manifest,
        counts=dataclasses.replace(base.manifest.counts, chunks=len(chunks)),
        extra={**base.manifest.extra, "synthetic": {"base": str(base.path), "factor": factor, "copy_cosine": mean_cos}},
    )
    t = time.perf_counter()
    write_index(out, manifest, chunks, vectors, sentence_vectors, offsets, tokens, base.background)
    seconds = time.perf_counter() - t
    return {
        "factor": factor,
        "chars": base.chars * factor,
        "passages": len(chunks),
        "sentences": len(sentence_vectors),
        "index_seconds": seconds,
        "disk_mb": dir_mb(out),
        "copy_cosine": mean_cos,
    }


# -- the child: load, answer, recall --------------------------------------------------


def ann_recall(index: Any, vectors: np.ndarray, qvecs: np.ndarray, k: int = RECALL_K) -> float | None:
    """Mean recall@k of a FAISS index against brute force; 1.0 for a flat one."""
    if index is None:
        return None
    if not is_hnsw(index):
        return 1.0
    k = min(k, index.ntotal)
    _, approx = index.search(np.ascontiguousarray(qvecs, dtype=np.float32), k)
    # (n, q) scores in one product: under 0.1 GB for ×10 sentences and 128 questions.
    scores = np.asarray(vectors) @ qvecs.T
    exact = np.argpartition(-scores, k - 1, axis=0)[:k].T
    del scores
    return float(np.mean([len(set(a) & set(e)) / k for a, e in zip(approx, exact)]))


def child(index_dir: Path, n_questions: int) -> int:
    from ictqa.search import Searcher

    t = time.perf_counter()
    s = Searcher.open(index_dir)
    load_seconds = time.perf_counter() - t
    rss_load = peak_rss_mb()
    questions = load_questions(n_questions)
    for q in load_questions(WARMUP):
        s.search(q, k=K)
    latencies, top1 = [], []
    for q in questions:
        t = time.perf_counter()
        r = s.search(q, k=K)
        latencies.append(time.perf_counter() - t)
        top1.append(r.results[0].chunk.text if r.results else None)
    rss = peak_rss_mb()  # before the brute-force recall, which is not the system's cost
    unique = list(dict.fromkeys(questions))
    qvecs = s.encoder.encode_queries(unique)
    fields = {
        "load_seconds": load_seconds,
        "rss_load_mb": rss_load,
        "rss_mb": rss,
        "query_p50_ms": percentile(latencies, 50) * 1000,
        "query_p95_ms": percentile(latencies, 95) * 1000,
        "faiss_passages": s.index.passages.kind,
        "faiss_sentences": s.index.sentences.kind,
        "ann_recall_passages": ann_recall(s.index.passages.faiss, s.index.vectors, qvecs),
        "ann_recall_sentences": ann_recall(s.index.sentences.faiss, s.index.sentence_vectors, qvecs),
        "top1": top1,
    }
    print(json.dumps(fields, ensure_ascii=False), flush=True)
    return 0


def run_child(index_dir: Path, n_questions: int) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(index_dir), "--questions", str(n_questions)]
    p = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"the child measuring {index_dir} exited with {p.returncode}:\n" + "\n".join(p.stderr.splitlines()[-15:]))
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    sys.exit(f"the child measuring {index_dir} printed no result:\n{p.stderr[-2000:]}")


# -- report ---------------------------------------------------------------------------


def same_share(top1: Sequence[str | None], reference: Sequence[str | None]) -> float:
    return sum(a == b for a, b in zip(top1, reference)) / max(len(reference), 1)


def fmt_recall(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def table(points: list[dict[str, Any]]) -> str:
    head = (
        "| factor | passages | sentences | chars | FAISS passages / sentences | index-side build s "
        "| build s (embedding extrapolated) | load s | RSS MB load / after queries | disk MB "
        "| query p50 / p95 ms | ANN recall@10 passages / sentences | same top-1 text |"
    )
    out = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for p in points:
        out.append(
            f"| ×{p['factor']} | {p['passages']:,} | {p['sentences']:,} | {p['chars']:,} "
            f"| {p['faiss_passages']} / {p['faiss_sentences']} | {p['index_seconds']:.1f} | {p['build_seconds']:,.0f} "
            f"| {p['load_seconds']:.2f} | {p['rss_load_mb']:,.0f} / {p['rss_mb']:,.0f} | {p['disk_mb']:,.0f} "
            f"| {p['query_p50_ms']:.1f} / {p['query_p95_ms']:.1f} "
            f"| {fmt_recall(p['ann_recall_passages'])} / {fmt_recall(p['ann_recall_sentences'])} "
            f"| {p['same_top1']:.3f} |"
        )
    return "\n".join(out)


def save(path: Path, points: list[dict[str, Any]], rate: float, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"points": points, "embed_chars_per_s": rate, "note": NOTE, "meta": meta}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def parse_factors(text: str) -> list[int]:
    try:
        factors = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}") from None
    if not factors or factors[0] < 1:
        raise argparse.ArgumentTypeError("factors must be integers ≥ 1")
    return factors


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", type=Path, default=DEFAULT_BASE, help="the real index to repeat (default: %(default)s)")
    p.add_argument("--factors", type=parse_factors, default=list(DEFAULT_FACTORS), help="default: 1,2,5,10")
    p.add_argument("--questions", type=int, default=128, help="timed questions, dev set cycled (default: %(default)s)")
    p.add_argument("--embed-chars-per-s", type=float, default=None,
                   help=f"embedding rate for the extrapolated build time (default: the {SPEED_DOCS}-document ictqa build in --speed-json)")  # fmt: skip
    p.add_argument("--speed-json", type=Path, default=SPEED, help="bench/speed.py's results (default: %(default)s)")
    p.add_argument("--json", type=Path, default=HERE / "out" / "scale.json", help="results (default: %(default)s)")
    p.add_argument("--workdir", type=Path, default=HERE / "out" / "scale", help="synthetic indexes (default: %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep the synthetic indexes")
    p.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child is not None:
        return child(args.child, args.questions)
    if args.questions < 1:
        p.error("--questions must be at least 1")
    if not (args.base / "CURRENT").exists():
        p.error(f"no index at {args.base}: build it with `python bench/dev_eval.py --editions`, "
                "or choose another with --base (e.g. bench/out/index-seed)")  # fmt: skip
    rate, rate_source = embed_rate(args.embed_chars_per_s, args.speed_json)

    say(f"loading and tokenising {args.base}")
    base = load_base(args.base)
    say(f"base: {len(base.chunks):,} passages, {len(base.sentence_vectors):,} sentences, {base.chars:,} chars; "
        f"embedding rate {rate:,.0f} chars/s from {rate_source}")  # fmt: skip
    meta = {
        "base": str(args.base),
        "base_model": base.manifest.model.id,
        "embed_rate_source": rate_source,
        "noise_sigma": noise_sigma(base.vectors.shape[1]),
        "questions": args.questions,
        "warmup": WARMUP,
        "cores": os.cpu_count(),
        "cpu": platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "argv": sys.argv[1:] if argv is None else list(argv),
        "loadavg_start": os.getloadavg()[0],
    }

    # The answers at ×1 are the reference; measured on the base itself when ×1
    # is not among the factors (×1 is the base's content exactly).
    reference = None
    if 1 not in args.factors:
        say("×1 reference answers from the base index")
        reference = run_child(args.base, args.questions)["top1"]

    points: list[dict[str, Any]] = []
    for factor in args.factors:
        out = args.workdir / f"x{factor}"
        say(f"×{factor}: writing {len(base.chunks) * factor:,} passages to {out}")
        point = build(base, factor, out)
        say(f"×{factor}: index-side build {point['index_seconds']:.1f}s, {point['disk_mb']:,.0f} MB; measuring in a child")
        measured = run_child(out, args.questions)
        top1 = measured.pop("top1")
        if reference is None:
            reference = top1
        point |= measured
        point["build_seconds"] = point["index_seconds"] + point["chars"] / rate
        point["same_top1"] = same_share(top1, reference)
        points.append(point)
        say(f"×{factor}: load {point['load_seconds']:.2f}s, p50 {point['query_p50_ms']:.1f} ms, "
            f"RSS {point['rss_mb']:,.0f} MB, same top-1 {point['same_top1']:.3f}")  # fmt: skip
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
        save(args.json, points, rate, meta)  # after every factor: a long run keeps what it measured
    if not args.keep:
        try:
            args.workdir.rmdir()
        except OSError:
            pass  # not empty: someone else's files, or --keep earlier

    print(f"\n### Scale — ×N synthetic copies of {args.base.name}, {base.manifest.model.id}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs\n")  # fmt: skip
    print(table(points))
    print(f"\nEmbedding: {rate:,.0f} chars/s from {rate_source}. {NOTE}")
    say(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
