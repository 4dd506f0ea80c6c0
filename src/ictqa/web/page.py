"""The page: a Gradio Blocks layout of filters and tabs.  A new tab is one
more ``with gr.Tab(...)`` block here, calling a method of
:class:`~.app.App`."""

from __future__ import annotations

from ..batchio import MAX_BATCH_BYTES, SUFFIXES
from .app import MAX_K, WEB_MAX_QUESTIONS, App
from .assets import COPY_JS
from .timeline import add_timeline_tab

EXAMPLES = [
    "デジタル海外展開プラットフォームとは",
    "ITU-Tにおける日本の取組を教えてください",
    "日ASEANのサイバーセキュリティ協力は？",
    "What is DFFT?",
    "What did Japan and ASEAN do on cybersecurity?",
    "Which organisation supports Japanese telecom companies' overseas investment?",
]


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
        add_timeline_tab(app, gr)
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
