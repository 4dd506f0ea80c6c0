"""Search: questions in, ranked and cited passages out.

:mod:`.query` (a question analysed once) → :mod:`.signals` (each ranking
signal a named function) → :mod:`.fusion` (weighed by name) →
:mod:`.abstain` (does the index answer at all?), driven by
:class:`~.searcher.Searcher`.

    from ictqa.search import Searcher
    response = Searcher.open("index").search("What is DFFT?", k=3)
"""

from __future__ import annotations

from .abstain import Abstention
from .fusion import FusionWeights, fuse
from .query import MAX_QUERY_CHARS, Query, analyse, check_query
from .searcher import CANDIDATES, MODES, Candidates, Mode, Searcher
from .timeline import timeline

__all__ = [
    "CANDIDATES",
    "MAX_QUERY_CHARS",
    "MODES",
    "Abstention",
    "Candidates",
    "FusionWeights",
    "Mode",
    "Query",
    "Searcher",
    "analyse",
    "check_query",
    "fuse",
    "timeline",
]
