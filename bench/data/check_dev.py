#!/usr/bin/env python3
"""Check the evaluation question sets against the source text (stdlib only).

    python bench/data/check_dev.py [--corpus PATH] [--verbose]

For every question in dev_seed.jsonl it checks that

1. the record is well formed (id, lang, question, 1-3 answers, heading path);
2. the heading path is one of the headings found in the source file;
3. every answer string occurs in the *reflowed* source text: lines stripped,
   blank lines removed, lines joined with nothing, except that a single space
   is put between two lines when the first ends and the next starts with an
   ASCII letter or digit ("Open" + "RAN" -> "Open RAN");
4. every answer string occurs in the prose of the section named by
   ``heading`` (the text under that heading up to the next heading of any
   level, reflowed the same way, with page headers, figures (from a
   ``図表…`` caption to the next heading) and footnotes (``＊N`` blocks) left
   out).

Answers that also occur in other sections are listed with --verbose (they are
allowed: the expected section is what the heading field records).
out_of_scope.jsonl is checked for shape only.  Exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "corpus" / "000_589c5af6fc00dccb.txt"

# Heading lines as printed in the PDF extraction.
RE_ITEM = re.compile(r"^\s*(\d+)\t\s*(\S.*?)\s*$")  # " 1\t 概要"
RE_SUBITEM = re.compile(r"^\s*(\d+) \t\s*(\S.*?)\s*$")  # "1 \tこれまでの取組"
RE_KANA = re.compile(r"^\s*([ア-ン])\u3000(\S.*?)\s*$")  # "ア　基幹通信インフラ"
RE_SUBKANA = re.compile(r"^\s*（([ア-ン])）(\S.*?)\s*$")  # "（ア）消防分野"
# Page furniture repeated on every page.
PAGE_HEADERS = {"ICT 国際戦略の推進", "総務省におけるICT政策の取組状況"}
RE_SECTION_TITLE = re.compile(r"^第+\d+節")  # "第第88節 ICT国際戦略の推進節 …"
RE_FOOTNOTE = re.compile(r"^\s*＊\d+")
RE_FIGURE = re.compile(r"^\s*図表\d")


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def reflow(lines: list[str]) -> str:
    """Join PDF lines: strip, drop blanks, no separator except between Latin."""
    out: list[str] = []
    prev = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if prev and _ascii_alnum(prev[-1]) and _ascii_alnum(line[0]):
            out.append(" ")
        out.append(line)
        prev = line
    return "".join(out)


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, text as in the question files) for a heading line, else None."""
    for level, rx in ((1, RE_ITEM), (2, RE_SUBITEM), (3, RE_KANA)):
        m = rx.match(line)
        if m:
            return level, f"{m.group(1)} {m.group(2)}"
    m = RE_SUBKANA.match(line)
    if m:
        return 4, f"（{m.group(1)}）{m.group(2)}"
    return None


def sections(lines: list[str]) -> dict[tuple[str, ...], str]:
    """Reflowed prose under each heading path (below 第8節)."""
    path: list[tuple[int, str]] = []
    body: dict[tuple[str, ...], list[str]] = {(): []}
    in_figure = in_footnote = False
    for raw in lines:
        h = heading_of(raw)
        if h:
            level, text = h
            path = [p for p in path if p[0] < level] + [h]
            body.setdefault(tuple(t for _, t in path), [])
            in_figure = in_footnote = False
            continue
        stripped = raw.strip()
        if RE_FIGURE.match(raw):
            in_figure = True
        if in_figure:
            continue
        if RE_FOOTNOTE.match(raw):
            in_footnote = True
            continue
        if in_footnote:
            # A footnote (blank lines included) runs on until a page header, a
            # heading or a page's first prose line, which the extraction
            # indents by one space.
            if not stripped or (stripped not in PAGE_HEADERS and not raw.startswith(" ")):
                continue
            in_footnote = False
        if stripped in PAGE_HEADERS or RE_SECTION_TITLE.match(stripped):
            continue
        body[tuple(t for _, t in path)].append(raw)
    return {k: reflow(v) for k, v in body.items()}


def load_jsonl(path: Path, failures: list[str]) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            failures.append(f"{path.name}:{n}: blank line")
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            failures.append(f"{path.name}:{n}: bad JSON: {e}")
    return rows


def check_ids(rows: list[dict], name: str, prefix: str, failures: list[str]) -> None:
    seen = Counter(r.get("id") for r in rows)
    for i, c in seen.items():
        if c > 1:
            failures.append(f"{name}: duplicate id {i}")
    for r in rows:
        i, lang = r.get("id", ""), r.get("lang")
        if lang not in ("ja", "en"):
            failures.append(f"{name}: {i}: bad lang {lang!r}")
        elif not re.fullmatch(rf"{prefix}{lang}-\d{{3}}", str(i)):
            failures.append(f"{name}: {i}: id does not match lang {lang}")
        q = r.get("question")
        if not isinstance(q, str) or not q.strip():
            failures.append(f"{name}: {i}: empty question")
        elif lang == "en" and not re.search(r"[A-Za-z]{3,}(?: [A-Za-z]{2,}){2}", q):
            failures.append(f"{name}: {i}: English question without English words")
        elif lang == "ja" and not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", q):
            failures.append(f"{name}: {i}: Japanese question without Japanese text")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--dev", type=Path, default=HERE / "dev_seed.jsonl")
    ap.add_argument("--oos", type=Path, default=HERE / "out_of_scope.jsonl")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()

    lines = args.corpus.read_text(encoding="utf-8").splitlines()
    full = reflow(lines)
    secs = sections(lines)
    failures: list[str] = []
    notes: list[str] = []

    dev = load_jsonl(args.dev, failures)
    check_ids(dev, args.dev.name, "", failures)
    n_answers = 0
    for r in dev:
        i = r.get("id")
        answers, heading = r.get("answers"), r.get("heading")
        if not isinstance(answers, list) or not 1 <= len(answers) <= 3 or not all(isinstance(a, str) and a for a in answers):
            failures.append(f"{i}: answers must be a list of 1-3 non-empty strings")
            continue
        if not isinstance(heading, list) or tuple(heading) not in secs or not heading:
            failures.append(f"{i}: unknown heading path {heading!r}")
            continue
        prose = secs[tuple(heading)]
        for a in answers:
            n_answers += 1
            if a not in full:
                failures.append(f"{i}: answer not in reflowed text: {a!r}")
                continue
            if a not in prose:
                where = [" > ".join(k) for k, v in secs.items() if a in v]
                failures.append(
                    f"{i}: answer {a!r} not in prose of {' > '.join(heading)}"
                    f" (found in: {where or 'figure/footnote/page header only'})"
                )
                continue
            others = [" > ".join(k) for k, v in secs.items() if a in v and k != tuple(heading)]
            if others:
                notes.append(f"{i}: {a!r} also in: {'; '.join(others)}")

    oos = load_jsonl(args.oos, failures) if args.oos.exists() else []
    if not args.oos.exists():
        failures.append(f"missing {args.oos}")
    check_ids(oos, args.oos.name, "oos-", failures)
    for r in oos:
        extra = set(r) - {"id", "lang", "question"}
        if extra:
            failures.append(f"{r.get('id')}: unexpected fields {sorted(extra)}")

    # Summary.
    print(f"corpus: {args.corpus.name}  reflowed chars: {len(full)}  sections: {len(secs) - 1}")
    langs = Counter(r.get("lang") for r in dev)
    print(f"dev_seed: {len(dev)} questions ({dict(sorted(langs.items()))}), {n_answers} answers")
    top = Counter((r["heading"][0], r["lang"]) for r in dev if r.get("heading"))
    for t in sorted({k[0] for k in top}, key=lambda s: int(s.split()[0])):
        print(f"  {t}: ja {top[(t, 'ja')]}, en {top[(t, 'en')]}")
    used = {tuple(r["heading"]) for r in dev if r.get("heading")}
    uncovered = [
        " > ".join(k)
        for k, v in secs.items()
        if k and v and k not in used and not any(o[: len(k)] == k and o != k for o in secs)  # leaves only
    ]
    print(f"  leaf headings with text not covered: {uncovered or 'none'}")
    intros = [
        " > ".join(k) for k, v in secs.items() if k and v and any(o[: len(k)] == k and o != k for o in secs) and k not in used
    ]
    if intros:
        print(f"  (introductory text under a non-leaf heading not used: {intros})")
    olangs = Counter(r.get("lang") for r in oos)
    print(f"out_of_scope: {len(oos)} questions ({dict(sorted(olangs.items()))})")
    if args.verbose:
        print(f"answers also found outside their section ({len(notes)}):")
        for n in notes:
            print("  " + n)
    print(f"failures: {len(failures)}")
    for f in failures:
        print("  FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
