"""The background bank: generic, non-ICT passages (``data/background.jsonl``)
that every index embeds beside its own passages.

Why: e5 cosines sit in a narrow band whatever the question, so whether the
index answers a question is judged by comparing its best passage with the
best of this bank (see ictqa.search.abstain).  The bank is data shipped with
ictqa, embedded at build time with the index's model so that the comparison
costs nothing at question time.
"""

from __future__ import annotations

import json
from importlib.resources import files


def background_passages() -> list[str]:
    text = (files("ictqa") / "data" / "background.jsonl").read_text(encoding="utf-8")
    return [json.loads(line)["text"] for line in text.splitlines() if line.strip()]
