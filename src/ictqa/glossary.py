"""English questions → the Japanese words they stand for, from JMdict.

Why: e5 carries an English question to Japanese text only as a whole, and on
the dev set the passage that answers often sat at rank 2–9 behind passages
on the same topic (issue #4).  What tells them apart is the question's
content terms, and BM25 can only use them in Japanese: "submarine cable" →
海底ケーブル, "telemedicine" → 遠隔医療, "multilateral framework" → 多国間 +
枠組み.  JMdict's glosses give those translations without a translation model
(there is none offline).  A gloss has many spellings, most of them wrong for
the question ("platform" → 演台, 乗降場, プラットフォーム); keeping only the
spellings the index holds, requiring all words of a spelling in one passage,
and letting BM25's idf weigh them removes most of the noise, and the fused
score gives this signal a small weight (``FusionWeights.translated``).

The shipped table ``data/glossary_en_ja.tsv.gz`` is derived from JMdict
(© EDRDG, CC BY-SA 4.0) by ``tools/make_glossary.py``.  An index keeps the
part whose words it holds (``glossary.tsv``, written at build time), so a
search never reads the whole table.
"""

from __future__ import annotations

import gzip
import itertools
import re
import unicodedata
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .lexical import EN_STOPWORDS, guess_lang

GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "glossary_en_ja.tsv.gz"
MAX_GLOSS_WORDS = 4

# Spelling = (as JMdict writes it, its words as lexical.words splits them).
Spelling = tuple[str, tuple[str, ...]]
Table = Mapping[str, Sequence[Spelling]]

_PAREN_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_ARTICLE_RE = re.compile(r"^(?:to|a|an|the) ")
_NON_WORD_RE = re.compile(r"[^a-z0-9\-' ]+")

# British spellings a question may use where JMdict's gloss is American (or
# the other way round): both are tried.  Endings only, and "our" only in words
# longer than four letters, so that "four years" never becomes "for years".
_SPELLING_SWAPS = (("isation", "ization"), ("ise", "ize"), ("programme", "program"), ("centre", "center"), ("our", "or"))


@dataclass(frozen=True)
class Term:
    """One unit of an English question and the Japanese spellings searched for it."""

    english: str
    spellings: tuple[Spelling, ...]

    @property
    def japanese(self) -> tuple[str, ...]:
        return tuple(s for s, _ in self.spellings)

    def describe(self, shown: int = 4) -> str:
        """ "submarine cable → 海底ケーブル・海底電線", as the CLI and the web form show it."""
        more = " …" if len(self.spellings) > shown else ""
        return f"{self.english} → {'・'.join(self.japanese[:shown])}{more}"


def normalize_gloss(text: str) -> str:
    """A JMdict gloss or a span of a question, in the form they are matched in:
    lower case, without parenthesised notes ("(esp.) …"), a leading "to "
    (verbs) or article, or punctuation."""
    text = _PAREN_RE.sub(" ", text.lower())
    text = _NON_WORD_RE.sub(" ", text)
    text = " ".join(text.split())
    return _ARTICLE_RE.sub("", text)


def variants(word: str) -> list[str]:
    """The word and the base forms it may stand for (plural, past, -ing,
    possessive, British spelling).  Crude on purpose: a wrong base form finds
    no gloss, or a gloss whose spellings the index does not hold."""
    out = [word]
    if word.endswith("'s"):
        out.append(word[:-2])
    if len(word) > 4:
        if word.endswith("ies"):
            out.append(word[:-3] + "y")
        elif word.endswith(("ses", "xes", "ches", "shes")):
            out.append(word[:-2])
        elif word.endswith("s") and not word.endswith("ss"):
            out.append(word[:-1])
        if word.endswith("ed"):
            out += [word[:-2], word[:-1]]
        if word.endswith("ing"):
            out += [word[:-3], word[:-3] + "e"]
    for brit, amer in _SPELLING_SWAPS:
        for w in list(out):
            if w.endswith(brit) and (brit != "our" or len(w) > 4):
                out.append(w[: -len(brit)] + amer)
    return list(dict.fromkeys(out))


# Words that only shape a question: "how many" and "what kind of" are JMdict
# glosses (幾つ, どんな) but say nothing about the topic.
_NOT_TERMS = EN_STOPWORDS | {"many", "much", "kind", "kinds", "sort", "sorts", "long", "often"}

_QUESTION_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-']*")


def question_words(question: str) -> list[str]:
    """Lower-case words of the question.  Acronyms are looked up too: TV →
    テレビ, AI → 人工知能 find passages that spell them out (skipping words in
    capitals cost one dev and one held-out question at rank 1)."""
    text = unicodedata.normalize("NFKC", question).replace("\u2019", "'")
    return [w.lower() for w in _QUESTION_WORD_RE.findall(text)]


_PROSE_WORD_RE = re.compile(r"(?<![A-Za-z])[a-z]{3,}(?![A-Za-z])")


def has_english(question: str) -> bool:
    """Whether a question has English words worth translating: lower-case
    words that are not function words, one in an English question
    ("telemedicine?"), two in one that also has Japanese, so that an English
    question quoting Japanese ("How many members does
    デジタル海外展開プラットフォーム have?") is translated and a Japanese one
    quoting a Latin name (異能vation, atama＋) is not."""
    text = unicodedata.normalize("NFKC", question)
    n = sum(1 for w in _PROSE_WORD_RE.findall(text) if w not in EN_STOPWORDS)
    return n >= (2 if guess_lang(text) == "ja" else 1)


def translate(question: str, table: Table, max_words: int = MAX_GLOSS_WORDS) -> list[Term]:
    """The question's terms found in ``table``, left to right, longest first:
    "submarine cable" is one term, not "submarine" and "cable" (pure).

    A span made only of function words is skipped ("as of", "how many" are
    glosses too), and so are numbers: the question's own words already find
    those through BM25."""
    toks = question_words(question)
    terms: list[Term] = []
    i = 0
    while i < len(toks):
        glosses: list[str] = []
        n = min(max_words, len(toks) - i)
        while n > 0 and not glosses:
            span = toks[i : i + n]
            if not all(t in _NOT_TERMS or t.isdigit() for t in span):
                combos = (" ".join(c) for c in itertools.product(*(variants(t) for t in span)))
                glosses = [g for g in combos if table.get(g)]
            n -= 1
        if not glosses:
            i += 1
            continue
        # "members" and "member" are both glosses, with different spellings
        # (構成員; 会員): the question means either, so a term takes them all.
        spellings = tuple(dict.fromkeys(s for g in glosses for s in table[g]))
        terms.append(Term(glosses[0], spellings))
        i += n + 1
    return terms


# The table's text form, shipped (gzipped) and in an index: a "#" line naming
# the source, then one gloss a line, tab, and its spellings, each
# "spelling|its words" (海底ケーブル|海底 ケーブル).  Plain text rather than JSON
# because it parses three times faster, and an English question waits for it.


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def read_table(path: Path = GLOSSARY_PATH) -> Iterator[tuple[str, list[Spelling]]]:
    """(gloss, spellings) rows of a table file (the shipped one by default)."""
    with _open(Path(path)) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            gloss, *cells = line.rstrip("\n").split("\t")
            spellings = []
            for cell in cells:
                surface, _, split = cell.partition("|")
                spellings.append((surface, tuple(split.split())))
            yield gloss, spellings


def load_table(path: Path) -> dict[str, list[Spelling]]:
    return dict(read_table(path))


def table_source(path: Path = GLOSSARY_PATH) -> str:
    """A table file's first line: which JMdict it came from."""
    with _open(Path(path)) as f:
        return f.readline().lstrip("# ").strip()


def write_table(table: Table, path: Path, source: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# {source}\n")
        for gloss, spellings in table.items():
            f.write(gloss + "\t" + "\t".join(f"{s}|{' '.join(ws)}" for s, ws in spellings) + "\n")


def restrict(rows: Iterator[tuple[str, list[Spelling]]] | Table, vocabulary: Container[str]) -> dict[str, list[Spelling]]:
    """The part of the table an index can use: spellings all of whose words
    occur in it (pure).  On the six-document corpus this keeps about a tenth."""
    items = rows.items() if isinstance(rows, Mapping) else rows
    out: dict[str, list[Spelling]] = {}
    for gloss, spellings in items:
        kept = [(s, tuple(ws)) for s, ws in spellings if ws and all(w in vocabulary for w in ws)]
        if kept:
            out[gloss] = kept
    return out
