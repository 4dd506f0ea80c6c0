"""Bad input to ``ictqa build``, as a user meets it: through the real CLI.

A good index of the seed is built first; then each bad file is dropped into
the corpus folder and the folder is built again into the same index.  Each
bad file must give one clear line on stderr naming it, the good files must be
indexed, the exit code must be 1 (done, but something was skipped), and
nothing of the existing index may be lost: the seed's passages are all still
there, unchanged, not re-embedded, and they still answer.

Also: Shift_JIS (CP932) and EUC-JP copies of the seed give exactly the same
chunks as the UTF-8 file, and plain English text is chunked without losing
words or the spaces between them.  No ../shared needed; fake encoder.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import CORPUS, SEED
from ictqa.chunks import ChunkParams
from ictqa.errors import IctqaError
from ictqa.index import parse_file
from ictqa.index.store import load_index, read_manifest
from ictqa.ingest import read_source
from ictqa.model import FakeEncoder
from ictqa.search import Searcher

SIDECAR = SEED.with_suffix(".meta.json")
QUESTION = "デジタル海外展開プラットフォームの会員数"
ANSWER = "100を超える会員"
_BUILD_LINE = re.compile(
    r"indexed (?P<docs>\d+) document\(s\), (?P<chunks>\d+) passages into .* "
    r"(?P<embedded>\d+) embedded, (?P<kept>\d+) kept, (?P<removed>\d+) removed"
)


def build(corpus: Path, index: Path, *extra: Path) -> subprocess.CompletedProcess[str]:
    args = ["build", str(corpus), *map(str, extra), "--index", str(index), "--model", "fake", "--no-progress"]
    return subprocess.run([sys.executable, "-m", "ictqa", *args], capture_output=True, text=True, timeout=300, check=False)


def skipped_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ictqa: skipped ")]


def snapshot(index: Path) -> dict[str, tuple]:
    return {c.id: (c.text, c.citation.label, c.content_hash) for c in load_index(index).chunks}


def answers(index: Path) -> bool:
    response = Searcher(load_index(index), FakeEncoder()).search(QUESTION, k=3, mode="bm25")
    return any(ANSWER in r.chunk.text and r.chunk.citation.document == SEED.name for r in response.results)


# --------------------------------------------------------------------------
# Bad files
# --------------------------------------------------------------------------


def _text_pdf() -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"ictqa-text-{os.getpid()}.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("HeiseiMin-W3", 12)
    for i in range(20):
        c.drawString(72, 780 - 20 * i, "総務省では、ICTインフラシステムの海外展開に取り組んできた。")
    c.showPage()
    c.save()
    data = path.read_bytes()
    path.unlink()
    return data


def make_empty(d: Path) -> Path:
    p = d / "empty.txt"
    p.write_bytes(b"")
    return p


def make_binary(d: Path) -> Path:
    p = d / "photo.txt"  # a JPEG that was renamed
    p.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + random.Random(5).randbytes(8192))
    return p


def make_binary_no_nul(d: Path) -> Path:
    p = d / "noise.txt"  # no NUL byte to give it away
    p.write_bytes(bytes(b or 0x80 for b in random.Random(6).randbytes(8192)))
    return p


def make_truncated_pdf(d: Path) -> Path:
    data = _text_pdf()
    p = d / "cut.pdf"
    p.write_bytes(data[: len(data) // 2])
    return p


def make_image_only_pdf(d: Path) -> Path:
    from reportlab.pdfgen import canvas

    p = d / "scan.pdf"
    c = canvas.Canvas(str(p))
    c.rect(72, 72, 300, 500, fill=1)
    c.showPage()
    c.save()
    return p


def make_html_without_text(d: Path) -> Path:
    p = d / "frame.html"
    p.write_text(
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>情報通信白書</title>'
        "<script>var x = '本文';</script><style>p { color: red }</style></head>"
        '<body><nav><a href="/">総務省トップ</a></nav><div class="footer">Copyright</div>'
        '<img src="figure.png" alt=""></body></html>',
        encoding="utf-8",
    )
    return p


def make_huge(d: Path) -> Path:
    p = d / "huge.txt"
    with p.open("wb") as f:
        f.truncate(100 * 1024 * 1024)  # sparse: 100 MB on paper, nothing on disk
    return p


def make_fifo(d: Path) -> Path:
    p = d / "pipe.txt"  # tests run as root, so "unreadable" is a FIFO: open() would block forever
    os.mkfifo(p)
    return p


def make_dangling_link(d: Path) -> Path:
    p = d / "moved.txt"
    p.symlink_to(d / "no-such-target.txt")
    return p


BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "empty": (make_empty, r"is empty"),
    "binary": (make_binary, r"is not readable text: it contains NUL bytes"),
    "binary-no-nul": (make_binary_no_nul, r"is not readable text|extracts as garbled text"),
    "truncated-pdf": (make_truncated_pdf, r"is a truncated PDF"),
    "image-only-pdf": (make_image_only_pdf, r"has no extractable text \(1 page\(s\), probably scanned images\)"),
    "html-without-text": (make_html_without_text, r"has no text outside navigation, scripts and styles"),
    "huge": (make_huge, r"is too large \(100\.0 MB; the limit is 64\.0 MB\)"),
    "fifo": (make_fifo, r"is not a regular file"),
    "dangling-link": (make_dangling_link, r"is a link to .*no-such-target.txt, which does not exist"),
}


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> SimpleNamespace:
    """The seed corpus and its index, built once by the CLI (exit 0)."""
    root = tmp_path_factory.mktemp("good")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    p = build(corpus, index)
    assert p.returncode == 0, p.stderr
    assert skipped_lines(p.stderr) == []
    return SimpleNamespace(corpus=corpus, index=index, chunks=snapshot(index))


@pytest.fixture
def work(good: SimpleNamespace, tmp_path: Path) -> SimpleNamespace:
    """A private copy of the good corpus and index."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(good.corpus, corpus)
    shutil.copytree(good.index, index)
    assert snapshot(index) == good.chunks
    return SimpleNamespace(corpus=corpus, index=index)


def assert_nothing_lost(good: SimpleNamespace, index: Path, stdout: str, extra_docs: int = 0) -> None:
    m = _BUILD_LINE.search(stdout)
    assert m, stdout
    assert int(m["docs"]) == 1 + extra_docs
    assert int(m["kept"]) == len(good.chunks) and int(m["removed"]) == 0
    after = snapshot(index)
    assert {k: v for k, v in after.items() if k.startswith(SEED.name + "#")} == good.chunks
    assert answers(index)


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_file_is_reported_and_skipped(good: SimpleNamespace, work: SimpleNamespace, kind: str) -> None:
    make, message = BAD[kind]
    bad = make(work.corpus)
    started = time.perf_counter()
    p = build(work.corpus, work.index)
    elapsed = time.perf_counter() - started
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = skipped_lines(p.stderr)
    assert len(lines) == 1, p.stderr
    assert str(bad) in lines[0] and "\n" not in lines[0]
    assert re.search(message, lines[0]), lines[0]
    assert "1 file(s) skipped (see above)" in p.stderr
    assert_nothing_lost(good, work.index, p.stdout)
    assert int(_BUILD_LINE.search(p.stdout)["embedded"]) == 0
    assert not any(d.document == bad.name for d in read_manifest(work.index).documents)
    assert [pr.path for pr in read_manifest(work.index).problems] == [str(bad)]
    if kind == "huge":
        assert elapsed < 60  # the whole CLI run; the refusal itself is timed below


def test_huge_file_is_refused_at_once(tmp_path: Path) -> None:
    p = make_huge(tmp_path)
    started = time.perf_counter()
    with pytest.raises(IctqaError, match="too large"):
        read_source(p)
    assert time.perf_counter() - started < 1.0


def test_all_bad_files_at_once_beside_a_new_good_one(good: SimpleNamespace, work: SimpleNamespace) -> None:
    bad = {kind: make(work.corpus) for kind, (make, _) in BAD.items()}
    extra = work.corpus / "extra.txt"
    extra.write_text("令和6年版では、海底ケーブルの敷設船について新たに記述した。\n", encoding="utf-8")
    p = build(work.corpus, work.index)
    assert p.returncode == 1, p.stderr
    lines = skipped_lines(p.stderr)
    assert len(lines) == len(bad), p.stderr
    for kind, path in bad.items():
        mine = [line for line in lines if f" {path}" in line]
        assert len(mine) == 1 and re.search(BAD[kind][1], mine[0]), (kind, lines)
    assert f"{len(bad)} file(s) skipped (see above)" in p.stderr
    assert_nothing_lost(good, work.index, p.stdout, extra_docs=1)
    assert any(c.citation.document == "extra.txt" for c in load_index(work.index).chunks)


def test_only_bad_files_leave_the_index_as_it_was(good: SimpleNamespace, work: SimpleNamespace, tmp_path: Path) -> None:
    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    make_empty(only_bad)
    make_truncated_pdf(only_bad)
    before = (work.index / "CURRENT").read_text()
    p = build(only_bad, work.index)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert len(skipped_lines(p.stderr)) == 2
    assert "none of the corpus files gave any text to index (2 could not be read)" in p.stderr
    assert (work.index / "CURRENT").read_text() == before
    assert snapshot(work.index) == good.chunks and answers(work.index)


def test_folder_named_like_a_text_file_is_searched(good: SimpleNamespace, work: SimpleNamespace) -> None:
    """A folder called x.txt is a folder: it is searched, not reported."""
    folder = work.corpus / "x.txt"
    folder.mkdir()
    (folder / "inner.txt").write_text("総務省では、電波の有効利用に取り組んでいる。\n", encoding="utf-8")
    p = build(work.corpus, work.index)
    assert p.returncode == 0, p.stderr
    assert any(c.citation.document == "x.txt/inner.txt" for c in load_index(work.index).chunks)


# --------------------------------------------------------------------------
# Legacy encodings
# --------------------------------------------------------------------------


def _chunks_of(path: Path) -> list[tuple]:
    parsed = parse_file(path, path.parent, ChunkParams())
    return [
        (c.id, c.kind, c.text, c.citation.label, c.citation.path, c.citation.char_start, c.citation.char_end)
        for c in parsed.chunks
    ]


@pytest.mark.parametrize(("codec", "detected"), [("cp932", "cp932"), ("euc_jis_2004", "euc_jis_2004")])
def test_legacy_encoding_copy_gives_the_same_chunks(tmp_path: Path, codec: str, detected: str) -> None:
    text = SEED.read_text(encoding="utf-8")
    copy_dir = tmp_path / codec
    copy_dir.mkdir()
    copy = copy_dir / SEED.name
    copy.write_bytes(text.encode(codec))
    shutil.copy(SIDECAR, copy_dir / SIDECAR.name)
    assert read_source(copy).encoding == detected
    expected = _chunks_of(SEED)
    assert len(expected) > 50
    assert _chunks_of(copy) == expected


def test_legacy_encoding_through_the_cli(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_text(encoding="utf-8").encode("cp932"))
    shutil.copy(SIDECAR, corpus / SIDECAR.name)
    p = build(corpus, tmp_path / "index")
    assert p.returncode == 0, p.stderr
    doc = read_manifest(tmp_path / "index").documents[0]
    assert (doc.encoding, doc.edition) == ("cp932", "令和5年版 情報通信白書")
    assert answers(tmp_path / "index")


# --------------------------------------------------------------------------
# Plain English text
# --------------------------------------------------------------------------

ENGLISH_LINES = """Ministerial Declaration
Takasaki, Gunma, April 30, 2023

Facilitation of Cross-Border Data Flows
We endorse the establishment of the Institutional Arrangement for Partnership to operationalise DFFT.
Secure and Resilient Digital Infrastructure

We share a desire to cooperate with like-minded partners
in strengthening trusted, multi-layered global connectivity that
provides data route diversity and redundancies by ensuring secure
routes of international communication infrastructure, such as
transocean submarine cables.
Internet Governance
"""


def test_english_text_keeps_every_word_and_its_spaces(tmp_path: Path) -> None:
    p = tmp_path / "g7_declaration.txt"
    p.write_text(ENGLISH_LINES, encoding="utf-8")
    parsed = parse_file(p, tmp_path, ChunkParams())
    assert parsed.meta.language == "en"
    assert parsed.chunks and {c.language for c in parsed.chunks} == {"en"}
    joined = "\n".join(c.text for c in parsed.chunks)
    # every character kept, in order
    assert "".join(joined.split()) == "".join(ENGLISH_LINES.split())
    # no two words glued where a line ended with no trailing space
    assert set(re.findall(r"[A-Za-z]+", joined)) == set(re.findall(r"[A-Za-z]+", ENGLISH_LINES))
    assert " ".join(joined.split()).count("Gunma, April 30, 2023") == 1
    assert "that provides data route" in " ".join(joined.split())
