"""What the command modules share: exit codes, defaults, option sets."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from ..results import CITE_FORMATS

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

DEFAULT_INDEX = Path(os.environ.get("ICTQA_INDEX", "index"))
DEFAULT_CORPUS = Path("corpus")
# The Searcher returns at most this many passages; the web form caps at 20.
MAX_K = 100

# add(name, help, epilog) → the new subcommand's parser.
Add = Callable[..., argparse.ArgumentParser]


def index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory (default: index/, or $ICTQA_INDEX)")


def passages(value: str) -> int:
    """-k: a whole number of passages in 1..MAX_K (argparse refuses others
    with exit code 2, instead of silently returning 1 or all)."""
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number (expected 1 to {MAX_K})") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"{k} passages: expected 1 to {MAX_K}")
    return k


def search_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=passages, default=5, metavar="N", help=f"how many passages, 1 to {MAX_K} (default 5)")
    index_option(p)
    p.add_argument("--model", default=None, help="must match the model the index was built with")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"], help="retrieval signal(s) (default: hybrid)")
    p.add_argument(
        "--edition",
        action="append",
        default=None,
        metavar="EDITION",
        help="only this edition: 2023, 令和5年版, 平成20年版 or 令和5年版 情報通信白書; repeatable",
    )
    p.add_argument(
        "--all-editions",
        action="store_true",
        help="search every edition even when the question names one (「平成20年版では…」 is otherwise searched in 2008 only)",
    )


def cite_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cite",
        default="plain",
        choices=CITE_FORMATS,
        help="how each passage is cited: plain (the label, default), link (with the page address where known), "
        "markdown, japanese (総務省『令和5年版 情報通信白書』第5章第8節 2(3)ア, 2023年)",
    )


def editions(values: Sequence[str] | None) -> list[str] | None:
    """--edition values as the Searcher matches them: each as typed, and the
    year it names (令和5年版 → 2023, 平成20年版 → 2008), so the short forms
    a user types find 令和5年版 情報通信白書."""
    if not values:
        return None
    from ..ingest.editions import year_of_label

    out: list[str] = []
    for v in values:
        v = v.strip()
        out.append(v)
        year = None if v.isdigit() else year_of_label(v if "版" in v else v + "版")
        if year is not None:
            out.append(str(year))
    return out
