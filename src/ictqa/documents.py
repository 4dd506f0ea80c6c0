"""The shapes text takes on its way from a file to a citation.

files → :class:`SourceText` → (parser) → :class:`Section` s of :class:`Block` s →
(chunker) → chunks.  Everything here is a frozen value: the parser and the
chunker are pure functions over these, and only ingest and the index store do I/O.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

SourceKind = Literal["text", "pdf", "html"]
# The heading layout of a text (see ictqa.parse): "pdf" for text extracted
# from the printed PDF, "web" for MIC's テキスト版 and HTML pages.
Dialect = Literal["pdf", "web"]


@dataclass(frozen=True)
class SourceText:
    """A file's text as the parser sees it, with what the reader learnt about it.

    ``text`` has "\\n" newlines and the source's own characters (no NFKC), so
    every offset into it is a stable citation anchor.  ``page_starts[i]`` is
    where page ``i + 1`` starts in ``text`` (PDF only).  ``page_urls`` lists,
    in order, the MIC web pages a joined テキスト版 file was made from (its
    ``<stem>_source_urls.txt`` sidecar); where each of them starts in the
    text is worked out by the parser (:mod:`ictqa.parse.pages`), not here.
    ``language`` and ``dialect`` are decided once by the reader
    (ictqa.ingest) and used as given by everything downstream."""

    path: Path
    text: str
    encoding: str  # codec the bytes were decoded with ("utf-8", "cp932", ...), or "pdf"
    sha256: str  # of the raw bytes
    page_starts: tuple[int, ...] = ()
    kind: SourceKind = "text"
    language: str = "ja"
    dialect: Dialect = "web"
    page_urls: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """1-based page holding character ``offset``, or None for non-PDF text."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset) or None


# Heading levels of a 情報通信白書.  The numbers leave room so that a level can
# be compared with ``<`` whatever the style of the source (PDF or MIC web text).
PART = 1  # 第1部
CHAPTER = 2  # 第5章
SECTION = 3  # 第8節
ITEM = 4  # 1 概要            (web text: 1　概要)
SUBITEM = 5  # 1 これまでの取組  (web text: （1）これまでの取組)
KANA = 6  # ア 基幹通信インフラ
SUBKANA = 7  # （ア）消防分野
# A 政策フォーカス or コラム box.  It sits under a 章/節 but outside the
# numbered outline (its own headings restart at 1), so its value is not
# between SECTION and ITEM: order a path by position, not by level, once a box
# is in it.  ``number`` is the box kind ("政策フォーカス", "コラム1").
BOX = 8

BlockKind = Literal["text", "figure", "footnote"]


@dataclass(frozen=True)
class Heading:
    """One heading as printed: ``level`` from the constants above, ``number``
    NFKC-normalised without brackets ("1", "ア", "8"), ``title`` as printed.

    ``printed`` is the number as the text prints it when that is not the
    level's usual form: "(3)" or "（3）" with the brackets kept, the "1)"
    and "(i)" of the 2000–2006 editions, "[2]", "序節", "補論".  ``inferred``
    marks a heading the body does not print (a 第1章 line missing from the
    web text, every 章 and 節 of 平成12年版): its level and number come
    from the numbering, the figure ids or the page codes, and its title from
    the file's own 目次 or 図表索引, or is empty -- never invented."""

    level: int
    number: str
    title: str
    inferred: bool = False
    printed: str = ""

    @property
    def marker(self) -> str:
        """The number with its brackets as a reader writes it: 第8節, （1）, ア."""
        if self.printed:
            return self.printed
        if not self.number:
            return ""
        if self.level == CHAPTER and self.number == "0":  # 序章: its figures are 図表0-…
            return "序章"
        if self.level == PART:
            return f"第{self.number}部"
        if self.level == CHAPTER:
            return f"第{self.number}章"
        if self.level == SECTION:
            return f"第{self.number}節"
        if self.level in (SUBITEM, SUBKANA):
            return f"（{self.number}）"
        return self.number

    @property
    def text(self) -> str:
        """The heading as a reader would write it in a table of contents;
        a bracketed number is kept as printed ("（1）これまでの取組"), so
        that （1） and 1 never read the same."""
        if not self.number and not self.printed:  # はじめに and other unnumbered headings
            return self.title
        if self.level == BOX:
            return f"{self.number}「{self.title}」" if self.title else self.number
        marker = self.marker
        if not self.title:
            return marker
        # No space after a closing bracket, as the white papers print it.
        sep = "" if marker.endswith(("）", ")", "]")) else " "
        return f"{marker}{sep}{self.title}"

    @property
    def label_number(self) -> str:
        """How this level is written inside a compact citation, e.g. 2(3)ア."""
        if self.printed and self.printed.endswith(")") and not self.printed.startswith("("):
            return self.printed  # 1) of the 2000-2006 editions
        if self.printed.startswith(("(", "（", "[")):
            return self.printed.replace("（", "(").replace("）", ")")
        if self.level in (SUBITEM, SUBKANA):
            return f"({self.number})"
        return self.number


@dataclass(frozen=True)
class Span:
    """A run of ``length`` characters that sit at ``text_start`` in a block's
    reflowed text and at ``source_start`` in the decoded source file.  Reflow
    only ever deletes characters between runs, so a list of runs maps every
    character back to the file without storing one offset per character."""

    text_start: int
    source_start: int
    length: int


@dataclass(frozen=True)
class Block:
    """A paragraph, a figure's text or a footnote, already reflowed.

    ``text`` keeps the source's own characters (no NFKC); ``spans`` maps it back
    to the source.  ``figure`` is the figure id (``図表5-8-2-1``) for figure
    blocks and for captions."""

    kind: BlockKind
    text: str
    spans: tuple[Span, ...]
    figure: str | None = None

    def source_offset(self, i: int) -> int:
        """Offset in the source file of character ``i`` of ``text``
        (``i == len(text)`` gives the end of the last character)."""
        if not self.spans:
            return 0
        if i >= len(self.text):
            last = self.spans[-1]
            return last.source_start + last.length
        lo, hi = 0, len(self.spans) - 1
        while lo < hi:  # last span whose text_start <= i
            mid = (lo + hi + 1) // 2
            if self.spans[mid].text_start <= i:
                lo = mid
            else:
                hi = mid - 1
        span = self.spans[lo]
        return span.source_start + min(i - span.text_start, max(span.length - 1, 0))


@dataclass(frozen=True)
class Section:
    """The text under one heading, up to the next heading of any level.

    ``path`` runs from the outermost heading found in the file (部, 章 or 節)
    down to this one; a section never contains another heading's text."""

    path: tuple[Heading, ...]
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    # Where the section's heading starts in the source (where the page
    # starts for an inferred heading); None where not known.
    start: int | None = None

    def heading(self, level: int) -> Heading | None:
        return next((h for h in self.path if h.level == level), None)

    @property
    def item_path(self) -> tuple[Heading, ...]:
        """The headings below 節 ("1 概要", "1 これまでの取組", ...)."""
        return tuple(h for h in self.path if h.level > SECTION)


@dataclass(frozen=True)
class PageMap:
    """Where the pages of a source start, and what each is called.

    A page is a page whether it has a number (a PDF's page ``i + 1``) or an
    address (the MIC web page a テキスト版 file was joined from).  ``starts``
    are ascending offsets into the source text; ``urls[i]`` is page ``i``'s
    address (None where it is not known); ``numbers`` is true for a PDF,
    whose pages are cited by number.  An offset before the first start, or
    in a stretch whose page could not be told (``urls[i] is None``), has no
    page."""

    starts: tuple[int, ...]
    urls: tuple[str | None, ...] = ()
    numbers: bool = False

    def at(self, offset: int) -> tuple[int | None, str | None]:
        """(page number, page address) of the page holding ``offset``."""
        i = bisect.bisect_right(self.starts, offset) - 1
        if i < 0:
            return None, None
        number = i + 1 if self.numbers else None
        url = self.urls[i] if i < len(self.urls) else None
        return number, url


@dataclass(frozen=True)
class DocumentMeta:
    """What a sidecar (or detection from name and text) says about a file."""

    document: str  # stable id, the file name relative to the corpus root
    edition: str | None = None  # 令和5年版 情報通信白書
    year: int | None = None  # 2023
    language: str = "ja"
    chapter_number: str | None = None  # used when the file itself has no 第N章 line
    chapter_title: str | None = None
    section: str | None = None  # "第8節 ICT国際戦略の推進", for a file that holds one 節
    source: str | None = None  # URL of the original
    licence: str | None = None
    attribution: str | None = None
