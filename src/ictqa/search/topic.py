"""What a question is about, as terms a passage either mentions or not: the
basis of the timeline ("when did the white paper first mention …?", how many
passages of each edition mention it).

A passage *mentions* the topic when it holds every one of the question's
topic terms:

* a quoted term (「ブロックチェーン」, "Society 5.0") must occur as written
  (NFKC, case folded), which is how a reader searching the text would check;
* other Japanese content words must all occur among the passage's words;
* an English content word occurs as itself (Latin names: iPhone, YouTube,
  FinTech are written so in the Japanese text) or as any Japanese spelling
  of its glossary translation (metaverse → メタバース).

Words that only shape the question (白書, 初めて, 登場, いつ, mention, edition
…) are not topic terms.  A question with no term left has no lexical topic;
the timeline then falls back to the dense signal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..glossary import Term as GlossTerm
from ..glossary import variants
from ..index import StoredIndex
from .query import Query

# Japanese words of the question's frame, not its topic (fugashi surface forms).
_META_JA = frozenset(
    """白書 情報 通信 初めて はじめ 最初 初 登場 言及 取り上げ 取りあげ 記載 現れ 出 出る 触れ 扱わ 扱っ 扱い
    紹介 いつ 何 なん 年 年版 版 どの どれ どこ 頃 ころ 語 言葉 単語 用語 語句 という 話題 テーマ 推移 変化
    変わっ 変わり 経緯 歴史 中 記述 述べ 書か 書い 載っ 載る 掲載 見 られ れ し さ する""".split()
)
# English words of the question's frame (lexical.words already drops function words).
_META_EN = frozenset(
    """first mention mentioned mentions mentioning appear appeared appears appearance come came comes up
    edition editions white paper papers whitepaper discuss discussed discusses cover covered covers refer
    referred refers feature featured show showed shown used use term word topic earliest time times year
    years history trend trends change changed over across since introduced described describe say said""".split()
)
_QUOTED = re.compile(r"[「『“\"']([^」』”\"']{1,40})[」』”\"']")


@dataclass(frozen=True)
class Term:
    """One topic term and the ways a passage may hold it."""

    shown: str  # as the question writes it
    literal: tuple[str, ...] = ()  # NFKC case-folded strings to find in the text
    words: tuple[tuple[str, ...], ...] = ()  # word sets, any of which must all occur


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold()


def topic_terms(query: Query, loanwords: Sequence[GlossTerm] = ()) -> tuple[Term, ...]:
    """The question's topic terms (pure).  ``loanwords``: katakana spellings
    found for its English words the glossary lacks (signals.loanword_terms)."""
    quoted = [m.group(1).strip() for m in _QUOTED.finditer(query.text) if m.group(1).strip()]
    if quoted:
        return tuple(Term(q, literal=(_fold(q),)) for q in quoted)
    out: list[Term] = []
    if query.language == "en":
        used: set[str] = set()
        for term in (*query.terms, *loanwords):  # longest phrases first, as translate() found them
            parts = term.english.split()
            if all(p in _META_EN for p in parts):
                continue
            used.update(v for p in parts for v in variants(p))
            out.append(
                Term(
                    term.english,
                    literal=(_fold(term.english), *(_fold(s) for s, _ in term.spellings if len(term.spellings) == 1)),
                    words=tuple(ws for _, ws in term.spellings),
                )
            )
        for w in query.words:
            if w in _META_EN or not re.search(r"[a-z]", w) or any(v in used for v in variants(w)):
                continue
            out.append(Term(w, literal=(w,)))
        return tuple(out)
    content = [w for w in query.words if w not in _META_JA and not re.fullmatch(r"[\d年月日度]+", w)]
    if content:
        out.append(Term("".join(content), words=(tuple(content),)))
    return tuple(out)


def matching(index: StoredIndex, query: Query, terms: Sequence[Term] | None = None) -> np.ndarray | None:
    """Per passage of ``index``: does it mention every topic term?  None when
    the question has no topic term."""
    terms = topic_terms(query) if terms is None else tuple(terms)
    if not terms:
        return None
    mask = np.ones(len(index.chunks), dtype=bool)
    cache: dict[str, np.ndarray] = {}
    for term in terms:
        hit = np.zeros(len(index.chunks), dtype=bool)
        for ws in term.words:
            if ws:
                hit |= np.logical_and.reduce([_has_word(index, w, cache) for w in ws])
        for lit in term.literal:
            hit |= _has_literal(index, lit)
        mask &= hit
    return mask


def _has_literal(index: StoredIndex, lit: str) -> np.ndarray:
    """Passages whose folded text contains ``lit`` (by scanning the whole
    folded corpus, not by words: a tokenizer splits a word differently in and
    out of context, and a missed first mention is a wrong answer)."""
    text, starts = index.folded_text
    hit = np.zeros(len(index.chunks), dtype=bool)
    pos = text.find(lit)
    while pos >= 0:
        i = int(np.searchsorted(starts, pos, side="right")) - 1
        hit[i] = True
        # Continue after this passage: one hit per passage is enough.
        nxt = int(starts[i + 1]) if i + 1 < len(starts) else len(text)
        pos = text.find(lit, max(nxt, pos + 1))
    return hit


def _has_word(index: StoredIndex, w: str, cache: dict[str, np.ndarray]) -> np.ndarray:
    if w not in cache:
        cache[w] = index.bm25.scores([w]) > 0
    return cache[w]
