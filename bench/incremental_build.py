"""Incremental builds (issue #5): what adding one edition to a big index costs.

    python bench/incremental_build.py                      # real model; r05 vs r01–r04 (slow: ~1 h on a laptop CPU)
    python bench/incremental_build.py --model fake         # the plumbing only, in about a minute
    python bench/incremental_build.py --files a.txt b.txt new.txt   # the LAST file is the new edition
    python bench/incremental_build.py --files corpus/*.txt ../shared/…/r0[1-5]_20??.txt \
        --from-index bench/out/index-seed+5     # reuse bench/dev_eval.py --editions' index

Measures, each into its own index under a temporary folder (or --workdir):

(a) the new edition alone into a fresh index;
(b) the same edition added to an index that already holds the other files
    (that index is built first, untimed in the ratio: "setup" row);
(c) the same build again with nothing changed: it must embed nothing.

The target is (b) ≤ 1.3 × (a): adding an edition should cost about what
embedding it costs, not a rebuild of everything.  Prints a Markdown table,
with the time spent inside the encoder apart from the rest (reading, parsing,
BM25 tokenising, writing) and the number of texts encoded (passages,
sentences and, in a fresh index, the background bank).  The encoder is loaded
and warmed up before any timing.  Exit code 1 if (c) embedded anything.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
SHARED = Path(os.environ.get("ICTQA_SHARED", REPO.parent / "shared"))
FULL = SHARED / "data" / "whitepaper" / "ja" / "full"
DEFAULT_FILES = [FULL / f"{n}.txt" for n in ("r01_2019", "r02_2020", "r03_2021", "r04_2022", "r05_2023")]
TARGET = 1.3


class CountingEncoder:
    """Wraps an encoder; counts the document texts it encodes and the time it takes."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.texts = 0
        self.seconds = 0.0

    def reset(self) -> None:
        self.texts, self.seconds = 0, 0.0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        t = time.perf_counter()
        out = self.inner.encode_documents(texts)
        self.seconds += time.perf_counter() - t
        self.texts += len(texts)
        return out


def timed_build(label: str, paths: list[Path], index: Path, encoder: CountingEncoder) -> dict:
    from ictqa.index import build_index

    encoder.reset()
    t = time.perf_counter()
    report = build_index(paths, index, encoder, progress=False)
    total = time.perf_counter() - t
    if report.problems:
        for p in report.problems:
            print(f"warning: {p.path}: {p.message}", file=sys.stderr)
    row = {
        "step": label,
        "files": report.documents,
        "chars": sum(len(p.read_text(encoding="utf-8", errors="replace")) for p in paths),
        "passages": report.chunks,
        "embedded": report.embedded,
        "kept": report.kept,
        "texts": encoder.texts,
        "encode_s": encoder.seconds,
        "other_s": total - encoder.seconds,
        "total_s": total,
    }
    print(f"  {label}: {total:.1f}s ({report.embedded} passages embedded, {encoder.texts} texts)", file=sys.stderr)
    return row


def table(rows: list[dict]) -> str:
    head = "| step | files | characters | passages | passages embedded | passages kept | texts encoded | encode s | other s | total s |"
    out = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        out.append(
            f"| {r['step']} | {r['files']} | {r['chars']:,} | {r['passages']:,} | {r['embedded']:,} | {r['kept']:,} "
            f"| {r['texts']:,} | {r['encode_s']:.1f} | {r['other_s']:.1f} | {r['total_s']:.1f} |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    from ictqa.model import load_encoder

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="as for ictqa build (default: the packaged e5-small; 'fake' for a dry run)")
    p.add_argument("--files", nargs="+", type=Path, default=None, help="existing files, then the new one (last)")
    p.add_argument("--workdir", type=Path, default=None, help="keep the indexes here (default: a temporary folder)")
    p.add_argument(
        "--from-index",
        type=Path,
        default=None,
        help="start (b) from a copy of this index (built from the same files with the same model), "
        "so the setup step only drops the new file instead of embedding the others",
    )
    args = p.parse_args(argv)

    files = [f.resolve() for f in (args.files or DEFAULT_FILES)]
    missing = [f for f in files if not f.is_file()]
    if missing or len(files) < 2:
        print(
            f"need at least two files (the others, then the new one); missing: {', '.join(map(str, missing))}",
            file=sys.stderr,
        )
        return 2
    *others, new = files

    encoder = CountingEncoder(load_encoder(args.model))
    encoder.encode_documents(["passage: warm-up", "ウォームアップ"])  # model load and first-call costs

    work = args.workdir or Path(tempfile.mkdtemp(prefix="ictqa-incremental-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"model {encoder.model_id}; new: {new.name}; others: {', '.join(f.name for f in others)}", file=sys.stderr)
        fresh = timed_build("(a) new file alone, fresh index", [new], work / "fresh", encoder)
        if args.from_index:
            shutil.copytree(args.from_index, work / "incremental", dirs_exist_ok=True)
        setup = timed_build("setup: the other files", others, work / "incremental", encoder)
        added = timed_build("(b) new file added to the others", [*others, new], work / "incremental", encoder)
        again = timed_build("(c) rebuild, nothing changed", [*others, new], work / "incremental", encoder)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    ratio = added["total_s"] / fresh["total_s"] if fresh["total_s"] else float("inf")
    print(f"\n### Incremental build — {encoder.model_id}, {platform.machine()}, {os.cpu_count()} CPUs\n")
    print(table([fresh, setup, added, again]))
    print(
        f"\n(b)/(a) = {ratio:.2f}× (target ≤ {TARGET}×: {'met' if ratio <= TARGET else 'NOT met'}); "
        f"(b) encoded {added['texts']:,} texts vs {fresh['texts']:,} in (a); "
        f"(c) embedded {again['embedded']} passages and encoded {again['texts']} texts (must be 0)."
    )
    return 0 if again["embedded"] == 0 and again["texts"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
