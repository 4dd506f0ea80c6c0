"""What the command modules share: exit codes, defaults, option sets."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

DEFAULT_INDEX = Path(os.environ.get("ICTQA_INDEX", "index"))
DEFAULT_CORPUS = Path("corpus")

# add(name, help, epilog) → the new subcommand's parser.
Add = Callable[..., argparse.ArgumentParser]


def index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory (default: index/, or $ICTQA_INDEX)")


def search_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    index_option(p)
    p.add_argument("--model", default=None, help="must match the model the index was built with")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"], help="retrieval signal(s) (default: hybrid)")
    p.add_argument(
        "--edition",
        action="append",
        default=None,
        metavar="YEAR",
        help="only this edition (2023 or 令和5年版 情報通信白書); repeatable",
    )
