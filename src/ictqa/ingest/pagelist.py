"""The page list of a joined テキスト版 file: ``<stem>_source_urls.txt``.

MIC publishes each edition as one text page per heading; a whole-edition
file is those pages joined in order, and its sidecar lists their addresses,
one a line, in the same order.  Reading the list is I/O and lives here; where
each page starts in the text is the parser's business
(:mod:`ictqa.parse.pages`).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

PAGE_LIST_SUFFIX = "_source_urls.txt"
_URL = re.compile(r"https?://\S+$")


def page_list_path(path: Path) -> Path | None:
    """``x_source_urls.txt`` beside ``x.txt`` (or beside ``x.html``), if present."""
    candidate = path.with_name(path.stem + PAGE_LIST_SUFFIX)
    return candidate if candidate.is_file() else None


def is_page_list(name: str) -> bool:
    """Whether a file name is a page list (never a corpus file of its own)."""
    return name.lower().endswith(PAGE_LIST_SUFFIX)


def read_page_list(path: Path) -> tuple[str, ...]:
    """The page addresses listed for ``path``, or () when there is no list.

    A list that cannot be read or holds something other than addresses is
    ignored with a warning: it only adds page links, and the text is
    indexed without them."""
    sidecar = page_list_path(path)
    if sidecar is None:
        return ()
    try:
        lines = sidecar.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        log.warning("%s: page list not read (%s); passages get no page links", sidecar, e)
        return ()
    urls = tuple(line.strip() for line in lines if line.strip())
    bad = [u for u in urls if not _URL.match(u)]
    if bad:
        log.warning(
            "%s: %d line(s) are not page addresses (first: %r); expected one https://… address a line; "
            "passages get no page links",
            sidecar,
            len(bad),
            bad[0][:80],
        )
        return ()
    return urls
