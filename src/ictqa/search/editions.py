"""Which editions a question names: 「平成20年版」, 「2008年版の白書」, "the 2008
white paper", "in the 2010 and 2020 editions", 「最新版」, "first mentioned" (pure).

A year in a question is an edition only when the question says so: 版, 白書,
edition or white paper next to it.  A year on its own dates an event
(「2008年に開始された…」, "the law passed in 2001", 「平成23年の東日本大震災」)
and must not send the search to that edition: the white paper of 2009 is the
one that reports on 2008.  Questions whose year is near "white paper" but not
attached to it ("In 2008, what did the white paper say…") are ambiguous; their
edition is preferred (``boost``) rather than required (``restrict``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Use = Literal["restrict", "boost", "first"]

_ERA_START = {"令和": 2018, "平成": 1988, "昭和": 1925}
_FIRST_YEAR, _LAST_YEAR = 1973, 2099  # 通信白書 began in 1973 (昭和48年版)


@dataclass(frozen=True)
class EditionMention:
    """One edition a question names.  ``year`` is None for 「最新」/"latest"
    (resolved against the index) and for "first" (resolved by the timeline)."""

    year: int | None
    read_as: str  # the words it was read from, as the question writes them
    use: Use
    latest: bool = False

    def to_json(self) -> dict[str, object]:
        return {"year": self.year, "read_as": self.read_as, "use": self.use}


_YEAR = r"(?:19|20)\d\d"
_ERA = r"(?P<era>令和|平成|昭和)\s*(?P<n>\d{1,2}|元)\s*年"
# 「平成20年版」「令和元年版」「2008年版」(the 度 of 年度版 is not an edition).
_JA_VERSION = re.compile(rf"(?:{_ERA}|(?P<y>{_YEAR})\s*年)\s*版")
# 「平成20年の白書」「2008年情報通信白書」「平成12年の通信白書」
_JA_PAPER = re.compile(rf"(?:{_ERA}|(?P<y>{_YEAR})\s*年)\s*の?\s*(?:情報)?(?:通信)?白書")
# 「白書（2008年）」「情報通信白書2008」
_JA_PAPER_AFTER = re.compile(rf"白書\s*[（(]?\s*(?P<y>{_YEAR})\s*(?:年)?\s*(?:版)?\s*[）)]?")
_EDITION_NOUN = r"(?:white\s*papers?|whitepapers?|editions?|reports?|issues?)"
# "the 2008 white paper", "the 2000 Communications White Paper", "2008 edition",
# "the 2010 and 2020 editions", "2005, 2010 and 2015 white papers".
_EN_YEARS_BEFORE = re.compile(
    rf"(?P<years>{_YEAR}(?:\s*(?:,|and|&|or|vs\.?|versus|to)\s*(?:the\s+)?{_YEAR})*)"
    rf"(?:'s)?\s+(?:[A-Z][A-Za-z]*\s+){{0,3}}{_EDITION_NOUN}",
    re.I,
)
# "the edition of 2008", "the white paper for 2008", "White Paper 2008", "WP2008"
_EN_YEARS_AFTER = re.compile(rf"(?:{_EDITION_NOUN}\s*(?:of|from|for|in)?\s*(?:the\s+year\s+)?|\bwp\s*)(?P<years>{_YEAR})\b", re.I)
# A year and "white paper" in the same question, not attached: "In 2008, what
# did the white paper say about …".
_EN_LOOSE_YEAR = re.compile(rf"(?<![\d.,])(?P<y>{_YEAR})(?![\d])")
_EN_PAPER = re.compile(r"white\s*paper|\bedition\b", re.I)

_LATEST_JA = re.compile(r"最新(?:の)?(?:版|(?:情報)?通信白書|白書)|直近の(?:版|白書)")
_LATEST_EN = re.compile(rf"(?:latest|most\s+recent|newest|current)\s+(?:{_EDITION_NOUN}|white\s*paper)", re.I)
_FIRST_JA = re.compile(
    r"(?:初めて|最初に|はじめて|初出)[^。？?]{0,12}?(?:登場|取り上げ|取りあげ|出て|現れ|言及|記載|触れ|扱われ|扱っ|載)"
)
_FIRST_JA_PAPER = re.compile(r"白書|版")
_FIRST_EN = re.compile(
    r"\bfirst\s+(?:mention|mentioned|mentions|appear|appeared|appears|came\s+up|come\s+up|comes\s+up|discuss|discussed|"
    r"cover|covered|refer|referred|featured?|show\s+up|showed\s+up|used)\b"
    r"|\b(?:the\s+)?first\s+(?:edition|white\s*paper|time)\s+(?:to|that|the\s+white\s+paper)\s+\w+"
    r"|\bthe\s+first\s+(?:one\s+)?to\s+(?:mention|cover|discuss|feature|refer|describe|use)"
    r"|\bearliest\s+(?:edition|white\s*paper|mention)",
    re.I,
)
_FIRST_EN_PAPER = re.compile(r"white\s*paper|\bedition|\bmention", re.I)


def _era_year(era: str, n: str) -> int:
    return _ERA_START[era] + (1 if n == "元" else int(n))


def _plausible(year: int) -> bool:
    return _FIRST_YEAR <= year <= _LAST_YEAR


def detect_editions(question: str) -> tuple[EditionMention, ...]:
    """The editions ``question`` names, in the order it names them (pure).

    >>> [m.year for m in detect_editions("平成17年版と令和2年版でブロードバンド契約数はどう変わったか")]
    [2005, 2020]
    >>> detect_editions("2008年に開始されたサービスは？")
    ()
    """
    text = unicodedata.normalize("NFKC", question)
    found: list[tuple[int, EditionMention]] = []
    taken: list[tuple[int, int]] = []  # spans already read, so a year counts once

    def add(pos: int, end: int, mention: EditionMention) -> None:
        if any(a < end and pos < b for a, b in taken):
            return
        taken.append((pos, end))
        found.append((pos, mention))

    for rx in (_JA_VERSION, _JA_PAPER):
        for m in rx.finditer(text):
            g = m.groupdict()
            if g.get("era"):
                year = _era_year(g["era"], g["n"])
            else:
                year = int(g.get("y") or g.get("y2") or 0)
            if _plausible(year):
                add(m.start(), m.end(), EditionMention(year, m.group(0).strip(), "restrict"))
    for m in _JA_PAPER_AFTER.finditer(text):
        year = int(m["y"])
        if _plausible(year):
            add(m.start("y"), m.end(), EditionMention(year, m.group(0).strip(), "restrict"))
    for rx in (_EN_YEARS_BEFORE, _EN_YEARS_AFTER):
        for m in rx.finditer(text):
            for y in re.finditer(_YEAR, m["years"]):
                year = int(y.group(0))
                start = m.start("years") + y.start()
                if _plausible(year):
                    add(start, start + 4, EditionMention(year, m.group(0).strip(), "restrict"))
    if not found and _EN_PAPER.search(text) and not _FIRST_EN.search(text):
        years = [m for m in _EN_LOOSE_YEAR.finditer(text) if _plausible(int(m["y"]))]
        # One year and a white paper, nothing tying them: prefer, do not require.
        if len(years) == 1 and not re.search(r"(?:fiscal|FY|end of|as of|since|until|by)\s*$", text[: years[0].start()], re.I):
            m = years[0]
            add(m.start(), m.end(), EditionMention(int(m["y"]), m.group(0), "boost"))
    for rx in (_LATEST_JA, _LATEST_EN):
        for m in rx.finditer(text):
            add(m.start(), m.end(), EditionMention(None, m.group(0), "restrict", latest=True))
    first = _FIRST_JA.search(text)
    if first and _FIRST_JA_PAPER.search(text):
        add(first.start(), first.end(), EditionMention(None, first.group(0), "first"))
    first = _FIRST_EN.search(text)
    if first and _FIRST_EN_PAPER.search(text):
        add(first.start(), first.end(), EditionMention(None, first.group(0), "first"))
    found.sort(key=lambda pm: pm[0])
    out: list[EditionMention] = []
    for _, mention in found:
        if mention.year is not None and any(o.year == mention.year for o in out):
            continue
        out.append(mention)
    return tuple(out)


_EVENT_YEAR = re.compile(rf"(?<![\d.,])(?P<y>{_YEAR})(?![\d])|{_ERA}(?!\s*版)")


def event_years(question: str) -> tuple[int, ...]:
    """Years the question names that are not editions (「2008年に開始された」,
    "after the March 2011 earthquake", 「平成23年の」): the white papers of
    those years and the next two are the ones that report on them (pure)."""
    text = unicodedata.normalize("NFKC", question)
    editions = {m.year for m in detect_editions(question) if m.year}
    out: list[int] = []
    for m in _EVENT_YEAR.finditer(text):
        year = int(m["y"]) if m["y"] else _era_year(m["era"], m["n"])
        if _plausible(year) and year not in editions and year not in out:
            out.append(year)
    return tuple(out)
