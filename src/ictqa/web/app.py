"""The state behind the form: one searcher, loaded once and shared by every
session, and the two actions the form offers (ask, batch)."""

from __future__ import annotations

import dataclasses
import html
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..batchio import read_questions, responses_to_csv, responses_to_jsonl
from ..errors import IctqaError
from ..results import Response
from ..search import Searcher
from .render import banner, render_error, render_response

log = logging.getLogger(__name__)

MAX_K = 20
# The web form is shared: a batch is answered in steps of this many questions
# (one progress update each), and it is capped (the CLI's `ictqa batch` takes
# any number).
BATCH_STEP = 16
WEB_MAX_QUESTIONS = 1000
KEEP_OUTPUTS_SECONDS = 3600


class App:
    """One searcher, loaded once and shared by all sessions."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._searcher: Searcher | None = None
        self._load_lock = threading.Lock()
        # Searches run concurrently from Gradio's worker threads: the tagger
        # is per thread (ictqa.lexical) and the encoder locks its own engine.
        # Batch answers are written only under this temporary directory
        # (removed with the App); uploads stay in Gradio's temp dir.
        self._tmp = tempfile.TemporaryDirectory(prefix="ictqa-web-")
        self._out = Path(self._tmp.name)

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            with self._load_lock:
                if self._searcher is None:
                    self._searcher = Searcher.open(self.index_dir)
        return self._searcher

    def editions(self) -> list[str]:
        return sorted({c.citation.edition for c in self.searcher.chunks if c.citation.edition})

    def chapters(self) -> list[str]:
        return sorted({c.citation.chapter for c in self.searcher.chunks if c.citation.chapter})

    def _search(self, questions: Sequence[str], k: Any, editions: Sequence[str] | None, chapters: Sequence[str] | None):
        k = _clamp_k(k)
        return self.searcher.search_many(list(questions), k=k, editions=editions or None, chapters=chapters or None)

    def ask(self, question: str, k: float = 5, editions: list[str] | None = None, chapters: list[str] | None = None):
        """Answer one question: (HTML cards, the `ictqa ask --json` object or {"error": message})."""
        try:
            (response,) = self._search([question if isinstance(question, str) else ""], k, editions, chapters)
            if isinstance(response, IctqaError):
                raise response
        except IctqaError as e:
            return render_error(e.message), {"error": e.message}
        except Exception:  # the page must never show a traceback
            log.exception("search failed")
            msg = "Something went wrong on the server while searching; the error was logged."
            return render_error(msg), {"error": msg}
        return render_response(response), response.to_json()

    def batch(
        self,
        file: str | None,
        k: float = 5,
        editions: list[str] | None = None,
        chapters: list[str] | None = None,
        progress: Callable[..., Any] | None = None,
    ):
        """Answer a question file: (HTML summary, answers.jsonl path, answers.csv path)."""
        if not file:
            return render_error("No file uploaded. Upload a .txt, .jsonl or .csv file of questions."), None, None
        try:
            rows, problems = read_questions(Path(file))
            if len(rows) > WEB_MAX_QUESTIONS:
                raise IctqaError(
                    f"the file has {len(rows):,} questions",
                    expected=f"at most {WEB_MAX_QUESTIONS:,} in the web form",
                    fix="split the file, or run `ictqa batch` on this machine",
                )
            responses: list[Response] = []
            for start in range(0, len(rows), BATCH_STEP):
                if progress is not None:  # not `if progress`: gr.Progress is falsy (len 0)
                    progress((start, len(rows)), desc="質問に回答中 / Answering", unit="questions")
                step = rows[start : start + BATCH_STEP]
                for (rid, where, _), r in zip(step, self._search([q for *_, q in step], k, editions, chapters)):
                    if isinstance(r, IctqaError):
                        problems.append(f"{where}: {r.message}")
                    else:
                        responses.append(dataclasses.replace(r, id=rid))
        except IctqaError as e:
            return render_error(e.message), None, None
        except Exception:  # as above
            log.exception("batch failed")
            return render_error("Something went wrong on the server while answering the file; the error was logged."), None, None
        out = self._new_output_dir()
        jsonl, csvf = out / "answers.jsonl", out / "answers.csv"
        jsonl.write_text(responses_to_jsonl(responses), encoding="utf-8")
        csvf.write_text(responses_to_csv(responses), encoding="utf-8-sig", newline="")
        summary = f"{len(responses)} 問に回答 / question(s) answered"
        if problems:
            summary += f"; {len(problems)} 行をスキップ / row(s) skipped:"
        return "\n".join([banner("note", summary), *(banner("warn", p) for p in problems)]), str(jsonl), str(csvf)

    def _new_output_dir(self) -> Path:
        # Gradio copies returned files into its own cache (cleaned by
        # delete_cache), so our copies are only needed for a moment; old ones
        # are pruned here rather than kept for the server's lifetime.
        now = time.time()
        for old in self._out.iterdir():
            if now - old.stat().st_mtime > KEEP_OUTPUTS_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=self._out))

    def info_markdown(self) -> str:
        m = self.searcher.index.manifest
        return "\n".join(
            [
                f"- **文書 / Documents:** {m.counts.documents}",
                f"- **版 / Editions:** {html.escape(', '.join(m.editions))}",
                f"- **章 / Chapters:** {html.escape(', '.join(self.chapters()))}",
                f"- **箇所 / Passages (chunks):** {m.counts.chunks}",
                f"- **モデル / Model:** `{html.escape(m.model.id)}` (dim {m.model.dimension})",
                f"- **作成 / Built:** {html.escape(m.built_at)}",
                f"- **索引 / Index:** `{html.escape(str(self.index_dir))}`",
                "- 出典：総務省「情報通信白書」(CC BY 4.0)",
            ]
        )


def _clamp_k(k: Any) -> int:
    try:
        return max(1, min(int(k), MAX_K))
    except (TypeError, ValueError):
        return 5
