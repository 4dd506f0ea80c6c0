"""When to say "the indexed white papers do not answer this"."""

from __future__ import annotations

from dataclasses import dataclass

from .query import Query


@dataclass(frozen=True)
class Abstention:
    """Cosines from e5 sit in a narrow band (0.75–0.95) whatever the question,
    so an absolute threshold cannot tell "a recipe" from "a question about a
    topic the index covers".  Instead the best passage is compared with the
    best of a fixed bank of generic, non-ICT background passages shipped with
    ictqa (:mod:`ictqa.bank`, embedded into every index): an answerable
    question is closer to the index than to the rest of the world.  English
    questions against Japanese text get lower cosines overall, hence one
    margin per question language.  Calibrated with bench/dev_eval.py on the
    dev questions and out-of-scope questions.

    An English question whose first passage holds the Japanese words of
    several of its terms (``terms_en``) is about something the index covers
    even when its cosine margin falls just short (``terms_margin_en``): the
    answerable English questions flagged by the margin alone sat within 0.02
    of it with 3–5 translated terms in their first passage, while the
    out-of-scope ones (recipes, weather, football) matched at most two
    generic words (料理, 天気) within 0.02."""

    margin_ja: float = 0.03
    margin_en: float = 0.005
    terms_en: int = 3
    terms_margin_en: float = -0.02
    # Used only when an index has no background vectors.
    floor_ja: float = 0.855
    floor_en: float = 0.80

    def answerable(self, query: Query, top_passage: float, top_background: float | None, terms_in_top: int = 0) -> bool:
        ja = query.language == "ja"
        if top_background is None:
            return top_passage >= (self.floor_ja if ja else self.floor_en)
        margin = top_passage - top_background
        if margin >= (self.margin_ja if ja else self.margin_en):
            return True
        return not ja and terms_in_top >= self.terms_en and margin >= self.terms_margin_en
