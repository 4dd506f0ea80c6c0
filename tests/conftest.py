"""Shared fixtures.  Most tests use the deterministic fake encoder; tests that
need the real model are marked ``slow`` and tests that need ``../shared`` are
marked ``shared`` and skip cleanly when it is absent (its paths come from the
fixtures here, never spelt out in a test file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SEED = CORPUS / "000_589c5af6fc00dccb.txt"
SHARED = Path(os.environ.get("ICTQA_SHARED", REPO.parent / "shared"))
# What ../shared holds (see its data/MANIFEST.md).
FULL_EDITIONS = ("data", "whitepaper", "ja", "full")  # h12_2000.txt … r05_2023.txt + *_source_urls.txt
PAGE_EXCERPTS = ("data", "whitepaper", "ja", "pages_excerpts")  # r06/r07 page excerpts
EN_RELATED = ("data", "whitepaper", "en_related")  # English texts about the same events


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is not there."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is absent (../shared is only on the project's own machines)")
    return p


@pytest.fixture(scope="session")
def full_editions() -> Path:
    """The folder of the 24 full editions (h12_2000.txt … r05_2023.txt)."""
    return shared_path(*FULL_EDITIONS)


@pytest.fixture(scope="session")
def page_excerpts() -> Path:
    return shared_path(*PAGE_EXCERPTS)


@pytest.fixture(scope="session")
def en_related() -> Path:
    return shared_path(*EN_RELATED)


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Path:
    """The seed corpus indexed with the fake encoder (fast, no weights)."""
    from ictqa.index import build_index
    from ictqa.model import load_encoder

    index_dir = tmp_path_factory.mktemp("fake-index")
    build_index([CORPUS], index_dir, load_encoder("fake"), progress=False)
    return index_dir


@pytest.fixture(scope="session")
def real_index(tmp_path_factory) -> Path:
    """The seed corpus indexed with the real default model."""
    from ictqa.index import build_index
    from ictqa.model import load_encoder

    index_dir = tmp_path_factory.mktemp("real-index")
    build_index([CORPUS], index_dir, load_encoder(), progress=False)
    return index_dir
