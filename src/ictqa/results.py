"""What a search returns: small frozen values with a stable JSON form.

The JSON is a contract other tools parse (``ictqa ask --json``, ``ictqa batch``,
the web API): keys may be added, never removed or renamed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .chunks import Chunk, Citation
from .glossary import Term

# The ways a citation can be copied (``citation.formats`` in the JSON,
# ``ictqa ask --cite FORMAT``, the web form's Copy menu).
CITE_FORMATS: tuple[str, ...] = ("plain", "link", "markdown", "japanese")
# MIC (総務省) was formed in January 2001; the 2000 white paper (通信白書)
# was published by the Ministry of Posts and Telecommunications.
_MIC_FROM_YEAR = 2001


def citation_formats(c: Citation) -> dict[str, str]:
    """Every copyable form of a citation (pure), by :data:`CITE_FORMATS` name:

    * ``plain``: the label, 令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹通信インフラ;
    * ``link``: the label and the page's address where the index knows it;
    * ``markdown``: the label as a Markdown link (or escaped text without one);
    * ``japanese``: a Japanese bibliographic reference,
      総務省『令和5年版 情報通信白書』第5章第8節 2(3)ア, 2023年.

    The edition's title is the citation's own (通信白書 for 2000), never
    assumed."""
    url = c.url or None
    label = c.label
    md = "".join("\\" + ch if ch in "\\[]*_`<>" else ch for ch in label)
    out = {
        "plain": label,
        "link": f"{label} {url}" if url else label,
        "markdown": f"[{md}]({url})" if url else md,
    }
    parts = []
    if c.edition:
        publisher = "郵政省" if c.year is not None and c.year < _MIC_FROM_YEAR else "総務省"
        parts.append(f"{publisher}『{c.edition}』")
    where = " ".join(x for x in (citation_address(c), c.figure) if x)
    ref = "".join(parts) + where
    if c.page:
        ref += f", p.{c.page}"
    if c.year:
        ref += f", {c.year}年"
    out["japanese"] = ref or label
    return out


_HEADING_NUMBER = re.compile(r"^(?:第[0-9０-９]+[章節部]\s*|[0-9０-９]+\s+|[（(][^）)]{1,3}[）)]\s*|[ア-ンｱ-ﾝ]\s+)")


def citation_address(c: Citation) -> str:
    """Where in the edition a passage is, without the edition or the
    heading's title: 第5章第8節 2(3)ア (from the label, which the chunker
    builds as edition, address, title, figure, page)."""
    rest = c.label
    if c.edition and rest.startswith(c.edition):
        rest = rest[len(c.edition) :].strip()
    if c.page and rest.endswith(f"p.{c.page}"):
        rest = rest[: -len(f"p.{c.page}")].strip()
    if c.figure and rest.endswith(c.figure):
        rest = rest[: -len(c.figure)].strip()
    # The title is the last heading's text without its number (1 概要,
    # （1）概要, ア 概要, 第8節 概要), or failing that the longest ending of
    # that text the label ends with after a space.
    heading = c.path[-1] if c.path else c.section or c.chapter or ""
    title = _HEADING_NUMBER.sub("", heading, count=1).strip()
    if title and rest.endswith(" " + title):
        return rest[: -len(title) - 1].strip()
    for k in range(len(heading)):
        title = heading[k:].strip()
        if title and rest.endswith(" " + title):
            return rest[: -len(title) - 1].strip()
    return rest


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
    term_spans: tuple[TermSpan, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(float(self.score), 4),
            "text": self.chunk.text,
            "citation": {**self.chunk.citation.to_json(), "formats": citation_formats(self.chunk.citation)},
            "highlight": self.highlight.to_json() if self.highlight else None,
            "kind": self.chunk.kind,
            "language": self.chunk.language,
            "chunk_id": self.chunk.id,
            "also_in": [a.to_json() for a in self.also_in],
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
