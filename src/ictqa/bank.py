"""The background bank: generic, non-ICT passages (``data/background.jsonl``)
that every index embeds beside its own passages, and the probe questions
(``data/probes.jsonl``) every index is measured against.

Why: e5 cosines sit in a narrow band whatever the question, so whether the
index answers a question is judged by comparing its best passage with the
best of this bank (see ictqa.search.abstain).  The bank is data shipped with
ictqa, embedded at build time with the index's model so that the comparison
costs nothing at question time.

The probes are generic questions that no white paper answers, in Japanese
and English.  How close an index's passages come to them grows with the
index (34,000 passages are near everything; 87 are near little), so each
build records it and abstention compares a question with its own index's
probes rather than with a margin fixed on one section.
"""

from __future__ import annotations

import json
from importlib.resources import files


def background_passages() -> list[str]:
    text = (files("ictqa") / "data" / "background.jsonl").read_text(encoding="utf-8")
    return [json.loads(line)["text"] for line in text.splitlines() if line.strip()]


def probe_questions() -> list[tuple[str, str]]:
    """(language, question) of every probe."""
    text = (files("ictqa") / "data" / "probes.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [(r["lang"], r["question"]) for r in rows]
