"""Shared fixtures.  Most tests use the deterministic fake encoder; tests that
need the real model are marked ``slow`` and tests that need ``../shared`` are
marked ``shared`` and skip cleanly when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SEED = CORPUS / "000_589c5af6fc00dccb.txt"
SHARED = Path(os.environ.get("ICTQA_SHARED", REPO.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is not there."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} is absent (../shared is only on the project's own machines)")
    return p


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Path:
    """The seed corpus indexed with the fake encoder (fast, no weights)."""
    from ictqa.encoders import load_encoder
    from ictqa.indexing import build_index

    index_dir = tmp_path_factory.mktemp("fake-index")
    build_index([CORPUS], index_dir, load_encoder("fake"), progress=False)
    return index_dir


@pytest.fixture(scope="session")
def real_index(tmp_path_factory) -> Path:
    """The seed corpus indexed with the real default model."""
    from ictqa.encoders import load_encoder
    from ictqa.indexing import build_index

    index_dir = tmp_path_factory.mktemp("real-index")
    build_index([CORPUS], index_dir, load_encoder(), progress=False)
    return index_dir
