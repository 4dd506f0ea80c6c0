"""The web form's HTML: corpus and user text is escaped, highlights land on
the right characters."""

from __future__ import annotations

from ictqa.chunks import Chunk, Citation
from ictqa.results import Highlight, Response, Result
from ictqa.web.render import render_error, render_response

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def make_result(
    text: str, highlight: Highlight | None = None, label: str = "令和5年版 情報通信白書 第5章第8節 1(1) これまでの取組"
) -> Result:
    citation = Citation("seed.txt", "令和5年版 情報通信白書", "第5章 x", "第8節 y", ("1 概要",), None, label, 0, len(text))
    chunk = Chunk("seed.txt#0", "text", text, "ctx", "ja", citation)
    return Result(1, 0.9, chunk, highlight)


def test_corpus_markup_is_escaped():
    page = render_response(Response("q", (make_result(EVIL, label=EVIL),), True))
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page


def test_highlight_wraps_exactly_the_sentence():
    text = "前の文。答えの文<b>だ。後の文。"
    s = text.index("答え")
    e = text.index("後")
    page = render_response(Response("q", (make_result(text, Highlight(s, e, text[s:e])),), True))
    assert '<mark class="ictqa-hl">答えの文&lt;b&gt;だ。</mark>' in page


def test_unanswerable_banner_and_notices():
    page = render_response(Response("q", (make_result("x"),), False, notices=("<b>long</b>",)))
    assert "do not seem to answer" in page
    assert "&lt;b&gt;long&lt;/b&gt;" in page


def test_error_is_escaped():
    assert "<script>" not in render_error(EVIL)


def test_translated_terms_are_listed_and_escaped():
    from ictqa.glossary import Term

    terms = (Term("submarine cable", (("海底ケーブル", ("海底", "ケーブル")),)), Term("<b>x", (("<i>", ()),)))
    page = render_response(Response("q", (make_result("x"),), True, translated=terms))
    assert "submarine cable → 海底ケーブル" in page
    assert "<b>" not in page and "<i>" not in page and "&lt;b&gt;x → &lt;i&gt;" in page
    # Nothing to show for a question that was not translated.
    assert "Also searched as" not in render_response(Response("q", (make_result("x"),), True))


def _figure(text: str, highlight: Highlight | None = None) -> Result:
    citation = Citation(
        "seed.txt", "令和5年版 情報通信白書", "第5章 x", "第8節 y", ("5 G7・G20",), "図表5-8-5-1", "令和5年版 … 図表5-8-5-1", 0, 9
    )
    return Result(1, 0.9, Chunk("seed.txt#0", "figure", text, "", "ja", citation), highlight)


def test_the_answer_span_is_bold_inside_the_highlight():
    from ictqa.results import AnswerSpan

    text = "前の文。我が国の企業など100を超える会員が参加し。"
    s, e = text.index("我"), len(text)
    a = text.index("100")
    h = Highlight(s, e, text[s:e], AnswerSpan(a, a + 9, text[a : a + 9], "quantity"))
    page = render_response(Response("q", (make_result(text, h),), True))
    assert '<mark class="ictqa-hl">我が国の企業など<strong class="ictqa-answer">100を超える会員</strong>が参加し。</mark>' in page


def test_translated_terms_are_marked_with_their_english_and_a_legend():
    from ictqa.results import TermSpan

    text = "光海底ケーブルの<敷設>計画"
    t = text.index("海底")
    r = Result(1, 0.9, make_result(text).chunk, None, term_spans=(TermSpan(t, t + 6, "submarine <cable>"),))
    page = render_response(Response("q", (r,), True))
    assert (
        '<mark class="ictqa-term" title="submarine &lt;cable&gt;" data-en="submarine &lt;cable&gt;">海底ケーブル</mark>' in page
    )
    assert 'class="ictqa-legend"' in page and "= submarine &lt;cable&gt;" in page
    assert "&lt;敷設&gt;" in page


def test_a_figure_is_a_compact_card_that_expands():
    lines = ["図表5-8-5-1 G7/G20における情報通信・デジタルの議論の経緯（概要）"] + [f"断片{i}の説明文" for i in range(22)]
    text = "\n".join(lines)
    s = text.index("断片20")
    e = s + len("断片20の説明文")
    page = render_response(Response("q", (_figure(text, Highlight(s, e, text[s:e])),), True))
    assert '<div class="ictqa-figcap">図表5-8-5-1 G7/G20' in page
    preview = page.split('<div class="ictqa-figpreview">')[1].split("</div>")[0]
    assert " / " in preview and preview.count("断片") < 22
    # The matching line is in the preview even when it is far down.
    assert '<mark class="ictqa-hl">断片20の説明文</mark>' in preview
    assert "show all (23" in page and page.count("断片19の説明文") == 1  # only behind "show all"
    # Continued figures name the figure.
    cont = render_response(Response("q", (_figure("済大臣会合（ドイツ）2017年4月\n【G20での議論の流れ】"),), True))
    assert "図表5-8-5-1 （続き / continued）" in cont


def test_copy_menu_offers_every_citation_format():
    page = render_response(Response("q", (make_result("x"),), True))
    for name in ("plain", "link", "markdown", "japanese"):
        assert f'data-format="{name}"' in page
    assert 'data-text="総務省『令和5年版 情報通信白書』' in page


def test_batch_preview_table():
    from ictqa.web.render import render_batch_preview

    rs = [Response(f"q{i}<", (make_result("本文"),), True, id=str(i)) for i in range(25)]
    table = render_batch_preview(rs)
    assert table.count("<tr><td>") == 20 and "First 20 of 25" in table and "q0&lt;" in table


def _with_url(url: str | None) -> Result:
    import dataclasses

    r = make_result("本文。")
    citation = dataclasses.replace(r.chunk.citation, url=url)
    return dataclasses.replace(r, chunk=dataclasses.replace(r.chunk, citation=citation))


def test_card_links_to_the_mic_page():
    url = "https://www.soumu.go.jp/johotsusintokei/whitepaper/ja/r05/html/nd258120.html?a=1&b=2"
    page = render_response(Response("q", (_with_url(url),), True))
    assert 'href="https://www.soumu.go.jp/johotsusintokei/whitepaper/ja/r05/html/nd258120.html?a=1&amp;b=2"' in page
    assert 'rel="noopener noreferrer"' in page


def test_card_has_no_link_without_a_page_or_with_a_script_address():
    for url in (None, "", "javascript:alert(1)", 'https://x" onmouseover="alert(1)'):
        page = render_response(Response("q", (_with_url(url),), True))
        # The address may be quoted as text (the Copy menu's "link" form), never as a link.
        assert 'href="javascript' not in page.lower()
        assert 'onmouseover="' not in page
    assert "ictqa-source" not in render_response(Response("q", (_with_url(None),), True))
