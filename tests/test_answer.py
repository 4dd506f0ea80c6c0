"""The answer span (issue #16), without a model: what a question asks for,
which sentence and which span of a passage answer it, where an English
question's terms stand in a Japanese passage, and the citation formats."""

from __future__ import annotations

import pytest

from ictqa.chunks import Citation
from ictqa.glossary import Term
from ictqa.lexical import sentence_spans
from ictqa.results import CITE_FORMATS, citation_address, citation_formats
from ictqa.search.answer import Cues, asks, figure_lines, locate, term_marks
from ictqa.search.query import analyse

PLATFORM = (
    "また、2021年（令和3年）2月には、総務省主導で日本のICT海外展開を支援するための官民連携の枠組である"
    "「デジタル海外展開プラットフォーム」を設立した（図表5-8-2-1）。この枠組には、2023年（令和5年）1月現在、"
    "我が国のICT企業などを中心に100を超える会員や関係省庁・機関などが参加し、データベースによる世界各国・地域"
    "（51カ国・1機関）に関する情報共有、ワークショップの開催、チーム組成や具体的プロジェクトの検討を進めている。"
)


@pytest.mark.parametrize(
    "question, types",
    [
        ("デジタル海外展開プラットフォームの会員数は？", ("quantity",)),
        ("JICTの出融資は累計いくらですか", ("quantity",)),
        ("日ASEAN特別首脳会議はいつ開催される予定ですか？", ("date",)),
        ("APTの事務局長を務めている日本人は誰ですか？", ("person",)),
        ("WTDC-22はどこの都市で開かれましたか？", ("place",)),
        ("どの告示によるものですか？", ("name",)),
        ("戦略の名前と、それが決まった日付を教えてください。", ("name", "date")),
        ("DFFTとは", ()),
        ("DFFTとは何ですか", ()),
        ("How many members had signed up to the platform?", ("quantity",)),
        ("How much did JICT commit?", ("quantity",)),
        ("When was ICANN founded?", ("date",)),
        ("Who is the Secretary-General of the APT?", ("person",)),
        ("Which leader announced the plan?", ("person",)),
        ("Where was the meeting held?", ("place",)),
        ("Which committee deals with economic matters?", ("name",)),
        ("What is DFFT?", ()),
    ],
)
def test_question_types(question, types):
    assert asks(question).types == types


def test_focus_and_units():
    a = asks("2022年に開かれた何という会合ですか")
    assert "会合" in a.focus
    assert "令和4年" in a.cues  # the other calendar's year
    assert asks("何か国が採用していますか").units[:2] == ("か国", "カ国")
    assert "members" in asks("How many members had signed up?").focus
    assert asks("第何回の会合ですか").ordinal and asks("Which round of the consultations?").ordinal
    e = asks("What did MIC sign in April 2023?")
    assert {"4月", "令和5年", "総務省"} <= set(e.cues)


def test_the_query_carries_what_the_question_asks():
    assert analyse("デジタル海外展開プラットフォームの会員数は？").asks.type == "quantity"


def _locate(question: str, text: str, terms: tuple[Term, ...] = ()):
    q = analyse(question)
    spans = sentence_spans(text)
    return locate(text, spans, [0.8] * len(spans), q.asks, Cues.of(q.words, terms, q.asks, q.text))


def test_the_readme_example_marks_the_number_of_members():
    # Issue #16: the sentence vectors picked the 設立した sentence; the
    # members are in the next one.
    found = _locate("デジタル海外展開プラットフォームの会員数は？", PLATFORM)
    assert found is not None and found.answer is not None
    assert PLATFORM[found.sentence.start : found.sentence.end].startswith("この枠組には")
    assert PLATFORM[found.answer.start : found.answer.end] == "100を超える会員"


def test_a_name_question_marks_the_quoted_name():
    found = _locate("2021年2月に総務省の主導でつくられた枠組みは何ですか？", PLATFORM)
    assert found is not None and found.answer is not None
    assert "デジタル海外展開プラットフォーム" in PLATFORM[found.answer.start : found.answer.end]
    assert found.kind == "name"


def test_a_date_question_marks_a_date_the_question_does_not_name():
    text = "日ASEAN友好協力50周年特別首脳会議は、2023年（令和5年）12月16日から18日の日程で東京での開催を予定している。"
    found = _locate("日ASEAN友好協力50周年の特別首脳会議は、いつ開催される予定ですか？", text)
    assert found is not None and found.answer is not None
    assert text[found.answer.start : found.answer.end] == "2023年（令和5年）12月16日から18日"


def test_an_english_question_finds_its_span_through_its_terms():
    member = Term("member", (("会員", ("会員",)),))
    found = _locate("Roughly how many members had signed up to the platform as of January 2023?", PLATFORM, (member,))
    assert found is not None and found.answer is not None
    assert PLATFORM[found.answer.start : found.answer.end] == "100を超える会員"


def test_a_definition_marks_a_sentence_but_no_span():
    found = _locate("DFFTとは", "DFFTは信頼性のある自由なデータ流通である。日本が提唱した。")
    assert found is not None and found.answer is None


def test_term_marks_point_at_the_japanese_words():
    text = "光海底ケーブルについては、海底 ケーブルの敷設計画を支援している。"
    terms = (Term("submarine cable", (("海底ケーブル", ("海底", "ケーブル")),)), Term("plan", (("計画", ("計画",)),)))
    marks = term_marks(text, terms)
    assert [(text[m.start : m.end], m.english) for m in marks] == [("海底ケーブル", "submarine cable"), ("計画", "plan")]


def test_figure_lines_are_the_units_of_a_figure():
    text = "図表5-8-5-1 G7/G20の経緯\nIoTの発展\n\n G7香川・高松情報通信大臣会合 \n"
    assert [text[s:e] for s, e in figure_lines(text)] == ["図表5-8-5-1 G7/G20の経緯", "IoTの発展", "G7香川・高松情報通信大臣会合"]
    # Only a line that matches is marked; none matches → no highlight.
    q = analyse("香川・高松の会合")
    lines = figure_lines(text)
    cues = Cues.of(q.words, (), q.asks, q.text)
    found = locate(text, lines, None, q.asks, cues, require_cue=True)
    assert found is not None and text[found.sentence.start : found.sentence.end] == "G7香川・高松情報通信大臣会合"
    q = analyse("J-ALERTとは")
    assert locate(text, lines, None, q.asks, Cues.of(q.words, (), q.asks, q.text), require_cue=True) is None


def _citation(**kw) -> Citation:
    base = dict(
        document="seed.txt",
        edition="令和5年版 情報通信白書",
        chapter="第5章 総務省におけるICT政策の取組状況",
        section="第8節 ICT国際戦略の推進",
        path=("2 デジタルインフラなどの海外展開", "3 分野ごとの海外展開に向けた取組", "ア 基幹通信インフラ"),
        figure=None,
        label="令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹通信インフラ",
        char_start=0,
        char_end=10,
        year=2023,
    )
    return Citation(**{**base, **kw})  # type: ignore[arg-type]


def test_citation_formats():
    c = _citation()
    f = citation_formats(c)
    assert set(f) == set(CITE_FORMATS)
    assert f["plain"] == c.label == f["link"]  # no page address known
    assert f["japanese"] == "総務省『令和5年版 情報通信白書』第5章第8節 2(3)ア, 2023年"
    assert f["markdown"] == c.label
    assert citation_address(c) == "第5章第8節 2(3)ア"


def test_citation_formats_with_a_figure_a_page_and_the_2000_edition():
    fig = _citation(
        figure="図表5-8-2-1", label="令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹通信インフラ 図表5-8-2-1 p.12", page=12
    )
    assert citation_formats(fig)["japanese"] == "総務省『令和5年版 情報通信白書』第5章第8節 2(3)ア 図表5-8-2-1, p.12, 2023年"
    # The 2000 white paper is 通信白書, published before MIC existed; the
    # title comes from the citation, never assumed.
    old = _citation(edition="平成12年版 通信白書", label="平成12年版 通信白書 第1章第1節 1 概要", path=("1 概要",), year=2000)
    assert citation_formats(old)["japanese"] == "郵政省『平成12年版 通信白書』第1章第1節 1, 2000年"
    # Markdown escapes what would become markup.
    odd = _citation(label="令和5年版 情報通信白書 第5章 [x]_y")
    assert citation_formats(odd)["markdown"] == "令和5年版 情報通信白書 第5章 \\[x\\]\\_y"
