"""What an index says about itself (``manifest.json``), as typed values.

Written once by the build (:mod:`.build`) and read by everything that shows or
checks an index (the store's compatibility check, ``ictqa info``, the web
form's Index tab).  The JSON layout is the one earlier versions wrote, and
:meth:`Manifest.from_json` reads those too: keys added later are optional.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import IctqaError

# 1: the layout described in ictqa.index.store.  A reader refuses any other.
FORMAT_VERSION = 1
SEPARATE, POOLED = "separate", "pooled"  # how sentence vectors were made


@dataclass(frozen=True)
class ModelInfo:
    id: str
    dimension: int
    # The engine that embedded the passages, for the record only: engines of
    # one model id give interchangeable vectors (see ictqa.model.onnx).
    runtime: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "dimension": self.dimension}
        if self.runtime:
            out["runtime"] = self.runtime
        return out


@dataclass(frozen=True)
class DocumentEntry:
    """One indexed file."""

    document: str
    sha256: str = ""
    encoding: str = ""
    kind: str = ""
    edition: str | None = None
    year: int | None = None
    language: str = "ja"
    sections: int = 0
    chunks: int = 0
    source: str | None = None
    licence: str | None = None
    attribution: str | None = None


@dataclass(frozen=True)
class FileProblem:
    """A file the build skipped, and why (the reader's message)."""

    path: str
    message: str


@dataclass(frozen=True)
class GlossaryInfo:
    source: str
    glosses: int


@dataclass(frozen=True)
class Counts:
    documents: int
    chunks: int


@dataclass(frozen=True)
class Manifest:
    format_version: int
    ictqa_version: str
    built_at: str
    model: ModelInfo
    lexical: dict[str, str]  # ictqa.lexical.dictionary_info(): tokenizer and dictionary versions
    chunking: dict[str, Any]  # dataclasses.asdict(ChunkParams)
    counts: Counts
    documents: tuple[DocumentEntry, ...] = ()
    problems: tuple[FileProblem, ...] = ()
    corpus_hash: str | None = None
    sentence_vectors: str = SEPARATE
    background: tuple[str, ...] = ()  # text hashes of the abstention bank, in row order
    glossary: GlossaryInfo | None = None
    faiss: dict[str, str] | None = None  # FAISS index type of passages and sentences
    # Per language, for each probe question (ictqa.bank): the cosine of its
    # best passage and of its best background passage in this index, and
    # the share of its words the index holds.
    probes: dict[str, tuple[tuple[float, float, float], ...]] | None = None
    # Keys this version does not know (written by a newer ictqa): kept, so
    # that reading and rewriting a manifest loses nothing.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format_version": self.format_version,
            "ictqa_version": self.ictqa_version,
            "built_at": self.built_at,
            "model": self.model.to_json(),
            "lexical": dict(self.lexical),
            "chunking": dict(self.chunking),
            "counts": dataclasses.asdict(self.counts),
            "documents": [dataclasses.asdict(d) for d in self.documents],
            "problems": [dataclasses.asdict(p) for p in self.problems],
        }
        if self.corpus_hash is not None:
            out["corpus_hash"] = self.corpus_hash
        out["sentence_vectors"] = self.sentence_vectors
        out["background"] = list(self.background)
        if self.glossary is not None:
            out["glossary"] = dataclasses.asdict(self.glossary)
        if self.faiss is not None:
            out["faiss"] = dict(self.faiss)
        if self.probes is not None:
            out["probes"] = {lang: [list(p) for p in rows] for lang, rows in self.probes.items()}
        return out | self.extra

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Manifest:
        """Read a manifest written by this or an earlier version (raises
        KeyError/TypeError/ValueError on a malformed one; the store turns that
        into a message)."""
        known = {f.name for f in dataclasses.fields(cls)}
        model = d["model"]
        counts = d.get("counts") or {}
        glossary = d.get("glossary")
        return cls(
            format_version=d["format_version"],
            ictqa_version=str(d.get("ictqa_version", "")),
            built_at=str(d.get("built_at", "")),
            model=ModelInfo(str(model["id"]), int(model["dimension"]), model.get("runtime")),
            lexical=dict(d.get("lexical") or {}),
            chunking=dict(d.get("chunking") or {}),
            counts=Counts(int(counts.get("documents", 0)), int(counts["chunks"])),
            documents=tuple(_document(x) for x in d.get("documents") or ()),
            problems=tuple(FileProblem(str(p["path"]), str(p["message"])) for p in d.get("problems") or ()),
            corpus_hash=d.get("corpus_hash"),
            sentence_vectors=d.get("sentence_vectors", SEPARATE),
            background=tuple(d.get("background") or ()),
            glossary=GlossaryInfo(str(glossary["source"]), int(glossary["glosses"])) if glossary else None,
            faiss=dict(d["faiss"]) if d.get("faiss") else None,
            probes={lang: tuple(_probe(r) for r in rows) for lang, rows in d["probes"].items()} if d.get("probes") else None,
            extra={k: v for k, v in d.items() if k not in known},
        )

    @property
    def editions(self) -> list[str]:
        """Edition labels of the indexed documents, sorted ("?" for unknown)."""
        return sorted({doc.edition or "?" for doc in self.documents})


def _probe(row: Sequence[Any]) -> tuple[float, float, float]:
    # (passage, background, coverage); a row without coverage counts as
    # full coverage, which only ever makes abstention more lenient.
    return float(row[0]), float(row[1]), float(row[2]) if len(row) > 2 else 1.0


def _document(d: dict[str, Any]) -> DocumentEntry:
    names = {f.name for f in dataclasses.fields(DocumentEntry)}
    return DocumentEntry(**{k: v for k, v in d.items() if k in names})


def check_compatible(manifest: Manifest, index_dir: Path, model_id: str | None = None) -> None:
    """Refuse an index this version cannot read or that another model built."""
    if manifest.format_version != FORMAT_VERSION:
        raise IctqaError(
            f"the index at {index_dir} has format version {manifest.format_version!r}, this ictqa reads version {FORMAT_VERSION}",
            fix=f"rebuild it: ictqa build --index {index_dir}",
        )
    built_with = manifest.model.id
    if model_id is not None and built_with != model_id:
        raise IctqaError(
            f"the index at {index_dir} was built with model {built_with!r}, not {model_id!r}",
            expected="questions to be encoded with the model that encoded the passages",
            fix=f"drop --model to use {built_with!r}, or rebuild: ictqa build --index {index_dir} --model {model_id}",
        )
