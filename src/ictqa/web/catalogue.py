"""What an index holds, for programs: its editions, its chapters, and a
passage looked up by id with its neighbours in the same section.

Shared by the HTTP API (:mod:`.api`: ``/api/info``, ``/api/passage``) and the
MCP server (:mod:`.mcp_tools`: ``list_editions``, ``get_passage``), so both
describe the index the same way.  Pure: built once from the searcher's chunks
and manifest, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..chunks import Chunk
from ..errors import IctqaError
from ..index import Manifest

# A passage's neighbours on each side returned by default: enough to read the
# sentence before a quoted one, small enough to keep an assistant's context
# short.  get_passage takes up to MAX_NEIGHBOURS.
DEFAULT_NEIGHBOURS = 1
MAX_NEIGHBOURS = 10


def cited(chunk: Chunk) -> dict[str, Any]:
    """A passage as programs quote it: the citation label first, the page
    address where the index knows it (``citation.url``; None in indexes
    without it), the text and the full citation."""
    citation = chunk.citation.to_json()
    return {
        "chunk_id": chunk.id,
        "label": chunk.citation.label,
        "url": citation.get("url"),
        "page": chunk.citation.page,
        "kind": chunk.kind,
        "text": chunk.text,
        "citation": citation,
    }


@dataclass(frozen=True)
class EditionInfo:
    edition: str | None  # the label, e.g. 令和5年版 情報通信白書 (None: not detected)
    year: int | None
    documents: int
    passages: int
    chapters: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "edition": self.edition,
            "year": self.year,
            "documents": self.documents,
            "passages": self.passages,
            "chapters": list(self.chapters),
        }


class Catalogue:
    """The index's contents by edition and by passage id (built once)."""

    def __init__(self, chunks: Sequence[Chunk], manifest: Manifest) -> None:
        self.manifest = manifest
        self._chunks = list(chunks)
        self._row = {c.id: i for i, c in enumerate(self._chunks)}
        # A section is one heading path of one document: the unit a chunk
        # never crosses (ictqa.chunks), so "neighbours" never leak into the
        # next 2(3)イ.
        sections: dict[tuple, list[int]] = defaultdict(list)
        for i, c in enumerate(self._chunks):
            sections[_section_key(c)].append(i)
        self._section: dict[int, list[int]] = {}
        for rows in sections.values():
            rows.sort(key=lambda i: self._chunks[i].citation.char_start)
            for i in rows:
                self._section[i] = rows
        self.editions = _editions(self._chunks, manifest)
        # What a search's edition filter accepts (Searcher._edition_mask):
        # an edition label or its year.
        self._edition_names = {e.edition for e in self.editions if e.edition} | {
            str(e.year) for e in self.editions if e.year is not None
        }
        self.chapters = sorted({c.citation.chapter for c in self._chunks if c.citation.chapter})

    def check_editions(self, editions: Iterable[str | int] | None) -> list[str] | None:
        """The requested editions, stripped (None: all), or an IctqaError
        naming the first one the index does not hold.  Stricter than the
        searcher, which answers from the editions it has when only some are
        missing: a program asking for 2008 and 2023 should learn that 2008
        is not there rather than get 2023 alone."""
        wanted = [str(e).strip() for e in editions or () if str(e).strip()]
        missing = [e for e in wanted if e not in self._edition_names]
        if missing:
            years = sorted(str(e.year) for e in self.editions if e.year is not None)
            labels = sorted(e.edition for e in self.editions if e.edition)
            raise IctqaError(
                f"no passages of edition {', '.join(missing)} in this index",
                expected="one of: " + ", ".join(years + labels) if years or labels else "an edition the index holds",
                fix="choose an edition the index holds (GET /api/info or list_editions lists them), "
                "or add that white paper with ictqa build",
            )
        return wanted or None

    def check_chapters(self, chapters: Iterable[str] | None) -> list[str] | None:
        wanted = [str(c).strip() for c in chapters or () if str(c).strip()]
        known = set(self.chapters)
        missing = [c for c in wanted if c not in known]
        if missing:
            raise IctqaError(
                f"no passages of chapter {', '.join(missing)} in this index",
                expected="a chapter exactly as GET /api/info lists it, e.g. "
                + (self.chapters[0] if self.chapters else "第1章 …"),
                fix="copy the chapter name from GET /api/info",
            )
        return wanted or None

    def passage(self, chunk_id: str, neighbours: int = DEFAULT_NEIGHBOURS) -> dict[str, Any]:
        """The passage ``chunk_id`` (as search results give it) with up to
        ``neighbours`` passages before and after it in the same section."""
        if not isinstance(neighbours, int) or not 0 <= neighbours <= MAX_NEIGHBOURS:
            raise IctqaError(
                f"neighbours is {neighbours!r}",
                expected=f"a whole number from 0 to {MAX_NEIGHBOURS}",
            )
        row = self._row.get(str(chunk_id).strip())
        if row is None:
            example = self._chunks[0].id if self._chunks else "000_589c5af6fc00dccb.txt#5259"
            raise IctqaError(
                f"no passage with id {str(chunk_id)[:80]!r} in this index",
                expected=f"a chunk_id as a search result gives it (document#offset, e.g. {example})",
                fix="search first and pass a result's chunk_id; ids change when a document is rebuilt with different text",
            )
        rows = self._section[row]
        at = rows.index(row)
        before = [cited(self._chunks[i]) for i in rows[max(0, at - neighbours) : at]]
        after = [cited(self._chunks[i]) for i in rows[at + 1 : at + 1 + neighbours]]
        return cited(self._chunks[row]) | {
            "section_passages": len(rows),
            "position": at + 1,
            "before": before,
            "after": after,
        }

    def info(self) -> dict[str, Any]:
        """What ``GET /api/info`` returns about the index (not its limits)."""
        m = self.manifest
        return {
            "ictqa_version": __version__,
            "index": {
                "built_at": m.built_at,
                "built_by": m.ictqa_version,
                "format_version": m.format_version,
                "model": m.model.to_json(),
                "documents": m.counts.documents,
                "passages": m.counts.chunks,
            },
            "editions": [e.to_json() for e in self.editions],
            "chapters": list(self.chapters),
            "documents": [
                {
                    "document": d.document,
                    "edition": d.edition,
                    "year": d.year,
                    "language": d.language,
                    "sections": d.sections,
                    "passages": d.chunks,
                    "source": d.source,
                    "licence": d.licence,
                    "attribution": d.attribution,
                }
                for d in m.documents
            ],
        }


def _section_key(c: Chunk) -> tuple:
    cit = c.citation
    return (cit.document, cit.chapter, cit.section, cit.path)


def _editions(chunks: Sequence[Chunk], manifest: Manifest) -> tuple[EditionInfo, ...]:
    """Editions oldest first (unknown year last), from the chunks (what a
    search can filter on) and the manifest (how many files each came from)."""
    passages: dict[tuple[str | None, int | None], int] = defaultdict(int)
    chapters: dict[tuple[str | None, int | None], set[str]] = defaultdict(set)
    for c in chunks:
        key = (c.citation.edition, c.citation.year)
        passages[key] += 1
        if c.citation.chapter:
            chapters[key].add(c.citation.chapter)
    documents: dict[tuple[str | None, int | None], int] = defaultdict(int)
    for d in manifest.documents:
        documents[(d.edition, d.year)] += 1
    keys = sorted(passages, key=lambda k: (k[1] is None, k[1] or 0, k[0] or ""))
    return tuple(EditionInfo(k[0], k[1], documents.get(k, 0), passages[k], tuple(sorted(chapters[k]))) for k in keys)
