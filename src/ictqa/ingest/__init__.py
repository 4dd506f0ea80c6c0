"""Reading corpus files into text: the I/O edge of ingestion.

:func:`read_source` turns one file into a :class:`~ictqa.documents.SourceText`;
everything after it (parser, chunker) is pure.  Which reader handles a file
is decided by its suffix, through :data:`READERS`.

The contract a reader meets (add a format by adding an entry):

* ``read(raw, path)`` returns the decoded text with "\\n" newlines and the
  source's own characters (no NFKC: every offset is a citation anchor), the
  codec it used, and where each page starts (PDF; empty otherwise);
* it raises :class:`~ictqa.errors.IctqaError` naming the file for anything
  unusable;
* ``dialect`` says which heading layout its text is in: ``"pdf"``
  (pdftotext-like lines, "1 TAB 概要"), ``"web"`` (MIC's テキスト版,
  "1　概要"), or ``None`` when the layout depends on where the file came
  from and is detected from the text (plain .txt).

The language and dialect are worked out here once and carried by the
:class:`SourceText`; the parser and the edition detection use them as given.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..documents import Dialect, SourceKind, SourceText
from ..errors import IctqaError
from .decode import check_garbage, decode_text, read_bytes
from .detect import detect_dialect, detect_language
from .editions import SIDECAR_SUFFIX
from .html import read_html
from .mojibake import repair_text
from .pagelist import is_page_list, read_page_list
from .pdf import read_pdf

__all__ = ["READERS", "SIDECAR_SUFFIX", "Reader", "detect_language", "iter_corpus_files", "read_source"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 64 * 1024 * 1024

Decoded = tuple[str, str, tuple[int, ...]]  # (text, codec, page starts)


@dataclass(frozen=True)
class Reader:
    kind: SourceKind
    read: Callable[[bytes, Path], Decoded]
    dialect: Dialect | None  # None: detected from the text


def _read_text(raw: bytes, path: Path) -> Decoded:
    text, codec = decode_text(raw, path)
    text, repairs = repair_text(text)
    if repairs:
        lost = sum(r.lost for r in repairs)
        log.warning(
            "%s: %d line(s) were UTF-8 text once read as Shift_JIS (mojibake); repaired, "
            "%d lost character(s) the file gives no evidence for left as U+FFFD (first at line %d)",
            path,
            len(repairs),
            lost,
            text.count("\n", 0, repairs[0].start) + 1,
        )
    return text, codec, ()


def _read_pdf(raw: bytes, path: Path) -> Decoded:
    text, pages = read_pdf(raw, path)
    return text, "pdf", pages


def _read_html(raw: bytes, path: Path) -> Decoded:
    text, codec = read_html(raw, path)
    return text, codec, ()


READERS: dict[str, Reader] = {
    ".txt": Reader("text", _read_text, None),
    ".pdf": Reader("pdf", _read_pdf, "pdf"),
    ".html": Reader("html", _read_html, "web"),
    ".htm": Reader("html", _read_html, "web"),
}


def supported_types(folders: bool = False) -> str:
    """ "a .txt, .pdf, .html or .htm file", from :data:`READERS`."""
    names = list(READERS)
    listed = ", ".join(names[:-1]) + " or " + names[-1]
    return f"a {listed} file" + (", or a folder of them" if folders else "")


def read_source(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText:
    """Read one corpus file; raise :class:`IctqaError` naming it if it is unusable."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise IctqaError(
            f"{path}: unsupported file type {path.suffix or '(no extension)'!r}",
            expected=supported_types(),
        )
    raw = read_bytes(path, max_bytes)
    if not raw.strip(b" \t\r\n\f\v") or raw in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        raise IctqaError(f"{path} is empty", fix="remove it or put the white-paper text in it")
    text, encoding, pages = reader.read(raw, path)
    if not text.strip():
        raise IctqaError(f"{path} has no text", fix="remove it or put the white-paper text in it")
    check_garbage(path, text, pages)
    return SourceText(
        path=path,
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(raw).hexdigest(),
        page_starts=pages,
        kind=reader.kind,
        language=detect_language(text),
        dialect=reader.dialect or detect_dialect(text),
        page_urls=read_page_list(path) if reader.kind != "pdf" else (),
    )


def iter_corpus_files(paths: Sequence[Path]) -> list[Path]:
    """The corpus files named by ``paths``: files as given, folders searched
    recursively for the :data:`READERS` suffixes, skipping hidden files and
    folders, ``*.meta.json`` sidecars and ``*_source_urls.txt`` page lists.  Sorted by path so builds are
    reproducible."""
    found: dict[Path, Path] = {}  # resolved → as given, so two spellings count once
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if not d.startswith(".")]  # prune .git etc.
                for name in files:
                    if _is_corpus_name(name):
                        q = Path(root) / name
                        found.setdefault(q.resolve(), q)
        elif p.exists():
            # A file named explicitly is taken even if hidden; read_source
            # reports it if it is not a regular, readable file.
            if p.suffix.lower() not in READERS or p.name.lower().endswith(SIDECAR_SUFFIX) or is_page_list(p.name):
                raise IctqaError(
                    f"{p}: unsupported file type {p.suffix or '(no extension)'!r}",
                    expected=supported_types(folders=True),
                )
            found.setdefault(p.resolve(), p)
        else:
            raise IctqaError(f"{p} does not exist", fix="check the path")
    return sorted(found.values(), key=lambda q: q.as_posix())


def _is_corpus_name(name: str) -> bool:
    low = name.lower()
    return not name.startswith(".") and not low.endswith(SIDECAR_SUFFIX) and not is_page_list(low) and Path(low).suffix in READERS
