"""The MCP server (``ictqa mcp``): the white papers as tools an AI assistant
calls, answering with passages it can quote and cite rather than paraphrase.

Tools: ``search_white_paper(question, k, editions)``, ``get_passage(chunk_id,
neighbours)``, ``list_editions()`` and ``timeline(topic, k)``.  Every passage
comes with its citation label, its page address where the index knows it
(``url``, else null), its page, and, for a search, the highlighted sentence
(``quote``).

:class:`Tools` is plain Python over a :class:`~ictqa.search.Searcher` (tested
without the SDK); :func:`build_server` registers it with the official ``mcp``
SDK and :func:`serve_stdio` serves it on stdin/stdout.  On stdio, stdout
carries the protocol only: the SDK points file descriptor 1 at stderr while
it serves, and :func:`serve_stdio` does the same while the index loads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from .. import __version__
from ..errors import IctqaError
from ..results import Response, Result
from ..search import Searcher
from .app import MAX_K
from .catalogue import DEFAULT_NEIGHBOURS, MAX_NEIGHBOURS, Catalogue, cited

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

log = logging.getLogger(__name__)

NAME = "ictqa"
WARM_UP = "情報通信白書"

INSTRUCTIONS = """\
These tools search Japan's MIC white papers on information and communications \
(総務省「情報通信白書」) and return the passages that answer, in Japanese, each with a citation.

When you use them:
- Quote, do not paraphrase. Give the `quote` (the sentence that answers) or the passage `text` \
verbatim in Japanese, in 「」, followed by its `label` in full, e.g. \
「…100を超える会員…」（令和5年版 情報通信白書 第5章第8節 2(1) 総務省における海外展開支援ツール）. \
Add the `url` when it is not null.
- Translate only when the user needs it, next to the Japanese quote, and say the translation is yours.
- When `answerable` is false, say that the indexed white papers do not seem to answer the question; \
do not present the nearest passages as the answer.
- Use get_passage with a result's `chunk_id` to read the passages around a quote before relying on it, \
and list_editions to see which years can be searched (pass them as `editions`, e.g. ["2023"]).
- Questions may be Japanese or English; Japanese questions match the text most closely."""


class Tools:
    """The tools' logic: plain functions returning JSON-ready dicts, raising
    IctqaError with a message for the assistant (or its user) to act on."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.catalogue = Catalogue(searcher.chunks, searcher.index.manifest)

    def search_white_paper(self, question: str, k: int = 5, editions: list[str] | None = None) -> dict[str, Any]:
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise IctqaError(f"k is {k!r}", expected=f"a whole number from 1 to {MAX_K}")
        wanted = self.catalogue.check_editions(editions)
        return searched(self.searcher.search(question, k=k, editions=wanted))

    def get_passage(self, chunk_id: str, neighbours: int = DEFAULT_NEIGHBOURS) -> dict[str, Any]:
        return self.catalogue.passage(chunk_id, neighbours)

    def timeline(self, topic: str, k: int = 2) -> dict[str, Any]:
        from ..search import timeline

        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise IctqaError(f"k is {k!r}", expected=f"a whole number from 1 to {MAX_K}")
        t = timeline(self.searcher, topic, k=k)
        first = t.first
        return {
            "topic": t.query,
            "terms": list(t.terms),
            "method": t.method,
            "first": None if first is None else _result(first),
            "editions": [
                {"year": e.year, "edition": e.edition, "matches": e.matches, "results": [_result(r) for r in e.results]}
                for e in t.editions
            ],
        }

    def list_editions(self) -> dict[str, Any]:
        m = self.catalogue.manifest
        return {
            "editions": [e.to_json() for e in self.catalogue.editions],
            "passages": m.counts.chunks,
            "built_at": m.built_at,
            "attribution": "出典：総務省「情報通信白書」(CC BY 4.0)",
        }


def searched(response: Response) -> dict[str, Any]:
    """A search as an assistant should use it: per passage the citation
    label, the address, the sentence to quote and the passage."""
    out: dict[str, Any] = {
        "question": response.query,
        "answerable": response.answerable,
        "results": [_result(r) for r in response.results],
    }
    if not response.answerable:
        out["note"] = (
            "The indexed white papers do not seem to answer this question; the nearest passages follow. "
            "Say so rather than answering from them."
        )
    if response.notices:
        out["notices"] = list(response.notices)
    if response.translated:
        out["translated_terms"] = [{"english": t.english, "japanese": list(t.japanese)} for t in response.translated]
    if response.editions_detected:
        out["editions_detected"] = [e.to_json() for e in response.editions_detected]
    return out


def _result(r: Result) -> dict[str, Any]:
    c = cited(r.chunk)
    return {
        "rank": r.rank,
        "label": c["label"],
        "quote": r.highlight.text if r.highlight else None,
        "url": c["url"],
        "page": c["page"],
        "kind": c["kind"],
        "chunk_id": c["chunk_id"],
        "text": c["text"],
        "score": round(r.score, 4),
        "citation": c["citation"],
        "also_in": [a.to_json() for a in r.also_in],
    }


def build_server(tools: Tools) -> MCPServer:
    """The MCP server (official SDK) exposing ``tools``."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    server: MCPServer = MCPServer(NAME, title="情報通信白書 (ictqa)", instructions=INSTRUCTIONS, version=__version__)
    # Read-only, and the world they search is the local index.
    reading = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

    def search_white_paper(
        question: Annotated[str, Field(description="the question, in Japanese or English")],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="how many passages")] = 5,
        editions: Annotated[
            list[str] | None,
            Field(description='only these editions: years such as ["2019", "2023"] or labels; default all'),
        ] = None,
    ) -> dict[str, Any]:
        """Search the white papers; returns the best passages, each with its citation `label`, the highlighted
        sentence to quote (`quote`), the passage `text`, `url`/`page` where known, and `chunk_id` for get_passage.
        `answerable` is false when the white papers do not seem to answer the question."""
        try:
            return tools.search_white_paper(question, k, editions)
        except IctqaError as e:
            raise ToolError(e.message) from e

    def get_passage(
        chunk_id: Annotated[str, Field(description="a search result's chunk_id, e.g. 000_589c5af6fc00dccb.txt#5259")],
        neighbours: Annotated[
            int, Field(ge=0, le=MAX_NEIGHBOURS, description="passages to include before and after, within the same section")
        ] = DEFAULT_NEIGHBOURS,
    ) -> dict[str, Any]:
        """One passage with its full citation and its neighbours in the same section (`before`, `after`):
        read the context of a quote before relying on it."""
        try:
            return tools.get_passage(chunk_id, neighbours)
        except IctqaError as e:
            raise ToolError(e.message) from e

    def list_editions() -> dict[str, Any]:
        """The editions the index holds: label (e.g. 令和5年版 情報通信白書), year, passages and chapters."""
        return tools.list_editions()

    def timeline(
        topic: Annotated[str, Field(description="a term or a question, Japanese or English, e.g. ブロックチェーン")],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="passages per edition")] = 2,
    ) -> dict[str, Any]:
        """One topic across the editions, oldest first: per edition how many passages mention it (`matches`) and the
        best of them; `first` is the earliest edition's best passage. Use it for "when did the white paper first
        mention …" and "how did … change over the years"."""
        try:
            return tools.timeline(topic, k)
        except IctqaError as e:
            raise ToolError(e.message) from e

    for fn in (search_white_paper, get_passage, list_editions, timeline):
        server.add_tool(fn, annotations=reading, structured_output=True)
    return server


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Anything written to stdout meanwhile (Python or a native library)
    goes to stderr, so the protocol stream stays clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def load_tools(index_dir: Path, model: str | None = None) -> Tools:
    """The tools over ``index_dir``, loaded with stdout pointed at stderr."""
    with _stdout_to_stderr():
        tools = Tools(Searcher.open(index_dir, model))
        # The first question compiles the model's engine: done now, so an
        # engine that cannot run fails before serving and the assistant's
        # first call is as fast as the others.
        tools.searcher.search(WARM_UP, k=1)
    return tools


def serve_stdio(tools: Tools) -> None:
    """Serve ``tools`` on stdin/stdout until the client closes stdin."""
    build_server(tools).run("stdio")
