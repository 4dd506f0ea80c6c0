"""``ictqa mcp``: the white papers as tools for an AI assistant (an MCP
server on stdin/stdout; the logic is in :mod:`ictqa.web.mcp_tools`)."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, Add, index_option

_EPILOG = """\
Register it in an MCP client, e.g. Claude Desktop's claude_desktop_config.json:

  {"mcpServers": {"ictqa": {"command": "/path/to/ictqa/.venv/bin/ictqa",
                            "args": ["mcp", "--index", "/path/to/ictqa/index"]}}}

Tools: search_white_paper(question, k, editions), get_passage(chunk_id, neighbours),
list_editions().  Each passage comes with its citation label, its page address where
known and the highlighted sentence, so the assistant can quote rather than paraphrase.
stdout carries the protocol only; messages go to stderr (the client's log).

examples:
  ictqa mcp                       # serve index/ (or $ICTQA_INDEX) on stdin/stdout
  ictqa mcp --index ~/ictqa/index
"""


def register(add: Add) -> None:
    m = add("mcp", "Serve the index to AI assistants over MCP (stdio): search, passages, editions.", _EPILOG)
    index_option(m)
    m.add_argument("--model", default=None, help="must match the model the index was built with")
    m.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    from ..web.mcp_tools import load_tools, serve_stdio

    serve_stdio(load_tools(args.index, args.model))
    return EXIT_OK
