"""The plain HTTP JSON API (/api on the form's port), called over real HTTP
against the app on a free port with the fake-encoder index: the answers are
exactly `ictqa ask --json`, every error is JSON with a status, and the
OpenAPI description covers this API only."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from ictqa import web as ui
from ictqa.batchio import MAX_BATCH_BYTES
from ictqa.errors import IctqaError
from ictqa.web import api as web_api
from ictqa.web.app import WEB_MAX_QUESTIONS

JA = "デジタル海外展開プラットフォームの会員数は？"
EN = "What did Japan and ASEAN do on cybersecurity?"


@pytest.fixture(scope="module")
def base(fake_index):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = ui.launch(fake_index, port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}"
    demo.close()


def get(url: str) -> tuple[int, str, dict]:
    """(status, content type, JSON body) with the standard library only, as a
    script without extra packages would call it."""
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.headers["Content-Type"], json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], json.loads(e.read().decode("utf-8"))


def ask_url(base: str, q: str, **params) -> str:
    return f"{base}/api/ask?" + urllib.parse.urlencode({"q": q, **params}, doseq=True)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ictqa", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "question, params, flags",
    [
        (JA, {"k": 3}, ["-k", "3"]),
        (EN, {"k": 3}, ["-k", "3"]),
        (EN, {"k": 2, "edition": "2023", "mode": "bm25"}, ["-k", "2", "--edition", "2023", "--mode", "bm25"]),
    ],
    ids=["ja", "en", "en-edition-bm25"],
)
def test_ask_equals_the_cli_json(base, fake_index, question, params, flags):
    status, ctype, answer = get(ask_url(base, question, **params))
    p = cli("ask", question, "--json", "--index", str(fake_index), *flags)
    assert p.returncode == 0, p.stderr
    assert status == 200 and ctype.startswith("application/json")
    assert answer == json.loads(p.stdout)
    assert len(answer["results"]) == params["k"]


def test_post_ask_is_the_same_answer(base):
    _, _, by_get = get(ask_url(base, EN, k=2, edition=["2023"]))
    r = httpx.post(f"{base}/api/ask", json={"question": EN, "k": 2, "edition": "2023"}, timeout=60)
    assert r.status_code == 200 and r.json() == by_get


@pytest.mark.parametrize("question", ["   ", "あ" * 1001, "。、！？…"], ids=["blank", "1001-chars", "symbols"])
def test_bad_question_is_400_with_the_cli_message(base, fake_index, question):
    status, ctype, body = get(ask_url(base, question))
    p = cli("ask", question, "--index", str(fake_index))
    assert p.returncode == 2
    assert status == 400 and ctype.startswith("application/json")
    assert f"ictqa: error: {body['error']}" == p.stderr.strip()


def test_unknown_edition_is_404(base):
    status, _, body = get(ask_url(base, "DFFTとは", edition="2008"))
    assert status == 404
    assert body["error"].startswith("no passages of edition 2008 in this index.") and "2023" in body["error"]
    # Also when another requested edition exists: the caller learns that 2008 is missing.
    status, _, body = get(ask_url(base, "DFFTとは", edition="2023,2008"))
    assert status == 404 and "edition 2008" in body["error"]
    status, _, body = get(ask_url(base, "DFFTとは", chapter="第9章 ない"))
    assert status == 404 and "chapter 第9章 ない" in body["error"]


def test_editions_by_year_label_or_comma(base):
    by_year = get(ask_url(base, "DFFTとは", k=1, edition="2023"))[2]
    by_label = get(ask_url(base, "DFFTとは", k=1, edition="令和5年版 情報通信白書"))[2]
    both = get(ask_url(base, "DFFTとは", k=1, edition="2023,令和5年版 情報通信白書"))[2]
    assert by_year == by_label == both and by_year["results"]


@pytest.mark.parametrize(
    "query, says",
    [
        ("q=DFFT&k=0", "k is '0'"),
        ("q=DFFT&k=21", "Expected: a whole number from 1 to 20"),
        ("q=DFFT&k=many", "k is 'many'"),
        ("q=DFFT&mode=neural", "Expected: one of hybrid, dense, bm25"),
        ("k=3", "the parameter q is missing"),
    ],
)
def test_bad_parameters_are_400_json(base, query, says):
    status, ctype, body = get(f"{base}/api/ask?{query}")
    assert status == 400 and ctype.startswith("application/json") and says in body["error"]
    assert set(body) == {"error"}


def test_unknown_endpoint_and_method_are_json(base):
    status, _, body = get(f"{base}/api/nothing")
    assert status == 404 and "there is no GET /api/nothing" in body["error"] and "/api/ask" in body["error"]
    r = httpx.delete(f"{base}/api/ask", timeout=30)
    assert r.status_code == 405 and "DELETE /api/ask is not allowed" in r.json()["error"]
    r = httpx.post(f"{base}/api/ask", content=b"{oops", headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]


def read_lines(r: httpx.Response) -> list[dict]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines()]


def test_batch_json_list_answers_in_order_with_errors_in_place(base):
    body = ["DFFTとは何ですか", {"id": "q2", "question": EN}, {"id": "q3", "question": "   "}, 42, {"id": "q5", "text": "x"}]
    lines = read_lines(httpx.post(f"{base}/api/batch?k=2", json=body, timeout=60))
    assert [line["id"] for line in lines] == ["1", "q2", "q3", "4", "q5"]
    assert [len(line["results"]) for line in lines[:2]] == [2, 2]
    assert lines[2] == {"id": "q3", "query": "   ", "error": lines[2]["error"]} and "the question is empty" in lines[2]["error"]
    assert lines[3]["query"] is None and 'item 4 has no "question" text' in lines[3]["error"]
    assert 'item 5 has no "question"' in lines[4]["error"]
    # Each answer is what /api/ask gives for the same question, with the id set.
    alone = get(ask_url(base, EN, k=2))[2]
    assert lines[1] == alone | {"id": "q2"}


def test_batch_json_lines_and_plain_text(base):
    body = '{"id": "a", "question": "DFFTとは"}\n\n{oops\n"ITU-Tの取組"\n'
    lines = read_lines(httpx.post(f"{base}/api/batch?k=1", content=body.encode(), timeout=60))
    assert [line["id"] for line in lines] == ["a", "3", "4"]
    assert "line 3 is not valid JSON" in lines[1]["error"] and lines[2]["results"]
    text = "DFFTとは\nITU-Tの取組\n"
    lines = read_lines(
        httpx.post(f"{base}/api/batch?k=1", content=text.encode(), headers={"Content-Type": "text/plain"}, timeout=60)
    )
    assert [(line["id"], line["query"]) for line in lines] == [("1", "DFFTとは"), ("2", "ITU-Tの取組")]


def test_batch_limits(base):
    r = httpx.post(f"{base}/api/batch", json=["DFFT"] * (WEB_MAX_QUESTIONS + 1), timeout=60)
    assert r.status_code == 413 and "1,001 questions" in r.json()["error"] and "ictqa batch" in r.json()["error"]
    big = b'"' + b"a" * MAX_BATCH_BYTES + b'"'
    r = httpx.post(f"{base}/api/batch", content=big, timeout=60)
    assert r.status_code == 413 and "at most 5 MB" in r.json()["error"]

    def chunked():  # no Content-Length: refused as the bytes arrive
        yield b"["
        for _ in range(6):
            yield b'"' + b"a" * 2**20 + b'",'
        yield b'"a"]'

    r = httpx.post(f"{base}/api/batch", content=chunked(), timeout=60)
    assert r.status_code == 413 and "at most 5 MB" in r.json()["error"]
    r = httpx.post(f"{base}/api/ask", json={"q": "a" * MAX_BATCH_BYTES}, timeout=60)
    assert r.status_code == 413 and "at most 5 MB" in r.json()["error"]
    for empty in (b"", b"[]", b"\n\n"):
        r = httpx.post(f"{base}/api/batch", content=empty, timeout=30)
        assert r.status_code == 400 and r.json() == {"error": "the batch has no questions. Expected: at least one question."}
    r = httpx.post(f"{base}/api/batch", content=b"[1, 2", timeout=30)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
    r = httpx.post(f"{base}/api/batch", content=b"\x81\x20" * 10, timeout=30)
    assert r.status_code == 400 and "not UTF-8" in r.json()["error"]
    r = httpx.post(f"{base}/api/batch?edition=2008", json=["DFFT"], timeout=30)
    assert r.status_code == 404


def test_info_describes_the_index_and_limits(base):
    status, _, info = get(f"{base}/api/info")
    assert status == 200
    assert [(e["edition"], e["year"], e["passages"]) for e in info["editions"]] == [("令和5年版 情報通信白書", 2023, 87)]
    assert info["chapters"] == ["第5章 総務省におけるICT政策の取組状況"]
    assert info["index"]["passages"] == 87 and info["index"]["model"]["id"].startswith("fake")
    assert info["limits"] == {
        "max_k": 20,
        "max_question_chars": 1000,
        "max_batch_questions": 1000,
        "max_batch_bytes": MAX_BATCH_BYTES,
        "concurrency": ui.DEFAULT_CONCURRENCY,
        "queue_max": ui.QUEUE_MAX,
    }
    assert info["modes"] == ["hybrid", "dense", "bm25"]


def test_passage_with_its_neighbours_in_the_same_section(base):
    first = get(ask_url(base, "JICTの支援決定額の累計は？", k=1))[2]["results"][0]
    status, _, p = get(f"{base}/api/passage?" + urllib.parse.urlencode({"id": first["chunk_id"], "neighbours": 10}))
    assert status == 200
    assert p["text"] == first["text"] and p["label"] == first["citation"]["label"] and p["url"] is None
    around = p["before"] + p["after"]
    assert len(around) == p["section_passages"] - 1 >= 1  # this section has more than one passage
    assert {tuple(n["citation"]["path"]) for n in around} == {tuple(first["citation"]["path"])}
    starts = [n["citation"]["char_start"] for n in p["before"]] + [first["citation"]["char_start"]]
    starts += [n["citation"]["char_start"] for n in p["after"]]
    assert starts == sorted(starts) and p["position"] == len(p["before"]) + 1
    status, _, none = get(f"{base}/api/passage?id=nope.txt%2312")
    assert status == 404 and "no passage with id 'nope.txt#12'" in none["error"]


def test_openapi_description_documents_this_api_only(base):
    status, ctype, spec = get(f"{base}/api/docs")
    assert status == 200 and ctype.startswith("application/json")
    assert spec == get(f"{base}/api/openapi.json")[2]
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "ictqa API"
    assert sorted(spec["paths"]) == ["/api/ask", "/api/batch", "/api/info", "/api/passage", "/api/timeline"]
    assert sorted(spec["paths"]["/api/ask"]) == ["get", "post"]
    params = {p["name"]: p for p in spec["paths"]["/api/ask"]["get"]["parameters"]}
    assert sorted(params) == ["chapter", "edition", "k", "mode", "q"] and params["k"]["schema"]["maximum"] == 20
    assert not any("422" in op["responses"] for ops in spec["paths"].values() for op in ops.values())
    page = httpx.get(f"{base}/api/docs", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/api/batch" in page.text and "<script" not in page.text and "/api/openapi.json" in page.text


def test_documented_answer_keys_are_the_returned_keys(base):
    """The OpenAPI models describe Response.to_json(); a key added to the
    contract must be documented in web/api.py too."""
    answer = get(ask_url(base, EN, k=1))[2]
    result = answer["results"][0]
    assert set(answer) == set(web_api.AnswerOut.model_fields)
    assert set(result) == set(web_api.ResultOut.model_fields)
    assert set(result["citation"]) <= set(web_api.CitationOut.model_fields)  # url: only where recorded
    assert set(web_api.CitationOut.model_fields) - set(result["citation"]) <= {"url"}
    assert set(result["highlight"]) == set(web_api.HighlightOut.model_fields)
    web_api.AnswerOut.model_validate(answer)


def test_the_form_is_still_served_on_the_same_port(base):
    r = httpx.get(f"{base}/", timeout=30)
    assert r.status_code == 200 and "<html" in r.text.lower()
    info = httpx.get(f"{base}/gradio_api/info", timeout=30).json()
    assert sorted(info["named_endpoints"]) == ["/ask", "/batch", "/timeline"]


# -- in-process: failures that a running server cannot be made to show -------


@pytest.fixture()
def app(fake_index):
    a = ui.App(fake_index)
    a.searcher  # noqa: B018
    return a


def test_server_errors_are_json_without_internals(app, monkeypatch, caplog):
    api = web_api.create_api(app, concurrency=1, queue_max=0)
    working = app.searcher.search_many
    calls = []

    def broken(*a, **kw):
        raise RuntimeError("secret internals")

    def breaks_on_the_second_step(questions, **kw):
        calls.append(len(questions))
        return working(questions, **kw) if len(calls) == 1 else broken()

    monkeypatch.setattr(app.searcher, "search", broken)
    monkeypatch.setattr(app.searcher, "search_many", broken)
    with TestClient(api, raise_server_exceptions=False) as client:
        r = client.get("/ask", params={"q": "DFFT"})
        assert r.status_code == 500 and r.json() == {"error": web_api.SERVER_ERROR}
        b = client.post("/batch", json=["DFFT", "ITU"])  # before the status is sent: a 500 too
        assert b.status_code == 500 and b.json() == {"error": web_api.SERVER_ERROR}
        monkeypatch.setattr(app.searcher, "search_many", breaks_on_the_second_step)
        lines = [json.loads(line) for line in client.post("/batch?k=1", json=["DFFT"] * 20).text.splitlines()]
    assert calls == [web_api.BATCH_STEP, 20 - web_api.BATCH_STEP]
    assert all(line["results"] for line in lines[: web_api.BATCH_STEP])
    assert [line["error"] for line in lines[web_api.BATCH_STEP :]] == [web_api.SERVER_ERROR] * (20 - web_api.BATCH_STEP)
    assert "secret internals" in caplog.text and "secret" not in r.text + b.text


def test_a_problem_of_the_whole_batch_is_400(app, monkeypatch):
    def nothing_left(*a, **kw):
        raise IctqaError("no passage is in both the chosen editions and the chosen chapters", fix="widen one of the filters")

    monkeypatch.setattr(app.searcher, "search_many", nothing_left)
    with TestClient(web_api.create_api(app, concurrency=1, queue_max=0)) as client:
        r = client.post("/batch", json=["DFFT"])
    assert r.status_code == 400 and r.json()["error"].startswith("no passage is in both")


def test_a_full_queue_is_503_with_retry_after():
    gate = web_api._Gate(concurrency=1, queue_max=0)
    release = threading.Event()
    seen: dict[str, object] = {}

    async def later() -> None:
        seen["later"] = await gate.run(lambda: "waited its turn", refuse_when_busy=False)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(gate.run, lambda: release.wait(30))
            await anyio.sleep(0.2)  # the first is running
            with pytest.raises(web_api.ApiError) as busy:
                await gate.run(lambda: "refused")
            seen["busy"] = busy.value
            tg.start_soon(later)  # a batch's next step is not refused: it waits
            await anyio.sleep(0.2)
            assert "later" not in seen
            release.set()

    anyio.run(main)
    busy = seen["busy"]
    assert isinstance(busy, web_api.ApiError) and busy.status == 503 and busy.headers == {"Retry-After": "5"}
    assert "the server is busy" in busy.message and seen["later"] == "waited its turn" and gate.in_flight == 0


def test_parse_batch():
    items = web_api.parse_batch('["a", {"id": 7, "question": "b"}, null]')
    assert [(i.id, i.question, i.error is None) for i in items] == [("1", "a", True), ("7", "b", True), ("3", None, False)]
    items = web_api.parse_batch('{"question": "a"}\n\n"b"\n[1]\n', "application/x-ndjson")
    assert [(i.id, i.question) for i in items] == [("1", "a"), ("3", "b"), ("4", None)]
    assert [(i.id, i.question) for i in web_api.parse_batch(' "x" \n\ny\n', "text/plain; charset=utf-8")] == [
        ("1", '"x"'),
        ("3", "y"),
    ]
    with pytest.raises(IctqaError, match="starts with '\\[' but is not valid JSON"):
        web_api.parse_batch("[1,")


def test_serves_this_machine_only_by_default():
    import inspect

    assert inspect.signature(ui.launch).parameters["host"].default == "127.0.0.1"
    assert "127.0.0.1" in web_api._DESCRIPTION


def test_module_imports_no_gradio_for_the_mcp_server():
    """`ictqa mcp` imports ictqa.web; the form's Gradio (5 s to import) must
    not come with it."""
    code = "import sys, ictqa.web.mcp_tools, ictqa.web.api; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not all(shutil.which(t) for t in ("bash", "curl", "jq")), reason="needs bash, curl and jq")
def test_example_shell_client(base):
    script = str(Path(__file__).parents[1] / "examples" / "ask.sh")
    env = {**os.environ, "ICTQA_URL": base}
    run = subprocess.run(["bash", script, "DFFTとは何ですか", "2"], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    answer = get(ask_url(base, "DFFTとは何ですか", k=2))[2]
    if not answer["answerable"]:  # the fake encoder's answer may be flagged
        assert lines.pop(0).startswith("(the indexed white papers do not seem to answer this")
    assert lines == [
        line for r in answer["results"] for line in (f"[{r['rank']}] {r['citation']['label']}", f"    → {r['highlight']['text']}")
    ]
    bad = subprocess.run(["bash", script, "   "], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: the question is empty")


@pytest.fixture(scope="module")
def real_base(real_index):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = ui.launch(real_index, port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}"
    demo.close()


@pytest.mark.slow
@pytest.mark.parametrize("question", [JA, EN], ids=["ja", "en"])
def test_ask_equals_the_cli_json_with_the_real_model(real_base, real_index, question):
    status, _, answer = get(ask_url(real_base, question, k=5))
    p = cli("ask", question, "--json", "--index", str(real_index))
    assert p.returncode == 0, p.stderr
    assert status == 200 and answer == json.loads(p.stdout)
    assert answer["answerable"] and len(answer["results"]) == 5


def test_timeline_endpoint(base):
    status, _, out = get(f"{base}/api/timeline?q=DFFT&k=1")
    assert status == 200 and out["first"]["year"] == 2023 and out["editions"][0]["matches"] >= 1
    assert set(out) >= {"query", "first", "editions"}
    status, _, err = get(f"{base}/api/timeline?q=%20")
    assert status == 400 and "empty" in err["error"]
