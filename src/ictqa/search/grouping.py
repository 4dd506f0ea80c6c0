"""Near-identical passages of several editions become one result (pure).

Consecutive editions reprint whole paragraphs (an institution's description,
a programme's history), so without grouping the top five of a question over
the archive can be one answer five times.  Two passages are the same answer
when most of the shorter one's character 5-grams occur in the other
(:data:`CONTAINED`): that survives a changed figure or a sentence added at
one end, which passage boundaries drawn differently in each edition cause.
Only pairs whose vectors are already close (:data:`COSINE`) are compared
character by character, which keeps this within a millisecond or two.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Share of the shorter passage's 5-grams found in the longer: 0.8 groups
# reprints with a few figures updated, and keeps apart passages that only
# share a sentence or two (measured on the archive, bench/archive_eval.py).
CONTAINED = 0.8
# Near-identical passages have near-identical e5 vectors; pairs below this
# cosine are never compared character by character.
COSINE = 0.92
GRAM = 5


def shingles(text: str) -> frozenset[int]:
    """The character 5-grams of ``text`` (NFKC, whitespace removed), hashed."""
    s = "".join(unicodedata.normalize("NFKC", text).split())
    if len(s) < GRAM:
        return frozenset({hash(s)})
    return frozenset(hash(s[i : i + GRAM]) for i in range(len(s) - GRAM + 1))


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small)


@dataclass(frozen=True)
class Group:
    """Positions (into the ranked list) of one answer: ``lead`` is shown,
    ``others`` are listed as "also in"."""

    lead: int
    others: tuple[int, ...]


def group(
    order: Sequence[int],
    vectors: np.ndarray,
    years: Sequence[int | None],
    grams: Callable[[int], frozenset[int]],
    k: int,
    prefer: frozenset[int] = frozenset(),
) -> list[Group]:
    """The first ``k`` groups of the ranked candidates ``order`` (positions
    into ``vectors``/``years``; ``grams(pos)`` their shingles).  A group is
    ranked where its best member is; it is shown as its member from an
    edition in ``prefer`` if any, else its newest.  Members of one edition
    never group with each other: two passages of one edition are two places
    a reader may cite."""
    order = list(order)
    if not order:
        return []
    close = (vectors @ vectors.T) >= COSINE  # (n, n): which candidates are near each other
    rank = {pos: r for r, pos in enumerate(order)}
    members: list[list[int]] = []
    assigned: dict[int, int] = {}
    for pos in order:
        if pos in assigned:
            continue
        if len(members) >= k:
            break
        g = len(members)
        members.append([pos])
        assigned[pos] = g
        near = sorted((o for o in np.flatnonzero(close[pos]).tolist() if o in rank), key=rank.__getitem__)
        for other in near:
            if other in assigned or any(years[m] == years[other] for m in members[g]):
                continue
            if containment(grams(pos), grams(other)) >= CONTAINED:
                members[g].append(other)
                assigned[other] = g
    out = []
    for ms in members:
        preferred = [m for m in ms if years[m] in prefer]
        lead = preferred[0] if preferred else max(ms, key=lambda m: (years[m] or 0, -ms.index(m)))
        out.append(Group(lead, tuple(sorted((m for m in ms if m != lead), key=lambda m: years[m] or 0))))
    return out
