"""Tokens and normalisation, pinned to unidic-lite 1.0.8: a dictionary update
may change how words are cut, and then these tables must be looked at again."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from ictqa.lexical import normalize, sentence_spans, words


def test_dictionary_is_the_pinned_one():
    assert version("unidic-lite") == "1.0.8"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("２０２３年に５Ｇを推進", "2023年に5gを推進"),  # full-width digits and Latin
        ("ｲﾝﾌﾗｼｽﾃﾑ", "インフラシステム"),  # half-width katakana
        ("日本　ASEAN　協力", "日本 asean 協力"),  # ideographic spaces
        ("  Open \n RAN  ", "open ran"),  # whitespace collapsed, Latin lower-cased
        ("ＩＴＵ－Ｔ", "itu-t"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("２０２３年に５Ｇを推進", ["2023", "年", "5", "g", "推進", "5g"]),
        ("ｲﾝﾌﾗｼｽﾃﾑ海外展開", ["インフラ", "システム", "海外", "展開"]),
        ("日本　ASEAN　サイバー", ["日本", "asean", "サイバー"]),
        ("Open RANの普及", ["open", "ran", "普及"]),
        # unidic cuts names at hyphens and digits; the whole name is added so an
        # English question that writes it whole still matches.
        ("ITU-T SG17", ["itu", "t", "sg", "17", "itu-t", "sg17"]),
        ("G7デジタル・技術大臣会合", ["g", "7", "デジタル", "技術", "大臣", "会合", "g7"]),
        ("DFFTの具体化", ["dfft", "具体", "化"]),
        # English function words carry nothing a Japanese passage could share.
        ("How does Japan promote Open RAN?", ["promote", "open", "ran"]),
        ("", []),
        ("。、！？", []),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


def test_full_and_half_width_give_the_same_words():
    assert words("ＤＦＦＴの推進") == words("DFFTの推進")
    assert words("ﾃﾞｼﾞﾀﾙ") == words("デジタル")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("これは文です。次の文です。", ["これは文です。", "次の文です。"]),
        ("「引用です。」と述べた。", ["「引用です。」", "と述べた。"]),
        ("終わりのない文", ["終わりのない文"]),
        ("Japan leads. It works with ASEAN.", ["Japan leads.", "It works with ASEAN."]),
        ("1. We affirm the U.S. Government position.", ["1. We affirm the U.S. Government position."]),
        ("ver.2.0を公開した。", ["ver.2.0を公開した。"]),  # no cut inside a version number
        ("  空白。  ", ["空白。"]),
    ],
)
def test_sentence_spans(text, expected):
    assert [text[a:b] for a, b in sentence_spans(text)] == expected
