"""Run the ictqa web form on the shipped corpus: ``python app.py``.

Builds ``index/`` from ``corpus/`` on first run, then serves on
http://127.0.0.1:7860 (this machine only; ``--host 0.0.0.0`` to share).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ictqa.errors import IctqaError
from ictqa.index.store import read_manifest

HERE = Path(__file__).resolve().parent


def main() -> int:
    from ictqa.web import DEFAULT_CONCURRENCY

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, default=HERE / "index")
    p.add_argument("--corpus", type=Path, default=HERE / "corpus", help="built into --index when it holds no index")
    p.add_argument("--host", default="127.0.0.1", help="default: this machine only")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="questions answered at once")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # faiss reports each CPU variant it tries (AVX-512, AVX2, plain) at INFO,
    # with a "ModuleNotFoundError" for the ones this wheel lacks: normal, but it
    # reads like a failure to someone starting the app.  httpx logs every poll.
    for noisy in ("faiss.loader", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if read_manifest(args.index) is None:
            from ictqa.index import build_index
            from ictqa.model import load_encoder

            print(f"No index at {args.index}: building it from {args.corpus} (once; takes about a minute) …")
            report = build_index([args.corpus], args.index, load_encoder())
            print(f"Indexed {report.documents} document(s), {report.chunks} passages.")
        from ictqa.cli.admin import serving_message
        from ictqa.web import launch

        # quiet: Gradio would print "To create a public link, set share=True",
        # which does not apply here; ictqa says where the form is instead.
        demo = launch(
            index_dir=args.index,
            host=args.host,
            port=args.port,
            concurrency=args.concurrency,
            prevent_thread_lock=True,
            quiet=True,
        )
        print(serving_message(args.host, args.port), flush=True)
        demo.block_thread()
    except IctqaError as e:
        print(f"ictqa: error: {e.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
