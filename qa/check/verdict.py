"""Verdicts: whether a source sentence makes the claim's statement, what it says of it, and the sum.

A sentence makes the same statement as the claim (``same_statement``) when the model
puts them close and, in one language, they share most of the claim's terms; across
languages the terms cannot be compared, so the model's similarity must be higher.
On a matched sentence the comparison (``qa.check.compare``) decides:

    negated on one side only            -> contradicts
    a number, date, name or quote differs -> differs
    the claim hedges what it asserts     -> differs (a hedge difference)
    it hedges what the claim asserts     -> hedges
    a specific of the claim it lacks     -> related (it does not state that detail)
    otherwise                            -> states

An unmatched sentence is ``related``. The claim's verdict is the strongest of its
sources' (``claim_verdict``), so a claim no source states is never ``stated`` on the
strength of the nearest passage. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.check.compare import Comparison


@dataclass(frozen=True)
class CheckSettings:
    """The statement match's thresholds, fitted on the claims set (``bench/claims.py``);
    not settings a deployment changes (docs/configuration.md, "Not settings")."""

    #: Same language: a sentence whose cosine to the claim plus ``terms_weight`` times the
    #: share of the claim's terms it holds reaches ``threshold`` makes the same statement.
    terms_weight: float = 0.20
    threshold: float = 0.99
    #: Below this cosine, no share of terms makes it a match.
    min_similarity: float = 0.84
    #: Across languages (claim and source in different ones): the cosine alone.
    cross_language_threshold: float = 0.86
    #: The share of the claim's terms a sentence must hold for its differences to count.
    anchor_terms: float = 0.5
    #: Candidate passages read for a claim, and related sources shown beyond ``k``.
    candidates: int = 40
    #: A related source is listed only if its match score reaches this.
    related_floor: float = 0.80


def match_score(similarity: float, terms: float, cross_language: bool, settings: CheckSettings) -> float:
    """One number on the threshold's scale, for either case: what ``coverage.closest`` reports."""
    if cross_language:
        return similarity - settings.cross_language_threshold + settings.threshold
    return similarity + settings.terms_weight * terms


def same_statement(similarity: float, terms: float, cross_language: bool, settings: CheckSettings) -> bool:
    if not cross_language and similarity < settings.min_similarity:
        return False
    return match_score(similarity, terms, cross_language, settings) >= settings.threshold


def source_verdict(matched: bool, comparison: Comparison, terms: float, cross_language: bool, settings: CheckSettings) -> str:
    """One source's verdict on the claim (the table in the module docstring).

    A difference or a negation is believed only of a sentence anchored in the claim: in
    one language, holding at least ``anchor_terms`` of its terms (else the sentence is
    about something else, and merely related).
    """
    if not matched:
        return "related"
    anchored = cross_language or terms >= settings.anchor_terms
    if (comparison.negation is not None or comparison.differences) and not anchored:
        return "related"
    if comparison.negation is not None:
        return "contradicts"
    if comparison.differences:
        return "differs"
    if comparison.claim_hedge is not None:
        return "differs"
    if comparison.source_hedge is not None:
        return "hedges"
    if comparison.missing:
        return "related"
    return "states"


# The claim's verdict from its sources', strongest first.
_CLAIM_VERDICT_OF = (
    ("states", "stated"),
    ("differs", "stated_differently"),
    ("contradicts", "contradicted"),
    ("hedges", "hedged"),
)


def claim_verdict(verdicts: Sequence[str]) -> str:
    for source, claim in _CLAIM_VERDICT_OF:
        if source in verdicts:
            return claim
    return "not_found"


_SUMMARIES = {
    "fr": {
        "stated": "Affirmé par {n} des {total} articles consultés{first}.",
        "stated_differently": "Rapporté autrement par {n} des {total} articles consultés : un chiffre, une date, un nom ou une citation diffère.",
        "hedged": "Rapporté seulement au conditionnel ou sous attribution par {n} des {total} articles consultés.",
        "contradicted": "Contredit par {n} des {total} articles consultés.",
        "not_found": "Aucun des {total} articles consultés ne l'affirme.",
        "first": " ; d'abord par {outlet} le {date}",
    },
    "en": {
        "stated": "Stated by {n} of the {total} articles searched{first}.",
        "stated_differently": "Reported differently by {n} of the {total} articles searched: a figure, date, name or quote differs.",
        "hedged": "Reported only as uncertain or attributed by {n} of the {total} articles searched.",
        "contradicted": "Contradicted by {n} of the {total} articles searched.",
        "not_found": "None of the {total} articles searched states it.",
        "first": "; first by {outlet} on {date}",
    },
}
_SOURCE_VERDICT_OF = {claim: source for source, claim in _CLAIM_VERDICT_OF}


def summary(verdict: str, verdicts: Sequence[str], total: int, language: str, first: tuple[str, str] | None) -> str:
    """One sentence in the reader's language (the claim's): the verdict, how many, who first."""
    texts = _SUMMARIES["en" if language == "en" else "fr"]
    count = sum(v == _SOURCE_VERDICT_OF.get(verdict) for v in verdicts)
    first_text = texts["first"].format(outlet=first[0], date=first[1]) if first and verdict == "stated" else ""
    return texts[verdict].format(n=count, total=total, first=first_text)
