"""Tests for the structure parser (ictqa.structure, ictqa.reflow).

Three kinds of input:

* small hand-made fixtures (tests/data/structure/pdf_mini.txt, web_mini.txt
  and inline strings), one trap per line, so a failure names the trap;
* the seed corpus file (令和5年版 第5章第8節, PDF-extracted), whose heading
  tree must come out exactly as tests/data/structure/seed_tree.txt;
* the whole MIC web-text editions under shared/ (skipped when absent).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from ictqa.documents import BOX, CHAPTER, ITEM, KANA, PART, SECTION, SUBITEM, SUBKANA, Block, Heading, Section
from ictqa.ingest.detect import detect_dialect
from ictqa.parse import format_tree, infer_chapter_number, parse_sections
from ictqa.parse.pdf_text import _undouble
from ictqa.parse.reflow import Fragment, join_groups, join_verbatim, reflow

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "structure"
SEED = HERE.parent / "corpus" / "000_589c5af6fc00dccb.txt"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _assert_offsets(text: str, block: Block) -> None:
    """Every character of the block is the character at its source offset."""
    for i, ch in enumerate(block.text):
        assert text[block.source_offset(i)] == ch, (i, block.text[max(0, i - 10) : i + 10])


def _blocks(sections: list[Section], kind: str | None = None) -> list[Block]:
    return [b for s in sections for b in s.blocks if kind is None or b.kind == kind]


def _section(sections: list[Section], *titles: str) -> Section:
    """The section whose path ends with headings of these titles."""
    for s in sections:
        if tuple(h.title for h in s.path[-len(titles) :]) == titles:
            return s
    raise AssertionError(f"no section {titles}")


def _texts(section: Section, kind: str) -> list[str]:
    return [b.text for b in section.blocks if b.kind == kind]


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip("seed corpus file absent")
    return _read(SEED)


@pytest.fixture(scope="module")
def seed(seed_text: str) -> list[Section]:
    return parse_sections(seed_text, detect_dialect(seed_text))


@pytest.fixture(scope="module")
def pdf_mini() -> tuple[str, list[Section]]:
    text = _read(DATA / "pdf_mini.txt")
    return text, parse_sections(text, detect_dialect(text))


@pytest.fixture(scope="module")
def web_mini() -> tuple[str, list[Section]]:
    text = _read(DATA / "web_mini.txt")
    return text, parse_sections(text, detect_dialect(text))


# --------------------------------------------------------------------------
# reflow: join rules and the offset mapping
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["案\n", "件発掘\n"], "案件発掘"),  # Japanese joins with nothing
        (["注目される「Open \n", "RAN」や\n"], "注目される「Open RAN」や"),  # Latin keeps the source space
        (["for Trans-Pacific \n", "Partnership）\n"], "for Trans-Pacific Partnership）"),
        (["（2022年\n", "\n", "（令和4年）10月\n"], "（2022年（令和4年）10月"),  # blank line inside a sentence
        ([" 次 期 研 究 会 期 に お け る 課 題\n"], "次期研究会期における課題"),  # justification spaces
        (["Economic\u3000\n", "Partnership\n"], "Economic\u3000Partnership"),  # a real ideographic space stays
        (["https://www.example.go.jp/a\n", "b.pdf\n"], "https://www.example.go.jp/ab.pdf"),  # no space to keep
        (["デジタル接\n", "\n", " 続性の確保\n"], "デジタル接続性の確保"),
    ],
)
def test_reflow_join_rules(lines: list[str], expected: str) -> None:
    source = "".join(lines)
    frags, pos = [], 0
    for line in lines:
        frags.append(Fragment(pos, line))
        pos += len(line)
    text, spans = reflow(frags)
    assert text == expected
    block = Block("text", text, spans)
    _assert_offsets(source, block)


def test_reflow_spaced_label_keeps_its_space() -> None:
    source = "図表5-8-2-1 デジタル海外展開\n"
    text, _ = reflow([Fragment(0, source[:10]), Fragment(10, source[10:], spaced=True)])
    assert text == "図表5-8-2-1 デジタル海外展開"
    # without the flag the space between a digit and kana is layout and goes
    assert reflow([Fragment(0, source)])[0] == "図表5-8-2-1デジタル海外展開"


def test_join_groups_uses_the_source_newline() -> None:
    source = "デ\nジ\n\nG7香川・高松\n情報通信大臣会合\n"
    lines = (
        [Fragment(0, "デ\n"), Fragment(2, "ジ\n")],
        [Fragment(5, "G7香川・高松\n"), Fragment(13, "情報通信大臣会合\n")],
    )
    text, spans = join_groups(lines)
    assert text == "デジ\nG7香川・高松情報通信大臣会合"
    _assert_offsets(source, Block("figure", text, spans))


def test_join_verbatim_keeps_inner_spaces() -> None:
    source = "図表1-1-1-1\u3000テスト  \n（出典）総務省作成\n"
    text, spans = join_verbatim(source, [Fragment(0, source[:14]), Fragment(15, source[15:])])
    assert text == "図表1-1-1-1\u3000テスト\n（出典）総務省作成"
    _assert_offsets(source, Block("figure", text, spans))


# --------------------------------------------------------------------------
# Heading values (the documents.py additions)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "text"),
    [
        (Heading(PART, "1", "特集"), "第1部 特集"),
        (Heading(CHAPTER, "5", "総務省におけるICT政策の取組状況"), "第5章 総務省におけるICT政策の取組状況"),
        (Heading(CHAPTER, "0", "白書刊行当初と現在の環境の変化"), "序章 白書刊行当初と現在の環境の変化"),
        (Heading(CHAPTER, "", "はじめに"), "はじめに"),
        (Heading(SECTION, "8", "ICT国際戦略の推進"), "第8節 ICT国際戦略の推進"),
        (Heading(ITEM, "1", "概要"), "1 概要"),
        (Heading(SUBITEM, "1", "これまでの取組"), "（1）これまでの取組"),  # （1） kept as printed (issue 14)
        (Heading(SUBITEM, "3", "我が国の経済成長への寄与", printed="(3)"), "(3)我が国の経済成長への寄与"),
        (Heading(KANA, "1", "情報通信メディアの重要度", printed="1)"), "1)情報通信メディアの重要度"),
        (Heading(SECTION, "補論", "中国の事例", printed="補論"), "補論 中国の事例"),
        (Heading(CHAPTER, "1", "", inferred=True), "第1章"),
        (Heading(SECTION, "0", "", inferred=True, printed="序節"), "序節"),
        (Heading(KANA, "ア", "基幹通信インフラ"), "ア 基幹通信インフラ"),
        (Heading(SUBKANA, "ア", "消防分野"), "（ア）消防分野"),
        (
            Heading(BOX, "政策フォーカス", "G7群馬高崎デジタル・技術大臣会合"),
            "政策フォーカス「G7群馬高崎デジタル・技術大臣会合」",
        ),
        (
            Heading(BOX, "コラム1", "自由で開かれたインターネットの維持・推進"),
            "コラム1「自由で開かれたインターネットの維持・推進」",
        ),
    ],
)
def test_heading_text(heading: Heading, text: str) -> None:
    assert heading.text == text


# --------------------------------------------------------------------------
# PDF text: each trap on a hand-made fixture
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("第第88節 ICT国際戦略の推進節 ICT国際戦略の推進", "第8節 ICT国際戦略の推進"),
        (
            "第第55章 総務省におけるICT政策の取組状況章 総務省におけるICT政策の取組状況",
            "第5章 総務省におけるICT政策の取組状況",
        ),
        ("第第1100節 郵政行政の推進節 郵政行政の推進", "第10節 郵政行政の推進"),
        ("第第88節節  IICCTT", "第8節 ICT"),  # doubled throughout
        ("第8節 ICT国際戦略の推進", "第8節 ICT国際戦略の推進"),  # not doubled: unchanged
        ("ICTの発展・普及", "ICTの発展・普及"),
    ],
)
def test_undouble(line: str, expected: str) -> None:
    assert _undouble(line) == expected


def test_pdf_mini_tree(pdf_mini: tuple[str, list[Section]]) -> None:
    _, sections = pdf_mini
    assert format_tree(sections).split("\n") == (
        [
            "第3節 テスト政策の推進",  # the doubled title line, once
            "  1 概要",
            "    （1）これまでの取組",
            "    （2）今後の課題と方向性",
            "  2 海外展開",
            "    ア 基幹通信インフラ",
            "      （ア）消防分野",
            "      （イ）郵便分野",
            "    イ デジタル技術の利活用モデル",
        ]
    )


def test_pdf_mini_offsets(pdf_mini: tuple[str, list[Section]]) -> None:
    text, sections = pdf_mini
    for block in _blocks(sections):
        _assert_offsets(text, block)


def test_pdf_running_heads_leave_no_trace(pdf_mini: tuple[str, list[Section]]) -> None:
    _, sections = pdf_mini
    everything = "\n".join(b.text for b in _blocks(sections))
    assert "テスト政策の推進" not in everything  # the page head (and the title) are not text
    assert "総務省におけるICT政策の取組状況" not in everything  # the 章 head, known by no name
    para = _texts(_section(sections, "これまでの取組"), "text")[0]
    # ...and the paragraph they interrupted runs on across them
    assert "100を超える会員が参加し、データベースによる情報共有を進めている＊1。" in para


def test_pdf_reflow_in_paragraphs(pdf_mini: tuple[str, list[Section]]) -> None:
    _, sections = pdf_mini
    para = _texts(_section(sections, "これまでの取組"), "text")[0]
    assert "「Open RAN」の実証" in para
    # a line that starts with digits is not a heading, and the blank line
    # inside the sentence is not a paragraph end
    assert "2022年（令和4年）10月に商用通信サービスを開始した。" in para
    later = _texts(_section(sections, "今後の課題と方向性"), "text")
    assert len(later) == 1
    assert "2022年（令和4年）6月に策定された計画" in later[0]
    assert "次期研究会期における課題" in later[0]
    # the sentence goes on over a footnote and a page head
    assert "「責任あるAI」の開発を進めている。" in later[0]


def test_pdf_out_of_sequence_number_is_text(pdf_mini: tuple[str, list[Section]]) -> None:
    _, sections = pdf_mini
    assert all(h.title != "順番に合わない見出し" for s in sections for h in s.path)
    assert any("順番に合わない見出し" in t for t in _texts(_section(sections, "郵便分野"), "text"))


def test_pdf_figure_is_kept_apart(pdf_mini: tuple[str, list[Section]]) -> None:
    _, sections = pdf_mini
    section = _section(sections, "今後の課題と方向性")
    (figure,) = [b for b in section.blocks if b.kind == "figure"]
    assert figure.figure == "図表5-3-1-1"
    # one character a line joins up; "2016" and "0" are figure labels, not headings
    assert figure.text == "図表5-3-1-1 テストの具体的な事例\nデジタル\n2016\n0\nG7香川・高松情報通信大臣会合"
    assert all("デジタル" not in t for t in _texts(section, "text"))


def test_pdf_footnotes(pdf_mini: tuple[str, list[Section]]) -> None:
    _, sections = pdf_mini
    # printed at the foot of the page under 2, its marker ＊1 is under 1
    assert _texts(_section(sections, "これまでの取組"), "footnote") == ["＊1 https://www.example.go.jp/a.pdf"]
    assert _texts(_section(sections, "今後の課題と方向性"), "footnote") == []
    # a footnote that runs over a line break (and a blank line) is one block
    (note,) = _texts(_section(sections, "消防分野"), "footnote")
    assert note.startswith("＊2 当初は")
    assert "中南米、欧州" in note and note.endswith("拡大している。")


# --------------------------------------------------------------------------
# PDF text: the seed file
# --------------------------------------------------------------------------


def test_seed_tree_is_exact(seed: list[Section]) -> None:
    assert format_tree(seed) + "\n" == _read(DATA / "seed_tree.txt")


def test_seed_levels(seed: list[Section]) -> None:
    levels = Counter(s.path[-1].level for s in seed)
    assert levels == {SECTION: 1, ITEM: 6, SUBITEM: 24, KANA: 21, SUBKANA: 6}
    assert seed[0].path == (Heading(SECTION, "8", "ICT国際戦略の推進"),)


def test_seed_offsets(seed_text: str, seed: list[Section]) -> None:
    for block in _blocks(seed):
        _assert_offsets(seed_text, block)


def test_seed_running_heads_and_title(seed: list[Section]) -> None:
    everything = "\n".join(b.text for b in _blocks(seed))
    for head in ("ICT 国際戦略の推進", "ICT国際戦略の推進", "総務省におけるICT政策の取組状況"):
        assert head not in everything
    assert "第第" not in everything
    intro = _texts(_section(seed, "デジタルインフラなどの海外展開"), "text")
    assert intro == [
        (
            "社会・経済のデジタル化が進む中で通信インフラ・サービスへのニーズが世界的に増大していることを踏まえ、"
            "総務省では、我が国のデジタル産業の国際競争力強化及びデジタル技術を活用した世界的な課題解決の推進を目的に、"
            "デジタルインフラなどの海外展開支援などを推進している。"
        )
    ]


@pytest.mark.parametrize(
    "needle",
    [
        "注目される「Open RAN」やそれを活用したシステム",
        "2022年（令和4年）10月に商用通信サービスを開始した。",  # "10月に…" begins a line
        "次回は2024年（令和6年）10月から12月の間に開催される予定",  # "年）10月から…" begins a line
        "JICTを通じてインドにおけるデータセンターの整備・運営事業（2022年（令和4年）10月に最大86百万米ドル",
        "「責任あるAI」の開発・利用を実現するため",  # runs over footnote ＊8
        "インド太平洋地域のデジタル接続性の確保・向上を目指す",  # runs over footnote ＊12
        "「第13回インターネットエコノミーに関する日米政策協力対話に係る共同声明」を公表＊11した。",  # over ＊9, ＊10 and a page head
        "環太平洋パートナーシップに関する包括的及び先進的な協定（TPP11：Comprehensive and Progressive Agreement for Trans-Pacific Partnership）",
    ],
)
def test_seed_paragraphs_reflow(seed: list[Section], needle: str) -> None:
    assert any(needle in b.text for b in _blocks(seed, "text"))


def test_seed_digit_lines_are_not_headings(seed: list[Section]) -> None:
    numbers = [h.number for s in seed for h in s.path if h.level in (ITEM, SUBITEM)]
    assert set(numbers) <= {str(n) for n in range(1, 11)}
    titles = {h.title for s in seed for h in s.path}
    assert not any(t.startswith(("月に", "年）", "2016", "0")) for t in titles)


def test_seed_figures(seed: list[Section]) -> None:
    figures = _blocks(seed, "figure")
    assert [b.figure for b in figures] == [
        "図表5-8-2-1",
        "図表5-8-2-2",
        "図表5-8-2-3",
        "図表5-8-5-1",
        "図表5-8-5-2",
        "図表5-8-6-1",
    ]
    by_id = {b.figure: b for b in figures}
    assert by_id["図表5-8-2-1"].text == "図表5-8-2-1 デジタル海外展開プラットフォーム"
    assert "デジタルインフラ\nデジタルの利活用" in by_id["図表5-8-2-3"].text  # one character a line, joined
    assert "\n2016" in by_id["図表5-8-5-1"].text and "\n0\n" in by_id["図表5-8-5-1"].text
    assert by_id["図表5-8-5-1"].text.endswith("eSafety")
    # figure labels are not in the prose (the prose only cites the figure)
    prose = "\n".join(b.text for b in _blocks(seed, "text"))
    for label in (
        "【G7での議論の流れ】",
        "デジタル連結世界憲章",
        "電気通信標準化局長（",
        "GDCPのコンセプト",
        "具体的な事例",
    ):
        assert label not in prose
    # each figure sits in the section that prints it
    assert _section(seed, "G7・G20").blocks[-2].figure == "図表5-8-5-1"


@pytest.mark.parametrize(
    ("number", "section_titles"),
    [
        ("1", ("サイバーセキュリティに関する二国間・多国間対話",)),
        ("2", ("戦略的国際標準化の推進",)),
        ("3", ("戦略的国際標準化の推進",)),
        ("4", ("G7・G20",)),  # printed under (2) APEC, marker under (1)
        ("5", ("サイバーセキュリティ分野における協力体制の強化",)),
        ("6", ("ITU-Dにおける取組",)),
        ("7", ("ITU-Dにおける取組",)),
        ("8", ("経済協力開発機構（OECD）",)),  # printed inside the GPAI paragraph
        ("9", ("米国との政策協力",)),
        ("10", ("米国との政策協力",)),
        ("11", ("米国との政策協力",)),
        ("12", ("フランス",)),  # printed under ウ オーストラリア
    ],
)
def test_seed_footnotes_attach_to_their_marker(seed: list[Section], number: str, section_titles: tuple[str, ...]) -> None:
    section = _section(seed, *section_titles)
    notes = [t for t in _texts(section, "footnote") if t.split(" ")[0] == f"＊{number}"]
    assert len(notes) == 1
    assert len([b for b in _blocks(seed, "footnote") if b.text.split(" ")[0] == f"＊{number}"]) == 1


def test_seed_footnote_text_is_whole(seed: list[Section]) -> None:
    notes = {b.text.split(" ")[0]: b.text for b in _blocks(seed, "footnote")}
    assert len(notes) == 12
    assert notes["＊4"].endswith("政策フォーカス「G7群馬高崎デジタル・技術大臣会合」を参照。")
    assert "アジア太平洋島しょ国、中南米、欧州と全世界" in notes["＊7"]
    assert notes["＊2"] == (
        "＊2 国際電気通信連合（ITU：International\tTelecommunication\tUnion）などの公的な国際標準化機関によって策定された標準"
    )
    prose = "\n".join(b.text for b in _blocks(seed, "text"))
    assert "https://" not in prose and "国際標準化機関によって策定された標準" not in prose


def test_seed_list_items_are_paragraphs(seed: list[Section]) -> None:
    texts = _texts(_section(seed, "国際電気通信連合（ITU）"), "text")
    assert texts[1].startswith("①") and texts[1].endswith("Sector）")
    assert texts[3].startswith("③")
    assert texts[4].startswith("2022年（令和4年）9月に全権委員会議")


def test_seed_style_and_chapter(seed_text: str, seed: list[Section]) -> None:
    assert detect_dialect(seed_text) == "pdf"
    assert infer_chapter_number(seed) == "5"
    assert parse_sections(seed_text, "pdf") == seed


# --------------------------------------------------------------------------
# Web text: each trap on a hand-made fixture
# --------------------------------------------------------------------------


def test_web_mini_tree(web_mini: tuple[str, list[Section]]) -> None:
    _, sections = web_mini
    assert format_tree(sections).split("\n") == (
        [
            "第1部 特集\u3000テスト",  # 部 comes from the 図表索引
            "  第1章 テストの章",
            "    第1節 最初の節",  # glued after 。
            "      1 概要",
            "        （1）これまでの取組",
            "        （2）今後の課題と方向性",  # glued after a footnote's URL
            "      2 海外展開",
            "        ア 基幹通信インフラ",
            "          （ア）消防分野",
            "      3 戦略的国際標準化の推進",  # glued after a footnote with no 。
            "      政策フォーカス「テストの焦点」",  # title on the next line
            "        1 焦点の概要",  # the box numbers on its own
            "    第2節 次の節",  # glued: closes the box; the repeated line is dropped
            "      1 概要",
        ]
    )


def test_web_mini_offsets(web_mini: tuple[str, list[Section]]) -> None:
    text, sections = web_mini
    for block in _blocks(sections):
        _assert_offsets(text, block)


def test_web_mini_blocks(web_mini: tuple[str, list[Section]]) -> None:
    _, sections = web_mini
    first = _section(sections, "これまでの取組")
    assert _texts(first, "text") == ["総務省では、Open RANの実証に取り組んできた 1 。"]
    assert _texts(first, "footnote") == ["1\u3000https://www.example.go.jp/a.pdf"]
    second = _section(sections, "今後の課題と方向性")
    (figure,) = [b for b in second.blocks if b.kind == "figure"]
    assert (figure.figure, figure.text) == ("図表1-1-1-1", "図表1-1-1-1\u3000テストの図\n（出典）総務省作成")
    # a paragraph that begins with digits, with a heading glued to its end
    assert _texts(second, "text")[-1] == "4年）6月に策定された計画に基づき、取組を進めている。"
    # "2　国際…標準" looks like a heading but is footnote 2 (marker " 2 "), and
    # the heading glued to it is the next ITEM
    fire = _section(sections, "消防分野")
    assert _texts(fire, "footnote") == ["2\u3000国際電気通信連合などの公的な国際標準化機関によって策定された標準"]


def test_web_mini_navigation_and_back_matter(web_mini: tuple[str, list[Section]]) -> None:
    _, sections = web_mini
    everything = "\n".join(b.text for b in _blocks(sections))
    for junk in ("PDFファイル", "トップページへ戻る", "Copyright", "操作方法"):
        assert junk not in everything
    assert _texts(_section(sections, "戦略的国際標準化の推進"), "text") == ["国際標準化活動を戦略的に推進している。"]
    back = sections[-1]
    assert back.path == ()
    assert back.blocks[0].text.startswith("データ1\u3000日本の産業別")
    assert "1-1-1-1\u3000テストの図" not in [b.text for b in back.blocks]  # the figure index is left out
    assert back.blocks[-1].text == "総務省（2023）「テスト」"
    assert _texts(_section(sections, "次の節", "概要"), "text") == ["次の節の本文である。"]


def test_web_box_path(web_mini: tuple[str, list[Section]]) -> None:
    _, sections = web_mini
    inner = _section(sections, "テストの焦点", "焦点の概要")
    assert [h.level for h in inner.path] == [PART, CHAPTER, SECTION, BOX, ITEM]
    assert inner.heading(BOX) == Heading(BOX, "政策フォーカス", "テストの焦点")
    assert inner.heading(SECTION).number == "1"


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # 序章 is chapter "0"; its figures are 図表0-…
        (
            "序章\u3000白書刊行当初と現在の環境の変化\n序章では、変化を紹介する。第1節\u3000ICTの高度化\n本文である。\n",
            "序章 白書刊行当初と現在の環境の変化\n  第1節 ICTの高度化",
        ),
        # はじめに opens some editions, unnumbered
        (
            "はじめに\n1\u3000デジタル経済\n（1）ICTにより、新しい仕組みが生まれている\n本文。\n",
            "はじめに\n  1 デジタル経済\n    （1）ICTにより、新しい仕組みが生まれている",
        ),
        # r01 writes （1） with no space; a sentence that starts with （1） is not a heading
        (
            "第1節\u3000節\n1\u3000項\n（1）アのアンケート結果から、特徴を抽出した。\n（1）見出し\n",
            "第1節 節\n  1 項\n    （1）見出し",
        ),
        # a 節 missing from the web text (r02 第4章) does not stop the next one
        (
            "第4章\u3000章\n1\u3000項\n本文。第2節\u3000後の節\n1\u3000項\n",
            "第4章 章\n  1 項\n  第2節 後の節\n    1 項",
        ),
        # a reference to a 章 with an ASCII space is not a heading
        ("第1章\u3000章\n第1章 から 第4章 を特集部として述べている\n", "第1章 章"),
        # a column box whose title is on the marker line
        (
            "第1節\u3000節\n本文。\nコラムCOLUMN\u30003\u3000人工知能のもたらすチャンス\n1\u3000はじめに\n本文。\n",
            "第1節 節\n  コラム3「人工知能のもたらすチャンス」\n    1 はじめに",
        ),
        # a footnote marker inside a heading is not part of its title
        (
            "第5節\u3000節\n1\u3000項\n2\u3000項二\n3\u3000項三\n4\u3000半導体 15 市場の動向\n",
            "第5節 節\n  1 項\n  2 項二\n  3 項三\n  4 半導体市場の動向",
        ),
    ],
)
def test_web_small_cases(text: str, tree: str) -> None:
    sections = parse_sections(text, "web")
    assert format_tree(sections) == tree
    for block in _blocks(sections):
        _assert_offsets(text, block)


def test_web_footnote_goes_to_the_heading_with_its_marker() -> None:
    text = (
        "第1節\u3000節\n1\u3000項\nア\u3000前\n前の本文 5 である。\nイ\u3000後\n後の本文である。\n"
        "5\u3000AJCCBC：https://www.ajccbc.org/index.html2\u3000次の項\n"
    )
    sections = parse_sections(text, detect_dialect(text))
    assert _texts(_section(sections, "前"), "footnote") == ["5\u3000AJCCBC：https://www.ajccbc.org/index.html"]
    assert _texts(_section(sections, "後"), "footnote") == []
    assert sections[-1].path[-1] == Heading(ITEM, "2", "次の項")


@pytest.mark.parametrize(
    ("name", "style"),
    [("pdf_mini.txt", "pdf"), ("web_mini.txt", "web")],
)
def test_detect_dialect(name: str, style: str) -> None:
    assert detect_dialect(_read(DATA / name)) == style


def test_infer_chapter_number_without_figures() -> None:
    assert infer_chapter_number([Section((Heading(SECTION, "1", "x"),), ())]) is None
    assert infer_chapter_number([]) is None


def test_format_tree_skips_unheaded_and_empty() -> None:
    assert format_tree([]) == ""
    assert format_tree([Section(())]) == ""


def test_parse_is_pure(seed_text: str) -> None:
    assert parse_sections(seed_text, detect_dialect(seed_text)) == parse_sections(seed_text, detect_dialect(seed_text))


# --------------------------------------------------------------------------
# Whole web-text editions (shared/)
# --------------------------------------------------------------------------

# (parts, chapters incl. 序章/はじめに, sections, sections per 章), read
# without the page lists (text alone).  Checked by hand against the text:
# r02's web text lacks the heading of 第4章第1節 (its first page starts at
# "1　データ主導型…"; with the page list it is inferred), r03's 第3章 and
# 序章 have no 節 but each has a 補論 at the 節 level, as 第2章 has after its
# 第4節 (the golden tree, tests/data/structure/editions/r03_2021.golden.txt),
# r05's 図表索引 names no 部, so r05 has none without its page list.
EDITIONS = {
    "r01_2019": (2, 5, 22, {"1": 4, "2": 4, "3": 4, "4": 10}),
    "r02_2020": (2, 6, 27, {"1": 4, "2": 4, "3": 4, "4": 1, "5": 4, "6": 10}),
    "r03_2021": (2, 6, 24, {"0": 1, "1": 3, "2": 5, "3": 1, "4": 4, "5": 10}),
    "r04_2022": (2, 5, 27, {"0": 2, "1": 5, "2": 2, "3": 9, "4": 9}),
    "r05_2023": (0, 5, 28, {"1": 2, "2": 3, "3": 2, "4": 12, "5": 9}),
}


@pytest.fixture(scope="module")
def editions(full_editions: Path) -> dict[str, tuple[str, list[Section]]]:
    out = {}
    for name in EDITIONS:
        text = _read(full_editions / f"{name}.txt")
        out[name] = (text, parse_sections(text, detect_dialect(text)))
    return out


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(EDITIONS))
def test_edition_counts(editions: dict[str, tuple[str, list[Section]]], name: str) -> None:
    text, sections = editions[name]
    parts, chapters, n_sections, per_chapter = EDITIONS[name]
    assert detect_dialect(text) == "web"
    last = Counter(s.path[-1].level for s in sections if s.path)
    assert (last[PART], last[CHAPTER], last[SECTION]) == (parts, chapters, n_sections)
    got = Counter(s.heading(CHAPTER).number for s in sections if s.path and s.path[-1].level == SECTION)
    assert dict(got) == per_chapter


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(EDITIONS))
def test_edition_offsets_sampled(editions: dict[str, tuple[str, list[Section]]], name: str) -> None:
    text, sections = editions[name]
    blocks = _blocks(sections)
    for block in random.Random(name).sample(blocks, 200):
        _assert_offsets(text, block)


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(EDITIONS))
def test_edition_paths_are_well_formed(editions: dict[str, tuple[str, list[Section]]], name: str) -> None:
    """Every path nests (部 › 章 › 節 › [box] › 1 › (1) › ア › (ア)), and
    siblings follow the numbering, so no footnote became a heading."""
    _, sections = editions[name]
    order = {PART: 1, CHAPTER: 2, SECTION: 3, BOX: 3.5, ITEM: 4, SUBITEM: 5, KANA: 6, SUBKANA: 7}
    for s in sections:
        ranks = [order[h.level] for h in s.path]
        assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks), [h.text for h in s.path]
        assert all("http" not in h.title and "。" not in h.title for h in s.path)


@pytest.mark.shared
def test_r05_matches_index(editions: dict[str, tuple[str, list[Section]]], full_editions: Path) -> None:
    index_path = full_editions.parent / "r05_sections" / "index.json"
    if not index_path.exists():
        pytest.skip("r05_sections/index.json absent")
    index = json.loads(index_path.read_text(encoding="utf-8"))
    expected = [e["heading"].replace("\u3000", " ") for e in index if e["chapter"] is not None]
    _, sections = editions["r05_2023"]
    got = [s.path[-1].text for s in sections if s.path and s.path[-1].level in (CHAPTER, SECTION)]
    assert got == expected


@pytest.mark.shared
def test_r05_web_tree_matches_seed(editions: dict[str, tuple[str, list[Section]]]) -> None:
    """The web text of 第5章第8節 has the seed PDF's tree, plus the
    政策フォーカス box the web edition places at the end of the 節 (the PDF
    prints it elsewhere)."""
    _, sections = editions["r05_2023"]
    node = [s for s in sections if s.heading(CHAPTER) and s.heading(CHAPTER).number == "5"]
    node = [s for s in node if s.heading(SECTION) and s.heading(SECTION).number == "8"]
    outline = [s for s in node if all(h.level != BOX for h in s.path)]
    boxes = [s for s in node if any(h.level == BOX for h in s.path)]
    assert format_tree(outline) + "\n" == _read(DATA / "seed_tree.txt")
    assert boxes[0].path[-1] == Heading(BOX, "政策フォーカス", "G7群馬高崎デジタル・技術大臣会合")
    assert [s.path[-1].text for s in boxes[1:]] == [
        "1 G7群馬高崎デジタル・技術大臣会合の概要",
        "2 G7群馬高崎デジタル・技術大臣会合の結果",
        "（1）これまでの議論の経緯",
        "（2）G7群馬高崎デジタル・技術大臣会合の結果概要",
    ]
    # the same footnote lands in the same place as in the PDF
    fn = _section(node, "東南アジア諸国連合（ASEAN）", "サイバーセキュリティ分野における協力体制の強化")
    assert _texts(fn, "footnote") == ["5\u3000AJCCBC：https://www.ajccbc.org/index.html"]


@pytest.mark.shared
def test_r01_box_and_repeated_section(editions: dict[str, tuple[str, list[Section]]]) -> None:
    _, sections = editions["r01_2019"]
    titles = [s.path[-1].text for s in sections if s.path]
    assert titles.count("第2節 電気通信事業政策の展開") == 1  # repeated at a page top in the web text
    boxes = [t for t in titles if t.startswith(("コラム", "政策フォーカス"))]
    assert len(boxes) == 13
    assert any(b.startswith("コラム3「人工知能（AI）のもたらす新たなチャンスとリスク") for b in boxes)  # a long title
