"""Sections → chunks, each carrying the citation a user pastes into a report.

A chunk never crosses a section boundary: a passage cited as "2(3)ア" must not
contain a sentence from "2(3)イ".  Prose is packed sentence by sentence up to
``max_chars``; a figure's text and a section's footnotes become chunks of their
own, so that figure fragments never dilute the prose around them but remain
searchable and citable by figure number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .documents import CHAPTER, SECTION, Block, DocumentMeta, Heading, Section
from .lexical import sentence_spans

# 400 characters keeps a passage to a few sentences, enough for a citation to
# be specific, and well under the model's 512-token window (Japanese runs
# ~1.1 chars/token).  It was chosen when the first index was built and has
# not been re-measured since; `ictqa build --max-chars` changes it.
DEFAULT_MAX_CHARS = 400

# Offset in the source file → the page it lies on (PDF), or None.
PageAt = Callable[[int], int | None]


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
    page_at: PageAt | None = None,
) -> list[Chunk]:
    """The chunks of a parsed file.  ``page_at`` (the reader's
    :meth:`~ictqa.documents.SourceText.page_at`, PDF only) gives each chunk
    the page its first character lies on."""
    chunks: list[Chunk] = []
    for section in sections:
        chunks.extend(chunk_section(section, meta, params, page_at))
    return chunks


def chunk_section(
    section: Section, meta: DocumentMeta, params: ChunkParams = ChunkParams(), page_at: PageAt | None = None
) -> list[Chunk]:
    out: list[Chunk] = []
    prose = [b for b in section.blocks if b.kind == "text"]
    for group in _pack(_pieces(prose, params.max_chars), params.max_chars):
        out.append(_make_chunk("text", group, section, meta, params, page_at))
    for block in (b for b in section.blocks if b.kind == "figure"):
        for group in _pack(_pieces([block], params.max_chars), params.max_chars):
            out.append(_make_chunk("figure", group, section, meta, params, page_at))
    notes = [b for b in section.blocks if b.kind == "footnote"]
    for group in _pack(_pieces(notes, params.max_chars), params.max_chars):
        out.append(_make_chunk("footnote", group, section, meta, params, page_at))
    return out


def _pieces(blocks: Iterable[Block], max_chars: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    for block in blocks:
        for a, b in sentence_spans(block.text) or []:
            # A "sentence" longer than a chunk (a table row run, a list with no
            # 。) is cut at max_chars: better a cut sentence than a chunk the
            # model truncates silently.
            while b - a > max_chars:
                cut = _cut_point(block.text, a, a + max_chars)
                pieces.append(_Piece(block, a, cut))
                a = cut
            pieces.append(_Piece(block, a, b))
    return pieces


def _cut_point(text: str, start: int, limit: int) -> int:
    """Where to cut an over-long run: at the last space before ``limit`` when
    there is one in its second half (Latin text), else at ``limit``."""
    space = text.rfind(" ", start + (limit - start) // 2, limit)
    return space + 1 if space > start else limit


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
    kind: str, group: list[_Piece], section: Section, meta: DocumentMeta, params: ChunkParams, page_at: PageAt | None
) -> Chunk:
    first, last = group[0], group[-1]
    char_start = first.block.source_offset(first.start)
    # One past the last character, not the start of the next one: reflow may
    # have dropped a line break in between.
    char_end = last.block.source_offset(last.end - 1) + 1
    figure = next((p.block.figure for p in group if p.block.figure), None)
    page = page_at(char_start) if page_at is not None else None
    citation = make_citation(section, meta, figure=figure, page=page, char_start=char_start, char_end=char_end)
    context = ""
    if params.heading_context:
        titles = [h.title for h in section.path if h.level >= SECTION]
        context = " › ".join(titles)
    return Chunk(
        id=f"{meta.document}#{char_start}",
        kind=kind,
        text=_join(group),
        context=context,
        language=meta.language,
        citation=citation,
    )


def make_citation(
    section: Section,
    meta: DocumentMeta,
    *,
    figure: str | None = None,
    page: int | None = None,
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
    if chapter:
        where += f"第{chapter.number}章"
    if section:
        where += f"第{section.number}節"
    if where:
        parts.append(where)
    if items:
        parts.append("".join(h.label_number for h in items))
        parts.append(items[-1].title)
    elif section:
        parts.append(section.title)
    elif chapter:
        parts.append(chapter.title)
    if figure:
        parts.append(figure)
    if page:
        parts.append(f"p.{page}")
    return " ".join(p for p in parts if p)
