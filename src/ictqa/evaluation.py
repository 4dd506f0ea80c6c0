"""Retrieval quality on a set of questions with known answers (``ictqa eval``).

QA file format (JSON Lines, one question a line)::

    {"id": "ja-001", "lang": "ja", "question": "…", "answers": ["100を超える会員"],
     "heading": ["2 デジタルインフラなどの海外展開", "1 総務省における海外展開支援ツール"]}
    {"id": "oos-01", "lang": "en", "question": "Tomorrow's weather in Osaka?", "answerable": false}

A returned passage is *relevant* when it contains one of ``answers`` (compared
after NFKC with all whitespace removed, so PDF line breaks do not matter), or
when its document id equals ``paragraph_id`` (for corpora of paragraphs such as
JSQuAD).  ``heading`` is optional: when given, the heading path of the first
relevant passage is compared with it.  ``lang`` defaults to a guess from the
question's script.  Rows with ``"answerable": false`` only count towards the
abstention rate.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chunks import Chunk
from .errors import IctqaError
from .lexical import guess_lang

KS = (1, 5, 10)


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    lang: str
    answers: tuple[str, ...] = ()
    paragraph_id: str | None = None
    heading: tuple[str, ...] | None = None
    answerable: bool = True


@dataclass(frozen=True)
class Outcome:
    """How one question fared: the 1-based rank of the first relevant passage
    (None if not in the top 10), the number of relevant passages in the whole
    index (for nDCG), whether the system abstained, and whether the first
    relevant passage had the expected heading."""

    item: QAItem
    first_hit: int | None
    hits: tuple[int, ...]
    relevant_total: int
    abstained: bool
    heading_ok: bool | None = None
    # When the top passage contains an answer: does its highlight contain it
    # too, and does the answer span marked in it equal or contain one?
    highlight_ok: bool | None = None
    span_ok: bool | None = None


@dataclass(frozen=True)
class Metrics:
    n: int
    recall: dict[int, float]
    mrr10: float
    ndcg10: float
    abstained_answerable: float  # share of answerable questions flagged unanswerable
    n_unanswerable: int = 0
    abstained_unanswerable: float = 0.0  # share of out-of-scope questions flagged
    heading_accuracy: float | None = None
    highlight_accuracy: float | None = None
    span_accuracy: float | None = None  # answer span equals or contains a gold answer
    n_highlight: int = 0  # questions whose top passage holds an answer (both figures' base)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            **{f"recall@{k}": round(v, 4) for k, v in self.recall.items()},
            "mrr@10": round(self.mrr10, 4),
            "ndcg@10": round(self.ndcg10, 4),
            "abstain_answerable": round(self.abstained_answerable, 4),
            "n_unanswerable": self.n_unanswerable,
            "abstain_unanswerable": round(self.abstained_unanswerable, 4),
            "heading_accuracy": None if self.heading_accuracy is None else round(self.heading_accuracy, 4),
            "highlight_accuracy": None if self.highlight_accuracy is None else round(self.highlight_accuracy, 4),
            "span_accuracy": None if self.span_accuracy is None else round(self.span_accuracy, 4),
            "n_highlight": self.n_highlight,
        }


def squash(text: str) -> str:
    """NFKC with every whitespace removed: how answers are matched."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def load_qa(path: Path) -> list[QAItem]:
    items: list[QAItem] = []
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise IctqaError(f"cannot read the QA file {path}: {e}", expected="a UTF-8 JSON Lines file") from e
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            q = d["question"]
            if not isinstance(q, str) or not q.strip():
                raise KeyError("question")
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise IctqaError(
                f"{path}:{n} is not a QA row ({type(e).__name__}: {e})",
                expected='{"question": "...", "answers": ["..."]} or {"question": "...", "paragraph_id": "..."}',
                fix="see `ictqa eval --help` for the format",
            ) from e
        answers = d.get("answers") or ()
        if isinstance(answers, str):
            answers = (answers,)
        answerable = bool(d.get("answerable", True))
        if answerable and not answers and d.get("paragraph_id") is None:
            raise IctqaError(
                f"{path}:{n} has neither answers nor a paragraph_id",
                fix='add "answers": [...] or mark it "answerable": false',
            )
        items.append(
            QAItem(
                id=str(d.get("id", n)),
                question=q,
                lang=d.get("lang") or guess_lang(q),
                answers=tuple(answers),
                paragraph_id=None if d.get("paragraph_id") is None else str(d["paragraph_id"]),
                heading=tuple(d["heading"]) if d.get("heading") else None,
                answerable=answerable,
            )
        )
    if not items:
        raise IctqaError(f"{path} has no questions")
    return items


def is_relevant(item: QAItem, chunk: Chunk, squashed_text: str | None = None) -> bool:
    if item.paragraph_id is not None and chunk.citation.document == item.paragraph_id:
        return True
    if item.answers:
        text = squashed_text if squashed_text is not None else squash(chunk.text)
        return any(squash(a) in text for a in item.answers)
    return False


def judge(
    item: QAItem,
    ranked: Sequence[Chunk],
    answerable: bool,
    relevant_total: int,
    squashed: Callable[[Chunk], str],
    top_highlight: str | None = None,
    top_answer: str | None = None,
) -> Outcome:
    hits = tuple(i for i, c in enumerate(ranked[:10], start=1) if is_relevant(item, c, squashed(c)))
    heading_ok = None
    if item.heading is not None and hits:
        heading_ok = tuple(ranked[hits[0] - 1].citation.path) == tuple(item.heading)
    highlight_ok = span_ok = None
    if ranked and item.answers:
        in_top = [a for a in item.answers if squash(a) in squashed(ranked[0])]
        if in_top:
            hl = squash(top_highlight or "")
            highlight_ok = any(squash(a) in hl for a in in_top)
            span = squash(top_answer or "")
            span_ok = bool(span) and any(squash(a) in span for a in in_top)
    return Outcome(item, hits[0] if hits else None, hits, relevant_total, not answerable, heading_ok, highlight_ok, span_ok)


def summarize(outcomes: Iterable[Outcome]) -> Metrics:
    outcomes = list(outcomes)
    ans = [o for o in outcomes if o.item.answerable]
    una = [o for o in outcomes if not o.item.answerable]
    n = len(ans)
    recall = {k: (sum(1 for o in ans if o.first_hit and o.first_hit <= k) / n if n else 0.0) for k in KS}
    mrr = sum(1.0 / o.first_hit for o in ans if o.first_hit) / n if n else 0.0
    ndcg = sum(_ndcg(o) for o in ans) / n if n else 0.0
    heads = [o.heading_ok for o in ans if o.heading_ok is not None]
    hls = [o.highlight_ok for o in ans if o.highlight_ok is not None]
    spans = [o.span_ok for o in ans if o.span_ok is not None]
    return Metrics(
        n=n,
        recall=recall,
        mrr10=mrr,
        ndcg10=ndcg,
        abstained_answerable=sum(o.abstained for o in ans) / n if n else 0.0,
        n_unanswerable=len(una),
        abstained_unanswerable=sum(o.abstained for o in una) / len(una) if una else 0.0,
        heading_accuracy=sum(heads) / len(heads) if heads else None,
        highlight_accuracy=sum(hls) / len(hls) if hls else None,
        span_accuracy=sum(spans) / len(spans) if spans else None,
        n_highlight=len(hls),
    )


def _ndcg(o: Outcome) -> float:
    dcg = sum(1.0 / math.log2(r + 1) for r in o.hits)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(max(o.relevant_total, 1), 10) + 1))
    return dcg / ideal if ideal else 0.0


def evaluate(searcher, items: Sequence[QAItem], mode: str = "hybrid", k: int = 10, batch: int = 64) -> list[Outcome]:
    """Run every question through ``searcher`` and judge the top ``k``."""
    cache: dict[str, str] = {}

    def squashed(c: Chunk) -> str:
        s = cache.get(c.id)
        if s is None:
            s = cache[c.id] = squash(c.text)
        return s

    totals = [sum(1 for c in searcher.chunks if is_relevant(it, c, squashed(c))) if it.answerable else 0 for it in items]
    outcomes: list[Outcome] = []
    for start in range(0, len(items), batch):
        part = items[start : start + batch]
        for it, total, resp in zip(
            part, totals[start : start + batch], searcher.search_many([i.question for i in part], k=k, mode=mode)
        ):
            if isinstance(resp, IctqaError):
                outcomes.append(Outcome(it, None, (), total, True))
                continue
            top = resp.results[0].highlight if resp.results else None
            top_hl = top.text if top else None
            top_answer = top.answer.text if top and top.answer else None
            outcomes.append(judge(it, [r.chunk for r in resp.results], resp.answerable, total, squashed, top_hl, top_answer))
    return outcomes


def by_language(outcomes: Sequence[Outcome]) -> dict[str, Metrics]:
    langs = sorted({o.item.lang for o in outcomes})
    table = {lang: summarize(o for o in outcomes if o.item.lang == lang) for lang in langs}
    table["all"] = summarize(outcomes)
    return table


def format_table(rows: dict[str, dict[str, Metrics]]) -> str:
    """Markdown table: one row per (mode, language)."""
    head = (
        "| mode | lang | n | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | heading ok | highlight ok | answer span ok "
        "| abstain (answerable) | abstain (out-of-scope) |"
    )
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for mode, per_lang in rows.items():
        for lang, m in per_lang.items():
            h = "–" if m.heading_accuracy is None else f"{m.heading_accuracy:.2f}"
            hl = "–" if m.highlight_accuracy is None else f"{m.highlight_accuracy:.2f} (n={m.n_highlight})"
            sp = "–" if m.span_accuracy is None else f"{m.span_accuracy:.2f}"
            oos = f"{m.abstained_unanswerable:.2f} (n={m.n_unanswerable})" if m.n_unanswerable else "–"
            lines.append(
                f"| {mode} | {lang} | {m.n} | {m.recall[1]:.2f} | {m.recall[5]:.2f} | {m.recall[10]:.2f} | "
                f"{m.mrr10:.3f} | {m.ndcg10:.3f} | {h} | {hl} | {sp} | {m.abstained_answerable:.2f} | {oos} |"
            )
    return "\n".join(lines)
