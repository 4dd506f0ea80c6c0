"""The web form (Gradio Blocks) and, on the same port, the plain HTTP JSON API.

:mod:`.render` turns responses into HTML (pure), :mod:`.app` holds the
searcher and the actions, :mod:`.page` lays out the form, :mod:`.assets` its
CSS and script; :mod:`.api` is the JSON API under ``/api`` (README "From
other programs"), :mod:`.catalogue` what it and the MCP server
(:mod:`.mcp_tools`) say about the index.

Gradio API (``gradio_client``; see README "Web API"): ``/ask`` (question, k,
editions, chapters) → (HTML, the ``ask --json`` object or ``{"error": ...}``)
and ``/batch`` (file, k, editions, chapters) → (HTML summary, answers.jsonl,
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
# 1, 2, 4 and 8 within noise of each other (~12 questions/s).  The JSON API
# has the same number of searches at once and the same queue length.
DEFAULT_CONCURRENCY = 2
QUEUE_MAX = 64

__all__ = ["DEFAULT_CONCURRENCY", "App", "create", "launch"]


def create(index_dir: Path, concurrency: int = DEFAULT_CONCURRENCY):
    """The queued Blocks for ``index_dir`` (the index is loaded now, so the
    first question is fast and a missing index fails before serving)."""
    return _form(_loaded(index_dir), concurrency)


def _loaded(index_dir: Path) -> App:
    app = App(index_dir)
    app.searcher  # noqa: B018
    return app


def _form(app: App, concurrency: int):
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
    """Serve the form at ``/`` and the JSON API at ``/api`` from one process
    and port (blocks unless ``prevent_thread_lock=True``); returns the Blocks
    so a caller can ``close()`` it."""
    from starlette.routing import Mount

    from .api import API_PREFIX, create_api

    app = _loaded(index_dir)
    demo = _form(app, concurrency)
    # Gradio builds its FastAPI app inside launch(); a route given to the
    # constructor comes before Gradio's own, and a mounted app keeps its own
    # OpenAPI description (ours only) and error handlers (JSON only).
    app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
    api = create_api(app, concurrency=concurrency, queue_max=QUEUE_MAX)
    app_kwargs["routes"] = [*app_kwargs.get("routes", ()), Mount(API_PREFIX, app=api)]
    demo.launch(
        server_name=host,
        server_port=port,
        css=CSS + TIMELINE_CSS,
        max_file_size=MAX_BATCH_BYTES,
        show_error=False,
        footer_links=["api"],
        app_kwargs=app_kwargs,
        **kwargs,
    )
    return demo
