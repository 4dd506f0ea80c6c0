"""The web form (Gradio Blocks): ask, read the cited passages, run a batch.

Every piece of corpus or user text passes through :func:`html.escape` before it
becomes HTML; the ``render_*`` functions are
pure so tests can check that without a server.

API (``gradio_client``; see README "Web API"): ``/ask`` (question, k, editions,
chapters) → (HTML, the ``ask --json`` object or ``{"error": ...}``) and
``/batch`` (file, k, editions, chapters) → (HTML summary, answers.jsonl,
answers.csv).
"""

from __future__ import annotations

import dataclasses
import html
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .batchio import MAX_BATCH_BYTES, SUFFIXES, read_questions, responses_to_csv, responses_to_jsonl
from .errors import IctqaError
from .glossary import Term
from .results import Response, Result

log = logging.getLogger(__name__)

EXAMPLES = [
    "デジタル海外展開プラットフォームとは",
    "ITU-Tにおける日本の取組を教えてください",
    "日ASEANのサイバーセキュリティ協力は？",
    "What is DFFT?",
    "What did Japan and ASEAN do on cybersecurity?",
    "Which organisation supports Japanese telecom companies' overseas investment?",
]

MAX_K = 20
# A chapter filter is applied to the searcher's answer (Searcher.search has
# no chapter argument yet), so ask it for its whole candidate list.
# The web form is shared; a batch holds the search lock in steps of this many
# questions so single questions keep being answered in between, and it is
# capped (the CLI's `ictqa batch` takes any number).
BATCH_STEP = 16
WEB_MAX_QUESTIONS = 1000
# Two cores: one query already keeps torch busy, so more workers only queue
# on the CPU.  Two overlap one search with another request's parsing and
# rendering.  bench/load_app.py (16 clients) measured 1, 2, 4 and 8 within
# noise of each other (~12 questions/s), also with a thread-safe tokenizer
# and no search lock.
DEFAULT_CONCURRENCY = 2
QUEUE_MAX = 64
KEEP_OUTPUTS_SECONDS = 3600

NOT_ANSWERED = (
    "索引済みの白書には、この質問に答える箇所が見当たりません。近い箇所を参考として示します。 / "
    "The indexed white papers do not seem to answer this question; the nearest passages are shown for reference."
)

CSS = """
.ictqa-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 14px; margin: 10px 0; background: #fff; color: #1f2328;}
.ictqa-crumb {color: #57606a; font-size: 0.85em; margin-bottom: 6px;}
.ictqa-passage {white-space: pre-wrap; line-height: 1.7;}
.ictqa-passage mark {background: #fff3a3; padding: 0 1px; color: inherit;}
.ictqa-meta {display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin-top: 8px; font-size: 0.85em; color: #57606a;}
.ictqa-label {font-family: ui-monospace, monospace; background: #f6f8fa; padding: 2px 6px; border-radius: 4px; user-select: all;}
.ictqa-copy {border: 1px solid #d0d7de; border-radius: 4px; background: #f6f8fa; padding: 0 8px; font: inherit; font-size: 0.95em; cursor: pointer;}
.ictqa-banner {border-radius: 8px; padding: 10px 14px; margin: 8px 0; color: #1f2328;}
.ictqa-warn {background: #fff8c5; border: 1px solid #d4a72c;}
.ictqa-error {background: #ffebe9; border: 1px solid #cf222e;}
.ictqa-note {background: #ddf4ff; border: 1px solid #54aeff;}
.ictqa-terms {color: #57606a; font-size: 0.85em; margin: 6px 0;}
"""

# Copy button of a card.  The clipboard API needs a secure context
# (localhost or https); elsewhere the label is selected for Ctrl+C instead.
COPY_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('.ictqa-copy');
  if (!b) return;
  const label = b.parentElement.querySelector('.ictqa-label');
  const done = () => { b.textContent = '✓'; setTimeout(() => { b.textContent = 'コピー / Copy'; }, 1500); };
  const select = () => { const r = document.createRange(); r.selectNodeContents(label);
    const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(b.dataset.label).then(done, select);
  else select();
});
"""


# -- rendering (pure) ---------------------------------------------------------


def _banner(kind: str, text: str) -> str:
    role = "alert" if kind == "error" else "status"
    return f'<div class="ictqa-banner ictqa-{kind}" role="{role}">{html.escape(text)}</div>'


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
    parts = [_banner("note", note) for note in response.notices]
    if not response.answerable:
        parts.append(_banner("warn", NOT_ANSWERED))
    if not response.results:
        parts.append(_banner("warn", "該当する箇所がありません。絞り込みを外してみてください / No passages found; try without the filters."))
    if response.translated and response.results:
        parts.append(render_terms(response.translated))
    parts.extend(render_result(r) for r in response.results)
    return "\n".join(parts)


def render_terms(terms: Sequence[Term], shown: int = 4) -> str:
    """The Japanese words an English question was also searched with, so a
    reader can see why a passage came up (and search them directly)."""
    items = "; ".join(html.escape(t.describe(shown)) for t in terms)
    return f'<div class="ictqa-terms">日本語でも検索 / Also searched as: {items}</div>'


# -- the state behind the form ------------------------------------------------


class App:
    """One searcher, loaded once and shared by all sessions."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._searcher = None
        self._load_lock = threading.Lock()
        # Searches are serialised: lexical.words() shares one fugashi Tagger,
        # which gives wrong tokens when two threads parse at once.  On two
        # cores this costs little, since torch already uses both for one query.
        # Batch answers are written only under this temporary directory
        # (removed with the App); uploads stay in Gradio's temp dir.
        self._tmp = tempfile.TemporaryDirectory(prefix="ictqa-web-")
        self._out = Path(self._tmp.name)

    @property
    def searcher(self):
        if self._searcher is None:
            with self._load_lock:
                if self._searcher is None:
                    from .search import Searcher

                    self._searcher = Searcher.open(self.index_dir)
        return self._searcher

    def editions(self) -> list[str]:
        return sorted({c.citation.edition for c in self.searcher.chunks if c.citation.edition})

    def chapters(self) -> list[str]:
        return sorted({c.citation.chapter for c in self.searcher.chunks if c.citation.chapter})

    def _search(self, questions: Sequence[str], k: Any, editions: Sequence[str] | None, chapters: Sequence[str] | None):
        k = _clamp_k(k)
        return self.searcher.search_many(list(questions), k=k, editions=editions or None, chapters=chapters or None)

    def ask(self, question: str, k: float = 5, editions: list[str] | None = None, chapters: list[str] | None = None):
        """Answer one question: (HTML cards, the `ictqa ask --json` object or {"error": message})."""
        try:
            (response,) = self._search([question if isinstance(question, str) else ""], k, editions, chapters)
            if isinstance(response, IctqaError):
                raise response
        except IctqaError as e:
            return render_error(e.message), {"error": e.message}
        except Exception:  # the page must never show a traceback
            log.exception("search failed")
            msg = "Something went wrong on the server while searching; the error was logged."
            return render_error(msg), {"error": msg}
        return render_response(response), response.to_json()

    def batch(
        self,
        file: str | None,
        k: float = 5,
        editions: list[str] | None = None,
        chapters: list[str] | None = None,
        progress: Callable[..., Any] | None = None,
    ):
        """Answer a question file: (HTML summary, answers.jsonl path, answers.csv path)."""
        if not file:
            return render_error("No file uploaded. Upload a .txt, .jsonl or .csv file of questions."), None, None
        try:
            rows, problems = read_questions(Path(file))
            if len(rows) > WEB_MAX_QUESTIONS:
                raise IctqaError(
                    f"the file has {len(rows):,} questions",
                    expected=f"at most {WEB_MAX_QUESTIONS:,} in the web form",
                    fix="split the file, or run `ictqa batch` on this machine",
                )
            responses: list[Response] = []
            for start in range(0, len(rows), BATCH_STEP):
                if progress is not None:  # not `if progress`: gr.Progress is falsy (len 0)
                    progress((start, len(rows)), desc="質問に回答中 / Answering", unit="questions")
                step = rows[start : start + BATCH_STEP]
                for (rid, where, _), r in zip(step, self._search([q for *_, q in step], k, editions, chapters)):
                    if isinstance(r, IctqaError):
                        problems.append(f"{where}: {r.message}")
                    else:
                        responses.append(dataclasses.replace(r, id=rid))
        except IctqaError as e:
            return render_error(e.message), None, None
        except Exception:  # as above
            log.exception("batch failed")
            return render_error("Something went wrong on the server while answering the file; the error was logged."), None, None
        out = self._new_output_dir()
        jsonl, csvf = out / "answers.jsonl", out / "answers.csv"
        jsonl.write_text(responses_to_jsonl(responses), encoding="utf-8")
        csvf.write_text(responses_to_csv(responses), encoding="utf-8-sig", newline="")
        summary = f"{len(responses)} 問に回答 / question(s) answered"
        if problems:
            summary += f"; {len(problems)} 行をスキップ / row(s) skipped:"
        return "\n".join([_banner("note", summary), *(_banner("warn", p) for p in problems)]), str(jsonl), str(csvf)

    def _new_output_dir(self) -> Path:
        # Gradio copies returned files into its own cache (cleaned by
        # delete_cache), so our copies are only needed for a moment; old ones
        # are pruned here rather than kept for the server's lifetime.
        now = time.time()
        for old in self._out.iterdir():
            if now - old.stat().st_mtime > KEEP_OUTPUTS_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=self._out))

    def info_markdown(self) -> str:
        m = self.searcher.index.manifest
        eds = sorted({d.get("edition") or "?" for d in m.get("documents", [])})
        return "\n".join(
            [
                f"- **文書 / Documents:** {m['counts']['documents']}",
                f"- **版 / Editions:** {html.escape(', '.join(eds))}",
                f"- **章 / Chapters:** {html.escape(', '.join(self.chapters()))}",
                f"- **箇所 / Passages (chunks):** {m['counts']['chunks']}",
                f"- **モデル / Model:** `{html.escape(m['model']['id'])}` (dim {m['model']['dimension']})",
                f"- **作成 / Built:** {html.escape(str(m.get('built_at')))}",
                f"- **索引 / Index:** `{html.escape(str(self.index_dir))}`",
                "- 出典：総務省「情報通信白書」(CC BY 4.0)",
            ]
        )


def _clamp_k(k: Any) -> int:
    try:
        return max(1, min(int(k), MAX_K))
    except (TypeError, ValueError):
        return 5


# -- the page ------------------------------------------------------------------


def build_blocks(app: App):
    import gradio as gr

    # delete_cache: uploads and downloads in Gradio's temp dir go after an hour.
    with gr.Blocks(title="ictqa — 情報通信白書 QA", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(
            "# ictqa — 情報通信白書 検索 / White paper search\n"
            "日本語または英語で質問してください。答えている箇所を引用付きで示します。  \n"
            "Ask in Japanese or English; the passages that answer come back with their citations."
        )
        with gr.Row():
            k = gr.Slider(1, MAX_K, value=5, step=1, label="件数 / Top-k", scale=1)
            editions = gr.Dropdown(
                choices=app.editions(), multiselect=True, value=[], label="版 / Editions (空 = すべて / empty = all)", scale=2
            )
            chapters = gr.Dropdown(
                choices=app.chapters(), multiselect=True, value=[], label="章 / Chapters (空 = すべて / empty = all)", scale=2
            )
        with gr.Tab("質問 / Ask"):
            with gr.Row(equal_height=True):
                question = gr.Textbox(
                    label="質問 / Question (Enter で検索 / Enter to search)",
                    placeholder="例: DFFTとは何ですか / e.g. What is DFFT?",
                    lines=1,
                    max_lines=1,
                    scale=5,
                    elem_id="ictqa-question",
                )
                ask_btn = gr.Button("検索 / Search", variant="primary", scale=1, elem_id="ictqa-ask")
            examples = gr.Examples(EXAMPLES, inputs=question, label="例 / Examples")
            out_html = gr.HTML(elem_id="ictqa-results", js_on_load=COPY_JS)
            with gr.Accordion("JSON", open=False):
                out_json = gr.JSON()
            ask_inputs, ask_outputs = [question, k, editions, chapters], [out_html, out_json]
            gr.on(
                [ask_btn.click, question.submit],
                app.ask,
                ask_inputs,
                ask_outputs,
                api_name="ask",
                api_description="Answer one question. Returns the result cards as HTML and the `ictqa ask --json` object "
                '(or {"error": message} for a question that cannot be searched).',
            )
            examples.load_input_event.then(app.ask, ask_inputs, ask_outputs, api_visibility="private")
        with gr.Tab("一括 / Batch"):
            gr.Markdown(
                "質問ファイル（.txt 1行1問、.jsonl `question`/`id`、.csv `question`/`id` 列）をアップロード。"
                f"最大 {MAX_BATCH_BYTES // 2**20} MB・{WEB_MAX_QUESTIONS} 問。  \n"
                "Upload questions: .txt (one a line), .jsonl (`question`, optional `id`) or .csv (`question` column, "
                f"optional `id`); at most {MAX_BATCH_BYTES // 2**20} MB and {WEB_MAX_QUESTIONS} questions. "
                "Bad rows are reported and skipped."
            )
            upload = gr.File(label="質問ファイル / Question file", file_types=list(SUFFIXES), elem_id="ictqa-upload")
            run = gr.Button("実行 / Run", variant="primary", elem_id="ictqa-run")
            status = gr.HTML(elem_id="ictqa-batch-status")
            with gr.Row():
                dl_jsonl = gr.File(label="JSON Lines", elem_id="ictqa-dl-jsonl", interactive=False)
                dl_csv = gr.File(label="CSV", elem_id="ictqa-dl-csv", interactive=False)

            def batch(file, k, editions, chapters, progress=gr.Progress()):  # noqa: B008 - how Gradio injects a progress bar
                return app.batch(file, k, editions, chapters, progress=progress)

            # One batch at a time, in its own queue slot, so files never
            # starve single questions.
            run.click(
                batch,
                [upload, k, editions, chapters],
                [status, dl_jsonl, dl_csv],
                api_name="batch",
                api_description="Answer a .txt/.jsonl/.csv question file (the `ictqa batch` formats). Returns an HTML "
                "summary (answered count, one line per skipped row) and the answers as JSON Lines and CSV files.",
                concurrency_limit=1,
                concurrency_id="batch",
            )
        with gr.Tab("索引 / Index info"):
            gr.Markdown(app.info_markdown(), elem_id="ictqa-info")
    return demo


def create(index_dir: Path, concurrency: int = DEFAULT_CONCURRENCY):
    """The queued Blocks for ``index_dir`` (the index is loaded now, so the
    first question is fast and a missing index fails before serving)."""
    app = App(index_dir)
    app.searcher  # noqa: B018
    demo = build_blocks(app)
    demo.queue(default_concurrency_limit=concurrency, max_size=QUEUE_MAX)
    return demo


def launch(
    index_dir: Path = Path("index"),
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    **kwargs: Any,
):
    """Serve the form (blocks unless ``prevent_thread_lock=True``); returns
    the Blocks so a caller can ``close()`` it."""
    demo = create(index_dir, concurrency)
    demo.launch(
        server_name=host,
        server_port=port,
        css=CSS,
        max_file_size=MAX_BATCH_BYTES,
        show_error=False,
        footer_links=["api"],
        **kwargs,
    )
    return demo
