"""The ``ictqa`` command: a thin layer over the library.

One module per group of commands (:mod:`.build`: build, sections;
:mod:`.ask`: ask, batch, eval; :mod:`.timeline`; :mod:`.admin`: info, model,
serve), each
registering its subcommands; :mod:`.render` prints answers for a terminal.
A new command is a ``register`` function in one of them (or a new module
listed in :data:`_GROUPS`).

Exit codes: 0 done; 1 done, but some input was skipped (a bad file or row,
each reported); 2 nothing done because of a problem the user can fix.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import IctqaError
from . import admin, ask, build, mcp, timeline
from .common import EXIT_OK, EXIT_USAGE, Add

log = logging.getLogger("ictqa")

_EPILOG = """\
examples:
  ictqa build                               # index corpus/ into index/
  ictqa ask "デジタル海外展開プラットフォームの会員数は？"
  ictqa ask "What is DFFT?" -k 3 --json
  ictqa batch questions.txt --out answers.jsonl
  ictqa sections corpus/000_589c5af6fc00dccb.txt
  ictqa info
  ictqa serve                               # the web form on http://127.0.0.1:7860
  ictqa model prepare                       # unpack the offline model (done on first use anyway)

Questions may be Japanese or English; passages are cited as
令和5年版 情報通信白書 第5章第8節 2(3)ア 基幹通信インフラ.  An English
question is also searched with the Japanese words of its terms (from JMdict:
"submarine cable" → 海底ケーブル); the answer lists them.
"""

_GROUPS = (build, ask, timeline, admin, mcp)


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
        sp = sub.add_parser(
            name, help=help, description=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        sp.add_argument("-v", "--verbose", action="count", default=0, help=argparse.SUPPRESS)
        return sp

    adder: Add = add
    for group in _GROUPS:
        group.register(adder)
    return p


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
