"""What a MIC page file name says about the headings its page opens.

Each edition's テキスト版 is one page per heading, named by a code that
spells the heading numbers: r05 ``nd258120`` is 第2部 第5章 第8節, item 2,
（1）.  The layout changed over the years (tests/data/structure/editions/
page_codes_*.md describes every edition with worked examples); each layout
is one small decoder here, chosen by the edition folder in the address
(``…/ja/r05/text/nd258120.txt``).  An edition with no decoder (a future one)
is read with the newest layout, which MIC has used since 平成30年版.

Pure functions of the address strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..documents import CHAPTER, ITEM, KANA, PART, SECTION, SUBITEM

Slot = tuple[int, str]  # (level, number): (SECTION, "8")

# A page's kind.  "body": its slots name the headings it opens; "box": a
# コラム or 政策フォーカス; "front": a ポイント or 凡例 page before the body
# (no headings); "intro": an unnumbered introduction (h27's 導入文); "back":
# データN, 付注N, 図表索引, 参考文献; "data": r04's データ集 pages; "seq": a
# page whose code below 節 is a page sequence, not heading numbers (h18).
PAGE_KINDS = ("body", "box", "front", "intro", "back", "data", "seq")

INTRO = "intro"  # SECTION number of h12's はじめに (an unnumbered heading under 第1章)
JOSETSU = "0"  # SECTION number of h12's 序節


@dataclass(frozen=True)
class PageCode:
    """One page of the list: its address, code and what the code says."""

    url: str
    code: str
    kind: str
    slots: tuple[Slot, ...] = ()
    name: str = ""  # back matter: データ, 付注, 図表索引, 参考文献; data pages: their label
    number: str = ""  # back matter: データ/付注 number

    @property
    def html_url(self) -> str:
        """The page's web address: …/html/<code>.html (…/html/<code>.htm for
        平成12・13年版), the HTML form of the listed …/text/<code>.txt."""
        m = _TEXT_URL.match(self.url)
        if not m:
            return self.url
        ext = ".htm" if m["ed"] in ("h12", "h13") else ".html"
        return f"{m['base']}/html/{m['code']}{ext}"


_TEXT_URL = re.compile(r"(?P<base>.*/ja/(?P<ed>[a-z]\d\d))/text/(?P<code>[^/]+?)\.txt$")
_EDITION = re.compile(r"/ja/(?P<ed>[hr]\d\d)/")


def edition_of(url: str) -> str | None:
    """The edition folder of a page address ("r05"), or None."""
    m = _EDITION.search(url)
    return m["ed"] if m else None


def _num(ch: str) -> int | None:
    """A code digit: 0–9, and a, b, c, d … for 10, 11, 12, 13 …; None if not one."""
    if ch.isdigit():
        return int(ch)
    low = ch.lower()
    if "a" <= low <= "z":
        return 10 + ord(low) - ord("a")
    return None


def _slots(pairs: Sequence[tuple[int, str]]) -> tuple[Slot, ...]:
    """(level, digit) pairs → slots, leaving out the levels a page does not use ("0")."""
    out: list[Slot] = []
    for level, ch in pairs:
        n = _num(ch)
        if n:
            out.append((level, str(n)))
    return tuple(out)


def _hex(ch: str) -> bool:
    return ch.isdigit() or ch.lower() in "ab"


Decoder = Callable[[str, str, str], PageCode]  # (url, code, previous code) -> PageCode


def _h12(url: str, code: str, prev: str) -> PageCode:
    # C<章><節><項><小項>000; 節 0 = 序節 (項 0: はじめに, whose items are C10000N0), Z = コラム.
    ch, sec, item, sub = code[1], code[2], code[3], code[4]
    if sec.upper() == "Z":
        return PageCode(url, code, "box")
    chapter = (CHAPTER, ch)
    if sec == "0" and item == "0":
        tail = _slots([(ITEM, code[6])])
        return PageCode(url, code, "body", (chapter, (SECTION, INTRO), *tail))
    section = (SECTION, JOSETSU) if sec == "0" else (SECTION, str(_num(sec)))
    return PageCode(url, code, "body", (chapter, section, *_slots([(ITEM, item), (SUBITEM, sub)])))


def _h13(url: str, code: str, prev: str) -> PageCode:
    # D<章><群><節><項><小項><細項>00; 群 Z = コラム; 項 0 = the 節's 要旨 page.
    if code[2].upper() == "Z":
        return PageCode(url, code, "box")
    pairs = [(CHAPTER, code[1]), (SECTION, code[3]), (ITEM, code[4]), (SUBITEM, code[5]), (KANA, code[6])]
    return PageCode(url, code, "body", _slots(pairs))


def _h14(url: str, code: str, prev: str) -> PageCode:
    # E<章><節 two digits><項><小項><細項>00; 節 0Z = コラム.
    if code[3].upper() == "Z":
        return PageCode(url, code, "box")
    sec = str(int(code[2:4])) if code[2:4].isdigit() else code[3]
    pairs = [(CHAPTER, code[1]), (SECTION, sec if sec != "0" else "0"), (ITEM, code[4]), (SUBITEM, code[5]), (KANA, code[6])]
    return PageCode(url, code, "body", _slots(pairs))


def _h15(url: str, code: str, prev: str) -> PageCode:
    # F/G/H<章><節><項 two digits><小項><細項>00; 項 Zn = コラム n; h17: z anywhere = コラム.
    if "z" in code[1:] or code[3].upper() == "Z":
        return PageCode(url, code, "box")
    item = code[3:5]
    item_n = str(int(item)) if item.isdigit() else ""
    pairs: list[tuple[int, str]] = [(CHAPTER, code[1]), (SECTION, code[2])]
    slots = list(_slots(pairs))
    if item_n and item_n != "0":
        slots.append((ITEM, item_n))
    slots.extend(_slots([(SUBITEM, code[5]), (KANA, code[6])]))
    return PageCode(url, code, "body", tuple(slots))


def _h18(url: str, code: str, prev: str) -> PageCode:
    # i<章><節><page sequence…>: only 章 and 節 are heading numbers.
    return PageCode(url, code, "seq", _slots([(CHAPTER, code[1]), (SECTION, code[2])]))


def _letters_box(code: str, positions: Sequence[int], prev: str) -> bool:
    """Letters c, d, … in an item/sub position are boxes, unless they carry on
    a count that reached b on the previous page (h19 j353c000 = （12））."""
    for p in positions:
        ch = code[p]
        if ch.isdigit() or ch.lower() in "ab":
            continue
        if prev and prev[:p] == code[:p] and _num(prev[p]) == (_num(ch) or 0) - 1:
            continue
        return True
    return False


def _h19(url: str, code: str, prev: str) -> PageCode:
    # j/k/l<章><節><item><sub>000; letters c… in item/sub = boxes.
    if _letters_box(code, (3, 4), prev):
        return PageCode(url, code, "box")
    pairs = [(CHAPTER, code[1]), (SECTION, code[2]), (ITEM, code[3]), (SUBITEM, code[4])]
    return PageCode(url, code, "body", _slots(pairs))


def _h22(url: str, code: str, prev: str) -> PageCode:
    # m<d|e = 部1|2><章><節><item><sub>00; c in item/sub = box.
    if _letters_box(code, (4, 5), prev):
        return PageCode(url, code, "box")
    part = {"d": "1", "e": "2"}.get(code[1], "")
    pairs = [(PART, part), (CHAPTER, code[2]), (SECTION, code[3]), (ITEM, code[4]), (SUBITEM, code[5])]
    return PageCode(url, code, "body", _slots(pairs))


def _nc(url: str, code: str, prev: str, *, no_chapter_parts: frozenset[str] = frozenset()) -> PageCode:
    # nc<部><章><節><item><sub><x> (h23–h29); a letter from c on in the item,
    # sub or last position is a box (c, d, …: the boxes after that heading).
    # h23's 第1部 has no chapters: nc1<節><item><sub>00.
    if any(ch.lower() in "cdefg" for ch in code[5:8]):
        return PageCode(url, code, "box")
    part = code[2]
    if part in no_chapter_parts:
        pairs = [(PART, part), (SECTION, code[3]), (ITEM, code[4]), (SUBITEM, code[5])]
    else:
        pairs = [(PART, part), (CHAPTER, code[3]), (SECTION, code[4]), (ITEM, code[5]), (SUBITEM, code[6])]
    return PageCode(url, code, "body", _slots(pairs))


def _nd(url: str, code: str, prev: str) -> PageCode:
    # nd<部><章><節><item><sub><kind> (h30 on); 章 0 = 序章 or はじめに; kind c/f = box.
    if code[7:8].lower() in ("c", "f"):
        return PageCode(url, code, "box")
    slots: list[Slot] = []
    part = _num(code[2])
    if part:
        slots.append((PART, str(part)))
    if code[3] == "0" and part:
        slots.append((CHAPTER, "0"))
    else:
        slots.extend(_slots([(CHAPTER, code[3])]))
    slots.extend(_slots([(SECTION, code[4]), (ITEM, code[5]), (SUBITEM, code[6])]))
    return PageCode(url, code, "body", tuple(slots))


def _back_ne(url: str, code: str) -> PageCode:
    # ne1N0000 データN, ne2N0000 付注N, ne300000 図表索引, ne400000 参考文献, ne500000 参考文献（データ集）.
    group, n = code[2], _num(code[3])
    if group == "1":
        return PageCode(url, code, "back", name="データ", number=str(n))
    if group == "2":
        return PageCode(url, code, "back", name="付注", number=str(n))
    if group == "3":
        return PageCode(url, code, "back", name="図表索引")
    return PageCode(url, code, "back", name="参考文献")


def _r04_data(url: str, code: str) -> PageCode:
    # nf<章><kind><節>000: kind 0 = a 節, c = a コラム, r = 関連データ; nf<章>00000 = the 章's lead.
    ch, kind, sec = code[2], code[3], code[4]
    chapter = "序章" if ch == "0" else f"第{ch}章"
    if kind == "c":
        label = f"{chapter}コラム{sec}"
    elif kind == "r":
        label = f"{chapter}関連データ"
    elif sec == "0":
        label = f"{chapter}冒頭"
    else:
        label = f"{chapter}第{_num(sec)}節"
    return PageCode(url, code, "data", name=label)


def decode(url: str, prev: str = "") -> PageCode:
    """What the page at ``url`` opens, by its edition's code layout.
    ``prev`` is the previous page's code (a few layouts need it)."""
    m = _TEXT_URL.match(url)
    code = m["code"] if m else url.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    ed = (m["ed"] if m else None) or edition_of(url) or ""
    try:
        return _decode(ed, url, code, prev)
    except (IndexError, ValueError, TypeError):
        return PageCode(url, code, "unknown")


def _decode(ed: str, url: str, code: str, prev: str) -> PageCode:
    if len(code) < 8:
        return PageCode(url, code, "unknown")
    if ed in _OLD:
        return _OLD[ed](url, code, prev)
    head = code[:2]
    if ed in ("h23", "h24", "h25", "h26", "h27", "h28", "h29"):
        if head in ("na", "nb"):
            return PageCode(url, code, "front")
        if head == "n0":
            return PageCode(url, code, "intro")
        if head == "nd":
            if ed == "h27":  # nd1N0000 = the N-th 付注 (1-1, 1-2, 2, …), nd200000 = 参考文献
                return PageCode(url, code, "back", name="付注" if code[2] == "1" else "参考文献")
            return _back_ne(url, code)  # h29: the ne layout under nd
        if head == "nc":
            return _nc(url, code, prev, no_chapter_parts=frozenset({"1"}) if ed == "h23" else frozenset())
        return PageCode(url, code, "unknown")
    # 平成30年版 on (and any later edition): nd body, ne back matter, nf データ集.
    if head == "nd":
        return _nd(url, code, prev)
    if head == "ne":
        return _back_ne(url, code)
    if head == "nf":
        return _r04_data(url, code)
    return PageCode(url, code, "unknown")


_OLD: dict[str, Decoder] = {
    "h12": _h12,
    "h13": _h13,
    "h14": _h14,
    "h15": _h15,
    "h16": _h15,
    "h17": _h15,
    "h18": _h18,
    "h19": _h19,
    "h20": _h19,
    "h21": _h19,
    "h22": _h22,
}

# Editions whose 1 / （1） forms also serve a third and fourth level inside a
# page (平成16年版: "1 普及するブロードバンド" under "（1）世界最高水準の…"):
# there a numbered heading that opens no page is one of the inner levels.
INNER_LEVEL_EDITIONS = frozenset({"h15", "h16", "h17"})


def decode_all(urls: Sequence[str]) -> list[PageCode]:
    """Every page of a list, in order."""
    out: list[PageCode] = []
    prev = ""
    for url in urls:
        page = decode(url, prev)
        out.append(page)
        prev = page.code
    return out
