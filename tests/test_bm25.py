"""Differential test: ictqa's BM25 (bm25s behind ictqa.index.bm25, saved and
loaded as an index does) against an independent engine (rank_bm25) on
Japanese passages tokenized by our own fugashi tokenizer.

rank_bm25's BM25Okapi shares the Okapi term-frequency part with Lucene's BM25
but uses Robertson's idf, which goes negative for common words; only the idf
is swapped here, so everything else is checked against rank_bm25's own code.
Lucene (since 8.0) also drops the constant (k1 + 1) factor of the numerator,
which changes no ranking; the reference is divided by it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from ictqa.index.bm25 import BM25_PARAMS, Bm25Index
from ictqa.lexical import words

PASSAGES = [
    "総務省は光海底ケーブルの海外展開を支援している。",
    "デジタル海外展開プラットフォームは100を超える会員を有する。",
    "ＤＦＦＴ（信頼性のある自由なデータ流通）の具体化に向けて議論した。",
    "ITU-Tにおける標準化活動に我が国は積極的に貢献している。",
    "Open RANの国際展開に向けて実証事業を実施した。",
    "日ASEANサイバーセキュリティ政策会議を開催した。",
    "総務省は放送コンテンツの海外展開を推進している。",
    "G7デジタル・技術大臣会合を群馬県高崎市で開催した。",
]
QUERIES = ["光海底ケーブル", "ＤＦＦＴ", "itu-t 標準化", "総務省 海外展開", "Open RAN", "G7 高崎", "存在しない語"]


class LuceneIdfOkapi(BM25Okapi):
    def _calc_idf(self, nd):
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    tokens = [words(p) for p in PASSAGES]
    path = tmp_path_factory.mktemp("bm25") / "bm25"
    Bm25Index.build(tokens).save(path)
    ours = Bm25Index.load(path, len(PASSAGES))  # memory-mapped, as a search opens it
    ref = LuceneIdfOkapi(tokens, k1=BM25_PARAMS["k1"], b=BM25_PARAMS["b"])
    return ours, ref


@pytest.mark.parametrize("query", QUERIES)
def test_scores_match_rank_bm25(engines, query):
    ours, ref = engines
    q = words(query)
    got = ours.scores(q)
    want = ref.get_scores(q) / (BM25_PARAMS["k1"] + 1)
    assert got.shape == (len(PASSAGES),)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_the_right_passage_wins(engines):
    ours, _ = engines
    for query, best in [("光海底ケーブル", 0), ("ＤＦＦＴ", 2), ("G7 高崎", 7), ("Open RAN", 4)]:
        assert int(np.argmax(ours.scores(words(query)))) == best, query


def test_vocabulary_membership(engines):
    ours, _ = engines
    assert "海底" in ours and "itu-t" in ours and "存在" not in ours
    assert not ours.scores(["存在", "量子"]).any()
