"""The ictqa command as a user runs it: real subprocesses, exit codes, and
messages without tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEED

TREE = Path(__file__).parent / "data" / "structure" / "seed_tree.txt"


def ictqa(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ictqa", *args], capture_output=True, text=True, cwd=cwd, input=input, timeout=300
    )


def no_traceback(p: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    idx = tmp_path_factory.mktemp("cli") / "idx"
    p = ictqa("build", str(SEED.parent), "--index", str(idx), "--model", "fake", "--no-progress")
    assert p.returncode == 0, p.stderr
    assert "embedded" in p.stdout
    return idx


def test_help_explains_with_examples():
    p = ictqa("--help")
    assert p.returncode == 0 and "examples:" in p.stdout and "ictqa ask" in p.stdout
    for cmd in ("build", "ask", "batch", "sections", "info", "eval"):
        sub = ictqa(cmd, "--help")
        assert sub.returncode == 0 and "usage:" in sub.stdout, cmd


def test_ask_json_is_one_object_with_the_contract_keys(built):
    p = ictqa("ask", "光海底ケーブル", "--index", str(built), "--json", "-k", "2")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) >= {"id", "query", "results", "answerable"} and len(out["results"]) == 2
    assert out["results"][0]["citation"]["label"].startswith("令和5年版 情報通信白書 第5章第8節")


def test_ask_human_output_shows_citations(built):
    p = ictqa("ask", "DFFT", "--index", str(built), "-k", "1")
    assert p.returncode == 0 and "[1]" in p.stdout and "第5章第8節" in p.stdout


@pytest.mark.parametrize("question, match", [("", "empty"), ("x" * 100_000, "100,000 characters"), ("？？？", "no letters")])
def test_bad_questions_exit_2_with_a_message(built, question, match):
    p = ictqa("ask", question, "--index", str(built))
    assert p.returncode == 2 and match in p.stderr and p.stderr.startswith("ictqa: error:")
    no_traceback(p)


def test_missing_index(tmp_path):
    p = ictqa("ask", "DFFT", "--index", str(tmp_path / "none"))
    assert p.returncode == 2 and "no index found" in p.stderr and "ictqa build" in p.stderr
    no_traceback(p)


def test_mismatched_model(built):
    p = ictqa("ask", "DFFT", "--index", str(built), "--model", "fake:hash-ngram-32")
    assert p.returncode == 2 and "was built with model" in p.stderr
    no_traceback(p)


def test_unreadable_corpus_and_partial_failure(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    (corpus / "bad.txt").write_bytes(b"\x00\xff" * 50)
    idx = tmp_path / "idx"
    p = ictqa("build", str(corpus), "--index", str(idx), "--model", "fake", "--no-progress")
    assert p.returncode == 1 and "skipped" in p.stderr and "bad.txt" in p.stderr
    assert "indexed 1 document(s)" in p.stdout
    no_traceback(p)
    p = ictqa("build", str(tmp_path / "nope"), "--index", str(idx), "--model", "fake")
    assert p.returncode == 2 and "does not exist" in p.stderr


def test_batch_jsonl_with_a_bad_row(built, tmp_path):
    q = tmp_path / "q.jsonl"
    q.write_text('{"id": "a", "question": "光海底ケーブル"}\n{"id": "b"}\n{"id": "c", "question": "DFFT"}\n', encoding="utf-8")
    out = tmp_path / "a.jsonl"
    p = ictqa("batch", str(q), "--index", str(built), "--out", str(out), "--no-progress")
    assert p.returncode == 1 and "line 2" in p.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "c"] and all(r["results"] for r in rows)


def test_batch_txt_to_csv(built, tmp_path):
    q = tmp_path / "q.txt"
    q.write_text("光海底ケーブル\nDFFT\n", encoding="utf-8")
    out = tmp_path / "a.csv"
    p = ictqa("batch", str(q), "--index", str(built), "--out", str(out), "-k", "2", "--no-progress")
    assert p.returncode == 0, p.stderr
    import csv

    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    assert len(rows) == 4 and [r["id"] for r in rows] == ["1", "1", "2", "2"]
    assert rows[0]["label"].startswith("令和5年版") and rows[0]["rank"] == "1"


def test_batch_wrong_file_type(built, tmp_path):
    q = tmp_path / "q.pdf"
    q.write_bytes(b"%PDF")
    p = ictqa("batch", str(q), "--index", str(built))
    assert p.returncode == 2 and ".txt" in p.stderr
    no_traceback(p)


def test_sections_prints_the_seed_tree():
    p = ictqa("sections", str(SEED))
    assert p.returncode == 0
    head, _, tree = p.stdout.partition("\n")
    # first what was detected (issue 14), then the tree
    assert "令和5年版 情報通信白書 (2023)" in head and "58 headings" in head
    assert tree.strip() == TREE.read_text(encoding="utf-8").strip()
    p = ictqa("sections", str(SEED), "--json")
    rows = [json.loads(x) for x in p.stdout.splitlines()]  # stdout stays JSON Lines
    assert rows[0]["path"][0] == "第8節 ICT国際戦略の推進"
    assert rows[0]["inferred"] is False and rows[0]["url"] is None


def test_info_names_the_dictionary_and_the_index(built):
    p = ictqa("info", "--index", str(built))
    assert p.returncode == 0
    assert "unidic-lite 1.0.8" in p.stdout and "fake:hash-ngram-64" in p.stdout and "令和5年版" in p.stdout
