"""The web form (Gradio Blocks): ask, read the cited passages, run a batch.

Every piece of corpus or user text passes through :func:`html.escape` before it
becomes HTML; the rendering functions are pure so tests can check that.
"""

from __future__ import annotations

import html
import logging
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .batchio import MAX_BATCH_BYTES, parse_questions, responses_to_csv, responses_to_jsonl
from .errors import IctqaError
from .results import Response, Result

log = logging.getLogger(__name__)

EXAMPLES = [
    "デジタル海外展開プラットフォームの会員数は？",
    "ITU-Tにおける日本の取組を教えてください",
    "What is Data Free Flow with Trust (DFFT)?",
    "Which organisation supports Japanese telecom companies' overseas investment?",
]

CSS = """
.ictqa-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 14px; margin: 10px 0; background: #fff;}
.ictqa-crumb {color: #57606a; font-size: 0.85em; margin-bottom: 6px;}
.ictqa-passage {white-space: pre-wrap; line-height: 1.7; color: #1f2328;}
.ictqa-passage mark {background: #fff3a3; padding: 0 1px;}
.ictqa-meta {display: flex; gap: 12px; align-items: center; margin-top: 8px; font-size: 0.85em; color: #57606a;}
.ictqa-label {font-family: ui-monospace, monospace; background: #f6f8fa; padding: 2px 6px; border-radius: 4px; user-select: all;}
.ictqa-banner {border-radius: 8px; padding: 10px 14px; margin: 8px 0;}
.ictqa-warn {background: #fff8c5; border: 1px solid #d4a72c;}
.ictqa-error {background: #ffebe9; border: 1px solid #cf222e;}
.ictqa-note {background: #ddf4ff; border: 1px solid #54aeff;}
"""


def _banner(kind: str, text: str) -> str:
    return f'<div class="ictqa-banner ictqa-{kind}" role="status">{html.escape(text)}</div>'


def render_error(message: str) -> str:
    return _banner("error", message)


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
    return (
        f'<div class="ictqa-card" data-rank="{r.rank}">'
        f'<div class="ictqa-crumb">#{r.rank} · {crumb}{kind}</div>'
        f'<div class="ictqa-passage">{body}</div>'
        f'<div class="ictqa-meta"><span>score {r.score:.3f}</span>'
        f'<span>引用 / cite: <span class="ictqa-label">{html.escape(c.label)}</span></span></div>'
        "</div>"
    )


def render_response(response: Response) -> str:
    parts: list[str] = []
    for note in response.notices:
        parts.append(_banner("note", note))
    if not response.answerable:
        parts.append(
            _banner(
                "warn",
                "索引済みの白書には、この質問に答える箇所が見当たりません。近い箇所を参考として示します。 / "
                "The indexed white papers do not seem to answer this question; the nearest passages are shown for reference.",
            )
        )
    if not response.results:
        parts.append(_banner("warn", "該当する箇所がありません / No passages found."))
    parts.extend(render_result(r) for r in response.results)
    return "\n".join(parts)


class App:
    """The state behind the form: one searcher, loaded once, shared by all
    sessions (answers are read-only)."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._searcher = None
        self._lock = threading.Lock()

    @property
    def searcher(self):
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    from .search import Searcher

                    self._searcher = Searcher.open(self.index_dir)
        return self._searcher

    def editions(self) -> list[str]:
        try:
            return sorted({c.citation.edition for c in self.searcher.chunks if c.citation.edition})
        except IctqaError:
            return []

    def ask(self, question: str, k: float = 5, editions: Sequence[str] | None = None) -> tuple[str, dict[str, Any]]:
        try:
            response = self.searcher.search(question or "", k=int(k), editions=editions or None)
        except IctqaError as e:
            return render_error(e.message), {"error": e.message}
        except Exception:  # noqa: BLE001 - the page must never show a traceback
            log.exception("search failed")
            return render_error("Something went wrong on the server while searching; the error was logged."), {
                "error": "internal error"
            }
        return render_response(response), response.to_json()

    def batch(self, file_path: str | None, k: float = 5, editions: Sequence[str] | None = None):
        if not file_path:
            return render_error("No file uploaded. Upload a .txt, .jsonl or .csv file of questions."), None, None
        path = Path(file_path)
        try:
            size = path.stat().st_size
            if size > MAX_BATCH_BYTES:
                raise IctqaError(
                    f"the file is {size / 1e6:.1f} MB", expected=f"at most {MAX_BATCH_BYTES / 1e6:.0f} MB", fix="split it"
                )
            if path.suffix.lower() not in (".txt", ".jsonl", ".csv"):
                raise IctqaError(
                    f"{path.name} is not a question file",
                    expected="a .txt (one question a line), .jsonl or .csv file",
                )
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("cp932")
            if "\x00" in text:
                raise IctqaError(f"{path.name} contains binary data", expected="a text file of questions")
            rows, bad = parse_questions(text, path.suffix.lower())
        except IctqaError as e:
            return render_error(e.message), None, None
        except (UnicodeDecodeError, OSError):
            return render_error(f"{path.name} could not be read as text (UTF-8 or Shift_JIS)."), None, None
        responses: list[Response] = []
        problems = list(bad)
        import dataclasses

        for (rid, where, _), r in zip(rows, self.searcher.search_many([q for *_, q in rows], k=int(k), editions=editions or None)):
            if isinstance(r, IctqaError):
                problems.append(f"{where}: {r.message}")
            else:
                responses.append(dataclasses.replace(r, id=rid))
        out_dir = Path(tempfile.mkdtemp(prefix="ictqa-batch-"))
        jsonl = out_dir / "answers.jsonl"
        csvf = out_dir / "answers.csv"
        jsonl.write_text(responses_to_jsonl(responses), encoding="utf-8")
        csvf.write_text(responses_to_csv(responses), encoding="utf-8-sig")
        summary = f"{len(responses)} question(s) answered"
        if problems:
            summary += f", {len(problems)} skipped"
        parts = [_banner("note", summary)]
        parts += [_banner("warn", p) for p in problems]
        return "\n".join(parts), str(jsonl), str(csvf)

    def info_markdown(self) -> str:
        try:
            m = self.searcher.index.manifest
        except IctqaError as e:
            return f"**Index:** {html.escape(e.message)}"
        eds = sorted({d.get("edition") or "?" for d in m.get("documents", [])})
        lines = [
            f"- **Documents / 文書:** {m['counts']['documents']}",
            f"- **Editions / 版:** {html.escape(', '.join(eds))}",
            f"- **Passages / 箇所:** {m['counts']['chunks']}",
            f"- **Model / モデル:** `{html.escape(m['model']['id'])}` (dim {m['model']['dimension']})",
            f"- **Built / 作成:** {html.escape(str(m.get('built_at')))}",
            "- 出典：総務省「情報通信白書」(CC BY 4.0)",
        ]
        return "\n".join(lines)


def build_blocks(app: App):
    import gradio as gr

    with gr.Blocks(title="ictqa — 情報通信白書 QA") as demo:
        gr.Markdown(
            "# ictqa — 情報通信白書 検索 / White paper search\n"
            "日本語または英語で質問してください。回答箇所を引用付きで示します。  \n"
            "Ask in Japanese or English; the passages that answer come back with their citations."
        )
        with gr.Tab("質問 / Ask"):
            with gr.Row():
                question = gr.Textbox(
                    label="質問 / Question",
                    placeholder="例: DFFTとは何ですか / e.g. What is DFFT?",
                    lines=1,
                    max_lines=4,
                    scale=5,
                    elem_id="ictqa-question",
                )
                ask_btn = gr.Button("検索 / Search", variant="primary", scale=1, elem_id="ictqa-ask")
            with gr.Row():
                k = gr.Slider(1, 20, value=5, step=1, label="件数 / Top-k")
                editions = gr.Dropdown(
                    choices=app.editions(), multiselect=True, label="版 / Editions (empty = all)", value=[]
                )
            out_html = gr.HTML(elem_id="ictqa-results")
            with gr.Accordion("JSON", open=False):
                out_json = gr.JSON()
            gr.Examples(EXAMPLES, inputs=question)
            ask_btn.click(app.ask, [question, k, editions], [out_html, out_json], api_name="ask")
            question.submit(app.ask, [question, k, editions], [out_html, out_json], api_name=False)
        with gr.Tab("一括 / Batch"):
            gr.Markdown(
                "質問ファイル（.txt 1行1問、.jsonl `question`/`id`、.csv `question`/`id` 列）をアップロード。  \n"
                "Upload questions: .txt (one a line), .jsonl (`question`, optional `id`) or .csv (`question` column)."
            )
            upload = gr.File(label="質問ファイル / Question file", file_types=[".txt", ".jsonl", ".csv"], elem_id="ictqa-upload")
            bk = gr.Slider(1, 20, value=5, step=1, label="件数 / Top-k")
            run = gr.Button("実行 / Run", variant="primary", elem_id="ictqa-run")
            status = gr.HTML(elem_id="ictqa-batch-status")
            with gr.Row():
                dl_jsonl = gr.File(label="JSON Lines", elem_id="ictqa-dl-jsonl")
                dl_csv = gr.File(label="CSV", elem_id="ictqa-dl-csv")
            run.click(app.batch, [upload, bk, editions], [status, dl_jsonl, dl_csv], api_name="batch")
        with gr.Tab("索引 / Index info"):
            gr.Markdown(app.info_markdown())
    return demo


def launch(index_dir: Path = Path("index"), host: str = "127.0.0.1", port: int = 7860, **kwargs: Any):
    app = App(index_dir)
    app.searcher  # load before serving so the first question is fast  # noqa: B018
    demo = build_blocks(app)
    demo.queue(default_concurrency_limit=4)
    return demo.launch(
        server_name=host,
        server_port=port,
        css=CSS,
        max_file_size=MAX_BATCH_BYTES,
        show_error=False,
        footer_links=["api"],
        **kwargs,
    )
