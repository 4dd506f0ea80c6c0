"""Abstention across index sizes: how many out-of-scope questions are flagged
"not answered", and how many answerable ones wrongly, on the seed-only,
five-edition and archive indexes, with ictqa.search.Abstention's settings
(and, with --grid, the settings around them).

    python bench/calibrate_abstention.py                       # dev questions (what the defaults were chosen on)
    python bench/calibrate_abstention.py --split holdout       # held-out questions
    python bench/calibrate_abstention.py --grid                # the search that chose the defaults

Indexes: bench/out/index-seed, bench/out/index-seed+5 (bench/dev_eval.py
builds both) and bench/out/index-archive (bench/archive_eval.py builds it);
--seed/--editions/--archive point elsewhere.  Questions (dev | holdout):

* seed-only: bench/data/dev_seed.jsonl + out_of_scope.jsonl | out_of_scope_holdout.jsonl, and the
  archive sets' out-of-scope questions;
* five editions: dev_seed.jsonl | holdout_editions.jsonl, and the archive sets' out-of-scope questions
  (the section's out-of-scope sets ask about things the full editions do cover);
* archive: archive_dev.jsonl | archive_holdout.jsonl (fact, named and out-of-scope rows).

The dev split of each also has archive_oos_extra_dev.jsonl (40 out-of-scope
questions).

Each question's signals are taken once from the real Searcher; the rule is
then replayed for each setting, exactly as Abstention.answerable applies it.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def questions(kind: str, split: str) -> list[dict[str, Any]]:
    def rows(name: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (DATA / name).open(encoding="utf-8")]

    arch = rows(f"archive_{split}.jsonl")
    # The dev side has 40 more out-of-scope questions (bench/data/README.md).
    extra = rows("archive_oos_extra_dev.jsonl") if split == "dev" else []
    arch_oos = [r for r in arch if r.get("type") == "oos"] + extra
    if kind == "archive":
        return [r for r in arch if r.get("type") in ("fact", "named", "oos")] + extra
    if kind == "seed":
        return (
            (rows("dev_seed.jsonl") if split == "dev" else [])
            + rows("out_of_scope.jsonl" if split == "dev" else "out_of_scope_holdout.jsonl")
            + arch_oos
        )
    return rows("dev_seed.jsonl" if split == "dev" else "holdout_editions.jsonl") + arch_oos


def signals(index: Path, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Any]:
    """Per question what Abstention.answerable is given (and the gold)."""
    from ictqa.search import Searcher

    s = Searcher.open(index)
    out = []
    for it in items:
        r = s.search(it["question"], k=1)
        q = s.analyse(it["question"])
        v = s.encode_query(q.text)
        c = s.candidates(q, v)
        top = int(c.ids[np.argmax(c.signals["passage"])]) if c.ids.size else None
        first = next((i for i, ch in enumerate(s.chunks) if r.results and ch.id == r.results[0].chunk.id), None)
        out.append(
            {
                "lang": q.language,
                "answerable": it.get("answerable", True) and it.get("type") != "oos",
                "top": float(c.signals["passage"].max()) if c.ids.size and top is not None else 0.0,
                "bg": s._background_top(v),
                "terms": sum(1 for t in c.evidence.per_term if first is not None and t[first] > 0),
                "coverage": c.evidence.coverage,
                "missing": any(e.use == "restrict" and not e.applied and e.year for e in r.editions_detected),
                "flagged": not r.answerable,
            }
        )
    return out, s.index.manifest.probes


def rates(rows: list[dict[str, Any]], probes: Any, abst: Any) -> dict[str, tuple[float, float, int, int]]:
    from ictqa.search.query import Query

    limits = abst.thresholds(probes)
    out = {}
    for lang in ("ja", "en"):
        q = Query(text="", language=lang, words=())
        flag = [
            r["missing"] or not abst.answerable(q, r["top"], r["bg"], r["terms"], r["coverage"], limits)
            for r in rows
            if r["lang"] == lang
        ]
        gold = [r["answerable"] for r in rows if r["lang"] == lang]
        ans = [f for f, g in zip(flag, gold) if g]
        oos = [f for f, g in zip(flag, gold) if not g]
        out[lang] = (
            float(np.mean(ans)) if ans else float("nan"),
            float(np.mean(oos)) if oos else float("nan"),
            len(ans),
            len(oos),
        )
    return out


def main(argv: list[str] | None = None) -> int:
    from ictqa.search import Abstention

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=["dev", "holdout"], default="dev")
    p.add_argument("--seed", type=Path, default=HERE / "out" / "index-seed")
    p.add_argument("--editions", type=Path, default=HERE / "out" / "index-seed+5")
    p.add_argument("--archive", type=Path, default=HERE / "out" / "index-archive")
    p.add_argument("--grid", action="store_true")
    p.add_argument(
        "--max-answerable",
        type=float,
        default=0.05,
        help="with --grid: the most answerable questions a setting may flag on any index (default: %(default)s)",
    )
    args = p.parse_args(argv)
    data = {}
    for kind, index in (("seed", args.seed), ("editions", args.editions), ("archive", args.archive)):
        if (index / "CURRENT").exists():
            data[kind] = signals(index, questions(kind, args.split))
        else:
            print(f"{index}: no index (skipped)", file=sys.stderr)
    base = Abstention()
    print(f"questions: {args.split}; rate of answerable questions flagged / out-of-scope questions flagged (n)")
    print("| index | lang | answerable flagged | out-of-scope flagged |\n|---|---|---|---|")
    for kind, (rows, probes) in data.items():
        for lang, (a, o, na, no) in rates(rows, probes, base).items():
            print(f"| {kind} | {lang} | {a:.2f} (n={na}) | {o:.2f} (n={no}) |")
    if args.grid:
        best = []
        for q, w, dja, den, tm in itertools.product(
            (0.9, 0.95),
            (0.0, 0.02, 0.05, 0.1),
            np.arange(-0.01, 0.026, 0.005),
            np.arange(-0.01, 0.026, 0.005),
            (-0.02, -0.03, -0.04),
        ):
            a = dataclasses.replace(
                base, probe_quantile=q, coverage_weight=w, probe_margin_ja=dja, probe_margin_en=den, terms_probe_margin_en=tm
            )
            r = {(k, lang): v for k, (rows, probes) in data.items() for lang, v in rates(rows, probes, a).items()}
            worst_ans = max(v[0] for v in r.values())
            worst_oos = min(v[1] for v in r.values())
            best.append(
                (worst_ans <= args.max_answerable + 1e-9, worst_oos, -worst_ans, (q, w, round(dja, 3), round(den, 3), tm), r)
            )
        best.sort(key=lambda b: b[:3], reverse=True)
        print(f"\nbest settings (answerable flagged ≤ {args.max_answerable} everywhere, then most out-of-scope flagged):")
        for _ok, wo, wa, setting, _r in best[:8]:
            print(
                f"quantile, coverage weight, margin ja, margin en, terms margin = {setting}: worst oos {wo:.2f}, worst answerable {-wa:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
