"""Question files in, answer files out (shared by ``ictqa batch`` and the web form).

Input: ``.txt`` (one question a line), ``.jsonl`` (``question``, optional
``id``) or ``.csv`` (a ``question`` column, optional ``id``).  In every
format an empty question (a blank line between questions, an empty cell) is
reported with its line number and skipped.  Output: JSON
Lines, one object per question (the ``ask --json`` format), or CSV with one row
per returned passage.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import IctqaError
from .results import Response

MAX_BATCH_BYTES = 5 * 1024 * 1024
SUFFIXES = (".txt", ".jsonl", ".csv")

# (id, where in the file, question); a row without an id gets its line number
Row = tuple[str, str, str]

# Columns may be added at the end, never removed or reordered (like the JSON).
CSV_COLUMNS = ["id", "query", "answerable", "rank", "score", "label", "edition", "highlight", "text", "answer"]


def read_questions(path: Path, *, max_bytes: int = MAX_BATCH_BYTES) -> tuple[list[Row], list[str]]:
    """Rows to answer, and one message per bad row (``"line N: why"``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise IctqaError(
            f"{path.name} is a {suffix or 'file without extension'}",
            expected="a .txt (one question a line), .jsonl or .csv file",
            fix="save the questions in one of those formats",
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IctqaError(
                f"{path.name} is {size / 1e6:.1f} MB",
                expected=f"at most {max_bytes / 1e6:.0f} MB of questions",
                fix="split the file into smaller ones",
            )
        raw = path.read_bytes()
    except OSError as e:
        raise IctqaError(f"cannot read {path}: {e.strerror}", fix="check the path and its permissions") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError as e:
            raise IctqaError(f"{path.name} is not text in UTF-8 or Shift_JIS", fix="save it as UTF-8") from e
    if "\x00" in text:
        raise IctqaError(f"{path.name} contains binary data", expected="a text file of questions")
    return parse_questions(text, suffix)


def parse_questions(text: str, suffix: str) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    bad: list[str] = []
    lines = text.splitlines()
    # Blank lines at the end of a file are how editors save it; a blank line
    # between questions is an empty question, reported as in a CSV.
    while lines and not lines[-1].strip():
        lines.pop()
    if suffix == ".txt":
        for n, line in enumerate(lines, start=1):
            if line.strip():
                rows.append((str(n), f"line {n}", line.strip()))
            else:
                bad.append(f"line {n}: empty question")
    elif suffix == ".jsonl":
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                bad.append(f"line {n}: empty question")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                bad.append(f"line {n}: not valid JSON ({e.msg})")
                continue
            q = obj.get("question") if isinstance(obj, dict) else None
            if not isinstance(q, str) or not q.strip():
                bad.append(f'line {n}: no "question" text (expected {{"question": "...", "id": "..."}})')
                continue
            rid = obj.get("id")
            rows.append((str(n) if rid is None else str(rid), f"line {n}", q))
    else:
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "question" not in fields:
            raise IctqaError(
                f"the CSV has columns {reader.fieldnames}",
                expected='a header row with a "question" column (and optionally "id")',
                fix="add a header line such as: id,question",
            )
        reader.fieldnames = fields
        for rec in reader:
            n = reader.line_num  # the file's line, also after quoted line breaks
            q = (rec.get("question") or "").strip()
            if not q:
                bad.append(f"line {n}: empty question")
                continue
            rid = rec.get("id")
            rows.append((rid or str(n), f"line {n}", q))
    if not rows and (not bad or all(b.endswith("empty question") for b in bad)):
        raise IctqaError("the file has no questions", expected="at least one question")
    return rows, bad


def write_responses(responses: Sequence[Response], out: Path | None) -> None:
    if out is None:
        for r in responses:
            sys.stdout.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
        return
    out = Path(out)
    try:
        if out.suffix.lower() == ".csv":
            with open(out, "w", encoding="utf-8-sig", newline="") as f:
                f.write(responses_to_csv(responses))
        else:
            with open(out, "w", encoding="utf-8") as f:
                f.write(responses_to_jsonl(responses))
    except OSError as e:
        raise IctqaError(f"cannot write {out}: {e.strerror}", fix="choose another --out path") from e


def responses_to_jsonl(responses: Sequence[Response]) -> str:
    return "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in responses)


def responses_to_csv(responses: Sequence[Response]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for resp in responses:
        for r in resp.results:
            c = r.chunk.citation
            w.writerow(
                [
                    resp.id or "",
                    resp.query,
                    resp.answerable,
                    r.rank,
                    f"{r.score:.4f}",
                    c.label,
                    c.edition or "",
                    r.highlight.text if r.highlight else "",
                    r.chunk.text,
                    r.highlight.answer.text if r.highlight and r.highlight.answer else "",
                ]
            )
        if not resp.results:
            w.writerow([resp.id or "", resp.query, resp.answerable, "", "", "", "", "", "", ""])
    return buf.getvalue()
