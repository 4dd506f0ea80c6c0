"""Sections → chunks, each carrying the citation a user pastes into a report.

A chunk never crosses a section boundary: a passage cited as "2(3)ア" must not
contain a sentence from "2(3)イ".  Prose is packed sentence by sentence up to
``max_chars``; a figure's text and a section's footnotes become chunks of their
own, so that figure fragments never dilute the prose around them but remain
searchable and citable by figure number.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .documents import CHAPTER, SECTION, Block, DocumentMeta, Heading, PageMap, Section
from .lexical import sentence_spans, word_ends

# 400 characters keeps a passage to a few sentences, enough for a citation to
# be specific, and well under the model's 512-token window (Japanese runs
# ~1.1 chars/token).  It was chosen when the first index was built and has
# not been re-measured since; `ictqa build --max-chars` changes it.
DEFAULT_MAX_CHARS = 400

# A passage shorter than this is no passage: a tail cut off a long sentence
# ("ている。"), a lone line.  It is joined to its neighbour in the same section
# (figures excepted: a figure's label is its own passage).  20 characters is
# under one short Japanese sentence; the seed section's shortest real
# sentence is 23.
MIN_PASSAGE = 20


def text_hash(text: str) -> str:
    """The cache key of an embedding (with the model id, which the index holds)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class ChunkParams:
    max_chars: int = DEFAULT_MAX_CHARS
    # A heading line is added to the embedded text: passages rarely repeat the
    # topic that their heading names ("APT", "DFFT"), and questions do.
    heading_context: bool = True


@dataclass(frozen=True)
class Citation:
    document: str
    edition: str | None
    chapter: str | None
    section: str | None
    path: tuple[str, ...]
    figure: str | None
    label: str
    char_start: int
    char_end: int
    page: int | None = None
    year: int | None = None
    # The MIC web page the passage was published on (…/html/nd258120.html),
    # where the file's page list places it; None where it is not known.
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = list(self.path)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Citation:
        return cls(**{**d, "path": tuple(d["path"])})


@dataclass(frozen=True)
class Chunk:
    id: str  # document#char_start: unique and stable while the file is unchanged
    kind: str  # text | figure | footnote
    text: str  # as displayed: the source's characters after reflow
    context: str  # the heading line prepended for embedding and BM25
    language: str
    citation: Citation

    @property
    def embed_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text

    @property
    def content_hash(self) -> str:
        """What an embedding depends on; unchanged text is never re-embedded."""
        return text_hash(self.embed_text)

    @property
    def sentences(self) -> list[str]:
        return [self.text[a:b] for a, b in sentence_spans(self.text)]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "context": self.context,
            "language": self.language,
            "content_hash": self.content_hash,
            "citation": self.citation.to_json(),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Chunk:
        return cls(
            id=d["id"],
            kind=d["kind"],
            text=d["text"],
            context=d["context"],
            language=d["language"],
            citation=Citation.from_json(d["citation"]),
        )


@dataclass(frozen=True)
class _Piece:
    """A sentence (or a slice of an over-long one) of one block."""

    block: Block
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.block.text[self.start : self.end]


def chunk_document(
    sections: Sequence[Section],
    meta: DocumentMeta,
    params: ChunkParams = ChunkParams(),
    pages: PageMap | None = None,
) -> list[Chunk]:
    """The chunks of a parsed file.  ``pages`` (the parser's
    :class:`~ictqa.documents.PageMap`) gives each chunk the page its first
    character lies on: a number for a PDF, a web address for MIC text."""
    chunks: list[Chunk] = []
    leads: dict[tuple[Heading, ...], str] = {}
    for i, section in enumerate(sections):
        lead = section_lead(section, sections[i + 1] if i + 1 < len(sections) else None)
        if lead is not None:
            # A heading's one-line lead (「－各国のIT政策と技術開発動向」, the
            # subtitles of 平成12–17年版) is no passage: it is read with the
            # heading, in the context of every passage under it.  Above the
            # first heading it is a part marker (「本編」, 平成22–24年版) and
            # names nothing.
            if section.path:
                leads[section.path] = lead
            section = dataclasses.replace(section, blocks=tuple(b for b in section.blocks if b.kind != "text"))
        chunks.extend(chunk_section(section, meta, params, pages, leads=leads))
    return chunks


def section_lead(section: Section, following: Section | None) -> str | None:
    """The section's prose when it is a lead: under :data:`MIN_PASSAGE`
    characters in all, with the next section one of its own sub-headings
    (so the lead introduces text that follows).  None otherwise."""
    prose = "\n".join(b.text.strip() for b in section.blocks if b.kind == "text" and b.text.strip())
    if not prose or len(prose) >= MIN_PASSAGE or following is None:
        return None
    n = len(section.path)
    if len(following.path) <= n or following.path[:n] != section.path:
        return None
    return prose


def chunk_section(
    section: Section,
    meta: DocumentMeta,
    params: ChunkParams = ChunkParams(),
    pages: PageMap | None = None,
    *,
    leads: Mapping[tuple[Heading, ...], str] | None = None,
) -> list[Chunk]:
    """The chunks of one section; ``leads`` are the one-line leads of the
    headings above it (:func:`section_lead`), added to its heading context."""
    out: list[Chunk] = []
    context = heading_context(section, leads or {}) if params.heading_context else ""
    prose = [b for b in section.blocks if b.kind == "text"]
    notes = [b for b in section.blocks if b.kind == "footnote"]
    text_groups = _merge_small(_pack(_pieces(prose, params.max_chars), params.max_chars))
    note_groups = _merge_small(_pack(_pieces(notes, params.max_chars), params.max_chars))
    if text_groups and len(note_groups) == 1 and _size(note_groups[0]) < MIN_PASSAGE:
        # One short footnote ("2　令和5年4月改訂") is no passage of its own:
        # it goes with the section's last paragraph, whose note it is.
        text_groups[-1] = text_groups[-1] + note_groups.pop()
    for group in text_groups:
        out.append(_make_chunk("text", group, section, meta, context, pages))
    for block in (b for b in section.blocks if b.kind == "figure"):
        for group in _merge_small(_pack(_pieces([block], params.max_chars), params.max_chars)):
            out.append(_make_chunk("figure", group, section, meta, context, pages))
    for group in note_groups:
        out.append(_make_chunk("footnote", group, section, meta, context, pages))
    return out


def _pieces(blocks: Iterable[Block], max_chars: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    for block in blocks:
        for a, b in sentence_spans(block.text) or []:
            # A "sentence" longer than a chunk (a table row run, a list with no
            # 。) is cut: better a cut sentence than a chunk the model
            # truncates silently.  It is cut after a 、 or between two words,
            # never inside one, and never so that a tail of a few characters
            # is left ("ている。").
            while b - a > max_chars:
                cut = _cut_point(block.text, a, b, max_chars)
                pieces.append(_Piece(block, a, cut))
                a = cut
            pieces.append(_Piece(block, a, b))
    return pieces


def _cut_point(text: str, start: int, end: int, max_chars: int) -> int:
    """Where to cut the run ``text[start:end]`` (longer than ``max_chars``):
    after the last 、 (or ，) in the second half of the allowed length, else
    where the last word there ends (fugashi), else after the last space;
    always leaving at least :data:`MIN_PASSAGE` characters after the cut."""
    hi = max(start + 1, min(start + max_chars, end - MIN_PASSAGE))
    lo = start + max(1, (hi - start) // 2)
    comma = max(text.rfind("、", lo, hi), text.rfind("，", lo, hi))
    if comma >= 0:
        return comma + 1
    ends = [start + e for e in word_ends(text[start:end]) if lo <= start + e <= hi]
    if ends:
        return ends[-1]
    space = text.rfind(" ", lo, hi)
    return space + 1 if space >= 0 else hi


def _pack(pieces: list[_Piece], max_chars: int) -> list[list[_Piece]]:
    groups: list[list[_Piece]] = []
    current: list[_Piece] = []
    size = 0
    for piece in pieces:
        n = len(piece.text)
        if current and size + n > max_chars:
            groups.append(current)
            current, size = [], 0
        current.append(piece)
        size += n
    if current:
        groups.append(current)
    return groups


def _merge_small(groups: list[list[_Piece]]) -> list[list[_Piece]]:
    """Groups of one section with a passage under :data:`MIN_PASSAGE`
    characters joined to a neighbour: the previous one, or the next when it
    is the first (so a passage may run a little over ``max_chars``)."""
    out: list[list[_Piece]] = []
    for group in groups:
        if out and (_size(group) < MIN_PASSAGE or _size(out[-1]) < MIN_PASSAGE):
            out[-1] = out[-1] + group
        else:
            out.append(group)
    return out


def _size(group: list[_Piece]) -> int:
    return sum(len(p.text) for p in group)


def _join(group: list[_Piece]) -> str:
    parts: list[str] = []
    prev: _Piece | None = None
    for piece in group:
        if prev is not None:
            # Sentences of one paragraph join as they stood; paragraphs
            # are kept apart by a line break.
            if piece.block is not prev.block:
                parts.append("\n")
            elif prev.end < piece.start:
                parts.append(prev.block.text[prev.end : piece.start])
        parts.append(piece.text)
        prev = piece
    return "".join(parts)


def _make_chunk(
    kind: str, group: list[_Piece], section: Section, meta: DocumentMeta, context: str, pages: PageMap | None
) -> Chunk:
    first, last = group[0], group[-1]
    char_start = first.block.source_offset(first.start)
    # One past the last character, not the start of the next one: reflow may
    # have dropped a line break in between.
    char_end = last.block.source_offset(last.end - 1) + 1
    figure = next((p.block.figure for p in group if p.block.figure), None)
    page, url = pages.at(char_start) if pages is not None else (None, None)
    citation = make_citation(section, meta, figure=figure, page=page, url=url, char_start=char_start, char_end=char_end)
    return Chunk(
        id=f"{meta.document}#{char_start}",
        kind=kind,
        text=_join(group),
        context=context,
        language=meta.language,
        citation=citation,
    )


def heading_context(section: Section, leads: Mapping[tuple[Heading, ...], str]) -> str:
    """The heading line embedded with a section's passages: the titles from
    節 down ("ICT国際戦略の推進 › 基幹通信インフラ"), each followed by its
    lead where it has one."""
    parts: list[str] = []
    for k, h in enumerate(section.path):
        if h.level >= SECTION and h.title:
            parts.append(h.title)
        lead = leads.get(section.path[: k + 1])
        if lead:
            parts.append(lead)
    return " › ".join(parts)


def make_citation(
    section: Section,
    meta: DocumentMeta,
    *,
    figure: str | None = None,
    page: int | None = None,
    url: str | None = None,
    char_start: int = 0,
    char_end: int = 0,
) -> Citation:
    chapter_h = section.heading(CHAPTER)
    if chapter_h is None and meta.chapter_number:
        chapter_h = Heading(CHAPTER, meta.chapter_number, meta.chapter_title or "")
    section_h = section.heading(SECTION)
    items = section.item_path
    return Citation(
        document=meta.document,
        edition=meta.edition,
        chapter=chapter_h.text.strip() if chapter_h else None,
        section=section_h.text if section_h else None,
        path=tuple(h.text for h in items),
        figure=figure,
        label=citation_label(meta.edition, chapter_h, section_h, items, figure=figure, page=page),
        char_start=char_start,
        char_end=char_end,
        page=page,
        year=meta.year,
        url=url,
    )


def citation_label(
    edition: str | None,
    chapter: Heading | None,
    section: Heading | None,
    items: Sequence[Heading],
    *,
    figure: str | None = None,
    page: int | None = None,
) -> str:
    """The copy-ready label, e.g. 令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹通信インフラ."""
    parts: list[str] = []
    if edition:
        parts.append(edition)
    where = ""
    named = None  # a title already written in place of a number (はじめに)
    if chapter:
        # 第5章, 序章; an unnumbered one (はじめに) by its title
        if chapter.number or chapter.printed:
            where += chapter.marker
        else:
            where += chapter.title
            named = chapter
    if section:
        # 第8節, 補論, 序節; an unnumbered one (はじめに) by its title
        if section.number.isdigit() or section.printed:
            where += section.marker
        else:
            where += section.title
            named = section
    if where:
        parts.append(where)
    if items:
        parts.append("".join(h.label_number for h in items))
        parts.append(items[-1].title)
    elif section and named is not section:
        parts.append(section.title)
    elif chapter and not section and named is not chapter:
        parts.append(chapter.title)
    if figure:
        parts.append(figure)
    if page:
        parts.append(f"p.{page}")
    return " ".join(p for p in parts if p)
