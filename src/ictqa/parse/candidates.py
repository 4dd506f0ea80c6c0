"""Every place in a web text where a heading may begin.

MIC's テキスト版 pages were joined with no separator, so a heading sits at the
start of a line or glued to the end of the previous page's last line, after a
sentence, a footnote, a URL that ends in digits ("…pr-202302272　情報通信…"
is the URL "…pr-20230227" and the heading "2　情報通信…") or a figure caption.
The forms vary over 24 years: "1　", "1 ", "（1）", "(1)", "（1） " with a
half-width space, "1)", "(i)", "[1]", "ア　", "（ア）".

This module only finds *candidates*: every position where one of these forms
starts and the left context allows it.  Which of them are headings is decided
by the outline walk (:mod:`.web_text`) with the numbering, the page codes
(:mod:`.pages`) and the shape of the title.  Pure functions of the text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ..documents import CHAPTER, ITEM, KANA, PART, SECTION, SUBITEM, SUBKANA
from .outline import nfkc

Form = Literal[
    "part",  # 第1部
    "chapter",  # 第1章, 序章
    "section",  # 第1節
    "hoho",  # 補論 (a 節-level unit with no number)
    "intro",  # はじめに (unnumbered front matter)
    "item",  # 1
    "sub",  # （1）, (1)
    "kana",  # ア
    "subkana",  # （ア）
    "paren",  # 1)   (2000-2006 editions)
    "roman",  # (i)  (2000-2006 editions)
    "square",  # [1]  (2004-2005 editions)
    "box",  # コラム…, 政策フォーカス
    "back",  # データ1, 付注1, 図表索引, 参考文献
]

# The level each form has in a text that uses it the usual way.
FORM_LEVEL: dict[str, int] = {
    "part": PART,
    "chapter": CHAPTER,
    "section": SECTION,
    "hoho": SECTION,
    "intro": CHAPTER,
    "item": ITEM,
    "sub": SUBITEM,
    "kana": KANA,
    "subkana": SUBKANA,
    "paren": KANA,
    "roman": SUBKANA,
    "square": KANA,
    "box": 0,
    "back": 0,
}

TOP_FORMS = frozenset({"part", "chapter", "section", "hoho"})


@dataclass(frozen=True)
class Candidate:
    """A place where a heading may begin.

    ``start`` is its first character, ``title_start`` the first character
    of its title (after the number and its space), ``line_end`` the end of
    its line (the farthest its title can run).  ``glued`` when it is not at
    the start of its line.  ``number`` is NFKC without brackets ("1", "ア",
    "ii", "" for はじめに); ``printed`` the number as printed ("（1）",
    "(3)", "1)", "第2節")."""

    start: int
    title_start: int
    line_end: int
    glued: bool
    form: str
    number: str
    printed: str
    space: str  # what separates the number from the title ("\u3000", " ", "")
    tight: bool = False  # at the start of a line that follows a non-blank line

    @property
    def level(self) -> int:
        return FORM_LEVEL[self.form]


_D = r"[0-9０-９]"
# A heading's number and the space after it.  Alternatives are tried in this
# order at one position; the title must follow at once.
_TOKEN = re.compile(
    r"(?P<top>第(?P<topn>" + _D + r"{1,2})(?P<kind>[部章節]))(?P<topsp>[\u3000 ]*)"
    r"|(?P<jo>序章)(?P<josp>[\u3000 ]+)"
    r"|(?P<hoho>補論)(?P<hohosp>[\u3000 ]+)"
    r"|(?P<square>\[(?P<squaren>[0-9]{1,2})\])(?P<squaresp>[\u3000 ]*)"
    r"|(?P<sub>[（(](?P<subn>" + _D + r"{1,2})[）)])(?P<subsp>[\u3000 ]*)"
    r"|(?P<subkana>[（(](?P<subkanan>[ア-ン])[）)])(?P<subkanasp>[\u3000 ]*)"
    r"|(?P<roman>\((?P<romann>iii|ii|iv|ix|vi{1,3}|v|x|i)\))(?P<romansp>[\u3000 ]*)"
    r"|(?P<paren>(?P<parenn>[0-9]{1,2})\))(?P<parensp>[\u3000 ]*)"
    r"|(?P<item>(?P<itemn>" + _D + r"{1,2}))(?P<itemsp>[\u3000 ]+)"
    r"|(?P<kana>[ア-ン])(?P<kanasp>[\u3000 ]+)"
)
# Where a token may start inside a line (a cheap prefilter for _TOKEN).
_TOKEN_START = re.compile(
    r"第" + _D + r"|序章|補論|[\[（(]|" + _D + r"|[ア-ン][\u3000 ]|コラム|政策フォーカス|トピック|データ|付注|図表索引|参考文献"
)
# Boxes: "コラム1　…", "コラム　…", "コラムCOLUMN　5　…", "政策フォーカス　…", or the
# marker alone with the title on the next line (r04, r05).
_BOX = re.compile(
    r"(?P<kind>コラム(?:[A-Z]{3,8})?|政策フォーカス|トピック(?=[\u3000 ]))[\u3000 ]*(?P<num>"
    + _D
    + r"{1,2})?(?:[\u3000 ]+|$|(?=[「\S]))"
)
# Back matter, after the last 節: data tables, notes to figures, the figure
# index, references.
_BACK = re.compile(r"(?P<name>データ|付注)(?P<num>[0-9]{1,2}(?:-[0-9]{1,2})?)[\u3000 ]|(?P<whole>図表索引|参考文献)")
_INTRO = re.compile(r"はじめに(?=$|[～\u3000 ])")
# A digit run glued to the left of an item number is part of another number
# when it follows one of these: a figure id "図表3-5-5-1", "1,029", "1.5",
# "第4", "付注4", "データ2", "図表3".
_NUMBER_CONTEXT = re.compile(r"(?:\d[\-－.,，．]|[第注タ表])\Z")
_KATAKANA = re.compile(r"[\u30a0-\u30ff\uff66-\uff9f]")


def scan(text: str, start: int = 0, end: int | None = None) -> list[Candidate]:
    """All heading candidates in ``text[start:end]``, in text order."""
    end = len(text) if end is None else end
    out: list[Candidate] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        out.extend(_line_candidates(text, pos, line_end))
        pos = line_end + 1
    return out


def _line_candidates(text: str, ls: int, le: int) -> Iterator[Candidate]:
    fs = ls
    while fs < le and text[fs] in " \t\u3000\r":
        fs += 1
    if fs >= le:
        return
    prev_blank = ls == 0 or not text[text.rfind("\n", 0, ls - 1) + 1 : ls - 1].strip()
    end = le
    while end > fs and text[end - 1] in " \t\u3000\r":
        end -= 1
    taken_to = fs  # no candidate starts inside another one's number ("コラム5　…")
    first = _at(text, fs, end, glued=False)
    if first is not None and not prev_blank:
        first = dataclasses.replace(first, tight=True)
    if first is not None:
        taken_to = first.title_start if first.form != "item" else fs
        yield first
    for m in _TOKEN_START.finditer(text, fs + 1, end):
        p = m.start()
        if p < taken_to:
            continue
        c = _at(text, p, end, glued=True)
        if c is not None:
            if c.form != "item":  # "…pr-202302272　" may be read as 72 or as 2
                taken_to = c.title_start
            yield c


def _at(text: str, p: int, end: int, *, glued: bool) -> Candidate | None:
    """The candidate that starts at ``p`` (its line's text ends at ``end``)."""
    ch = text[p]
    if ch in "コ政ト":
        return _box(text, p, end, glued)
    if ch in "デ付図参":
        return _back(text, p, end, glued)
    if ch == "は":
        if glued:
            return None
        m = _INTRO.match(text, p, end)
        if not m:
            return None
        return Candidate(p, p, end, glued, "intro", "", "", "")
    m = _TOKEN.match(text, p, end)
    if not m:
        return None
    title_start = m.end()
    if title_start >= end:
        # Nothing after the number: only a 章/節 repeated at a page top with
        # no title ("第8章 第11節 …" after its chapter) or a bare 第1節 whose
        # title is on the next line.
        if not m["top"]:
            return None
    before = text[max(0, p - 12) : p] if glued else ""
    if before.endswith(("※", "＊", "*")):
        # "※1　セールフォース・ドットコムの期末は…" (平成19年版): a footnote's
        # marker, whose number only looks like an item's.
        return None
    if m["top"]:
        kind = m["kind"]
        form = {"部": "part", "章": "chapter", "節": "section"}[kind]
        space = m["topsp"]
        if not space and title_start < end:
            # "第2章第4節で…", "第1節の要旨": a reference or a label, unless the
            # title opens with a bracket ("第3節「…」") -- never in these texts.
            return None
        if glued and before.endswith(("章", "部")) and not space:
            return None
        if glued and before.endswith(("「", "『", "“")):
            return None  # a quoted title: 「第1節　我が国を取り巻く環境変化」より抜粋
        return Candidate(p, title_start, end, glued, form, nfkc(m["topn"]), m["top"], space)
    if m["jo"]:
        return Candidate(p, title_start, end, glued, "chapter", "0", "序章", m["josp"])
    if m["hoho"]:
        return Candidate(p, title_start, end, glued, "hoho", "補論", "補論", m["hohosp"])
    if m["square"]:
        if glued and before.endswith(("図表", "表", "資料")):
            return None  # "図表[2]　…": a figure caption (平成16年版)
        return Candidate(p, title_start, end, glued, "square", m["squaren"], m["square"], m["squaresp"])
    if m["sub"]:
        if glued and re.search(
            r"(?<![0-9])[0-9０-９]{1,2}[\-－][0-9０-９]{1,2}\Z|(?:図表|資料|付注|表)[0-9０-９]+\Z|(?<![A-Za-z0-9/=_.\-])[0-9０-９]+\Z",
            before,
        ):
            return None  # "図表1-2-3(1)", "資料1(1)", "第3節3（3）": a reference
        return Candidate(p, title_start, end, glued, "sub", nfkc(m["subn"]), m["sub"], m["subsp"])
    if m["subkana"]:
        return Candidate(p, title_start, end, glued, "subkana", m["subkanan"], m["subkana"], m["subkanasp"])
    if m["roman"]:
        if glued:
            return None
        return Candidate(p, title_start, end, glued, "roman", m["romann"], m["roman"], m["romansp"])
    if m["paren"]:
        # "1)相互通信" at a line start or after a full-width space; "(図表1))"
        # and "資料1)" are references.
        if glued and not before.endswith("\u3000"):
            return None
        return Candidate(p, title_start, end, glued, "paren", m["parenn"], m["paren"], m["parensp"])
    if m["item"]:
        space = m["itemsp"]
        if glued:
            run = len(before) - len(before.rstrip("0123456789０１２３４５６７８９"))
            if run:
                if not _digit_run_may_end(before, run):
                    return None
            elif _NUMBER_CONTEXT.search(before):
                return None
            if space.startswith(" ") and before[-1:].isspace():
                return None  # an inline footnote marker " 1 "
        return Candidate(p, title_start, end, glued, "item", nfkc(m["itemn"]), m["itemn"], space)
    if m["kana"]:
        if glued and (_KATAKANA.match(text[p - 1]) or text[p - 1] == "ー"):
            return None  # the end of a katakana word: "データ　"
        return Candidate(p, title_start, end, glued, "kana", m["kana"], m["kana"], m["kanasp"])
    return None


def _digit_run_may_end(before: str, run: int) -> bool:
    """A heading number glued to a longer digit run: only after a URL or an
    id that ends in digits ("…pr-20230227" + "2") or a version ("Society
    5.0" + "2"), not inside a figure id ("図表1-1-12") or a running number."""
    head = before[: len(before) - run]
    if run >= 3 and head.endswith("-"):
        return True  # "…market-q1-2020" + "2": a figure id's parts have one or two digits
    return bool(re.search(r"(?:[A-Za-z/=_]|(?<![0-9])-|[0-9A-Za-z]\.)\Z", head))


def _box(text: str, p: int, end: int, glued: bool) -> Candidate | None:
    m = _BOX.match(text, p, end)
    if not m:
        return None
    kind = m["kind"] if m["kind"] in ("政策フォーカス", "トピック") else "コラム"
    num = nfkc(m["num"]) if m["num"] else ""
    return Candidate(p, m.end(), end, glued, "box", num, kind, "")


def _back(text: str, p: int, end: int, glued: bool) -> Candidate | None:
    m = _BACK.match(text, p, end)
    if not m:
        return None
    if m["whole"]:
        # The figure index and the references stand alone on their line.
        if m.end() != end:
            return None
        return Candidate(p, m.end(), end, glued, "back", "", m["whole"], "")
    return Candidate(p, m.end(), end, glued, "back", m["num"], m["name"], "")
