"""Normalisation, word tokens and sentence boundaries for Japanese (and English).

One normaliser serves indexing, BM25 and highlighting, so that a query and a
passage that look the same to a reader also look the same to the index:
NFKC folds full-width digits and Latin (５Ｇ → 5G), half-width katakana
(ｶﾀｶﾅ → カタカナ) and ideographic spaces; Latin is lower-cased so that
"Open RAN" and "open ran" match.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Parts of speech (unidic pos1) that carry no topic: particles, auxiliaries,
# punctuation and blanks.  Dropping them keeps BM25 from rewarding a passage
# for containing の and は.
_STOP_POS1 = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号"})

# English function words: an English question shares nothing with Japanese text
# but its acronyms and names (DFFT, ITU-T, Open RAN), so these must not count.
EN_STOPWORDS = frozenset(
    """a an and are as at be been being by can could did do does for from had has have
    how i in into is it its me my of on or our that the their them there these they this
    to was we were what when where which who whom why will with would you your about
    tell does did japan japanese government ministry mic white paper""".split()
)

_SPACE_RE = re.compile(r"\s+")
_LATIN_WORD_RE = re.compile(r"[0-9a-z][0-9a-z\-\.]*[0-9a-z]|[0-9a-z]")

# Sentence ends: 。！？ and their half-width forms, then any closing brackets
# that belong to the sentence (…した。」).
# A Latin full stop ends a sentence only after a word of two or more
# characters, so that list numbers ("1. We affirm") and initials ("U.S.") stay.
_SENTENCE_END_RE = re.compile(r"[。．！？!?]+[」』）)】〕]*|(?<=[A-Za-z0-9]{2})\.(?=\s+[A-Z])")


_JA_CHAR_RE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def guess_lang(text: str) -> str:
    """ "ja" when the text has any kana or kanji (a Japanese question often
    quotes Latin names; an English one almost never has kana), else "en"."""
    return "ja" if _JA_CHAR_RE.search(text) else "en"


def normalize(text: str) -> str:
    """NFKC, lower-case, whitespace collapsed to single spaces, stripped."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


_local = threading.local()


def _tagger():  # -> fugashi.Tagger
    # One tagger per thread: a MeCab tagger keeps parse state, and two threads
    # sharing one (the web server answers in worker threads) get each other's
    # tokens.  Imported lazily: the dictionary loads on first use, and
    # commands such as `ictqa --help` must not pay for it.
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        import fugashi
        import unidic_lite

        tagger = _local.tagger = fugashi.Tagger(f'-d "{unidic_lite.DICDIR}"')
    return tagger


def words(text: str) -> list[str]:
    """Content words of ``text`` for BM25: NFKC + lower-case surface forms
    from fugashi/unidic-lite, without particles, punctuation or English
    function words.  Hyphenated Latin names stay whole (itu-t, open-ran stay
    split by space as the reader wrote them)."""
    norm = normalize(text)
    if not norm:
        return []
    out: list[str] = []
    for word in _tagger()(norm):
        surface = word.surface
        if not surface:
            continue
        pos1 = word.feature.pos1
        if pos1 in _STOP_POS1 and not _LATIN_WORD_RE.fullmatch(surface):
            continue
        if surface in EN_STOPWORDS:
            continue
        out.append(surface)
    return _rejoin_latin(norm, out)


@dataclass(frozen=True)
class Tagged:
    """One fugashi word with where it sits in the text it came from."""

    start: int
    end: int
    surface: str
    pos1: str
    pos2: str
    pos3: str
    pos4: str


def tag(text: str) -> list[Tagged]:
    """Every word of ``text`` (particles and punctuation included) with its
    offsets and unidic parts of speech, for code that must point into the
    text (the answer span, marked terms).  Untouched text, not NFKC: the
    offsets are the reader's."""
    out: list[Tagged] = []
    pos = 0
    for word in _tagger()(text):
        surface = word.surface
        at = text.find(surface, pos) if surface else -1
        if at < 0:
            continue
        f = word.feature
        out.append(Tagged(at, at + len(surface), surface, f.pos1 or "", f.pos2 or "", f.pos3 or "", f.pos4 or ""))
        pos = at + len(surface)
    return out


def _rejoin_latin(norm: str, tokens: list[str]) -> list[str]:
    # unidic splits "itu-t" into itu / - / t and "5g" sometimes into 5 / g.  The
    # reader's unit is the whole name, and an English query uses it verbatim,
    # so add the whole Latin names as extra tokens (the parts stay, so a query
    # for "itu" still matches "itu-t").
    extra = [
        m.group(0)
        for m in _LATIN_WORD_RE.finditer(norm)
        if m.group(0) not in EN_STOPWORDS and m.group(0) not in tokens and len(m.group(0)) > 1
    ]
    return tokens + extra


def word_ends(text: str) -> list[int]:
    """Offsets in ``text`` where a fugashi word ends (for cutting a run of
    text without splitting a word).  On the raw text, so the offsets are
    ``text``'s own."""
    ends: list[int] = []
    pos = 0
    for word in _tagger()(text):
        surface = word.surface
        if not surface:
            continue
        at = text.find(surface, pos)
        if at < 0:
            continue
        pos = at + len(surface)
        ends.append(pos)
    return ends


def batch_words(texts: Sequence[str]) -> list[list[str]]:
    return [words(t) for t in texts]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of ``text``.

    Japanese prose ends sentences with 。 (a closing 」 or ） stays with its
    sentence); English with . ! ? before a capital.  Leading whitespace is not
    part of a sentence.  The spans cover every non-blank character."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(text):
        end = m.end()
        _append_span(text, start, end, spans)
        start = end
    _append_span(text, start, len(text), spans)
    return spans


def _append_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def dictionary_info() -> dict[str, str]:
    """Which tokenizer and dictionary are in use (stored in every index)."""
    import unidic_lite

    return {
        "tokenizer": "fugashi",
        "fugashi_version": _dist_version("fugashi"),
        "dictionary": "unidic-lite",
        "dictionary_version": _dist_version("unidic-lite"),
        "dictionary_dir": str(unidic_lite.DICDIR),
    }


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
