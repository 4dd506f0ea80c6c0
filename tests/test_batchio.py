from __future__ import annotations

import json

import pytest

from ictqa.batchio import parse_questions, read_questions
from ictqa.errors import IctqaError


def test_txt_one_question_a_line_blank_lines_reported_like_csv():
    # Issue #16: a .txt batch skipped blank lines silently while a .csv
    # reported its empty questions; both report them now.  Blank lines at
    # the end of the file are not questions.
    rows, bad = parse_questions("DFFTとは\n\n  What is APT?  \n\n\n", ".txt")
    assert rows == [("1", "line 1", "DFFTとは"), ("3", "line 3", "What is APT?")]
    assert bad == ["line 2: empty question"]
    rows, bad = parse_questions('{"question": "DFFTとは"}\n\n{"question": "APT"}\n', ".jsonl")
    assert [r[2] for r in rows] == ["DFFTとは", "APT"] and bad == ["line 2: empty question"]


def test_a_file_of_blank_lines_has_no_questions():
    with pytest.raises(IctqaError, match="no questions"):
        parse_questions("\n  \n\n", ".txt")


def test_csv_line_numbers_count_quoted_line_breaks():
    rows, bad = parse_questions('id,question\n1,"two\nlines"\n2,\n', ".csv")
    assert rows[0][2] == "two\nlines" and bad == ["line 4: empty question"]


def test_jsonl_bad_rows_are_reported_and_the_rest_kept():
    text = "\n".join(
        [
            json.dumps({"id": "a", "question": "DFFTとは"}),
            "{not json",
            json.dumps({"id": "c"}),
            json.dumps({"question": "What is APT?"}),
        ]
    )
    rows, bad = parse_questions(text, ".jsonl")
    assert [(r[0], r[2]) for r in rows] == [("a", "DFFTとは"), ("4", "What is APT?")]
    assert bad[0].startswith("line 2: not valid JSON")
    assert bad[1].startswith('line 3: no "question"')


def test_csv_needs_a_question_column():
    rows, bad = parse_questions("id,Question\n1,DFFTとは\n2,\n", ".csv")
    assert [(r[0], r[2]) for r in rows] == [("1", "DFFTとは")]
    assert bad == ["line 3: empty question"]
    with pytest.raises(IctqaError, match='"question" column'):
        parse_questions("id,text\n1,x\n", ".csv")


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("q.pdf", b"%PDF-1.4", "Expected: a .txt"),
        ("q.txt", b"", "no questions"),
        ("q.txt", b"abc\x00def", "binary"),
    ],
)
def test_bad_files(tmp_path, name, content, match):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(IctqaError, match=match):
        read_questions(p)


def test_too_large_file_is_refused_before_reading(tmp_path):
    p = tmp_path / "q.txt"
    p.write_bytes(b"x\n" * 100)
    with pytest.raises(IctqaError, match="at most"):
        read_questions(p, max_bytes=10)


def test_shift_jis_questions_are_read(tmp_path):
    p = tmp_path / "q.txt"
    p.write_bytes("光海底ケーブルの取組は？\n".encode("cp932"))
    rows, _ = read_questions(p)
    assert rows[0][2] == "光海底ケーブルの取組は？"


def test_csv_output_has_the_answer_span_as_its_last_column():
    from ictqa.batchio import CSV_COLUMNS, responses_to_csv
    from ictqa.chunks import Chunk, Citation
    from ictqa.results import AnswerSpan, Highlight, Response, Result

    text = "会員は100を超える。"
    c = Citation("d", "令和5年版 情報通信白書", None, None, (), None, "令和5年版 情報通信白書", 0, 9)
    r = Result(
        1, 0.9, Chunk("d#0", "text", text, "", "ja", c), Highlight(0, 10, text, AnswerSpan(3, 9, "100を超える", "quantity"))
    )
    rows = responses_to_csv([Response("q", (r,), True, id="1"), Response("none", (), False, id="2")]).splitlines()
    assert rows[0].split(",") == CSV_COLUMNS and CSV_COLUMNS[-1] == "answer"
    assert rows[1].endswith(",100を超える") and rows[2].count(",") == len(CSV_COLUMNS) - 1
