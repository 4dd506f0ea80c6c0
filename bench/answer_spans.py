"""The answer span on its own (issue #16): given the sentence that holds a
question's gold answer, does the span ictqa marks in it equal or contain one?

    python bench/answer_spans.py            # measure the shipped SpanWeights
    python bench/answer_spans.py --fit      # fit them on the dev sets, report all sets

No model and no search: each question's sentence is found by its gold answer
(in the chunks of bench/out/index-seed and index-seed+5, built by
bench/dev_eval.py, and in the source lines of ../shared's 24 editions), so the
figure measures the span choice alone; ``bench/dev_eval.py`` measures it
after retrieval and sentence choice.

Dev (fitted on): bench/data/dev_seed.jsonl and archive_dev.jsonl.  Held out
(reported, never fitted): holdout_editions.jsonl and archive_holdout.jsonl.
``--fit`` maximises a softmax over each question's candidates of the ones
that contain a gold answer (L2-regularised), and prints the weights to paste
into ``ictqa.search.answer.SpanWeights``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FULL = REPO.parent / "shared" / "data" / "whitepaper" / "ja" / "full"

Example = tuple[str, str, list[tuple[int, int, dict[str, float], bool]]]  # id, lang, candidates (start, end, features, gold)


def _chunks(index: Path) -> list[str]:
    from ictqa.index.store import current_build

    build = current_build(index)
    if build is None:
        sys.exit(f"no index at {index}: run python bench/dev_eval.py{' --editions' if '+5' in index.name else ''} first")
    with open(build / "chunks.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def _gold_sentences(texts: list[str], answers: list[str]) -> Iterator[tuple[str, int, int]]:
    """(text, start, end) of the first sentence holding each answer."""
    from ictqa.evaluation import squash
    from ictqa.lexical import sentence_spans

    for a in answers:
        sa = squash(a)
        for text in texts:
            if sa not in squash(text):
                continue
            for s, e in sentence_spans(text):
                if sa in squash(text[s:e]):
                    yield text, s, e
                    break
            else:
                continue
            break


def examples(qa: Path, texts_for, table) -> list[Example]:
    from ictqa.evaluation import squash
    from ictqa.glossary import translate
    from ictqa.lexical import tag, words
    from ictqa.search.answer import Cues, candidates
    from ictqa.search.query import analyse

    out: list[Example] = []
    for line in qa.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row.get("answers") or row.get("answerable") is False:
            continue
        q = analyse(row["question"])
        if not q.asks.types:
            continue
        texts = texts_for(row)
        golds = [squash(a) for a in row["answers"]]
        found = next(_gold_sentences(texts, row["answers"]), None)
        if found is None:
            continue
        text, s, e = found
        have = set(words(text))
        terms = []
        if q.language == "en":
            for t in translate(row["question"], table):
                kept = tuple(sp for sp in t.spellings if sp[1] and all(w in have for w in sp[1]))
                if kept:
                    terms.append(type(t)(t.english, kept))
        toks = [t for t in tag(text) if t.start >= s and t.end <= e]
        cues = Cues.of(q.words, terms, q.asks, q.text)
        cands = [
            (a, b, f, any(g in squash(text[a:b]) for g in golds)) for a, b, _, f in candidates(text, s, e, toks, q.asks, cues)
        ]
        out.append((row.get("id", ""), q.language, cands))
    return out


def accuracy(exs: list[Example], weights: dict[str, float]) -> dict[str, tuple[int, int, int]]:
    """Per language: (top candidate contains gold, some candidate does, questions)."""
    res: dict[str, list[int]] = {}
    for _, lang, cands in exs:
        r = res.setdefault(lang, [0, 0, 0])
        r[2] += 1
        if not cands:
            continue
        r[1] += any(g for *_, g in cands)
        scores = [sum(weights.get(k, 0.0) * v for k, v in f.items()) for _, _, f, _ in cands]
        top = max(scores)
        best = min((c for c, sc in zip(cands, scores) if sc >= top - 1e-6), key=lambda c: (c[1] - c[0], c[0]))
        r[0] += best[3]
    return {k: (v[0], v[1], v[2]) for k, v in res.items()}


def fit(
    exs: list[Example], start: dict[str, float], l2: float = 0.02, steps: int = 3000, lr: float = 0.5, temp: float = 10.0
) -> dict[str, float]:
    names = sorted({k for _, _, cs in exs for _, _, f, _ in cs for k in f} | set(start))
    idx = {n: i for i, n in enumerate(names)}
    data = []
    for _, _, cs in exs:
        if not any(g for *_, g in cs) or all(g for *_, g in cs):
            continue
        x = np.zeros((len(cs), len(names)))
        for r, (_, _, f, _) in enumerate(cs):
            for k, v in f.items():
                x[r, idx[k]] = v
        data.append((x, np.array([g for *_, g in cs], dtype=bool)))
    w = np.array([start.get(n, 0.0) for n in names])
    w0 = w.copy()
    for _ in range(steps):
        grad = l2 * (w - w0)
        for x, g in data:
            s = x @ w * temp  # quality differences of ~1/temp decide
            p = np.exp(s - s.max())
            p_all = p / p.sum()
            p_pos = np.where(g, p, 0.0)
            p_pos /= p_pos.sum()
            grad += temp * (x.T @ (p_all - p_pos)) / len(data)
        w -= lr * grad
    return {n: round(float(v), 3) for n, v in zip(names, w)}


def main() -> int:
    from ictqa.glossary import GLOSSARY_PATH, load_table
    from ictqa.search.answer import SpanWeights

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fit", action="store_true")
    p.add_argument("--archive", action="store_true", help="fit on archive_dev.jsonl too")
    p.add_argument("--temp", type=float, default=10.0)
    p.add_argument("--l2", type=float, default=0.02)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument(
        "--indexes",
        type=Path,
        default=HERE / "out",
        help="folder holding index-seed and index-seed+5 (only their passages are read: a --model fake build will do)",
    )
    args = p.parse_args()
    table = load_table(GLOSSARY_PATH)
    seed = _chunks(args.indexes / "index-seed")
    five = _chunks(args.indexes / "index-seed+5") if (args.indexes / "index-seed+5").exists() else []
    by_year = {int(f.stem.split("_")[1]): f for f in FULL.glob("*_*.txt") if not f.stem.endswith("urls")}

    def archive(row: dict) -> list[str]:
        f = by_year.get(row.get("year"))
        if f is None or not isinstance(row.get("source_line"), int):
            return []
        return [f.read_text(encoding="utf-8").splitlines()[row["source_line"] - 1]]

    sets = {
        "dev_seed": (HERE / "data" / "dev_seed.jsonl", lambda r: seed),
        "archive_dev": (HERE / "data" / "archive_dev.jsonl", archive),
        "holdout_editions": (HERE / "data" / "holdout_editions.jsonl", lambda r: five),
        "archive_holdout": (HERE / "data" / "archive_holdout.jsonl", archive),
    }
    exs = {name: examples(path, texts, table) for name, (path, texts) in sets.items()}
    weights = dict(SpanWeights().weights)
    if args.fit:
        weights = fit(
            exs["dev_seed"] + (exs["archive_dev"] if args.archive else []), weights, args.l2, args.steps, temp=args.temp
        )
        print("fitted weights:\n" + "\n".join(f'        ("{k}", {v}),' for k, v in weights.items() if v))
    print("| set | lang | questions | span contains gold | some candidate does |")
    print("|---|---|---|---|---|")
    for name, ex in exs.items():
        for lang, (ok, reach, n) in sorted(accuracy(ex, weights).items()):
            print(f"| {name} | {lang} | {n} | {ok / n:.2f} | {reach / n:.2f} |" if n else f"| {name} | {lang} | 0 | – | – |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
