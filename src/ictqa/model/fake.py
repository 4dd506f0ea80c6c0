"""A deterministic stand-in encoder, so most tests need no model weights."""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Sequence

import numpy as np

from .base import check_texts

FAKE_MODEL = "fake:hash-ngram-64"


class FakeEncoder:
    """Hashed character 1-3-grams of the NFKC-lowercased text, L2-normalised.

    Deterministic across processes (crc32, not Python's salted ``hash``), fast,
    and texts sharing characters get similar vectors, which is all unit tests of
    indexing and ranking need.  Only ever selected explicitly (``--model fake``).
    """

    def __init__(self, dimension: int = 64) -> None:
        if dimension < 2:
            raise ValueError("dimension must be at least 2")
        self.dimension = dimension
        self.model_id = f"fake:hash-ngram-{dimension}"

    def _one(self, text: str) -> np.ndarray:
        s = unicodedata.normalize("NFKC", text).lower()
        v = np.zeros(self.dimension, dtype=np.float32)
        for n in (1, 2, 3):
            for i in range(len(s) - n + 1):
                gram = s[i : i + n]
                if gram.isspace():
                    continue
                h = zlib.crc32(gram.encode("utf-8"))
                v[h % self.dimension] += 1.0 if (h >> 16) & 1 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:  # empty or whitespace-only text: a fixed unit vector
            v[0], norm = 1.0, 1.0
        return v / norm

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        check_texts(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = self._one(t)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)
