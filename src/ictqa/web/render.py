"""Responses → HTML (pure functions, so tests check them without a server).

Every piece of corpus or user text passes through :func:`html.escape` before
it becomes HTML.  A card shows the passage with the answering sentence
marked (``mark.ictqa-hl``), the answer span in bold inside it
(``strong.ictqa-answer``) and, for an English question, each Japanese word
of a translated term marked with its English on hover and in a small legend
(``mark.ictqa-term``).  A figure is a compact card: its caption, its first
lines joined, and "show all" to expand.
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Sequence

from ..glossary import Term
from ..results import CITE_FORMATS, Response, Result, TermSpan, citation_formats

NOT_ANSWERED = (
    "索引済みの白書には、この質問に答える箇所が見当たりません。近い箇所を参考として示します。 / "
    "The indexed white papers do not seem to answer this question; the nearest passages are shown for reference."
)
# A figure card shows its caption and about this many characters of its
# other lines, joined with " / "; "show all" has every line.
FIGURE_PREVIEW_CHARS = 160
# The batch tab previews this many answers before the download.
PREVIEW_ROWS = 20

FORMAT_NAMES = {
    "plain": "引用ラベル / Label",
    "link": "リンク付き / With link",
    "markdown": "Markdown",
    "japanese": "参考文献 / Japanese reference",
}


def banner(kind: str, text: str) -> str:
    role = "alert" if kind == "error" else "status"
    return f'<div class="ictqa-banner ictqa-{kind}" role="{role}">{html.escape(text)}</div>'


def render_error(message: str) -> str:
    return banner("error", message)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _with_terms(text: str, a: int, b: int, terms: Sequence[TermSpan]) -> str:
    """``text[a:b]`` escaped, each translated term in it marked (cut at a and b)."""
    out: list[str] = []
    pos = a
    for t in sorted(terms, key=lambda t: t.start):
        s, e = max(t.start, a), min(t.end, b)
        if s >= e or s < pos:
            continue
        out.append(_esc(text[pos:s]))
        out.append(f'<mark class="ictqa-term" title="{_esc(t.english)}" data-en="{_esc(t.english)}">{_esc(text[s:e])}</mark>')
        pos = e
    out.append(_esc(text[pos:b]))
    return "".join(out)


def marked(text: str, a: int, b: int, r: Result) -> str:
    """``text[a:b]`` as HTML: the highlight (clipped to [a, b]), the answer
    span in bold inside it, the translated terms marked (pure)."""
    h = r.highlight
    terms = r.term_spans
    if not h or not (0 <= h.start < h.end <= len(text)):
        return _with_terms(text, a, b, terms)
    hs, he = max(h.start, a), min(h.end, b)
    if hs >= he:
        return _with_terms(text, a, b, terms)
    inner = _with_terms(text, hs, he, terms)
    ans = h.answer
    if ans and hs <= ans.start < ans.end <= he:
        inner = (
            _with_terms(text, hs, ans.start, terms)
            + f'<strong class="ictqa-answer">{_with_terms(text, ans.start, ans.end, terms)}</strong>'
            + _with_terms(text, ans.end, he, terms)
        )
    return _with_terms(text, a, hs, terms) + f'<mark class="ictqa-hl">{inner}</mark>' + _with_terms(text, he, b, terms)


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def render_figure(r: Result) -> str:
    """A figure passage as a compact card: the caption (figure number and
    title), the other lines joined up to FIGURE_PREVIEW_CHARS (the matching
    line always among them), and every line behind "show all"."""
    text = r.chunk.text
    lines = _lines(text)
    if not lines:
        return '<div class="ictqa-figure"></div>'
    figure = r.chunk.citation.figure
    head, rest = lines[0], lines[1:]
    caption = marked(text, *head, r)
    if figure and not text[head[0] : head[1]].startswith(figure):
        # A long figure is cut into several passages; name it on the later ones.
        caption = f"{_esc(figure)} （続き / continued）"
        rest = lines
    hl = r.highlight
    shown, size = [], 0
    for s, e in rest:
        if size and size + (e - s) > FIGURE_PREVIEW_CHARS:
            break
        shown.append((s, e))
        size += e - s + 3
    hidden = [ln for ln in rest if ln not in shown]
    hit = next((ln for ln in hidden if hl and ln[0] <= hl.start < ln[1]), None)
    parts = [marked(text, s, e, r) for s, e in shown]
    if hit is not None:
        parts += ["…", marked(text, *hit, r)]
    more = len(hidden) - (hit is not None)
    preview = " / ".join(parts) + (" / …" if more > 0 else "")
    every = "<br>".join(marked(text, s, e, r) for s, e in lines)
    expand = (
        f'<details class="ictqa-figall"><summary>すべて表示 / show all ({len(lines)} 行 / lines)</summary>'
        f'<div class="ictqa-figlines">{every}</div></details>'
        if hidden
        else ""
    )
    return (
        f'<div class="ictqa-figure"><div class="ictqa-figcap">{caption}</div>'
        + (f'<div class="ictqa-figpreview">{preview}</div>' if parts else "")
        + expand
        + "</div>"
    )


def render_copy(r: Result) -> str:
    """The Copy button (the label) and the menu of the other citation formats."""
    formats = citation_formats(r.chunk.citation)
    items = "".join(
        f'<div class="ictqa-fmt-row"><button type="button" class="ictqa-copy" data-format="{name}" '
        f'data-text="{_esc(formats[name])}">{_esc(FORMAT_NAMES[name])}</button>'
        f'<code class="ictqa-fmt">{_esc(formats[name])}</code></div>'
        for name in CITE_FORMATS
    )
    return (
        f'<button type="button" class="ictqa-copy ictqa-copy-main" data-format="plain" data-text="{_esc(formats["plain"])}">'
        "コピー / Copy</button>"
        f'<details class="ictqa-copymenu"><summary>形式 / Formats</summary><div class="ictqa-fmts">{items}</div></details>'
    )


def _address(query: str, **params: str) -> str:
    """A link to the form asking ``query`` (escaped for an attribute)."""
    return html.escape("?" + urllib.parse.urlencode({"q": query, **params}), quote=True)


def render_also_in(r: Result, query: str) -> str:
    """ "Also in the 2019, 2020 editions", each year a link to the question
    asked of that edition."""
    if not r.also_in or not query:
        return ""
    links = ", ".join(
        f'<a class="ictqa-also-link" href="{_address(query, edition=str(a.year))}" title="{_esc(a.label)}">{a.year}</a>'
        for a in r.also_in
        if a.year
    )
    return f'<div class="ictqa-also">ほかの版にも / also in the {links} edition{"s" if len(r.also_in) > 1 else ""}</div>'


def render_result(r: Result, query: str = "") -> str:
    c = r.chunk.citation
    crumbs = [c.edition, c.chapter, c.section, *c.path]
    if c.figure:
        crumbs.append(c.figure)
    if c.page:
        crumbs.append(f"p.{c.page}")
    crumb = " › ".join(_esc(x) for x in crumbs if x)
    text = r.chunk.text
    body = render_figure(r) if r.chunk.kind == "figure" else f'<div class="ictqa-passage">{marked(text, 0, len(text), r)}</div>'
    kind = "" if r.chunk.kind == "text" else f' <span class="ictqa-kind">[{_esc(r.chunk.kind)}]</span>'
    return (
        f'<div class="ictqa-card" data-rank="{r.rank}" data-kind="{_esc(r.chunk.kind)}">'
        f'<div class="ictqa-crumb">#{r.rank} · {crumb}{kind}</div>'
        f"{body}{render_legend(r)}{render_also_in(r, query)}"
        f'<div class="ictqa-meta"><span class="ictqa-cite">引用 / cite: <span class="ictqa-label">{_esc(c.label)}</span>'
        f"{render_source_link(c.url)}</span>"
        f'<span class="ictqa-actions">{render_copy(r)}</span>'
        f'<span class="ictqa-score">score {r.score:.3f}</span></div>'
        "</div>"
    )


def render_source_link(url: str | None) -> str:
    """The MIC page a passage was published on, opened in a new tab.

    Only an http(s) address becomes a link: the page list is a file a user
    supplies, and a ``javascript:`` line in it must not run in a reader's
    browser."""
    if not url or not url.lower().startswith(("https://", "http://")):
        return ""
    return (
        f' <a class="ictqa-source" href="{_esc(url)}" target="_blank" rel="noopener noreferrer"'
        f' title="{_esc(url)}">総務省のページ / MIC page ↗</a>'
    )


def render_legend(r: Result) -> str:
    """The translated terms marked in this passage: word = English term."""
    seen: dict[str, str] = {}
    for t in r.term_spans:
        seen.setdefault(r.chunk.text[t.start : t.end], t.english)
    if not seen:
        return ""
    items = " · ".join(f'<mark class="ictqa-term">{_esc(w)}</mark> = {_esc(e)}' for w, e in seen.items())
    return f'<div class="ictqa-legend">訳語 / Terms: {items}</div>'


def render_response(response: Response) -> str:
    parts = [banner("note", note) for note in response.notices]
    if any(e.applied and e.use != "boost" for e in response.editions_detected):
        # One click to the same question over every edition.
        parts.append(
            f'<div class="ictqa-all"><a class="ictqa-all-link" href="{_address(response.query, all="1")}">'
            "すべての版で検索 / Search all editions</a></div>"
        )
    if not response.answerable:
        parts.append(banner("warn", NOT_ANSWERED))
    if not response.results:
        parts.append(
            banner("warn", "該当する箇所がありません。絞り込みを外してみてください / No passages found; try without the filters.")
        )
    if response.translated and response.results:
        parts.append(render_terms(response.translated))
    parts.extend(render_result(r, response.query) for r in response.results)
    return "\n".join(parts)


def render_terms(terms: Sequence[Term], shown: int = 4) -> str:
    """The Japanese words an English question was also searched with, so a
    reader can see why a passage came up (and search them directly)."""
    items = "; ".join(html.escape(t.describe(shown)) for t in terms)
    return f'<div class="ictqa-terms">日本語でも検索 / Also searched as: {items}</div>'


def render_batch_preview(responses: Sequence[Response], total: int | None = None) -> str:
    """The first PREVIEW_ROWS answers of a batch as a table: id, question,
    the first passage's citation and the sentence (with the answer span)."""
    rows = []
    for resp in responses[:PREVIEW_ROWS]:
        top = resp.results[0] if resp.results else None
        if top is None:
            cite, hl = "–", "–"
        else:
            cite = _esc(top.chunk.citation.label)
            h = top.highlight
            hl = marked(top.chunk.text, h.start, h.end, top) if h else _esc(top.chunk.text[:120])
        flag = "" if resp.answerable else ' <span class="ictqa-flag" title="not answered by the index">?</span>'
        rows.append(f"<tr><td>{_esc(resp.id or '')}</td><td>{_esc(resp.query)}{flag}</td><td>{cite}</td><td>{hl}</td></tr>")
    n = total if total is not None else len(responses)
    caption = f"最初の {min(n, PREVIEW_ROWS)} 件 / First {min(n, PREVIEW_ROWS)} of {n} answers"
    return (
        f'<table class="ictqa-preview"><caption>{caption}</caption>'
        "<thead><tr><th>id</th><th>質問 / Question</th><th>引用 / Citation</th><th>答えの文 / Answer</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
