"""Join broken source lines into running text without losing where it came from.

Every function here is pure.  Reflow only ever *drops* characters of the
source (line ends, indentation, the justification spaces a PDF puts between
Japanese characters); it never inserts one.  That is what lets a
:class:`~ictqa.documents.Block` map each character of its text back to the
file with a handful of :class:`~ictqa.documents.Span` runs, and what makes
``source[block.source_offset(i)] == block.text[i]`` hold for every ``i``.

The join rules follow Japanese typesetting:

* between two Japanese characters nothing is kept (``開\\n発`` → ``開発``;
  ``次 期 研 究`` → ``次期研究``), because Japanese has no word spaces and the
  PDF only put those there to justify a line;
* between two Latin words one source space is kept (``Open \\nRAN`` →
  ``Open RAN``).  If the source has only the line break there (a URL or a
  word split across lines) the halves are joined as they stand: inventing a
  space would break the offset mapping.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..documents import Span

# Characters that separate words in the source.  U+3000 (ideographic space)
# is listed: MIC text writes "World\u3000Trade", and that space is real.
_WHITESPACE = " \t\u3000\r\n\f\v\u00a0"


@dataclass(frozen=True)
class Fragment:
    """A run of source text: ``text == source[start:start + len(text)]``."""

    start: int
    text: str
    # Keep one whitespace character between this fragment and the previous
    # one even next to Japanese: the space in "図表5-8-2-1 デジタル…" or
    # "＊2 国際電気通信連合…" separates a label from its text.  If the only
    # whitespace there is a line break, the line break is kept (English text
    # whose lines end without a trailing space: "Gunma\nPublished").
    spaced: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def is_wide(ch: str) -> bool:
    """True for characters that Japanese sets without spaces around them:
    kana, kanji, and the full-width punctuation and forms (（）「」、。Ａ…)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def display_width(s: str) -> int:
    """Columns the text takes in a fixed-pitch rendering (wide = 2).  Used to
    tell a full printed line from a short one, whatever its script."""
    return sum(2 if is_wide(c) else 1 for c in s)


def _needs_space(left: str, right: str) -> bool:
    """Whether a whitespace run between ``left`` and ``right`` carries meaning.

    Only a space between two narrow (Latin, digit, ASCII punctuation)
    characters is a word space; next to a wide character it is layout."""
    return not is_wide(left) and not is_wide(right)


def _kept_chars(fragments: Iterable[Fragment]) -> list[tuple[int, str]]:
    """(source offset, character) for every character reflow keeps."""
    chars: list[tuple[int, str]] = []
    pending: list[tuple[int, str]] = []  # whitespace seen since the last kept character
    for frag in fragments:
        spaced = frag.spaced
        for i, ch in enumerate(frag.text):
            off = frag.start + i
            if ch in _WHITESPACE:
                pending.append((off, ch))
                continue
            if pending and chars and (spaced or _needs_space(chars[-1][1], ch)):
                kept = _pick_space(pending)
                if kept is None and spaced:
                    kept = pending[0]  # a bare line break is the only separator there is
                if kept is not None:
                    chars.append(kept)
            pending = []
            spaced = False
            chars.append((off, ch))
    return chars


def _pick_space(run: Sequence[tuple[int, str]]) -> tuple[int, str] | None:
    """The whitespace character to keep from a run: a plain or ideographic
    space if there is one, else a tab.  A bare line break is no word space:
    pdftotext leaves a trailing space where a line ended between two words
    ("Open \nRAN"), so a break with none split one word or URL."""
    for off, ch in run:
        if ch in " \u3000":
            return off, ch
    for off, ch in run:
        if ch == "\t":
            return off, ch
    return None


def reflow(fragments: Iterable[Fragment]) -> tuple[str, tuple[Span, ...]]:
    """Join ``fragments`` (in source order) into one text and its spans.

    Whitespace inside and between fragments is treated alike: a run of
    whitespace is dropped unless it sits between two narrow characters, where
    one character of it is kept.  Leading and trailing whitespace is dropped.
    Fragments may include their line's newline; it is just whitespace here.
    """
    return _compress(_kept_chars(fragments))


def join_groups(groups: Iterable[Sequence[Fragment]]) -> tuple[str, tuple[Span, ...]]:
    """Reflow each group on its own and put one newline between groups.

    For text whose pieces are not one sentence (a figure's caption and the
    labels of its boxes, a list): the newline keeps "G7香川・高松" and
    "2016年4月" apart.  It is the source's own newline (the last one in the
    previous group's fragments), so the offset mapping still holds; if that
    group has none, the groups are joined directly.
    """
    chars: list[tuple[int, str]] = []
    last_newline: tuple[int, str] | None = None
    for group in groups:
        kept = _kept_chars(group)
        if not kept:
            continue
        if chars and last_newline is not None:
            chars.append(last_newline)
        chars.extend(kept)
        last_newline = None
        for frag in group:
            k = frag.text.rfind("\n")
            if k >= 0:
                last_newline = (frag.start + k, "\n")
    return _compress(chars)


def _compress(chars: Sequence[tuple[int, str]]) -> tuple[str, tuple[Span, ...]]:
    """Turn per-character offsets into runs where text and source advance together."""
    spans: list[Span] = []
    run_text, run_src, run_len = 0, 0, 0
    for i, (off, _) in enumerate(chars):
        if run_len and off == run_src + run_len:
            run_len += 1
            continue
        if run_len:
            spans.append(Span(run_text, run_src, run_len))
        run_text, run_src, run_len = i, off, 1
    if run_len:
        spans.append(Span(run_text, run_src, run_len))
    return "".join(c for _, c in chars), tuple(spans)


def join_verbatim(source: str, fragments: Sequence[Fragment]) -> tuple[str, tuple[Span, ...]]:
    """Keep each fragment exactly as it stands (stripped at its ends) and put
    between two fragments the source's own newline between them, if any.

    For web text, where a line is already a whole paragraph and a full-width
    space inside it means something ("データ1\u3000日本の…", "図表5-8-2-1\u3000…");
    only the glue between lines is ours to choose.
    """
    # Built run by run (not character by character): a whole edition is
    # millions of characters, and each fragment is one run of the source.
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    prev_end: int | None = None
    for frag in fragments:
        body = frag.text.strip(_WHITESPACE)
        if not body:
            continue
        lead = len(frag.text) - len(frag.text.lstrip(_WHITESPACE))
        start = frag.start + lead
        if prev_end is not None:
            gap = source.find("\n", prev_end, start)
            if gap >= 0:
                _add_run(spans, pos, gap, 1)
                parts.append("\n")
                pos += 1
        _add_run(spans, pos, start, len(body))
        parts.append(body)
        pos += len(body)
        prev_end = start + len(body)
    return "".join(parts), tuple(spans)


def _add_run(spans: list[Span], text_start: int, source_start: int, length: int) -> None:
    """Append a run, merging it into the previous one when both advance together."""
    if spans:
        last = spans[-1]
        if last.text_start + last.length == text_start and last.source_start + last.length == source_start:
            spans[-1] = Span(last.text_start, last.source_start, last.length + length)
            return
    spans.append(Span(text_start, source_start, length))
