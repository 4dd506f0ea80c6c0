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
from .render import banner, render_batch_preview, render_error, render_response

log = logging.getLogger(__name__)

MAX_K = 20
# The web form is shared: a batch is answered in steps of this many questions
# (one progress update each), and it is capped (the CLI's `ictqa batch` takes
# any number).
BATCH_STEP = 16
WEB_MAX_QUESTIONS = 1000
KEEP_OUTPUTS_SECONDS = 3600
# A chapter choice names its edition when the index holds several:
# 「第2章 情報通信の現況」 is in many of them.
CHAPTER_SEP = " › "
# Examples for the shipped section; an index without it gets examples from
# its own headings (App.examples).
SEED_EXAMPLES = [
    "デジタル海外展開プラットフォームの会員数は？",
    "ITU-Tにおける日本の取組を教えてください",
    "日ASEANのサイバーセキュリティ協力は？",
    "What is DFFT?",
    "Which leader announced the Indian Ocean submarine cable plan?",
    "Which organisation supports Japanese telecom companies' overseas investment?",
]
SEED_SECTION = ("令和5年版 情報通信白書", "第8節 ICT国際戦略の推進")


class App:
    """One searcher, loaded once and shared by all sessions."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._searcher: Searcher | None = None
        # What the index holds, worked out once (the index never changes
        # under a running server).
        self._by_year: dict[str, str] | None = None
        self._editions: list[str] | None = None
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

    def _editions_by_year(self) -> dict[str, str]:
        # A walk over every passage of the archive costs milliseconds a
        # request would otherwise pay.
        if self._by_year is None:
            self._by_year = {
                str(c.citation.year): c.citation.edition for c in self.searcher.chunks if c.citation.year and c.citation.edition
            }
        return self._by_year

    def editions(self) -> list[str]:
        from ..ingest.editions import year_of_label

        if self._editions is None:
            names = {c.citation.edition for c in self.searcher.chunks if c.citation.edition}
            self._editions = sorted(names, key=lambda e: (year_of_label(e) or 0, e), reverse=True)
        return list(self._editions)

    def chapters(self, editions: Sequence[str] | None = None) -> list[str]:
        """The chapter choices, of the chosen editions only (all when none
        is chosen), each named with its edition when the index holds several."""
        wanted = set(editions or ())
        pairs = {
            (c.citation.edition or "", c.citation.chapter)
            for c in self.searcher.chunks
            if c.citation.chapter and (not wanted or c.citation.edition in wanted)
        }
        order = {e: i for i, e in enumerate(self.editions())}
        several = len({c.citation.edition for c in self.searcher.chunks}) > 1
        ranked = sorted(pairs, key=lambda p: (order.get(p[0], len(order)), _chapter_number(p[1]), p[1]))
        return [f"{e}{CHAPTER_SEP}{ch}" if several and e else ch for e, ch in ranked]

    def chapter_choices(self, editions: list[str] | None, chosen: list[str] | None):
        """The chapter dropdown after the editions changed: narrowed to them,
        keeping the chapters still on offer."""
        import gradio as gr

        choices = self.chapters(editions)
        return gr.update(choices=choices, value=[c for c in chosen or [] if c in choices])

    def examples(self) -> list[str]:
        """Example questions the index can answer: the shipped section's, or
        questions about a few of the index's own headings."""
        cites = [c.citation for c in self.searcher.chunks]
        if any((c.edition, c.section) == SEED_SECTION for c in cites):
            return SEED_EXAMPLES
        titles: list[str] = []
        for c in sorted(cites, key=lambda c: -(c.year or 0)):
            heading = c.path[-1] if c.path else c.section
            title = heading.split(" ", 1)[-1] if heading else None
            if title and 4 <= len(title) <= 24 and title not in titles:
                titles.append(title)
            if len(titles) == 4:
                break
        return [f"{t}について教えてください" for t in titles]

    def _filters(
        self, editions: Sequence[str] | None, chapters: Sequence[str] | None
    ) -> tuple[list[str] | None, list[str] | None]:
        """The Searcher's filters from the form's: a chapter named with its
        edition (令和5年版 情報通信白書 › 第2章 …) also chooses that edition.
        Unknown names are refused by the Searcher, with the ones it holds."""
        eds = [e for e in editions or [] if str(e).strip()]
        chs: list[str] = []
        for ch in chapters or []:
            ed, sep, name = str(ch).partition(CHAPTER_SEP)
            if sep:
                chs.append(name)
                if not editions:
                    eds.append(ed)
            elif str(ch).strip():
                chs.append(str(ch))
        return (list(dict.fromkeys(eds)) or None), (list(dict.fromkeys(chs)) or None)

    def _search(
        self,
        questions: Sequence[str],
        k: Any,
        editions: Sequence[str] | None,
        chapters: Sequence[str] | None,
        detect_editions: bool = True,
    ):
        k = _clamp_k(k)
        eds, chs = self._filters(editions, chapters)
        return self.searcher.search_many(list(questions), k=k, editions=eds, chapters=chs, detect_editions=detect_editions)

    def ask(
        self,
        question: str,
        k: float = 5,
        editions: list[str] | None = None,
        chapters: list[str] | None = None,
        *,
        detect_editions: bool = True,
    ):
        """Answer one question: (HTML cards, the `ictqa ask --json` object or {"error": message}).
        ``detect_editions=False`` searches every edition even when the
        question names one (the page's "search all editions" link)."""
        try:
            (response,) = self._search(
                [question if isinstance(question, str) else ""], k, editions, chapters, detect_editions=detect_editions
            )
            if isinstance(response, IctqaError):
                raise response
        except IctqaError as e:
            # One line in the server's log (an API call with an unknown
            # edition, a bad question), never a traceback: the user is told.
            log.info("question refused: %s", e.message)
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
        parts = [banner("note", summary), *(banner("warn", p) for p in problems)]
        if responses:
            parts.append(render_batch_preview(responses))
        return "\n".join(parts), str(jsonl), str(csvf)

    def from_address(self, params: dict[str, Any], k: Any = 5):
        """What the form shows when opened at ?q=…&edition=…: the question,
        the editions (the ones the index holds) and the answer; nothing
        without ?q (a shared link to a question opens with its answer)."""
        question = str(params.get("q") or "").strip()
        wanted = params.get("edition") or []
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        known = self.editions()
        # An edition by its label or its year (the "also in 2019" links).
        by_year = self._editions_by_year()
        editions: list[str] = [e if e in known else by_year[e] for e in wanted if e in known or e in by_year]
        if not question:
            return "", editions, "", None
        every = str(params.get("all") or "") in ("1", "true", "yes")
        page, answer = self.ask(question, k, editions, None, detect_editions=not every)
        return question, editions, page, answer

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
        # The engine in the same words as `ictqa info` and `ictqa model info`.
        built_with = f", embedded with {m.model.runtime}" if m.model.runtime else ""
        running = getattr(self.searcher.encoder, "runtime", None)
        return "\n".join(
            [
                f"- **文書 / Documents:** {m.counts.documents}",
                f"- **版 / Editions:** {html.escape(', '.join(m.editions))}",
                f"- **章 / Chapters:** {html.escape(', '.join(self.chapters()))}",
                f"- **箇所 / Passages (chunks):** {m.counts.chunks}",
                f"- **モデル / Model:** `{html.escape(m.model.id)}` (dimension {m.model.dimension}){html.escape(built_with)}",
                *([f"- **実行エンジン / Engine answering now:** {html.escape(str(running))}"] if running else []),
                f"- **作成 / Built:** {html.escape(m.built_at)}",
                f"- **索引 / Index:** `{html.escape(str(self.index_dir))}`",
                "- 出典：総務省「情報通信白書」(CC BY 4.0)",
            ]
        )


def _chapter_number(chapter: str) -> int:
    import re

    m = re.match(r"第([0-9０-９]+)章", chapter)
    return int(m.group(1)) if m else 0


def _clamp_k(k: Any) -> int:
    try:
        return max(1, min(int(k), MAX_K))
    except (TypeError, ValueError):
        return 5
