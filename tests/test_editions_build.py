"""Issue #5 acceptance: rebuild the index from new white papers.

One index is built (once per module, fake encoder: embedding the ~2 M
characters with the real model takes over half an hour) from the seed
``corpus/`` plus the whole MIC web-text editions 令和元年版…令和5年版 under
``../shared``; then a 令和6年版 page excerpt is added and the index is rebuilt
incrementally through the real CLI.  Searches run in ``mode="bm25"`` (real
fugashi words), since the fake encoder makes the dense scores meaningless.

English related documents (G7 declarations) are indexed beside the seed in a
second, small index.  Everything here skips when ``../shared`` is absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import CORPUS, SEED
from ictqa.index import build_index
from ictqa.index.store import load_index, read_manifest
from ictqa.model import FakeEncoder
from ictqa.search import Searcher

pytestmark = pytest.mark.shared

# file → (edition label, year, 章 found, 節 found).  章 counts はじめに and
# 序章; r02's web text has no heading for 第4章第1節 (copied here without its
# page list, which would let the parser infer it) and r03's 序章 and 第3章
# have no 節 but a 補論 each, as 第2章 has after its 第4節 (see
# tests/test_structure.py), so these are what the parser finds and what a
# user will see cited.
EDITIONS = {
    "r01_2019.txt": ("令和元年版 情報通信白書", 2019, 5, 22),
    "r02_2020.txt": ("令和2年版 情報通信白書", 2020, 6, 27),
    "r03_2021.txt": ("令和3年版 情報通信白書", 2021, 6, 24),
    "r04_2022.txt": ("令和4年版 情報通信白書", 2022, 5, 27),
    "r05_2023.txt": ("令和5年版 情報通信白書", 2023, 5, 28),
}
R5 = "令和5年版 情報通信白書"
R6 = "令和6年版 情報通信白書"
R6_FILE = "r06_nd228210.txt"
QUESTION = "デジタル海外展開プラットフォームにはどれくらいの会員が参加していますか"
K = 10

_BUILD_LINE = re.compile(
    r"indexed (?P<docs>\d+) document\(s\), (?P<chunks>\d+) passages into .* "
    r"(?P<embedded>\d+) embedded, (?P<kept>\d+) kept, (?P<removed>\d+) removed"
)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ictqa", *args], cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )


def _hits(response, needle: str) -> list:
    return [r for r in response.results if needle in r.chunk.text]


# --------------------------------------------------------------------------
# Fixtures: the five editions, then the 令和6年版 excerpt added by the CLI
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first(tmp_path_factory, full_editions: Path, page_excerpts: Path) -> SimpleNamespace:
    """Seed + r01…r05, built through the API.  Everything the tests need of
    this first index is captured here: the CLI rebuild below replaces it."""
    full = full_editions
    assert (page_excerpts / R6_FILE).exists()
    root = tmp_path_factory.mktemp("editions")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    for name in EDITIONS:
        shutil.copy(full / name, corpus / name)
    index_dir = root / "index"
    report = build_index([corpus], index_dir, FakeEncoder(), progress=False)
    searcher = Searcher(load_index(index_dir), FakeEncoder())
    return SimpleNamespace(
        root=root,
        corpus=corpus,
        index_dir=index_dir,
        report=report,
        manifest=read_manifest(index_dir),
        chunks=list(searcher.chunks),
        answer=searcher.search(QUESTION, k=K, mode="bm25"),
    )


@pytest.fixture(scope="module")
def second(first: SimpleNamespace, page_excerpts: Path) -> SimpleNamespace:
    """The 令和6年版 excerpt dropped into the corpus folder, then
    ``python -m ictqa build`` over the same folder and index."""
    excerpt = page_excerpts / R6_FILE
    shutil.copy(excerpt, first.corpus / R6_FILE)
    proc = _cli("build", str(first.corpus), "--index", str(first.index_dir), "--model", "fake", "--no-progress", cwd=first.root)
    searcher = Searcher(load_index(first.index_dir), FakeEncoder())
    return SimpleNamespace(proc=proc, searcher=searcher, chunks=list(searcher.chunks))


# --------------------------------------------------------------------------
# Five editions
# --------------------------------------------------------------------------


def test_first_build_reads_every_file(first: SimpleNamespace) -> None:
    assert first.report.problems == ()
    assert first.report.documents == len(EDITIONS) + 1
    assert first.report.embedded == first.report.chunks == len(first.chunks)
    assert first.report.editions == {
        R5: 2,  # the seed (第5章第8節) and the whole r05
        **{label: 1 for label, *_ in EDITIONS.values() if label != R5},
    }


@pytest.mark.parametrize("name", sorted(EDITIONS))
def test_edition_detected_from_file_name(first: SimpleNamespace, name: str) -> None:
    label, year, _, _ = EDITIONS[name]
    doc = next(d for d in first.manifest.documents if d.document == name)
    assert (doc.edition, doc.year, doc.language) == (label, year, "ja")
    chunks = [c for c in first.chunks if c.citation.document == name]
    assert chunks
    assert {(c.citation.edition, c.citation.year) for c in chunks} == {(label, year)}
    assert all(c.citation.label.startswith(label) for c in chunks)


@pytest.mark.parametrize("name", sorted(EDITIONS))
def test_chapters_and_sections_per_edition(first: SimpleNamespace, name: str) -> None:
    _, _, n_chapters, n_sections = EDITIONS[name]
    chunks = [c for c in first.chunks if c.citation.document == name]
    chapters = {c.citation.chapter for c in chunks if c.citation.chapter}
    sections = {(c.citation.chapter, c.citation.section) for c in chunks if c.citation.section}
    assert (len(chapters), len(sections)) == (n_chapters, n_sections), sorted(chapters)
    # A whole edition names its own chapters: its unheaded front and back
    # matter must not be cited as an untitled "第N章" guessed from figure ids.
    assert not [ch for ch in chapters if re.fullmatch(r"第\d+章", ch)]


def test_r01_chapters_by_name(first: SimpleNamespace) -> None:
    chapters = {c.citation.chapter for c in first.chunks if c.citation.document == "r01_2019.txt"} - {None}
    assert chapters == {
        "はじめに",
        "第1章 ICTとデジタル経済はどのように進化してきたのか",
        "第2章 Society 5.0が真価を発揮するために何が必要か",
        "第3章 ICT分野の基本データ",
        "第4章 ICT政策の動向",
    }


def test_seed_keeps_its_sidecar_citation(first: SimpleNamespace) -> None:
    seed = [c for c in first.chunks if c.citation.document == SEED.name]
    assert {(c.citation.chapter, c.citation.section) for c in seed} == {
        ("第5章 総務省におけるICT政策の取組状況", "第8節 ICT国際戦略の推進")
    }


def test_bm25_finds_the_r05_platform_passage(first: SimpleNamespace) -> None:
    hits = [r for r in _hits(first.answer, "100を超える会員") if r.chunk.citation.document == "r05_2023.txt"]
    assert hits, [r.chunk.citation.label for r in first.answer.results]
    hit = hits[0]
    assert hit.rank <= 5
    assert hit.chunk.citation.edition == R5
    assert hit.chunk.citation.label.startswith(f"{R5} 第5章第8節 2(1)")
    assert not _hits(first.answer, "200を超える会員")


# --------------------------------------------------------------------------
# Adding 令和6年版 (an HTML-page text excerpt) with the CLI
# --------------------------------------------------------------------------


def test_r06_excerpt_is_read_as_reiwa6(page_excerpts: Path) -> None:
    from ictqa.chunks import ChunkParams
    from ictqa.index import parse_file
    from ictqa.ingest import read_source
    from ictqa.parse import parse_source

    path = page_excerpts / R6_FILE
    parsed = parse_file(path, path.parent, ChunkParams())
    assert (parsed.meta.edition, parsed.meta.year, parsed.meta.language) == (R6, 2024, "ja")
    assert (parsed.kind, parsed.encoding) == ("text", "utf-8")
    # An excerpt from inside a 節: no headings, both paragraphs kept whole.
    text = path.read_text(encoding="utf-8")
    sections = parse_source(read_source(path))
    assert [s.path for s in sections] == [()]
    assert [b.text for b in sections[0].blocks] == [line.strip() for line in text.splitlines() if line.strip()]
    assert parsed.chunks and all(c.citation.label == R6 for c in parsed.chunks)
    assert any("200を超える会員" in c.text for c in parsed.chunks)


def test_cli_rebuild_embeds_only_the_new_file(first: SimpleNamespace, second: SimpleNamespace) -> None:
    assert second.proc.returncode == 0, second.proc.stderr
    m = _BUILD_LINE.search(second.proc.stdout)
    assert m, second.proc.stdout
    new = [c for c in second.chunks if c.citation.document == R6_FILE]
    assert new
    assert int(m["docs"]) == len(EDITIONS) + 2
    assert int(m["chunks"]) == len(second.chunks) == len(first.chunks) + len(new)
    assert (int(m["embedded"]), int(m["kept"]), int(m["removed"])) == (len(new), len(first.chunks), 0)
    assert "full rebuild" not in second.proc.stdout
    # The old passages are unchanged, id for id.
    old = {c.id: c for c in first.chunks}
    assert {c.id: c for c in second.chunks if c.citation.document != R6_FILE} == old


def test_cli_build_prints_documents_per_edition(second: SimpleNamespace) -> None:
    lines = set(second.proc.stdout.splitlines())
    expected = {f"  {R5}: 2 document(s)", f"  {R6}: 1 document(s)"}
    expected |= {f"  {label}: 1 document(s)" for label, *_ in EDITIONS.values() if label != R5}
    assert expected <= lines, second.proc.stdout


def test_question_finds_both_editions(second: SimpleNamespace) -> None:
    response = second.searcher.search(QUESTION, k=K, mode="bm25")
    r05 = [r for r in _hits(response, "100を超える会員") if r.chunk.citation.document == "r05_2023.txt"]
    r06 = _hits(response, "200を超える会員")
    labels = [r.chunk.citation.label for r in response.results]
    assert r05 and r06, labels
    assert r05[0].chunk.citation.edition == R5 and r05[0].chunk.citation.year == 2023
    assert r06[0].chunk.citation.edition == R6 and r06[0].chunk.citation.year == 2024
    assert r06[0].chunk.citation.document == R6_FILE
    assert r06[0].chunk.citation.label.startswith(R6)


@pytest.mark.parametrize("edition", ["2024", R6])
def test_edition_filter_returns_only_r06(second: SimpleNamespace, edition: str) -> None:
    response = second.searcher.search(QUESTION, k=K, mode="bm25", editions=[edition])
    assert response.results
    assert {(r.chunk.citation.edition, r.chunk.citation.year) for r in response.results} == {(R6, 2024)}
    assert _hits(response, "200を超える会員")


def test_info_lists_r06(first: SimpleNamespace, second: SimpleNamespace) -> None:
    manifest = read_manifest(first.index_dir)
    doc = next(d for d in manifest.documents if d.document == R6_FILE)
    assert (doc.edition, doc.year, doc.language, doc.kind) == (R6, 2024, "ja", "text")


# --------------------------------------------------------------------------
# English related documents
# --------------------------------------------------------------------------

_LATIN_WORD = re.compile(r"[A-Za-z]+")


@pytest.fixture(scope="module")
def english(tmp_path_factory, en_related: Path) -> SimpleNamespace:
    src = en_related
    files = sorted(src.glob("*.txt"))
    assert files
    root = tmp_path_factory.mktemp("english")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    for f in files:
        shutil.copy(f, corpus / f.name)
    index_dir = root / "index"
    report = build_index([corpus], index_dir, FakeEncoder(), progress=False)
    return SimpleNamespace(
        files=files,
        report=report,
        manifest=read_manifest(index_dir),
        chunks=load_index(index_dir).chunks,
        searcher=Searcher(load_index(index_dir), FakeEncoder()),
    )


def test_english_documents_are_english(english: SimpleNamespace) -> None:
    assert english.report.problems == ()
    languages = {d.document: d.language for d in english.manifest.documents}
    assert languages == {SEED.name: "ja", **{f.name: "en" for f in english.files}}
    for f in english.files:
        chunks = [c for c in english.chunks if c.citation.document == f.name]
        assert chunks, f.name
        assert {c.language for c in chunks} == {"en"}


def test_english_text_is_all_chunked(english: SimpleNamespace) -> None:
    """No 第N節 headings: the whole file is one unheaded section, and every
    character of it ends up in a chunk, in order."""
    for f in english.files:
        source = f.read_text(encoding="utf-8")
        chunks = sorted((c for c in english.chunks if c.citation.document == f.name), key=lambda c: c.citation.char_start)
        assert all(not c.citation.section and not c.citation.path for c in chunks)
        squeezed = "".join("".join(c.text.split()) for c in chunks)
        assert squeezed == "".join(source.split()), f.name
        for c in chunks:
            assert "".join(source[c.citation.char_start : c.citation.char_end].split()) == "".join(c.text.split())


def test_english_words_keep_their_spaces(english: SimpleNamespace) -> None:
    """Lines of English end with no trailing space; joining them must not
    glue the last word of one line to the first of the next
    ("GunmaPublished")."""
    for f in english.files:
        vocabulary = set(_LATIN_WORD.findall(f.read_text(encoding="utf-8")))
        for c in (c for c in english.chunks if c.citation.document == f.name):
            found = _LATIN_WORD.findall(c.text)
            # A chunk may start or end inside a word when one sentence is
            # longer than a chunk (chunks.py cuts it at max_chars).
            glued = [w for w in found[1:-1] if w not in vocabulary]
            assert not glued, (f.name, glued, c.text)
    first = next(c for c in english.chunks if c.citation.document.startswith("digital_go_jp"))
    assert "Takasaki, Gumma\nPublished on April 30, 2023" in first.text


def test_english_question_finds_english_document(english: SimpleNamespace) -> None:
    response = english.searcher.search("submarine cables network resilience", k=3, mode="bm25")
    top = response.results[0].chunk
    assert top.citation.document.startswith("g7_2023_annex3")
    assert "transocean submarine cables" in top.text
