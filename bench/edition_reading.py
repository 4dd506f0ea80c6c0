"""How often ictqa reads the editions a question names right, and how often
a year that dates an event is wrongly taken for an edition (issue #15).

    python bench/edition_reading.py                 # both halves of the archive set
    python bench/edition_reading.py --split holdout # the held-out half only

No model and no index: only ``ictqa.search.editions.detect_editions``, the
pure function the searcher calls.  Per question of bench/data/archive_*.jsonl
(gold: ``named_years``, ``event_year``):

* named / compare: the years read equal the gold years (order free);
* a question with an event year: no year other than its named ones is read
  (an event year read as an edition would restrict the search to it);
* a question naming no edition: no edition read at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    from ictqa.search.editions import detect_editions

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=["dev", "holdout", "both"], default="both")
    args = p.parse_args(argv)
    splits = ["dev", "holdout"] if args.split == "both" else [args.split]
    rows = [json.loads(line) for s in splits for line in (HERE / "data" / f"archive_{s}.jsonl").open(encoding="utf-8")]

    named_ok = named_n = event_wrong = event_n = none_wrong = none_n = 0
    wrong: list[str] = []
    for r in rows:
        if r.get("type") in ("first", "oos"):
            continue
        read = sorted({m.year for m in detect_editions(r["question"]) if m.year is not None})
        gold = sorted(set(r.get("named_years") or []))
        if gold:
            named_n += 1
            named_ok += read == gold
        else:
            none_n += 1
            none_wrong += bool(read)
        if r.get("event_year"):
            event_n += 1
            bad = bool(set(read) - set(gold))
            event_wrong += bad
        if read != gold:
            wrong.append(f"{r['id']}: read {read}, gold {gold}: {r['question']}")

    print(f"questions: archive_{'+'.join(splits)} (fact, named, compare)")
    print("| figure | rate | n |\n|---|---|---|")
    print(f"| named editions read exactly | {named_ok / max(named_n, 1):.2f} | {named_n} |")
    print(f"| event year taken for an edition (wrong) | {event_wrong / max(event_n, 1):.2f} | {event_n} |")
    print(f"| edition read where none is named (wrong) | {none_wrong / max(none_n, 1):.2f} | {none_n} |")
    for w in wrong:
        print("  " + w, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
