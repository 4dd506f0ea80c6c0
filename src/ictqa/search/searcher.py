"""Questions → ranked, cited passages with the answering sentence marked.

One question goes: analyse (:mod:`.query`) → encode → candidates (FAISS over
passages and sentences, BM25) → the named signals of each candidate
(:mod:`.signals`) → :func:`~.fusion.fuse` → the top ``k``, each with its
highlight → whether the index answers at all (:mod:`.abstain`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..chunks import Chunk
from ..errors import IctqaError
from ..glossary import Term
from ..index import StoredIndex, load_index
from ..index.vectors import blas_threads, top_indices
from ..lexical import Tagged, sentence_spans, tag
from ..model import Encoder
from ..results import AlsoIn, AnswerSpan, DetectedEdition, Highlight, Response, Result, TermSpan
from . import signals
from .abstain import Abstention
from .answer import AnswerWeights, Cues, Located, figure_lines, locate, term_marks
from .fusion import FusionWeights, fuse
from .grouping import group, shingles
from .query import Query, analyse
from .signals import Evidence

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")

CANDIDATES = 100
# Encoding is most of a question's cost; batch files and web users repeat
# questions, and a cached vector costs 1.5 KB.
QUERY_CACHE_SIZE = 4096
# Marking the answer tags each returned passage (~2.5 ms for 400
# characters); the same passages come back for related questions.
TAG_CACHE_SIZE = 2048


@dataclass(frozen=True)
class _Ranked:
    """One search's candidates, their scores and their order (best first)."""

    cand: np.ndarray
    score: np.ndarray
    order: np.ndarray
    passage: np.ndarray
    lexical: np.ndarray
    evidence: Evidence


@dataclass(frozen=True)
class _EditionPlan:
    restrict: tuple[int, ...]  # editions searched, each on its own, results interleaved
    preferred: np.ndarray | None  # per passage: 1 for an edition to prefer
    prefer: frozenset[int]  # the years of those editions
    detected: tuple[DetectedEdition, ...]
    notices: tuple[str, ...]
    missing: bool  # the question asks for an edition the index lacks


def edition_name(year: int) -> str:
    """「2008年版」, as the notices write an edition."""
    return f"{year}年版"


def _restricted_notice(years: Sequence[int]) -> str:
    ja = "・".join(edition_name(y) for y in years)
    en = " and ".join(str(y) for y in years)
    plural = "editions" if len(years) > 1 else "edition"
    return f"{ja}に絞り込み / Restricted to the {en} {plural}"


def _given(editions: Iterable[str | int] | None) -> bool:
    return any(str(e).strip() for e in editions or ())


def _interleave(orders: Sequence[np.ndarray], k: int) -> list[tuple[int, int]]:
    """(group, index) of the first ``k`` picks, taking each group's next
    best in turn: two named editions give the best passages of each."""
    out: list[tuple[int, int]] = []
    pos = [0] * len(orders)
    while len(out) < k and any(p < len(o) for p, o in zip(pos, orders)):
        for g, o in enumerate(orders):
            if pos[g] < len(o) and len(out) < k:
                out.append((g, int(o[pos[g]])))
                pos[g] += 1
    return out


@dataclass(frozen=True)
class Candidates:
    """The passages worth scoring for one question, and their signals by name
    (what :func:`~.fusion.fuse` weighs)."""

    ids: np.ndarray  # rows of the index
    signals: dict[str, np.ndarray]
    scales: dict[str, float]
    evidence: Evidence


class Searcher:
    """An index and the encoder that built it, ready to answer."""

    def __init__(
        self,
        index: StoredIndex,
        encoder: Encoder,
        weights: FusionWeights = FusionWeights(),
        abstention: Abstention = Abstention(),
        answer_weights: AnswerWeights = AnswerWeights(),
    ) -> None:
        if encoder.model_id != index.model_id:
            raise IctqaError(
                f"the index was built with {index.model_id!r} but the encoder is {encoder.model_id!r}",
                fix="open the index without choosing a model, or rebuild it with this one",
            )
        self.index = index
        self.encoder = encoder
        self.weights = weights
        self.abstention = abstention
        self.answer_weights = answer_weights
        self._editions = {c.citation.edition for c in index.chunks}
        self._years = {c.citation.year for c in index.chunks if c.citation.year}
        self.facts = signals.PassageFacts.of(index)
        self._prior = signals.priors(self.facts, weights)
        self._thresholds = abstention.thresholds(index.manifest.probes)
        if index.glossary_path is None:
            log.warning(
                "the index at %s has no English→Japanese term table (built by an older ictqa); English questions "
                "are searched without it. `ictqa build` with the same files adds it without re-embedding.",
                index.path.parent.parent,
            )
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._tag_cache: OrderedDict[int, list[Tagged]] = OrderedDict()
        # Sentence row → its chunk, for finding candidates by sentence.
        self._sentence_chunk = np.searchsorted(index.sentence_offsets, np.arange(len(index.sentence_vectors)), side="right") - 1

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None) -> Searcher:
        from ..model import load_encoder

        index = load_index(Path(index_dir), model_id=model)
        return cls(index, load_encoder(index.model_id))

    @property
    def chunks(self) -> list[Chunk]:
        return self.index.chunks

    def analyse(self, query: object, mode: Mode = "hybrid") -> Query:
        """Check and analyse a question for this index (raises IctqaError)."""
        translate = mode == "hybrid" and self.weights.translated > 0
        return analyse(query, (lambda: self.index.glossary) if translate else None)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        mode: Mode = "hybrid",
        editions: Iterable[str | int] | None = None,
        chapters: Iterable[str] | None = None,
        id: str | None = None,
        detect_editions: bool = True,
    ) -> Response:
        """The ``k`` best passages for ``query``.  ``editions`` (labels or
        years) and ``chapters`` (``citation.chapter`` values) restrict the
        passages considered; an empty filter means all.  Without an edition
        filter, the editions the question names ("平成20年版", "the 2010 and
        2020 editions") are searched instead of all, unless
        ``detect_editions`` is False."""
        q = self.analyse(query, mode)
        editions = list(editions or ())
        allowed = self._mask(editions, chapters)
        with blas_threads(1):  # one question: a second BLAS thread only spins (see blas_threads)
            qvec = self._encode_queries([q.text])[0]
            return self._search_encoded(
                q, qvec, k, mode=mode, allowed=allowed, id=id, filtered=_given(editions), detect=detect_editions
            )

    def search_many(
        self,
        queries: Sequence[str],
        k: int = 5,
        *,
        mode: Mode = "hybrid",
        editions: Iterable[str | int] | None = None,
        chapters: Iterable[str] | None = None,
        detect_editions: bool = True,
    ) -> list[Response | IctqaError]:
        """Answer many questions, encoding them together; a bad question gives
        its IctqaError in its place and does not stop the others."""
        checked: list[Query | IctqaError] = []
        for text in queries:
            try:
                checked.append(self.analyse(text, mode))
            except IctqaError as e:
                checked.append(e)
        editions = list(editions or ())
        allowed = self._mask(editions, chapters)
        good = [q for q in checked if isinstance(q, Query)]
        vecs = self._encode_queries([q.text for q in good])
        pre: list[list[np.ndarray] | None] = [None] * len(good)
        if good and allowed is None and mode != "bm25" and self.index.sentences.faiss is not None:
            # One FAISS call for all questions: a flat index then scans the
            # vectors once with a matrix product instead of once per question.
            pre = [list(p) for p in zip(self._dense_top(vecs), self._sentence_top(vecs))]
        out: list[Response | IctqaError] = []
        it = iter(zip(vecs, pre))
        for q in checked:
            if isinstance(q, IctqaError):
                out.append(q)
                continue
            qvec, found = next(it)
            out.append(
                self._search_encoded(
                    q, qvec, k, mode=mode, allowed=allowed, found=found, filtered=_given(editions), detect=detect_editions
                )
            )
        return out

    def candidates(
        self,
        query: Query,
        qvec: np.ndarray,
        *,
        mode: Mode = "hybrid",
        allowed: np.ndarray | None = None,
        found: list[np.ndarray] | None = None,
        preferred: np.ndarray | None = None,
    ) -> Candidates:
        """The candidates of a question and their named signals: the one path
        the Searcher ranks by and ``bench/tune_fusion.py`` tunes on."""
        ev = signals.gather(self.index, query, qvec, self._prior, preferred, self._period(query))
        tr = ev.translated
        ids = self._candidate_ids(qvec, ev.bm25 if tr is None else ev.bm25 + tr, allowed, mode, found)
        return Candidates(ids, signals.compute(ev, ids) if ids.size else {}, signals.scales(ev), ev)

    def encode_query(self, text: str) -> np.ndarray:
        """The vector of one (analysed) question, cached."""
        return self._encode_queries([text])[0]

    def ranked_within(self, query: Query, qvec: np.ndarray, allowed: np.ndarray, k: int) -> tuple[Result, ...]:
        """The ``k`` best of the passages ``allowed``, ranked as a search ranks."""
        ranked = self._rank(query, qvec, "hybrid", allowed, None, None)
        if ranked is None:
            return ()
        return tuple(self._result(ranked, int(j), rank, qvec) for rank, j in enumerate(ranked.order[:k], start=1))

    def _result(self, ranked: _Ranked, j: int, rank: int, qvec: np.ndarray, also_in: tuple[AlsoIn, ...] = ()) -> Result:
        i = int(ranked.cand[j])
        ev = ranked.evidence
        highlight, term_spans = self._mark(i, qvec, ev.query, ev.terms)
        return Result(
            rank=rank,
            score=float(ranked.score[j]),
            chunk=self.index.chunks[i],
            highlight=highlight,
            dense=float(ranked.passage[j]),
            lexical=float(ranked.lexical[j]),
            term_spans=term_spans,
            also_in=also_in,
        )

    def _grouped(self, ranked: _Ranked, k: int, qvec: np.ndarray, prefer: frozenset[int] = frozenset()) -> list[Result]:
        """The top ``k`` answers, near-identical passages of several editions
        shown once (:mod:`.grouping`), each with the editions it is also in."""
        # Enough of the ranking to fill k groups even when every answer is
        # reprinted in many editions.
        head = ranked.order[: max(4 * k, 40)]
        cand = ranked.cand[head]
        vecs = np.asarray(self.index.vectors[cand])
        years = [self.facts.years[int(i)] for i in cand]
        chunks = self.index.chunks
        cache: dict[int, frozenset[int]] = {}

        def grams(p: int) -> frozenset[int]:
            if p not in cache:
                cache[p] = shingles(chunks[int(cand[p])].text)
            return cache[p]

        out = []
        for rank, g in enumerate(group(range(len(head)), vecs, years, grams, k, prefer), start=1):
            also = tuple(AlsoIn(years[o], chunks[int(cand[o])].citation.label, chunks[int(cand[o])].id) for o in g.others)
            best = min([g.lead, *g.others])  # the group ranks, and scores, as its best member
            r = self._result(ranked, int(head[g.lead]), rank, qvec, also)
            out.append(dataclasses.replace(r, score=float(ranked.score[head[best]])))
        return out

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        """Question vectors, from the cache where the same text was asked before."""
        cache = self._query_cache
        missing = list(dict.fromkeys(t for t in texts if t not in cache))
        if missing:
            for t, v in zip(missing, self.encoder.encode_queries(missing)):
                cache[t] = v
        out = np.zeros((len(texts), self.encoder.dimension), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = cache[t]
            cache.move_to_end(t)
        while len(cache) > QUERY_CACHE_SIZE:
            cache.popitem(last=False)
        return out

    # -- internals ---------------------------------------------------------

    def _search_encoded(
        self,
        query: Query,
        qvec: np.ndarray,
        k: int,
        *,
        mode: Mode,
        allowed: np.ndarray | None,
        id: str | None = None,
        found: list[np.ndarray] | None = None,
        filtered: bool = False,
        detect: bool = True,
    ) -> Response:
        """``filtered``: the caller chose editions itself (``allowed``), so
        the editions the question names are reported but not followed;
        ``detect=False`` ignores them altogether ("search all editions")."""
        if mode not in MODES:
            raise IctqaError(f"unknown search mode {mode!r}", expected=" or ".join(MODES))
        k = max(1, min(int(k), 100))
        plan = self._edition_plan(query, qvec, follow=detect and not filtered)
        notices = query.notices + plan.notices
        groups = [allowed] if not plan.restrict else [self._and(allowed, self._year_mask(y)) for y in plan.restrict]
        if plan.restrict:
            found = None  # fetched over all editions; each edition is searched on its own
        ranked = [r for g in groups if (r := self._rank(query, qvec, mode, g, found, plan.preferred)) is not None]
        if not ranked:
            return Response(query.text, (), False, id=id, mode=mode, notices=notices, editions_detected=plan.detected)
        if len(ranked) == 1 and not plan.restrict and mode == "hybrid":
            results = self._grouped(ranked[0], k, qvec, plan.prefer)
        else:
            picks = _interleave([r.order for r in ranked], k)
            results = [self._result(ranked[g], j, rank, qvec) for rank, (g, j) in enumerate(picks, start=1)]
        best = ranked[0]
        top = int(best.cand[best.order[0]]) if best.order.size else None
        in_top = sum(1 for v in best.evidence.per_term if top is not None and bool(v[top] > 0))
        top_passage = max(float(r.passage.max()) for r in ranked)
        answerable = not plan.missing and self.abstention.answerable(
            query, top_passage, self._background_top(qvec), in_top, best.evidence.coverage, self._thresholds
        )
        return Response(
            query.text,
            tuple(results),
            answerable,
            id=id,
            mode=mode,
            notices=notices,
            translated=best.evidence.terms,
            editions_detected=plan.detected,
        )

    def _rank(
        self,
        query: Query,
        qvec: np.ndarray,
        mode: Mode,
        allowed: np.ndarray | None,
        found: list[np.ndarray] | None,
        preferred: np.ndarray | None,
    ) -> _Ranked | None:
        """Every candidate scored and ordered (None when there is none)."""
        cands = self.candidates(query, qvec, mode=mode, allowed=allowed, found=found, preferred=preferred)
        cand, sig, ev = cands.ids, cands.signals, cands.evidence
        if cand.size == 0:
            return None
        if mode == "dense":
            score = sig["passage"]
        elif mode == "bm25":
            score = ev.bm25[cand]
        else:
            score = fuse(sig, self.weights, cands.scales)
        order = np.argsort(-score, kind="stable")
        if not np.isfinite(score).all():
            raise IctqaError(
                f"the index at {self.index.path.parent.parent} gives scores that are not numbers (NaN): its vectors are damaged",
                fix=f"rebuild it: ictqa build --index {self.index.path.parent.parent}",
            )
        return _Ranked(cand, score, order, sig["passage"], sig["lexical"], ev)

    def _edition_plan(self, query: Query, qvec: np.ndarray, *, follow: bool) -> _EditionPlan:
        """How the editions a question names shape its search: editions to
        search (each on its own), editions to prefer, and what to report."""
        years = self._years
        restrict: list[int] = []
        boost: set[int] = set()
        detected: list[DetectedEdition] = []
        notices: list[str] = []
        missing = False
        for m in query.editions:
            year = (max(years) if years else None) if m.latest else m.year
            if m.use == "first" and follow:
                year = self._first_edition(query)
            applied = follow and year is not None and year in years
            if follow and m.use == "restrict" and year is not None and year not in years:
                missing = True
                notices.append(
                    f"この索引には{edition_name(year)}がありません。すべての版を検索しました / "
                    f"This index holds no {year} edition; all editions were searched."
                )
            detected.append(DetectedEdition(year, m.read_as, m.use, applied))
            if applied and year is not None:
                if m.use == "boost":
                    boost.add(year)
                elif year not in restrict:
                    restrict.append(year)
        if restrict:
            notices.append(_restricted_notice(restrict))
        preferred = None
        if boost and not restrict:
            preferred = np.fromiter((c.citation.year in boost for c in self.index.chunks), dtype=np.float32)
        return _EditionPlan(tuple(restrict), preferred, frozenset(boost), tuple(detected), tuple(notices), missing)

    def _period(self, query: Query) -> np.ndarray | None:
        """Per passage: is it from an edition reporting on the question's
        event years (the year's and the two after)?  None when it names none
        or names an edition itself (then that edition decides)."""
        if not query.event_years or any(m.use != "first" for m in query.editions) or self.weights.period <= 0:
            return None
        wanted = {y + d for y in query.event_years for d in (0, 1, 2)} & self._years
        if not wanted:
            return None
        return np.fromiter((y in wanted for y in self.facts.years), dtype=np.float32, count=len(self.facts.years))

    def _first_edition(self, query: Query) -> int | None:
        """The earliest edition with a passage on the question's topic."""
        from .topic import matching

        mask = matching(self.index, query)
        if mask is None or not mask.any():
            return None
        return min(self.facts.years[i] or 9999 for i in np.flatnonzero(mask))

    def _year_mask(self, year: int) -> np.ndarray:
        return np.fromiter((y == year for y in self.facts.years), dtype=bool, count=len(self.facts.years))

    @staticmethod
    def _and(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
        return b if a is None else a & b

    def _background_top(self, qvec: np.ndarray) -> float | None:
        bg = self.index.background_vectors
        if bg is None or len(bg) == 0:
            return None
        return float((np.asarray(bg) @ qvec).max())

    def _mask(self, editions: Iterable[str | int] | None, chapters: Iterable[str] | None) -> np.ndarray | None:
        """Which passages the filters allow (None: all)."""
        masks = [m for m in (self._edition_mask(editions), self._chapter_mask(chapters)) if m is not None]
        if not masks:
            return None
        mask = np.logical_and.reduce(masks)
        if not mask.any():
            raise IctqaError(
                "no passage is in both the chosen editions and the chosen chapters",
                fix="widen one of the filters (ictqa info lists what the index holds)",
            )
        return mask

    def _chapter_mask(self, chapters: Iterable[str] | None) -> np.ndarray | None:
        wanted = {str(c).strip() for c in chapters or () if str(c).strip()}
        if not wanted:
            return None
        chunks = self.index.chunks
        mask = np.fromiter((c.citation.chapter in wanted for c in chunks), dtype=bool, count=len(chunks))
        if not mask.any():
            known = sorted({c.citation.chapter for c in chunks if c.citation.chapter})
            raise IctqaError(
                f"no passages of chapter {', '.join(sorted(wanted))} in this index",
                expected="one of: " + ", ".join(known[:20]) + (" …" if len(known) > 20 else ""),
                fix="choose a chapter the index holds (the web form lists them)",
            )
        return mask

    def _edition_mask(self, editions: Iterable[str | int] | None) -> np.ndarray | None:
        if not editions:
            return None
        wanted = {str(e).strip() for e in editions if str(e).strip()}
        if not wanted:
            return None
        chunks = self.index.chunks
        mask = np.fromiter(
            ((c.citation.edition in wanted) or (c.citation.year is not None and str(c.citation.year) in wanted) for c in chunks),
            dtype=bool,
            count=len(chunks),
        )
        if not mask.any():
            known = sorted({str(c.citation.year) for c in chunks if c.citation.year} | {e for e in self._editions if e})
            raise IctqaError(
                f"no passages of edition {', '.join(sorted(wanted))} in this index",
                expected="one of: " + ", ".join(known) if known else "an edition the index holds",
                fix="choose an edition the index holds (ictqa info lists them), or add that white paper with ictqa build",
            )
        return mask

    def _candidate_ids(
        self,
        qvec: np.ndarray,
        bm25: np.ndarray,
        allowed: np.ndarray | None,
        mode: Mode,
        found: list[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Passages worth scoring.  ``found``: the dense and sentence
        candidates :meth:`search_many` already fetched for this question."""
        c = min(CANDIDATES, len(self.index.chunks))
        picked: list[np.ndarray] = []
        if mode != "bm25":
            # The passage whose one sentence answers can rank low as a whole
            # (an English question against a long Japanese passage); its best
            # sentences find it.
            q = qvec.reshape(1, -1)
            picked += found if found is not None else [self._dense_top(q, allowed)[0], self._sentence_top(q, allowed)[0]]
        if mode != "dense":
            scores = bm25 if allowed is None else np.where(allowed, bm25, -1.0)
            top = top_indices(scores, c)
            picked.append(top[scores[top] > 0])
        if not picked:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(picked)).astype(np.int64)

    def _dense_top(self, qvecs: np.ndarray, allowed: np.ndarray | None = None) -> list[np.ndarray]:
        """Per question, the passages closest to it (up to CANDIDATES)."""
        c = min(CANDIDATES, len(self.index.chunks))
        return self.index.passages.nearest(qvecs, c, allowed)

    def _sentence_top(self, qvecs: np.ndarray, allowed: np.ndarray | None = None) -> list[np.ndarray]:
        """Per question, the passages of its best-matching sentences (up to
        CANDIDATES, from the best 3 × CANDIDATES sentences)."""
        c = min(CANDIDATES, len(self.index.chunks))
        rows_allowed = allowed[self._sentence_chunk] if allowed is not None else None
        found = self.index.sentences.nearest(qvecs, 3 * c, rows_allowed)
        return [self._sentence_chunk[rows][:c] for rows in found]

    def _mark(
        self, i: int, qvec: np.ndarray, query: Query, terms: tuple[Term, ...]
    ) -> tuple[Highlight | None, tuple[TermSpan, ...]]:
        """The sentence to mark and the answer span in it (:mod:`.answer`:
        the sentence's cosine to the question, the question's words and
        translated terms it holds, and how well its best span fits what the
        question asks), and where the translated terms stand in the passage
        (the English reading aid)."""
        chunk = self.index.chunks[i]
        text = chunk.text
        toks = self._tags(i)
        spans = term_marks(text, terms, toks) if terms else []
        term_spans = tuple(TermSpan(m.start, m.end, m.english) for m in spans)
        a, b = int(self.index.sentence_offsets[i]), int(self.index.sentence_offsets[i + 1])
        sentences = sentence_spans(text)
        if b <= a or len(sentences) != b - a:
            return None, term_spans
        cos = [float(c) for c in np.asarray(self.index.sentence_vectors[a:b]) @ qvec]
        try:
            found = self._locate(chunk, sentences, cos, query, terms, toks)
        except Exception:  # a bug in the answer span must not cost the answer
            log.exception("could not mark the answer in %s; marking the closest sentence", chunk.id)
            s, e = sentences[int(np.argmax(cos))]
            return Highlight(s, e, text[s:e]), term_spans
        if found is None:
            return None, term_spans
        s, e = found.sentence.start, found.sentence.end
        answer = None
        if found.answer is not None:
            answer = AnswerSpan(found.answer.start, found.answer.end, text[found.answer.start : found.answer.end], found.kind)
        return Highlight(s, e, text[s:e], answer), term_spans

    def _tags(self, i: int) -> list[Tagged]:
        """``lexical.tag`` of passage ``i``, remembered (worker threads may
        both fill an entry; the values are equal)."""
        toks = self._tag_cache.get(i)
        if toks is None:
            toks = self._tag_cache[i] = tag(self.index.chunks[i].text)
            while len(self._tag_cache) > TAG_CACHE_SIZE:
                self._tag_cache.popitem(last=False)
        return toks

    def _locate(
        self,
        chunk: Chunk,
        sentences: list[tuple[int, int]],
        cos: list[float],
        query: Query,
        terms: tuple[Term, ...],
        toks: list[Tagged],
    ) -> Located | None:
        text = chunk.text
        cues = Cues.of(query.words, terms, query.asks, query.text)
        if chunk.kind == "figure":
            # A figure is fragments, one a line: mark the lines that match,
            # never the whole figure (each line takes the cosine of the
            # "sentence" it lies in).
            lines = figure_lines(text)
            line_cos = [next((c for (s, e), c in zip(sentences, cos) if s <= ls < e), 0.0) for ls, _ in lines]
            return locate(text, lines, line_cos, query.asks, cues, self.answer_weights, toks, require_cue=True)
        return locate(text, sentences, cos, query.asks, cues, self.answer_weights, toks)
