"""The ranking signals, each a named function of the evidence for one question.

Four are question-dependent:

* ``passage``: cosine of the question and each passage (multilingual e5), the
  only signal that carries an English question to Japanese text;
* ``sentence``: the best cosine of the question with one sentence of a
  passage.  It lifts a passage whose one sentence answers exactly over a
  passage that is only about the topic (and finds the sentence to highlight);
* ``lexical``: BM25 over fugashi words, strong for Japanese questions that
  share words with the passage, and for English ones only through the names
  they share with it (DFFT, ITU-T, 5G, G7);
* ``translated``: BM25 of an English question's terms in Japanese (JMdict,
  see ictqa.glossary).

and one is not: ``prior``, each passage's question-independent adjustment
(:func:`priors`); ``edition`` lifts the passages of an edition the question
prefers without requiring it.  :data:`SIGNALS` lists them in fusion order; adding a
signal is one function here and one weight in
:class:`~.fusion.FusionWeights`.  The Searcher and ``bench/tune_fusion.py``
both get them from :func:`compute`.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass

import numpy as np

from ..glossary import Term
from ..index import StoredIndex
from ..lexical import words
from .fusion import FusionWeights, scaled
from .query import Query


@dataclass(frozen=True)
class PassageFacts:
    """What the prior knows of each passage of an index."""

    footnote: tuple[bool, ...]
    untitled: tuple[bool, ...]  # back matter: no 節 and no heading path
    years: tuple[int | None, ...]

    @classmethod
    def of(cls, index: StoredIndex) -> PassageFacts:
        chunks = index.chunks
        return cls(
            footnote=tuple(c.kind == "footnote" for c in chunks),
            untitled=tuple(c.citation.section is None and not c.citation.path for c in chunks),
            years=tuple(c.citation.year for c in chunks),
        )


def priors(facts: PassageFacts, weights: FusionWeights) -> np.ndarray:
    """Question-independent score adjustment of each passage (pure): minus
    ``footnote`` for footnotes, minus ``untitled`` for back matter, plus up to
    ``recency`` for the newest edition of the index."""
    known = [y for y in facts.years if y]
    lo, hi = (min(known), max(known)) if known else (0, 0)
    span = max(hi - lo, 1)
    out = np.zeros(len(facts.years), dtype=np.float32)
    for i, (foot, unt, year) in enumerate(zip(facts.footnote, facts.untitled, facts.years)):
        out[i] = (
            -weights.footnote * foot
            - weights.untitled * bool(unt)
            + weights.recency * (((year or lo) - lo) / span if hi > lo else 0.0)
        )
    return out


def coverage(qwords: Sequence[str], vocabulary: Container[str]) -> float:
    """Share of the question's words that occur in the index (pure)."""
    if not qwords:
        return 0.0
    return sum(1 for w in qwords if w in vocabulary) / len(qwords)


@dataclass(frozen=True)
class Evidence:
    """What the signals read for one question, computed once over the whole
    index: the candidates' signals are slices of it."""

    index: StoredIndex
    query: Query
    qvec: np.ndarray
    bm25: np.ndarray  # BM25 of the question's words, per passage
    prior: np.ndarray  # priors(), per passage
    coverage: float
    # English terms whose Japanese spellings occur in the index, and each
    # one's BM25 per passage (empty for Japanese questions).
    terms: tuple[Term, ...] = ()
    per_term: tuple[np.ndarray, ...] = ()
    # 1.0 for passages of an edition the question prefers (boost), per
    # passage; None when it prefers none.
    preferred: np.ndarray | None = None
    # 1.0 for passages of the editions that report on the years the question
    # dates events with; None when it names none.
    period: np.ndarray | None = None

    @property
    def translated(self) -> np.ndarray | None:
        """The terms' BM25 summed, per passage; None without terms."""
        return np.sum(self.per_term, axis=0) if self.per_term else None


def gather(
    index: StoredIndex,
    query: Query,
    qvec: np.ndarray,
    prior: np.ndarray,
    preferred: np.ndarray | None = None,
    period: np.ndarray | None = None,
) -> Evidence:
    """The evidence for ``query`` (whose terms are looked up only if it has any)."""
    bm25 = index.bm25.scores(query.words)
    terms, per_term = _translated_terms(index, query.terms + loanword_terms(index, query, qvec))
    return Evidence(index, query, qvec, bm25, prior, coverage(query.words, index.bm25), terms, per_term, preferred, period)


# A loanword spelling is kept only if some passage holding it is this close
# to the question in meaning: it tells メタバース (metaverse) from a katakana
# word that merely sounds alike.
LOANWORD_COSINE = 0.8


def loanword_terms(index: StoredIndex, query: Query, qvec: np.ndarray) -> tuple[Term, ...]:
    """Terms for the question's English words that the glossary lacks: each
    word's katakana spelling in the index (ictqa.loanwords), the candidate
    whose passages come closest to the question, if close enough (a word the
    text also writes in Latin letters, iPhone, is searched both ways)."""
    out: list[Term] = []
    for w in query.unglossed:
        best: tuple[float, str] | None = None
        for kata in index.loanwords.candidates(w):
            ws = tuple(words(kata))
            if not ws:
                continue
            rows = np.flatnonzero(np.logical_and.reduce([index.bm25.scores([x]) > 0 for x in ws]))
            if len(rows):
                cos = float(np.max(np.asarray(index.vectors[rows]) @ qvec))
                if cos >= LOANWORD_COSINE and (best is None or cos > best[0]):
                    best = (cos, kata)
        if best is not None:
            out.append(Term(w, ((best[1], tuple(words(best[1]))),)))
    return tuple(out)


def _translated_terms(index: StoredIndex, terms: Sequence[Term]) -> tuple[tuple[Term, ...], tuple[np.ndarray, ...]]:
    """The terms that matched a passage through their Japanese spellings, and
    each one's BM25 over the index.

    A term scores a passage by its best spelling (one right translation is
    enough; adding them up would favour a term with many spellings), and a
    spelling counts only where all its words occur (海底 + ケーブル, not
    either alone)."""
    per_word: dict[str, np.ndarray] = {}
    matched: list[Term] = []
    per_term: list[np.ndarray] = []
    for term in terms:
        scored = [(s, _all_words_bm25(index, s[1], per_word)) for s in term.spellings]
        kept = [(s, v) for s, v in scored if v is not None]
        if kept:
            matched.append(Term(term.english, tuple(s for s, _ in kept)))
            per_term.append(np.maximum.reduce([v for _, v in kept]))
    return tuple(matched), tuple(per_term)


def _all_words_bm25(index: StoredIndex, ws: Sequence[str], cache: dict[str, np.ndarray]) -> np.ndarray | None:
    """Summed BM25 of ``ws`` in the passages that hold every one of them;
    None if none does."""
    for w in ws:
        if w not in cache:
            cache[w] = index.bm25.scores([w])
    scores = [cache[w] for w in ws]
    both = np.logical_and.reduce([s > 0 for s in scores])
    if not both.any():
        return None
    return np.where(both, np.sum(scores, axis=0), 0.0).astype(np.float32)


# -- the signals ---------------------------------------------------------------


def passage(ev: Evidence, cand: np.ndarray) -> np.ndarray:
    return np.asarray(ev.index.vectors[cand]) @ ev.qvec


def sentence(ev: Evidence, cand: np.ndarray) -> np.ndarray:
    """Best sentence cosine per candidate (the passage's own cosine when a
    passage has no sentence vectors)."""
    index = ev.index
    offsets = index.sentence_offsets
    starts, ends = offsets[cand], offsets[cand + 1]
    counts = ends - starts
    rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)]) if counts.sum() else np.zeros(0, np.int64)
    sims = np.asarray(index.sentence_vectors[rows]) @ ev.qvec if rows.size else np.zeros(0, np.float32)
    out = np.asarray(index.vectors[cand]) @ ev.qvec
    has = counts > 0
    if has.any():
        # Each candidate's rows are contiguous in `sims`: a segment max.
        out[has] = np.maximum.reduceat(sims, (np.cumsum(counts) - counts)[has])
    return out.astype(np.float32)


def lexical(ev: Evidence, cand: np.ndarray) -> np.ndarray:
    """BM25 scaled by its maximum over the candidates (weighed by coverage²,
    see :func:`scales`)."""
    return scaled(ev.bm25[cand])


def prior(ev: Evidence, cand: np.ndarray) -> np.ndarray:
    return ev.prior[cand]


def translated(ev: Evidence, cand: np.ndarray) -> np.ndarray | None:
    """BM25 of the translated terms, scaled like ``lexical``; None (no signal)
    for a question without terms."""
    tr = ev.translated
    return None if tr is None else scaled(tr[cand])


def edition(ev: Evidence, cand: np.ndarray) -> np.ndarray | None:
    """1 for a passage of an edition the question prefers; None (no signal)
    when it prefers none."""
    return None if ev.preferred is None else ev.preferred[cand]


def period(ev: Evidence, cand: np.ndarray) -> np.ndarray | None:
    """1 for a passage of an edition that reports on a year the question
    dates an event with; None (no signal) when it names none."""
    return None if ev.period is None else ev.period[cand]


Signal = Callable[[Evidence, np.ndarray], "np.ndarray | None"]
# In fusion order (the order changes the float sums, hence the scores shown).
SIGNALS: dict[str, Signal] = {
    "passage": passage,
    "sentence": sentence,
    "lexical": lexical,
    "prior": prior,
    "translated": translated,
    "edition": edition,
    "period": period,
}


def compute(ev: Evidence, cand: np.ndarray) -> dict[str, np.ndarray]:
    """Every signal's values for the candidates ``cand``, by name."""
    out: dict[str, np.ndarray] = {}
    for name, fn in SIGNALS.items():
        values = fn(ev, cand)
        if values is not None:
            out[name] = values
    return out


def scales(ev: Evidence) -> dict[str, float]:
    """Question-dependent multipliers of the signals' weights."""
    return {"lexical": ev.coverage**2}
