from __future__ import annotations

from ictqa.chunks import MIN_PASSAGE, ChunkParams, chunk_document, chunk_section, citation_label
from ictqa.documents import ITEM, KANA, SECTION, SUBITEM, Block, DocumentMeta, Heading, Section, Span

META = DocumentMeta(
    document="seed.txt",
    edition="令和5年版 情報通信白書",
    year=2023,
    chapter_number="5",
    chapter_title="総務省におけるICT政策の取組状況",
)
PATH = (
    Heading(SECTION, "8", "ICT国際戦略の推進"),
    Heading(ITEM, "2", "デジタルインフラなどの海外展開"),
    Heading(SUBITEM, "3", "分野ごとの海外展開に向けた取組"),
    Heading(KANA, "ア", "基幹通信インフラ"),
)


def block(text: str, at: int, kind: str = "text", figure: str | None = None) -> Block:
    return Block(kind, text, (Span(0, at, len(text)),), figure=figure)


def test_label_matches_the_contract():
    assert citation_label(META.edition, Heading(2, "5", "x"), PATH[0], PATH[1:]) == (
        "令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹通信インフラ"
    )


def test_citation_fields():
    [chunk] = chunk_section(Section(PATH, (block("光海底ケーブルを敷設した。", 100),)), META)
    c = chunk.citation
    assert c.chapter == "第5章 総務省におけるICT政策の取組状況"
    assert c.section == "第8節 ICT国際戦略の推進"
    assert c.path == ("2 デジタルインフラなどの海外展開", "（3）分野ごとの海外展開に向けた取組", "ア 基幹通信インフラ")
    assert c.url is None and c.to_json()["url"] is None  # a key of the JSON contract
    assert (c.char_start, c.char_end) == (100, 100 + len("光海底ケーブルを敷設した。"))
    assert c.edition == "令和5年版 情報通信白書" and c.year == 2023
    assert (
        chunk.context == "ICT国際戦略の推進 › デジタルインフラなどの海外展開 › 分野ごとの海外展開に向けた取組 › 基幹通信インフラ"
    )


def test_long_sections_split_at_sentence_ends_within_the_limit():
    sentence = "総務省は海外展開を支援してきた。"  # 16 chars
    text = sentence * 9
    chunks = chunk_section(Section(PATH, (block(text, 0),)), META, ChunkParams(max_chars=50))
    assert len(chunks) == 3
    assert all(len(c.text) <= 50 and c.text.endswith("。") for c in chunks)
    assert "".join(c.text for c in chunks) == text
    # offsets tile the source without gaps or overlaps
    assert [c.citation.char_start for c in chunks] == [0, 48, 96]
    assert chunks[-1].citation.char_end == len(text)


def test_a_sliver_is_joined_to_the_passage_before_it():
    # 10 sentences of 16 characters in passages of at most 50: the tenth
    # would be a passage of its own, under MIN_PASSAGE; it joins the third.
    sentence = "総務省は海外展開を支援してきた。"
    text = sentence * 10
    chunks = chunk_section(Section(PATH, (block(text, 0),)), META, ChunkParams(max_chars=50))
    assert [len(c.text) for c in chunks] == [48, 48, 64]
    assert "".join(c.text for c in chunks) == text


def test_figures_and_footnotes_are_chunks_of_their_own():
    sec = Section(
        PATH,
        (
            block("本文である。", 0),
            block("図表5-8-2-1 デジタル海外展開プラットフォーム", 10, "figure", "図表5-8-2-1"),
            block("＊1 https://example.jp/", 50, "footnote"),
        ),
    )
    kinds = {c.kind: c for c in chunk_section(sec, META)}
    assert set(kinds) == {"text", "figure", "footnote"}
    assert kinds["figure"].citation.figure == "図表5-8-2-1"
    assert kinds["figure"].citation.label.endswith("基幹通信インフラ 図表5-8-2-1")
    assert kinds["text"].text == "本文である。"


def test_paragraphs_are_joined_by_a_line_break_and_hash_follows_text():
    sec = Section(PATH, (block("一つ目。", 0), block("二つ目。", 10)))
    [c] = chunk_section(sec, META)
    assert c.text == "一つ目。\n二つ目。"
    [c2] = chunk_section(Section(PATH, (block("一つ目。", 0), block("三つ目。", 10))), META)
    assert c.content_hash != c2.content_hash
    [c3] = chunk_section(sec, META)
    assert c3.content_hash == c.content_hash


def test_an_overlong_sentence_is_cut_not_dropped():
    text = "あ" * 130
    chunks = chunk_section(Section(PATH, (block(text, 0),)), META, ChunkParams(max_chars=50))
    assert "".join(c.text for c in chunks) == text
    assert max(len(c.text) for c in chunks) <= 50


def test_chunk_json_round_trip():
    from ictqa.chunks import Chunk

    [c] = chunk_section(Section(PATH, (block("本文である。", 0),)), META)
    assert Chunk.from_json(c.to_json()) == c


# --------------------------------------------------------------------------
# Issue 14: no sliver passages, no word cut in two, page addresses
# --------------------------------------------------------------------------

from ictqa.documents import PageMap  # noqa: E402
from ictqa.lexical import word_ends  # noqa: E402


def test_an_overlong_sentence_is_cut_after_a_comma_and_leaves_no_tail():
    # the seed's 3(2)ア sentence of 406 characters once left "ている。" alone
    head = "総務省は" + "各国の政府機関や国際機関と協力して国際的なルール作りの議論に参加し、" * 14
    sentence = head + "その成果を国内の政策に反映している。"
    assert len(sentence) > 400
    chunks = chunk_section(Section(PATH, (block(sentence, 0),)), META)
    assert "".join(c.text for c in chunks) == sentence
    assert all(len(c.text) >= MIN_PASSAGE for c in chunks)
    assert all(c.text.endswith(("、", "。")) for c in chunks)


def test_a_run_without_commas_is_cut_between_two_words():
    # figure text with no 、 or 。 once came out as "G20デジタル経" / "済大臣会合"
    run = "G20デジタル経済大臣会合" * 40
    chunks = chunk_section(Section(PATH, (block(run, 0, "figure", "図表5-8-5-1"),)), META, ChunkParams(max_chars=50))
    assert "".join(c.text for c in chunks) == run
    for left, right in zip(chunks, chunks[1:]):
        joined = left.text[-12:] + right.text[:12]
        assert 12 in word_ends(joined), (left.text[-12:], right.text[:12])


def test_a_short_footnote_joins_the_last_paragraph_of_its_section():
    sec = Section(PATH, (block("本文である。" * 5, 0), block("2\u3000令和5年4月改訂", 40, "footnote")))
    [c] = chunk_section(sec, META)
    assert c.kind == "text" and c.text.endswith("2\u3000令和5年4月改訂")


def test_a_figure_label_may_be_short():
    sec = Section(PATH, (block("本文である。" * 5, 0), block("図表1\u3000構成", 40, "figure", "図表1")))
    kinds = [(c.kind, c.text) for c in chunk_section(sec, META)]
    assert ("figure", "図表1\u3000構成") in kinds


def test_each_passage_gets_its_page_number_or_address():
    sec = Section(PATH, (block("一つ目の段落である。", 0), block("二つ目の段落である。", 500)))
    web_pages = PageMap((0, 400), ("https://example.go.jp/html/nd111100.html", None))
    [c] = chunk_section(sec, META, pages=web_pages)
    assert (c.citation.page, c.citation.url) == (None, "https://example.go.jp/html/nd111100.html")
    pdf_pages = PageMap((0, 400), numbers=True)
    [c] = chunk_section(Section(PATH, (block("二つ目の段落である。", 500),)), META, pages=pdf_pages)
    assert (c.citation.page, c.citation.url) == (2, None)
    assert c.citation.label.endswith("p.2")


def test_a_one_line_lead_is_read_with_its_heading_not_a_passage():
    # 平成14年版 第1章第7節 5: the subtitle 「－各国のIT政策と技術開発動向」
    # printed under the heading, before its first sub-heading.
    parent = Section(PATH[:2], (block("－各国のIT政策と技術開発動向", 0),))
    child = Section(PATH[:3], (block("米国では研究開発投資が拡大している。" * 2, 40),))
    sibling = Section(PATH[:1] + (Heading(ITEM, "3", "次の項"),), (block("次の項の本文である。" * 3, 200),))
    root = Section((), (block("本編", 0),))  # 平成22–24年版's part marker
    chunks = chunk_document([root, parent, child, sibling], META)
    assert [c.citation.path for c in chunks] == [
        ("2 デジタルインフラなどの海外展開", "（3）分野ごとの海外展開に向けた取組"),
        ("3 次の項",),
    ]
    assert chunks[0].context == (
        "ICT国際戦略の推進 › デジタルインフラなどの海外展開 › －各国のIT政策と技術開発動向 › 分野ごとの海外展開に向けた取組"
    )
    assert "－各国のIT政策" in chunks[0].embed_text and "－各国" not in chunks[1].context
    assert all(len(c.text) >= MIN_PASSAGE for c in chunks)


def test_a_short_section_without_sub_headings_stays_a_passage():
    # Nothing follows to read it with: losing it would lose text.
    last = Section(PATH, (block("短い結びである。", 0),))
    [c] = chunk_document([last], META)
    assert c.text == "短い結びである。"
