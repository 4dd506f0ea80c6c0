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
class AnswerSpan:
    """The shortest span of the highlighted sentence that answers: a number
    with its unit, a date, a name (offsets into the result's ``text``)."""

    start: int
    end: int
    text: str
    kind: str | None = None  # quantity | date | person | place | name

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "kind": self.kind}


@dataclass(frozen=True)
class Highlight:
    """The sentence (for a figure: the line) that best answers the question,
    as offsets into the result's ``text``, and the answer span inside it."""

    start: int
    end: int
    text: str
    answer: AnswerSpan | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "answer": self.answer.to_json() if self.answer else None,
        }


@dataclass(frozen=True)
class TermSpan:
    """Where the Japanese word of one of an English question's translated
    terms stands in the result's ``text`` (the English reading aid)."""

    start: int
    end: int
    english: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "english": self.english}


@dataclass(frozen=True)
class Result:
    rank: int
    score: float
    chunk: Chunk
    highlight: Highlight | None = None
    dense: float = 0.0  # cosine of question and passage
    lexical: float = 0.0  # BM25, scaled to [0, 1] within the candidates
    term_spans: tuple[TermSpan, ...] = ()

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
            "term_spans": [t.to_json() for t in self.term_spans],
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

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "query": self.query,
            "answerable": self.answerable,
            "mode": self.mode,
            "notices": list(self.notices),
            "translated_terms": [{"english": t.english, "japanese": list(t.japanese)} for t in self.translated],
            "results": [r.to_json() for r in self.results],
        }
