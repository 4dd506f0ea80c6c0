"""The web form through its API (gradio_client against a running app on the
fake-encoder index): answers, filters, batch files, and every kind of bad
input gets a friendly message while the app keeps serving."""

from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from ictqa import web as ui
from ictqa.web import app as web_app

REPO = Path(__file__).resolve().parents[1]
CHAPTER = "第5章 総務省におけるICT政策の取組状況"


@pytest.fixture(scope="module")
def url(fake_index):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = ui.launch(fake_index, port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def client(url, tmp_path_factory):
    return Client(url, verbose=False, analytics_enabled=False, download_files=str(tmp_path_factory.mktemp("dl")))


def ask(client, question, k=5, editions=(), chapters=()):
    return client.predict(question, k, list(editions), list(chapters), api_name="/ask")


def assert_serving(client):
    page, answer = ask(client, "DFFTとは何ですか", k=1)
    assert 'class="ictqa-card"' in page and len(answer["results"]) == 1


def test_ask_returns_cards_and_the_json_contract(client):
    page, answer = ask(client, "DFFTとは何ですか", k=3)
    assert page.count('class="ictqa-card"') == 3
    assert [r["rank"] for r in answer["results"]] == [1, 2, 3]
    first = answer["results"][0]
    assert first["citation"]["label"].startswith("令和5年版 情報通信白書 第5章第8節")
    assert f'<span class="ictqa-label">{first["citation"]["label"]}</span>' in page
    assert set(answer) >= {"query", "answerable", "mode", "notices", "results"}


@pytest.mark.parametrize(
    "question, says",
    [
        ("", "the question is empty"),
        (" \n\t ", "the question is empty"),
        ("あ" * 100_000, "100,000 characters"),
        ("。、！？…―・「」", "no letters or digits"),
        ("😀🎉🙏", "no letters or digits"),
    ],
    ids=["empty", "blank", "100k", "punctuation", "emoji"],
)
def test_bad_questions_get_a_message_and_the_app_keeps_serving(client, question, says):
    page, answer = ask(client, question)
    assert 'class="ictqa-banner ictqa-error"' in page and says in page
    assert "Traceback" not in page
    assert says in answer["error"]
    assert_serving(client)


def test_emoji_inside_a_real_question_is_fine(client):
    _, answer = ask(client, "🇯🇵 DFFTとは？")
    assert answer["results"]


def test_truncated_question_is_noted(client):
    page, answer = ask(client, "DFFTについて" * 100)  # 800 characters: searched, but the model reads ~500
    assert answer["notices"] and "ictqa-note" in page and "500" in page


def test_chapter_and_edition_filters(client):
    _, answer = ask(client, "DFFTとは何ですか", k=2, editions=["令和5年版 情報通信白書"], chapters=[CHAPTER])
    assert [r["rank"] for r in answer["results"]] == [1, 2]
    assert {r["citation"]["chapter"] for r in answer["results"]} == {CHAPTER}
    # A name the index lacks is refused by the app, with the names it holds
    # (Gradio's own check printed a traceback on the server: issue #16).
    page, answer = ask(client, "DFFTとは何ですか", chapters=["第9章 ない"])
    assert "no passages of chapter 第9章 ない" in answer["error"] and CHAPTER in answer["error"]
    assert 'class="ictqa-banner ictqa-error"' in page
    _, answer = ask(client, "DFFTとは何ですか", editions=["平成20年版 情報通信白書"])
    assert "no passages of edition 平成20年版 情報通信白書" in answer["error"]
    assert_serving(client)


def test_an_unknown_edition_logs_one_line_and_no_traceback(client, caplog, capfd):
    import logging

    capfd.readouterr()
    with caplog.at_level(logging.INFO, logger="ictqa.web.app"):
        _, answer = ask(client, "DFFTとは何ですか", editions=["存在しない版"])
    assert "error" in answer
    refused = [r for r in caplog.records if "存在しない版" in r.getMessage()]
    assert len(refused) == 1 and "\n" not in refused[0].getMessage() and refused[0].exc_info is None
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_batch_answers_good_rows_and_reports_the_bad_one(client, tmp_path):
    f = tmp_path / "questions.jsonl"
    f.write_text('{"id": "a", "question": "DFFTとは"}\n{oops\n{"question": "ITU-Tの取組"}\n', encoding="utf-8")
    summary, jsonl, csvf = client.predict(handle_file(str(f)), 2, [], [], api_name="/batch")
    assert "2 問に回答" in summary and "line 2: not valid JSON" in summary
    rows = [json.loads(line) for line in Path(jsonl).read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "3"] and all(len(r["results"]) == 2 for r in rows)
    with open(csvf, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][:6] == ["id", "query", "answerable", "rank", "score", "label"]
    assert [(r[0], r[3]) for r in table[1:]] == [("a", "1"), ("a", "2"), ("3", "1"), ("3", "2")]


def test_batch_csv_and_txt(client, tmp_path):
    c = tmp_path / "q.csv"
    c.write_text("id,question\nx1,DFFTとは\nx2,\n", encoding="utf-8")
    summary, jsonl, _ = client.predict(handle_file(str(c)), 1, [], [], api_name="/batch")
    assert "1 問に回答" in summary and "line 3: empty question" in summary
    assert [json.loads(line)["id"] for line in Path(jsonl).read_text(encoding="utf-8").splitlines()] == ["x1"]
    t = tmp_path / "q.txt"
    t.write_text("DFFTとは\n\n。。。\nITU-Tの取組\n", encoding="cp932")  # Shift_JIS is read too
    summary, _, _ = client.predict(handle_file(str(t)), 1, [], [], api_name="/batch")
    assert "2 問に回答" in summary and "line 3: the question" in summary and "has no letters or digits" in summary


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("binary.txt", b"\x00\x01\x02" * 100, "contains binary data"),
        ("garbage.txt", b"\x81\x20" * 50, "not text in UTF-8 or Shift_JIS"),
        ("empty.jsonl", b"\n\n", "the file has no questions"),
        ("nocol.csv", b"id,text\n1,DFFT\n", "add a header line such as: id,question"),
    ],
)
def test_unreadable_batch_files_get_a_message(client, tmp_path, name, content, says):
    f = tmp_path / name
    f.write_bytes(content)
    summary, jsonl, csvf = client.predict(handle_file(str(f)), 1, [], [], api_name="/batch")
    assert "ictqa-error" in summary and says in summary and "Traceback" not in summary
    assert jsonl is None and csvf is None
    assert_serving(client)


def test_batch_of_the_wrong_type_is_refused(client, tmp_path):
    f = tmp_path / "report.pdf"
    f.write_bytes(b"%PDF-1.4\n%junk\n")
    with pytest.raises(AppError, match="Invalid file type"):
        client.predict(handle_file(str(f)), 1, [], [], api_name="/batch")
    assert_serving(client)


def test_50_mb_upload_is_refused(client, url, tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(50 * 1024 * 1024)
    # gradio_client checks the app's max_file_size before sending ...
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        client.predict(handle_file(str(big)), 1, [], [], api_name="/batch")
    # ... and the server refuses it anyway when a client does not.
    with open(big, "rb") as fh:
        r = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.txt", fh, "text/plain")}, timeout=120)
    assert r.status_code == 413 and "maximum allowed size" in r.text
    assert_serving(client)


def test_too_many_questions_for_the_web_form(fake_index, tmp_path):
    f = tmp_path / "many.txt"
    f.write_text("DFFTとは\n" * (web_app.WEB_MAX_QUESTIONS + 1), encoding="utf-8")
    summary, jsonl, _ = ui.App(fake_index).batch(str(f))
    assert "1,001 questions" in summary and "ictqa batch" in summary and jsonl is None


def test_batch_reports_progress_and_writes_only_to_a_temp_dir(fake_index, tmp_path):
    f = tmp_path / "q.txt"
    f.write_text("DFFTとは\n" * 40, encoding="utf-8")
    seen = []

    class Progress(gr.Progress):  # a real gr.Progress is falsy until it tracks an iterable
        def __call__(self, progress, **kw):
            seen.append(progress)

    _, jsonl, csvf = ui.App(fake_index).batch(str(f), k=1, progress=Progress())
    assert seen == [(0, 40), (16, 40), (32, 40)]
    tmp = Path(tempfile.gettempdir()).resolve()
    assert Path(jsonl).resolve().is_relative_to(tmp) and Path(csvf).resolve().is_relative_to(tmp)


def test_server_errors_do_not_reach_the_page(fake_index, caplog):
    class Broken:
        def search_many(self, *a, **kw):
            raise RuntimeError("secret internals")

    app = ui.App(fake_index)
    app._searcher = Broken()
    page, answer = app.ask("DFFTとは")
    assert "went wrong on the server" in page and "secret" not in page and "Traceback" not in page
    assert answer == {"error": "Something went wrong on the server while searching; the error was logged."}
    assert "secret internals" in caplog.text  # ... but it is logged


def test_unknown_edition_is_a_notice(fake_index):
    page, answer = ui.App(fake_index).ask("DFFT", editions=["2031"])
    assert "ictqa-error" in page and "no passages of edition 2031" in answer["error"]


def test_api_is_three_documented_endpoints(url):
    info = httpx.get(f"{url}gradio_api/info", timeout=30).json()
    eps = info["named_endpoints"]
    assert sorted(eps) == ["/ask", "/batch", "/timeline"] and not info["unnamed_endpoints"]
    assert [p["parameter_name"] for p in eps["/ask"]["parameters"]] == ["question", "k", "editions", "chapters"]
    assert [p["parameter_name"] for p in eps["/batch"]["parameters"]] == ["file", "k", "editions", "chapters"]
    assert [p["parameter_name"] for p in eps["/timeline"]["parameters"]] == ["question", "k"]
    assert all(eps[e]["description"] for e in eps)


def test_serves_this_machine_only_by_default():
    import inspect

    assert inspect.signature(ui.launch).parameters["host"].default == "127.0.0.1"
    out = subprocess.run([sys.executable, str(REPO / "app.py"), "--help"], capture_output=True, text=True, check=True).stdout
    assert "--host" in out and "this machine only" in out


def test_example_api_client(url):
    run = subprocess.run(
        [sys.executable, str(REPO / "examples" / "api_client.py"), "--url", url, "-k", "2", "DFFTとは何ですか"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "\n[1] " in "\n" + run.stdout and "令和5年版 情報通信白書" in run.stdout
    bad = subprocess.run(
        [sys.executable, str(REPO / "examples" / "api_client.py"), "--url", url, "   "],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and "the question is empty" in bad.stderr


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory):
    """The seed section twice: as 令和5年版 and as a 令和4年版 copy."""
    from ictqa.index import build_index
    from ictqa.model import FakeEncoder

    corpus = tmp_path_factory.mktemp("two-editions")
    seed = REPO / "corpus" / "000_589c5af6fc00dccb.txt"
    meta = json.loads(seed.with_suffix(".meta.json").read_text(encoding="utf-8"))
    (corpus / "r05.txt").write_bytes(seed.read_bytes())
    (corpus / "r05.meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    (corpus / "r04.txt").write_bytes(seed.read_bytes())
    old = {**meta, "edition": "令和4年版 情報通信白書", "year": 2022}
    (corpus / "r04.meta.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    index = tmp_path_factory.mktemp("two-editions-index")
    build_index([corpus], index, FakeEncoder(), progress=False)
    return index


def test_chapters_are_named_with_their_edition_and_narrowed_by_it(two_editions):
    # Issue #16: 「第5章 …」 alone is ambiguous when the index holds several editions.
    app = web_app.App(two_editions)
    assert app.editions() == ["令和5年版 情報通信白書", "令和4年版 情報通信白書"]
    r4 = f"令和4年版 情報通信白書 › {CHAPTER}"
    assert app.chapters() == [f"令和5年版 情報通信白書 › {CHAPTER}", r4]
    assert app.chapters(["令和4年版 情報通信白書"]) == [r4]
    update = app.chapter_choices(["令和4年版 情報通信白書"], [f"令和5年版 情報通信白書 › {CHAPTER}", r4])
    assert update["choices"] == [(r4, r4)] or update["choices"] == [r4]
    assert update["value"] == [r4]
    # A chapter named with its edition searches that edition's chapter only.
    _, answer = app.ask("DFFTとは何ですか", 5, [], [r4])
    assert answer["results"] and {r["citation"]["edition"] for r in answer["results"]} == {"令和4年版 情報通信白書"}
    # The plain chapter name (the API's) still works, across editions: the
    # two editions print the same text, so each answer is one result shown
    # from the newer edition and "also in" the other.
    _, answer = app.ask("DFFTとは何ですか", 10, [], [CHAPTER])
    shown = {r["citation"]["year"] for r in answer["results"]}
    also = {a["year"] for r in answer["results"] for a in r["also_in"]}
    assert shown | also == {2022, 2023} and 2022 in also


def test_examples_come_from_the_index(fake_index, tmp_path):
    from ictqa.index import build_index
    from ictqa.model import FakeEncoder

    assert web_app.App(fake_index).examples() == web_app.SEED_EXAMPLES
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "r02_2020.txt").write_text(
        "第2章 情報通信の現況\n第1節 電気通信\n1 固定通信の契約数\n固定通信の契約数は減った。\n2 移動通信の契約数\n移動通信の契約数は増えた。\n",
        encoding="utf-8",
    )
    index = tmp_path / "idx"
    build_index([corpus], index, FakeEncoder(), progress=False)
    examples = web_app.App(index).examples()
    assert examples and all(e.endswith("について教えてください") for e in examples)
    assert web_app.SEED_EXAMPLES[0] not in examples


def test_a_link_with_q_opens_with_its_answer(fake_index):
    app = web_app.App(fake_index)
    q, eds, page, answer = app.from_address({"q": "DFFTとは", "edition": ["令和5年版 情報通信白書", "<bogus>"]})
    assert q == "DFFTとは" and eds == ["令和5年版 情報通信白書"]
    assert 'class="ictqa-card"' in page and answer["results"]
    assert app.from_address({}) == ("", [], "", None)
