"""Responses → HTML (pure functions, so tests check them without a server).

Every piece of corpus or user text passes through :func:`html.escape` before
it becomes HTML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..glossary import Term
from ..results import Response, Result

NOT_ANSWERED = (
    "索引済みの白書には、この質問に答える箇所が見当たりません。近い箇所を参考として示します。 / "
    "The indexed white papers do not seem to answer this question; the nearest passages are shown for reference."
)


def banner(kind: str, text: str) -> str:
    role = "alert" if kind == "error" else "status"
    return f'<div class="ictqa-banner ictqa-{kind}" role="{role}">{html.escape(text)}</div>'


def render_error(message: str) -> str:
    return banner("error", message)


def render_result(r: Result) -> str:
    c = r.chunk.citation
    crumbs = [c.edition, c.chapter, c.section, *c.path]
    if c.figure:
        crumbs.append(c.figure)
    if c.page:
        crumbs.append(f"p.{c.page}")
    crumb = " › ".join(html.escape(x) for x in crumbs if x)
    text = r.chunk.text
    if r.highlight and 0 <= r.highlight.start < r.highlight.end <= len(text):
        s, e = r.highlight.start, r.highlight.end
        body = html.escape(text[:s]) + '<mark class="ictqa-hl">' + html.escape(text[s:e]) + "</mark>" + html.escape(text[e:])
    else:
        body = html.escape(text)
    kind = "" if r.chunk.kind == "text" else f' <span class="ictqa-kind">[{html.escape(r.chunk.kind)}]</span>'
    label = html.escape(c.label)  # quote=True: also safe inside the data-label attribute
    return (
        f'<div class="ictqa-card" data-rank="{r.rank}">'
        f'<div class="ictqa-crumb">#{r.rank} · {crumb}{kind}</div>'
        f'<div class="ictqa-passage">{body}</div>'
        f'<div class="ictqa-meta"><span class="ictqa-score">score {r.score:.3f}</span>'
        f'<span>引用 / cite: <span class="ictqa-label">{label}</span> '
        f'<button type="button" class="ictqa-copy" data-label="{label}">コピー / Copy</button></span></div>'
        "</div>"
    )


def render_response(response: Response) -> str:
    parts = [banner("note", note) for note in response.notices]
    if not response.answerable:
        parts.append(banner("warn", NOT_ANSWERED))
    if not response.results:
        parts.append(
            banner("warn", "該当する箇所がありません。絞り込みを外してみてください / No passages found; try without the filters.")
        )
    if response.translated and response.results:
        parts.append(render_terms(response.translated))
    parts.extend(render_result(r) for r in response.results)
    return "\n".join(parts)


def render_terms(terms: Sequence[Term], shown: int = 4) -> str:
    """The Japanese words an English question was also searched with, so a
    reader can see why a passage came up (and search them directly)."""
    items = "; ".join(html.escape(t.describe(shown)) for t in terms)
    return f'<div class="ictqa-terms">日本語でも検索 / Also searched as: {items}</div>'
