"""Search behaviour with the fake encoder: contract, filters, bad input, fusion."""

from __future__ import annotations

import numpy as np
import pytest

from ictqa.errors import IctqaError
from ictqa.index.store import load_index
from ictqa.model import FakeEncoder
from ictqa.search import MAX_QUERY_CHARS, Abstention, FusionWeights, Searcher, analyse, check_query, fuse
from ictqa.search.fusion import scaled
from ictqa.search.signals import SIGNALS, coverage

RESULT_KEYS = {"rank", "score", "text", "citation", "highlight"}
CITATION_KEYS = {"document", "edition", "chapter", "section", "path", "figure", "label", "char_start", "char_end"}


@pytest.fixture(scope="module")
def searcher(fake_index):
    return Searcher(load_index(fake_index), FakeEncoder())


def test_json_contract(searcher):
    out = searcher.search("光海底ケーブルの敷設", k=3, id="q1").to_json()
    assert {"id", "query", "results", "answerable"} <= set(out)
    assert out["id"] == "q1" and out["query"] == "光海底ケーブルの敷設"
    assert [r["rank"] for r in out["results"]] == [1, 2, 3]
    for r in out["results"]:
        assert RESULT_KEYS <= set(r)
        assert CITATION_KEYS <= set(r["citation"])
        assert isinstance(r["citation"]["path"], list)
        h = r["highlight"]
        if h is not None:
            assert r["text"][h["start"] : h["end"]] == h["text"]
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "query, match",
    [
        ("", "empty"),
        ("   \u3000\n", "empty"),
        ("あ" * 100_000, "100,000 characters"),
        ("。、！？…", "no letters or digits"),
        (None, "must be text"),
    ],
)
def test_bad_questions(query, match):
    with pytest.raises(IctqaError, match=match):
        check_query(query)


def test_longest_allowed_question_is_accepted_with_a_notice(searcher):
    r = searcher.search("海外展開" * (MAX_QUERY_CHARS // 4))
    assert r.results and any("first 500" in n for n in r.notices)


def test_emoji_question_is_answered(searcher):
    assert searcher.search("5G 📡 の海外展開は？").results


def test_edition_filter(searcher):
    r = searcher.search("海外展開", editions=["2023"])
    assert r.results and all(x.chunk.citation.year == 2023 for x in r.results)
    r = searcher.search("海外展開", editions=["令和5年版 情報通信白書"])
    assert r.results
    with pytest.raises(IctqaError, match="no passages of edition 2019.*2023"):
        searcher.search("海外展開", editions=["2019"])


def test_search_many_answers_good_rows_and_reports_bad_ones(searcher):
    out = searcher.search_many(["光海底ケーブル", "", "DFFT"], k=2)
    assert [type(o).__name__ for o in out] == ["Response", "IctqaError", "Response"]


def test_modes_differ_and_are_validated(searcher):
    a = [r.chunk.id for r in searcher.search("DFFTの推進", mode="bm25").results]
    assert a
    with pytest.raises(IctqaError, match="unknown search mode"):
        searcher.search("DFFT", mode="magic")


def _fused(passage, sentence, bm25, cov, weights, translated=None):
    """fuse() over hand-made signals, scaled as ictqa.search.signals scales them."""
    signals = {"passage": passage, "sentence": sentence, "lexical": scaled(bm25)}
    if translated is not None:
        signals["translated"] = scaled(translated)
    return fuse(signals, weights, {"lexical": cov**2})


def test_fusion_ordering_on_a_hand_made_example():
    # Three candidates: A is the dense winner, B shares the question's acronym,
    # C has the one sentence that answers.
    passage = np.array([0.86, 0.84, 0.85])
    sentence = np.array([0.84, 0.83, 0.90])
    bm25 = np.array([0.0, 7.0, 1.0])
    w = FusionWeights(lexical=0.05)
    # A Japanese question (all words in the index): lexical evidence counts.
    assert list(np.argsort(-_fused(passage, sentence, bm25, 1.0, w))) == [2, 1, 0]
    # An English question sharing almost nothing with the index: dense decides.
    assert list(np.argsort(-_fused(passage, sentence, bm25, 0.1, w))) == [2, 0, 1]
    # Without a sentence signal, a strong lexical match wins only with coverage.
    zero = np.zeros(3)
    assert int(np.argmax(_fused(passage, zero, bm25, 1.0, FusionWeights(1.0, 0.0, 0.05)))) == 1
    assert int(np.argmax(_fused(passage, zero, bm25, 0.0, FusionWeights(1.0, 0.0, 0.05)))) == 0


def test_every_signal_has_a_weight_and_fusion_weighs_by_name():
    for name in SIGNALS:
        assert isinstance(FusionWeights().weight(name), float), name
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert list(fuse({"passage": a, "sentence": b}, FusionWeights(passage=2.0, sentence=1.0))) == [2.0, 1.0]
    assert list(fuse({"passage": a, "lexical": b}, FusionWeights(), {"lexical": 10.0})) == [1.0, 1.0]


def test_candidates_expose_the_signals_the_ranking_uses(searcher):
    """What bench/tune_fusion.py tunes on is what the Searcher ranks by."""
    q = analyse("光海底ケーブルの敷設")
    cands = searcher.candidates(q, searcher.encoder.encode_queries([q.text])[0])
    assert set(cands.signals) == {"passage", "sentence", "lexical", "prior"}
    order = cands.ids[np.argsort(-fuse(cands.signals, searcher.weights, cands.scales), kind="stable")][:5]
    assert [searcher.chunks[i].id for i in order] == [r.chunk.id for r in searcher.search(q.text, k=5).results]


def test_coverage():
    vocab = {"dfft", "推進", "g7"}
    assert coverage(["dfft", "推進"], vocab) == 1.0
    assert coverage(["dfft", "promote", "data", "flow"], vocab) == 0.25
    assert coverage([], vocab) == 0.0


def test_abstention_rule():
    a = Abstention(margin_ja=0.02, margin_en=0.01)
    ja, en, recipe = analyse("DFFTとは"), analyse("What is DFFT?"), analyse("Curry recipe?")
    assert a.answerable(ja, 0.90, 0.85)
    assert not a.answerable(ja, 0.86, 0.85)
    assert a.answerable(en, 0.86, 0.845)
    assert not a.answerable(recipe, 0.80, 0.84)
    assert a.answerable(en, 0.81, None) and not a.answerable(ja, 0.81, None)
    # An English question whose first passage holds three of its translated
    # terms is answerable a little below the margin, not far below it, and
    # this never applies to Japanese questions.
    b = Abstention()
    cable, cable_ja = analyse("Which submarine cable plan?"), analyse("海底ケーブル計画は")
    assert not b.answerable(cable, 0.80, 0.81, terms_in_top=2)
    assert b.answerable(cable, 0.80, 0.81, terms_in_top=3)
    assert not b.answerable(cable, 0.80, 0.83, terms_in_top=5)
    assert not b.answerable(cable_ja, 0.80, 0.81, terms_in_top=5)


def test_chapter_filter(searcher):
    ch = "第5章 総務省におけるICT政策の取組状況"
    r = searcher.search("海外展開", chapters=[ch])
    assert r.results and all(x.chunk.citation.chapter == ch for x in r.results)
    with pytest.raises(IctqaError, match="no passages of chapter 第9章"):
        searcher.search("海外展開", chapters=["第9章 なし"])


def test_search_many_ranks_exactly_as_search(searcher):
    """search_many fetches FAISS results for all questions in one call and
    uses the question cache; the rankings must be those of search()."""
    questions = ["光海底ケーブルの敷設", "What is DFFT?", "Open RAN の国際展開", "光海底ケーブルの敷設"]
    fresh = Searcher(searcher.index, searcher.encoder)
    many = fresh.search_many(questions, k=5)
    for q, got in zip(questions, many):
        one = Searcher(searcher.index, searcher.encoder).search(q, k=5)
        assert [r.chunk.id for r in got.results] == [r.chunk.id for r in one.results]
        assert [r.score for r in got.results] == pytest.approx([r.score for r in one.results], abs=1e-6)
        assert got.answerable == one.answerable
    assert len(fresh._query_cache) == 3  # the repeated question was encoded once


# -- English questions: terms translated through the JMdict glossary ---------------


def test_english_terms_are_translated_and_reported(searcher):
    r = searcher.search("Which submarine cable projects does the ministry support?", k=3)
    terms = {t.english: t.japanese for t in r.translated}
    assert "海底ケーブル" in terms["submarine cable"]
    out = r.to_json()["translated_terms"]
    assert {"english": "submarine cable", "japanese": list(terms["submarine cable"])} in out
    # Japanese questions are searched with their own words only, even when
    # they quote a Latin name; an English one quoting Japanese is translated.
    assert searcher.search("海底ケーブルの支援").to_json()["translated_terms"] == []
    assert searcher.search("異能vationプログラムの応募件数は？").translated == ()
    mixed = searcher.search("How many members does デジタル海外展開プラットフォーム have?")
    assert any("会員" in t.japanese for t in mixed.translated)


def test_translated_terms_alone_rank_the_passages_that_hold_them(searcher):
    only = FusionWeights(passage=0.0, sentence=0.0, lexical=0.0, footnote=0.0, untitled=0.0, recency=0.0, translated=1.0)
    s = Searcher(searcher.index, searcher.encoder, weights=only)
    r = s.search("telemedicine by smartphone", k=3)
    # Both terms beat one term; one term beats none.
    assert "遠隔医療" in r.results[0].chunk.text and "スマートフォン" in r.results[0].chunk.text
    # A spelling counts only where all its words occur (in the passage or its
    # heading): 遠隔 or 医療 alone is not enough.
    q = s.analyse("telemedicine")
    (scores,) = s.candidates(q, s.encoder.encode_queries([q.text])[0]).evidence.per_term
    for c, v in zip(s.chunks, scores):
        assert (v > 0) == ("遠隔" in c.embed_text and "医療" in c.embed_text), c.id


def test_translation_is_off_without_weight_or_glossary(searcher, caplog):
    from dataclasses import replace

    q = "Which submarine cable projects does the ministry support?"
    off = Searcher(searcher.index, searcher.encoder, weights=FusionWeights(translated=0.0))
    assert off.search(q).translated == ()
    # An index built before glossary.tsv existed still answers, untranslated.
    with caplog.at_level("WARNING", logger="ictqa.search"):
        old = Searcher(replace(searcher.index, glossary_path=None), searcher.encoder)
    assert "no English→Japanese term table" in caplog.text and "ictqa build" in caplog.text
    r = old.search(q)
    assert r.results and r.translated == ()


def test_fusion_adds_translated_terms_on_a_hand_made_example():
    # A is the dense winner; B holds the Japanese words of the English question.
    passage = np.array([0.86, 0.84])
    sentence = np.array([0.86, 0.85])
    bm25 = np.zeros(2)
    translated = np.array([0.0, 12.0])
    assert int(np.argmax(_fused(passage, sentence, bm25, 0.0, FusionWeights(), translated=translated))) == 1
    assert int(np.argmax(_fused(passage, sentence, bm25, 0.0, FusionWeights(translated=0.0), translated=translated))) == 0
    assert int(np.argmax(_fused(passage, sentence, bm25, 0.0, FusionWeights()))) == 0


def test_blas_threads_are_set_for_the_block_and_restored():
    """A single question runs numpy's BLAS on one thread (an idle spinning
    worker slows the next encoding); the process's setting comes back."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from ictqa.index.vectors import blas_threads

    def blas() -> list[int]:
        # numpy's own: other libraries loaded later by other tests (torch,
        # faiss) may bring BLAS copies of their own, which numpy never calls.
        infos = threadpoolctl.threadpool_info()
        return [i["num_threads"] for i in infos if i["user_api"] == "blas" and "numpy" in i["filepath"]]

    before = blas()
    if not before:
        pytest.skip("numpy has no BLAS threadpoolctl can see")
    with blas_threads(1):
        assert blas() == [1] * len(before)
    assert blas() == before


def test_faiss_threads_are_set_for_the_call_and_restored():
    """Single questions search FAISS on one OpenMP thread (an idle spinning
    worker slows the next encoding); the caller's setting comes back."""
    faiss = pytest.importorskip("faiss")
    from ictqa.index.vectors import faiss_threads

    faiss.omp_set_num_threads(2)
    with faiss_threads(1):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == 2
    with faiss_threads(None):
        assert faiss.omp_get_max_threads() == 2


def test_abstention_follows_the_index_s_own_probes():
    """An index whose passages come close to generic questions (a big one)
    asks more of a question than one that does not: the same margin is
    answerable against the first probes and not against the second."""
    a = Abstention()
    ja = analyse("DFFTとは")
    near = {"ja": [(0.90, 0.86, 1.0)] * 30}  # generic probes score a 0.04 margin here
    far = {"ja": [(0.80, 0.82, 1.0)] * 30}  # and -0.02 here
    assert a.thresholds(near)["ja"] > a.thresholds(far)["ja"]
    assert a.answerable(ja, 0.90, 0.86, thresholds=a.thresholds(far))
    assert not a.answerable(ja, 0.90, 0.86, thresholds=a.thresholds(near))
    # With a coverage weight (0 by default since the 60-question
    # calibration), words the index lacks lower a question's score.
    c = Abstention(coverage_weight=0.05, probe_margin_ja=0.02)
    limits = c.thresholds(far)
    assert c.answerable(ja, 0.85, 0.82, coverage=1.0, thresholds=limits)
    assert not c.answerable(ja, 0.85, 0.82, coverage=0.2, thresholds=limits)
    assert a.answerable(ja, 0.85, 0.82, coverage=0.2, thresholds=a.thresholds(far))
    # Too few probes (or none: an index built before them): the fixed margins alone.
    assert a.thresholds({"ja": [(0.9, 0.5, 1.0)] * 5}) == {}
    assert a.answerable(ja, 0.90, 0.86, thresholds={})


def test_every_build_records_its_probes(searcher):
    probes = searcher.index.manifest.probes
    assert set(probes) == {"ja", "en"} and len(probes["ja"]) >= 100
    top, bg, cov = probes["en"][0]
    assert -1 <= bg <= 1 and -1 <= top <= 1 and 0 <= cov <= 1
