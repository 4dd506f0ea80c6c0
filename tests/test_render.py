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
