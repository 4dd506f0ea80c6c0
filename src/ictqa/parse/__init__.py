"""Find the heading tree of a 情報通信白書 text and cut it into sections.

Two dialects reach this package, and they break in different ways; each has
its parser (:mod:`.pdf_text`, :mod:`.web_text`), sharing the numbering rules
and the last freezing step (:mod:`.outline`) and the reflow of lines into
running text (:mod:`.reflow`).  Which dialect a text is in is the reader's
finding (:class:`~ictqa.documents.SourceText`), not guessed here.  Everything
in this package is a pure function of the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..documents import CHAPTER, Dialect, PageMap, Section, SourceText
from .outline import nfkc
from .pdf_text import PdfParser
from .web_text import WebParser

__all__ = ["ParsedText", "format_tree", "infer_chapter_number", "parse_document", "parse_sections", "parse_source"]


@dataclass(frozen=True)
class ParsedText:
    """A source cut into sections, with where its pages are and what the
    parser noticed on the way (tables of contents skipped, pages that did
    not align): the facts ``ictqa sections`` reports and the build logs."""

    sections: list[Section]
    pages: PageMap | None = None
    notes: tuple[str, ...] = ()
    pages_listed: int = 0  # pages in the file's page list
    pages_placed: int = 0  # of which found in the text (0 when the list does not align)
    problems: tuple[str, ...] = ()  # the notes a build log warns about (pages that do not align)


def parse_sections(text: str, dialect: Dialect, language: str = "ja", page_urls: Sequence[str] = ()) -> list[Section]:
    """Cut ``text`` (the decoded source file) into sections under its headings.

    Each :class:`Section` holds the blocks between its heading and the next
    heading of any level; its ``path`` runs from the outermost heading the
    file has (部, 章 or 節) down to its own.  Text before the first heading and
    (web text) the back matter after the last 節 come as sections with an
    empty path.  Block spans point into ``text``.  ``language`` is the text's
    ("en" changes how PDF paragraphs end).
    """
    if dialect == "pdf":
        return PdfParser(text, language).run()
    return WebParser(text, page_urls).run().sections


def parse_document(source: SourceText) -> ParsedText:
    """Parse ``source`` with the dialect, language and page list the reader
    found.  A PDF's pages are numbered; a web text's page list is placed in
    the text (:mod:`.pages`) to give each offset its MIC page address."""
    if source.dialect == "pdf":
        sections = PdfParser(source.text, source.language).run()
        pages = PageMap(source.page_starts, numbers=True) if source.page_starts else None
        return ParsedText(sections, pages)
    result = WebParser(source.text, source.page_urls).run()
    placed = result.alignment.placed if result.alignment is not None and result.pages is not None else 0
    return ParsedText(result.sections, result.pages, result.notes, len(source.page_urls), placed, result.problems)


def parse_source(source: SourceText) -> list[Section]:
    """:func:`parse_document`'s sections."""
    return parse_document(source).sections


# --------------------------------------------------------------------------
# Helpers for callers
# --------------------------------------------------------------------------
_FIGURE_IN_TEXT = re.compile(r"図表\s?(\d+)-\d+")


def infer_chapter_number(sections: Sequence[Section]) -> str | None:
    """The 章 a file belongs to when it has no 第N章 line: the first number of
    the figure ids it prints or cites (図表5-8-2-1 → "5"), by majority.

    None when the file has 第N章 headings of its own (a whole edition): its
    unheaded parts (a feature before 第1章, the data tables after the last
    節) belong to no chapter, and must not be cited as the majority one."""
    if any(s.heading(CHAPTER) is not None for s in sections):
        return None
    counts: Counter[str] = Counter()
    for section in sections:
        for block in section.blocks:
            if block.figure:
                m = _FIGURE_IN_TEXT.match(block.figure)
                if m:
                    counts[nfkc(m.group(1))] += 2  # a caption weighs more than a mention
            for m in _FIGURE_IN_TEXT.finditer(block.text):
                counts[nfkc(m.group(1))] += 1
    if not counts:
        return None
    return counts.most_common(1)[0][0]


def format_tree(sections: Sequence[Section]) -> str:
    """The heading tree, one heading a line, two spaces per level below the
    outermost heading of the file.  Unheaded sections are left out."""
    headed = [s for s in sections if s.path]
    if not headed:
        return ""
    top = min(len(s.path) for s in headed)
    return "\n".join("  " * (len(s.path) - top) + s.path[-1].text for s in headed)
