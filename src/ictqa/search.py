"""Questions → ranked, cited passages with the answering sentence marked.

Three signals meet here:

* dense: cosine of the question and each passage (multilingual e5), the only
  signal that carries an English question to Japanese text;
* lexical: BM25 over fugashi words, strong for Japanese questions that share
  words with the passage, and for English ones only through the names they
  share with it (DFFT, ITU-T, 5G, G7);
* sentence: the best cosine of the question with one sentence of a passage.
  It finds the sentence to highlight, and it lifts a passage whose one
  sentence answers exactly over a passage that is only about the topic.

The fusion is a weighted sum of calibrated scores rather than reciprocal rank
fusion: RRF gives BM25's rank the same say as dense's even when BM25 matched
nothing but an acronym, which halves English recall (issue #4's baseline).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .chunks import Chunk
from .encoders import Encoder
from .errors import IctqaError
from .glossary import Term, has_english, translate
from .lexical import guess_lang, normalize, sentence_spans, words
from .results import Highlight, Response, Result
from .store import StoredIndex, load_index

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")

MAX_QUERY_CHARS = 1000

CANDIDATES = 100
# Encoding is most of a question's cost; batch files and web users repeat
# questions, and a cached vector costs 1.5 KB.
QUERY_CACHE_SIZE = 4096


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the hybrid score; chosen on the dev set (bench/tune_fusion.py).

    The lexical weight is multiplied by the square of the question's
    *coverage*, the share of its words that occur anywhere in the index.  A
    Japanese question shares most of its words with the corpus and gets the
    full weight; an English one shares only its acronyms and names, so BM25
    speaks for it only as far as those reach, and never drowns the dense
    signal (the failure of plain RRF).

    Priors: footnotes (URLs, English titles of sources) and untitled back
    matter (reference lists) attract English questions by their Latin text
    while rarely answering anything, so they start a little lower; and of
    near-identical passages from several editions, the newest is preferred,
    as a reader asking "what does the white paper say" means the current one
    (``--edition`` asks for another)."""

    passage: float = 1.0
    sentence: float = 1.0
    lexical: float = 0.1
    footnote: float = 0.1
    untitled: float = 0.03
    recency: float = 0.06
    # BM25 of an English question's terms translated through JMdict
    # (glossary.py), scaled like ``lexical``; 0 turns translation off.
    translated: float = 0.15


@dataclass(frozen=True)
class Abstention:
    """When to say "the index does not answer this".

    Cosines from e5 sit in a narrow band (0.75–0.95) whatever the question,
    so an absolute threshold cannot tell "a recipe" from "a question about a
    topic the index covers".  Instead the best passage is compared with the
    best of a fixed bank of generic, non-ICT background passages shipped with
    ictqa (``ictqa/data/background.jsonl``, embedded into every index): an
    answerable question is closer to the index than to the rest of the world.
    English questions against Japanese text get lower cosines overall, hence
    one margin per question language.  Calibrated with bench/dev_eval.py on
    the dev questions and out-of-scope questions.

    An English question whose first passage holds the Japanese words of
    several of its terms (``terms_en``) is about something the index covers
    even when its cosine margin falls just short (``terms_margin_en``): the
    answerable English questions flagged by the margin alone sat within 0.02
    of it with 3–5 translated terms in their first passage, while the
    out-of-scope ones (recipes, weather, football) matched at most two
    generic words (料理, 天気) within 0.02."""

    margin_ja: float = 0.03
    margin_en: float = 0.005
    terms_en: int = 3
    terms_margin_en: float = -0.02
    # Used only when an index has no background vectors.
    floor_ja: float = 0.855
    floor_en: float = 0.80

    def answerable(self, query: str, top_passage: float, top_background: float | None, terms_in_top: int = 0) -> bool:
        ja = guess_lang(query) == "ja"
        if top_background is None:
            return top_passage >= (self.floor_ja if ja else self.floor_en)
        margin = top_passage - top_background
        if margin >= (self.margin_ja if ja else self.margin_en):
            return True
        return not ja and terms_in_top >= self.terms_en and margin >= self.terms_margin_en


@contextmanager
def _faiss_threads(n: int | None) -> Iterator[None]:
    """Run FAISS calls of this thread on ``n`` OpenMP threads (None: as set).

    Why one for a single question: FAISS splits a search by question, so a
    second thread has nothing to do, yet OpenMP starts it and leaves it
    spinning for a while after the search, on the core the next question's
    encoder needs (measured with OpenVINO on 2 cores: question p50 / p95
    22.0 / 34.8 ms with the default, 13.7 / 17.4 ms with one thread).  The
    setting is per calling thread in OpenMP, so concurrent requests do not
    disturb each other."""
    if n is None:
        yield
        return
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def check_query(query: object) -> str:
    """The question as it will be searched, or an IctqaError saying why not."""
    if not isinstance(query, str):
        raise IctqaError(f"the question must be text, got {type(query).__name__}")
    text = " ".join(query.split())
    if not text:
        raise IctqaError(
            "the question is empty",
            expected="a question in Japanese or English",
            fix='type a question, e.g. "DFFTとは何ですか" or "What is DFFT?"',
        )
    if len(text) > MAX_QUERY_CHARS:
        raise IctqaError(
            f"the question is {len(text):,} characters long",
            expected=f"at most {MAX_QUERY_CHARS:,} characters",
            fix="ask about one thing at a time, or split the text into several questions",
        )
    if not any(ch.isalnum() for ch in normalize(text)):
        raise IctqaError(
            f"the question {text[:40]!r} has no letters or digits",
            expected="a question in Japanese or English",
            fix="type words, not only punctuation or symbols",
        )
    return text


def fuse(
    passage: np.ndarray,
    sentence: np.ndarray,
    lexical: np.ndarray,
    coverage: float,
    weights: FusionWeights = FusionWeights(),
    prior: np.ndarray | float = 0.0,
    translated: np.ndarray | None = None,
) -> np.ndarray:
    """Hybrid score of candidates (pure).  ``lexical`` is raw BM25, scaled by
    its maximum over the candidates so that its weight means the same whatever
    the question's length; ``coverage`` in [0, 1] is the share of the
    question's words found in the index; ``prior`` is each candidate's
    question-independent adjustment (:meth:`Searcher.priors`); ``translated``
    is the BM25 of an English question's Japanese translations, scaled like
    ``lexical``."""
    score = weights.passage * passage + weights.sentence * sentence + weights.lexical * coverage**2 * _scaled(lexical) + prior
    if translated is not None:
        score = score + weights.translated * _scaled(translated)
    return score


def _scaled(x: np.ndarray) -> np.ndarray:
    top = float(x.max()) if x.size else 0.0
    return x / top if top > 0 else np.zeros_like(x)


def priors(kinds: Sequence[str], untitled: Sequence[bool], years: Sequence[int | None], weights: FusionWeights) -> np.ndarray:
    """Question-independent score adjustment of each passage (pure)."""
    known = [y for y in years if y]
    lo, hi = (min(known), max(known)) if known else (0, 0)
    span = max(hi - lo, 1)
    out = np.zeros(len(kinds), dtype=np.float32)
    for i, (kind, unt, year) in enumerate(zip(kinds, untitled, years)):
        out[i] = (
            -weights.footnote * (kind == "footnote")
            - weights.untitled * bool(unt)
            + weights.recency * (((year or lo) - lo) / span if hi > lo else 0.0)
        )
    return out


def _top(scores: np.ndarray, c: int) -> np.ndarray:
    """Indices of the ``c`` largest scores, best first (ties by index)."""
    if c >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, c - 1)[:c]
    return part[np.lexsort((part, -scores[part]))]


def coverage(qwords: Sequence[str], vocabulary: Container[str]) -> float:
    """Share of the question's words that occur in the index (pure)."""
    if not qwords:
        return 0.0
    return sum(1 for w in qwords if w in vocabulary) / len(qwords)


class Searcher:
    """An index and the encoder that built it, ready to answer."""

    def __init__(
        self,
        index: StoredIndex,
        encoder: Encoder,
        weights: FusionWeights = FusionWeights(),
        abstention: Abstention = Abstention(),
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
        self._editions = {c.citation.edition for c in index.chunks}
        self._prior = priors(
            [c.kind for c in index.chunks],
            [c.citation.section is None and not c.citation.path for c in index.chunks],
            [c.citation.year for c in index.chunks],
            weights,
        )
        if index.glossary_path is None:
            log.warning(
                "the index at %s has no English→Japanese term table (built by an older ictqa); English questions "
                "are searched without it. `ictqa build` with the same files adds it without re-embedding.",
                index.path.parent.parent,
            )
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        # Sentence row → its chunk, for finding candidates by sentence.
        self._sentence_chunk = np.searchsorted(index.sentence_offsets, np.arange(len(index.sentence_vectors)), side="right") - 1

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None) -> Searcher:
        from .encoders import load_encoder

        index = load_index(Path(index_dir), model_id=model)
        return cls(index, load_encoder(index.model_id))

    @property
    def chunks(self) -> list[Chunk]:
        return self.index.chunks

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        mode: Mode = "hybrid",
        editions: Iterable[str | int] | None = None,
        chapters: Iterable[str] | None = None,
        id: str | None = None,
    ) -> Response:
        """The ``k`` best passages for ``query``.  ``editions`` (labels or
        years) and ``chapters`` (``citation.chapter`` values) restrict the
        passages considered; an empty filter means all."""
        text = check_query(query)
        allowed = self._mask(editions, chapters)
        qvec = self._encode_queries([text])[0]
        return self._search_encoded(text, qvec, k, mode=mode, allowed=allowed, id=id)

    def search_many(
        self,
        queries: Sequence[str],
        k: int = 5,
        *,
        mode: Mode = "hybrid",
        editions: Iterable[str | int] | None = None,
        chapters: Iterable[str] | None = None,
    ) -> list[Response | IctqaError]:
        """Answer many questions, encoding them together; a bad question gives
        its IctqaError in its place and does not stop the others."""
        checked: list[str | IctqaError] = []
        for q in queries:
            try:
                checked.append(check_query(q))
            except IctqaError as e:
                checked.append(e)
        allowed = self._mask(editions, chapters)
        good = [q for q in checked if isinstance(q, str)]
        vecs = self._encode_queries(good)
        pre: list[list[np.ndarray] | None] = [None] * len(good)
        if good and allowed is None and mode != "bm25" and self.index.sentence_index is not None:
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
            out.append(self._search_encoded(q, qvec, k, mode=mode, allowed=allowed, found=found))
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
        text: str,
        qvec: np.ndarray,
        k: int,
        *,
        mode: Mode,
        allowed: np.ndarray | None,
        id: str | None = None,
        found: list[np.ndarray] | None = None,
    ) -> Response:
        if mode not in MODES:
            raise IctqaError(f"unknown search mode {mode!r}", expected=" or ".join(MODES))
        k = max(1, min(int(k), 100))
        qwords = words(text)
        # BM25 over the whole index, once: it both proposes candidates and scores them.
        bm25 = self._bm25_all(qwords)
        terms, per_term = self._translated(text) if mode == "hybrid" else ((), [])
        translated = np.sum(per_term, axis=0) if per_term else None
        cand = self._candidates(qvec, bm25 if translated is None else bm25 + translated, allowed, mode, found)
        if cand.size == 0:
            return Response(text, (), False, id=id, mode=mode, notices=self._notices(text))
        vectors = self.index.vectors
        passage = np.asarray(vectors[cand]) @ qvec
        lexical = bm25[cand]
        sentence = self._sentence_scores(cand, qvec)
        cov = coverage(qwords, self.index.bm25.vocab_dict)
        if mode == "dense":
            score = passage
        elif mode == "bm25":
            score = lexical
        else:
            score = fuse(
                passage, sentence, lexical, cov, self.weights, self._prior[cand], None if translated is None else translated[cand]
            )
        order = np.argsort(-score, kind="stable")[:k]
        lex_top = float(lexical.max()) if lexical.size else 0.0
        results = []
        for rank, j in enumerate(order, start=1):
            chunk = self.index.chunks[int(cand[j])]
            results.append(
                Result(
                    rank=rank,
                    score=float(score[j]),
                    chunk=chunk,
                    highlight=self._highlight(int(cand[j]), qvec),
                    dense=float(passage[j]),
                    lexical=float(lexical[j] / lex_top) if lex_top > 0 else 0.0,
                )
            )
        in_top = sum(1 for v in per_term if v[cand[order[0]]] > 0) if order.size else 0
        answerable = self.abstention.answerable(text, float(passage.max()), self._background_top(qvec), in_top)
        return Response(text, tuple(results), answerable, id=id, mode=mode, notices=self._notices(text), translated=terms)

    def _translated(self, text: str) -> tuple[tuple[Term, ...], list[np.ndarray]]:
        """The English terms of a question that matched a passage through
        their Japanese spellings (see glossary.py), and each one's BM25 over
        the index; the terms add up in the hybrid score.

        A term scores a passage by its best spelling (one right translation is
        enough; adding them up would favour a term with many spellings), and a
        spelling counts only where all its words occur (海底 + ケーブル, not
        either alone)."""
        if self.weights.translated <= 0 or not has_english(text) or not (table := self.index.glossary):
            return (), []
        per_word: dict[str, np.ndarray] = {}
        matched: list[Term] = []
        per_term: list[np.ndarray] = []
        for term in translate(text, table):
            scored = [(s, self._all_words_bm25(s[1], per_word)) for s in term.spellings]
            scored = [(s, v) for s, v in scored if v is not None]
            if scored:
                matched.append(Term(term.english, tuple(s for s, _ in scored)))
                per_term.append(np.maximum.reduce([v for _, v in scored]))
        return tuple(matched), per_term

    def _all_words_bm25(self, ws: Sequence[str], cache: dict[str, np.ndarray]) -> np.ndarray | None:
        """Summed BM25 of ``ws`` in the passages that hold every one of them;
        None if none does."""
        for w in ws:
            if w not in cache:
                cache[w] = self._bm25_all([w])
        scores = [cache[w] for w in ws]
        both = np.logical_and.reduce([s > 0 for s in scores])
        if not both.any():
            return None
        return np.where(both, np.sum(scores, axis=0), 0.0).astype(np.float32)

    def _background_top(self, qvec: np.ndarray) -> float | None:
        bg = self.index.background_vectors
        if bg is None or len(bg) == 0:
            return None
        return float((np.asarray(bg) @ qvec).max())

    def _notices(self, text: str) -> tuple[str, ...]:
        # e5 reads at most 512 tokens; Japanese runs about one token per
        # character, so a longer question is silently cut by the model.
        if len(text) > 500:
            return (f"The question is {len(text)} characters; only about the first 500 are read by the model.",)
        return ()

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
        mask = np.fromiter((c.citation.chapter in wanted for c in self.index.chunks), dtype=bool, count=len(self.index.chunks))
        if not mask.any():
            known = sorted({c.citation.chapter for c in self.index.chunks if c.citation.chapter})
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
        mask = np.fromiter(
            (
                (c.citation.edition in wanted) or (c.citation.year is not None and str(c.citation.year) in wanted)
                for c in self.index.chunks
            ),
            dtype=bool,
            count=len(self.index.chunks),
        )
        if not mask.any():
            known = sorted({str(c.citation.year) for c in self.index.chunks if c.citation.year} | {e for e in self._editions if e})
            raise IctqaError(
                f"no passages of edition {', '.join(sorted(wanted))} in this index",
                expected="one of: " + ", ".join(known) if known else "an edition the index holds",
                fix="choose an edition the index holds (ictqa info lists them), or add that white paper with ictqa build",
            )
        return mask

    def _candidates(
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
            top = _top(scores, c)
            picked.append(top[scores[top] > 0])
        if not picked:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(picked)).astype(np.int64)

    def _dense_top(self, qvecs: np.ndarray, allowed: np.ndarray | None = None) -> list[np.ndarray]:
        """Per question, the passages closest to it (up to CANDIDATES)."""
        c = min(CANDIDATES, len(self.index.chunks))
        return self._nearest(self.index.dense, self.index.vectors, qvecs, c, allowed)

    def _sentence_top(self, qvecs: np.ndarray, allowed: np.ndarray | None = None) -> list[np.ndarray]:
        """Per question, the passages of its best-matching sentences (up to
        CANDIDATES, from the best 3 × CANDIDATES sentences)."""
        c = min(CANDIDATES, len(self.index.chunks))
        rows_allowed = allowed[self._sentence_chunk] if allowed is not None else None
        found = self._nearest(self.index.sentence_index, self.index.sentence_vectors, qvecs, 3 * c, rows_allowed)
        return [self._sentence_chunk[rows][:c] for rows in found]

    @staticmethod
    def _nearest(index: Any, vectors: np.ndarray, qvecs: np.ndarray, k: int, allowed: np.ndarray | None) -> list[np.ndarray]:
        """Row ids of the ``k`` vectors closest to each question, best first."""
        if allowed is None and index is not None:
            with _faiss_threads(1 if len(qvecs) == 1 else None):
                _, ids = index.search(np.ascontiguousarray(qvecs, dtype=np.float32), min(k, index.ntotal))
            return [row[row >= 0] for row in ids]
        # A filter can leave too few of an approximate top-k, and indexes made
        # before sentences.faiss have none: scan the (allowed) rows exactly.
        sub = np.flatnonzero(allowed) if allowed is not None else np.arange(len(vectors))
        sims = np.asarray(vectors[sub]) @ qvecs.T
        return [sub[_top(sims[:, j], k)] for j in range(len(qvecs))]

    def _bm25_all(self, qwords: list[str]) -> np.ndarray:
        n = len(self.index.chunks)
        ids = self.index.bm25.get_tokens_ids(qwords)
        if not ids:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self.index.bm25.get_scores_from_ids(ids), dtype=np.float32)[:n]

    def _sentence_scores(self, cand: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Best sentence cosine per candidate (the passage's own cosine when a
        passage has no sentence vectors)."""
        offsets = self.index.sentence_offsets
        starts, ends = offsets[cand], offsets[cand + 1]
        counts = ends - starts
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)]) if counts.sum() else np.zeros(0, np.int64)
        sims = np.asarray(self.index.sentence_vectors[rows]) @ qvec if rows.size else np.zeros(0, np.float32)
        out = np.asarray(self.index.vectors[cand]) @ qvec
        has = counts > 0
        if has.any():
            # Each candidate's rows are contiguous in `sims`: a segment max.
            out[has] = np.maximum.reduceat(sims, (np.cumsum(counts) - counts)[has])
        return out.astype(np.float32)

    def _highlight(self, i: int, qvec: np.ndarray) -> Highlight | None:
        """The passage's sentence closest to the question.  Adding shared
        words (plain or idf-weighted) or a number cue for "how many" questions
        was measured on the dev set and made it worse or no better."""
        chunk = self.index.chunks[i]
        a, b = int(self.index.sentence_offsets[i]), int(self.index.sentence_offsets[i + 1])
        spans = sentence_spans(chunk.text)
        if b <= a or len(spans) != b - a:
            return None
        s, e = spans[int(np.argmax(np.asarray(self.index.sentence_vectors[a:b]) @ qvec))]
        return Highlight(s, e, chunk.text[s:e])
