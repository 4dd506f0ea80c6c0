"""The parser for MIC's テキスト版 of a whole edition (the ``web`` dialect).

One line per paragraph, but the web pages were concatenated with no
separator, so a heading often sits at the end of the previous page's last
line ("…取り組んできた。（2）　今後の課題と方向性").  Headings use a full-width
space ("1　概要", "（1）　…"), footnotes are lines "1　…" that look like
headings, and 政策フォーカス / コラム boxes restart their own numbering.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..documents import BOX, CHAPTER, ITEM, KANA, PART, SECTION, SUBITEM, SUBKANA, Block, BlockKind, Heading, Section
from .outline import FIGURE_ID, KANA_ORDER, TOP_KIND, Outline, SectionAcc, finish, lines, nfkc, strip_fragment, title_ok
from .reflow import Fragment, join_verbatim

# One heading line of the web text, anchored at both ends.  The full-width
# space after the number is what makes it a heading: running text writes
# "第1章 から" with an ASCII space and "（1）アのアンケート結果から…" runs on
# into a sentence (caught by the title check).
_WEB_HEADING = re.compile(
    r"(?:第(?P<top>\d+)(?P<kind>[部章節])\u3000"
    r"|(?P<jo>序章)\u3000"
    r"|(?P<item>\d{1,2})\u3000"
    r"|（(?P<sub>\d{1,2})）\u3000?"
    r"|(?P<kana>[ア-ン])\u3000"
    r"|（(?P<subkana>[ア-ン])）\u3000?)"
    r"(?P<title>\S.*?)\s*$"
)
# A 政策フォーカス or コラム box; its title is on the same line or the next.
_WEB_BOX = re.compile(r"(?:(?P<focus>政策フォーカス)|コラムCOLUMN\u3000(?P<col>\d+))(?:\u3000(?P<title>\S.*?))?\s*$")
# Where a heading glued to the end of the previous page may start.
_WEB_GLUE_START = re.compile(
    r"第\d+[部章節]\u3000|序章\u3000|\d{1,2}\u3000|（\d{1,2}）|[ア-ン]\u3000|（[ア-ン]）|政策フォーカス|コラムCOLUMN\u3000\d"
)
# Characters after which a digit is part of a longer token, not a heading
# number: "5-8-2-1", "1,029", "1.5", "第4", "付注4", "データ2", "図表3".
_NOT_BEFORE_NUMBER = re.compile(r"[\d\-.,，．第注タ表/]$")
# "図表5-8-2-1　…", and "〈図表3　…〉" inside r01's boxes.
_WEB_CAPTION = re.compile(r"〈?" + FIGURE_ID + r"[\u3000 ]+(?P<title>\S.*?)\s*$")
# A footnote marker inside a heading ("半導体 15 市場の動向", "技術 26"): not
# part of the title.  Only after a Japanese character, so "Society 5.0" stays.
_TITLE_MARKER = re.compile(r"(?<=[^\x00-\x7f]) \d{1,3}(?= |$) ?|＊\d+")
# Lines that belong to the figure printed just above them.
_WEB_FIGURE_NOTE = re.compile(r"^(?:（出典）|（注）|（注\d+）|注\d*[：:\u3000]|URL：|※|（データ集）)")
# An inline footnote marker in the web text: "共同原則 1 」が公表された".
_WEB_MARKER = re.compile(r"(?<=\S) (?P<num>\d{1,3}) (?=\S)")
# Site navigation that a page scrape picked up (r02): from a page's PDF link
# to the copyright line.  Dropped, not parsed: it is a copy of the contents.
_WEB_NAV = re.compile(r"[ \t]*第\d+節\u3000[^\n]*?（ ?PDFファイル（.*?All Rights Reserved\.[ \t]*", re.DOTALL)
# Back matter: the data tables, notes and figure index after the last 節.
_WEB_BACK = re.compile(r"データ1\u3000")
_WEB_INDEX = re.compile(r"図表索引\s*$", re.MULTILINE)
_WEB_REFERENCES = re.compile(r"参考文献(?:（データ集）)?\s*$", re.MULTILINE)
# はじめに: the unnumbered preface of some editions.
_WEB_PREFACE = "はじめに"


def _web_heading(s: str) -> Heading | None:
    """``s`` read as a whole heading line, or None."""
    m = _WEB_HEADING.fullmatch(s.strip())
    if not m or not title_ok(m["title"]):
        return None
    title = _TITLE_MARKER.sub("", m["title"]).strip()
    if m["top"]:
        return Heading(TOP_KIND[m["kind"]], nfkc(m["top"]), title)
    if m["jo"]:
        return Heading(CHAPTER, "0", title)
    if m["item"]:
        return Heading(ITEM, nfkc(m["item"]), title)
    if m["sub"]:
        return Heading(SUBITEM, nfkc(m["sub"]), title)
    if m["kana"]:
        return Heading(KANA, m["kana"], title)
    return Heading(SUBKANA, m["subkana"], title)


def _web_box(s: str) -> tuple[str, str] | None:
    """``s`` read as a box marker: (kind, title) with title possibly ""."""
    m = _WEB_BOX.fullmatch(s.strip())
    if not m:
        return None
    kind = "政策フォーカス" if m["focus"] else f"コラム{nfkc(m['col'])}"
    return kind, (m["title"] or "").strip()


def _parts_from_index(text: str, start: int) -> dict[str, Heading]:
    """章 number → its 部, read from the 図表索引 (the body never prints the
    部 headings; the index lists "第1部　…" then its chapters)."""
    parts: dict[str, Heading] = {}
    part: Heading | None = None
    for frag in lines(text, start):
        for piece in re.split(r"\s{2,}", frag.text.strip()):
            m = re.match(r"第(?P<num>\d+)部\u3000(?P<title>\S.*)$", piece)
            if m:
                part = Heading(PART, nfkc(m["num"]), m["title"].strip())
                continue
            m = re.match(r"(?:第(?P<num>\d+)章|(?P<jo>序章))\u3000", piece)
            if m and part is not None:
                parts.setdefault("0" if m["jo"] else nfkc(m["num"]), part)
    return parts


class WebParser:
    """One pass over the paragraphs (lines) of a web-text edition.

    Blocks keep their lines verbatim (:func:`join_verbatim`): a web line is
    already a whole paragraph, and its full-width spaces are meant."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.outline = Outline()
        self.sections: list[SectionAcc] = [SectionAcc(())]
        self.footnotes: list[tuple[int, str, Block]] = []
        self.figure: tuple[str, list[Fragment]] | None = None  # caption and its notes
        self.box_pending: str | None = None  # box kind whose title is the next line
        self.markers: set[str] = set()  # footnote markers seen and not yet printed
        self.page_start = 0  # index of the first section of the current web page
        self.parts: dict[str, Heading] = {}
        self.nav = list(_WEB_NAV.finditer(text))  # scraped site navigation to skip

    def run(self) -> list[Section]:
        body_end, index_start, refs_start = self._back_matter()
        if index_start is not None:
            self.parts = _parts_from_index(self.text, index_start)
        for frag in self._body_lines(0, body_end):
            self._line(frag)
        self._flush_figure()
        if body_end < len(self.text):
            self._back(body_end, index_start, refs_start)
        return finish(self.sections, self.footnotes, None)

    # -- regions ---------------------------------------------------------

    def _back_matter(self) -> tuple[int, int | None, int | None]:
        """Where the body ends, and where the figure index and the references
        start.  The back matter opens with "データ1　…" glued to the last
        page of the last 節 and holds the 図表索引 further on."""
        index = None
        for m in _WEB_INDEX.finditer(self.text):
            if not self._in_nav(m.start()):
                index = m.start()
        if index is None:
            return len(self.text), None, None
        starts = [m.start() for m in _WEB_BACK.finditer(self.text, 0, index) if not self._in_nav(m.start())]
        body_end = starts[-1] if starts else index
        refs = _WEB_REFERENCES.search(self.text, index)
        return body_end, index, refs.start() if refs else None

    def _in_nav(self, pos: int) -> bool:
        return any(m.start() <= pos < m.end() for m in self.nav)

    def _body_lines(self, start: int, end: int) -> Iterator[Fragment]:
        """Lines of the body with scraped site navigation cut out; the cut
        counts as a line break."""
        pos = start
        for m in self.nav:
            if m.end() <= start or m.start() >= end:
                continue
            yield from lines(self.text, pos, m.start())
            pos = m.end()
        yield from lines(self.text, pos, end)

    def _back(self, start: int, index: int | None, refs: int | None) -> None:
        """The back matter as one unheaded section of line blocks.  The
        figure index is left out: it only repeats the captions."""
        self.outline = Outline()
        acc = SectionAcc(())
        regions = [(start, index if index is not None else len(self.text))]
        if refs is not None:
            regions.append((refs, len(self.text)))
        for a, b in regions:
            for frag in lines(self.text, a, b):
                block = self._block("text", [frag])
                if block:
                    acc.blocks.append(block)
        if acc.blocks:
            self.sections.append(acc)

    # -- lines -----------------------------------------------------------

    def _line(self, frag: Fragment) -> None:
        frag = strip_fragment(frag)
        if not frag.text:
            return
        # A line that is itself a box marker or a heading the outline takes is
        # not searched for a glued heading ("コラムCOLUMN　5　小売…" is one box).
        whole = _web_heading(frag.text)
        if _web_box(frag.text) or (whole is not None and self._tail_fits(whole)):
            self._whole(frag)
            return
        split = self._glued(frag)
        if split is not None:
            head, tail = split
            self._line(head)
            self._tail(tail)
            return
        self._whole(frag)

    def _glued(self, frag: Fragment) -> tuple[Fragment, Fragment] | None:
        """Split off a heading glued to the end of the line (a page that began
        right after the previous page's last character)."""
        s = frag.text
        lo = max(1, len(s) - 90)  # headings are short; look near the end only
        for m in reversed(list(_WEB_GLUE_START.finditer(s, lo))):
            p = m.start()
            if p == 0:
                continue
            if s[p].isdigit() and _NOT_BEFORE_NUMBER.search(s[:p]):
                continue
            if s[p] in KANA_ORDER and "\u30a0" <= s[p - 1] <= "\u30ff":
                continue  # the end of a katakana word: "データ\u3000"
            tail = s[p:]
            box = _web_box(tail)
            heading = _web_heading(tail)
            if box is None and heading is None:
                continue
            if heading is not None and not self._tail_fits(heading):
                continue
            return Fragment(frag.start, s[:p]), Fragment(frag.start + p, tail)
        return None

    def _tail_fits(self, heading: Heading) -> bool:
        if heading.level in (PART, CHAPTER, SECTION):
            return self.outline.fits_outer(heading.level, heading.number) or self.outline.is_repeat(
                heading.level, heading.number, heading.title
            )
        return self.outline.fits_outer(heading.level, heading.number) or self.outline.fits(heading.level, heading.number)

    def _tail(self, frag: Fragment) -> None:
        """A glued heading starts a new page: it closes an open box if the
        document's outline takes it."""
        box = _web_box(frag.text)
        if box is not None:
            self._open_box(*box)
            return
        heading = _web_heading(frag.text)
        assert heading is not None
        if heading.level in (PART, CHAPTER, SECTION) and self.outline.is_repeat(heading.level, heading.number, heading.title):
            self.markers.clear()
            return  # a page repeating the 章/節 it continues
        outer = self.outline.fits_outer(heading.level, heading.number) or heading.level in (PART, CHAPTER, SECTION)
        self._heading(heading, outer=outer, page_start=True)

    def _whole(self, frag: Fragment) -> None:
        s = frag.text
        if self.box_pending is not None:
            kind, self.box_pending = self.box_pending, None
            self._open_box(kind, s.strip())
            return
        box = _web_box(s)
        if box is not None:
            self._open_box(*box)
            return
        if s.strip() == _WEB_PREFACE and not self.outline.document_path:
            self._heading(Heading(CHAPTER, "", _WEB_PREFACE), outer=True)
            return
        heading = _web_heading(s)
        if heading is not None and self._take_line_heading(heading):
            return
        m = _WEB_CAPTION.match(s)
        if m:
            self._flush_figure()
            self.figure = (f"図表{m['fig']}", [frag])
            return
        if self.figure is not None and _WEB_FIGURE_NOTE.match(s):
            self.figure[1].append(frag)
            return
        self._flush_figure()
        m = re.match(r"(?P<num>\d{1,3})\u3000", s)
        if m:
            self.markers.discard(m["num"])
            block = self._block("footnote", [frag])
            if block:
                self.footnotes.append((self._marker_section(m["num"]), m["num"], block))
            return
        block = self._block("text", [frag])
        if block:
            self.markers.update(x["num"] for x in _WEB_MARKER.finditer(s))
            self.sections[-1].blocks.append(block)

    def _marker_section(self, num: str) -> int:
        """The section of this web page whose text has marker " num ": a
        page's footnotes come after all its headings (ア, イ, ウ …)."""
        for idx in range(len(self.sections) - 1, self.page_start - 1, -1):
            for block in self.sections[idx].blocks:
                if block.kind == "text" and any(m["num"] == num for m in _WEB_MARKER.finditer(block.text)):
                    return idx
        return len(self.sections) - 1

    def _take_line_heading(self, heading: Heading) -> bool:
        """Decide a heading at the start of its own line; True if taken."""
        level, num = heading.level, heading.number
        if level in (PART, CHAPTER, SECTION):
            if self.outline.is_repeat(level, num, heading.title):
                return True  # a page repeating its 章/節: drop the line
            if self.outline.fits_outer(level, num):
                self._heading(heading, outer=True)
                return True
            return False
        if level == ITEM and num in self.markers:
            return False  # "1　…" under a text with marker " 1 ": a footnote
        if self.outline.fits(level, num):
            self._heading(heading, outer=False)
            return True
        if self.outline.in_box and self.outline.fits_outer(level, num):
            self._heading(heading, outer=True)
            return True
        return False

    # -- output ----------------------------------------------------------

    def _block(self, kind: BlockKind, fragments: Sequence[Fragment], figure: str | None = None) -> Block | None:
        text, spans = join_verbatim(self.text, fragments)
        if not text:
            return None
        return Block(kind=kind, text=text, spans=spans, figure=figure)

    def _flush_figure(self) -> None:
        if self.figure is not None:
            fig, frags = self.figure
            block = self._block("figure", frags, fig)
            if block:
                self.sections[-1].blocks.append(block)
        self.figure = None

    def _heading(self, heading: Heading, *, outer: bool, page_start: bool = False) -> None:
        self._flush_figure()
        new_page = page_start or heading.level in (PART, CHAPTER, SECTION)
        if new_page:
            # Footnotes are printed at the end of their web page, and a page
            # may hold several headings; only a new page forgets the markers.
            self.markers.clear()
        if outer:
            self.outline.close_box()
            if heading.level == CHAPTER:
                self._enter_part(heading)
        self.outline.accept(heading)
        self.sections.append(SectionAcc(tuple(self.outline.path)))
        if new_page:
            self.page_start = len(self.sections) - 1

    def _enter_part(self, chapter: Heading) -> None:
        part = self.parts.get(chapter.number)
        current = next((h for h in self.outline.path if h.level == PART), None)
        if part is not None and part != current:
            self.outline.accept(part)
            self.sections.append(SectionAcc(tuple(self.outline.path)))

    def _open_box(self, kind: str, title: str) -> None:
        if not title:
            self.box_pending = kind  # r04/r05: the title is the next line
            return
        self._flush_figure()
        self.markers.clear()
        self.outline.open_box(Heading(BOX, kind, title))
        self.sections.append(SectionAcc(tuple(self.outline.path)))
