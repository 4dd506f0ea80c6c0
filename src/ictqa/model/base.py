"""The one text-encoder interface the rest of ictqa uses.

An :class:`Encoder` turns texts into L2-normalised float32 rows; queries and
documents are separate calls because asymmetric models (e5) embed them with
different prompts, which each encoder takes from its model's configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape ``(n, dimension)``.

    Queries and documents are encoded separately because asymmetric models
    (e5) embed them with different prompts."""

    model_id: str
    dimension: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


def check_texts(texts: Sequence[str]) -> None:
    """Refuse what every encoder refuses: a bare str, or items that are not str."""
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single str")
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"texts must be str, got {type(t).__name__}")
