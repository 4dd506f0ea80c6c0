"""Speed and memory of ictqa next to a naive peer pipeline, in one command (issue #7).

    python bench/speed.py                              # the full run: ~30 minutes on 2 cores
    python bench/speed.py --sizes 1 --questions 8      # a smoke run (a few minutes)
    python bench/speed.py --skip-app --skip-naive      # ictqa only, no web servers
    python bench/speed.py --sizes 6,25 --out bench/out/speed-archive   # the archive (~2 hours)
    python bench/speed.py --sizes 25 --no-build --out bench/out/speed-archive   # its indexes, built before

The naive peer is what one would write in an afternoon with the same model:
fixed 500-character windows of the raw text (no overlap), embedded with
sentence-transformers ``encode_document`` (the "passage: " prompt comes from the
model's config), a faiss ``IndexFlatIP``, BM25 (bm25s) over fugashi surface
forms, and reciprocal rank fusion (k=60) of the top 100 of each.

Measured, each step in a child process of its own so every figure has its own
memory and nothing stays warm between steps:

1. build: characters/s and chunks/s (model load excluded) and peak RSS, for
   1, 3 and 6 documents (default): the seed corpus, + r05 and r04, + r03, r02
   and r01 from ../shared/data/whitepaper/ja/full/; ``--sizes 1,6,25`` adds
   the whole archive (the 24 editions, newest first, and the seed);
2. query latency p50/p95 (one question per call, after 5 warm-up questions,
   bench/data/dev_seed.jsonl) and batch throughput (256 questions in one call)
   on the largest index;
3. cold start: a fresh process answering one question (best of 3);
4. app: seconds from spawning the web server to its first correct answer over
   gradio_client, and the server's RSS after 30 questions (ictqa's server
   first, then the naive one, never both at once).

Prints a Markdown table to stdout (progress goes to stderr), writes every number
to <out>.json (bench/out/speed.json by default) and the cost-vs-size plot to
docs/speed.png (with the points of bench/out/scale.json when that file exists).
Indexes and logs go under --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

# Only the standard library at module level: the naive cold start runs this
# file, and it must pay for the same imports as a script of its own would.

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FULL = REPO.parent / "shared" / "data" / "whitepaper" / "ja" / "full"
SEED = REPO / "corpus" / "000_589c5af6fc00dccb.txt"
# Documents in the order they join the corpus: 3 = seed + r05 + r04, 6 = all.
# Newest first, so that --sizes 6 is the seed + 令和元年版…令和5年版 and 25 is
# the whole archive (平成12年版 2000 … 令和5年版 2023).
_EDITIONS = [f"r0{n}_{2018 + n}" for n in range(5, 0, -1)] + [f"h{n}_{1988 + n}" for n in range(30, 11, -1)]
DOCS = [SEED, *(FULL / f"{name}.txt" for name in _EDITIONS)]
QUESTIONS = HERE / "data" / "dev_seed.jsonl"
# The batch is 256 distinct questions (of the 344 we have), so that ictqa's
# question cache does not turn the batch into repeats of the timed questions.
BATCH_QUESTIONS = [
    QUESTIONS,
    HERE / "data" / "out_of_scope.jsonl",
    HERE / "data" / "out_of_scope_holdout.jsonl",
    HERE / "data" / "holdout_editions.jsonl",
]
SCALE = HERE / "out" / "scale.json"
COLD_QUESTION = "日本のICT国際戦略の重点は何ですか"

K = 5
WINDOW = 500  # naive chunk size in characters
TOP = 100  # naive candidates from each of faiss and BM25 before fusion
RRF_K = 60
EMBED_BATCH = 32
WARMUP = 5
APP_QUESTIONS = 30
APP_TIMEOUT = 900  # seconds for a server to give its first answer
PIPELINES = ("ictqa", "naive")

T0 = time.monotonic()


def say(msg: str) -> None:
    t = int(time.monotonic() - T0)
    print(f"[{t // 60:02d}:{t % 60:02d}] {msg}", file=sys.stderr, flush=True)


def source_chars(paths: Sequence[Path]) -> int:
    """Characters of the source files: the same number for both pipelines."""
    return sum(len(p.read_text(encoding="utf-8")) for p in paths)


def load_questions(n: int, files: Sequence[Path] = (QUESTIONS,)) -> list[str]:
    """The first n distinct questions of the files, cycled when n is larger."""
    qs: list[str] = []
    for f in files:
        qs += [json.loads(line)["question"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    qs = list(dict.fromkeys(qs))
    return [qs[i % len(qs)] for i in range(n)]


def percentile(xs: Sequence[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def fresh(d: Path) -> Path:
    # A build must start empty: ictqa reuses the vectors of an index it finds.
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def emit(**fields: Any) -> int:
    """A child's answer to the parent: one JSON line on stdout, with the
    child's own peak RSS (ru_maxrss is in KiB on Linux)."""
    fields["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(fields, ensure_ascii=False), flush=True)
    return 0


# -- the naive peer ------------------------------------------------------------


def naive_model():
    import torch
    from sentence_transformers import SentenceTransformer

    from ictqa.model.prepare import prepare_default_model

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    return SentenceTransformer(str(prepare_default_model()), device="cpu")


def surface_forms(tagger, text: str) -> list[str]:
    return [w.surface for w in tagger(text)]


class Naive:
    """The saved naive index (faiss + bm25s + the windows), ready to answer."""

    def __init__(self, index_dir: Path, model=None) -> None:
        import bm25s
        import faiss
        import fugashi

        self.model = model if model is not None else naive_model()
        self.faiss = faiss.read_index(str(index_dir / "faiss.index"))
        self.bm25 = bm25s.BM25.load(str(index_dir / "bm25"), show_progress=False)
        with (index_dir / "windows.jsonl").open(encoding="utf-8") as f:
            self.windows = [json.loads(line) for line in f]
        self.tagger = fugashi.Tagger()

    def search(self, question: str) -> list[dict[str, Any]]:
        return self.search_many([question], batch_size=1)[0]

    def search_many(self, questions: Sequence[str], batch_size: int = EMBED_BATCH) -> list[list[dict[str, Any]]]:
        vecs = self.model.encode_query(
            list(questions), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return [self._fused(q, v) for q, v in zip(questions, vecs)]

    def _fused(self, question: str, vec) -> list[dict[str, Any]]:
        top = min(TOP, len(self.windows))  # bm25s refuses k > corpus size
        _, dense = self.faiss.search(vec.reshape(1, -1).astype("float32"), top)
        res = self.bm25.retrieve([surface_forms(self.tagger, question)], k=top, show_progress=False)
        # Zero-score BM25 "hits" share no word with the question: not evidence.
        lexical = [int(d) for d, s in zip(res.documents[0], res.scores[0]) if s > 0]
        score: dict[int, float] = {}
        for ranking in (dense[0].tolist(), lexical):
            for rank, i in enumerate(ranking, start=1):
                if i >= 0:  # faiss pads with -1
                    score[i] = score.get(i, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(score, key=lambda i: -score[i])[:K]
        return [{"rank": r, "score": score[i], **self.windows[i]} for r, i in enumerate(best, start=1)]


# -- child processes -------------------------------------------------------------


def child_build_ictqa(args: argparse.Namespace) -> int:
    from ictqa.index import build_index
    from ictqa.model import load_encoder

    paths = DOCS[: args.docs]
    index_dir = fresh(args.index)
    t = time.perf_counter()
    encoder = load_encoder()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    report = build_index(paths, index_dir, encoder, progress=False)
    seconds = time.perf_counter() - t
    return emit(
        pipeline="ictqa",
        docs=args.docs,
        chars=source_chars(paths),
        chunks=report.chunks,
        seconds=seconds,
        load_seconds=load_s,
        problems=[p.message for p in report.problems],
        encoder=f"{type(encoder).__name__} ({', '.join(filter(None, [encoder.model_id, getattr(encoder, 'runtime', None)]))})",
    )


def child_build_naive(args: argparse.Namespace) -> int:
    t = time.perf_counter()
    import bm25s
    import faiss
    import fugashi
    import numpy as np

    model = naive_model()
    tagger = fugashi.Tagger()
    load_s = time.perf_counter() - t

    paths = DOCS[: args.docs]
    t = time.perf_counter()
    windows = []
    for p in paths:
        text = p.read_text(encoding="utf-8")
        windows += [{"document": p.name, "start": s, "text": text[s : s + WINDOW]} for s in range(0, len(text), WINDOW)]
    texts = [w["text"] for w in windows]
    vecs = model.encode_document(
        texts, batch_size=EMBED_BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    dense = faiss.IndexFlatIP(vecs.shape[1])
    dense.add(np.ascontiguousarray(vecs, dtype=np.float32))
    bm25 = bm25s.BM25()
    bm25.index([surface_forms(tagger, x) for x in texts], show_progress=False)
    index_dir = fresh(args.index)
    faiss.write_index(dense, str(index_dir / "faiss.index"))
    bm25.save(str(index_dir / "bm25"), show_progress=False)
    with (index_dir / "windows.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(w, ensure_ascii=False) + "\n" for w in windows)
    seconds = time.perf_counter() - t
    return emit(
        pipeline="naive", docs=args.docs, chars=source_chars(paths), chunks=len(windows), seconds=seconds, load_seconds=load_s
    )


def child_query(args: argparse.Namespace, pipeline: str) -> int:
    timed, batch = load_questions(args.questions), load_questions(args.batch, BATCH_QUESTIONS)
    t = time.perf_counter()
    if pipeline == "ictqa":
        from ictqa.search import Searcher

        searcher = Searcher.open(args.index)

        def one(q: str) -> int:
            return len(searcher.search(q, k=K).results)

        def many(qs: list[str]) -> int:
            # A searcher that has seen none of them: no cached question vectors.
            fresh_searcher = Searcher(searcher.index, searcher.encoder)
            return sum(1 for r in fresh_searcher.search_many(qs, k=K) if getattr(r, "results", None))
    else:
        naive = Naive(args.index)

        def one(q: str) -> int:
            return len(naive.search(q))

        def many(qs: list[str]) -> int:
            return sum(1 for r in naive.search_many(qs) if r)

    load_s = time.perf_counter() - t
    for q in load_questions(WARMUP):  # first calls pay for allocation and thread start-up
        one(q)
    latencies, empty = [], 0
    for q in timed:
        t = time.perf_counter()
        n = one(q)
        latencies.append((time.perf_counter() - t) * 1000)
        empty += n == 0
    t = time.perf_counter()
    answered = many(batch)
    batch_s = time.perf_counter() - t
    return emit(
        pipeline=pipeline,
        questions=len(timed),
        p50_ms=statistics.median(latencies),
        p95_ms=percentile(latencies, 95),
        mean_ms=statistics.mean(latencies),
        empty_answers=empty,
        batch=len(batch),
        batch_answered=answered,
        batch_seconds=batch_s,
        batch_qps=len(batch) / batch_s,
        load_seconds=load_s,
    )


def child_cold_naive(args: argparse.Namespace) -> int:
    for r in Naive(args.index).search(args.question):
        print(f"[{r['rank']}] {r['score']:.4f}  {r['document']}:{r['start']}  {r['text'][:60]!r}")
    return 0


def child_serve_naive(args: argparse.Namespace) -> int:
    import gradio as gr

    naive = Naive(args.index)
    demo = gr.Interface(
        fn=naive.search,
        inputs=gr.Textbox(label="question"),
        outputs=gr.JSON(label="passages"),
        api_name="ask",
        flagging_mode="never",
        analytics_enabled=False,
        title="naive peer",
    )
    demo.launch(server_name="127.0.0.1", server_port=args.port, quiet=True)
    return 0


CHILDREN: dict[str, Callable[[argparse.Namespace], int]] = {
    "build-ictqa": child_build_ictqa,
    "build-naive": child_build_naive,
    "query-ictqa": lambda a: child_query(a, "ictqa"),
    "query-naive": lambda a: child_query(a, "naive"),
    "cold-naive": child_cold_naive,
    "serve-naive": child_serve_naive,
}


# -- the parent: running children ------------------------------------------------


class StepFailed(RuntimeError):
    pass


def child_env() -> dict[str, str]:
    # Offline machine: no hub or analytics calls that could stall either side.
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    return env


def child_cmd(mode: str, *args: object) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", mode, *map(str, args)]


def ictqa_cmd() -> str:
    # The console script next to this interpreter, so the venv's ictqa is timed.
    here = Path(sys.executable).parent / "ictqa"
    found = str(here) if here.exists() else shutil.which("ictqa")
    if not found:
        raise StepFailed("the `ictqa` command is not installed next to this Python nor on PATH")
    return found


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_child(mode: str, *args: object, log: Path) -> dict[str, Any]:
    t = time.perf_counter()
    p = subprocess.run(child_cmd(mode, *args), check=False, capture_output=True, text=True, env=child_env())
    wall = time.perf_counter() - t
    log.write_text(p.stdout + "\n--- stderr ---\n" + p.stderr, encoding="utf-8")
    if p.returncode != 0:
        raise StepFailed(f"{mode} exited with {p.returncode}; {log}:\n{tail(p.stderr)}")
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line) | {"wall_seconds": wall}
    raise StepFailed(f"{mode} printed no JSON result; see {log}")


def cold_start(cmd: list[str], repeats: int, log: Path) -> dict[str, Any]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        p = subprocess.run(cmd, check=False, capture_output=True, text=True, env=child_env())
        times.append(time.perf_counter() - t)
        log.write_text(p.stdout + "\n--- stderr ---\n" + p.stderr, encoding="utf-8")
        if p.returncode != 0 or not p.stdout.strip():
            raise StepFailed(f"{cmd[0]} exited with {p.returncode}; {log}:\n{tail(p.stderr)}")
    return {"best_seconds": min(times), "runs_seconds": times, "command": " ".join(cmd)}


# -- the parent: web servers -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask_ictqa(client, question: str) -> bool:
    _html, answer = client.predict(question, K, [], [], api_name="/ask")
    return isinstance(answer, dict) and "error" not in answer and bool(answer.get("results"))


def ask_naive(client, question: str) -> bool:
    answer = client.predict(question, api_name="/ask")
    return isinstance(answer, list) and len(answer) > 0


def tree_rss(pid: int) -> int:
    """RSS in bytes of a process and all its descendants."""
    import psutil

    root = psutil.Process(pid)
    total = 0
    for p in [root, *root.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def peak_rss_kib(pid: int) -> int | None:
    # VmHWM: the server process's own high-water mark (children not included).
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def stop(proc: subprocess.Popen) -> None:
    """End a server we started, and whatever it started, by pid."""
    import psutil

    if proc.poll() is not None:
        return
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kids = []
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for k in kids:
        try:
            k.kill()
        except psutil.NoSuchProcess:
            pass


def measure_app(name: str, cmd: list[str], port: int, ask: Callable[[Any, str], bool], log: Path) -> dict[str, Any]:
    """Spawn a server; seconds to its first correct answer; then APP_QUESTIONS
    questions and its RSS.  The server is stopped whatever happens."""
    from gradio_client import Client

    url = f"http://127.0.0.1:{port}/"
    with log.open("w", encoding="utf-8") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=child_env())
        try:
            client = None
            while client is None:
                if proc.poll() is not None:
                    raise StepFailed(f"the {name} server exited with {proc.returncode}; see {log}")
                if time.perf_counter() - t0 > APP_TIMEOUT:
                    raise StepFailed(f"the {name} server gave no answer within {APP_TIMEOUT} s; see {log}")
                try:
                    c = Client(url, verbose=False, analytics_enabled=False)
                    if ask(c, COLD_QUESTION):
                        client = c
                        break
                except Exception:  # noqa: BLE001, S110 - not up yet: connection refused, config not served
                    pass
                time.sleep(0.2)
            startup = time.perf_counter() - t0
            latencies, wrong = [], 0
            for q in load_questions(APP_QUESTIONS):
                t = time.perf_counter()
                wrong += not ask(client, q)
                latencies.append((time.perf_counter() - t) * 1000)
            return {
                "startup_seconds": startup,
                "rss_bytes": tree_rss(proc.pid),
                "peak_rss_kib": peak_rss_kib(proc.pid),
                "questions": len(latencies),
                "wrong_answers": wrong,
                "p50_ms": statistics.median(latencies),
                "command": " ".join(cmd),
            }
        finally:
            stop(proc)


# -- the parent: the run -----------------------------------------------------------


def index_dir(out: Path, pipeline: str, docs: int) -> Path:
    return out / f"{pipeline}-{docs}docs"


def versions() -> dict[str, str]:
    out = {}
    for dist in ("ictqa", "torch", "sentence-transformers", "onnxruntime", "faiss-cpu", "bm25s", "fugashi", "gradio"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def save(results: dict[str, Any], path: Path) -> None:
    # After every step, so a failure late in a 30-minute run keeps the rest.
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


def run(args: argparse.Namespace, sizes: list[int], results: dict[str, Any], json_path: Path) -> None:
    out: Path = args.out
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    pipelines = ["ictqa"] if args.skip_naive else list(PIPELINES)

    for n in [] if args.no_build else sizes:
        for pipe in pipelines:
            say(f"build {pipe}, {n} doc(s) ...")
            r = run_child(f"build-{pipe}", "--docs", n, "--index", index_dir(out, pipe, n), log=logs / f"build-{pipe}-{n}.log")
            if r.get("problems"):
                raise StepFailed(f"ictqa could not read some documents: {r['problems']}")
            say(f"  {r['chunks']} chunks in {r['seconds']:.1f} s, peak RSS {r['peak_rss_kib'] / 1024:.0f} MiB")
            results["builds"].append(r)
            save(results, json_path)

    largest = max(sizes)
    results["query_docs"] = largest
    missing = [str(index_dir(out, p, largest)) for p in pipelines if not index_dir(out, p, largest).is_dir()]
    if args.no_build and missing:
        raise StepFailed(f"--no-build: no index at {', '.join(missing)}; build it first (or drop --no-build)")
    for pipe in pipelines:
        say(f"query {pipe} on the {largest}-doc index: {args.questions} single questions, a batch of {args.batch} ...")
        r = run_child(
            f"query-{pipe}",
            "--index", index_dir(out, pipe, largest), "--questions", args.questions, "--batch", args.batch,
            log=logs / f"query-{pipe}.log",
        )  # fmt: skip
        say(f"  p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, batch {r['batch_qps']:.1f} q/s")
        results["query"][pipe] = r
        save(results, json_path)

    cold = {
        "ictqa": [ictqa_cmd(), "ask", COLD_QUESTION, "--index", str(index_dir(out, "ictqa", largest))],
        "naive": child_cmd("cold-naive", "--index", index_dir(out, "naive", largest), "--question", COLD_QUESTION),
    }
    for pipe in pipelines:
        say(f"cold start {pipe}, best of {args.repeats} ...")
        r = cold_start(cold[pipe], args.repeats, logs / f"cold-{pipe}.log")
        say(f"  {r['best_seconds']:.1f} s")
        results["cold_start"][pipe] = r
        save(results, json_path)

    if args.skip_app:
        return
    # One server at a time: on two cores a second idle server would still
    # cost memory and scheduler noise.
    for pipe in pipelines:
        port = free_port()
        idx = index_dir(out, pipe, largest)
        if pipe == "ictqa":
            cmd, ask = [ictqa_cmd(), "serve", "--index", str(idx), "--port", str(port)], ask_ictqa
        else:
            cmd, ask = child_cmd("serve-naive", "--index", idx, "--port", port), ask_naive
        say(f"app {pipe} on port {port} ...")
        r = measure_app(pipe, cmd, port, ask, logs / f"app-{pipe}.log")
        say(f"  first answer after {r['startup_seconds']:.1f} s, RSS {r['rss_bytes'] / 2**20:.0f} MiB")
        results["app"][pipe] = r
        save(results, json_path)


# -- report ------------------------------------------------------------------------

# kind → how the ratio column is computed (see NOTE)
RATE, TIME, MEMORY, COUNT = "rate", "time", "memory", "count"

NOTE = (
    "Ratio: for times (s, ms) naive ÷ ictqa and for rates (/s) ictqa ÷ naive, so above 1 means ictqa is faster; "
    "for memory (MiB, 2^20 bytes) and chunk counts ictqa ÷ naive, so above 1 means ictqa uses more.  "
    "Build figures exclude loading the model.  Chunks are not the same unit on both sides (ictqa: passages cut "
    "at headings, each sentence also embedded for ranking and highlights; naive: 500-character windows): "
    "compare characters/s.  Query latency is the whole pipeline (encode, search, fusion; ictqa also highlights), "
    "one question per call after 5 warm-up questions; cold start = a fresh process answering one question; "
    "app start-up = spawn to the first correct answer over gradio_client; serving RSS includes child processes."
)


def ratio(kind: str, i: float | None, n: float | None) -> float | None:
    if i is None or n is None or i == 0 or n == 0:
        return None
    return n / i if kind == TIME else i / n


def table_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(figure: str, kind: str, values: dict[str, Any], get: Callable[[dict[str, Any]], float]) -> None:
        i, n = (get(values[p]) if p in values else None for p in PIPELINES)
        rows.append({"figure": figure, "kind": kind, "ictqa": i, "naive": n, "ratio": ratio(kind, i, n)})

    for docs in sorted({b["docs"] for b in results["builds"]}):
        by = {b["pipeline"]: b for b in results["builds"] if b["docs"] == docs}
        chars = next(iter(by.values()))["chars"]
        tag = f"build {docs} doc{'s' if docs > 1 else ''} ({chars:,} chars)"
        add(f"{tag}: seconds", TIME, by, lambda b: b["seconds"])
        add(f"{tag}: characters/s", RATE, by, lambda b: b["chars"] / b["seconds"])
        add(f"{tag}: chunks/s", RATE, by, lambda b: b["chunks"] / b["seconds"])
        add(f"{tag}: chunks", COUNT, by, lambda b: b["chunks"])
        add(f"{tag}: peak RSS (MiB)", MEMORY, by, lambda b: b["peak_rss_kib"] / 1024)
    q = results["query"]
    if q:
        docs = results["query_docs"]
        nq = next(iter(q.values()))["questions"]
        add(f"query p50 (ms), {docs}-doc index, {nq} questions", TIME, q, lambda r: r["p50_ms"])
        add(f"query p95 (ms), {docs}-doc index, {nq} questions", TIME, q, lambda r: r["p95_ms"])
        add(f"query peak RSS (MiB), {docs}-doc index", MEMORY, q, lambda r: r["peak_rss_kib"] / 1024)
        nb = next(iter(q.values()))["batch"]
        add(f"batch throughput (questions/s), {nb} in one call", RATE, q, lambda r: r["batch_qps"])
    c = results["cold_start"]
    if c:
        runs = len(next(iter(c.values()))["runs_seconds"])
        add(f"cold start, one question (s, best of {runs})", TIME, c, lambda r: r["best_seconds"])
    a = results["app"]
    if a:
        add("app start-up to first answer (s)", TIME, a, lambda r: r["startup_seconds"])
        add(f"app serving RSS after {APP_QUESTIONS} questions (MiB)", MEMORY, a, lambda r: r["rss_bytes"] / 2**20)
    return rows


def fmt(v: float | None, kind: str = "") -> str:
    if v is None:
        return "–"
    if kind == COUNT:
        return f"{v:,.0f}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    encoder = next((b.get("encoder") for b in results["builds"] if b.get("encoder")), "?")
    lines = [
        (
            f"ictqa ({encoder}) vs naive (sentence-transformers + faiss IndexFlatIP + bm25s/fugashi, RRF k={RRF_K}); "
            f"{meta['cores']} usable cores, {meta['cpu']}, Python {meta['python']}, {meta['date']}; "
            f"load average {meta['loadavg_start']:.1f} at start, {meta.get('loadavg_end', float('nan')):.1f} at end"
        ),
        "",
        "| figure | ictqa | naive | ratio |",
        "|---|---:|---:|---:|",
    ]
    for r in results["table"]:
        ratio_s = "–" if r["ratio"] is None else f"{r['ratio']:.2f}×"
        lines.append(f"| {r['figure']} | {fmt(r['ictqa'], r['kind'])} | {fmt(r['naive'], r['kind'])} | {ratio_s} |")
    lines += ["", NOTE]
    return "\n".join(lines)


def load_scale() -> list[dict[str, Any]]:
    """Points of bench/out/scale.json (written by another benchmark), if any."""
    try:
        points = json.loads(SCALE.read_text(encoding="utf-8"))["points"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [p for p in points if isinstance(p, dict) and isinstance(p.get("chars"), (int, float))]


def factor(point: dict[str, Any]) -> float | None:
    """How many times the corpus was replicated for a scale.json point, if it says."""
    for key in ("factor", "copies", "multiplier", "times", "n"):
        if isinstance(point.get(key), (int, float)):
            return point[key]
    return None


def short(v: float, _pos: object = None) -> str:
    """20k, 1.5M: characters on a plot axis."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    scale = load_scale()
    styles = {"ictqa": ("o-", "tab:blue"), "naive": ("s--", "tab:orange")}
    fig, (build_ax, query_ax) = plt.subplots(1, 2, figsize=(11, 4.5))

    for pipe, (style, color) in styles.items():
        pts = sorted((b["chars"], b["seconds"], b["docs"]) for b in results["builds"] if b["pipeline"] == pipe)
        if not pts:
            continue
        build_ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=color, label=pipe)
        if pipe == "ictqa":
            for x, y, docs in pts:
                build_ax.annotate(
                    f"{docs} doc{'s' if docs > 1 else ''}", (x, y), textcoords="offset points", xytext=(-12, 8), fontsize=8
                )
    synth = sorted((p["chars"], p["build_seconds"], factor(p)) for p in scale if isinstance(p.get("build_seconds"), (int, float)))
    if synth:
        build_ax.plot([p[0] for p in synth], [p[1] for p in synth], "^:", color="tab:green", label="ictqa (synthetic ×N)")
        for x, y, n in synth:
            if n:
                build_ax.annotate(f"×{n:g}", (x, y), textcoords="offset points", xytext=(6, -12), fontsize=8)
    build_ax.set(xscale="log", yscale="log", xlabel="corpus size (characters, log)", ylabel="build time (s, log)",
                 title="Build time vs corpus size")  # fmt: skip

    for pipe, (style, color) in styles.items():
        r = results["query"].get(pipe)
        # A --no-build run has no build to take the corpus size from.
        chars = next((b["chars"] for b in results["builds"] if b["docs"] == results["query_docs"]), None)
        if r and chars:
            query_ax.plot([chars], [r["p50_ms"]], style[0], color=color, label=pipe)
    synth = sorted((p["chars"], p["query_p50_ms"]) for p in scale if isinstance(p.get("query_p50_ms"), (int, float)))
    if synth:
        query_ax.plot([p[0] for p in synth], [p[1] for p in synth], "^:", color="tab:green", label="ictqa (synthetic ×N)")
    query_ax.set(
        xscale="log", xlabel="corpus size (characters, log)", ylabel="query p50 (ms)", title="Query latency (p50) vs corpus size"
    )
    query_ax.set_ylim(bottom=0)

    # Plain 1-2-5 tick labels (20k, 1M; 50 s) rather than matplotlib's 2×10^1.
    axes = [(build_ax.xaxis, short), (query_ax.xaxis, short), (build_ax.yaxis, lambda v, _: f"{v:g}")]
    for axis, label in axes:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(label))
        axis.set_minor_formatter(NullFormatter())
    for ax in (build_ax, query_ax):
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    fig.suptitle(f"ictqa vs naive pipeline, {results['meta']['cores']} CPU cores")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -- command line ------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,3,6", help="corpus sizes in documents, 1-25 (default: %(default)s; 25 = the archive)")
    ap.add_argument("--questions", type=int, default=128, help="timed single questions, dev set cycled (default: %(default)s)")
    ap.add_argument("--batch", type=int, default=256, help="questions in the batch-throughput call (default: %(default)s)")
    ap.add_argument("--repeats", type=int, default=3, help="cold starts per pipeline; the best counts (default: %(default)s)")
    ap.add_argument("--skip-app", action="store_true", help="do not start the web servers")
    ap.add_argument("--skip-naive", action="store_true", help="measure ictqa only")
    ap.add_argument(
        "--no-build",
        action="store_true",
        help="measure the indexes already under OUT (OUT/ictqa-Ndocs, OUT/naive-Ndocs) and record no build: "
        "for an archive index timed on its own, e.g. with /usr/bin/time -v ictqa build",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=HERE / "out" / "speed",
        help="indexes and logs; results go to OUT.json (default: bench/out/speed)",
    )
    ap.add_argument("--plot", type=Path, default=REPO / "docs" / "speed.png", help="the PNG (default: docs/speed.png)")
    ap.add_argument(
        "--replot",
        action="store_true",
        help="measure nothing: print the table and redraw the plot from OUT.json (e.g. after bench/scale.py)",
    )
    # The parent runs this file again as its children.
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--docs", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--question", default=COLD_QUESTION, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.questions < 1 or args.batch < 1 or args.repeats < 1:
        ap.error("--questions, --batch and --repeats must be at least 1")
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        ap.error(f"--sizes takes numbers of documents separated by commas, e.g. 1,3,6 (got {args.sizes!r})")
    if not args.sizes or not all(1 <= s <= len(DOCS) for s in args.sizes):
        ap.error(f"--sizes must be between 1 and {len(DOCS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return CHILDREN[args.child](args)
    if args.replot:
        saved = json.loads(args.out.resolve().with_suffix(".json").read_text(encoding="utf-8"))
        print(markdown(saved))
        plot(saved, args.plot)
        say(f"redrew {args.plot}")
        return 0

    missing = [str(p) for p in DOCS[: max(args.sizes)] if not p.is_file()]
    if missing:
        sys.exit(f"missing corpus files: {', '.join(missing)}")
    args.out = args.out.resolve()
    json_path = args.out.with_suffix(".json")
    results: dict[str, Any] = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "cores": len(os.sched_getaffinity(0)),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "versions": versions(),
            "sizes": args.sizes,
            "documents": [str(p) for p in DOCS[: max(args.sizes)]],
            "argv": sys.argv[1:],
        },
        "builds": [],
        "query": {},
        "cold_start": {},
        "app": {},
    }
    # Other work on the CPU distorts everything, torch most: with one thread
    # per core, a core taken by another process stalls every parallel layer.
    load = os.getloadavg()[0]
    results["meta"]["loadavg_start"] = load
    if load > 0.5:
        say(f"WARNING: load average {load:.1f} on {results['meta']['cores']} cores before starting: timings will be noisy")
    failed = None
    try:
        run(args, args.sizes, results, json_path)
    except StepFailed as e:
        failed = str(e)
        results["error"] = failed
        say(f"FAILED: {failed}")
    results["meta"]["loadavg_end"] = os.getloadavg()[0]
    results["table"] = table_rows(results)
    save(results, json_path)
    print(markdown(results))
    plot(results, args.plot)
    say(f"wrote {json_path} and {args.plot}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
