"""Answers printed for a terminal.

Every line of a passage is indented under its citation (figure text too, whose
lines would otherwise start at column 0), a figure is shown compactly (its
caption and its first lines joined), the answer span is bold inside the
highlighted sentence (or «…» when the output is not a terminal), and for an
English question each Japanese word of a translated term is followed by the
term in brackets: 海底ケーブル[submarine cable].
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from ..parse.reflow import is_wide
from ..results import Response, Result, TermSpan, citation_formats

INDENT = "    "
# A figure shows its caption and this much of its other lines, joined.
FIGURE_PREVIEW_CHARS = 160


@dataclass(frozen=True)
class Style:
    bold: bool = False  # ANSI bold for the answer span; «…» otherwise
    cite: str = "plain"  # a results.CITE_FORMATS name
    full: bool = False  # figures: every line, not the preview


def style_for(out: TextIO, cite: str = "plain", full: bool = False) -> Style:
    """Bold on a terminal unless NO_COLOR is set (https://no-color.org)."""
    tty = bool(getattr(out, "isatty", lambda: False)())
    return Style(bold=tty and not os.environ.get("NO_COLOR"), cite=cite, full=full)


def print_response(response: Response, out: TextIO, style: Style | None = None) -> None:
    style = style or Style()
    if not response.answerable:
        print("(The indexed white papers do not seem to answer this; the nearest passages follow.)", file=out)
    for note in response.notices:
        print(f"note: {note}", file=out)
    if any(e.applied and e.use != "boost" for e in response.editions_detected):
        print("      (--all-editions searches every edition)", file=out)
    if response.translated:
        print(f"also searched as: {'; '.join(t.describe() for t in response.translated)}", file=out)
    if not response.results:
        print("(no passages: try without --edition)", file=out)
    for r in response.results:
        print_result(r, out, style)
        print(file=out)


def print_result(r: Result, out: TextIO, style: Style) -> None:
    c = r.chunk.citation
    print(f"[{r.rank}] {r.score:.3f}  {citation_formats(c)[style.cite]}", file=out)
    text = r.chunk.text
    if r.chunk.kind == "figure":
        for line in figure_lines(r, style):
            print(INDENT + line, file=out)
    else:
        print(indent(annotate(text, 0, len(text), r.term_spans)), file=out)
    h = r.highlight
    if h:
        answer = (h.answer.start, h.answer.end) if h.answer else None
        marked = annotate(text, h.start, h.end, r.term_spans, answer, style)
        print(f"{INDENT}→ " + " / ".join(x.strip() for x in marked.splitlines() if x.strip()), file=out)
    if r.also_in:
        years = ", ".join(str(a.year) for a in r.also_in if a.year)
        print(f"{INDENT}also in the {years} edition{'s' if len(r.also_in) > 1 else ''}", file=out)


def figure_lines(r: Result, style: Style) -> list[str]:
    """A figure as a few lines: its caption (the figure number and title),
    then its other fragments joined with " / " up to FIGURE_PREVIEW_CHARS,
    and how many were left out (``--full`` prints them all, one a line)."""
    text = r.chunk.text
    lines = [x for x in (annotate(text, s, e, r.term_spans) for s, e in _line_spans(text)) if x.strip()]
    if not lines:
        return []
    if style.full:
        return lines
    head, rest = lines[0], lines[1:]
    figure = r.chunk.citation.figure
    if figure and not head.startswith(figure):
        # A long figure is cut into several passages; the later ones start
        # mid-figure, so name the figure first.
        head, rest = f"{figure} （続き / continued）", lines
    shown: list[str] = []
    size = 0
    for line in rest:
        if size and size + len(line) > FIGURE_PREVIEW_CHARS:
            break
        shown.append(line)
        size += len(line) + 3
    out = [head]
    if shown:
        more = len(rest) - len(shown)
        out.append(" / ".join(shown) + (f" / … ({more} more line{'s' if more > 1 else ''}; --full shows them)" if more else ""))
    return out


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def annotate(
    text: str,
    start: int,
    end: int,
    terms: Sequence[TermSpan] = (),
    answer: tuple[int, int] | None = None,
    style: Style | None = None,
) -> str:
    """``text[start:end]`` with the answer span marked and each translated
    term's English in brackets after its Japanese word (pure)."""
    style = style or Style()
    opening, closing = ("\033[1m", "\033[22m") if style.bold else ("«", "»")
    # (position, order at that position, what to insert): a term that ends
    # where the answer starts is annotated before the answer opens.
    cuts = [(t.end, 0, f"[{t.english}]") for t in terms if start <= t.start and t.end <= end]
    if answer and start <= answer[0] < answer[1] <= end:
        cuts += [(answer[1], 1, closing), (answer[0], 2, opening)]
    out, pos = [], start
    for at, _, ins in sorted(cuts):
        out.append(text[pos:at] + ins)
        pos = at
    out.append(text[pos:end])
    return "".join(out)


def indent(text: str) -> str:
    return "\n".join(INDENT + line for line in text.splitlines())


def columns(text: str) -> int:
    """Terminal columns ``text`` takes: a kanji or kana takes two."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (str.ljust counts
    characters, and would leave 「令和元年版」 and 「令和2年版」 rows unaligned)."""
    return text + " " * max(0, width - columns(text))
