"""Verdicts: whether a source sentence makes the claim's statement, what it says of it, and the sum.

A sentence makes the same statement as the claim when the statement decision (a logistic
model over the sentence's cosine to the claim, the share of the claim's terms it and its
neighbours hold, and whether the two are in different languages, where terms cannot be
compared) finds it probable. On a matched sentence the comparison (``qa.check.compare``)
decides:

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
from qa.corroboration.scoring import LogisticDecision

# Fitted by bench/calibrate_check.py on the claims set (tests/data/claims/); see docs/quality.md.
STATEMENT = LogisticDecision(
    weights=(("similarity", 56.3047), ("terms", 2.2738), ("near_terms", 5.2771), ("cross_language", 4.9947)),
    bias=-50.9727,
)


@dataclass(frozen=True)
class CheckSettings:
    """How a source sentence is judged to make the claim's statement: ``statement``, a
    logistic decision over the signals ``statement_signals`` computes, fitted on the claims
    set (``bench/calibrate_check.py``); not settings a deployment changes
    (docs/configuration.md, "Not settings").

    A sentence whose probability reaches ``match_probability`` makes the same statement
    (so its differences count; 0.6 is the lowest at which every off-topic claim of the set
    is ``not_found``: at 0.5 a Tour de France claim "differs" by its year); it *states* the claim only from ``states_probability``,
    the precision-first point of the fitted curve (confirmation precision 0.94 in sample;
    0.98 is reached only at a recall near 0.15, docs/quality.md "Checking a claim").
    """

    statement: LogisticDecision = STATEMENT
    match_probability: float = 0.6
    states_probability: float = 0.98
    #: Sentences are ranked within a passage by cosine plus this weight times shared terms.
    terms_weight: float = 0.20
    #: The share of the claim's terms a sentence must hold for its differences to count.
    anchor_terms: float = 0.5
    #: Candidate passages read for a claim, and the floor a related source is listed from.
    candidates: int = 40
    related_floor: float = 0.05
    #: An article's closest passages compared with the claim; the strongest verdict speaks for it.
    passages_per_article: int = 3
    #: Aligned passages of a reading this probable are read too.
    follow_probability: float = 0.5
    #: A sentence under the match bar whose figures, dates or names differ from the
    #: claim's is scored again against the claim written with the sentence's: matched
    #: then, it states the claim otherwise (``differs``, never ``states``).
    restore_differences: bool = True
    #: ... only when this many details differ (two restored turn off-topic claims into
    #: "differs": docs/quality.md, "Checking a claim").
    restore_at_most: int = 1


def statement_signals(similarity: float, terms: float, near_terms: float, cross_language: bool) -> dict[str, float]:
    """The signals of the statement decision. Across languages the claim's terms cannot be
    compared: ``terms`` and ``near_terms`` are 0 and ``cross_language`` is 1."""
    if cross_language:
        return {"similarity": similarity, "terms": 0.0, "near_terms": 0.0, "cross_language": 1.0}
    return {"similarity": similarity, "terms": terms, "near_terms": near_terms, "cross_language": 0.0}


def blocking_rule(comparison: Comparison, terms: float, cross_language: bool, settings: CheckSettings) -> str:
    """What a matched sentence says instead of stating the claim ("" when nothing stops it):
    the table in the module docstring. A difference or a negation is believed only of a
    sentence anchored in the claim: in one language, holding ``anchor_terms`` of its terms."""
    anchored = cross_language or terms >= settings.anchor_terms
    if comparison.negation is not None:
        return "contradicts" if anchored else "related"
    if comparison.differences or comparison.claim_hedge is not None:
        return "differs" if anchored or not comparison.differences else "related"
    if comparison.source_hedge is not None:
        return "hedges"
    if comparison.missing:
        return "related"
    return ""


def source_verdict(probability: float, blocked: str, settings: CheckSettings) -> str:
    """One source's verdict from its statement probability and the rule that blocked it."""
    if probability < settings.match_probability:
        return "related"
    if blocked:
        return blocked
    return "states" if probability >= settings.states_probability else "related"


# The claim's verdict from its sources', strongest first.
_CLAIM_VERDICT_OF = (
    ("states", "stated"),
    ("differs", "stated_differently"),
    ("contradicts", "contradicted"),
    ("hedges", "hedged"),
)


# How strongly a source verdict speaks, from the same order ("related" weakest).
STRENGTH = {source: len(_CLAIM_VERDICT_OF) - rank for rank, (source, _) in enumerate(_CLAIM_VERDICT_OF)} | {"related": 0}


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
