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
                              this index holds, from JMdict (see ictqa.glossary)

A build writes a new ``builds/<name>`` and only then replaces ``CURRENT`` with
``os.replace``, which is atomic: a reader sees the old build or the new one,
never a half-written one, and a build killed at any point leaves the old one
answering.  Nothing here is pickled; every file can be read without ictqa.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..chunks import Chunk
from ..errors import IctqaError
from ..glossary import Spelling, load_table, write_table
from ..loanwords import LoanwordIndex, katakana_words
from .bm25 import Bm25Index
from .manifest import FORMAT_VERSION, Manifest, check_compatible
from .vectors import VectorIndex, build_faiss, read_faiss, write_faiss

log = logging.getLogger(__name__)

_CURRENT = "CURRENT"
_BUILDS = "builds"
_TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class StoredIndex:
    path: Path  # the build directory
    manifest: Manifest
    chunks: list[Chunk]
    passages: VectorIndex  # (n, dim) passage vectors and dense.faiss
    sentences: VectorIndex  # (m, dim) sentence vectors and sentences.faiss (exact in indexes made before it)
    sentence_offsets: np.ndarray  # (n + 1,) int64: chunk i's sentences are rows [o[i], o[i+1])
    bm25: Bm25Index
    background_vectors: np.ndarray | None = None  # (b, dim) float32
    glossary_path: Path | None = None  # None in indexes made before it existed

    @property
    def vectors(self) -> np.ndarray:
        return self.passages.vectors

    @property
    def sentence_vectors(self) -> np.ndarray:
        return self.sentences.vectors

    @cached_property
    def glossary(self) -> dict[str, list[Spelling]] | None:
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

    @cached_property
    def folded_text(self) -> tuple[str, np.ndarray]:
        """Every passage's heading line and text, NFKC case-folded, joined with
        "\\x00", and where each passage starts in it: a literal term is found
        in all passages with one ``str.find`` scan (the timeline's mentions).
        Made on first use (the archive: ~8 M characters, a second or two)."""
        parts = [unicodedata.normalize("NFKC", c.embed_text).casefold() for c in self.chunks]
        starts = np.cumsum([0] + [len(p) + 1 for p in parts[:-1]], dtype=np.int64) if parts else np.zeros(0, np.int64)
        return "\x00".join(parts), starts

    @cached_property
    def loanwords(self) -> LoanwordIndex:
        """The katakana words of the index, for English words the glossary
        does not know (made on first use from :attr:`folded_text`)."""
        return LoanwordIndex(katakana_words(self.folded_text[0]))

    @property
    def model_id(self) -> str:
        return self.manifest.model.id


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


def read_manifest(index_dir: Path) -> Manifest | None:
    """The manifest of the build that answers, or None when there is no index.
    An index of another format version, or a damaged manifest, is refused
    with the command that rebuilds it."""
    index_dir = Path(index_dir)
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        raw = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise IctqaError(
            f"the index at {index_dir} has an unreadable manifest ({e})",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        ) from e
    fmt = raw.get("format_version") if isinstance(raw, dict) else None
    if fmt != FORMAT_VERSION:
        raise IctqaError(
            f"the index at {index_dir} has format version {fmt!r}, this ictqa reads version {FORMAT_VERSION}",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        )
    try:
        return Manifest.from_json(raw)
    except (KeyError, TypeError, ValueError) as e:
        raise IctqaError(
            f"the index at {index_dir} has a damaged manifest ({type(e).__name__}: {e})",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        ) from e


@dataclass(frozen=True)
class StoredVectors:
    """What a build reuses of the current index: its passages and their
    vectors (memory-mapped), without the search structures (FAISS, BM25),
    which the build makes anew and need not hold twice."""

    manifest: Manifest
    chunks: list[Chunk]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_offsets: np.ndarray
    background_vectors: np.ndarray | None


def _read_passages(build: Path) -> tuple[list[Chunk], np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """A build's passages and their vectors (memory-mapped where large);
    the callers turn its OSError/ValueError into their "damaged" message."""
    with open(build / "chunks.jsonl", encoding="utf-8") as f:
        chunks = [Chunk.from_json(json.loads(line)) for line in f if line.strip()]
    vectors = np.load(build / "vectors.npy", mmap_mode="r", allow_pickle=False)
    sentence_vectors = np.load(build / "sentence_vectors.npy", mmap_mode="r", allow_pickle=False)
    sentence_offsets = np.load(build / "sentence_offsets.npy", allow_pickle=False)
    bg_path = build / "background_vectors.npy"
    background = np.load(bg_path, allow_pickle=False) if bg_path.exists() else None
    return chunks, vectors, sentence_vectors, sentence_offsets, background


def load_vectors(index_dir: Path) -> StoredVectors:
    """The current build's passages and vectors (raises IctqaError like
    :func:`load_index`)."""
    index_dir = Path(index_dir)
    build = current_build(index_dir)
    manifest = read_manifest(index_dir)
    if build is None or manifest is None:
        raise IctqaError(f"no index found at {index_dir}", fix=f"build one first: ictqa build corpus/ --index {index_dir}")
    try:
        chunks, vectors, sentence_vectors, sentence_offsets, background = _read_passages(build)
    except (OSError, ValueError, KeyError) as e:
        raise IctqaError(
            f"the index at {index_dir} is damaged ({type(e).__name__}: {e})",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        ) from e
    if not (len(chunks) == vectors.shape[0] == len(sentence_offsets) - 1 and sentence_offsets[-1] == sentence_vectors.shape[0]):
        raise IctqaError(
            f"the index at {index_dir} is inconsistent: {len(chunks)} chunks, {vectors.shape[0]} vectors",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        )
    return StoredVectors(manifest, chunks, vectors, sentence_vectors, sentence_offsets, background)


def load_index(index_dir: Path, model_id: str | None = None) -> StoredIndex:
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
        chunks, vectors, sentence_vectors, sentence_offsets, background = _read_passages(build)
        dense = read_faiss(build / "dense.faiss")
        sent_path = build / "sentences.faiss"
        sentence_index = read_faiss(sent_path) if sent_path.exists() else None
        bm25 = Bm25Index.load(build / "bm25", len(chunks))
        glossary_path = build / "glossary.tsv"
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise IctqaError(
            f"the index at {index_dir} is damaged ({type(e).__name__}: {e})",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        ) from e
    if not (
        len(chunks) == vectors.shape[0] == dense.ntotal == manifest.counts.chunks == len(sentence_offsets) - 1
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
        path=build,
        manifest=manifest,
        chunks=chunks,
        passages=VectorIndex(vectors, dense),
        sentences=VectorIndex(sentence_vectors, sentence_index),
        sentence_offsets=sentence_offsets,
        bm25=bm25,
        background_vectors=background,
        glossary_path=glossary_path if glossary_path.exists() else None,
    )


def write_index(
    index_dir: Path,
    manifest: Manifest,
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    sentence_offsets: np.ndarray,
    token_lists: Sequence[list[str]],
    background_vectors: np.ndarray | None = None,
    glossary: Mapping[str, Sequence[Spelling]] | None = None,
    glossary_source: str = "",
) -> Path:
    """Write a complete build beside the current one, then swap it in."""
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
        # One structure at a time, each freed once written: FAISS holds its own
        # copy of the vectors, and the archive's sentences alone are 180 MB.
        kinds = {}
        for key, rows, name in (("passages", vectors, "dense.faiss"), ("sentences", sentence_vectors, "sentences.faiss")):
            built = build_faiss(rows)
            write_faiss(built, tmp / name)
            kinds[key] = type(built).__name__
            del built
        manifest = dataclasses.replace(manifest, faiss=kinds)
        Bm25Index.build(token_lists).save(tmp / "bm25")
        if glossary is not None:
            write_table(glossary, tmp / "glossary.tsv", glossary_source)
        (tmp / "manifest.json").write_text(json.dumps(manifest.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        _fsync_dir(tmp)
        name = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{tmp.name[len(_TMP_PREFIX) :]}"
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
