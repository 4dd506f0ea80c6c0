"""The plain HTTP JSON API, served by the form's own process and port under
``/api`` (a FastAPI app mounted on the one Gradio builds; see
:func:`ictqa.web.launch`).

    GET  /api/ask?q=…&k=5&edition=2023&mode=hybrid   the `ictqa ask --json` object
    POST /api/ask                                     the same, parameters in a JSON body
    POST /api/batch?k=5                               JSON list or JSON Lines in, JSON Lines out
    GET  /api/passage?id=…                            a passage with its neighbours in its section
    GET  /api/info                                    editions, chapters, model, limits
    GET  /api/docs, /api/openapi.json                 this API's OpenAPI description

It answers with the form's :class:`~.app.App` (one searcher for both) and
returns exactly :meth:`ictqa.results.Response.to_json`.  Every error is JSON,
``{"error": message}``, with a status: 400 for a question or parameter that
cannot be used (the message the CLI gives), 404 for an edition, chapter or
passage the index does not hold, 413 for too large a batch, 503 when the
queue is full; never an HTML page or a traceback.

``GET /api/timeline`` returns the ``ictqa timeline --json`` object (one topic
across the editions), as the MCP tool ``timeline`` does in
:mod:`.mcp_tools`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..batchio import MAX_BATCH_BYTES
from ..errors import IctqaError
from ..results import Response
from ..search import MODES
from ..search.query import MAX_QUERY_CHARS, check_query
from .apidoc import render_docs
from .app import BATCH_STEP, MAX_K, WEB_MAX_QUESTIONS, App
from .catalogue import DEFAULT_NEIGHBOURS, MAX_NEIGHBOURS, Catalogue

log = logging.getLogger(__name__)

API_PREFIX = "/api"
JSON_TYPE = "application/json; charset=utf-8"
NDJSON_TYPE = "application/x-ndjson; charset=utf-8"
SERVER_ERROR = "Something went wrong on the server while answering; the error was logged."

Mode = Literal["hybrid", "dense", "bm25"]
T = TypeVar("T")


class ApiError(Exception):
    """An IctqaError with the HTTP status it is answered with."""

    def __init__(self, status: int, error: IctqaError, headers: dict[str, str] | None = None) -> None:
        super().__init__(error.message)
        self.status = status
        self.message = error.message
        self.headers = headers


# -- what the API returns, for the OpenAPI description ---------------------
# The routes return Response.to_json() itself (these models document it; they
# never filter it), so the JSON stays identical to `ictqa ask --json`.
# tests/test_api.py checks that the documented keys are the keys returned.


class _Open(BaseModel):
    # Keys may be added in later versions, never removed or renamed.
    model_config = ConfigDict(extra="allow")


class AnswerSpanOut(_Open):
    start: int = Field(description="offset of the answer span in the result's `text`")
    end: int
    text: str = Field(description="the shortest span that answers (a number with its unit, a name, a date)")
    kind: str = Field(description="what the question asked for: number, date, person, place, name …")


class HighlightOut(_Open):
    start: int = Field(description="offset of the highlighted sentence in `text`")
    end: int
    text: str = Field(description="the sentence that best answers the question: quote this")
    answer: AnswerSpanOut | None = Field(None, description="the exact answer inside the sentence, where one was found")


class TermSpanOut(_Open):
    start: int = Field(description="offset in `text` of a Japanese word an English term was searched as")
    end: int
    english: str


class CitationOut(_Open):
    document: str
    edition: str | None = Field(description="e.g. 令和5年版 情報通信白書")
    chapter: str | None
    section: str | None
    path: list[str] = Field(description="headings below the section, outermost first")
    figure: str | None = Field(description="figure number when the passage is figure text")
    label: str = Field(description="the citation to paste, e.g. 令和5年版 情報通信白書 第5章第8節 2(1) …")
    char_start: int = Field(description="offset of the passage in the source file")
    char_end: int
    page: int | None = Field(description="page of the source PDF, when known")
    year: int | None
    url: str | None = Field(None, description="address of the page on MIC's site, in indexes that record it")
    formats: dict[str, str] = Field(
        description="the citation ready to paste: plain, link (with the page address where known), markdown, japanese"
    )


class AlsoInOut(_Open):
    year: int | None
    label: str
    chunk_id: str


class ResultOut(_Open):
    rank: int
    score: float
    text: str = Field(description="the passage, as in the white paper")
    citation: CitationOut
    highlight: HighlightOut | None
    kind: str = Field(description="text, figure or footnote")
    language: str
    chunk_id: str = Field(description="the passage's id for GET /api/passage")
    term_spans: list[TermSpanOut] = Field(description="for an English question: where its terms' Japanese words stand in `text`")
    also_in: list[AlsoInOut] = Field(
        description="other editions whose passage repeats this one's text (near-identical), oldest first"
    )


class EditionOut(_Open):
    year: int | None = Field(description="the edition's year (null: not resolved, e.g. a first mention not found)")
    read_as: str = Field(description="the words of the question it was read from, e.g. 平成20年版")
    use: str = Field(description="restrict, boost or first")
    applied: bool = Field(description="whether the search followed it (not when a filter was given or the index lacks it)")


class TermOut(_Open):
    english: str
    japanese: list[str]


class AnswerOut(_Open):
    id: str | None = Field(description="the question's id in a batch (null for /api/ask)")
    query: str = Field(description="the question as searched (whitespace collapsed)")
    answerable: bool = Field(description="false when the indexed white papers do not seem to answer it")
    mode: str
    notices: list[str]
    translated_terms: list[TermOut] = Field(description="for an English question: the Japanese words also searched")
    editions_detected: list[EditionOut] = Field(description="editions the question names, and how they were used")
    results: list[ResultOut]


class TimelineFirstOut(_Open):
    year: int
    label: str
    chunk_id: str


class TimelineEditionOut(_Open):
    year: int
    edition: str
    matches: int = Field(description="passages of this edition that mention the topic")
    results: list[ResultOut] = Field(description="the best of them, as /api/ask returns results")


class TimelineOut(_Open):
    query: str
    terms: list[str] = Field(description="the terms looked for (empty: matched by meaning)")
    method: str = Field(description="lexical or dense")
    first: TimelineFirstOut | None = Field(description="the earliest edition that mentions it, and its best passage")
    editions: list[TimelineEditionOut] = Field(description="one row per edition of the index, oldest first")


class ErrorOut(BaseModel):
    error: str = Field(description="what was found, what was expected and how to fix it")


class AskIn(BaseModel):
    """POST /api/ask: the GET parameters as a JSON object (for long questions)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    q: str = Field(validation_alias=AliasChoices("q", "question"), description="the question (also accepted as `question`)")
    k: int = Field(5, ge=1, le=MAX_K)
    edition: list[str] | str | None = Field(None, description="edition year(s) or label(s); default all")
    chapter: list[str] | str | None = Field(None, description="chapter name(s) as GET /api/info lists them; default all")
    mode: Mode = "hybrid"


_Responses = dict[int | str, dict[str, Any]]
_BAD: _Responses = {400: {"model": ErrorOut, "description": "the question or a parameter cannot be used; `error` says why"}}
_BUSY: _Responses = {503: {"model": ErrorOut, "description": "too many requests are waiting; retry after `Retry-After` seconds"}}


def _missing(what: str) -> _Responses:
    return {404: {"model": ErrorOut, "description": f"the index holds no such {what}"}}


_ANSWER: _Responses = {
    200: {"model": AnswerOut, "description": "the `ictqa ask --json` object"},
    **_BAD,
    **_missing("edition or chapter"),
    **_BUSY,
}

# -- the limits ----------------------------------------------------------------


@dataclass
class _Gate:
    """At most ``concurrency`` searches at once (as the form's queue), and at
    most ``queue_max`` more waiting; beyond that a request is refused with 503
    rather than left to time out.  Searches run in worker threads so the
    event loop keeps serving the form."""

    concurrency: int
    queue_max: int
    in_flight: int = 0
    _limiter: anyio.CapacityLimiter | None = None

    async def run(self, fn: Callable[[], T], *, refuse_when_busy: bool = True) -> T:
        if self._limiter is None:  # created in the event loop, on first use
            self._limiter = anyio.CapacityLimiter(self.concurrency)
        if refuse_when_busy and self.in_flight >= self.concurrency + self.queue_max:
            raise ApiError(
                503,
                IctqaError(
                    f"the server is busy: {self.in_flight} questions are being answered or waiting",
                    expected=f"at most {self.concurrency + self.queue_max} at once",
                    fix="retry in a few seconds, or send many questions in one POST /api/batch",
                ),
                headers={"Retry-After": "5"},
            )
        self.in_flight += 1
        try:
            return await anyio.to_thread.run_sync(fn, limiter=self._limiter)
        finally:
            self.in_flight -= 1


# -- batch input ---------------------------------------------------------------


@dataclass(frozen=True)
class BatchItem:
    """One question of a batch, or why it cannot be one (``error``)."""

    id: str
    question: str | None
    error: str | None = None


def parse_batch(text: str, content_type: str = "") -> list[BatchItem]:
    """The questions of a POST /api/batch body: a JSON list, JSON Lines, or
    (``text/plain``) one question a line.  Each item is a string or an object
    ``{"question": "…", "id": "…"}``; its id defaults to its position (list)
    or line number.  A bad item becomes a BatchItem with ``error`` set, so the
    answers stay one line per item, in order; a body that is not a JSON
    list at all raises IctqaError."""
    body = text.strip()
    if body.startswith("["):
        try:
            values = json.loads(body)
        except json.JSONDecodeError as e:
            raise IctqaError(
                f"the body starts with '[' but is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})",
                expected='a JSON list such as ["DFFTとは", {"id": "q2", "question": "What is DFFT?"}], or JSON Lines',
            ) from e
        return [_item(v, str(n), "item") for n, v in enumerate(values, start=1)]
    items: list[BatchItem] = []
    plain = content_type.split(";")[0].strip().lower() == "text/plain"
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if plain:
            items.append(BatchItem(str(n), line.strip()))
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            problem = IctqaError(
                f"line {n} is not valid JSON ({e.msg})",
                expected='one JSON object {"question": "...", "id": "..."} or JSON string a line',
                fix="send Content-Type: text/plain for one bare question a line",
            )
            items.append(BatchItem(str(n), None, problem.message))
            continue
        items.append(_item(value, str(n), "line"))
    return items


def _item(value: object, default_id: str, where: str) -> BatchItem:
    if isinstance(value, str):
        return BatchItem(default_id, value)
    if isinstance(value, dict) and isinstance(value.get("question"), str):
        rid = value.get("id")
        return BatchItem(default_id if rid is None else str(rid), value["question"])
    rid = value.get("id") if isinstance(value, dict) else None
    problem = IctqaError(f'{where} {default_id} has no "question" text', expected='a string or {"question": "...", "id": "..."}')
    return BatchItem(default_id if rid is None else str(rid), None, problem.message)


def _error_line(item_id: str, query: str | None, message: str) -> dict[str, Any]:
    return {"id": item_id, "query": query, "error": message}


# -- the app -------------------------------------------------------------------


def create_api(app: App, *, concurrency: int, queue_max: int) -> FastAPI:
    """The API over the form's ``app`` (its searcher must load: the caller
    has loaded it already), to mount at :data:`API_PREFIX`."""
    searcher = app.searcher
    catalogue = Catalogue(searcher.chunks, searcher.index.manifest)
    gate = _Gate(concurrency, queue_max)
    api = FastAPI(
        title="ictqa API",
        version=__version__,
        summary="Cited passages of Japan's MIC white papers (情報通信白書) for other programs",
        description=_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by the routes below, with full /api paths
    )
    api.add_middleware(_BodyLimit, max_bytes=MAX_BATCH_BYTES)

    def filters(edition: Sequence[str] | str | None, chapter: Sequence[str] | str | None):
        try:
            return catalogue.check_editions(_split(edition)), catalogue.check_chapters(_listed(chapter))
        except IctqaError as e:
            raise ApiError(404, e) from e

    async def answer(q: str, k: int, edition, chapter, mode: Mode) -> JSONResponse:
        try:
            check_query(q)  # here too, so a bad question is a 400 even when the queue is full
        except IctqaError as e:
            raise ApiError(400, e) from e
        editions, chapters = filters(edition, chapter)

        def search() -> Response:
            return searcher.search(q, k=k, mode=mode, editions=editions, chapters=chapters)

        try:
            response = await gate.run(search)
        except IctqaError as e:  # the question itself (empty, too long, only symbols)
            raise ApiError(400, e) from e
        return JSONResponse(response.to_json(), media_type=JSON_TYPE)

    @api.get("/ask", summary="Ask one question", response_model=None, responses=_ANSWER)
    async def ask_get(
        q: Annotated[str, Query(description="the question, Japanese or English", examples=["DFFTとは何ですか"])],
        k: Annotated[int, Query(ge=1, le=MAX_K, description="passages to return")] = 5,
        edition: Annotated[
            list[str], Query(description="only these editions: year (2023) or label; repeat or separate with commas")
        ] = [],  # noqa: B006 - FastAPI copies the default per request
        chapter: Annotated[list[str], Query(description="only these chapters, as GET /api/info lists them")] = [],  # noqa: B006
        mode: Annotated[Mode, Query(description="hybrid (default), dense or bm25")] = "hybrid",
    ) -> JSONResponse:
        """The `ictqa ask --json` object for one question: the best passages,
        each with its citation label and highlighted sentence."""
        return await answer(q, k, edition, chapter, mode)

    @api.post("/ask", summary="Ask one question (JSON body)", response_model=None, responses=_ANSWER)
    async def ask_post(body: AskIn) -> JSONResponse:
        """As GET /api/ask, with the parameters in a JSON object, e.g.
        `{"q": "What is DFFT?", "k": 3, "edition": ["2023"]}`, for tools that
        build a JSON body more easily than a URL."""
        return await answer(body.q, body.k, body.edition, body.chapter, body.mode)

    @api.get(
        "/timeline",
        summary="One topic across the editions",
        response_model=None,
        responses={200: {"model": TimelineOut, "description": "the `ictqa timeline --json` object"}, **_BAD},
    )
    async def timeline_get(
        q: Annotated[str, Query(description="a term or a question, Japanese or English", examples=["ブロックチェーン"])],
        k: Annotated[int, Query(ge=1, le=MAX_K, description="passages per edition")] = 3,
    ) -> JSONResponse:
        """For each edition, oldest first, how many passages mention the topic
        and the best of them; plus the first edition that does (the
        `ictqa timeline --json` object)."""
        from ..search import timeline

        try:
            check_query(q)
        except IctqaError as e:
            raise ApiError(400, e) from e
        try:
            result = await gate.run(lambda: timeline(searcher, q, k=k))
        except IctqaError as e:
            raise ApiError(400, e) from e
        return JSONResponse(result.to_json(), media_type=JSON_TYPE)

    @api.post(
        "/batch",
        summary="Answer many questions",
        response_model=None,
        responses={
            200: {
                "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/AnswerOut"}}},
                "description": "JSON Lines: one answer per question, in order; a question that cannot be answered "
                'gives {"id": …, "query": …, "error": …} in its place',
            },
            413: {
                "model": ErrorOut,
                "description": f"more than {MAX_BATCH_BYTES // 2**20} MB or {WEB_MAX_QUESTIONS:,} questions",
            },
            **_BAD,
            **_missing("edition or chapter"),
            **_BUSY,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": f"at most {WEB_MAX_QUESTIONS:,} questions and {MAX_BATCH_BYTES // 2**20} MB",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "items": {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/BatchQuestion"}]},
                        },
                        "example": ["DFFTとは何ですか", {"id": "q2", "question": "What is DFFT?"}],
                    },
                    "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/BatchQuestion"}},
                    "text/plain": {"schema": {"type": "string", "description": "one question a line"}},
                },
            }
        },
    )
    async def batch(
        request: Request,
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 5,
        edition: Annotated[list[str], Query(description="as for /api/ask")] = [],  # noqa: B006
        chapter: Annotated[list[str], Query(description="as for /api/ask")] = [],  # noqa: B006
        mode: Annotated[Mode, Query()] = "hybrid",
    ) -> StreamingResponse:
        """Questions as a JSON list, as JSON Lines (`{"id": "q1", "question": "…"}` or a
        string a line) or, with `Content-Type: text/plain`, one question a line.  The
        answers stream back as JSON Lines, one per question in the order sent, each the
        `ictqa ask --json` object with the question's id (its position or line number when
        it has none)."""
        items = parse_batch(await _read_body(request), request.headers.get("content-type", ""))
        if not items:
            raise ApiError(400, IctqaError("the batch has no questions", expected="at least one question"))
        if len(items) > WEB_MAX_QUESTIONS:
            raise ApiError(
                413,
                IctqaError(
                    f"the batch has {len(items):,} questions",
                    expected=f"at most {WEB_MAX_QUESTIONS:,} in one request",
                    fix="send them in several requests, or run `ictqa batch` on the server",
                ),
            )
        editions, chapters = filters(edition, chapter)
        first = True

        async def lines() -> AsyncIterator[str]:
            nonlocal first
            for start in range(0, len(items), BATCH_STEP):
                step = items[start : start + BATCH_STEP]
                asked = [it for it in step if it.question is not None]

                search = functools.partial(
                    searcher.search_many,
                    [it.question or "" for it in asked],
                    k=k,
                    mode=mode,
                    editions=editions,
                    chapters=chapters,
                )
                try:
                    # Other requests get their turn between steps.
                    answers = iter(await gate.run(search, refuse_when_busy=first) if asked else [])
                except ApiError:
                    raise
                except IctqaError as e:  # of the whole step (filters that leave no passage)
                    if first:
                        raise ApiError(400, e) from e
                    answers = iter([e] * len(asked))
                except Exception:
                    if first:  # no status sent yet: a 500
                        raise
                    log.exception("batch step failed")  # the status is sent: say so in the lines
                    answers = iter([IctqaError(SERVER_ERROR)] * len(asked))
                first = False
                out = []
                for it in step:
                    if it.question is None:
                        out.append(_error_line(it.id, None, it.error or ""))
                        continue
                    r = next(answers)
                    if isinstance(r, IctqaError):
                        out.append(_error_line(it.id, it.question, r.message))
                    else:
                        out.append(dataclasses.replace(r, id=it.id).to_json())
                yield "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in out)

        # The first step runs before the status is sent, so a full queue is
        # still a 503 and not a broken stream.
        stream = lines()
        head = await stream.__anext__()

        async def body() -> AsyncIterator[str]:
            yield head
            async for chunk in stream:
                yield chunk

        return StreamingResponse(body(), media_type=NDJSON_TYPE)

    @api.get(
        "/passage",
        summary="A passage and its neighbours",
        response_model=None,
        responses={200: {"description": "the passage, its citation and its neighbours"}, **_BAD, **_missing("passage")},
    )
    async def passage(
        id: Annotated[str, Query(description="a result's chunk_id, e.g. 000_589c5af6fc00dccb.txt#5259")],
        neighbours: Annotated[int, Query(ge=0, le=MAX_NEIGHBOURS, description="passages before and after")] = DEFAULT_NEIGHBOURS,
    ) -> JSONResponse:
        """The passage with its citation label, page address where known, and up to
        `neighbours` passages before and after it in the same section (`before`, `after`)."""
        try:
            return JSONResponse(catalogue.passage(id, neighbours), media_type=JSON_TYPE)
        except IctqaError as e:
            raise ApiError(404, e) from e

    @api.get(
        "/info", summary="What the index holds", response_model=None, responses={200: {"description": "the index and the limits"}}
    )
    async def info() -> JSONResponse:
        """Editions (label, year, passages, chapters), chapters, documents, the model,
        the build time, and the limits of this API."""
        limits = {
            "max_k": MAX_K,
            "max_question_chars": MAX_QUERY_CHARS,
            "max_batch_questions": WEB_MAX_QUESTIONS,
            "max_batch_bytes": MAX_BATCH_BYTES,
            "concurrency": concurrency,
            "queue_max": queue_max,
        }
        return JSONResponse(catalogue.info() | {"modes": list(MODES), "limits": limits}, media_type=JSON_TYPE)

    # -- the description of the API itself ------------------------------------

    spec_cache: dict[str, Any] = {}

    def spec() -> dict[str, Any]:
        if not spec_cache:
            s = get_openapi(
                title=api.title, version=api.version, summary=api.summary, description=api.description, routes=api.routes
            )
            # Paths as a client calls them (the app is mounted at /api).
            s["paths"] = {API_PREFIX + p: v for p, v in s["paths"].items()}
            # FastAPI documents a 422 for every validated parameter; this API
            # answers those with 400 (on_bad_parameter).
            for ops in s["paths"].values():
                for op in ops.values():
                    op.get("responses", {}).pop("422", None)
            for unused in ("HTTPValidationError", "ValidationError"):
                s.get("components", {}).get("schemas", {}).pop(unused, None)
            s.setdefault("components", {}).setdefault("schemas", {})["BatchQuestion"] = {
                "type": "object",
                "required": ["question"],
                "properties": {"id": {"type": "string"}, "question": {"type": "string"}},
            }
            s["components"]["schemas"].setdefault(
                "AnswerOut", AnswerOut.model_json_schema(ref_template="#/components/schemas/{model}")
            )
            spec_cache.update(s)
        return spec_cache

    @api.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(spec(), media_type=JSON_TYPE)

    @api.get("/docs", include_in_schema=False)
    async def docs(request: Request):
        # A browser asks for HTML and gets a page (no CDN scripts: the app runs
        # offline); curl and programs get the OpenAPI JSON.
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(render_docs(spec(), openapi_url=API_PREFIX + "/openapi.json"))
        return JSONResponse(spec(), media_type=JSON_TYPE)

    # -- errors: always JSON -------------------------------------------------

    @api.exception_handler(ApiError)
    async def on_api_error(request: Request, e: ApiError) -> JSONResponse:
        return JSONResponse({"error": e.message}, status_code=e.status, headers=e.headers, media_type=JSON_TYPE)

    @api.exception_handler(IctqaError)
    async def on_user_error(request: Request, e: IctqaError) -> JSONResponse:
        # Any other user-fixable problem (a batch body that is not JSON): 400.
        return JSONResponse({"error": e.message}, status_code=400, media_type=JSON_TYPE)

    @api.exception_handler(RequestValidationError)
    async def on_bad_parameter(request: Request, e: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_message(e)}, status_code=400, media_type=JSON_TYPE)

    @api.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, e: StarletteHTTPException) -> JSONResponse:
        where = f"{request.method} {API_PREFIX}{request.url.path.removeprefix(request.scope.get('root_path', ''))}"
        if e.status_code == 404:
            message = IctqaError(
                f"there is no {where}",
                expected="GET /api/ask, POST /api/ask, POST /api/batch, GET /api/passage, GET /api/info or GET /api/docs",
            ).message
        elif e.status_code == 405:
            message = IctqaError(f"{where} is not allowed", fix="see GET /api/docs for the methods of each endpoint").message
        else:
            message = str(e.detail)
        return JSONResponse({"error": message}, status_code=e.status_code, headers=e.headers, media_type=JSON_TYPE)

    @api.exception_handler(Exception)
    async def on_server_error(request: Request, e: Exception) -> JSONResponse:
        log.error("API request %s %s failed", request.method, request.url.path, exc_info=e)
        return JSONResponse({"error": SERVER_ERROR}, status_code=500, media_type=JSON_TYPE)

    return api


_TOO_BIG = IctqaError(
    "the request body is larger than the limit",
    expected=f"at most {MAX_BATCH_BYTES // 2**20} MB in one request",
    fix="send the questions in several requests",
).message


class _BodyLimit:
    """Refuses a body over ``max_bytes`` with 413 (JSON) before it is all
    read: by its Content-Length, or, for a chunked body, as the bytes arrive
    (raised from ``receive`` as an HTTPException, which FastAPI passes to
    the JSON error handler instead of its generic 400)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BATCH_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"error": _TOO_BIG}, status_code=413, media_type=JSON_TYPE)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise StarletteHTTPException(413, detail=_TOO_BIG)
            return message

        await self.app(scope, limited, send)


async def _read_body(request: Request) -> str:
    """The body as text (its size is capped by _BodyLimit)."""
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ApiError(400, IctqaError("the body is not UTF-8 text", fix="send the questions encoded as UTF-8")) from e
    if "\x00" in text:
        raise ApiError(400, IctqaError("the body contains binary data", expected="questions as JSON or text"))
    return text


def _listed(value: Sequence[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _split(value: Sequence[str] | str | None) -> list[str]:
    """Edition values, each of which may list several with commas (labels
    never contain one): ``edition=2019,2023``."""
    return [part for v in _listed(value) for part in v.split(",")]


_EXPECTED = {
    "q": "a question in Japanese or English, e.g. ?q=DFFTとは何ですか",
    "question": "a question in Japanese or English",
    "k": f"a whole number from 1 to {MAX_K}",
    "mode": "one of " + ", ".join(MODES),
    "neighbours": f"a whole number from 0 to {MAX_NEIGHBOURS}",
    "id": "a passage id as a search result's chunk_id gives it",
}


def _validation_message(e: RequestValidationError) -> str:
    """FastAPI's validation errors as one IctqaError message (the first error)."""
    errors = e.errors()
    if not errors:
        return IctqaError("the request could not be read").message
    err = errors[0]
    loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "body")]
    name = loc[-1] if loc else "body"
    if err.get("type") == "missing":
        what = f"the parameter {name} is missing" if name != "body" else "the request has no JSON body"
    elif err.get("type") == "json_invalid":
        what = "the body is not valid JSON"
    elif err.get("type") == "extra_forbidden":
        what = f"the body has an unknown key {name!r}"
    else:
        what = f"{name} is {str(err.get('input'))[:80]!r} ({err.get('msg', 'invalid').lower()})"
    return IctqaError(what, expected=_EXPECTED.get(name), fix="see GET /api/docs").message


_DESCRIPTION = f"""\
Ask Japan's MIC white papers on information and communications (総務省「情報通信白書」)
from any program: R, Excel Power Query, shell scripts.  Every answer is the `ictqa ask --json`
object: the best passages, each with the citation label to paste into a report and the
highlighted sentence that answers.  Keys may be added in later versions, never removed or renamed.

    curl -G http://127.0.0.1:7860/api/ask --data-urlencode "q=DFFTとは何ですか" -d k=3

Errors are JSON, {{"error": "…"}}, with status 400 (a question or parameter that cannot be used),
404 (an edition, chapter or passage the index does not hold), 413 (a batch over
{WEB_MAX_QUESTIONS:,} questions or {MAX_BATCH_BYTES // 2**20} MB) or 503 (busy: retry later).

The service listens on 127.0.0.1 unless started with --host; there is no login."""
