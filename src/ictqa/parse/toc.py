"""Tables of contents inside a web text, read only for the names they give.

A joined テキスト版 file may carry a table of contents: the ポイント page at
the start (平成25・26・28年版), the site's navigation with the whole 目次
pasted into a page (平成27年版, 令和2年版), the 図表索引 at the end (平成29年版
on).  None of its lines is a heading of the body.  But the body never prints
its 部 headings in most editions since 平成21年版, and sometimes not a 節
(令和2年版 第4章第1節) or はじめに; when such a heading is inferred, its title
is the one the file's own table of contents gives -- never an invented one.

Pure functions of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .outline import lines, nfkc

_PART = re.compile(r"第(?P<n>[0-9０-９]{1,2})部[\u3000 ]+(?P<title>\S.*?)$")
_CHAPTER = re.compile(r"(?:第(?P<n>[0-9０-９]{1,2})章|(?P<jo>序章))[\u3000 ]+(?P<title>\S.*?)$")
_SECTION = re.compile(r"第(?P<n>[0-9０-９]{1,2})節[\u3000 ]+(?P<title>\S.*?)$")
_FRONT = re.compile(r"(?P<title>はじめに|導入文)$")
# What a navigation line appends to a title: its PDF link.
_PDF_LINK = re.compile(r"[\u3000 ]*[（(][\u3000 ]?PDFファイル.*$")


@dataclass
class Contents:
    """Names a file's tables of contents give (first one in the file wins)."""

    parts: dict[str, str] = field(default_factory=dict)  # 部 number → title
    part_of: dict[str, str] = field(default_factory=dict)  # 章 number → 部 number
    chapters: dict[str, str] = field(default_factory=dict)  # 章 number ("0" = 序章) → title
    sections: dict[tuple[str, str], str] = field(default_factory=dict)  # (章, 節) → title
    front: dict[str, str] = field(default_factory=dict)  # 部 number ("" = none) → はじめに / 導入文 before its first 章

    def add(self, text: str, regions: Iterable[tuple[int, int]]) -> None:
        """Read the table-of-contents lines of ``text`` in ``regions``."""
        for start, end in regions:
            part = ""
            chapter = ""
            for frag in lines(text, start, end):
                for piece in re.split(r"[ \t\u3000]{2,}|\t", frag.text.strip()):
                    piece = _PDF_LINK.sub("", piece.strip())
                    if not piece:
                        continue
                    m = _PART.match(piece)
                    if m:
                        part = nfkc(m["n"])
                        chapter = ""
                        self.parts.setdefault(part, m["title"].strip())
                        continue
                    m = _CHAPTER.match(piece)
                    if m:
                        chapter = "0" if m["jo"] else nfkc(m["n"])
                        self.chapters.setdefault(chapter, m["title"].strip())
                        if part:
                            self.part_of.setdefault(chapter, part)
                        continue
                    m = _SECTION.match(piece)
                    if m and chapter:
                        self.sections.setdefault((chapter, nfkc(m["n"])), m["title"].strip())
                        continue
                    m = _FRONT.match(piece)
                    if m and not chapter:
                        self.front.setdefault(part, m["title"])
