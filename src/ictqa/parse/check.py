"""What looks wrong in a parsed heading tree, said before anyone builds on it.

``ictqa sections`` shows these to a user checking a new white paper: a leaf
heading that holds a large share of the text (a heading was missed, and
everything after it is cited under the one before), numbering that skips or
repeats, headings the parser inferred, and what the parser itself noticed
(a table of contents skipped, a page list that does not align).  Pure
functions of the parse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..documents import BOX, CHAPTER, ITEM, KANA, PART, SECTION, SUBITEM, SUBKANA, Heading, Section
from .outline import first_number, successor

# A leaf heading holding more than this share of a file's text is reported:
# in a well-read edition the largest leaf holds 1–5% (the golden trees of
# the 24 editions); 平成28年版 read with its ポイント page as headings had one
# holding 20%.  The number is the (#14) acceptance threshold.
LEAF_SHARE_WARNING = 0.08
# …in a file of at least this many characters: in one 節 (the seed, 21,000
# characters) a leaf of 9% is just a long item, not a missed heading.
LEAF_WARNING_MIN_CHARS = 50_000
SHOWN = 5  # examples listed per kind of problem


@dataclass(frozen=True)
class Leaf:
    path: tuple[Heading, ...]
    chars: int
    share: float


def text_chars(sections: Sequence[Section]) -> int:
    return sum(len(b.text) for s in sections for b in s.blocks)


def leaves(sections: Sequence[Section]) -> list[Leaf]:
    """The sections no other heading nests under, with their share of the
    text (boxes count with the heading they sit in: they are cited apart,
    but a box is not where a missed heading hides)."""
    total = text_chars(sections) or 1
    headed = [s for s in sections if s.path]
    out: list[Leaf] = []
    for k, s in enumerate(headed):
        nxt = headed[k + 1].path if k + 1 < len(headed) else ()
        if len(nxt) > len(s.path) and nxt[: len(s.path)] == s.path:
            continue
        outline = tuple(h for h in s.path if h.level != BOX)
        chars = sum(len(b.text) for b in s.blocks)
        out.append(Leaf(outline, chars, chars / total))
    return out


def largest_leaf(sections: Sequence[Section]) -> Leaf | None:
    ls = leaves(sections)
    return max(ls, key=lambda leaf: leaf.chars) if ls else None


def numbering_gaps(sections: Sequence[Section]) -> list[str]:
    """Siblings whose numbers do not run on (1, 2, 4; ア, ウ; a 節 repeated)."""
    out: list[str] = []
    last: dict[tuple[tuple[int, str], ...], Heading] = {}
    for s in sections:
        if not s.path or s.path[-1].level == BOX or any(h.level == BOX for h in s.path):
            continue
        head = s.path[-1]
        if not head.number or head.inferred or not (head.number.isdigit() or len(head.number) == 1):
            continue
        parent = tuple((h.level, h.number) for h in s.path[:-1]) + ((head.level, ""),)
        prev = last.get(parent)
        expected = successor(head.level, prev.number) if prev is not None else first_number(head.number)
        if head.level in (PART, CHAPTER, SECTION) and prev is None:
            expected = None  # a file may start anywhere; 部/章/節 run on across parents
        if expected is not None and head.number != expected:
            where = " › ".join(h.text for h in s.path[:-1]) or "(top)"
            before = f"after {prev.marker}" if prev is not None else "first"
            out.append(f"{where}: {head.marker} comes {before} (expected {expected})")
        last[parent] = head
    return out


def inferred(sections: Sequence[Section]) -> list[tuple[Heading, ...]]:
    return [s.path for s in sections if s.path and s.path[-1].inferred]


def warnings(sections: Sequence[Section], notes: Sequence[str] = ()) -> list[str]:
    """Everything a user should look at before building on this parse."""
    out: list[str] = list(notes)
    big = text_chars(sections) >= LEAF_WARNING_MIN_CHARS
    for leaf in sorted(leaves(sections), key=lambda x: -x.chars):
        if not big or leaf.share <= LEAF_SHARE_WARNING:
            break
        where = " › ".join(h.text for h in leaf.path)
        out.append(
            f"the heading {where} holds {leaf.share:.0%} of the text ({leaf.chars:,} characters): "
            "a heading after it may have been missed"
        )
    gaps = numbering_gaps(sections)
    if gaps:
        out.append(f"numbering out of sequence in {len(gaps)} place(s): " + "; ".join(gaps[:SHOWN]))
    guessed = inferred(sections)
    if guessed:
        shown = ", ".join(" › ".join(h.text for h in p if h.level <= SECTION) for p in guessed[:SHOWN])
        more = f" and {len(guessed) - SHOWN} more" if len(guessed) > SHOWN else ""
        out.append(
            f"{len(guessed)} heading(s) inferred (not printed in the text; from the numbering and the page codes): {shown}{more}"
        )
    return out


# Indentation of each level in an outline listing (tests/data/structure/
# editions/README.md): fixed by level, whatever the edition prints, so that
# two trees line up level by level.
OUTLINE_INDENT = {PART: 0, CHAPTER: 2, SECTION: 4, ITEM: 6, SUBITEM: 8, KANA: 10, SUBKANA: 12}


def outline_lines(sections: Sequence[Section], *, max_level: int = SUBKANA) -> list[str]:
    """The heading tree in the golden files' format: one heading a line,
    indented by its level, "[inferred]" after a heading the text does not
    print; boxes (コラム, 政策フォーカス) and what is inside them left out."""
    out: list[str] = []
    for s in sections:
        if not s.path or any(h.level == BOX for h in s.path):
            continue
        h = s.path[-1]
        if h.level > max_level:
            continue
        marker = h.marker
        line = " " * OUTLINE_INDENT[h.level] + (f"{marker} {h.title}" if marker else h.title).strip()
        if h.inferred:
            line += " [inferred]"
        out.append(line)
    return out
