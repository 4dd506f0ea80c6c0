"""Issue #14: one small in-repo fixture per kind of error found in the archive.

Each test is one trap, written like the edition where it was found (named in
the test), so a failure says which kind of text broke.  None needs ../shared.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ictqa.chunks import chunk_document
from ictqa.documents import BOX, CHAPTER, ITEM, KANA, SECTION, SUBITEM, Block, DocumentMeta, Section, SourceText
from ictqa.ingest import read_source
from ictqa.ingest.mojibake import repair_text
from ictqa.ingest.pagelist import PAGE_LIST_SUFFIX, read_page_list
from ictqa.parse import format_tree, parse_document, parse_sections
from ictqa.parse.check import numbering_gaps, outline_lines, warnings
from ictqa.parse.pagecodes import decode, decode_all

BASE = "https://www.soumu.go.jp/johotsusintokei/whitepaper/ja"


def urls(edition: str, *codes: str) -> tuple[str, ...]:
    return tuple(f"{BASE}/{edition}/text/{c}.txt" for c in codes)


def web(text: str, page_urls: tuple[str, ...] = ()):  # -> ParsedText
    return parse_document(SourceText(Path("x.txt"), text, "utf-8", "0" * 64, page_urls=page_urls))


def tree(text: str, page_urls: tuple[str, ...] = ()) -> list[str]:
    return outline_lines(web(text, page_urls).sections)


def assert_offsets(text: str, sections: list[Section]) -> None:
    for s in sections:
        for b in s.blocks:
            for i, ch in enumerate(b.text):
                assert text[b.source_offset(i)] == ch


# --------------------------------------------------------------------------
# Headings glued to the previous line, with any mix of spaces
# --------------------------------------------------------------------------


def test_glued_section_after_a_caption_with_an_ascii_space_before_the_ideographic_one() -> None:
    # h20 line 1728: "図表2-1-5-3　…周回衛星第2節 　放送事業"
    text = "第1章　章\n第1節　通信\n1　通信事業\n本文である。\n図表1-1-1-1　主な周回衛星第2節 \u3000放送事業\n1\u3000放送市場\n本文。\n"
    assert tree(text) == ["  第1章 章", "    第1節 通信", "      1 通信事業", "    第2節 放送事業", "      1 放送市場"]
    assert_offsets(text, web(text).sections)


def test_headings_and_body_glued_on_one_line() -> None:
    # h19 line 1: 第1章, 第1節, 1 and （1） and the body on one line
    text = "第1章\u3000ユビキタス第1節\u3000情報通信と経済成長1\u3000「情報」の経済成長（1）「情報」の到来\u3000経済成長を長期的に見ると、変化してきた。\n"
    parsed = web(text)
    assert tree(text) == [
        "  第1章 ユビキタス",
        "    第1節 情報通信と経済成長",
        "      1 「情報」の経済成長",
        "        （1） 「情報」の到来",
    ]
    body = [b.text for s in parsed.sections for b in s.blocks]
    assert body == ["経済成長を長期的に見ると、変化してきた。"]


def test_heading_glued_to_a_url_that_ends_in_digits() -> None:
    # r05 line 594: "…pr-202302272　情報通信産業 8 の国内総生産（GDP）" is the URL
    # "…pr-20230227" and the heading 2, with footnote marker 8 in its title
    text = (
        "第1節\u3000節\n1\u3000市場規模\n本文 7 である。\n"
        "7\u3000ガートナー、プレスリリース\nhttps://www.gartner.co.jp/ja/newsroom/press-releases/pr-202302272\u3000情報通信産業 8 の国内総生産（GDP）\n"
        "本文。\n"
    )
    assert tree(text)[-1] == "      2 情報通信産業の国内総生産（GDP）"


# --------------------------------------------------------------------------
# Tables of contents, at the start, in the middle, at the end
# --------------------------------------------------------------------------

POINT = (
    "平成25年版　情報通信白書のポイント\n第1部　特集「テスト」\n第1章：概要の要約である。\n"
    "第1章\u3000第一の章\n第一の章の要約である。要約は短い。\n第2章\u3000第二の章\n第二の章の要約である。\n"
    "第3章\u3000第三の章\n第三の章の要約である。\n"
)
BODY = (
    "第1章\u3000第一の章\n第1節\u3000最初の節\n本文。"
    + "長い本文である。" * 40
    + "\n第2章\u3000第二の章\n第1節\u3000次の節\n本文。\n"
)


def test_a_table_of_contents_at_the_start_names_parts_only() -> None:
    # h25, h26, h28: a ポイント page repeats 第1章… with summaries
    parsed = web(POINT + BODY)
    lines = outline_lines(parsed.sections)
    assert lines == [
        "第1部 特集「テスト」 [inferred]",
        "  第1章 第一の章",
        "    第1節 最初の節",
        "  第2章 第二の章",
        "    第1節 次の節",
    ]
    assert any("numbering starts again" in n for n in parsed.notes)
    # …and with the page list the ポイント page is front matter by its code
    pages = urls("h25", "na000000", "nc110000", "nc111000", "nc120000", "nc121000")
    assert outline_lines(web(POINT + BODY, pages).sections) == lines


def test_a_table_of_contents_in_the_middle_is_skipped() -> None:
    # h27, r02: the site's navigation with the whole 目次 pasted into a page
    nav = (
        "第1節\u3000最初の節（PDFファイル（1MB））\nテキスト形式のファイルはこちら\n第1章\u3000第一の章\n"
        "第1節\u3000最初の節\n第2節\u3000次の節\n第2章\u3000第二の章\nCopyright (C) 2009 Ministry of Internal Affairs "
        "and Communications All Rights Reserved.\n"
    )
    text = "第1章\u3000第一の章\n第1節\u3000最初の節\n本文。\n" + nav + "続きの本文。\n第2節\u3000次の節\n本文。\n"
    parsed = web(text)
    assert outline_lines(parsed.sections) == ["  第1章 第一の章", "    第1節 最初の節", "    第2節 次の節"]
    assert any("navigation" in n for n in parsed.notes)
    assert "Copyright" not in "".join(b.text for s in parsed.sections for b in s.blocks)


def test_a_table_of_contents_at_the_end_names_the_parts() -> None:
    # h29–r04: the body prints no 部; the 図表索引 does
    text = "第1章\u3000第一の章\n第1節\u3000節\n本文。\nデータ1\u3000表\n図表索引\n第1部\u3000特集\n第1章\u3000第一の章\n1-1-1-1\u3000図\n"
    assert outline_lines(web(text).sections) == ["第1部 特集 [inferred]", "  第1章 第一の章", "    第1節 節"]


# --------------------------------------------------------------------------
# Footnotes, sources and captions are never headings
# --------------------------------------------------------------------------


def test_footnotes_that_look_like_the_next_item_are_not_headings() -> None:
    text = (
        "第1節\u3000節\n1\u3000最初の項\n（1）ア\n本文 2 である。\n"
        # h20 line 40: the footnote's "を参照" and the glued （3） are told apart
        "2\u3000都道府県別ユビキタス指数の算出の詳細については、付注1を参照（2）ユビキタスネットワーク\n"
        "本文 3 である。\n"
        "3\u3000分析の詳細については、付注11を参照\n"  # h19
        "4\u3000Apple Watch（出典）Apple社ホームページ\n"  # h27
        "5\u3000内閣府\u3000平成30年北海道胆振東部地震に係る被害状況等について（出典）内閣府資料\n"  # r03
        "2\u3000次の項\n本文。\n"
    )
    assert tree(text) == [
        "    第1節 節",
        "      1 最初の項",
        "        （1） ア",
        "        （2） ユビキタスネットワーク",
        "      2 次の項",
    ]


def test_a_footnote_with_a_reference_mark_is_not_an_item() -> None:
    # h19's コラム: "※1　…" and "※2　…" after a caption's "※　…" source line
    text = (
        "第1節\u3000節\n1\u3000項\n本文（※１）である。\n\n"
        "※1\u3000セールフォース・ドットコムの期末は1月31日である\n"
        "※2\u3000ApexとはSalesforceの詳細なカスタマイズを可能にする言語である\n"
        "2\u3000次の項\n本文。\n"
    )
    assert tree(text) == ["    第1節 節", "      1 項", "      2 次の項"]


def test_a_footnote_before_the_page_of_its_number_is_not_that_item() -> None:
    # h20: "2　ITU資料" is footnote 2 of page k2611000; item 2 opens page k2620000
    text = (
        "第1章\u3000章\n第1節\u3000海外の動向\n1\u3000海外の情報通信市場\n（1）市場規模\n本文1。\n2\u3000ITU資料\n"
        "（2）電話の普及状況\n本文。\n2\u3000海外の情報通信政策の動向\n本文。\n"
    )
    pages = urls("h20", "k1111000", "k1112000", "k1120000")
    assert tree(text, pages) == [
        "  第1章 章",
        "    第1節 海外の動向",
        "      1 海外の情報通信市場",
        "        （1） 市場規模",
        "        （2） 電話の普及状況",
        "      2 海外の情報通信政策の動向",
    ]


def test_footnote_markers_are_stripped_from_titles() -> None:
    text = "第1節\u3000節\n1\u3000我が国のコンテンツ市場の現状1\n本文。\n2\u3000人工知能（AI 42 ）の関わり\n3\u3000新競争促進プログラム2010\n"
    assert tree(text)[1:] == [
        "      1 我が国のコンテンツ市場の現状",
        "      2 人工知能（AI）の関わり",
        "      3 新競争促進プログラム2010",
    ]


# --------------------------------------------------------------------------
# Heading forms
# --------------------------------------------------------------------------


def test_bracketed_numbers_with_a_half_width_space_and_ascii_brackets() -> None:
    # h26 writes 「（1） 市場規模」; h24 「（ア） 欧州経済戦略「欧州2020」」; h20 "(3)…"
    text = (
        "第1節\u3000節\n1\u3000項\n（1） 市場規模\n本文。\n（2） 海外\nア\u3000欧州\n（ア） 欧州経済戦略「欧州2020」\n"
        "本文。\n(3)我が国の経済成長への寄与\n本文。\n"
    )
    parsed = web(text)
    assert outline_lines(parsed.sections)[2:] == [
        "        （1） 市場規模",
        "        （2） 海外",
        "          ア 欧州",
        "            （ア） 欧州経済戦略「欧州2020」",
        "        (3) 我が国の経済成長への寄与",
    ]
    last = parsed.sections[-1].path[-1]
    assert (last.level, last.number, last.printed, last.text) == (SUBITEM, "3", "(3)", "(3)我が国の経済成長への寄与")


def test_the_2000_to_2006_forms_1_paren_and_roman() -> None:
    # h12: 1) at the ア position, (i) at the （ア） position, references kept
    text = "1　福祉\n\n(1)シニア\n\n1)利用の現状(図表1))\n\n(i)｢金曜サロン｣\n\n(ii)｢仙台クラブ｣\n\n2)障害者\n\n本文。\n"
    assert tree(text) == [
        "      1 福祉",
        "        (1) シニア",
        "          1) 利用の現状(図表1))",
        "            (i) ｢金曜サロン｣",
        "            (ii) ｢仙台クラブ｣",
        "          2) 障害者",
    ]


def test_the_same_forms_at_two_levels_take_their_level_from_the_pages() -> None:
    # h16: 1 / （1） open pages at levels 1 and 2, and inside a page are the
    # third and fourth levels
    text = (
        "第1章\u3000章\n\n第1節\u3000節\n\n要旨。\n1 進化する\n（1）世界最高\n\n1 普及する\n\n本文。\n\n"
        "2 利用人口\n\n（1）内訳\n\n本文。\n\n（2）携帯\n\n本文。\n2 国際競争力\n\n本文。\n"
    )
    pages = urls("h16", "G1000000", "G1100000", "G1101100", "G1101200", "G1102000")
    assert tree(text, pages) == [
        "  第1章 章",
        "    第1節 節",
        "      1 進化する",
        "        （1） 世界最高",
        "          1 普及する",
        "          2 利用人口",
        "            （1） 内訳",
        "        （2） 携帯",
        "      2 国際競争力",
    ]


# --------------------------------------------------------------------------
# Headings the text does not print: inferred, never invented
# --------------------------------------------------------------------------


def test_a_missing_chapter_line_is_inferred_from_the_page_codes() -> None:
    # h13: the file starts at 第1章's 第1節; the 節 headings end in 【要旨】
    text = "第1節\u3000IT社会【要旨】\n要旨。\n1\u3000インターネット\n本文。\n第2節\u3000経済新生【要旨】\n要旨。\n第2章\u3000現況\n第1節\u3000産業\n本文。\n"
    pages = urls("h13", "D1110000", "D1111000", "D1120000", "D2011000")
    parsed = web(text, pages)
    assert outline_lines(parsed.sections) == [
        "  第1章 [inferred]",
        "    第1節 IT社会",
        "      1 インターネット",
        "    第2節 経済新生",
        "  第2章 現況",
        "    第1節 産業",
    ]
    assert any("inferred" in w for w in warnings(parsed.sections, parsed.notes))


def test_chapters_and_sections_of_2000_from_numbering_restarts_and_page_codes() -> None:
    # h12 prints no 章/節 at all: the page codes C<章><節>… say where they start
    text = "はじめに～課題\n\n1　少子高齢化\n\n本文。\n\n1　IT革命\n\n本文。\n\n2　期待\n\n本文。\n\n1　世界\n\n本文。\n"
    pages = urls("h12", "C1000000", "C1000010", "C1010000", "C1020000", "C1110000")
    parsed = web(text, pages)
    assert outline_lines(parsed.sections) == [
        "  第1章 [inferred]",
        "    はじめに～課題",
        "      1 少子高齢化",
        "    序節 [inferred]",
        "      1 IT革命",
        "      2 期待",
        "    第1節 [inferred]",
        "      1 世界",
    ]
    meta = DocumentMeta("h12_2000.txt", "平成12年版 通信白書", 2000)
    chunks = chunk_document(parsed.sections, meta, pages=parsed.pages)
    by_label = {c.citation.label: c.citation.url for c in chunks}
    assert by_label["平成12年版 通信白書 第1章序節 2 期待"] == f"{BASE}/h12/html/C1020000.htm"
    assert by_label["平成12年版 通信白書 第1章第1節 1 世界"] == f"{BASE}/h12/html/C1110000.htm"


def test_a_section_the_text_does_not_print_takes_its_title_from_the_contents() -> None:
    # r02 第4章第1節: no heading; the 目次 in the navigation names it
    nav = (
        "第1節\u3000a（PDFファイル（1MB））\n第4章\u30005Gのその先へ\n第1節\u3000将来像\n第2節\u3000Beyond 5G\n"
        "Copyright (C) 2009 Ministry of Internal Affairs and Communications All Rights Reserved.\n"
    )
    text = "第4章\u30005Gのその先へ\n本文。" + nav + "1\u3000データ主導型への移行\n本文。\n第2節\u3000Beyond 5G\n1\u3000実現\n"
    pages = urls("r02", "nd140000", "nd141100", "nd142100")
    assert tree(text, pages) == [
        "第1部 [inferred]",
        "  第4章 5Gのその先へ",
        "    第1節 将来像 [inferred]",
        "      1 データ主導型への移行",
        "    第2節 Beyond 5G",
        "      1 実現",
    ]


# --------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------


def test_page_codes_decode_by_edition() -> None:
    assert decode(f"{BASE}/r05/text/nd258120.txt").slots == ((1, "2"), (2, "5"), (3, "8"), (4, "1"), (5, "2"))
    assert decode(f"{BASE}/r05/text/nd24c230.txt").slots[2] == (3, "12")  # 第12節
    assert decode(f"{BASE}/r05/text/nd13240c.txt").kind == "box"
    assert decode(f"{BASE}/h12/text/C24A0000.txt").slots == ((2, "2"), (3, "4"), (4, "10"))
    assert decode(f"{BASE}/h18/text/i1340000.txt").kind == "seq"
    assert decode(f"{BASE}/r04/text/nf2c1000.txt").name == "第2章コラム1"
    assert decode(f"{BASE}/r05/text/ne110000.txt").name == "データ"
    # a future edition is read with the newest layout
    assert decode(f"{BASE}/r07/text/nd228540.txt").slots == ((1, "2"), (2, "2"), (3, "8"), (4, "5"), (5, "4"))
    assert decode(f"{BASE}/h13/text/D1110000.txt").html_url == f"{BASE}/h13/html/D1110000.htm"
    assert decode(f"{BASE}/r05/text/nd258120.txt").html_url == f"{BASE}/r05/html/nd258120.html"
    # h19 j353c000 follows a and b: it is （12）, not a box
    codes = decode_all(urls("h19", "j353a000", "j353b000", "j353c000", "j112c000"))
    assert [c.kind for c in codes] == ["body", "body", "body", "box"]


def test_pages_that_do_not_align_give_no_address_and_say_so() -> None:
    text = "第1章\u3000章\n第1節\u3000節\n本文。\n"
    parsed = web(text, urls("r05", "nd258120", "nd258200", "nd258210", "nd258300"))
    assert parsed.pages is None
    assert any(n.startswith("pages not aligned") for n in parsed.notes)
    meta = DocumentMeta("x.txt")
    assert all(c.citation.url is None for c in chunk_document(parsed.sections, meta, pages=parsed.pages))


def test_the_page_list_sidecar_is_read_and_never_indexed(tmp_path: Path) -> None:
    f = tmp_path / "r05_2023.txt"
    f.write_text("第1章\u3000章\n第1節\u3000節\n本文である。\n", encoding="utf-8")
    (tmp_path / f"r05_2023{PAGE_LIST_SUFFIX}").write_text("\n".join(urls("r05", "nd110000", "nd111000")) + "\n")
    assert read_source(f).page_urls == urls("r05", "nd110000", "nd111000")
    from ictqa.ingest import iter_corpus_files

    assert iter_corpus_files([tmp_path]) == [f]
    (tmp_path / f"r05_2023{PAGE_LIST_SUFFIX}").write_text("not an address\n")
    assert read_page_list(f) == ()  # ignored with a warning: the text is still indexed


# --------------------------------------------------------------------------
# Text that went through a Shift_JIS decoder once (r03)
# --------------------------------------------------------------------------


def _misdecode(raw: bytes) -> str:
    """What a browser's Shift_JIS decoder makes of UTF-8 bytes: an unmapped
    pair is one U+FFFD; a lead byte before an ASCII byte is one U+FFFD."""
    out, i = [], 0
    while i < len(raw):
        x = raw[i]
        if x < 0x80:
            out.append(chr(x))
            i += 1
        elif x == 0x80:
            out.append("\x80")
            i += 1
        elif 0xA1 <= x <= 0xDF:
            out.append(bytes([x]).decode("cp932"))
            i += 1
        elif (0x81 <= x <= 0x9F or 0xE0 <= x <= 0xFC) and i + 1 < len(raw) and raw[i + 1] >= 0x40 and raw[i + 1] != 0x7F:
            y = raw[i + 1]
            try:
                out.append(bytes([x, y]).decode("cp932"))
                i += 2
            except UnicodeDecodeError:
                out.append("\ufffd")
                i += 1 if y < 0x80 else 2
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def test_mojibake_lines_are_repaired_and_lost_characters_not_guessed() -> None:
    clean = "デンマークでは、行政のデジタル化が進んでいる。デンマークの取組を紹介する。" * 3
    heading = "ア\u3000デンマークにおける取組"
    broken = _misdecode(heading.encode("utf-8"))
    assert broken != heading and "\ufffd" in broken
    text = f"{clean}\n{broken}\n{clean}\n"
    fixed, repairs = repair_text(text)
    assert len(repairs) == 1
    line = fixed.split("\n")[1]
    # every character is the original one, or U+FFFD where the file gives no evidence
    assert len(line) == len(heading) and all(a == b or a == "\ufffd" for a, b in zip(line, heading))
    assert line.count("\ufffd") <= 1
    assert repair_text(clean)[1] == []  # clean text is left alone


# --------------------------------------------------------------------------
# What `ictqa sections` warns about
# --------------------------------------------------------------------------


def test_warnings_name_a_huge_leaf_and_numbering_gaps() -> None:
    # a 節 may be missing from the web text (r02 第4章 has 第2節 and no
    # 第1節): the parser takes 第3節 after 第1節, and says so
    big = "第1章\u3000章\n第1節\u3000節\n1\u3000項\n" + "本文である。" * 12000 + "\n第3節\u3000飛んだ\n本文。\n"
    parsed = parse_document(SourceText(Path("x.txt"), big, "utf-8", "0" * 64))
    ws = warnings(parsed.sections, parsed.notes)
    assert any("第1章 章 › 第1節 節 › 1 項 holds 100%" in w for w in ws), ws
    assert numbering_gaps(parsed.sections) == ["第1章 章: 第3節 comes after 第1節 (expected 2)"]


def test_levels_and_inferred_flags_are_values() -> None:
    parsed = web("第1節\u3000IT社会【要旨】\n本文。\n", urls("h13", "D1110000"))
    head = parsed.sections[1]
    assert head.path[0].level == CHAPTER and head.path[0].inferred and head.path[1].level == SECTION
    assert {ITEM, KANA, BOX}  # the levels this module names exist
    assert format_tree(parse_sections("第1節\u3000節\n1\u3000項\n", "web")) == "第1節 節\n  1 項"
    assert isinstance(Block("text", "x", ()), Block)


@pytest.mark.parametrize("name", ["h12_2000.txt", "x.txt"])
def test_pdf_pages_still_come_with_numbers(name: str) -> None:
    text = "第8節 ICT国際戦略の推進\n本文である。\n"
    source = SourceText(Path(name), text, "pdf", "0" * 64, page_starts=(0, 10), kind="pdf", dialect="pdf")
    parsed = parse_document(source)
    assert parsed.pages is not None and parsed.pages.at(12) == (2, None)
