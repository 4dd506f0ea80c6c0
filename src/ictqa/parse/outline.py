"""What the two parsers share: the numbering rules of the outline, the
shapes common to both dialects, and the last step that freezes sections.

A candidate heading is only taken as a heading if its number is the one the
outline expects next (:class:`Outline`), which is what separates
"4\\tデジタル分野の経済安全保障" from "4年）6月に…" or a footnote "4　…".
The mutable helpers here live only for the length of one parse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ..documents import BOX, CHAPTER, ITEM, KANA, PART, SECTION, SUBITEM, SUBKANA, Block, BlockKind, Heading, Section
from .reflow import Fragment, join_groups, reflow

# ア, イ, ウ … in the order the white papers use (gojūon, as in 公用文).
KANA_ORDER = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"

# Nesting order.  A box hangs under its 章/節 and above the box's own "1".
RANK = {PART: 1.0, CHAPTER: 2.0, SECTION: 3.0, BOX: 3.5, ITEM: 4.0, SUBITEM: 5.0, KANA: 6.0, SUBKANA: 7.0}


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


# (i), (ii) … of the 2000–2006 editions.
ROMAN_ORDER = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")


def successor(level: int, number: str) -> str | None:
    """The number that follows ``number`` at ``level``; None when anything may
    follow (an unnumbered heading such as はじめに)."""
    if number in ROMAN_ORDER:
        i = ROMAN_ORDER.index(number)
        return ROMAN_ORDER[i + 1] if i < len(ROMAN_ORDER) - 1 else None
    if len(number) == 1 and number in KANA_ORDER:
        i = KANA_ORDER.find(number)
        return KANA_ORDER[i + 1] if 0 <= i < len(KANA_ORDER) - 1 else None
    if number.isdigit():
        return str(int(number) + 1)
    return None


def first_number(number: str) -> str:
    """The number a first heading of ``number``'s kind carries: 1, ア or i."""
    if number in ROMAN_ORDER:
        return "i"
    if len(number) == 1 and number in KANA_ORDER:
        return "ア"
    return "1"


def fits(path: Sequence[Heading], level: int, number: str) -> bool:
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
        nxt = successor(level, sibling.number)
        return nxt is None or number == nxt
    if not path:
        return True  # a text that starts inside a 節 (an excerpt)
    return number == first_number(number)


def descend(path: Sequence[Heading], heading: Heading) -> list[Heading]:
    """The path once ``heading`` is taken: it replaces its sibling and closes
    everything below."""
    rank = RANK[heading.level]
    return [h for h in path if RANK[h.level] < rank] + [heading]


class Outline:
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
        return fits(self.path, level, number)

    def fits_outer(self, level: int, number: str) -> bool:
        return fits(self.document_path, level, number)

    def is_repeat(self, level: int, number: str, title: str) -> bool:
        """The web text repeats a 章/節 heading at the top of a page that
        continues it; that is not a new heading."""
        return any(h.level == level and h.number == number and squash(h.title) == squash(title) for h in self.document_path)

    def accept(self, heading: Heading) -> None:
        self.path = descend(self.path, heading)

    def accept_outer(self, heading: Heading) -> None:
        self.close_box()
        self.accept(heading)

    def open_box(self, heading: Heading) -> None:
        self.close_box()
        self.outer = list(self.path)
        self.path = [h for h in self.path if RANK[h.level] <= RANK[SECTION]] + [heading]

    def close_box(self) -> None:
        if self.outer is not None:
            self.path, self.outer = self.outer, None


def squash(s: str) -> str:
    """Compare titles ignoring spacing and full/half width ("ICT 国際" = "ICT国際")."""
    return re.sub(r"\s+", "", nfkc(s))


# --------------------------------------------------------------------------

# A sentence ends at 。！？ possibly followed by closing brackets.  A line that
# ends so ends its paragraph in the PDF text (the indent that would mark a new
# paragraph is lost in extraction).
SENTENCE_END = re.compile(r"[。！？!?][」』）)]*\s*$")

# Figure ids as printed: 図表5-8-2-1 (edition-wide), 図表1 (inside a box).
FIGURE_ID = r"図表\s?(?P<fig>\d+(?:-\d+)*)"

# "第5章", "第8節", "第1部" and 序章 — the outline's top levels.
TOP_KIND = {"部": PART, "章": CHAPTER, "節": SECTION}


def title_ok(title: str, *, max_len: int = 70) -> bool:
    """A heading title is a short phrase: no sentence end, no URL."""
    t = title.strip()
    return bool(t) and len(t) <= max_len and "。" not in t and "http" not in t and not t.endswith(("、", "，", "：", ":"))


def lines(text: str, start: int = 0, end: int | None = None) -> Iterator[Fragment]:
    """The lines of ``text[start:end]``, each with its newline (if any)."""
    end = len(text) if end is None else end
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl + 1
        yield Fragment(pos, text[pos:stop])
        pos = stop


def strip_fragment(frag: Fragment) -> Fragment:
    """The fragment without surrounding whitespace (offsets kept right)."""
    t = frag.text
    lead = len(t) - len(t.lstrip())
    body = t.strip()
    return Fragment(frag.start + lead, body)


@dataclass
class SectionAcc:
    """A section being filled; frozen into a :class:`Section` at the end."""

    path: tuple[Heading, ...]
    blocks: list[Block] = field(default_factory=list)
    start: int | None = None  # where its heading starts in the source


def make_block(kind: BlockKind, fragments: Sequence[Fragment], figure: str | None = None) -> Block | None:
    text, spans = reflow(fragments)
    if not text:
        return None
    return Block(kind=kind, text=text, spans=spans, figure=figure)


def figure_block(groups: Sequence[Sequence[Fragment]], figure: str) -> Block | None:
    text, spans = join_groups(groups)
    if not text:
        return None
    return Block(kind="figure", text=text, spans=spans, figure=figure)


def finish(
    sections: list[SectionAcc],
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
    out = [Section(acc.path, tuple(acc.blocks), acc.start) for acc in sections]
    # The placeholder for text before the first heading goes if it is empty.
    if out and not out[0].path and not out[0].blocks:
        out = out[1:]
    return out
