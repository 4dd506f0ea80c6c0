"""Searching several editions (fake encoder, a hand-made three-edition corpus):
editions named in the question, near-identical passages grouped, the timeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ictqa.index import build_index, load_index
from ictqa.model import FakeEncoder
from ictqa.search import Searcher, timeline

# The same paragraph reprinted in three editions with its figure updated,
# beside passages found in one edition only.
REPRINT = (
    "デジタル海外展開プラットフォームは、総務省主導で日本のICT海外展開を支援するための官民連携の枠組であり、"
    "我が国のICT企業などを中心に{n}を超える会員や関係省庁・機関などが参加し、案件形成の支援や情報共有を行っている。"
)
EDITIONS = {
    "r01_2019.txt": [
        "第1章　海外展開",
        "第1節　支援の枠組",
        "1　プラットフォーム",
        REPRINT.format(n="50"),
        "2　人材育成",
        "途上国の行政官を対象とした研修を毎年実施しており、これまでに多くの研修員を受け入れてきた。",
    ],
    "r02_2020.txt": [
        "第1章　海外展開",
        "第1節　支援の枠組",
        "1　プラットフォーム",
        REPRINT.format(n="80"),
        "2　量子暗号",
        "量子暗号通信の実証を開始し、長距離伝送の技術検証を進めた。",
    ],
    "r03_2021.txt": [
        "第1章　海外展開",
        "第1節　支援の枠組",
        "1　プラットフォーム",
        REPRINT.format(n="100"),
        "2　量子暗号",
        "量子暗号通信の研究開発をさらに進め、衛星を用いた実証の計画を策定した。",
    ],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("three-editions")
    for name, lines in EDITIONS.items():
        (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def searcher(corpus, tmp_path_factory) -> Searcher:
    index = tmp_path_factory.mktemp("idx")
    build_index([corpus], index, FakeEncoder(), progress=False)
    return Searcher(load_index(index), FakeEncoder())


def _years(response) -> list[int | None]:
    return [r.chunk.citation.year for r in response.results]


def test_a_reprinted_passage_is_one_result_with_the_other_editions(searcher):
    r = searcher.search("デジタル海外展開プラットフォームの会員数は？", k=3)
    top = r.results[0]
    assert "100を超える会員" in top.chunk.text  # the newest edition's passage leads
    assert [a.year for a in top.also_in] == [2019, 2020]
    assert all("プラットフォーム" in next(c.text for c in searcher.chunks if c.id == a.chunk_id) for a in top.also_in)
    # The top k holds k different answers: the reprints are not repeated.
    assert sum("を超える会員" in x.chunk.text for x in r.results) == 1
    j = r.to_json()["results"][0]["also_in"]
    assert j == [{"year": a.year, "label": a.label, "chunk_id": a.chunk_id} for a in top.also_in]


def test_different_passages_are_not_grouped(searcher):
    r = searcher.search("量子暗号通信の実証", k=5)
    quantum = [x for x in r.results if "量子暗号" in x.chunk.text]
    assert len(quantum) == 2 and all(not x.also_in for x in quantum)


def test_a_named_edition_restricts_the_search(searcher):
    r = searcher.search("令和元年版によると、プラットフォームの会員数は？", k=5)
    assert set(_years(r)) == {2019} and "50を超える会員" in r.results[0].chunk.text
    assert r.to_json()["editions_detected"] == [{"year": 2019, "read_as": "令和元年版", "use": "restrict", "applied": True}]
    assert any("2019年版に絞り込み" in n and "Restricted to the 2019 edition" in n for n in r.notices)
    # One click away: the same question over all editions.
    wide = searcher.search("令和元年版によると、プラットフォームの会員数は？", k=5, detect_editions=False)
    assert len(set(_years(wide))) > 1
    assert [e["applied"] for e in wide.to_json()["editions_detected"]] == [False]


def test_two_named_editions_give_the_best_of_each_interleaved(searcher):
    r = searcher.search("How did the 2019 and 2021 editions describe the platform's members?", k=4)
    assert _years(r) == [2019, 2021, 2019, 2021]
    assert [e["year"] for e in r.to_json()["editions_detected"]] == [2019, 2021]


def test_a_filter_beats_the_question_and_a_missing_edition_is_said(searcher):
    r = searcher.search("令和元年版の会員数は", editions=["2020"], k=3)
    assert set(_years(r)) == {2020}
    assert r.to_json()["editions_detected"][0]["applied"] is False
    missing = searcher.search("令和6年版の白書によると会員数は", k=3)
    assert not missing.answerable and missing.results
    assert any("2024" in n for n in missing.notices)
    assert missing.to_json()["editions_detected"][0] == {
        "year": 2024,
        "read_as": "令和6年版",
        "use": "restrict",
        "applied": False,
    }


def test_an_event_year_does_not_restrict(searcher):
    r = searcher.search("2019年に開始された研修の対象は？", k=5)
    assert r.to_json()["editions_detected"] == [] and not any("絞り込み" in n for n in r.notices)


def test_timeline_json_contract(searcher):
    t = timeline(searcher, "量子暗号", k=2).to_json()
    assert set(t) >= {"query", "first", "editions"}
    assert [(e["year"], e["matches"]) for e in t["editions"]] == [(2019, 0), (2020, 1), (2021, 1)]
    assert t["first"]["year"] == 2020 and t["first"]["chunk_id"].startswith("r02_2020.txt#")
    assert "量子暗号" in t["first"]["label"] or t["first"]["label"].startswith("令和2年版")
    row = t["editions"][1]
    assert row["edition"] == "令和2年版 情報通信白書" and len(row["results"]) == 1
    assert {"rank", "score", "text", "citation", "highlight"} <= set(row["results"][0])
    assert t["editions"][0]["results"] == []


def test_timeline_of_an_english_question_uses_the_translated_terms(searcher):
    t = timeline(searcher, "When did the white paper first mention quantum cryptography?").to_json()
    assert t["method"] == "lexical" and t["first"] and t["first"]["year"] == 2020


def test_a_first_mention_question_is_answered_from_the_first_edition(searcher):
    r = searcher.search("「量子暗号」が白書に初めて登場したのはいつか", k=3)
    assert r.results[0].chunk.citation.year == 2020
    assert r.to_json()["editions_detected"][0]["use"] == "first"


def test_cli_timeline(searcher, tmp_path):
    index = searcher.index.path.parent.parent
    p = subprocess.run(
        [sys.executable, "-m", "ictqa", "timeline", "量子暗号", "--index", str(index), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["first"]["year"] == 2020 and len(out["editions"]) == 3
    text = subprocess.run(
        [sys.executable, "-m", "ictqa", "timeline", "量子暗号", "--index", str(index)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert text.returncode == 0 and "2020" in text.stdout and "初出 / first" in text.stdout
    # The counts stand in one column whatever the edition's name (令和元年版
    # and 令和2年版 differ in width on a terminal, not in characters).
    from ictqa.cli.render import columns, pad

    rows = [line for line in text.stdout.splitlines() if line.startswith("  20")]
    assert len(rows) == 3
    assert len({columns(r.rstrip("█ ")) for r in rows}) == 1, rows
    assert pad("令和元年版", 12) == "令和元年版  " and pad("令和2年版", 12) == "令和2年版   "


def test_timeline_page_is_a_chart_whose_bars_open_their_edition(searcher):
    from ictqa.web.timeline import render_timeline

    page = render_timeline(timeline(searcher, "量子暗号"))
    assert page.count('<rect class="ictqa-tl-bar') == 3
    # A bar per edition links to that edition's section; the first mention's is open.
    for year in (2019, 2020, 2021):
        assert f'href="#ictqa-tl-{year}" data-year="{year}"' in page and f'id="ictqa-tl-{year}"' in page
    assert '<details id="ictqa-tl-2020" class="ictqa-tl-row" open>' in page
    assert "ictqa-tl-first" in page and "初出 / first mentioned: 2020" in page


def test_timeline_page_escapes_corpus_and_question_text(searcher):
    from ictqa.results import Timeline
    from ictqa.web.timeline import render_timeline

    t = timeline(searcher, "量子暗号")
    evil = Timeline("<script>x</script>", t.editions, ("<b>term</b>",), t.method)
    page = render_timeline(evil)
    assert "<script>" not in page and "<b>term</b>" not in page and "&lt;b&gt;term&lt;/b&gt;" in page


def test_loanwords_spell_english_words_the_glossary_lacks():
    from ictqa.loanwords import LoanwordIndex, best_match, romanize

    assert romanize("メタバース") == "metabaasu" and romanize("ハッカソン") == "hakkason"
    words = {"メタバース": 5, "ハッカソン": 3, "フィンテック": 2, "ワーケーション": 1, "パワードスーツ": 1, "バリューチェーン": 4}
    assert best_match("metaverse", words) == "メタバース"
    assert best_match("hackathons", words) == "ハッカソン"
    assert best_match("workation", words) == "ワーケーション"
    assert best_match("podcast", words) is None  # パワードスーツ only sounds a little alike
    assert LoanwordIndex(words).candidates("fintech")[0] == "フィンテック"


def test_cards_say_where_else_a_passage_is_printed_and_offer_all_editions(searcher):
    from ictqa.web.render import render_response

    page = render_response(searcher.search("デジタル海外展開プラットフォームの会員数は？", k=2))
    assert "also in the" in page and 'href="?q=' in page and "edition=2019" in page and "edition=2020" in page
    assert "ictqa-all-link" not in page  # nothing was restricted
    named = render_response(searcher.search("令和元年版によると会員数は？", k=2))
    assert "ictqa-all-link" in named and "all=1" in named


def test_cli_all_editions_and_also_in(searcher):
    index = searcher.index.path.parent.parent
    run = [
        sys.executable,
        "-m",
        "ictqa",
        "ask",
        "令和元年版によると、プラットフォームの会員数は？",
        "--index",
        str(index),
        "-k",
        "2",
    ]
    named = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert named.returncode == 0 and "2019年版に絞り込み" in named.stdout and "--all-editions" in named.stdout
    wide = subprocess.run([*run, "--all-editions"], capture_output=True, text=True, timeout=120)
    assert wide.returncode == 0 and "絞り込み" not in wide.stdout and "also in the 2019, 2020 editions" in wide.stdout
