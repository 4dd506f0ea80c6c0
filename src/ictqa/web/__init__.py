"""The web form (Gradio Blocks): ask, read the cited passages, run a batch.

:mod:`.render` turns responses into HTML (pure), :mod:`.app` holds the
searcher and the actions, :mod:`.page` lays out the form, :mod:`.assets` its
CSS and script.

API (``gradio_client``; see README "Web API"): ``/ask`` (question, k, editions,
chapters) → (HTML, the ``ask --json`` object or ``{"error": ...}``) and
``/batch`` (file, k, editions, chapters) → (HTML summary, answers.jsonl,
answers.csv).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..batchio import MAX_BATCH_BYTES
from .app import App
from .assets import CSS
from .page import build_blocks
from .timeline import TIMELINE_CSS

# Two cores: one question already keeps both busy in the encoder, so more
# workers only queue on the CPU; two overlap one search with another
# request's parsing and rendering.  bench/load_app.py (16 clients) measured
# 1, 2, 4 and 8 within noise of each other (~12 questions/s).
DEFAULT_CONCURRENCY = 2
QUEUE_MAX = 64

__all__ = ["DEFAULT_CONCURRENCY", "App", "create", "launch"]


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
        css=CSS + TIMELINE_CSS,
        max_file_size=MAX_BATCH_BYTES,
        show_error=False,
        footer_links=["api"],
        **kwargs,
    )
    return demo
