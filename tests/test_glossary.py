"""English → Japanese term lookup (glossary.py) and the table shipped with ictqa.

The shipped rows are pinned: JMdict 1.08 as jamdict-data 1.5 packs it, split
into words by unidic-lite 1.0.8 (the version pyproject.toml pins)."""

from __future__ import annotations

import itertools

import pytest

from ictqa.glossary import (
    GLOSSARY_PATH,
    load_table,
    normalize_gloss,
    read_table,
    restrict,
    table_source,
    translate,
    variants,
    write_table,
)
from ictqa.lexical import normalize, words


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("submarine cable", "submarine cable"),
        ("to tackle (a problem)", "tackle"),
        ("the Internet", "internet"),
        ("Wi-Fi", "wi-fi"),
        ("(esp.) overseas expansion", "overseas expansion"),
        ("Japan's policy!", "japan's policy"),
        ("   ", ""),
    ],
)
def test_normalize_gloss(raw, expected):
    assert normalize_gloss(raw) == expected


@pytest.mark.parametrize(
    "word, base",
    [
        ("members", "member"),
        ("policies", "policy"),
        ("standardisation", "standardization"),
        ("programmes", "program"),
        ("launched", "launch"),
        ("hosting", "host"),
        ("japan's", "japan"),
        ("approved", "approve"),
    ],
)
def testvariants_reach_the_base_form(word, base):
    assert base in variants(word)


def test_spelling_swaps_touch_endings_only():
    assert "for" not in variants("four") and "yor" not in variants("your")
    assert "labor" in variants("labour") and "organize" in variants("organised")
    assert "program" in variants("programme") and "center" in variants("centres")


def test_short_words_are_not_stemmed():
    # "has" → "ha" found a JMdict gloss (はあ) in an early version.
    assert variants("has") == ["has"]
    assert variants("bus") == ["bus"]


TABLE = {
    "submarine cable": [("海底ケーブル", ("海底", "ケーブル"))],
    "submarine": [("潜水艦", ("潜水", "艦"))],
    "cable": [("ケーブル", ("ケーブル",))],
    "plan": [("計画", ("計画",)), ("プラン", ("プラン",))],
    "as of": [("現在", ("現在",))],
    "member": [("会員", ("会員",))],
}


def test_translate_prefers_the_longest_gloss_and_skips_function_words_and_numbers():
    terms = translate("What were the submarine cable plans as of 2023?", TABLE)
    assert [t.english for t in terms] == ["submarine cable", "plan"]
    assert terms[0].japanese == ("海底ケーブル",)
    assert terms[1].spellings == (("計画", ("計画",)), ("プラン", ("プラン",)))


def test_a_word_takes_the_spellings_of_its_base_forms_too():
    table = TABLE | {"members": [("構成員", ("構成", "員"))]}
    (term,) = translate("How many members?", table)
    assert term.english == "members" and term.japanese == ("構成員", "会員")


def test_question_phrases_are_not_terms():
    table = TABLE | {"how many": [("幾つ", ("幾つ",))], "what kind of": [("どんな", ("どんな",))]}
    assert [t.english for t in translate("How many members, and what kind of plan?", table)] == ["member", "plan"]


def test_translate_finds_plurals_and_nothing_in_an_empty_table():
    assert [t.english for t in translate("How many members?", TABLE)] == ["member"]
    assert translate("How many members?", {}) == []
    assert translate("", TABLE) == []


def test_restrict_keeps_only_spellings_whose_words_the_index_holds():
    kept = restrict(TABLE, vocabulary={"海底", "ケーブル", "計画"})
    assert kept == {
        "submarine cable": [("海底ケーブル", ("海底", "ケーブル"))],
        "cable": [("ケーブル", ("ケーブル",))],
        "plan": [("計画", ("計画",))],
    }


def test_table_file_round_trip(tmp_path):
    path = tmp_path / "g.tsv"
    write_table(TABLE, path, "test source")
    assert table_source(path) == "test source"
    assert load_table(path) == TABLE


@pytest.fixture(scope="module")
def shipped():
    return load_table(GLOSSARY_PATH)


def test_shipped_table_names_its_source(shipped):
    src = table_source()
    assert "JMdict 1.08" in src and "CC BY-SA 4.0" in src
    assert len(shipped) > 150_000


# Pinned to JMdict 1.08 and unidic-lite 1.0.8: the spelling and its words.
@pytest.mark.parametrize(
    "gloss, spelling, split",
    [
        ("submarine cable", "海底ケーブル", ("海底", "ケーブル")),
        ("telemedicine", "遠隔医療", ("遠隔", "医療")),
        ("multilateral", "多国間", ("多国", "間")),
        ("india", "インド", ("インド",)),
        ("indian ocean", "インド洋", ("インド", "洋")),
        ("cybersecurity", "サイバーセキュリティ", ("サイバー", "セキュリティ")),
        ("standardization", "標準化", ("標準", "化")),
        ("broadcast program", "放送番組", ("放送", "番組")),
        ("economic partnership agreement", "経済連携協定", ("経済", "連携", "協定")),
    ],
)
def test_shipped_rows(shipped, gloss, spelling, split):
    assert (spelling, split) in shipped[gloss]


def test_shipped_rows_leave_out_grammar_and_fragments(shipped):
    spellings = {s for row in shipped.values() for s, _ in row}
    assert "から" not in spellings  # hiragana-only: grammar, not a topic
    assert "国" not in spellings  # one character: in almost every passage
    # A spelling the tagger splits into less than two thirds of its characters
    # would match every passage holding the fragment.
    assert all(len("".join(ws)) * 3 >= len(normalize(s)) * 2 for row in shipped.values() for s, ws in row)


def test_shipped_splits_match_the_tagger_in_use(shipped):
    # The words were stored so that a build never runs the tagger over the
    # table; they must be what lexical.words gives today, or a spelling would
    # never match the index.  A sample keeps this test fast.
    rows = list(itertools.islice(read_table(), 0, None, 400))
    for _, spellings in rows:
        for s, ws in spellings:
            assert tuple(words(s)) == ws, s


def test_acronyms_are_looked_up_too():
    table = TABLE | {"tv": [("テレビ", ("テレビ",))]}
    assert [t.english for t in translate("Which TV standard?", table)] == ["tv"]
    assert [t.english for t in translate("Japan’s submarine cable", table)] == ["submarine cable"]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What is DFFT?", False),  # one acronym: nothing to translate
        ("Which submarine cable projects?", True),
        ("telemedicine?", True),
        ("How many members does デジタル海外展開プラットフォーム have?", True),
        ("異能vationプログラムの応募件数は？", False),
        ("AI教材「atama＋」は何教室に提供されているか", False),
        ("Open RANの国際展開", False),
        ("海底ケーブルの敷設", False),
    ],
)
def test_has_english(question, expected):
    from ictqa.glossary import has_english

    assert has_english(question) is expected
