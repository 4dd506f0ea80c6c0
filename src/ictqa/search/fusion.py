"""How the named signals of :mod:`.signals` become one score (pure).

The fusion is a weighted sum of calibrated scores rather than reciprocal rank
fusion: RRF gives BM25's rank the same say as dense's even when BM25 matched
nothing but an acronym, which halved English recall (issue #4's baseline).
The weights live in :class:`FusionWeights`, one field per signal (the prior's
parts included), with the measurement that chose them; ``bench/tune_fusion.py``
scores a grid of them with this same :func:`fuse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the hybrid score; chosen on the dev set with
    ``bench/tune_fusion.py`` (seed + five editions, 64 + 64 questions).

    ``passage``, ``sentence``, ``lexical`` and ``translated`` weigh the
    signals of the same name.  The lexical weight is multiplied by the square
    of the question's *coverage*, the share of its words that occur anywhere
    in the index: a Japanese question shares most of its words with the corpus
    and gets the full weight; an English one shares only its acronyms and
    names, so BM25 speaks for it only as far as those reach, and never drowns
    the dense signal (the failure of plain RRF).

    ``footnote``, ``untitled`` and ``recency`` are the parts of the ``prior``
    signal (:func:`~.signals.priors`): footnotes (URLs, English titles of
    sources) and untitled back matter (reference lists) attract English
    questions by their Latin text while rarely answering anything, so they
    start a little lower; and of near-identical passages from several
    editions, the newest is preferred, as a reader asking "what does the white
    paper say" means the current one (``--edition`` asks for another).

    ``translated`` (BM25 of an English question's terms translated through
    JMdict, see ictqa.glossary) is 0.15: English R@1 was .72 / .80 / .83 on
    the dev set and .47 / .56 / .61 on the held-out editions set at 0 / 0.1 /
    0.15 (README, Measured quality); 0 turns translation off."""

    passage: float = 1.0
    sentence: float = 1.0
    lexical: float = 0.1
    footnote: float = 0.1
    untitled: float = 0.03
    # On the archive, 0 would lift English R@1 on the archive dev set from
    # .57 to .60 (older editions' answers stop losing to newer look-alikes),
    # but the seed + five editions dev set drops from .83 / .97 to .67 / .86
    # (en / ja): kept (bench/archive_eval.py --split dev, bench/dev_eval.py
    # --editions).
    recency: float = 0.06
    translated: float = 0.15
    # Passages of an edition the question names without requiring it ("In
    # 2008, what did the white paper say…"): see ictqa.search.editions.
    edition: float = 0.05
    # Passages of the editions reporting on a year the question dates an
    # event with (the year's edition and the two after it): on the archive
    # dev questions R@1 ja .75 → .80 and en .53 → .57 at 0.03, the same at
    # 0.06, lower at 0.1 (bench/archive_eval.py --split dev).
    period: float = 0.03

    def weight(self, signal: str) -> float:
        """The weight of a signal by name.  The prior's parts are weighed when
        the prior is computed, so the prior itself counts once."""
        if signal == "prior":
            return 1.0
        return float(getattr(self, signal))


def scaled(x: np.ndarray) -> np.ndarray:
    """``x`` divided by its maximum over the candidates (zeros if none is
    positive), so that a BM25 weight means the same whatever the question's
    length."""
    top = float(x.max()) if x.size else 0.0
    return x / top if top > 0 else np.zeros_like(x)


def fuse(
    signals: Mapping[str, np.ndarray],
    weights: FusionWeights = FusionWeights(),
    scales: Mapping[str, float] | None = None,
) -> np.ndarray:
    """The hybrid score of the candidates: each signal times its weight (times
    its question-dependent scale, e.g. the lexical signal's coverage²), summed
    in the signals' order."""
    score: np.ndarray | None = None
    for name, values in signals.items():
        w = weights.weight(name) * (scales or {}).get(name, 1.0)
        term = w * values
        score = term if score is None else score + term
    if score is None:
        raise ValueError("no signals to fuse")
    return score
