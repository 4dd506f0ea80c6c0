"""A question, checked and analysed once: its text as searched, its
language, its BM25 words, and (for English) the terms translated through the
index's glossary.  Everything downstream reads these; nothing re-guesses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import IctqaError
from ..glossary import EN_STOPWORDS, Table, Term, has_english, question_words, translate, variants
from ..lexical import guess_lang, normalize, words
from .answer import Asks, asks
from .editions import EditionMention, detect_editions, event_years

MAX_QUERY_CHARS = 1000
# e5 reads at most 512 tokens; Japanese runs about one token per character,
# so a longer question is silently cut by the model.
MODEL_READS_CHARS = 500


@dataclass(frozen=True)
class Query:
    text: str  # whitespace collapsed: what is embedded and echoed back
    language: str  # "ja" or "en" (lexical.guess_lang)
    words: tuple[str, ...]  # BM25 words (lexical.words)
    # English terms found in the index's glossary, each with the Japanese
    # spellings to search for it (not yet checked against the passages).
    terms: tuple[Term, ...] = ()
    notices: tuple[str, ...] = field(default_factory=tuple)
    # What it asks for (a number, a date, a name …; search.answer.asks),
    # which picks the sentence to mark and the answer span in it.
    asks: Asks = Asks()
    # Editions the question names ("平成20年版", "the 2010 and 2020 editions").
    editions: tuple[EditionMention, ...] = ()
    # Years the question dates events with (not editions): the editions that
    # report on them are those of the year and the two after.
    event_years: tuple[int, ...] = ()
    # English content words no glossary term covers (metaverse, hackathon):
    # looked up among the index's katakana loanwords (ictqa.loanwords).
    unglossed: tuple[str, ...] = ()


def check_query(query: object) -> str:
    """The question as it will be searched, or an IctqaError saying why not."""
    if not isinstance(query, str):
        raise IctqaError(f"the question must be text, got {type(query).__name__}")
    text = " ".join(query.split())
    if not text:
        raise IctqaError(
            "the question is empty",
            expected="a question in Japanese or English",
            fix='type a question, e.g. "DFFTとは何ですか" or "What is DFFT?"',
        )
    if len(text) > MAX_QUERY_CHARS:
        raise IctqaError(
            f"the question is {len(text):,} characters long",
            expected=f"at most {MAX_QUERY_CHARS:,} characters",
            fix="ask about one thing at a time, or split the text into several questions",
        )
    if not any(ch.isalnum() for ch in normalize(text)):
        raise IctqaError(
            f"the question {text[:40]!r} has no letters or digits",
            expected="a question in Japanese or English",
            fix="type words, not only punctuation or symbols",
        )
    return text


def analyse(query: object, glossary: Callable[[], Table | None] | None = None) -> Query:
    """Check ``query`` and work out what every signal needs from it.

    ``glossary`` gives the index's English→Japanese table (None: no
    translation); it is called only for a question with English words, since
    reading the table costs an English question ~0.2 s that a Japanese one
    should not pay."""
    text = check_query(query)
    terms: tuple[Term, ...] = ()
    unglossed: tuple[str, ...] = ()
    if glossary is not None and has_english(text) and (table := glossary()):
        terms = tuple(translate(text, table))
        unglossed = _unglossed(text, terms)
    notices: tuple[str, ...] = ()
    if len(text) > MODEL_READS_CHARS:
        notices = (f"The question is {len(text)} characters; only about the first 500 are read by the model.",)
    return Query(
        text=text,
        language=guess_lang(text),
        words=tuple(words(text)),
        terms=terms,
        notices=notices,
        editions=detect_editions(text),
        event_years=event_years(text),
        unglossed=unglossed,
        asks=asks(text),
    )


def _unglossed(text: str, terms: tuple[Term, ...]) -> tuple[str, ...]:
    """English words of the question that no term covers and that may be a
    loanword: alphabetic, four letters or more, not a function word."""
    covered = {v for t in terms for w in t.english.split() for v in variants(w)}
    out = []
    for w in question_words(text):
        if len(w) < 4 or not w.isalpha() or w in EN_STOPWORDS or w in covered:
            continue
        if any(v in covered for v in variants(w)):
            continue
        out.append(w)
    return tuple(dict.fromkeys(out))
