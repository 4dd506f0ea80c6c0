"""One topic followed across the editions: ``ictqa timeline`` and the web
form's 年表 / Timeline tab.

For each edition of the index, oldest first: how many of its passages
mention the topic (:mod:`.topic`: the question's terms, in Japanese or
through an English term's translations) and the best of them, ranked by the
same signals and fusion as any search but only among those passages.  A
question with no term to look for (an English one whose words the glossary
does not know) falls back to meaning: passages whose cosine with the
question reaches :data:`DENSE_MENTION`.
"""

from __future__ import annotations

import numpy as np

from ..results import Result, Timeline, TimelineEdition
from .searcher import Searcher
from .signals import loanword_terms
from .topic import matching, topic_terms

# A passage "mentions" a question by meaning alone when its cosine with the
# question is at least this (e5 cosines; see bench/archive_eval.py).
DENSE_MENTION = 0.86


def timeline(searcher: Searcher, question: str, k: int = 3) -> Timeline:
    """The timeline of ``question`` over ``searcher``'s index (raises
    IctqaError for a question that cannot be searched)."""
    query = searcher.analyse(question)
    qvec = searcher.encode_query(query.text)
    terms = topic_terms(query, loanword_terms(searcher.index, query, qvec))
    mask = matching(searcher.index, query, terms)
    method = "lexical"
    if mask is None:
        method = "dense"
        mask = np.asarray(searcher.index.vectors @ qvec) >= DENSE_MENTION
    years = np.asarray([y or 0 for y in searcher.facts.years])
    labels = {c.citation.year: c.citation.edition for c in searcher.index.chunks if c.citation.year}
    rows = []
    for year in sorted(y for y in labels if y):
        allowed = mask & (years == year)
        n = int(allowed.sum())
        results: tuple[Result, ...] = ()
        if n:
            results = searcher.ranked_within(query, qvec, allowed, k)
        rows.append(TimelineEdition(year, labels[year] or str(year), n, results))
    return Timeline(query.text, tuple(rows), tuple(t.shown for t in terms), method)
