"""The 年表 / Timeline tab: one topic across the editions, as a bar chart
whose bars open that edition's passages.

The chart is an SVG drawn here (pure, every text escaped) rather than a
Gradio plot: Gradio's native plots select by dragging a range, not by
clicking a bar, and a click that opens the edition is what a reader expects.
The bars are links to the edition's section of the page below; a little
script opens it.
"""

from __future__ import annotations

import html
from typing import Any

from ..errors import IctqaError
from ..results import Timeline
from .render import render_error, render_result

BAR_W, GAP, HEIGHT, PAD = 26, 6, 160, 28

# Opening an edition's section when its bar (or its row) is clicked.
TIMELINE_JS = """
element.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-year]');
  if (!a) return;
  e.preventDefault();
  const d = element.querySelector('#ictqa-tl-' + a.dataset.year);
  if (!d) return;
  d.open = true;
  d.scrollIntoView({behavior: 'smooth', block: 'start'});
});
"""


def render_chart(t: Timeline) -> str:
    """The matches per edition as an SVG bar chart, oldest first."""
    rows = t.editions
    top = max((e.matches for e in rows), default=0) or 1
    width = PAD + len(rows) * (BAR_W + GAP)
    first = t.first.chunk.citation.year if t.first else None
    bars = []
    for n, e in enumerate(rows):
        x = PAD + n * (BAR_W + GAP)
        h = 0 if not e.matches else max(2, round(HEIGHT * e.matches / top))
        cls = "ictqa-tl-bar ictqa-tl-first" if e.year == first else "ictqa-tl-bar"
        label = html.escape(f"{e.edition}: {e.matches}")
        bars.append(
            f'<a href="#ictqa-tl-{e.year}" data-year="{e.year}" aria-label="{label}">'
            f"<title>{label}</title>"
            f'<rect class="{cls}" x="{x}" y="{PAD + HEIGHT - h}" width="{BAR_W}" height="{h}"></rect>'
            f'<text x="{x + BAR_W / 2}" y="{PAD + HEIGHT - h - 4}" text-anchor="middle" class="ictqa-tl-n">{e.matches}</text>'
            f'<text x="{x + BAR_W / 2}" y="{PAD + HEIGHT + 14}" text-anchor="middle" class="ictqa-tl-year">{e.year}</text>'
            "</a>"
        )
    return (
        f'<svg class="ictqa-tl-chart" role="img" viewBox="0 0 {width} {PAD + HEIGHT + 22}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">'
        f"<desc>{html.escape('各版で言及している箇所の数 / passages mentioning it, per edition')}</desc>"
        + "".join(bars)
        + "</svg>"
    )


def render_timeline(t: Timeline) -> str:
    """The chart, the first mention, and one collapsible section per edition."""
    how = "語 / terms: " + "、".join(t.terms) if t.terms else "意味で照合 / matched by meaning"
    first = t.first
    if first is None:
        head = "どの版にも見当たりません / No indexed edition mentions it."
    else:
        c = first.chunk.citation
        head = f"初出 / first mentioned: {c.year} — {c.label}"
    parts = [
        f'<div class="ictqa-tl-head"><strong>{html.escape(head)}</strong> '
        f'<span class="ictqa-tl-how">({html.escape(how)})</span></div>',
        render_chart(t),
    ]
    for e in t.editions:
        opened = " open" if first is not None and e.year == first.chunk.citation.year else ""
        summary = html.escape(f"{e.edition} ({e.year}) — {e.matches} 件 / passages")
        cards = "".join(render_result(r) for r in e.results) or '<p class="ictqa-tl-none">—</p>'
        parts.append(
            f'<details id="ictqa-tl-{e.year}" class="ictqa-tl-row"{opened}><summary>{summary}</summary>{cards}</details>'
        )
    return "\n".join(parts)


TIMELINE_CSS = """
.ictqa-tl-chart {max-width: 980px; margin: 8px 0 12px;}
.ictqa-tl-bar {fill: #54aeff; cursor: pointer;}
.ictqa-tl-bar:hover {fill: #0969da;}
.ictqa-tl-first {fill: #cf222e;}
.ictqa-tl-n, .ictqa-tl-year {font-size: 10px; fill: #57606a;}
.ictqa-tl-row summary {cursor: pointer; padding: 4px 0; font-weight: 600;}
.ictqa-tl-how {color: #57606a; font-size: 0.85em;}
"""


def answer_timeline(app: Any, question: str, k: Any = 3) -> tuple[str, dict[str, Any]]:
    """(HTML, the ``ictqa timeline --json`` object or {"error": message})."""
    from ..search import timeline

    try:
        n = max(1, min(int(k), 20))
    except (TypeError, ValueError):
        n = 3
    try:
        t = timeline(app.searcher, question if isinstance(question, str) else "", k=n)
    except IctqaError as e:
        return render_error(e.message), {"error": e.message}
    return render_timeline(t), t.to_json()


def add_timeline_tab(app: Any, gr: Any) -> None:
    """The tab, inside an open ``gr.Blocks`` (called from page.py)."""
    with gr.Tab("年表 / Timeline"):
        gr.Markdown(
            "語句や質問が各版でどれだけ取り上げられたかを示します。棒をクリックするとその版の箇所が開きます。  \n"
            "How often each edition mentions a term or topic; click a bar to open that edition's passages."
        )
        with gr.Row(equal_height=True):
            q = gr.Textbox(
                label="語句または質問 / Term or question",
                placeholder="例: ブロックチェーン / e.g. telework",
                lines=1,
                max_lines=1,
                scale=5,
                elem_id="ictqa-tl-query",
            )
            n = gr.Slider(1, 10, value=3, step=1, label="各版の件数 / per edition", scale=1)
            go = gr.Button("表示 / Show", variant="primary", scale=1, elem_id="ictqa-tl-go")
        out = gr.HTML(elem_id="ictqa-tl-results", js_on_load=TIMELINE_JS)
        with gr.Accordion("JSON", open=False):
            out_json = gr.JSON()
        gr.on(
            [go.click, q.submit],
            lambda question, k: answer_timeline(app, question, k),
            [q, n],
            [out, out_json],
            api_name="timeline",
            api_description="One term or question across the editions: the `ictqa timeline --json` object.",
        )
