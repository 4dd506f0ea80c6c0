"""Answers printed for a terminal."""

from __future__ import annotations

from typing import TextIO

from ..results import Response


def print_response(response: Response, out: TextIO) -> None:
    if not response.answerable:
        print("(The indexed white papers do not seem to answer this; the nearest passages follow.)", file=out)
    for note in response.notices:
        print(f"note: {note}", file=out)
    if response.translated:
        print(f"also searched as: {'; '.join(t.describe() for t in response.translated)}", file=out)
    for r in response.results:
        c = r.chunk.citation
        print(f"[{r.rank}] {r.score:.3f}  {c.label}", file=out)
        print(indent(r.chunk.text), file=out)
        if r.highlight:
            print(f"    → {r.highlight.text}", file=out)
        print(file=out)


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
