"""Regenerate src/ictqa/data/glossary_en_ja.tsv.gz from JMdict.

    pip install jamdict-data==1.5        # JMdict as SQLite (311 MB installed)
    python tools/make_glossary.py        # or --db path/to/jamdict.db

JMdict (© the Electronic Dictionary Research and Development Group, CC BY-SA
4.0) maps Japanese headwords to English glosses; ictqa reads it the other way
round, to find the Japanese words an English question stands for.  Only what
that needs is kept, so the shipped file is a few MB and no user installs the
dictionary:

* glosses of at most four words, normalised as a question is
  (``ictqa.glossary.normalize_gloss``);
* per entry, its first two kanji spellings and its katakana spelling if it
  has one (or, without kanji, its first two kana spellings), longer than one character: a one-kanji word (国, 策) is in
  almost every passage and says little, and hiragana-only entries are mostly
  grammar (から, ても);
* each spelling with its words as ``ictqa.lexical.words`` splits them, so an
  index build only looks words up and never runs the tagger over the file.
  The split is that of unidic-lite 1.0.8, which ictqa pins.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import io
import re
import sqlite3
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from ictqa.glossary import GLOSSARY_PATH, MAX_GLOSS_WORDS, normalize_gloss  # noqa: E402
from ictqa.lexical import normalize, words  # noqa: E402

_HIRAGANA_ONLY = re.compile(r"^[\u3040-\u309fー]+$")
_KATAKANA = re.compile(r"^[\u30a0-\u30ffー・]+$")
_LATIN_ONLY = re.compile(r"^[0-9a-z\-\.\s]+$")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", type=Path, help="jamdict.db (default: the one jamdict-data installed)")
    p.add_argument("--out", type=Path, default=GLOSSARY_PATH)
    args = p.parse_args()
    db = args.db
    if db is None:
        try:
            import jamdict_data
        except ImportError:
            sys.exit("jamdict-data is not installed: pip install jamdict-data==1.5, or pass --db path/to/jamdict.db")
        db = Path(jamdict_data.JAMDICT_DB_PATH)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    version = dict(con.execute("select key, value from meta")).get("jmdict.version", "?")

    kanji: dict[int, list[str]] = collections.defaultdict(list)
    for idseq, text in con.execute("select idseq, text from Kanji order by ID"):
        kanji[idseq].append(text)
    kana: dict[int, list[str]] = collections.defaultdict(list)
    for idseq, text in con.execute("select idseq, text from Kana order by ID"):
        kana[idseq].append(text)
    sense_entry = dict(con.execute("select ID, idseq from Sense"))

    split: dict[str, str] = {}

    def forms(idseq: int) -> list[str]:
        out = []
        # Loanwords are written in katakana even where JMdict lists a kanji
        # spelling first (印度 for インド), so a katakana reading comes along.
        spelled = kanji.get(idseq, [])[:2] + [k for k in kana.get(idseq, []) if _KATAKANA.match(k)][:1]
        for f in dict.fromkeys(spelled or kana.get(idseq, [])[:2]):
            n = normalize(f)
            if len(n) < 2 or _HIRAGANA_ONLY.match(n) or _LATIN_ONLY.match(n):
                continue
            if f not in split:
                split[f] = " ".join(words(f))
            # A spelling the tagger cannot split cleanly (綜理 → 理) would
            # match every passage holding the fragment.
            if split[f] and len(split[f].replace(" ", "")) * 3 >= len(n) * 2:
                out.append(f)
        return out

    table: dict[str, dict[str, None]] = collections.defaultdict(dict)
    for sid, text in con.execute("select sid, text from SenseGloss where lang = 'eng' order by rowid"):
        gloss = normalize_gloss(text)
        if not gloss or len(gloss.split()) > MAX_GLOSS_WORDS:
            continue
        for f in forms(sense_entry[sid]):
            table[gloss][f] = None

    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    # mtime=0: the same dictionary gives the same bytes, so git sees no change.
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
        out = io.TextIOWrapper(gz, encoding="utf-8")
        out.write(
            f"# JMdict {version} © EDRDG, CC BY-SA 4.0; English gloss → Japanese spellings, made by tools/make_glossary.py\n"
        )
        for gloss in sorted(table):
            out.write(gloss + "\t" + "\t".join(f"{f}|{split[f]}" for f in table[gloss]) + "\n")
        out.flush()
        out.detach()
    tmp.replace(args.out)
    print(
        f"{args.out}: {len(table):,} glosses, {len(split):,} spellings, {args.out.stat().st_size / 1e6:.1f} MB (JMdict {version})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
