"""What kind of text a file holds: its language and its dialect.

Both are decided once, here, by the reader, and travel with the text in
:class:`~ictqa.documents.SourceText`; nothing downstream guesses them again.
"""

from __future__ import annotations

import re

from ..documents import Dialect

_JA_CHARS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """Return "ja" when kana/kanji make up at least 30% of the letters, else "en".

    Japanese white-paper text carries many Latin acronyms (ICT, 5G, AI) but
    stays well above 30%; an English text quoting a few Japanese names stays
    far below it.  Text with no letters at all counts as Japanese, the corpus
    default."""
    sample = text[:200_000]
    ja = len(_JA_CHARS.findall(sample))
    latin = len(_LATIN.findall(sample))
    return "ja" if ja >= 0.3 * (ja + latin) else "en"


# Web text: a full-width space after the heading number ("1　概要", "（1）　…",
# "第8節　…").  PDF text: a tab after it ("1 \t概要"), ＊ footnotes.
_WEB_EVIDENCE = re.compile(r"^(?:第\d+[章節]|\d{1,2}|（\d{1,2}）|[ア-ン])\u3000\S", re.MULTILINE)
_PDF_EVIDENCE = re.compile(r"^[ \t]*(?:\d{1,2} ?\t|＊\d+\t)|^[ \t]*第第", re.MULTILINE)


def detect_dialect(text: str) -> Dialect:
    """Which source a plain-text file was made from, by counting heading
    shapes: ``web`` (MIC's テキスト版) or ``pdf`` (text extracted from the
    printed PDF).  Only .txt files need this; the PDF and HTML readers know
    what they produce."""
    sample = text[:200_000]
    web = len(_WEB_EVIDENCE.findall(sample))
    pdf = len(_PDF_EVIDENCE.findall(sample))
    return "web" if web > pdf else "pdf"
