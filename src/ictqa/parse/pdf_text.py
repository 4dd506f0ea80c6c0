"""The parser for text extracted from the printed PDF (the ``pdf`` dialect).

Lines end where the printed line ended, paragraphs run across blank lines
and page breaks, each page carries a running head (the 節 or 章 title),
figures come out as fragments (one character per line for vertical labels),
footnotes (``＊1``) sit at the bottom of the page they were set on, headings
are "number TAB title", and bold titles are sometimes doubled
("第第88節 …節 …").
"""

from __future__ import annotations

import re
from collections import Counter

from ..documents import CHAPTER, ITEM, KANA, SUBITEM, SUBKANA, Block, Heading, Section
from .outline import (
    FIGURE_ID,
    SENTENCE_END,
    TOP_KIND,
    Outline,
    SectionAcc,
    figure_block,
    finish,
    lines,
    make_block,
    nfkc,
    squash,
    title_ok,
)
from .reflow import Fragment, display_width

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
_PDF_CAPTION = re.compile(r"^[ \t]*" + FIGURE_ID + r"[ \t\u3000]+(?P<title>\S.*?)\s*$")
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
    if m and title_ok(m["title"], max_len=60):
        if m["jo"]:
            return [Heading(CHAPTER, "0", m["title"])]
        return [Heading(TOP_KIND[m["kind"]], m["num"], m["title"])]
    m = _PDF_NUMBERED.match(line)
    if m and title_ok(m["title"], max_len=60):
        num, title = nfkc(m["num"]), m["title"]
        hint = SUBITEM if m["gap"] else ITEM
        order = [hint, ITEM if hint == SUBITEM else SUBITEM]
        return [Heading(level, num, title) for level in order]
    m = _PDF_KANA.match(line)
    if m and title_ok(m["title"], max_len=60):
        return [Heading(KANA, m["num"], m["title"])]
    m = _PDF_SUBKANA.match(line)
    if m and title_ok(m["title"], max_len=60):
        return [Heading(SUBKANA, m["num"], m["title"])]
    return []


class PdfParser:
    """One pass over the lines of a PDF text.  See the module docstring."""

    def __init__(self, text: str, language: str = "ja") -> None:
        self.text = text
        # Fragments keep their newline: a figure's labels are joined by it.
        self.lines = list(lines(text))
        self.heads = self._running_heads()
        self.width = self._prose_width()
        # English text (a related document, an English edition) has no 。 to
        # end its paragraphs, and its lines often end with no trailing space.
        self.latin = language == "en"
        self.outline = Outline()
        self.sections: list[SectionAcc] = [SectionAcc(())]
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
            if m and title_ok(m["title"], max_len=60):
                heads.add(squash(m["title"]))
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
        s = squash(line)
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
        if not self.para or SENTENCE_END.search(self.para[-1].text) or self.figure is not None:
            return False
        if display_width(line) > 40 or _PROSE_PUNCT.search(line) or self.lines[i - 1].text.strip():
            return False
        nxt = self._next_text_line(i)
        return nxt is not None and not self._is_structural(nxt) and display_width(nxt.strip()) >= self.width // 2

    # -- output ----------------------------------------------------------

    def _flush_para(self) -> None:
        if self.para:
            block = make_block("text", self.para)
            if block:
                self.sections[-1].blocks.append(block)
        self.para = []

    def _flush_figure(self) -> None:
        if self.figure is not None:
            fig, groups = self.figure
            block = figure_block([g for g in groups if g], fig)
            if block:
                self.sections[-1].blocks.append(block)
        self.figure = None

    def _flush_note(self) -> None:
        if self.note is not None:
            num, frags = self.note
            block = make_block("footnote", frags)
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
        if SENTENCE_END.search(last) or re.search(r"https?://\S+$", last) and " " not in last.split("://", 1)[1]:
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
        return bool(nxt) and (bool(SENTENCE_END.search(nxt)) or self.width - 6 <= display_width(nxt) <= self.width + 1)

    # -- the pass --------------------------------------------------------

    def run(self) -> list[Section]:
        for i, frag in enumerate(self.lines):
            self._line(i, frag)
        self._flush_note()
        self._flush_figure()
        self._flush_para()
        return finish(self.sections, self.footnotes, _PDF_MARKER)

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
                self._heading(option, frag.start + len(line) - len(line.lstrip()))
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
        if m and title_ok(m["title"], max_len=80):
            self._flush_figure()
            if self.para and SENTENCE_END.search(self.para[-1].text):
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
            SENTENCE_END.search(line)
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

    def _heading(self, heading: Heading, at: int | None = None) -> None:
        self._flush_note()
        self._flush_figure()
        self._flush_para()
        self.outline.accept(heading)
        self.sections.append(SectionAcc(tuple(self.outline.path), start=at))
