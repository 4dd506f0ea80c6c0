"""The index: built from corpus files (:mod:`.build`), kept on disk as plain
files swapped in atomically (:mod:`.store`), described by its
:class:`~.manifest.Manifest`, and searched through two small wrappers:
:mod:`.vectors` (FAISS) and :mod:`.bm25` (bm25s)."""

from __future__ import annotations

from .build import BuildReport, build_index, index_chunks, manifest_for, parse_file
from .manifest import FORMAT_VERSION, FileProblem, Manifest
from .store import StoredIndex, current_build, load_index, read_manifest, write_index

__all__ = [
    "FORMAT_VERSION",
    "BuildReport",
    "FileProblem",
    "Manifest",
    "StoredIndex",
    "build_index",
    "current_build",
    "index_chunks",
    "load_index",
    "manifest_for",
    "parse_file",
    "read_manifest",
    "write_index",
]
