"""Find the heading tree of a 情報通信白書 text and cut it into sections.

Two kinds of source reach this module, and they break in different ways:

``pdf``
    Text extracted from the printed PDF (one 節 or 章 per file).  Lines end
    where the printed line ended, paragraphs run across blank lines and page
    breaks, each page carries a running head (the 節 or 章 title), figures
    come out as fragments (one character per line for vertical labels),
    footnotes (``＊1``) sit at the bottom of the page they were set on,
    headings are "number TAB title", and bold titles are sometimes doubled
    ("第第88節 …節 …").
``web``
    The MIC "テキスト版" of a whole edition: one line per paragraph, but the
    web pages were concatenated with no separator, so a heading often sits at
    the end of the previous page's last line ("…取り組んできた。（2）　今後の
    課題と方向性").  Headings use a full-width space ("1　概要", "（1）　…"),
    footnotes are lines "1　…" that look like headings, and 政策フォーカス /
    コラム boxes restart their own numbering.

Both are handled the same way at the core: a candidate heading is only taken
as a heading if its number is the one the outline expects next
(:class:`_Outline`), which is what separates "4\\tデジタル分野の経済安全保障"
from "4年）6月に…" or a footnote "4　…".  Everything here is a pure function
of the text; the mutable helpers live only for the length of one call.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .documents import BOX, CHAPTER, ITEM, KANA, PART, SECTION, SUBITEM, SUBKANA, Block, BlockKind, Heading, Section
from .readers import detect_language
from .reflow import Fragment, display_width, join_groups, join_verbatim, reflow

Style = Literal["auto", "pdf", "web"]

__all__ = ["detect_style", "format_tree", "infer_chapter_number", "parse_sections"]


# --------------------------------------------------------------------------
# Numbering: what may come next
# --------------------------------------------------------------------------

# ア, イ, ウ … in the order the white papers use (gojūon, as in 公用文).
_KANA_ORDER = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"

# Nesting order.  A box hangs under its 章/節 and above the box's own "1".
_RANK = {PART: 1.0, CHAPTER: 2.0, SECTION: 3.0, BOX: 3.5, ITEM: 4.0, SUBITEM: 5.0, KANA: 6.0, SUBKANA: 7.0}


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _successor(level: int, number: str) -> str | None:
    """The number that follows ``number`` at ``level``; None when anything may
    follow (an unnumbered heading such as はじめに)."""
    if level in (KANA, SUBKANA):
        i = _KANA_ORDER.find(number)
        return _KANA_ORDER[i + 1] if 0 <= i < len(_KANA_ORDER) - 1 else None
    if number.isdigit():
        return str(int(number) + 1)
    return None


def _fits(path: Sequence[Heading], level: int, number: str) -> bool:
    """Whether a heading ``level``/``number`` may come next after ``path``.

    The next heading at a level is the previous sibling + 1; the first child
    of a heading is 1 (or ア).  A text that starts without any heading (a PDF
    of one 節, an excerpt) may start at any number.  部/章/節 only have to
    go forward."""
    sibling = next((h for h in path if h.level == level), None)
    if level in (PART, CHAPTER, SECTION):
        # "第N節" is unmistakable, so only its order is checked: the web text
        # sometimes lacks a page (r02 has 第4章 第2節 but no 第1節).
        if sibling is None or not (sibling.number.isdigit() and number.isdigit()):
            return True
        return int(number) > int(sibling.number)
    if sibling is not None:
        nxt = _successor(level, sibling.number)
        return nxt is None or number == nxt
    if not path:
        return True  # a text that starts inside a 節 (an excerpt)
    return number == ("ア" if level in (KANA, SUBKANA) else "1")


def _descend(path: Sequence[Heading], heading: Heading) -> list[Heading]:
    """The path once ``heading`` is taken: it replaces its sibling and closes
    everything below."""
    rank = _RANK[heading.level]
    return [h for h in path if _RANK[h.level] < rank] + [heading]


class _Outline:
    """The headings open at the current point of a parse.

    While a box is open its headings form their own outline (``path``) and the
    document's outline waits in ``outer``; leaving the box restores it."""

    def __init__(self) -> None:
        self.path: list[Heading] = []
        self.outer: list[Heading] | None = None

    @property
    def in_box(self) -> bool:
        return self.outer is not None

    @property
    def document_path(self) -> list[Heading]:
        return self.outer if self.outer is not None else self.path

    def fits(self, level: int, number: str) -> bool:
        return _fits(self.path, level, number)

    def fits_outer(self, level: int, number: str) -> bool:
        return _fits(self.document_path, level, number)

    def is_repeat(self, level: int, number: str, title: str) -> bool:
        """The web text repeats a 章/節 heading at the top of a page that
        continues it; that is not a new heading."""
        return any(
            h.level == level and h.number == number and _squash(h.title) == _squash(title) for h in self.document_path
        )

    def accept(self, heading: Heading) -> None:
        self.path = _descend(self.path, heading)

    def accept_outer(self, heading: Heading) -> None:
        self.close_box()
        self.accept(heading)

    def open_box(self, heading: Heading) -> None:
        self.close_box()
        self.outer = list(self.path)
        self.path = [h for h in self.path if _RANK[h.level] <= _RANK[SECTION]] + [heading]

    def close_box(self) -> None:
        if self.outer is not None:
            self.path, self.outer = self.outer, None


def _squash(s: str) -> str:
    """Compare titles ignoring spacing and full/half width ("ICT 国際" = "ICT国際")."""
    return re.sub(r"\s+", "", _nfkc(s))


# --------------------------------------------------------------------------
# Shared shapes
# --------------------------------------------------------------------------

# A sentence ends at 。！？ possibly followed by closing brackets.  A line that
# ends so ends its paragraph in the PDF text (the indent that would mark a new
# paragraph is lost in extraction).
_SENTENCE_END = re.compile(r"[。！？!?][」』）)]*\s*$")

# Figure ids as printed: 図表5-8-2-1 (edition-wide), 図表1 (inside a box).
_FIGURE_ID = r"図表\s?(?P<fig>\d+(?:-\d+)*)"

# "第5章", "第8節", "第1部" and 序章 — the outline's top levels.
_TOP_KIND = {"部": PART, "章": CHAPTER, "節": SECTION}


def _title_ok(title: str, *, max_len: int = 70) -> bool:
    """A heading title is a short phrase: no sentence end, no URL."""
    t = title.strip()
    return (
        bool(t) and len(t) <= max_len and "。" not in t and "http" not in t and not t.endswith(("、", "，", "：", ":"))
    )


def _lines(text: str, start: int = 0, end: int | None = None) -> Iterator[Fragment]:
    """The lines of ``text[start:end]``, each with its newline (if any)."""
    end = len(text) if end is None else end
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl + 1
        yield Fragment(pos, text[pos:stop])
        pos = stop


def _strip_fragment(frag: Fragment) -> Fragment:
    """The fragment without surrounding whitespace (offsets kept right)."""
    t = frag.text
    lead = len(t) - len(t.lstrip())
    body = t.strip()
    return Fragment(frag.start + lead, body)


@dataclass
class _SectionAcc:
    """A section being filled; frozen into a :class:`Section` at the end."""

    path: tuple[Heading, ...]
    blocks: list[Block] = field(default_factory=list)


def _block(kind: BlockKind, fragments: Sequence[Fragment], figure: str | None = None) -> Block | None:
    text, spans = reflow(fragments)
    if not text:
        return None
    return Block(kind=kind, text=text, spans=spans, figure=figure)


def _figure_block(groups: Sequence[Sequence[Fragment]], figure: str) -> Block | None:
    text, spans = join_groups(groups)
    if not text:
        return None
    return Block(kind="figure", text=text, spans=spans, figure=figure)


# --------------------------------------------------------------------------
# Style detection
# --------------------------------------------------------------------------

# Web text: a full-width space after the heading number ("1　概要", "（1）　…",
# "第8節　…").  PDF text: a tab after it ("1 \t概要"), ＊ footnotes.
_WEB_EVIDENCE = re.compile(r"^(?:第\d+[章節]|\d{1,2}|（\d{1,2}）|[ア-ン])\u3000\S", re.MULTILINE)
_PDF_EVIDENCE = re.compile(r"^[ \t]*(?:\d{1,2} ?\t|＊\d+\t)|^[ \t]*第第", re.MULTILINE)


def detect_style(text: str) -> Literal["pdf", "web"]:
    """Which source the text looks like, by counting heading shapes."""
    sample = text[:200_000]
    web = len(_WEB_EVIDENCE.findall(sample))
    pdf = len(_PDF_EVIDENCE.findall(sample))
    return "web" if web > pdf else "pdf"


def parse_sections(text: str, *, style: Style = "auto") -> list[Section]:
    """Cut ``text`` (the decoded source file) into sections under its headings.

    Each :class:`Section` holds the blocks between its heading and the next
    heading of any level; its ``path`` runs from the outermost heading the
    file has (部, 章 or 節) down to its own.  Text before the first heading and
    (web text) the back matter after the last 節 come as sections with an
    empty path.  Block spans point into ``text``.
    """
    if style == "auto":
        style = detect_style(text)
    if style == "pdf":
        return _PdfParser(text).run()
    return _WebParser(text).run()


# --------------------------------------------------------------------------
# PDF-extracted text
# --------------------------------------------------------------------------

# "1 \t概要", " 1\t 概要", "10 \t ICANN": pdftotext puts a tab between a
# heading's number and its title; a prose line that starts with a number
# ("10月に商用…", "4年）6月に…") never has one there.  ``gap`` is the space
# some headings have before the tab: in the 白書 layout the SUBITEM numbers
# ("1 \tこれまでの取組") have it and the ITEM numbers (" 1\t 概要") do not,
# which decides between the two when the numbering alone cannot.
_PDF_NUMBERED = re.compile(r"^[ \t]*(?P<num>\d{1,2})(?P<gap> ?)\t[ \t]*(?P<title>\S.*?)\s*$")
# "ア　基幹通信インフラ": a katakana then a full-width space (or tab).
_PDF_KANA = re.compile(r"^[ \t]*(?P<num>[ア-ン])[\u3000\t][ \t\u3000]*(?P<title>\S.*?)\s*$")
# "（ア）消防分野", " （イ）郵便分野".
_PDF_SUBKANA = re.compile(r"^[ \t]*（(?P<num>[ア-ン])）[ \t\u3000]*(?P<title>\S.*?)\s*$")
# "第8節 ICT国際戦略の推進" (after undoubling), "第5章 …", and 序章.
_PDF_TOP = re.compile(r"^[ \t]*(?:第(?P<num>\d+)(?P<kind>[部章節])|(?P<jo>序章))[ \t\u3000]*(?P<title>\S.*?)\s*$")
# "＊1\t https://…": a footnote at the foot of the page.
_PDF_FOOTNOTE = re.compile(r"^[ \t]*＊(?P<num>\d+)[ \t\u3000]+\S")
# "図表5-8-2-1 デジタル海外展開プラットフォーム": a figure caption.
_PDF_CAPTION = re.compile(r"^[ \t]*" + _FIGURE_ID + r"[ \t\u3000]+(?P<title>\S.*?)\s*$")
# A page number or a bare "第5章" tab marker on a line of its own.
_PDF_FOLIO = re.compile(r"^[ \t]*(?:\d{1,3}|第\d+章)[ \t]*$")
# A marker in running text pointing at footnote N: "共同原則＊1」".
_PDF_MARKER = re.compile(r"＊(?P<num>\d+)(?!\d)")
# "①　無線通信部門（ITU-R…）": an item of a circled-number list.
_LIST_ITEM = re.compile(r"^[ \t]*[\u2460-\u2473]")
# Punctuation that a running head never has.
_PROSE_PUNCT = re.compile(r"[、。，．「」『』（）()：:]")
# The end of an English sentence, or of a lead-in ("Annex 3:").
_LATIN_END = re.compile(r"[.!?:;][\"'’”)\]]*\s*$")


def _label_split(frag: Fragment, at: int) -> list[Fragment]:
    """``frag`` cut at ``at`` so the label before it ("＊2", "図表5-8-2-1")
    keeps the space that separates it from its text."""
    at = max(0, min(at, len(frag.text)))
    return [Fragment(frag.start, frag.text[:at]), Fragment(frag.start + at, frag.text[at:], spaced=True)]


def _undouble(line: str) -> str:
    """Undo the doubling PDF extraction does to bold titles.

    "第第88節 ICT国際戦略の推進節 ICT国際戦略の推進" is two overlapping
    copies of "第8節 ICT国際戦略の推進": the first k characters come out
    doubled one by one and the rest comes out twice in a row.  Returns the
    single copy, or ``line`` unchanged if it is not doubled that way."""
    s = line.strip()
    n = len(s)
    for k in range(1, n // 2 + 1):
        # s = doubled(t[:k]) + t[k:] + t[k:], so len(s) = 2k + 2(len(t) - k)
        if s[2 * (k - 1)] != s[2 * (k - 1) + 1]:
            break
        rest = s[2 * k :]
        if len(rest) % 2 == 0 and rest and rest[: len(rest) // 2] == rest[len(rest) // 2 :]:
            return s[0 : 2 * k : 2] + rest[: len(rest) // 2]
    return line


def _pdf_heading_options(line: str) -> list[Heading]:
    """The headings a PDF line could be, most plausible first (before the
    numbering has its say)."""
    m = _PDF_TOP.match(_undouble(line))
    if m and _title_ok(m["title"], max_len=60):
        if m["jo"]:
            return [Heading(CHAPTER, "0", m["title"])]
        return [Heading(_TOP_KIND[m["kind"]], m["num"], m["title"])]
    m = _PDF_NUMBERED.match(line)
    if m and _title_ok(m["title"], max_len=60):
        num, title = _nfkc(m["num"]), m["title"]
        hint = SUBITEM if m["gap"] else ITEM
        order = [hint, ITEM if hint == SUBITEM else SUBITEM]
        return [Heading(level, num, title) for level in order]
    m = _PDF_KANA.match(line)
    if m and _title_ok(m["title"], max_len=60):
        return [Heading(KANA, m["num"], m["title"])]
    m = _PDF_SUBKANA.match(line)
    if m and _title_ok(m["title"], max_len=60):
        return [Heading(SUBKANA, m["num"], m["title"])]
    return []


class _PdfParser:
    """One pass over the lines of a PDF text.  See the module docstring."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Fragments keep their newline: a figure's labels are joined by it.
        self.lines = list(_lines(text))
        self.heads = self._running_heads()
        self.width = self._prose_width()
        # English text (a related document, an English edition) has no 。 to
        # end its paragraphs, and its lines often end with no trailing space.
        self.latin = detect_language(text) == "en"
        self.outline = _Outline()
        self.sections: list[_SectionAcc] = [_SectionAcc(())]
        self.footnotes: list[tuple[int, str, Block]] = []  # (section index, number, block)
        self.para: list[Fragment] = []
        self.figure: tuple[str, list[list[Fragment]]] | None = None
        self.note: tuple[str, list[Fragment]] | None = None  # the footnote being read

    # -- file-wide facts -------------------------------------------------

    def _running_heads(self) -> set[str]:
        """Titles that a page may carry as its running head: every 部/章/節
        title the file prints (the page heads repeat them)."""
        heads = set()
        for frag in self.lines:
            m = _PDF_TOP.match(_undouble(frag.text))
            if m and _title_ok(m["title"], max_len=60):
                heads.add(_squash(m["title"]))
        return heads

    def _prose_width(self) -> int:
        """The width of a full line of body text: the most common width among
        the wider lines (short lines end paragraphs or belong to figures)."""
        widths = Counter(display_width(f.text.strip()) for f in self.lines if "\t" not in f.text)
        wide = {w: c for w, c in widths.items() if w >= 40}
        if not wide:
            return 88
        # Smooth over ±2 columns: justified lines differ by a character or two.
        best = max(wide, key=lambda w: sum(wide.get(w + d, 0) for d in range(-2, 3)))
        return best

    # -- line kinds ------------------------------------------------------

    def _is_running_head(self, line: str) -> bool:
        s = _squash(line)
        return bool(s) and (s in self.heads or bool(_PDF_FOLIO.match(line)))

    def _is_structural(self, line: str) -> bool:
        """Lines that can never continue a paragraph or a footnote."""
        return bool(
            _PDF_FOOTNOTE.match(line)
            or _PDF_CAPTION.match(line)
            or self._is_running_head(line)
            or any(self._fits(o) for o in _pdf_heading_options(line))
        )

    def _fits(self, option: Heading) -> bool:
        return self.outline.fits(option.level, option.number)

    def _next_text_line(self, i: int) -> str | None:
        for frag in self.lines[i + 1 :]:
            if frag.text.strip():
                return frag.text
        return None

    def _is_orphan_head(self, i: int) -> bool:
        """A running head we could not know by name (the 章 title of a file
        that holds only a 節): a short line with no punctuation that sits in
        the middle of an unfinished sentence, alone after a blank line, with
        the sentence going on after it."""
        line = self.lines[i].text.strip()
        if not self.para or _SENTENCE_END.search(self.para[-1].text) or self.figure is not None:
            return False
        if display_width(line) > 40 or _PROSE_PUNCT.search(line) or self.lines[i - 1].text.strip():
            return False
        nxt = self._next_text_line(i)
        return nxt is not None and not self._is_structural(nxt) and display_width(nxt.strip()) >= self.width // 2

    # -- output ----------------------------------------------------------

    def _flush_para(self) -> None:
        if self.para:
            block = _block("text", self.para)
            if block:
                self.sections[-1].blocks.append(block)
        self.para = []

    def _flush_figure(self) -> None:
        if self.figure is not None:
            fig, groups = self.figure
            block = _figure_block([g for g in groups if g], fig)
            if block:
                self.sections[-1].blocks.append(block)
        self.figure = None

    def _flush_note(self) -> None:
        if self.note is not None:
            num, frags = self.note
            block = _block("footnote", frags)
            if block:
                self.footnotes.append((len(self.sections) - 1, num, block))
        self.note = None

    def _note_is_open(self) -> bool:
        """Whether the footnote being read may go on to the next line: only if
        it has not ended a sentence or a URL and its last line was full (a
        footnote line is set wider than body text, so a full one wraps)."""
        if self.note is None:
            return False
        last = self.note[1][-1].text.strip()
        if _SENTENCE_END.search(last) or re.search(r"https?://\S+$", last) and " " not in last.split("://", 1)[1]:
            return False
        return display_width(last) >= self.width

    def _starts_prose(self, i: int) -> bool:
        """A figure is over when body text comes back: a full-width line that
        starts after a blank line and ends a sentence or runs on full-width.
        (Figure labels are short, or wider than the body when set small.)"""
        line = self.lines[i].text.strip()
        w = display_width(line)
        if not (self.width - 6 <= w <= self.width + 1) or self.lines[i - 1].text.strip():
            return False
        nxt = self.lines[i + 1].text.strip() if i + 1 < len(self.lines) else ""
        return bool(nxt) and (bool(_SENTENCE_END.search(nxt)) or self.width - 6 <= display_width(nxt) <= self.width + 1)

    # -- the pass --------------------------------------------------------

    def run(self) -> list[Section]:
        for i, frag in enumerate(self.lines):
            self._line(i, frag)
        self._flush_note()
        self._flush_figure()
        self._flush_para()
        return _finish(self.sections, self.footnotes, _PDF_MARKER)

    def _line(self, i: int, frag: Fragment) -> None:
        line = frag.text.rstrip("\r\n")
        if not line.strip():
            if self.figure is not None:
                self.figure[1].append([])  # a blank line separates figure labels
            if self.latin:
                self._flush_para()  # English paragraphs are set apart by blank lines
            return
        for option in _pdf_heading_options(line):
            if self._fits(option):
                self._heading(option)
                return
        if self._is_running_head(line) and not (self.figure is not None and _PDF_FOLIO.match(line)):
            # A page break: a figure never runs over one, a paragraph may.
            # (A lone number inside a figure is one of its labels: "2016", "0".)
            self._flush_figure()
            return
        m = _PDF_FOOTNOTE.match(line)
        if m:
            self._flush_note()
            self._flush_figure()
            self.note = (m["num"], _label_split(frag, m.end("num")))
            return
        if self._note_is_open():
            assert self.note is not None
            self.note[1].append(frag)
            return
        self._flush_note()
        m = _PDF_CAPTION.match(line)
        if m and _title_ok(m["title"], max_len=80):
            self._flush_figure()
            if self.para and _SENTENCE_END.search(self.para[-1].text):
                self._flush_para()
            self.figure = (f"図表{m['fig']}", [_label_split(frag, m.start("title"))])
            return
        if self.figure is not None and not self._starts_prose(i):
            self.figure[1][-1].append(frag)
            return
        self._flush_figure()
        if _PDF_FOLIO.match(line) or self._is_orphan_head(i):
            return
        if _LIST_ITEM.match(line):
            self._flush_para()  # each item of a ①②③ list is its own paragraph
        if self.latin and self.para:
            frag = Fragment(frag.start, frag.text, spaced=True)  # a line break between words is a space
        self.para.append(frag)
        if (
            _SENTENCE_END.search(line)
            or (_LIST_ITEM.match(line) and display_width(line.strip()) < self.width - 6)
            or (self.latin and self._ends_latin_paragraph(line))
        ):
            self._flush_para()

    def _ends_latin_paragraph(self, line: str) -> bool:
        """In English text a line ends its paragraph if it ends a sentence or
        is not a full line of wrapped prose (a title, a last line, or a whole
        paragraph on one line as in text saved from a web page)."""
        w = display_width(line.strip())
        return bool(_LATIN_END.search(line)) or not (self.width * 3 // 4 <= w <= self.width + 2)

    def _heading(self, heading: Heading) -> None:
        self._flush_note()
        self._flush_figure()
        self._flush_para()
        self.outline.accept(heading)
        self.sections.append(_SectionAcc(tuple(self.outline.path)))


def _finish(
    sections: list[_SectionAcc],
    footnotes: Sequence[tuple[int, str, Block]],
    marker: re.Pattern[str] | None,
) -> list[Section]:
    """Attach each footnote to the section whose text carries its marker, then
    freeze.  In a PDF a footnote is printed at the foot of whatever page it
    fell on, which may be a later section; its number is unique in the file,
    so its marker "＊N" finds the right section.  (Web footnotes restart at 1
    on every page and sit at the end of it: ``marker=None`` keeps them where
    they are.)"""
    where: dict[str, int] = {}
    for idx, acc in enumerate(sections):
        if marker is None:
            break
        for block in acc.blocks:
            if block.kind == "footnote":
                continue
            for m in marker.finditer(block.text):
                where.setdefault(m["num"], idx)
    for physical, num, block in footnotes:
        target = where.get(num, physical)
        # A marker after the footnote's page cannot be its marker.
        sections[min(target, physical)].blocks.append(block)
    out = [Section(acc.path, tuple(acc.blocks)) for acc in sections]
    # The placeholder for text before the first heading goes if it is empty.
    if out and not out[0].path and not out[0].blocks:
        out = out[1:]
    return out


# --------------------------------------------------------------------------
# MIC web text
# --------------------------------------------------------------------------

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
_WEB_CAPTION = re.compile(r"〈?" + _FIGURE_ID + r"[\u3000 ]+(?P<title>\S.*?)\s*$")
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
    if not m or not _title_ok(m["title"]):
        return None
    title = _TITLE_MARKER.sub("", m["title"]).strip()
    if m["top"]:
        return Heading(_TOP_KIND[m["kind"]], _nfkc(m["top"]), title)
    if m["jo"]:
        return Heading(CHAPTER, "0", title)
    if m["item"]:
        return Heading(ITEM, _nfkc(m["item"]), title)
    if m["sub"]:
        return Heading(SUBITEM, _nfkc(m["sub"]), title)
    if m["kana"]:
        return Heading(KANA, m["kana"], title)
    return Heading(SUBKANA, m["subkana"], title)


def _web_box(s: str) -> tuple[str, str] | None:
    """``s`` read as a box marker: (kind, title) with title possibly ""."""
    m = _WEB_BOX.fullmatch(s.strip())
    if not m:
        return None
    kind = "政策フォーカス" if m["focus"] else f"コラム{_nfkc(m['col'])}"
    return kind, (m["title"] or "").strip()


def _parts_from_index(text: str, start: int) -> dict[str, Heading]:
    """章 number → its 部, read from the 図表索引 (the body never prints the
    部 headings; the index lists "第1部　…" then its chapters)."""
    parts: dict[str, Heading] = {}
    part: Heading | None = None
    for frag in _lines(text, start):
        for piece in re.split(r"\s{2,}", frag.text.strip()):
            m = re.match(r"第(?P<num>\d+)部\u3000(?P<title>\S.*)$", piece)
            if m:
                part = Heading(PART, _nfkc(m["num"]), m["title"].strip())
                continue
            m = re.match(r"(?:第(?P<num>\d+)章|(?P<jo>序章))\u3000", piece)
            if m and part is not None:
                parts.setdefault("0" if m["jo"] else _nfkc(m["num"]), part)
    return parts


class _WebParser:
    """One pass over the paragraphs (lines) of a web-text edition.

    Blocks keep their lines verbatim (:func:`join_verbatim`): a web line is
    already a whole paragraph, and its full-width spaces are meant."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.outline = _Outline()
        self.sections: list[_SectionAcc] = [_SectionAcc(())]
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
        return _finish(self.sections, self.footnotes, None)

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
            yield from _lines(self.text, pos, m.start())
            pos = m.end()
        yield from _lines(self.text, pos, end)

    def _back(self, start: int, index: int | None, refs: int | None) -> None:
        """The back matter as one unheaded section of line blocks.  The
        figure index is left out: it only repeats the captions."""
        self.outline = _Outline()
        acc = _SectionAcc(())
        regions = [(start, index if index is not None else len(self.text))]
        if refs is not None:
            regions.append((refs, len(self.text)))
        for a, b in regions:
            for frag in _lines(self.text, a, b):
                block = self._block("text", [frag])
                if block:
                    acc.blocks.append(block)
        if acc.blocks:
            self.sections.append(acc)

    # -- lines -----------------------------------------------------------

    def _line(self, frag: Fragment) -> None:
        frag = _strip_fragment(frag)
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
            if s[p] in _KANA_ORDER and "\u30a0" <= s[p - 1] <= "\u30ff":
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
        return self.outline.fits_outer(heading.level, heading.number) or self.outline.fits(
            heading.level, heading.number
        )

    def _tail(self, frag: Fragment) -> None:
        """A glued heading starts a new page: it closes an open box if the
        document's outline takes it."""
        box = _web_box(frag.text)
        if box is not None:
            self._open_box(*box)
            return
        heading = _web_heading(frag.text)
        assert heading is not None
        if heading.level in (PART, CHAPTER, SECTION) and self.outline.is_repeat(
            heading.level, heading.number, heading.title
        ):
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
        self.sections.append(_SectionAcc(tuple(self.outline.path)))
        if new_page:
            self.page_start = len(self.sections) - 1

    def _enter_part(self, chapter: Heading) -> None:
        part = self.parts.get(chapter.number)
        current = next((h for h in self.outline.path if h.level == PART), None)
        if part is not None and part != current:
            self.outline.accept(part)
            self.sections.append(_SectionAcc(tuple(self.outline.path)))

    def _open_box(self, kind: str, title: str) -> None:
        if not title:
            self.box_pending = kind  # r04/r05: the title is the next line
            return
        self._flush_figure()
        self.markers.clear()
        self.outline.open_box(Heading(BOX, kind, title))
        self.sections.append(_SectionAcc(tuple(self.outline.path)))


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
                    counts[_nfkc(m.group(1))] += 2  # a caption weighs more than a mention
            for m in _FIGURE_IN_TEXT.finditer(block.text):
                counts[_nfkc(m.group(1))] += 1
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
