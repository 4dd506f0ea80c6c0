"""The parser for MIC's テキスト版 (the ``web`` dialect), whole editions or pages.

A テキスト版 edition is one web page per heading, joined in order with no
separator, so a heading sits at the start of a line or glued to the end of
the previous page's last line (after a sentence, a footnote's URL, a figure
caption).  Footnotes are lines "1　…" that look like headings, tables of
contents appear at the start (ポイント), in the middle (the site's navigation
pasted into a page) or at the end (図表索引), and 政策フォーカス / コラム boxes
restart their own numbering.

The parse runs in three steps:

1. every place where a heading may begin is found (:mod:`.candidates`);
2. when the file's page list is known (``SourceText.page_urls``), the pages
   are placed among those candidates (:mod:`.pages`): a page opens the
   headings its code names, which settles the glued headings, the levels of
   the forms that serve two levels (平成16年版), the footnotes that look like
   the next item (the item is the next page's), and the headings the text
   does not print (inferred);
3. one walk over the lines takes a candidate as a heading when a page opens
   it, or when the outline expects its number next (:class:`.outline.Outline`)
   and its title looks like a title; everything else is text.

Without a page list the same walk runs on the numbering alone, with the
tables of contents told apart by their shape.  Pure functions of the text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..documents import (
    BOX,
    CHAPTER,
    ITEM,
    KANA,
    PART,
    SECTION,
    SUBKANA,
    Block,
    BlockKind,
    Heading,
    PageMap,
    Section,
)
from .candidates import TOP_FORMS, Candidate, scan
from .outline import FIGURE_ID, Outline, SectionAcc, finish, lines, nfkc, squash, successor
from .pagecodes import INNER_LEVEL_EDITIONS, JOSETSU, PageCode, decode_all, edition_of
from .pages import Alignment, Opened, align
from .reflow import Fragment, join_verbatim
from .toc import Contents

# "図表5-8-2-1　…", "〈図表3　…〉" inside r01's boxes, "図表[1]　…" (平成16年版).
_WEB_CAPTION = re.compile(r"〈?(?:" + FIGURE_ID + r"|図表\[(?P<fig2>\d+)\])[\u3000 ]+(?P<title>\S.*?)\s*$")
# Lines that belong to the figure printed just above them.
_WEB_FIGURE_NOTE = re.compile(r"^(?:（出典）|（注）|（注\d+）|注\d*[：:\u3000]|URL：|※|（データ集）)")
# An inline footnote marker in the web text: "共同原則 1 」が公表された".
_WEB_MARKER = re.compile(r"(?<=\S) (?P<num>\d{1,3}) (?=\S)")
# A footnote line: "1　https://…", "2　総務省（2023）…".
_WEB_FOOTNOTE = re.compile(r"(?P<num>\d{1,3})\u3000")
# Site navigation that a page scrape picked up (h27, r02): from a page's PDF
# link to the copyright line.  Dropped, not parsed: it is a copy of the
# contents (read only for the names of parts, see :mod:`.toc`).
_WEB_NAV = re.compile(r"[ \t]*第\d+節\u3000[^\n]*?（ ?PDFファイル（.*?All Rights Reserved\.[ \t]*", re.DOTALL)
# A numbered title glued to the previous page's last line that is no heading
# form ("…en-us1．概観～ICT端末", a column of 平成27年版): a place where two
# pages were joined.
_JOINT = re.compile(r"(?<=[^\s\d])[0-9]{1,2}．(?=\S)")
# A caption's id, for checking a heading against the figure numbering.
_FIGURE_PARTS = re.compile(r"図表(?P<id>[0-9０-９]+(?:[-－][0-9０-９]+)+)")
FIGURE_LOOKAHEAD = 12  # lines after an item's heading in which its first figure is looked for
# A figure with no number: the figure of a box that has no marker either.
_UNNUMBERED_FIGURE = re.compile(r"^図表\u3000(?P<title>\S[^\n]*)$", re.MULTILINE)
UNMARKED_BOX = "囲み"  # the name MIC's page codes give a box
BOX_LOOKBACK = 60  # lines above an unnumbered figure searched for its box's title
# Back matter without a page list: the data tables, notes and figure index
# after the last 節.
_WEB_BACK = re.compile(r"データ1\u3000")
_WEB_INDEX = re.compile(r"図表索引\s*$", re.MULTILINE)
_WEB_REFERENCES = re.compile(r"参考文献(?:（データ集）)?\s*$", re.MULTILINE)
# r04's データ集 pages open with a label glued to the previous line: "序章第1節",
# "第1章冒頭", "第2章コラム1", "第3章関連データ".
_DATA_LABEL = re.compile(r"(?:序章|第\d{1,2}章)(?:第\d{1,2}節|冒頭|コラム\d|関連データ)$", re.MULTILINE)

# What a title never is: a sentence, an address, a pointer to another place,
# a source line.
_NOT_TITLE = re.compile(
    r"。|https?:|www\.|を参照|（出典）|出典[：:]|資料[：:]|^[％%）)、，.．]|^(?:を|から|まで|より|において|については|では|には|とは)|[、，：:]$|資料$|(?:より|を基に|総務省)作成$"
)
# A footnote marker printed inside a heading: "半導体 15 市場の動向",
# "人工知能（AI 42 ）の関わり", "情報サービス業 7、8", "＊1", "（注3）".
_TITLE_MARKER = re.compile(r" [0-9]{1,3}(?:[、,][0-9]{1,3})*(?: (?=[^\x00-\x7f])|(?= |$|[）)」』、]))|＊\d+|（注\d+）")
# …or glued to its end: "我が国のコンテンツ市場の現状1" (a year "2015" stays).
_TRAILING_MARKER = re.compile(r"(?<=[^\x00-\x7f０-９])[0-9]{1,2}$")
# Labels the web text adds to a heading: "…【要旨】" (平成13年版), "@@1　…" (平成14年版).
_TITLE_LABEL = re.compile(r"[\u3000 ]*【要旨】$")
MAX_TITLE = 90
# A text whose line breaks are at least this often doubled separates its
# paragraphs by blank lines (平成12–20年版: 28–45%; 令和5年版: 0%), so a single
# break before a heading is where two pages were joined.
BLANK_LINE_SHARE = 0.25

# Tables of contents without a page list: in a run of this many 部/章/節
# lines, each followed by less than TOC_GAP characters of other text, the
# lines printed again as headings further on are a table of contents (a
# page's 目次, the ポイント page's list), not headings.
TOC_RUN = 4
TOC_GAP = 160


@dataclass(frozen=True)
class WebParse:
    """What the web parser found: the sections, the page addresses by
    offset (None without a page list that aligns), and what a user checking
    the file should know ("目次 found and skipped", "pages not aligned")."""

    sections: list[Section]
    pages: PageMap | None
    notes: tuple[str, ...] = ()  # everything noticed, problems first
    alignment: Alignment | None = None
    problems: tuple[str, ...] = ()  # the notes a build log warns about


@dataclass(frozen=True)
class _Event:
    """A split point of a line: a candidate, or headings the page opens unprinted."""

    start: int
    candidate: Candidate | None
    inferred: tuple[Heading, ...] = ()
    box: str | None = None  # a page that prints no heading: the title of the box it is


def clean_title(raw: str) -> str:
    """A printed title without footnote markers and page labels."""
    t = _TITLE_LABEL.sub("", raw.strip())
    t = _TITLE_MARKER.sub("", t)
    t = _TRAILING_MARKER.sub("", t.rstrip())
    return re.sub(r"[ ]{2,}", " ", t).strip()


def _body_cut(raw: str) -> int | None:
    """Where a title ends when the body runs on after it behind a full-width
    space ("「情報・知識の時代」の到来　経済成長を超長期的に見ると…。")."""
    lead = len(raw) - len(raw.lstrip())
    body = raw.strip()
    cut = body.find("\u3000")
    if cut <= 0:
        return None
    rest = body[cut:]
    if "。" not in rest and len(rest) < MAX_TITLE:
        return None
    return lead + cut if looks_like_title(clean_title(body[:cut])) else None


def looks_like_title(title: str) -> bool:
    """A heading title is a short phrase: no sentence end, no address, no
    pointer to another page, no source line, no bracket closed that it did
    not open (「第6章 アクション＆レガシー」 quoted inside a caption)."""
    return (
        bool(title)
        and len(title) <= MAX_TITLE
        and not _NOT_TITLE.search(title)
        and all(title.count(b) <= title.count(a) for a, b in _BRACKETS)
    )


_BRACKETS = (("「", "」"), ("『", "』"), ("【", "】"))  # not ( ): "(図表1))" is printed so


class WebParser:
    """One parse of a web-text file (optionally with its page list)."""

    def __init__(self, text: str, page_urls: Sequence[str] = ()) -> None:
        self.text = text
        self.page_urls = tuple(page_urls)
        self.notes: list[str] = []  # what was found and handled (a 目次 skipped)
        self.problems: list[str] = []  # what the build log warns about (pages that do not align)
        self.nav = [(m.start(), m.end()) for m in _WEB_NAV.finditer(text)]
        self.copies: list[tuple[int, int]] = []  # second copies of pages listed twice
        self.cands = [c for c in scan(text) if not self._in_nav(c.start)]
        self.next_start = self._next_starts()
        self._cand_at = {c.start: c for c in self.cands}
        self._title_ends: dict[int, int | None] = {}
        self.outline = Outline()
        self.sections: list[SectionAcc] = [SectionAcc(())]
        self.footnotes: list[tuple[int, str, Block]] = []
        self.figure: tuple[str, list[Fragment]] | None = None
        self.box_pending: str | None = None
        self.box_pending_at: int | None = None
        self.markers: set[str] = set()
        self.page_start = 0
        self.contents = Contents()
        # Page mode.
        self.alignment: Alignment | None = None
        self.codes: list[PageCode] = []
        self.placed: dict[int, tuple[int, Opened]] = {}
        self.place_starts: list[int] = []
        self.place_pages: list[int] = []
        # slots a page opens → (page index, where it prints them)
        self.opened_keys: dict[tuple[tuple[int, str], ...], list[tuple[int, int]]] = {}
        self.breaks: list[int] = []  # where the text's structure parts from the codes
        self.inner_levels = False
        self.encoded_levels: set[int] = set()
        self.top_plan: set[int] | None = None  # text mode: the 部/章/節 candidates taken
        self.parts_printed = False
        self._outer = False
        self.front_end: int | None = None  # text mode: where a front table of contents ends

    # ------------------------------------------------------------------ run

    def run(self) -> WebParse:
        if self.page_urls:
            self._align_pages()
        body_start, body_end, index, refs = self._regions()
        if self.alignment is None:
            self.top_plan = self._plan_tops(body_start, body_end)
            if self.front_end is not None:
                # What comes before the 章 numbering starts for good (a
                # ポイント page) is front matter, as its page code says when
                # there is a page list.
                body_start = self._line_start(self.front_end)
        self._read_contents(body_start, body_end, index)
        if body_start > 0:
            self._unheaded(0, body_start)
        self._walk(body_start, body_end)
        self._flush_figure()
        if body_end < len(self.text):
            self._back(body_end, index, refs)
        sections = finish(self.sections, self.footnotes, None)
        pages = self.alignment.page_map() if self.alignment is not None else None
        return WebParse(sections, pages, tuple(self.problems + self.notes), self.alignment, tuple(self.problems))

    def _in_nav(self, pos: int) -> bool:
        return any(a <= pos < b for a, b in self.nav)

    def _next_starts(self) -> dict[int, int]:
        """Candidate start → the next candidate on its line (or the line's end)."""
        out: dict[int, int] = {}
        for k, c in enumerate(self.cands):
            nxt = self.cands[k + 1] if k + 1 < len(self.cands) else None
            out[c.start] = nxt.start if nxt is not None and nxt.start <= c.line_end else c.line_end
        return out

    def title_end(self, c: Candidate) -> int | None:
        """Where candidate ``c``'s title ends, or None when it has no title
        that looks like one.  A glued heading's title runs to the end of its
        line; when the line holds more (平成19年版 glues the next heading or the
        body on: "第1章　…展開第1節　…経済成長1　…（1）…の到来　経済成長を…"),
        it ends where a heading that has a title of its own begins, or at the
        full-width space before the body."""
        if c.start in self._title_ends:
            return self._title_ends[c.start]
        self._title_ends[c.start] = None  # no cycles
        end: int | None = None
        raw = self.text[c.title_start : c.line_end]
        if looks_like_title(clean_title(raw)):
            end = c.line_end
        else:
            nxt = self._cand_at.get(self.next_start.get(c.start, c.line_end))
            while nxt is not None and end is None:
                if self.title_end(nxt) is not None and looks_like_title(clean_title(self.text[c.title_start : nxt.start])):
                    end = nxt.start
                    break
                nxt = self._cand_at.get(self.next_start.get(nxt.start, nxt.line_end))
            if end is None:
                cut = _body_cut(raw)
                if cut is not None:
                    end = c.title_start + cut
        self._title_ends[c.start] = end
        return end

    def title_of(self, c: Candidate, end: int | None = None) -> str:
        if end is None:
            end = self.title_end(c)
            if end is None:
                end = self.next_start.get(c.start, c.line_end)
        return clean_title(self.text[c.title_start : end])

    def _good(self, c: Candidate) -> bool:
        if c.form in ("box", "back", "intro"):
            return True
        if c.form in TOP_FORMS and not self.text[c.title_start : c.line_end].strip():
            return True
        return self.title_end(c) is not None

    # ---------------------------------------------------------------- pages

    def _align_pages(self) -> None:
        codes = decode_all(self.page_urls)
        labels = [
            Candidate(m.start(), m.end(), m.end(), True, "back", "", m.group(0), "") for m in _DATA_LABEL.finditer(self.text)
        ]
        breaks = max(1, self.text.count("\n"))
        tight = self.text.count("\n\n") / breaks >= BLANK_LINE_SHARE
        early = (edition_of(self.page_urls[0]) or "") in INNER_LEVEL_EDITIONS
        # (Glued headings are no sure joint: a footnote is glued to a caption
        # inside one page.  A glued box marker is: boxes start pages.)
        joints = [m.start() for m in _JOINT.finditer(self.text)]
        joints += [c.start for c in self.cands if c.form == "box" and c.glued and self._box_ok(c)]
        alignment = align(
            codes,
            self.cands,
            self._good,
            labels=labels,
            tight_pages=tight,
            prefer_early=early,
            joints=sorted(set(joints)),
            text=self.text,
        )
        alignment = self._place_intro_pages(alignment)
        if not alignment.aligned:
            self.problems.append(f"pages not aligned: {alignment.reason}; no passage gets a page address")
            return
        self.alignment = alignment
        self.codes = list(codes)
        self.placed = dict(alignment.by_candidate)
        for place in alignment.places:
            if place.start is not None and codes[place.page].kind in ("body", "box", "intro"):
                self.place_starts.append(place.start)
                self.place_pages.append(place.page)
        for i, place in enumerate(alignment.places):
            if place.start is None:
                continue
            for o in place.opened:
                key = self._slot_prefix(codes[i].slots, o.slot)
                at = o.candidate.start if o.candidate is not None else place.start
                self.opened_keys.setdefault(key, []).append((i, at))
        ed = edition_of(self.page_urls[0]) or ""
        self.inner_levels = ed in INNER_LEVEL_EDITIONS
        self.encoded_levels = {lv for p in codes for lv, _ in p.slots}
        self.breaks = self._code_breaks()
        self.copies = self._second_copies(alignment)
        missing = alignment.placeable - alignment.placed
        if missing:
            self.problems.append(
                f"{missing} of {alignment.placeable} pages not found in the text; their passages get no page address"
            )

    def _second_copies(self, alignment: Alignment) -> list[tuple[int, int]]:
        """Where the text repeats a page listed twice (h15's last page is a
        second F1201100, h27 lists nc261110 twice): left out, it is a copy."""
        out: list[tuple[int, int]] = []
        seen: set[str] = set()
        places = alignment.places
        for k, place in enumerate(places):
            code = alignment.pages[place.page].code
            if code in seen and place.start is not None:
                end = next((p.start for p in places[k + 1 :] if p.start is not None), len(self.text))
                if alignment.pages[place.page].kind == "body" and end > place.start:
                    out.append((place.start, end))
                    self.notes.append(
                        f"page {code} is listed twice; its second copy (lines {self._line_no(place.start)}–"
                        f"{self._line_no(end)}) is left out"
                    )
            seen.add(code)
        return out

    @staticmethod
    def _slot_prefix(slots: Sequence[tuple[int, str]], slot: tuple[int, str]) -> tuple[tuple[int, str], ...]:
        k = list(slots).index(slot) if slot in slots else len(slots) - 1
        return tuple(slots[: k + 1])

    def _place_intro_pages(self, alignment: Alignment) -> Alignment:
        """An introduction page with no printed title (h27's 導入文) starts at
        the one paragraph glued to the previous page ("…現在のものです。　本年…")
        between its neighbours; if there is not exactly one, it stays unplaced."""
        places = list(alignment.places)
        changed = False
        for i, place in enumerate(places):
            if alignment.pages[i].kind != "intro" or place.start is not None:
                continue
            lo = next((p.start for p in reversed(places[:i]) if p.start is not None), 0)
            hi = next((p.start for p in places[i + 1 :] if p.start is not None), len(self.text))
            glue = [
                m.end() - 1
                for m in re.finditer(r"。\u3000", self.text[lo:hi])
                if self.text[lo + m.start() - 1 : lo + m.start()] != "\n"
            ]
            glue = [lo + g for g in glue if self.text[lo + g - 2 : lo + g - 1] != "\n"]
            if len(glue) == 1:
                places[i] = type(place)(place.page, glue[0], ())
                changed = True
        if not changed:
            return alignment
        placed = alignment.placed + sum(1 for a, b in zip(alignment.places, places) if a.start is None and b.start is not None)
        return type(alignment)(
            alignment.pages,
            tuple(places),
            alignment.placeable,
            placed,
            alignment.aligned,
            alignment.reason,
            alignment.by_candidate,
        )

    def _page_index(self, pos: int) -> int | None:
        k = bisect.bisect_right(self.place_starts, pos) - 1
        return self.place_pages[k] if k >= 0 else None

    def _body_page(self, i: int) -> PageCode | None:
        """The body page ``i`` is, or the last body page before it (a box
        page sits in its parent page's numbering)."""
        while i >= 0:
            if self.codes[i].kind == "body":
                return self.codes[i]
            i -= 1
        return None

    def _reserved(self, level: int, number: str, pos: int) -> bool:
        """Whether a later page opens this heading: then this look-alike is a
        footnote, a copy in a table of contents or an inner heading."""
        i = self._page_index(pos)
        if i is None:
            return False
        page = self._body_page(i)
        if page is None:
            return False
        shift = self._shift(i)
        slot_level = level - shift
        key = tuple(s for s in page.slots if s[0] < slot_level) + ((slot_level, number),)
        for j, at in self.opened_keys.get(key, ()):
            if j <= i:
                continue
            k = bisect.bisect_right(self.breaks, pos)
            if k < len(self.breaks) and self.breaks[k] < at:
                continue  # a box or an item the codes do not know comes first
            return True
        return False

    def _code_breaks(self) -> list[int]:
        """Where the text's structure parts from the page codes: a box marker
        (r03 codes コラム2's own （1）–（3） as 第1章第3節4（1）–（3）), and an item
        printed without a page whose figures are numbered as that item's (r03
        序章 補論 2, after which the codes name each page one item too low).
        A later page's code does not make a look-alike of a heading that
        comes before such a place."""
        out: list[int] = []
        for c in self.cands:
            if c.start in self.placed:
                continue
            if c.form == "box" and self._box_ok(c):
                out.append(c.start)
            elif c.form == "item" and self._good(c):
                i = self._page_index(c.start)
                page = self._body_page(i) if i is not None else None
                if page is None:
                    continue
                chapter = next((n for lv, n in page.slots if lv == CHAPTER), None)
                # The code's 節 digit may be a 補論's, which the figures count apart.
                if chapter is not None and self._figure_item(c, chapter, None):
                    out.append(c.start)
        return sorted(out)

    def _shift(self, i: int) -> int:
        while i >= 0:
            place = self.alignment.places[i] if self.alignment else None
            if place is not None and place.opened:
                last = place.opened[-1]
                return last.level - last.slot[0]
            i -= 1
        return 0

    # -------------------------------------------------------------- regions

    def _regions(self) -> tuple[int, int, int | None, int | None]:
        """(body start, body end, 図表索引 start, 参考文献 start)."""
        if self.alignment is not None:
            codes, places = self.codes, self.alignment.places
            body = [p.start for p in places if p.start is not None and codes[p.page].kind in ("body", "intro", "box")]
            body_start = min(body) if body else 0
            last_body = max(body) if body else 0
            back = [
                p.start for p in places if p.start is not None and codes[p.page].kind in ("back", "data") and p.start > last_body
            ]
            body_end = min(back) if back else len(self.text)
            index = next(
                (p.start for p in places if p.start is not None and codes[p.page].name == "図表索引" and p.start >= body_end),
                None,
            )
            refs = None
            if index is not None:
                refs = next(
                    (p.start for p in places if p.start is not None and p.start > index and codes[p.page].kind == "back"),
                    None,
                )
            return body_start, body_end, index, refs
        index_m = None
        for m in _WEB_INDEX.finditer(self.text):
            if not self._in_nav(m.start()):
                index_m = m.start()
        if index_m is None:
            return 0, len(self.text), None, None
        starts = [m.start() for m in _WEB_BACK.finditer(self.text, 0, index_m) if not self._in_nav(m.start())]
        body_end = starts[-1] if starts else index_m
        refs_m = _WEB_REFERENCES.search(self.text, index_m)
        return 0, body_end, index_m, refs_m.start() if refs_m else None

    def _read_contents(self, body_start: int, body_end: int, index: int | None) -> None:
        regions = [(0, body_start)] if body_start > 0 else []
        regions += self.nav
        if index is not None:
            regions.append((index, len(self.text)))
        elif body_end < len(self.text):
            regions.append((body_end, len(self.text)))
        self.contents.add(self.text, sorted(regions))
        if body_start > 0:
            self.notes.append(
                f"front matter before line {self._line_no(body_start)} (ポイント, 凡例 or 目次) read as text, not headings"
            )
        for a, _ in self.nav:
            self.notes.append(f"site navigation with a 目次 at line {self._line_no(a)} skipped")

    def _line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def _line_no(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def _plan_tops(self, start: int, end: int) -> set[int]:
        """Without a page list: which 部/章/節 candidates are headings.

        A run of them with next to no text between is a table of contents;
        a 章 numbering that starts again (a ポイント page listing 第1章–第3章
        with summaries, then the body's 第1章) makes everything before the
        last start a front page."""
        tops = [c for c in self.cands if start <= c.start < end and c.form in TOP_FORMS and self._good(c)]
        gaps: list[int] = []
        for k, c in enumerate(tops):
            nxt = tops[k + 1].start if k + 1 < len(tops) else end
            gaps.append(self._body_chars(c.line_end, nxt))
        toc: set[int] = set()
        k = 0
        while k < len(tops):
            j = k
            while j < len(tops) and gaps[j] < TOC_GAP:
                j += 1
            if j - k >= TOC_RUN:
                # An entry of a table of contents is printed again, as the
                # heading it lists, further on; a 章 line directly followed
                # by its 節 is not.
                later = {(c.form, c.number, squash(self.title_of(c))) for c in tops[j + 1 :]}
                entries = [c for c in tops[k : j + 1] if (c.form, c.number, squash(self.title_of(c))) in later]
                if len(entries) >= TOC_RUN - 1:
                    toc.update(c.start for c in entries)
                    self.notes.append(f"目次 at line {self._line_no(tops[k].start)} skipped ({len(entries)} lines)")
            k = j + 1
        chapters = [c for c in tops if c.form == "chapter" and c.start not in toc]
        first_start = None
        if chapters:
            low = min(int(c.number) for c in chapters)
            restarts = [c for c in chapters if int(c.number) == low]
            if len(restarts) > 1:
                first_start = restarts[-1].start
                self.notes.append(
                    f"the 章 numbering starts again at line {self._line_no(first_start)}: the lines before it "
                    "are read as a table of contents or summary, not headings"
                )
                self.front_end = first_start
        return {c.start for c in tops if c.start not in toc and (first_start is None or c.start >= first_start)}

    def _body_chars(self, a: int, b: int) -> int:
        return len(re.sub(r"\s+", "", self.text[a:b]))

    # ----------------------------------------------------------------- walk

    def _walk(self, start: int, end: int) -> None:
        events = self._events(start, end)
        boxes = self._unmarked_boxes(start, end)
        ev_k = 0
        for frag in self._body_lines(start, end):
            line_end = frag.start + len(frag.text.rstrip("\n"))
            title = boxes.get(frag.start)
            if title is not None:
                self._open_box(UNMARKED_BOX, title, frag.start)
                continue
            while ev_k < len(events) and events[ev_k].start < frag.start:
                ev_k += 1
            line_events: list[_Event] = []
            while ev_k < len(events) and events[ev_k].start < line_end:
                line_events.append(events[ev_k])
                ev_k += 1
            self._line(frag.start, line_end, line_events)

    def _unmarked_boxes(self, start: int, end: int) -> dict[int, str]:
        """Boxes printed with no コラム marker (平成26年版): a line of their
        own that is the title of an unnumbered figure further on, "図表　T",
        before the next heading a page opens.  Line start → title."""
        out: dict[int, str] = {}
        page_starts = sorted(self.placed)
        for m in _UNNUMBERED_FIGURE.finditer(self.text, start, end):
            title = m["title"].strip()
            k = bisect.bisect_left(page_starts, m.start()) - 1
            lo = page_starts[k] if k >= 0 else start
            back = m.start()
            for _ in range(BOX_LOOKBACK):  # a box is short: its title is not far above its figure
                back = self.text.rfind("\n", 0, max(0, back - 1)) + 1
            lo = max(lo, back)
            for frag in lines(self.text, lo, m.start()):
                if frag.text.strip() == title and not self._cand_at.get(frag.start):
                    out[frag.start] = title
                    break
        return out

    def _events(self, start: int, end: int) -> list[_Event]:
        out = [_Event(c.start, c) for c in self.cands if start <= c.start < end]
        if self.alignment is not None:
            for place in self.alignment.places:
                if place.start is None:
                    continue
                page = self.codes[place.page]
                unprinted: list[Opened] = []
                for o in place.opened:  # what the page opens before its first printed heading
                    if o.candidate is not None:
                        break
                    unprinted.append(o)
                heads = tuple(self._inferred(page, o.slot) for o in unprinted)
                if page.kind == "intro":
                    heads = (Heading(CHAPTER, "", self.contents.front.get("", ""), inferred=True),)
                if heads and start <= place.start < end:
                    out.append(_Event(place.start, None, heads))
                boxed = self._cand_at.get(place.start)
                if page.kind == "body" and not place.opened and start <= place.start < end and not boxed:
                    # A page placed on a joint, printing no heading of its own
                    # (平成27年版's "ICTとSF" columns, "1．概観～ICT端末"): a box.
                    nl = self.text.find("\n", place.start)
                    title = self.text[place.start : nl if nl >= 0 else len(self.text)].strip()
                    out.append(_Event(place.start, None, (), title))
        # Inferred headings go before the candidate at the same place.
        out.sort(key=lambda e: (e.start, e.candidate is not None))
        return out

    def _inferred(self, page: PageCode, slot: tuple[int, str]) -> Heading:
        level, number = slot
        chapter = next((n for lv, n in page.slots if lv == CHAPTER), "")
        if level == PART:
            return Heading(PART, number, self.contents.parts.get(number, ""), inferred=True)
        if level == CHAPTER:
            if number == "0":
                part = next((n for lv, n in page.slots if lv == PART), "")
                if "0" in self.contents.chapters:
                    return Heading(CHAPTER, "0", self.contents.chapters["0"], inferred=True)
                front = self.contents.front.get(part) or self.contents.front.get("")
                return Heading(CHAPTER, "", front or "", inferred=True, printed="" if front else "序章")
            return Heading(CHAPTER, number, self.contents.chapters.get(number, ""), inferred=True)
        if level == SECTION:
            if number == JOSETSU:
                return Heading(SECTION, "0", "", inferred=True, printed="序節")
            return Heading(SECTION, number, self.contents.sections.get((chapter, number), ""), inferred=True)
        return Heading(level, number, "", inferred=True)

    def _body_lines(self, start: int, end: int) -> Iterator[Fragment]:
        """The body's lines, without the site navigation and the second
        copies of pages listed twice."""
        pos = start
        for a, b in sorted(self.nav + self.copies):
            if b <= start or a >= end:
                continue
            yield from lines(self.text, pos, a)
            pos = b
        yield from lines(self.text, pos, end)

    def _line(self, ls: int, le: int, events: list[_Event]) -> None:
        """One line: split at the headings it holds, the pieces in between are text."""
        pos = ls
        open_title: tuple[Heading, int, int] | None = None  # (heading, title start, section index)
        for ev in events:
            if ev.candidate is not None and ev.start < pos and open_title is None:
                continue  # inside the text a heading already took
            if ev.box is not None:
                if open_title is not None:
                    open_title = None
                if pos < ev.start:
                    self._piece(pos, ev.start)
                self._open_box(UNMARKED_BOX, ev.box, ev.start)
                pos = min(le, self.text.find("\n", ev.start) if "\n" in self.text[ev.start : le + 1] else le)
                continue
            if ev.candidate is None:
                taken: list[Heading] | str | None = list(ev.inferred)
            else:
                taken = self._decide(ev.candidate, self.title_of(ev.candidate))
            if taken is None:
                continue
            if open_title is not None:
                if ev.start < pos:
                    # A heading inside the last one's title: the title ends here.
                    head, title_start, idx = open_title
                    title = clean_title(self.text[title_start : ev.start])
                    self._retitle(head, Heading(head.level, head.number, title, head.inferred, head.printed), idx)
                    pos = ev.start
                open_title = None
            if pos < ev.start:
                self._piece(pos, ev.start)
            c = ev.candidate
            if taken == "repeat":
                assert c is not None
                pos = self._title_stop(c)
                continue
            if taken == "box":
                assert c is not None
                pos = self._box(c, self.next_start.get(c.start, c.line_end))
                continue
            assert isinstance(taken, list)
            for h in taken:
                inner = c is not None and not self._outer
                self._heading(h, outer=not inner, page_start=c is None or c.glued or c.start in self.placed, at=ev.start)
            if c is None:
                pos = ev.start
                continue
            open_title = (self.outline.path[-1], c.title_start, len(self.sections) - 1)
            pos = self._title_stop(c)
        if pos < le:
            self._piece(pos, le)

    def _title_stop(self, c: Candidate) -> int:
        end = self.title_end(c)
        return end if end is not None else self.next_start.get(c.start, c.line_end)

    def _retitle(self, old: Heading, new: Heading, idx: int) -> None:
        self.outline.path = [new if h is old else h for h in self.outline.path]
        if self.outline.outer is not None:
            self.outline.outer = [new if h is old else h for h in self.outline.outer]
        for acc in self.sections[idx:]:
            acc.path = tuple(new if h is old else h for h in acc.path)

    # ------------------------------------------------------------- decisions

    def _decide(self, c: Candidate, title: str) -> list[Heading] | str | None:
        """What candidate ``c`` (with ``title``) is: a list of headings to
        open, "repeat" (a heading printed again: dropped), "box", or None
        (text)."""
        self._outer = True
        if c.form == "back":
            return None
        if c.form == "box":
            return "box" if self._box_ok(c) else None
        placed = self.placed.get(c.start)
        if placed is not None:
            _, opened = placed
            level = opened.level
            if (
                self.outline.in_box
                and level > SECTION
                and not self.outline.fits_outer(level, c.number)
                and self.outline.fits(level, c.number)
            ):
                # A page code that names a box's own heading (r03 nd105200 is
                # コラム1's "2　…", while the 補論's item 2 is printed earlier
                # without a page of its own): the box goes on.
                self._outer = False
            return [self._heading_of(c, title, level)]
        if c.form in TOP_FORMS:
            return self._decide_top(c, title)
        if c.form == "intro":
            return self._decide_intro(c)
        return self._decide_lower(c, title)

    def _heading_of(self, c: Candidate, title: str, level: int) -> Heading:
        if c.form == "intro":
            full = clean_title(self.text[c.start : self.next_start.get(c.start, c.line_end)])
            return Heading(level, "", full)
        if c.form == "hoho":
            return Heading(SECTION, "補論", title, printed="補論")
        number = c.number
        printed = "" if c.printed == _usual(level, number) else c.printed
        if level in (KANA, SUBKANA) and c.form in ("item", "sub"):
            printed = c.printed  # an inner level printed as 1 / （1） (平成16年版)
        return Heading(level, number, title, printed=printed)

    def _decide_top(self, c: Candidate, title: str) -> list[Heading] | str | None:
        level = c.level
        if self._is_repeat(level, c.number, title):
            return "repeat"
        if not self._good(c):
            return None
        if self.alignment is not None:
            # The page codes place every 章 and 節 they encode; a heading
            # of a level they do not encode (部 before 平成22年版) is taken
            # on the numbering.
            if level in self.encoded_levels:
                return None
            if level == PART:
                if not title or not self.outline.fits_outer(PART, c.number):
                    return None
                heads = []
                if c.number != "1" and not any(h.level == PART for h in self.outline.document_path) and not self.parts_printed:
                    # 平成21年版 prints 第2部 but not 第1部: the body up to here is 第1部.
                    self._insert_part_before(Heading(PART, "1", self.contents.parts.get("1", ""), inferred=True))
                self.parts_printed = True
                heads.append(Heading(PART, c.number, title))
                return heads
            return None
        if self.top_plan is not None and c.start not in self.top_plan:
            return None
        if not title and level != SECTION:
            return None
        if not self.outline.fits_outer(level, c.number) and c.form != "hoho":
            return None
        if c.form == "hoho":
            return [Heading(SECTION, "補論", title, printed="補論")]
        heads = []
        if level == CHAPTER:
            part = self._part_of(c.number)
            if part is not None:
                heads.append(part)
        heads.append(Heading(level, c.number, title))
        return heads

    def _insert_part_before(self, part: Heading) -> None:
        """Put an inferred 第1部 above everything parsed so far."""
        for acc in self.sections:
            if acc.path:
                acc.path = (part, *acc.path)
        self.sections.insert(1 if self.sections and not self.sections[0].path else 0, SectionAcc((part,)))
        self.outline.path = [part, *self.outline.path]
        if self.outline.outer is not None:
            self.outline.outer = [part, *self.outline.outer]

    def _part_of(self, chapter: str) -> Heading | None:
        """Text mode: the 部 a 章 belongs to by the file's table of contents,
        when the body does not print it."""
        number = self.contents.part_of.get(chapter)
        if number is None:
            return None
        current = next((h for h in self.outline.document_path if h.level == PART), None)
        if current is not None and current.number == number:
            return None
        return Heading(PART, number, self.contents.parts.get(number, ""), inferred=True)

    def _decide_intro(self, c: Candidate) -> list[Heading] | None:
        """はじめに: before the first 章 a chapter of its own; right after a
        章 line (平成16年版) the introduction of that chapter."""
        full = clean_title(self.text[c.start : self.next_start.get(c.start, c.line_end)])
        path = self.outline.document_path
        if not path or all(h.level == PART for h in path):
            return [Heading(CHAPTER, "", full)]
        if path[-1].level == CHAPTER and not self.sections[-1].blocks:
            return [Heading(SECTION, "", full)]
        return None

    def _decide_lower(self, c: Candidate, title: str) -> list[Heading] | str | None:
        if c.form == "square":
            return None  # [1] only heads a page (平成16年版); elsewhere it is a list item
        if not self._good(c):
            return None
        level, number = c.level, c.number
        if c.form == "item" and not c.glued and number in self.markers:
            return None  # "1　…" under a text with marker " 1 ": a footnote
        if self.alignment is not None and self._is_repeat_page(level, number, title):
            return "repeat"
        if self.outline.in_box and self.outline.fits(level, number) and not (c.glued and self._fits_document(c)):
            self._outer = False
            return [self._heading_of(c, title, level)]
        if self.inner_levels and c.form in ("item", "sub") and self.alignment is not None:
            # 平成15–17年版: a 1 / （1） that opens no page is the third or
            # fourth level, printed like the first two.
            return self._inner(c, title)
        if self._fits_document(c):
            return [self._heading_of(c, title, level)]
        return self._inner(c, title)

    def _inner(self, c: Candidate, title: str) -> list[Heading] | None:
        number = c.number
        if self.inner_levels and c.form in ("item", "sub"):
            inner = KANA if c.form == "item" else SUBKANA
            if self._fits_inner(inner, number):
                return [self._heading_of(c, title, inner)]
        return None

    def _fits_document(self, c: Candidate) -> bool:
        """Whether the document's outline takes a heading no page opens.

        With a page list, an item is never such a heading where the codes
        number the items: every numbered item of the body opens a page (or
        its first （1）'s page), so an item no page opens is a footnote or a
        box's own numbering; and a heading that a later page opens is a
        look-alike (a footnote "2　…" before the page of item 2)."""
        if self.alignment is not None:
            if c.level == ITEM and ITEM in self.encoded_levels:
                # …unless its figures are numbered as this item's: then the
                # page codes are off by one here, not the text.
                return self._figure_confirms(c) and self.outline.fits_outer(c.level, c.number)
            if self._reserved(c.level, c.number, c.start):
                return False
        return self.outline.fits_outer(c.level, c.number)

    def _figure_confirms(self, c: Candidate) -> bool:
        """Whether the first figure under item candidate ``c`` is numbered as
        that item's (図表C-S-I-n with I its number and C the open 章): an item
        printed without a page of its own (r03 序章 補論 2, whose figures are
        図表0-2-2-…)."""
        chapter = next((h for h in self.outline.document_path if h.level == CHAPTER), None)
        section = next((h for h in self.outline.document_path if h.level == SECTION), None)
        if chapter is None or not chapter.number.isdigit():
            return False
        return self._figure_item(c, chapter.number, section.number if section is not None else None)

    def _figure_item(self, c: Candidate, chapter: str, section: str | None) -> bool:
        pos = c.line_end
        for _ in range(FIGURE_LOOKAHEAD):
            nl = self.text.find("\n", pos + 1)
            line = self.text[pos + 1 : nl if nl >= 0 else len(self.text)].strip()
            nxt = self._cand_at.get(pos + 1)
            if nxt is not None and nxt.level <= ITEM and nxt.form not in ("box", "back"):
                return False
            m = _FIGURE_PARTS.match(line)
            if m:
                parts = [nfkc(x) for x in m["id"].split("-")]
                return (
                    len(parts) >= 4
                    and parts[0] == chapter
                    and parts[2] == c.number
                    and (section is None or not section.isdigit() or parts[1] == section)
                )
            if nl < 0:
                return False
            pos = nl
        return False

    def _fits_inner(self, level: int, number: str) -> bool:
        """平成16年版's third and fourth levels, printed 1 / （1） like the first two."""
        path = self.outline.document_path
        sibling = next((h for h in path if h.level == level), None)
        if sibling is not None:
            return successor(level, sibling.number) == number
        if not path or (level == SUBKANA and path[-1].level != KANA):
            return False
        return number == "1"

    def _is_repeat(self, level: int, number: str, title: str) -> bool:
        """A 章/節 printed again at the top of a page that continues it (with
        its title, or as a bare "第8章" before the next 節)."""
        for h in self.outline.document_path:
            if h.level == level and h.number == number and (not title or squash(h.title) == squash(title) or h.inferred):
                return True
        return False

    def _is_repeat_page(self, level: int, number: str, title: str) -> bool:
        return any(
            h.level == level and h.number == number and squash(h.title) == squash(title) for h in self.outline.document_path
        )

    # ----------------------------------------------------------------- boxes

    def _box_ok(self, c: Candidate) -> bool:
        title = self.text[c.title_start : c.line_end].strip()
        return not title or looks_like_title(clean_title(title)) or c.start in self.placed

    def _box(self, c: Candidate, end: int) -> int:
        title = clean_title(self.text[c.title_start : end])
        kind = c.printed + (c.number if c.printed == "コラム" else "")
        if not title:
            self.box_pending = kind
            self.box_pending_at = c.start
            return end
        self._open_box(kind, title, c.start)
        return end

    # ------------------------------------------------------------------ text

    def _piece(self, a: int, b: int) -> None:
        """Text between headings: a paragraph, a caption, a figure note or a footnote."""
        frag = Fragment(a, self.text[a:b])
        stripped = frag.text.strip()
        if not stripped:
            return
        lead = len(frag.text) - len(frag.text.lstrip())
        frag = Fragment(a + lead, stripped)
        s = frag.text
        if self.box_pending is not None:
            kind, self.box_pending = self.box_pending, None
            if looks_like_title(clean_title(s)):
                self._open_box(kind, clean_title(s), self.box_pending_at)
                return
            self._open_box(kind, "", self.box_pending_at)
        m = _WEB_CAPTION.match(s)
        if m:
            self._flush_figure()
            fig = f"図表{m['fig']}" if m["fig"] else f"図表[{m['fig2']}]"
            self.figure = (fig, [frag])
            return
        if self.figure is not None and _WEB_FIGURE_NOTE.match(s):
            self.figure[1].append(frag)
            return
        self._flush_figure()
        m = _WEB_FOOTNOTE.match(s)
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

    def _unheaded(self, a: int, b: int) -> None:
        """Text outside the headed body (front matter): line blocks of no section."""
        acc = self.sections[0]
        for frag in lines(self.text, a, b):
            if self._in_nav(frag.start):
                continue
            block = self._block("text", [frag])
            if block:
                acc.blocks.append(block)

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

    # ---------------------------------------------------------------- output

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

    def _heading(self, heading: Heading, *, outer: bool, page_start: bool = False, at: int | None = None) -> None:
        self._flush_figure()
        new_page = page_start or heading.level in (PART, CHAPTER, SECTION)
        if new_page:
            # Footnotes are printed at the end of their web page, and a page
            # may hold several headings; only a new page forgets the markers.
            self.markers.clear()
        if outer:
            self.outline.close_box()
        self.outline.accept(heading)
        self.sections.append(SectionAcc(tuple(self.outline.path), start=at))
        if new_page:
            self.page_start = len(self.sections) - 1

    def _open_box(self, kind: str, title: str, at: int | None = None) -> None:
        self._flush_figure()
        self.markers.clear()
        self.outline.open_box(Heading(BOX, kind, title))
        self.sections.append(SectionAcc(tuple(self.outline.path), start=at))


def _usual(level: int, number: str) -> str:
    """How a level's number is normally printed, for telling a printed form apart."""
    return Heading(level, number, "").marker


def parse_web(text: str, page_urls: Sequence[str] = ()) -> WebParse:
    """Parse a web text (and place its pages when ``page_urls`` is given)."""
    return WebParser(text, page_urls).run()


__all__ = ["WebParse", "WebParser", "clean_title", "looks_like_title", "parse_web"]
