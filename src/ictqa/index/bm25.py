"""BM25 over fugashi words (bm25s), behind the three things ictqa asks of it:
build and save, score a list of words against every passage, and say whether
a word occurs in the index at all.  The only module that talks to bm25s."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# BM25 as Lucene scores it: its idf never goes negative, which matters in a
# small corpus where 総務省 or 推進 occur in more than half of the passages.
BM25_PARAMS: dict[str, Any] = {"method": "lucene", "k1": 1.5, "b": 0.75}


def _bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG on import, which would print a line
    # on every build; our -v flags decide what is shown.
    logging.getLogger("bm25s").setLevel(max(logging.getLogger().level, logging.INFO))
    return bm25s


class Bm25Index:
    """BM25 scores of the ``n`` passages of an index."""

    def __init__(self, model: Any, n: int) -> None:
        self._model = model
        self.n = n
        self._vocab: dict[str, int] = model.vocab_dict

    @classmethod
    def build(cls, token_lists: Sequence[list[str]]) -> Bm25Index:
        model = _bm25s().BM25(**BM25_PARAMS)
        # An index with no text still needs a loadable lexical part.
        model.index([t or [""] for t in token_lists] or [[""]], show_progress=False)
        return cls(model, len(token_lists))

    @classmethod
    def load(cls, path: Path, n: int) -> Bm25Index:
        """The index saved at ``path``, memory-mapped."""
        return cls(_bm25s().BM25.load(str(path), mmap=True, load_vocab=True), n)

    def save(self, path: Path) -> None:
        self._model.save(str(path), show_progress=False)

    def __contains__(self, word: object) -> bool:
        return word in self._vocab

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """BM25 of the words (as a query) for every passage; zeros when none
        of them is in the index."""
        ids = self._model.get_tokens_ids(list(words))
        if not ids:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float32)[: self.n]
