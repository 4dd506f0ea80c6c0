"""Archive benchmark (issue #15): the 24 editions and the seed in one index,
the archive question set, ictqa side by side with naive peers in one run.

    python bench/archive_eval.py                     # held-out half (the figures we report)
    python bench/archive_eval.py --split dev         # the half we tune on
    python bench/archive_eval.py --index /tmp/archive --naive /tmp/naive
    python bench/archive_eval.py --no-naive          # ictqa only

Builds (incrementally) ``bench/out/index-archive`` from corpus/ and
../shared/data/whitepaper/ja/full/ (about 30 minutes the first time) and the
naive index ``bench/out/naive-archive`` (500-character windows of the same
files, embedded with the same model and engine, FAISS flat; BM25 over
fugashi surface forms; reciprocal rank fusion k=60), unless given.

Questions: bench/data/archive_{dev,holdout}.jsonl (written from the texts
before any tuning; see their .md).  Per question type:

* fact / named: R@1, R@5 per language, a passage relevant when it holds an
  answer string; named: the first passage is from the named edition and
  holds the answer; heading: the first relevant passage's citation numbers
  equal the gold label (where the gold has one);
* compare: both editions' answer passages in the top 10;
* first: the timeline's first edition equals the gold first year (naive:
  the earliest edition among its top 10, the best a user of it can do);
* oos: flagged "not answered" (and answerable questions wrongly flagged).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FULL = REPO.parent / "shared" / "data" / "whitepaper" / "ja" / "full"
WINDOW, TOP, RRF_K, K = 500, 100, 60, 10


def archive_files() -> list[Path]:
    if not FULL.is_dir():
        sys.exit(f"{FULL} is absent: this benchmark needs ../shared")
    return [REPO / "corpus", *sorted(p for p in FULL.glob("*_20??.txt"))]


def squash(s: str) -> str:
    from ictqa.evaluation import squash as sq

    return sq(s)


_NUMBER_TOKEN = re.compile(r"第\d+[部章節]|\(\d+\)|\([ア-ン]\)|\d+|[ア-ン]")


def label_tokens(label: str) -> list[str]:
    """The heading numbers of a citation label or a gold label, as tokens:
    「令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹…」 → 第5章 第8節 2 (3) ア."""
    import unicodedata

    label = unicodedata.normalize("NFKC", label)
    if "白書" in label:
        label = label.split("白書", 1)[1]
    parts = label.split()
    where = [p for p in parts[:2] if re.fullmatch(r"[第\d部章節]+|[0-9()ア-ン]+", p)]
    return _NUMBER_TOKEN.findall(" ".join(where))


def heading_right(label: str, gold: str) -> bool:
    """The gold label's numbers lead the passage's (the gold may stop at a
    level above the passage's own heading)."""
    got, want = label_tokens(label), label_tokens(gold)
    return bool(want) and got[: len(want)] == want


@dataclass
class Hit:
    """What a pipeline returned for a question, as the judge needs it."""

    year: int | None
    text: str
    label: str = ""


@dataclass
class Answer:
    hits: list[Hit]
    answerable: bool = True
    first_year: int | None = None  # the timeline's first edition (ictqa) or a stand-in


# -- the pipelines ---------------------------------------------------------------


class Ictqa:
    name = "ictqa"

    def __init__(self, index: Path) -> None:
        from ictqa.search import Searcher

        self.searcher = Searcher.open(index)

    def answer(self, item: dict[str, Any]) -> Answer:
        from ictqa.search import timeline

        r = self.searcher.search(item["question"], k=K)
        hits = [Hit(x.chunk.citation.year, x.chunk.text, x.chunk.citation.label) for x in r.results]
        first = None
        if item["type"] == "first":
            first = (timeline(self.searcher, item["question"], k=1).to_json()["first"] or {}).get("year")
        return Answer(hits, r.answerable, first)


class Naive:
    name = "naive RRF"

    def __init__(self, index: Path, mode: str = "rrf") -> None:
        import bm25s
        import faiss
        import fugashi

        from ictqa.model import load_encoder

        self.mode = mode
        self.name = {"rrf": "naive RRF", "dense": "naive dense", "bm25": "naive BM25"}[mode]
        self.encoder = load_encoder()
        self.faiss = faiss.read_index(str(index / "faiss.index"))
        self.bm25 = bm25s.BM25.load(str(index / "bm25"), show_progress=False)
        self.windows = [json.loads(line) for line in (index / "windows.jsonl").open(encoding="utf-8")]
        self.tagger = fugashi.Tagger()

    def answer(self, item: dict[str, Any]) -> Answer:
        q = item["question"]
        top = min(TOP, len(self.windows))
        rankings = []
        if self.mode in ("rrf", "dense"):
            _, dense = self.faiss.search(self.encoder.encode_queries([q]).astype("float32"), top)
            rankings.append([int(i) for i in dense[0] if i >= 0])
        if self.mode in ("rrf", "bm25"):
            res = self.bm25.retrieve([[w.surface for w in self.tagger(q)]], k=top, show_progress=False)
            rankings.append([int(d) for d, s in zip(res.documents[0], res.scores[0]) if s > 0])
        score: dict[int, float] = {}
        for ranking in rankings:
            for rank, i in enumerate(ranking, start=1):
                score[i] = score.get(i, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(score, key=lambda i: -score[i])[:K]
        hits = [Hit(self.windows[i]["year"], self.windows[i]["text"]) for i in best]
        years = [h.year for h in hits if h.year]
        return Answer(hits, True, min(years) if years else None)


def build_naive(out: Path) -> None:
    import bm25s
    import faiss
    import fugashi

    from ictqa.ingest import iter_corpus_files, read_source
    from ictqa.ingest.editions import load_meta
    from ictqa.model import load_encoder

    t = time.perf_counter()
    tagger = fugashi.Tagger()
    windows = []
    for path in iter_corpus_files(archive_files()):
        source = read_source(path)
        year = load_meta(source, None).year
        text = source.text
        windows += [
            {"document": path.name, "year": year, "start": s, "text": text[s : s + WINDOW]} for s in range(0, len(text), WINDOW)
        ]
    encoder = load_encoder()
    vecs = np.concatenate(
        [encoder.encode_documents([w["text"] for w in windows[a : a + 256]]) for a in range(0, len(windows), 256)]
    )
    out.mkdir(parents=True, exist_ok=True)
    dense = faiss.IndexFlatIP(vecs.shape[1])
    dense.add(np.ascontiguousarray(vecs, dtype=np.float32))
    faiss.write_index(dense, str(out / "faiss.index"))
    bm = bm25s.BM25()
    bm.index([[w.surface for w in tagger(x["text"])] for x in windows], show_progress=False)
    bm.save(str(out / "bm25"), show_progress=False)
    with (out / "windows.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(w, ensure_ascii=False) + "\n" for w in windows)
    print(f"naive index {out}: {len(windows)} windows in {time.perf_counter() - t:.0f}s", file=sys.stderr)


# -- judging ---------------------------------------------------------------------


def holds(hit: Hit, answers: Sequence[str]) -> bool:
    t = squash(hit.text)
    return any(squash(a) in t for a in answers)


def judge(items: list[dict[str, Any]], answers: list[Answer]) -> dict[str, Any]:
    rows: dict[str, list[float]] = {}

    def add(key: str, value: float | bool | None) -> None:
        if value is not None:
            rows.setdefault(key, []).append(float(value))

    for it, a in zip(items, answers):
        lang, kind = it["lang"], it["type"]
        if kind in ("fact", "named"):
            ranks = [i for i, h in enumerate(a.hits, start=1) if holds(h, it["answers"])]
            add(f"R@1 {lang}", bool(ranks and ranks[0] == 1))
            add(f"R@5 {lang}", bool(ranks and ranks[0] <= 5))
            add("answerable flagged", not a.answerable)
            if kind == "named":
                top = a.hits[0] if a.hits else None
                add(f"named edition {lang}", bool(top and top.year == it["year"] and holds(top, it["answers"])))
            if it.get("label") and ranks:
                add("heading right", heading_right(a.hits[ranks[0] - 1].label, it["label"]))
        elif kind == "compare":
            ok = all(any(h.year == int(y) and holds(h, ans) for h in a.hits[:10]) for y, ans in it["answers_by_year"].items())
            add("two editions in top 10", ok)
            add("answerable flagged", not a.answerable)
        elif kind == "first":
            add(f"first mention {lang}", a.first_year == it["first_year"])
        elif kind == "oos":
            add(f"oos flagged {lang}", not a.answerable)
    return {k: (float(np.mean(v)), len(v)) for k, v in rows.items()}


METRICS = [
    "R@1 ja", "R@5 ja", "R@1 en", "R@5 en", "named edition ja", "named edition en", "heading right",
    "two editions in top 10", "first mention ja", "first mention en", "oos flagged ja", "oos flagged en", "answerable flagged",
]  # fmt: skip


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for m in METRICS:
        cells = []
        for n in names:
            v = results[n].get(m)
            cells.append("–" if v is None else f"{v[0]:.2f} (n={v[1]})")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=["holdout", "dev", "all"], default="holdout")
    p.add_argument("--index", type=Path, default=HERE / "out" / "index-archive")
    p.add_argument("--naive", type=Path, default=HERE / "out" / "naive-archive")
    p.add_argument("--no-naive", action="store_true")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)

    from ictqa.index import build_index, read_manifest
    from ictqa.model import load_encoder

    if read_manifest(args.index) is None:
        t = time.perf_counter()
        r = build_index(archive_files(), args.index, load_encoder(), progress=True)
        print(f"index {args.index}: {r.documents} docs, {r.chunks} passages in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    splits = ["dev", "holdout"] if args.split == "all" else [args.split]
    items = [json.loads(line) for s in splits for line in (HERE / "data" / f"archive_{s}.jsonl").open(encoding="utf-8")]
    pipelines: list[Any] = [Ictqa(args.index)]
    if not args.no_naive:
        if not (args.naive / "windows.jsonl").exists():
            build_naive(args.naive)
        pipelines += [Naive(args.naive, m) for m in ("rrf", "dense", "bm25")]
    results = {}
    for pl in pipelines:
        t = time.perf_counter()
        answers = [pl.answer(it) for it in items]
        results[pl.name] = judge(items, answers)
        print(f"{pl.name}: {len(items)} questions in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    print(f"\nquestions: {', '.join(f'archive_{s}.jsonl' for s in splits)} ({len(items)}); index: {args.index}")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
