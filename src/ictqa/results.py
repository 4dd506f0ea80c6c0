"""What a search returns: small frozen values with a stable JSON form.

The JSON is a contract other tools parse (``ictqa ask --json``, ``ictqa batch``,
the web API): keys may be added, never removed or renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .chunks import Chunk
from .glossary import Term


@dataclass(frozen=True)
class Highlight:
    """The sentence(s) that best answer the question, as offsets into the
    result's ``text``."""

    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class AlsoIn:
    """Another edition's passage with (nearly) the same text as a result."""

    year: int | None
    label: str
    chunk_id: str

    def to_json(self) -> dict[str, Any]:
        return {"year": self.year, "label": self.label, "chunk_id": self.chunk_id}


@dataclass(frozen=True)
class DetectedEdition:
    """An edition the question named, as read and as used: ``use`` is
    "restrict", "boost" or "first"; ``applied`` is False when the search did
    not follow it (a filter was given, or the index lacks that edition)."""

    year: int | None
    read_as: str
    use: str
    applied: bool

    def to_json(self) -> dict[str, Any]:
        return {"year": self.year, "read_as": self.read_as, "use": self.use, "applied": self.applied}


@dataclass(frozen=True)
class Result:
    rank: int
    score: float
    chunk: Chunk
    highlight: Highlight | None = None
    dense: float = 0.0  # cosine of question and passage
    lexical: float = 0.0  # BM25, scaled to [0, 1] within the candidates
    # Passages of other editions repeating this one's text, oldest first.
    also_in: tuple[AlsoIn, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(float(self.score), 4),
            "text": self.chunk.text,
            "citation": self.chunk.citation.to_json(),
            "highlight": self.highlight.to_json() if self.highlight else None,
            "kind": self.chunk.kind,
            "language": self.chunk.language,
            "chunk_id": self.chunk.id,
            "also_in": [a.to_json() for a in self.also_in],
        }


@dataclass(frozen=True)
class Response:
    query: str
    results: tuple[Result, ...]
    answerable: bool
    id: str | None = None
    mode: str = "hybrid"
    notices: tuple[str, ...] = field(default_factory=tuple)
    # English questions: the terms translated to Japanese and searched as well.
    translated: tuple[Term, ...] = field(default_factory=tuple)
    editions_detected: tuple[DetectedEdition, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "query": self.query,
            "answerable": self.answerable,
            "mode": self.mode,
            "notices": list(self.notices),
            "translated_terms": [{"english": t.english, "japanese": list(t.japanese)} for t in self.translated],
            "editions_detected": [e.to_json() for e in self.editions_detected],
            "results": [r.to_json() for r in self.results],
        }


@dataclass(frozen=True)
class TimelineEdition:
    """One edition's row of a timeline: how many of its passages mention the
    topic, and the best of them."""

    year: int
    edition: str
    matches: int
    results: tuple[Result, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "edition": self.edition,
            "matches": self.matches,
            "results": [r.to_json() for r in self.results],
        }


@dataclass(frozen=True)
class Timeline:
    """A topic followed across the editions of an index, oldest first.
    ``method`` says how a passage was judged to mention it: "lexical" (its
    terms occur in the passage) or "dense" (no term could be read from the
    question; passages close enough to it in meaning)."""

    query: str
    editions: tuple[TimelineEdition, ...]
    terms: tuple[str, ...] = ()
    method: str = "lexical"

    @property
    def first(self) -> Result | None:
        """The best passage of the earliest edition that mentions the topic."""
        row = next((e for e in self.editions if e.matches and e.results), None)
        return row.results[0] if row else None

    def to_json(self) -> dict[str, Any]:
        first = self.first
        return {
            "query": self.query,
            "terms": list(self.terms),
            "method": self.method,
            "first": None
            if first is None
            else {"year": first.chunk.citation.year, "label": first.chunk.citation.label, "chunk_id": first.chunk.id},
            "editions": [e.to_json() for e in self.editions],
        }
