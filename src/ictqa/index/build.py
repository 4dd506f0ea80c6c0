"""Build an index from corpus files: read → parse → chunk → embed → store.

Embedding is the only slow step, so it is done only for chunks whose content
hash the current index does not already hold for the same model.  A bad file
is reported and skipped; the others are indexed.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..bank import background_passages, probe_questions
from ..chunks import Chunk, ChunkParams, chunk_document, text_hash
from ..documents import DocumentMeta
from ..errors import IctqaError
from ..glossary import read_table, restrict, table_source
from ..ingest import iter_corpus_files, read_source, supported_types
from ..ingest.editions import load_meta
from ..lexical import batch_words, dictionary_info, sentence_spans, words
from ..model import SAME_VECTORS, Encoder
from ..parse import infer_chapter_number, parse_document
from .manifest import FORMAT_VERSION, POOLED, SEPARATE, Counts, DocumentEntry, FileProblem, GlossaryInfo, Manifest, ModelInfo
from .store import load_vectors, read_manifest, write_index

log = logging.getLogger(__name__)

# Texts per encoder call.  Each call ends by waiting for its slowest text, so
# a larger call leaves the cores idle less often (measured with OpenVINO on
# 2 cores: 12.7k chars/s at 256 against 12.2k at 32); the progress bar still
# moves every few seconds.
EMBED_BATCH = 256


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    documents: int
    chunks: int
    embedded: int  # chunks whose vectors were computed in this build
    kept: int  # chunks whose vectors came from the previous index
    removed: int  # chunks of the previous index that are gone
    full_rebuild_reason: str | None
    problems: tuple[FileProblem, ...] = field(default_factory=tuple)
    seconds: float = 0.0
    editions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedFile:
    meta: DocumentMeta
    chunks: list[Chunk]
    sha256: str
    encoding: str
    kind: str
    sections: int


def parse_file(path: Path, corpus_root: Path | None, params: ChunkParams) -> ParsedFile:
    """One file through read → parse → chunk (all that happens before embedding)."""
    source = read_source(path)
    meta = load_meta(source, corpus_root)
    parsed = parse_document(source)
    sections = parsed.sections
    for note in parsed.notes:
        # What the parser noticed: a page list that does not align is a
        # warning (those passages get no page address), a table of contents
        # skipped is information.  The index is built either way.
        log.log(logging.WARNING if note in parsed.problems else logging.INFO, "%s: %s", path, note)
    if meta.chapter_number is None:
        number = infer_chapter_number(sections)
        if number:
            meta = dataclasses.replace(meta, chapter_number=number)
    chunks = chunk_document(sections, meta, params, pages=parsed.pages)
    return ParsedFile(meta, chunks, source.sha256, source.encoding, source.kind, len(sections))


def build_index(
    paths: Sequence[Path],
    index_dir: Path,
    encoder: Encoder,
    params: ChunkParams = ChunkParams(),
    *,
    progress: bool = True,
    on_problem: Callable[[FileProblem], None] | None = None,
    sentence_vectors: str = SEPARATE,
) -> BuildReport:
    """Index the corpus files under ``paths`` into ``index_dir``.

    ``sentence_vectors``: :data:`SEPARATE` embeds every sentence on its own (the
    default: best highlighting and ranking); :data:`POOLED` takes them from the
    passage's forward pass, which halves the embedding work but measured worse
    (seed dev set: highlight 0.94 → 0.85, English R@1 0.77 → 0.72); it needs an
    encoder with ``encode_documents_with_parts`` (the ONNX default)."""
    if sentence_vectors not in (SEPARATE, POOLED):
        raise IctqaError(f"unknown sentence-vector mode {sentence_vectors!r}", expected=f"{SEPARATE!r} or {POOLED!r}")
    if sentence_vectors == POOLED and not _pools_sentences(encoder):
        raise IctqaError(
            f"the model {encoder.model_id} cannot pool sentence vectors from the passage",
            expected="the default ONNX model",
            fix=f"build with --sentence-vectors {SEPARATE}, or without --model",
        )
    started = time.perf_counter()
    files = iter_corpus_files([Path(p) for p in paths])
    if not files:
        raise IctqaError(
            f"no corpus files found in {', '.join(str(p) for p in paths)}",
            expected=supported_types() + " (folders are searched recursively)",
            fix="pass a file or a folder that contains white-paper text",
        )
    root = _common_root(paths)
    parsed: list[ParsedFile] = []
    problems: list[FileProblem] = []
    for path in _progress(files, progress, desc="read", unit="file"):
        try:
            parsed.append(parse_file(path, root, params))
        except IctqaError as e:
            problem = FileProblem(str(path), e.message)
            problems.append(problem)
            if on_problem:
                on_problem(problem)
    chunks = [c for p in parsed for c in p.chunks]
    if not chunks:
        raise IctqaError(
            "none of the corpus files gave any text to index" + (f" ({len(problems)} could not be read)" if problems else ""),
            fix="check the messages above; the existing index was left as it was",
        )

    manifest = dataclasses.replace(_manifest(parsed, chunks, encoder, params, problems), sentence_vectors=sentence_vectors)
    embedded, kept, removed, reason = index_chunks(chunks, index_dir, encoder, params, manifest, progress=progress)
    editions: dict[str, int] = {}
    for p in parsed:
        key = p.meta.edition or "(edition unknown)"
        editions[key] = editions.get(key, 0) + 1
    return BuildReport(
        index_dir=Path(index_dir),
        documents=len(parsed),
        chunks=len(chunks),
        embedded=embedded,
        kept=kept,
        removed=removed,
        full_rebuild_reason=reason,
        problems=tuple(problems),
        seconds=time.perf_counter() - started,
        editions=editions,
    )


def index_chunks(
    chunks: Sequence[Chunk],
    index_dir: Path,
    encoder: Encoder,
    params: ChunkParams,
    manifest: Manifest,
    *,
    progress: bool = True,
) -> tuple[int, int, int, str | None]:
    """Embed what the current index lacks, then write and swap in the new
    index.  Returns (embedded, kept, removed, why a full rebuild was needed)."""
    pooled = manifest.sentence_vectors == POOLED
    previous, old_sentences, old_chunks, reason = _reusable_vectors(index_dir, encoder.model_id, params, pooled)
    chunk_hashes = [c.content_hash for c in chunks]
    background = background_passages()
    if pooled:
        # Sentence vectors come out of the passage's own forward pass: they are
        # keyed by the passage, whose whole text they depend on.
        unique = {c.content_hash: c for c in chunks}
        todo = [c for h, c in unique.items() if h not in old_sentences]
        fresh_docs, fresh_sentences = _embed_with_sentences(encoder, todo, progress)
        vecs = previous | {c.content_hash: v for c, v in zip(todo, fresh_docs)}
        by_chunk = old_sentences | {c.content_hash: s for c, s in zip(todo, fresh_sentences)}
        sentence_rows = [by_chunk[h] for h in chunk_hashes]
        bg_todo = [t for t in background if text_hash(t) not in vecs]
        vecs |= {text_hash(t): v for t, v in zip(bg_todo, _embed(encoder, bg_todo, progress=False))}
        sentence_vectors = _stack([row for block in sentence_rows for row in block], encoder.dimension)
        sentence_counts = [len(r) for r in sentence_rows]
        del by_chunk, sentence_rows, fresh_docs, fresh_sentences
    else:
        sentence_texts = [c.sentences for c in chunks]
        texts = {h: c.embed_text for h, c in zip(chunk_hashes, chunks)}
        texts.update((text_hash(t), t) for ts in sentence_texts for t in ts)
        texts.update((text_hash(t), t) for t in background)
        todo_hashes = [h for h in texts if h not in previous]
        fresh = _embed(encoder, [texts[h] for h in todo_hashes], progress)
        vecs = previous | dict(zip(todo_hashes, fresh))
        sentence_vectors = _stack([vecs[text_hash(t)] for ts in sentence_texts for t in ts], encoder.dimension)
        sentence_counts = [len(ts) for ts in sentence_texts]
        del texts, todo_hashes, fresh, sentence_texts
    vectors = _stack([vecs[h] for h in chunk_hashes], encoder.dimension)
    sentence_offsets = np.cumsum([0] + sentence_counts, dtype=np.int64)
    background_vectors = _stack([vecs[text_hash(t)] for t in background], encoder.dimension)
    kept = sum(1 for h in chunk_hashes if h in (old_sentences if pooled else previous))
    removed = len(old_chunks - set(chunk_hashes))
    # The vectors now live in the stacked arrays; the per-text rows (and the
    # texts) would double the build's memory through tokenizing and writing
    # (archive: ~400 MB of 1.9 GB).
    del vecs, previous, old_sentences
    gc.collect()
    token_lists = batch_words([c.embed_text for c in chunks])
    # The glossary's part this index can use (spellings all of whose words it
    # holds; see ictqa.glossary), so a search never reads the whole table.
    glossary, source = restrict(read_table(), {w for ts in token_lists for w in ts}), table_source()
    manifest = dataclasses.replace(
        manifest,
        background=tuple(text_hash(t) for t in background),
        glossary=GlossaryInfo(source, len(glossary)),
        probes=probe_scores(encoder, vectors, background_vectors, {w for ts in token_lists for w in ts}),
    )
    write_index(
        index_dir,
        manifest,
        chunks,
        vectors,
        sentence_vectors,
        sentence_offsets,
        token_lists,
        background_vectors,
        glossary,
        source,
    )
    return len(chunks) - kept, kept, removed, reason


def probe_scores(
    encoder: Encoder, vectors: np.ndarray, background: np.ndarray, vocabulary: set[str]
) -> dict[str, tuple[tuple[float, float, float], ...]]:
    """For each probe question (ictqa.bank), by language: the cosine of its
    best passage and of its best background passage in this index, and the
    share of its words the index holds.  What abstention compares a question
    with (a few seconds: the probes are embedded every build, being few)."""
    probes = probe_questions()
    if not probes or not len(vectors):
        return {}
    qvecs = encoder.encode_queries([q for _, q in probes])
    top = np.max(np.asarray(vectors) @ qvecs.T, axis=0)
    bg = np.max(np.asarray(background) @ qvecs.T, axis=0) if len(background) else np.zeros(len(probes))
    out: dict[str, list[tuple[float, float, float]]] = {}
    for (lang, q), t, b in zip(probes, top, bg):
        qw = words(q)
        cov = sum(1 for w in qw if w in vocabulary) / len(qw) if qw else 0.0
        out.setdefault(lang, []).append((round(float(t), 5), round(float(b), 5), round(cov, 4)))
    return {lang: tuple(rows) for lang, rows in out.items()}


def _embed(encoder: Encoder, texts: list[str], progress: bool) -> list[np.ndarray]:
    if not texts:
        return []
    # Sorting by length makes each batch pad to similar lengths, which is most
    # of the cost on a CPU; the order is restored afterwards.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[np.ndarray] = [None] * len(texts)  # type: ignore[list-item]
    bar = _progress(total=len(texts), enabled=progress, desc="embed", unit="text")
    for start in range(0, len(order), EMBED_BATCH):
        batch = order[start : start + EMBED_BATCH]
        for i, v in zip(batch, encoder.encode_documents([texts[i] for i in batch])):
            out[i] = v
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    return out


def _pools_sentences(encoder: Encoder) -> bool:
    return callable(getattr(encoder, "encode_documents_with_parts", None))


def _embed_with_sentences(encoder: Any, chunks: list[Chunk], progress: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Passage vectors and, per passage, its sentences' vectors from one pass."""
    docs: list[np.ndarray] = []
    sentences: list[np.ndarray] = []
    bar = _progress(
        total=sum(len(c.embed_text) for c in chunks),
        enabled=progress and bool(chunks),
        desc="embed",
        unit="char",
        unit_scale=True,
    )
    for start in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[start : start + EMBED_BATCH]
        # Sentence spans are offsets into chunk.text; embed_text puts the
        # heading context and a newline before it.
        spans = []
        for c in batch:
            shift = len(c.embed_text) - len(c.text)
            spans.append([(a + shift, b + shift) for a, b in sentence_spans(c.text)])
        d, s = encoder.encode_documents_with_parts([c.embed_text for c in batch], spans)
        docs.extend(d)
        sentences.extend(s)
        if bar is not None:
            bar.update(sum(len(c.embed_text) for c in batch))
    if bar is not None:
        bar.close()
    return docs, sentences


def _stack(rows: list[np.ndarray], dim: int) -> np.ndarray:
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)


def _reusable_vectors(
    index_dir: Path, model_id: str, params: ChunkParams, pooled: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], set[str], str | None]:
    """Vectors of the current index by text hash, its sentence vectors by the
    content hash of their passage, the content hashes of its chunks, or why
    none can be reused."""
    try:
        manifest = read_manifest(Path(index_dir))
    except IctqaError as e:
        return {}, {}, set(), f"the existing index could not be read ({e.what})"
    if manifest is None:
        return {}, {}, set(), None
    old_model = manifest.model.id
    if old_model != model_id and old_model not in SAME_VECTORS.get(model_id, ()):
        return {}, {}, set(), f"the model changed ({old_model} → {model_id})"
    if manifest.chunking != dataclasses.asdict(params):
        return {}, {}, set(), f"the chunking parameters changed ({manifest.chunking} → {dataclasses.asdict(params)})"
    old_mode = manifest.sentence_vectors
    if old_mode != (POOLED if pooled else SEPARATE):
        return {}, {}, set(), f"the sentence-vector mode changed ({old_mode} → {POOLED if pooled else SEPARATE})"
    try:
        old = load_vectors(Path(index_dir))
    except IctqaError as e:
        return {}, {}, set(), f"the existing index could not be loaded ({e.what})"
    cache = {c.content_hash: np.asarray(old.vectors[i]) for i, c in enumerate(old.chunks)}
    bg_hashes = old.manifest.background
    if old.background_vectors is not None and len(bg_hashes) == len(old.background_vectors):
        cache.update((h, np.asarray(v)) for h, v in zip(bg_hashes, old.background_vectors))
    offsets = old.sentence_offsets
    by_chunk: dict[str, np.ndarray] = {}
    for i, c in enumerate(old.chunks):
        rows = np.asarray(old.sentence_vectors[int(offsets[i]) : int(offsets[i + 1])])
        by_chunk[c.content_hash] = rows
        for row, text in zip(rows, c.sentences):
            cache.setdefault(text_hash(text), row)
    return cache, by_chunk, {c.content_hash for c in old.chunks}, None


def manifest_for(
    chunks: Sequence[Chunk], encoder: Encoder, params: ChunkParams, documents: Iterable[DocumentEntry] = ()
) -> Manifest:
    """A manifest for chunks that did not come from files (benchmarks, tests)."""
    runtime = getattr(encoder, "runtime", None)
    return Manifest(
        format_version=FORMAT_VERSION,
        ictqa_version=__version__,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        model=ModelInfo(encoder.model_id, encoder.dimension, runtime if isinstance(runtime, str) else None),
        lexical=dictionary_info(),
        chunking=dataclasses.asdict(params),
        counts=Counts(len({c.citation.document for c in chunks}), len(chunks)),
        documents=tuple(documents),
    )


def _manifest(
    parsed: Sequence[ParsedFile],
    chunks: Sequence[Chunk],
    encoder: Encoder,
    params: ChunkParams,
    problems: Sequence[FileProblem],
) -> Manifest:
    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.citation.document] = per_doc.get(c.citation.document, 0) + 1
    documents = [
        DocumentEntry(
            document=p.meta.document,
            sha256=p.sha256,
            encoding=p.encoding,
            kind=p.kind,
            edition=p.meta.edition,
            year=p.meta.year,
            language=p.meta.language,
            sections=p.sections,
            chunks=per_doc.get(p.meta.document, 0),
            source=p.meta.source,
            licence=p.meta.licence,
            attribution=p.meta.attribution,
        )
        for p in parsed
    ]
    manifest = manifest_for(chunks, encoder, params, documents)
    return dataclasses.replace(
        manifest,
        counts=Counts(len(parsed), len(chunks)),
        problems=tuple(problems),
        corpus_hash=hashlib.sha256("".join(sorted(p.sha256 for p in parsed)).encode()).hexdigest(),
    )


def _common_root(paths: Sequence[Path]) -> Path | None:
    resolved = [Path(p).resolve() for p in paths]
    dirs = [p if p.is_dir() else p.parent for p in resolved]
    if not dirs:
        return None
    root = dirs[0]
    for d in dirs[1:]:
        while root not in (d, *d.parents):
            root = root.parent
    return root


def _progress(iterable=None, enabled: bool = True, **kwargs):
    """A tqdm bar over ``iterable`` (or a manual one when it is None)."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
