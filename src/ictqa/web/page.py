"""The page: a Gradio Blocks layout of filters and tabs.  A new tab is one
more ``with gr.Tab(...)`` block here, calling a method of
:class:`~.app.App`."""

from __future__ import annotations

from ..batchio import MAX_BATCH_BYTES, SUFFIXES
from .app import MAX_K, WEB_MAX_QUESTIONS, App
from .assets import COPY_JS, LINK_JS
from .render import PREVIEW_ROWS
from .timeline import add_timeline_tab


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
            # allow_custom_value: a name the index lacks reaches the app, which
            # refuses it with the names it holds (and one line in the log);
            # Gradio's own check would print a traceback on the server.
            editions = gr.Dropdown(
                choices=app.editions(),
                multiselect=True,
                value=[],
                allow_custom_value=True,
                label="版 / Editions (空 = すべて / empty = all)",
                scale=2,
                elem_id="ictqa-editions",
            )
            chapters = gr.Dropdown(
                choices=app.chapters(),
                multiselect=True,
                value=[],
                allow_custom_value=True,
                label="章 / Chapters (空 = すべて / empty = all)",
                scale=2,
                elem_id="ictqa-chapters",
            )
        # The chapters on offer are those of the chosen editions.
        editions.change(app.chapter_choices, [editions, chapters], chapters, api_visibility="private", queue=False)
        with gr.Tab("質問 / Ask"):
            with gr.Row(equal_height=True, elem_id="ictqa-ask-row"):
                question = gr.Textbox(
                    label="質問 / Question",
                    placeholder="例: DFFTとは / What is DFFT?",
                    lines=1,
                    max_lines=1,
                    scale=6,
                    elem_id="ictqa-question",
                )
                ask_btn = gr.Button("検索 / Search", variant="primary", scale=1, min_width=100, elem_id="ictqa-ask")
                link_btn = gr.Button("リンク / Link", scale=1, min_width=90, elem_id="ictqa-link")
            examples = gr.Examples(app.examples(), inputs=question, label="例 / Examples")
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
                '(or {"error": message} for a question that cannot be searched, or an edition or chapter the index lacks).',
            )
            examples.load_input_event.then(app.ask, ask_inputs, ask_outputs, api_visibility="private")
            # "Link to this question": the address with ?q=…&edition=…, copied.
            link_btn.click(None, [question, editions], None, js=LINK_JS, api_visibility="private")

            def opened(k, request: gr.Request):
                try:
                    params = request.query_params
                except AttributeError:  # no HTTP request behind the event
                    params = {}
                # ?edition= may repeat: a multi-dict has getlist.
                edition = params.getlist("edition") if hasattr(params, "getlist") else params.get("edition")
                return app.from_address({"q": params.get("q"), "edition": edition or [], "all": params.get("all")}, k)

            # Gradio injects the request by the annotation's type, which this
            # module's postponed annotations leave as a string.
            opened.__annotations__["request"] = gr.Request
            # A shared link (?q=…&edition=…) opens with its answer shown.
            demo.load(opened, [k], [question, editions, out_html, out_json], api_visibility="private")
        add_timeline_tab(app, gr)
        with gr.Tab("一括 / Batch"):
            gr.Markdown(
                "質問ファイル（.txt 1行1問、.jsonl `question`/`id`、.csv `question`/`id` 列）をアップロード。"
                f"最大 {MAX_BATCH_BYTES // 2**20} MB・{WEB_MAX_QUESTIONS} 問。最初の {PREVIEW_ROWS} 件をここに表示します。  \n"
                "Upload questions: .txt (one a line), .jsonl (`question`, optional `id`) or .csv (`question` column, "
                f"optional `id`); at most {MAX_BATCH_BYTES // 2**20} MB and {WEB_MAX_QUESTIONS} questions. "
                f"Bad rows are reported and skipped; the first {PREVIEW_ROWS} answers are shown here before you download."
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
                f"summary (answered count, one line per skipped row, a table of the first {PREVIEW_ROWS} answers) and the "
                "answers as JSON Lines and CSV files.",
                concurrency_limit=1,
                concurrency_id="batch",
            )
        with gr.Tab("索引 / Index info"):
            gr.Markdown(app.info_markdown(), elem_id="ictqa-info")
    return demo
