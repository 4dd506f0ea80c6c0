"""Nearest-vector search over L2-normalised rows: FAISS, and exact scans
where FAISS cannot answer (a filtered search, an index made before a FAISS
file existed).  The only module that talks to FAISS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

# Exact (flat) search while it is fast: a flat scan of 100,000 384-d vectors
# takes ~10 ms on 2 cores and grows linearly; beyond, HNSW answers in about a
# millisecond whatever the size, at a recall cost measured by bench/scale.py.
FLAT_LIMIT = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256


def top_indices(scores: np.ndarray, c: int) -> np.ndarray:
    """Indices of the ``c`` largest scores, best first (ties by index)."""
    if c >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, c - 1)[:c]
    return part[np.lexsort((part, -scores[part]))]


@cache
def _blas_controller() -> Any:
    """threadpoolctl's controller, made once (finding the loaded libraries
    costs milliseconds); None without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


@contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Run numpy's BLAS on ``n`` threads inside the block.

    Why one for a single question: like FAISS's OpenMP threads (below),
    OpenBLAS's second thread spins after each of a question's small matrix
    products, on the core the next question's encoder needs (archive index,
    2 cores, 95 dev questions one at a time: p50 / p95 51.5 / 91.7 ms with
    two threads, 42.7 / 65.9 ms with OPENBLAS_NUM_THREADS=1; bench/speed.py
    afterwards: 43.5 / 63.3 ms).  The limit is process-wide, so a batch
    running at the same moment also gets one thread until the block ends:
    slower, never wrong.  Without threadpoolctl the block runs as it is."""
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=n, user_api="blas"):
        yield


@contextmanager
def faiss_threads(n: int | None) -> Iterator[None]:
    """Run FAISS calls of this thread on ``n`` OpenMP threads (None: as set).

    Why one for a single question: FAISS splits a search by question, so a
    second thread has nothing to do, yet OpenMP starts it and leaves it
    spinning for a while after the search, on the core the next question's
    encoder needs (measured with OpenVINO on 2 cores: question p50 / p95
    22.0 / 34.8 ms with the default, 13.7 / 17.4 ms with one thread).  The
    setting is per calling thread in OpenMP, so concurrent requests do not
    disturb each other."""
    if n is None:
        yield
        return
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def build_faiss(vectors: np.ndarray) -> Any:
    """A FAISS inner-product index over L2-normalised rows: exact while the
    collection is small enough to scan (:data:`FLAT_LIMIT`), HNSW beyond."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    index: Any
    if len(vectors) <= FLAT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    if len(vectors):
        index.add(vectors)
    return index


def write_faiss(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def read_faiss(path: Path) -> Any:
    import faiss

    index = faiss.read_index(str(path))
    hnsw = getattr(index, "hnsw", None)
    if hnsw is not None:
        # efSearch is a search-time setting; older faiss versions do not store it.
        hnsw.efSearch = max(hnsw.efSearch, HNSW_EF_SEARCH)
    return index


class VectorIndex:
    """Rows (memory-mapped) and, where there is one, their FAISS index."""

    def __init__(self, vectors: np.ndarray, faiss_index: Any | None) -> None:
        self.vectors = vectors
        self.faiss = faiss_index

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def kind(self) -> str:
        """The FAISS index type ("IndexFlatIP", "IndexHNSWFlat"), or "exact"."""
        return type(self.faiss).__name__ if self.faiss is not None else "exact"

    def nearest(self, qvecs: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[np.ndarray]:
        """Row ids of the ``k`` rows closest to each question, best first;
        ``allowed`` (a boolean row mask) restricts the rows considered."""
        if allowed is None and self.faiss is not None:
            with faiss_threads(1 if len(qvecs) == 1 else None):
                _, ids = self.faiss.search(np.ascontiguousarray(qvecs, dtype=np.float32), min(k, self.faiss.ntotal))
            return [row[row >= 0] for row in ids]
        # A filter can leave too few of an approximate top-k, and indexes made
        # before sentences.faiss have none: scan the (allowed) rows exactly.
        sub = np.flatnonzero(allowed) if allowed is not None else np.arange(len(self.vectors))
        sims = np.asarray(self.vectors[sub]) @ qvecs.T
        return [sub[top_indices(sims[:, j], k)] for j in range(len(qvecs))]
