"""The rough edges a new user hit (issue #16, items 4–12), as a user meets
them: the ictqa command in a subprocess against a fake-model index."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest

from conftest import CORPUS


def ictqa(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "ictqa", *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    idx = tmp_path_factory.mktemp("daily") / "idx"
    p = ictqa("build", str(CORPUS), "--index", str(idx), "--model", "fake", "--no-progress")
    assert p.returncode == 0, p.stderr
    return idx


def result_blocks(stdout: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    for line in stdout.splitlines():
        if line.startswith("["):
            blocks.append([line])
        elif blocks and line:
            blocks[-1].append(line)
    return blocks


def test_item4_figure_results_are_indented_and_compact(built):
    p = ictqa("ask", "G7/G20における情報通信・デジタルの議論の経緯", "--index", str(built), "--mode", "bm25", "-k", "3")
    assert p.returncode == 0, p.stderr
    blocks = result_blocks(p.stdout)
    figure = next(b for b in blocks if "図表5-8-5-1" in b[0])
    # Every line under a citation is indented, the → line and figure text too.
    assert all(line.startswith("    ") for b in blocks for line in b[1:]), p.stdout
    # A figure is its caption and its first lines joined, not 22 lines.
    assert len(figure) <= 4 and " / " in figure[2] and "--full shows them" in figure[2]
    full = ictqa(
        "ask", "G7/G20における情報通信・デジタルの議論の経緯", "--index", str(built), "--mode", "bm25", "-k", "1", "--full"
    )
    assert len(result_blocks(full.stdout)[0]) > 10


@pytest.mark.parametrize("edition", ["令和5年版", "令和5年版 情報通信白書", "2023", "令和5年"])
def test_item5_editions_as_a_user_types_them(built, edition):
    p = ictqa("ask", "DFFT", "--index", str(built), "--edition", edition, "-k", "1")
    assert p.returncode == 0, p.stderr
    assert "令和5年版 情報通信白書" in p.stdout


def test_item5_an_edition_the_index_lacks_is_refused_with_what_it_holds(built):
    p = ictqa("ask", "DFFT", "--index", str(built), "--edition", "平成20年版")
    assert p.returncode == 2 and "no passages of edition 2008, 平成20年版" in p.stderr and "令和5年版 情報通信白書" in p.stderr


@pytest.mark.parametrize("k", ["0", "1000", "-3", "five"])
def test_item6_k_out_of_range_is_refused(built, k):
    p = ictqa("ask", "DFFT", "--index", str(built), "-k", k)
    assert p.returncode == 2 and "expected 1 to 100" in p.stderr


def test_item7_info_on_a_missing_index_exits_2_like_ask(tmp_path):
    for args in (["info"], ["info", "--json"], ["ask", "DFFT"]):
        p = ictqa(*args, "--index", str(tmp_path / "missing"))
        assert p.returncode == 2, args
    p = ictqa("info", "--index", str(tmp_path / "missing"))
    assert "no index found" in p.stderr and "ictqa build" in p.stderr


def test_item8_the_question_from_standard_input(built):
    p = ictqa("ask", "-", "--index", str(built), "-k", "1", input="DFFTとは\n")
    assert p.returncode == 0, p.stderr
    assert "[1]" in p.stdout and "第5章第8節" in p.stdout
    # Piped with no question at all: the same.
    p = ictqa("ask", "--index", str(built), "-k", "1", "--json", input="DFFTとは")
    assert json.loads(p.stdout)["query"] == "DFFTとは"


def test_item8_interactive_mode_answers_line_by_line(built):
    from ictqa.cli.ask import repl
    from ictqa.search import Searcher

    searcher = Searcher.open(built)
    args = Namespace(k=1, mode="hybrid", edition=None, all_editions=False, json=False, cite="plain", full=False)
    out = io.StringIO()
    assert repl(searcher, args, io.StringIO("DFFTとは\n\n？？？\nITU\nexit\nnever asked\n"), out) == 0
    text = out.getvalue()
    assert text.count("[1] ") == 2  # two questions answered
    assert "no letters or digits" in text  # a bad one is explained, the next still asked
    assert "never asked" not in text


def test_item9_an_empty_question_is_refused_before_the_model_loads(tmp_path):
    # The index does not even exist: the question is checked first.
    for question in ("", "   "):
        p = ictqa("ask", question, "--index", str(tmp_path / "none"))
        assert p.returncode == 2 and "the question is empty" in p.stderr
    p = ictqa("ask", "-", "--index", str(tmp_path / "none"), input="")
    assert p.returncode == 2 and "the question is empty" in p.stderr


def test_item10_an_index_of_nan_vectors_is_refused(built, tmp_path):
    import shutil

    from ictqa.index.store import current_build

    idx = tmp_path / "nan"
    shutil.copytree(built, idx)
    build = current_build(idx)
    assert build is not None
    for name in ("vectors.npy", "sentence_vectors.npy"):
        v = np.load(build / name)
        np.save(build / name, np.full_like(v, np.nan))
    p = ictqa("ask", "DFFT", "--index", str(idx))
    assert p.returncode == 2 and "not numbers (NaN)" in p.stderr and "ictqa build" in p.stderr
    assert "Traceback" not in p.stderr and "nan" not in p.stdout


def test_item11_every_option_has_help_and_model_info_prints_no_python_dict():
    for cmd in (["info"], ["serve"], ["ask"], ["batch"], ["model", "info"]):
        out = ictqa(*cmd, "--help").stdout
        options = out.split("options:")[1].split("\n\n")[0].splitlines()
        # An option line with nothing after its name has no help text.
        bare = [line for line in options if line.strip().startswith("-") and len(line.split("  ")) < 2 and "," not in line]
        assert not bare, (cmd, bare)
    from ictqa.cli.admin import _plain

    assert _plain({"fp32": "onnx/encoder.fp32.onnx", "int8": "x"}) == "fp32 onnx/encoder.fp32.onnx, int8 x"


def test_item12_a_txt_batch_reports_its_empty_lines(built, tmp_path):
    q = tmp_path / "q.txt"
    q.write_text("DFFT\n\nITU\n\n", encoding="utf-8")
    p = ictqa("batch", str(q), "--index", str(built), "--no-progress")
    assert p.returncode == 1 and "q.txt:line 2: empty question" in p.stderr
    assert [json.loads(x)["query"] for x in p.stdout.splitlines()] == ["DFFT", "ITU"]


def test_cite_formats_and_json_formats(built):
    p = ictqa("ask", "DFFT", "--index", str(built), "-k", "1", "--cite", "japanese")
    assert p.returncode == 0 and "総務省『令和5年版 情報通信白書』第5章第8節" in p.stdout
    out = json.loads(ictqa("ask", "DFFT", "--index", str(built), "-k", "1", "--json").stdout)
    r = out["results"][0]
    assert set(r["citation"]["formats"]) == {"plain", "link", "markdown", "japanese"}
    assert r["citation"]["formats"]["plain"] == r["citation"]["label"]
    # Added keys of the contract: the answer span and the term spans.
    assert "answer" in r["highlight"] and r["term_spans"] == []


def test_english_terms_in_brackets_after_their_japanese_words(built):
    p = ictqa("ask", "submarine cable projects", "--index", str(built), "-k", "5")
    assert "also searched as: submarine cable → 海底ケーブル; project → テーマ・プロジェクト・計画・事業" in p.stdout
    out = json.loads(ictqa("ask", "submarine cable projects", "--index", str(built), "-k", "5", "--json").stdout)
    japanese = {t["english"]: t["japanese"] for t in out["translated_terms"]}
    spans = [(r["text"][t["start"] : t["end"]], t["english"]) for r in out["results"] for t in r["term_spans"]]
    # (The fake model ranks at random: which terms the five passages hold varies, not that each is marked.)
    assert spans and all(word in japanese[english] for word, english in spans)
    assert all(f"{word}[{english}]" in p.stdout for word, english in spans)


def test_item18_serve_says_where_the_form_is_and_nothing_about_share(built):
    import os
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ictqa", "serve", "--index", str(built), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "the web form is at" in line:
                break
        out = "".join(lines)
        assert f"ictqa: the web form is at http://127.0.0.1:{port}/ (this machine only)" in out, out
        assert "share=True" not in out and "public link" not in out
    finally:
        proc.terminate()
        proc.wait(timeout=30)
