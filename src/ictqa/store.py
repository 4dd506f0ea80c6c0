"""The index on disk: plain files, written aside and swapped in atomically.

Layout of an index directory::

    index/
      CURRENT                 name of the build that answers (one line)
      builds/<name>/
        manifest.json         model, dimension, files and hashes, versions, counts
        chunks.jsonl          one chunk a line: text, citation, content hash
        vectors.npy           float32 (n, dim), L2-normalised, memory-mapped on load
        sentence_vectors.npy  float32 (m, dim), one row per sentence of every chunk
        sentence_offsets.npy  int64 (n + 1,): chunk i's sentences are rows [o[i], o[i+1])
        background_vectors.npy float32 (b, dim): the generic passages used to abstain
        dense.faiss           FAISS index over vectors.npy (flat or HNSW, by size)
        sentences.faiss       FAISS index over sentence_vectors.npy (same rule)
        bm25/                 bm25s index (.npy + JSON)
        glossary.tsv          English gloss → the Japanese spellings (and their words)
                              this index holds, from JMdict (see glossary.py)

A build writes a new ``builds/<name>`` and only then replaces ``CURRENT`` with
``os.replace``, which is atomic: a reader sees the old build or the new one,
never a half-written one, and a build killed at any point leaves the old one
answering.  Nothing here is pickled; every file can be read without ictqa.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .chunks import Chunk
from .errors import IctqaError
from .glossary import load_table, write_table
from .lexical import BM25_PARAMS

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_CURRENT = "CURRENT"
_BUILDS = "builds"
_TMP_PREFIX = ".tmp-"

# Exact (flat) search while it is fast: a flat scan of 100,000 384-d vectors
# takes ~10 ms on 2 cores and grows linearly; beyond, HNSW answers in about a
# millisecond whatever the size, at a recall cost measured by bench/scale.py.
FLAT_LIMIT = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256


@dataclass(frozen=True)
class StoredIndex:
    path: Path  # the build directory
    manifest: dict[str, Any]
    chunks: list[Chunk]
    vectors: np.ndarray  # (n, dim) float32, memory-mapped
    dense: Any  # faiss.Index
    bm25: Any  # bm25s.BM25
    sentence_vectors: np.ndarray  # (m, dim) float32, memory-mapped
    sentence_offsets: np.ndarray  # (n + 1,) int64
    background_vectors: np.ndarray | None = None  # (b, dim) float32
    sentence_index: Any = None  # faiss.Index over sentence_vectors (None in indexes made before it existed)
    glossary_path: Path | None = None  # None in indexes made before it existed

    @cached_property
    def glossary(self) -> dict[str, list[tuple[str, tuple[str, ...]]]] | None:
        """English gloss → Japanese spellings, read on first use: only English
        questions need it, and a Japanese question should not wait for it."""
        if self.glossary_path is None:
            return None
        try:
            return load_table(self.glossary_path)
        except (OSError, UnicodeDecodeError) as e:
            raise IctqaError(
                f"the index's glossary {self.glossary_path} is unreadable ({e})",
                fix=f"rebuild the index: ictqa build --index {self.path.parent.parent}",
            ) from e

    @property
    def model_id(self) -> str:
        return self.manifest["model"]["id"]


def current_build(index_dir: Path) -> Path | None:
    pointer = index_dir / _CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise IctqaError(f"cannot read {pointer}: {e.strerror}", fix="check the permissions of the index directory") from e
    build = index_dir / _BUILDS / name
    return build if build.is_dir() else None


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise IctqaError(
            f"the index at {index_dir} has an unreadable manifest ({e})",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        ) from e


def check_compatible(manifest: dict[str, Any], index_dir: Path, model_id: str | None = None) -> None:
    """Refuse an index this version cannot read or that another model built."""
    fmt = manifest.get("format_version")
    if fmt != FORMAT_VERSION:
        raise IctqaError(
            f"the index at {index_dir} has format version {fmt!r}, this ictqa reads version {FORMAT_VERSION}",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        )
    built_with = manifest.get("model", {}).get("id")
    if model_id is not None and built_with != model_id:
        raise IctqaError(
            f"the index at {index_dir} was built with model {built_with!r}, not {model_id!r}",
            expected="questions to be encoded with the model that encoded the passages",
            fix=f"drop --model to use {built_with!r}, or rebuild: ictqa build --index {index_dir} --model {model_id}",
        )


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG on import, which would print a line
    # on every build; our -v flags decide what is shown.
    logging.getLogger("bm25s").setLevel(max(logging.getLogger().level, logging.INFO))
    return bm25s


def load_index(index_dir: Path, model_id: str | None = None) -> StoredIndex:
    bm25s = _bm25s()

    index_dir = Path(index_dir)
    build = current_build(index_dir)
    if build is None:
        raise IctqaError(
            f"no index found at {index_dir}",
            fix=f"build one first: ictqa build corpus/ --index {index_dir}",
        )
    manifest = read_manifest(index_dir)
    assert manifest is not None
    check_compatible(manifest, index_dir, model_id)
    try:
        with open(build / "chunks.jsonl", encoding="utf-8") as f:
            chunks = [Chunk.from_json(json.loads(line)) for line in f if line.strip()]
        vectors = np.load(build / "vectors.npy", mmap_mode="r", allow_pickle=False)
        sentence_vectors = np.load(build / "sentence_vectors.npy", mmap_mode="r", allow_pickle=False)
        sentence_offsets = np.load(build / "sentence_offsets.npy", allow_pickle=False)
        bg_path = build / "background_vectors.npy"
        background = np.load(bg_path, allow_pickle=False) if bg_path.exists() else None
        dense = _read_faiss(build / "dense.faiss")
        sent_path = build / "sentences.faiss"
        sentence_index = _read_faiss(sent_path) if sent_path.exists() else None
        bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=True, load_vocab=True)
        glossary_path = build / "glossary.tsv"
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise IctqaError(
            f"the index at {index_dir} is damaged ({type(e).__name__}: {e})",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        ) from e
    if not (
        len(chunks) == vectors.shape[0] == dense.ntotal == manifest["counts"]["chunks"] == len(sentence_offsets) - 1
        and sentence_offsets[-1] == sentence_vectors.shape[0]
    ):
        raise IctqaError(
            f"the index at {index_dir} is inconsistent: {len(chunks)} chunks, {vectors.shape[0]} vectors, "
            f"{dense.ntotal} FAISS entries",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        )
    if sentence_index is not None and sentence_index.ntotal != sentence_vectors.shape[0]:
        raise IctqaError(
            f"the index at {index_dir} is inconsistent: {sentence_vectors.shape[0]} sentence vectors, "
            f"{sentence_index.ntotal} in sentences.faiss",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        )
    return StoredIndex(
        build, manifest, chunks, vectors, dense, bm25, sentence_vectors, sentence_offsets, background, sentence_index,
        glossary_path if glossary_path.exists() else None,
    )


def vector_index(vectors: np.ndarray) -> Any:
    """A FAISS inner-product index over L2-normalised rows: exact while the
    collection is small enough to scan (:data:`FLAT_LIMIT`), HNSW beyond."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if len(vectors) <= FLAT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    if len(vectors):
        index.add(vectors)
    return index


def _read_faiss(path: Path) -> Any:
    import faiss

    index = faiss.read_index(str(path))
    hnsw = getattr(index, "hnsw", None)
    if hnsw is not None:
        # efSearch is a search-time setting; older faiss versions do not store it.
        hnsw.efSearch = max(hnsw.efSearch, HNSW_EF_SEARCH)
    return index


def write_index(
    index_dir: Path,
    manifest: dict[str, Any],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    sentence_offsets: np.ndarray,
    token_lists: Sequence[list[str]],
    background_vectors: np.ndarray | None = None,
    glossary: Mapping[str, Sequence[tuple[str, Sequence[str]]]] | None = None,
    glossary_source: str = "",
) -> Path:
    """Write a complete build beside the current one, then swap it in."""
    bm25s = _bm25s()
    import faiss

    index_dir = Path(index_dir)
    builds = index_dir / _BUILDS
    try:
        builds.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=builds))
    except OSError as e:
        raise IctqaError(
            f"cannot write the index directory {index_dir}: {e.strerror}",
            fix="choose a writable location with --index DIR",
        ) from e
    try:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for chunk in chunks:
                f.write(json.dumps(chunk.to_json(), ensure_ascii=False) + "\n")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
        np.save(tmp / "sentence_vectors.npy", np.ascontiguousarray(sentence_vectors, dtype=np.float32), allow_pickle=False)
        np.save(tmp / "sentence_offsets.npy", np.asarray(sentence_offsets, dtype=np.int64), allow_pickle=False)
        if background_vectors is not None:
            np.save(tmp / "background_vectors.npy", np.asarray(background_vectors, np.float32), allow_pickle=False)
        dense, sentence_index = vector_index(vectors), vector_index(sentence_vectors)
        faiss.write_index(dense, str(tmp / "dense.faiss"))
        faiss.write_index(sentence_index, str(tmp / "sentences.faiss"))
        manifest = manifest | {"faiss": {"passages": type(dense).__name__, "sentences": type(sentence_index).__name__}}
        bm25 = bm25s.BM25(**BM25_PARAMS)
        # An index with no text still needs a loadable lexical part.
        bm25.index([t or [""] for t in token_lists] or [[""]], show_progress=False)
        bm25.save(str(tmp / "bm25"), show_progress=False)
        if glossary is not None:
            write_table(glossary, tmp / "glossary.tsv", glossary_source)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _fsync_dir(tmp)
        name = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{tmp.name[len(_TMP_PREFIX):]}"
        final = builds / name
        os.rename(tmp, final)
        pointer_tmp = index_dir / f"{_CURRENT}.{os.getpid()}.tmp"
        pointer_tmp.write_text(name + "\n", encoding="utf-8")
        os.replace(pointer_tmp, index_dir / _CURRENT)
        _fsync_dir(index_dir)
    except BaseException:
        # Whatever stopped us (disk full, Ctrl-C), the old build still answers.
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_stale_builds(index_dir, keep=name)
    return final


def _remove_stale_builds(index_dir: Path, keep: str) -> None:
    # Readers that opened an older build keep their memory maps (POSIX unlink
    # semantics), so removing it does not pull the floor from under them.
    for child in (index_dir / _BUILDS).iterdir():
        if child.name != keep:
            shutil.rmtree(child, ignore_errors=True)
    for child in index_dir.glob(f"{_CURRENT}.*.tmp"):
        child.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
