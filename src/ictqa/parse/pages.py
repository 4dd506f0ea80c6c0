"""Where each listed MIC page starts in a joined テキスト版 file.

The pages were joined in the order of the list, and a page opens with the
heading its code names (:mod:`.pagecodes`): ``nd258120`` opens （1） of 第5章
第8節 2, and a page whose parent heading has no page of its own opens the
parent too (``nd241100`` opens 第4章, 第1節 and 1).  So the headings a page
opens are the part of its code that differs from the previous page's, and
the page starts where the first of them is printed.

:func:`align` finds, for every page, the heading candidates (:mod:`.candidates`)
that print what it opens, in order, by dynamic programming over the whole
list: a footnote "2　…" at the end of one page cannot be the item 2 that a
page three places later opens, because the pages in between must come
first.  A page opens with headings the text does not print (the 第1章 line
missing from 平成13年版, every 章 and 節 of 平成12年版): those are returned as
inferred, placed where the page starts.  A page none of whose headings is
found is left unplaced; the text from the page before it to the page after
it gets no address, since its boundary is not known.

Pure functions.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..documents import CHAPTER, ITEM, KANA, PART, SECTION, SUBITEM, SUBKANA, PageMap
from .candidates import Candidate
from .pagecodes import INTRO, PageCode, Slot

# A match of a page's opening heading scores by how sure it is.  The numbers
# only rank alternatives for one page against each other; they were set by
# reading the alignments of the 24 editions (every page of h12, h16, h20,
# h26, r03 and r05 checked against the golden trees).
EXACT = 3  # the candidate prints the heading the code names, at its level
SHIFTED = 2  # …one level deeper (r03: 序章 and 第3章 number their items in the 節 digit)
# Taken off when the candidate's title does not look like one (a footnote
# "4　提案に当たっては、…次のURLを参照。"): more than an exact match earns,
# so a page is rather left unplaced than opened by a footnote.
WEAK_TITLE = 4
GLUED = 1  # added when the candidate is glued to the previous line: a page boundary for sure
INFERRED = 1  # taken off for each heading the page opens that the text does not print

# How far apart the headings one page opens may be printed.
CHAIN_WINDOW = 4  # candidates
CHAIN_CHARS = 2500

# An edition's pages align when at least this share of the pages that can be
# placed is placed; below it the page list is not the text's (another
# edition's list, a list of a different cut of the text) and no address is
# given at all.  Measured: the 23 editions whose codes name headings place
# 98-100% of their pages.
MIN_PLACED = 0.9


@dataclass(frozen=True)
class Opened:
    """A heading a page opens: the slot its code names, and how the text prints it."""

    slot: Slot
    candidate: Candidate | None  # None: not printed (inferred)
    level: int  # the level it is read at (the slot's, or one deeper when shifted)


@dataclass(frozen=True)
class PagePlace:
    page: int  # index into the page list
    start: int | None  # where the page starts in the text; None: not placed
    opened: tuple[Opened, ...] = ()


@dataclass(frozen=True)
class Alignment:
    """The pages of a list placed in a text."""

    pages: tuple[PageCode, ...]
    places: tuple[PagePlace, ...]
    placeable: int  # pages whose code says what they open
    placed: int
    aligned: bool
    reason: str = ""
    by_candidate: dict[int, tuple[int, Opened]] = field(default_factory=dict)  # candidate start → (page, opened)

    def page_map(self) -> PageMap | None:
        """Page addresses by offset; stretches whose page is not known get None."""
        if not self.aligned:
            return None
        starts: list[int] = []
        urls: list[str | None] = []
        placed = [(p.start, p.page) for p in self.places if p.start is not None]
        for k, (start, page) in enumerate(placed):
            # The next placed page must be the next page of the list, or the
            # boundary of the one in between is unknown.
            next_page = placed[k + 1][1] if k + 1 < len(placed) else len(self.pages)
            url = self.pages[page].html_url if next_page == page + 1 else None
            if starts and starts[-1] == start:
                urls[-1] = None
                continue
            starts.append(start)
            urls.append(url)
        return PageMap(tuple(starts), tuple(urls))


TitleCheck = Callable[[Candidate], bool]


def chains(pages: Sequence[PageCode]) -> list[tuple[Slot, ...]]:
    """The slots each page opens: those of its code that differ from the
    previous body page's (a repeated page opens its deepest slot again)."""
    out: list[tuple[Slot, ...]] = []
    prev: tuple[Slot, ...] = ()
    first: dict[str, int] = {}
    for i, page in enumerate(pages):
        if page.code in first and page.kind == "body":
            # A page listed twice (h15's last page, h27's nc261110) repeats
            # its text: it opens what its first copy opened.
            out.append(out[first[page.code]])
            continue
        first.setdefault(page.code, i)
        if page.kind not in ("body", "seq"):
            out.append(())
            if page.kind in ("front", "intro"):
                prev = ()
            continue
        slots = page.slots
        k = 0
        while k < len(slots) and k < len(prev) and slots[k] == prev[k]:
            k += 1
        opened = slots[k:] if k < len(slots) else slots[-1:]
        out.append(tuple(opened))
        prev = slots
    return out


# Which candidate forms print a slot's level (exact) and the level below it (shifted).
_FORMS: dict[int, tuple[str, ...]] = {
    PART: ("part",),
    CHAPTER: ("chapter", "intro"),
    SECTION: ("section", "hoho", "intro"),
    ITEM: ("item",),
    SUBITEM: ("sub",),
    KANA: ("paren", "square", "kana"),
    SUBKANA: ("subkana", "roman"),
}
_DEEPER = {PART: CHAPTER, CHAPTER: SECTION, SECTION: ITEM, ITEM: SUBITEM, SUBITEM: KANA, KANA: SUBKANA}


def _prints(c: Candidate, level: int, number: str) -> bool:
    """Whether candidate ``c`` prints the heading (level, number)."""
    if c.form not in _FORMS.get(level, ()):
        return False
    if c.form == "hoho":
        return level == SECTION
    if c.form == "intro":
        return (level == CHAPTER and number == "0") or (level == SECTION and number == INTRO)
    if level == SECTION and number == INTRO:
        return False
    return c.number == number


@dataclass(frozen=True)
class _Option:
    first: int  # index of its first candidate
    last: int  # index of its last candidate
    score: float
    opened: tuple[Opened, ...]


def _body_options(
    cands: Sequence[Candidate],
    index: dict[tuple[str, str], list[int]],
    chain: tuple[Slot, ...],
    good: TitleCheck,
    tight_pages: bool = False,
    text: str = "",
    goodv: Sequence[bool] | None = None,
    page_slots: tuple[Slot, ...] = (),
) -> list[_Option]:
    """Every way the text may print ``chain``: its first ``t`` headings
    unprinted (inferred), the rest printed by consecutive candidates, each at
    its own level or -- from some point on -- one level deeper (r03's 序章
    numbers its items in the 節 digit; h30's はじめに is printed, its items
    are not 節).  Options worth less than leaving the page unplaced are
    left out: the path never takes them."""
    if goodv is None:
        goodv = [good(c) for c in cands]
    options: list[_Option] = []
    last_t = len(chain) - 1
    for t in range(len(chain)):
        unprinted = tuple(Opened(s, None, s[0]) for s in chain[:t])
        for shifted in (False, True):
            level, number = chain[t]
            read = _DEEPER.get(level) if shifted else level
            if read is None or (shifted and level in (PART, CHAPTER)):
                continue
            base = -INFERRED * t + (SHIFTED if shifted else EXACT)
            for j in _lookup(index, read, number, level, shifted):
                first_good = goodv[j]
                if not first_good and t == last_t:
                    continue  # a footnote alone would score below leaving the page unplaced
                c = cands[j]
                score = base - (0 if first_good else WEAK_TITLE)
                # A page may print its parents again at its top (h13, h15:
                # "第1節　…" repeated over its first item): those lines are
                # this page's, and its start.
                first = _repeated_parents(cands, j, page_slots, text)
                lead = cands[first]
                if (lead.glued or lead.start == 0 or (tight_pages and lead.tight)) and not shifted:
                    score += GLUED
                if t == last_t:
                    if score >= 0:
                        options.append(_Option(first, j, score, (*unprinted, Opened(chain[t], c, read))))
                    continue
                opened = [*unprinted, Opened(chain[t], c, read)]
                prev_j, deeper, ok = j, shifted, True
                for u in range(t + 1, len(chain)):
                    lv, num = chain[u]
                    k = None if deeper else _next_printing(cands, prev_j, lv, num, good, text)
                    rd = lv
                    if k is None and lv in _DEEPER and lv not in (PART, CHAPTER):
                        rd = _DEEPER[lv]
                        k = _next_printing(cands, prev_j, rd, num, good, text)
                        deeper = deeper or k is not None
                    if k is None:
                        # The rest of what the page opens is not printed
                        # (h28 nc266310 opens 3（1） and prints only 3); a
                        # reading one level deeper must print it all.
                        ok = not deeper
                        opened.extend(Opened(sl, None, sl[0]) for sl in chain[u:])
                        score -= INFERRED * (len(chain) - u)
                        break
                    opened.append(Opened(chain[u], cands[k], rd))
                    score += (SHIFTED if rd != lv else EXACT) - (0 if goodv[k] else WEAK_TITLE)
                    prev_j = k
                if ok and score >= 0:  # an option worth less than none is never taken
                    options.append(_Option(first, prev_j, score, tuple(opened)))
    return options


def _repeated_parents(cands: Sequence[Candidate], j: int, slots: tuple[Slot, ...], text: str) -> int:
    """The first of the candidates right before ``j`` that print the page's
    parent headings again, or ``j``.  A page may repeat its 節 over its
    first item (h13, h15: "第1節　…" at the top of the 節's second page):
    such a line is a copy of one printed shortly before, and it is this
    page's start, not the page that printed it first."""
    first = j
    levels = {lv: num for lv, num in slots}
    while first > 0:
        c = cands[first - 1]
        # Only a 節: a 章 line right before its first 節 is the 章's own page
        # when a table of contents earlier prints it too (h25's ポイント page).
        if c.form != "section" or levels.get(c.level) != c.number:
            break
        if not text or _lines_between(text, c.line_end, cands[first].start) > 0:
            break
        title = _squash(text[c.title_start : c.line_end])
        earlier = False
        for k in range(first - 2, -1, -1):
            e = cands[k]
            if c.start - e.start > REPEAT_SPAN:
                break
            if e.form == c.form and e.number == c.number and _squash(text[e.title_start : e.line_end]) == title:
                earlier = True
                break
        if not earlier:
            break
        first -= 1
    return first


REPEAT_SPAN = 20_000  # characters within which a page repeats its parent's heading


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _lookup(index: dict[tuple[str, str], list[int]], level: int, number: str, slot_level: int, shifted: bool) -> list[int]:
    out: list[int] = []
    for form in _FORMS.get(level, ()):
        if form == "hoho":
            if level == SECTION:
                out.extend(index.get(("hoho", "補論"), []))
            continue
        if form == "intro":
            if (level == CHAPTER and number == "0") or (level == SECTION and number == INTRO):
                out.extend(index.get(("intro", ""), []))
            continue
        if level == SECTION and number == INTRO:
            continue
        out.extend(index.get((form, number), []))
    return sorted(set(out))


def _next_printing(cands: Sequence[Candidate], j: int, level: int, number: str, good: TitleCheck, text: str = "") -> int | None:
    """The next candidate after ``j`` that prints (level, number), looking
    past a few others but never past a heading of a higher level (in a
    table of contents "第1部 … 第2部 … 第1章" the 第1章 is not 第1部's; in
    "3　…　4　…（1）…" the （1） is not 3's), nor past a line of other text:
    the headings a page opens stand one under the other (a table of
    contents puts a summary line between "第1部" and "第1章")."""
    for k in range(j + 1, min(len(cands), j + 1 + CHAIN_WINDOW)):
        c = cands[k]
        if c.start - cands[j].start > CHAIN_CHARS:
            return None
        if text and level <= SECTION and _lines_between(text, cands[k - 1].line_end, c.start) > MAX_CHAIN_LINES:
            return None  # (under a 節 a lead paragraph may come first: h30's 補論 欧米の事例)
        if _prints(c, level, number):
            return k
        if c.form in ("part", "chapter", "section") and c.level <= level:
            return None
        if c.form in _FORM_LEVELS and _FORM_LEVELS[c.form] < level and good(c):
            return None
    return None


_FORM_LEVELS = {"item": ITEM, "sub": SUBITEM}
MAX_CHAIN_LINES = 0


def _lines_between(text: str, a: int, b: int) -> int:
    """Non-blank lines wholly between offsets ``a`` (a line's end) and ``b``."""
    if b <= a:
        return 0
    start = text.rfind("\n", 0, b) + 1  # the line ``b`` is on
    if start <= a:
        return 0
    return sum(1 for line in text[a:start].split("\n") if line.strip())


_PARA_GLUE = re.compile(r"[。）」][\u3000]")


def _other_options(
    page: PageCode, cands: Sequence[Candidate], index: dict[tuple[str, str], list[int]], good: TitleCheck
) -> list[_Option]:
    out: list[_Option] = []
    if page.kind == "box":
        for j in index.get(("box", "*"), []):
            out.append(_Option(j, j, 2 + (GLUED if cands[j].glued else 0), ()))
    elif page.kind == "back":
        for j in index.get(("back", page.name), []):
            c = cands[j]
            if page.number and c.number.split("-")[0] != page.number:
                continue
            out.append(_Option(j, j, 2 + (GLUED if c.glued else 0), ()))
    elif page.kind == "data":
        for j in index.get(("label", page.name), []):
            out.append(_Option(j, j, 2, ()))
    return out


def align(
    pages: Sequence[PageCode],
    cands: Sequence[Candidate],
    good: TitleCheck = lambda c: True,
    *,
    labels: Sequence[Candidate] = (),
    tight_pages: bool = False,
    prefer_early: bool = False,
    joints: Sequence[int] = (),
    text: str = "",
) -> Alignment:
    """Place ``pages`` (:func:`~.pagecodes.decode_all` of the addresses) among the heading
    candidates ``cands`` of a text (sorted by position).  ``good`` says
    whether a candidate's title looks like a title; ``labels`` are extra
    candidates only pages may use (r04's データ集 labels "第1章第1節").
    ``tight_pages``: the text separates its paragraphs by blank lines, so a
    heading right under a non-blank line is where a page was joined on
    (平成12–20年版), as sure a sign as a heading glued to the line.
    Between equally good places a page takes the latest (a footnote "2　…"
    comes before the page of item 2), or with ``prefer_early`` the earliest
    (平成15–17年版 print their third level like the first, "2 …", after
    the page's own heading).  ``joints`` are places where the text shows
    two pages were joined (a heading-like start glued to the line before):
    a page none of whose headings is found starts at the one joint between
    its placed neighbours, if there is exactly one (it then gets an address
    but opens no heading)."""
    codes = list(pages)
    verdicts: dict[int, bool] = {}
    judge = good

    def good_once(c: Candidate) -> bool:
        v = verdicts.get(c.start)
        if v is None:
            v = verdicts[c.start] = judge(c)
        return v

    good = good_once
    all_cands = sorted([*cands, *labels], key=lambda c: c.start)
    label_ids = {id(c) for c in labels}
    index: dict[tuple[str, str], list[int]] = {}
    for j, c in enumerate(all_cands):
        if id(c) in label_ids:
            index.setdefault(("label", c.printed), []).append(j)
        elif c.form == "box":
            index.setdefault(("box", "*"), []).append(j)
        elif c.form == "back":
            index.setdefault(("back", c.printed), []).append(j)
        else:
            index.setdefault((c.form, c.number), []).append(j)
    opened_by = chains(codes)
    goodv = [good(c) for c in all_cands]
    options: list[list[_Option]] = []
    placeable = 0
    for page, chain in zip(codes, opened_by):
        if page.kind in ("body",) and chain:
            opts = _body_options(all_cands, index, chain, good, tight_pages, text, goodv, page.slots)
        elif page.kind in ("box", "back", "data"):
            opts = _other_options(page, all_cands, index, good)
        else:
            opts = []
        if page.kind in ("body", "box", "back", "data"):
            placeable += 1
        options.append(opts)
    chosen = _best_path(options, prefer_early)
    if _consistent_shifts(chosen, codes, options):
        chosen = _best_path(options, prefer_early)
    _fill_gaps(chosen, opened_by, codes, all_cands, good)
    places: list[PagePlace] = []
    by_candidate: dict[int, tuple[int, Opened]] = {}
    for i, (page, opt) in enumerate(zip(codes, chosen)):
        if opt is None:
            start = 0 if i == 0 and page.kind == "front" else None
            places.append(PagePlace(i, start))
            continue
        start = all_cands[opt.first].start
        places.append(PagePlace(i, start, opt.opened))
        for o in opt.opened:
            if o.candidate is not None:
                by_candidate[o.candidate.start] = (i, o)
    _place_at_joints(places, chosen, all_cands, sorted(joints))
    placed = sum(1 for p, pl in zip(codes, places) if pl.start is not None and p.kind != "front")
    share = placed / placeable if placeable else 0.0
    aligned = placeable > 0 and share >= MIN_PLACED
    if aligned:
        reason = ""
    elif not placeable and any(c.kind == "seq" for c in codes):
        reason = (
            "its page codes count the pages of each 節 in turn instead of naming their headings "
            "(平成18年版), so where a page starts inside a 節 cannot be told from the text"
        )
    elif not placeable:
        reason = "none of its page codes is one ictqa can read"
    else:
        reason = f"only {placed} of {placeable} pages could be placed in the text ({share:.0%})"
    return Alignment(tuple(codes), tuple(places), placeable, placed, aligned, reason, by_candidate)


def _shifted(option: _Option) -> bool:
    return any(o.candidate is not None and o.level != o.slot[0] for o in option.opened)


def _consistent_shifts(chosen: Sequence[_Option | None], codes: Sequence[PageCode], options: list[list[_Option]]) -> bool:
    """Keep a 節's pages all read at one level.  The pages under one 節 slot
    print their headings one level deeper either all (r01's はじめに 3: its
    （1）–（4）) or none; where the first placed page of the slot chose one
    reading, the others' options of the other reading are dropped.  True
    if any were (the path is then chosen again)."""
    first: dict[tuple[Slot, ...], bool] = {}
    for page, opt in zip(codes, chosen):
        if opt is None or page.kind != "body":
            continue
        group = tuple(sl for sl in page.slots if sl[0] <= SECTION)
        first.setdefault(group, _shifted(opt))
    changed = False
    for i, page in enumerate(codes):
        if page.kind != "body":
            continue
        group = tuple(sl for sl in page.slots if sl[0] <= SECTION)
        if group not in first:
            continue
        keep = [o for o in options[i] if _shifted(o) == first[group]]
        if len(keep) != len(options[i]):
            options[i] = keep
            changed = True
    return changed


def _place_at_joints(
    places: list[PagePlace], chosen: Sequence[_Option | None], cands: Sequence[Candidate], joints: Sequence[int]
) -> None:
    """Unplaced pages between placed neighbours, placed on the one joint
    between them (h27's "ICTとSF" columns glued on as "…en-us1．概観～ICT端末")."""
    for i in range(1, len(places) - 1):
        if places[i].start is not None or places[i - 1].start is None or places[i + 1].start is None:
            continue
        prev = chosen[i - 1]
        lo = cands[prev.last].start if prev is not None else places[i - 1].start
        hi = places[i + 1].start
        assert lo is not None and hi is not None
        a = bisect.bisect_right(joints, lo)
        b = bisect.bisect_left(joints, hi)
        if b - a == 1:
            places[i] = PagePlace(i, joints[a], ())


def _fill_gaps(
    chosen: list[_Option | None],
    opened_by: Sequence[tuple[Slot, ...]],
    codes: Sequence[PageCode],
    cands: Sequence[Candidate],
    good: TitleCheck,
) -> None:
    """A page between two placed pages whose heading is misnumbered in the
    text (平成12年版 第3章第6節 prints its item 1 as "6　…") is placed on the
    one candidate of its form between them, if there is exactly one."""
    for i in range(1, len(chosen) - 1):
        prev, nxt, chain = chosen[i - 1], chosen[i + 1], opened_by[i]
        if chosen[i] is not None or prev is None or nxt is None or not chain or codes[i].kind != "body":
            continue
        level, _ = chain[-1]
        forms = _FORMS.get(level, ())
        between = [
            k
            for k in range(prev.last + 1, nxt.first)
            if cands[k].form in forms and cands[k].form not in ("intro", "hoho") and good(cands[k])
        ]
        if len(between) != 1:
            continue
        k = between[0]
        opened = tuple(Opened(s, None, s[0]) for s in chain[:-1]) + (Opened(chain[-1], cands[k], level),)
        chosen[i] = _Option(k, k, 0.5, opened)


def _best_path(options: Sequence[Sequence[_Option]], prefer_early: bool = False) -> list[_Option | None]:
    """One option (or None) per page, candidates strictly increasing, with
    the highest total score; among equals, each page takes its latest option
    (a page's heading is the last of its look-alikes before the next page),
    or with ``prefer_early`` its earliest.

    F[i][q] is the best total the pages i… reach with candidates from index
    q on; a layer is the previous one raised by the page's options (each
    worth its score plus the best of what follows it), as suffix maxima."""
    n = len(options)
    size = 2 + max((o.last for opts in options for o in opts), default=0)
    F = np.zeros((n + 1, size + 1))
    for i in range(n - 1, -1, -1):
        layer = F[i + 1].copy()
        if options[i]:
            firsts = np.fromiter((o.first for o in options[i]), dtype=np.int64)
            values = np.fromiter((o.score + F[i + 1][o.last + 1] for o in options[i]), dtype=np.float64)
            points = np.full(size + 1, -np.inf)
            np.maximum.at(points, firsts, values)
            np.maximum(layer, np.maximum.accumulate(points[::-1])[::-1], out=layer)
        F[i] = layer
    out: list[_Option | None] = []
    q = 0
    for i in range(n):
        target = F[i][q]
        pick: _Option | None = None
        for o in options[i]:
            if o.first >= q and abs(o.score + F[i + 1][o.last + 1] - target) < 1e-9:
                if pick is None or (o.first < pick.first if prefer_early else o.first > pick.first):
                    pick = o
        out.append(pick)
        if pick is not None:
            q = pick.last + 1
    return out
