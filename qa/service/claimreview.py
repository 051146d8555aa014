"""A claim check as a schema.org ``ClaimReview`` draft (JSON-LD), for a fact-checker to finish.

``claim_review_json(check)`` is pure (no Flask, no I/O): the claim (``claimReviewed``), the
``Claim`` it is about with its ``appearance`` (the articles whose verdict is ``states``) and
its ``firstAppearance`` (the check's ``first_reported``), and every source consulted as a
``citation``. There is no ``reviewRating``, ``author`` or ``datePublished`` of the review:
the fact-checker writes the rating and signs the review. Only schema.org terms are used;
``tests/test_claimreview.py`` checks each against an extract of the vocabulary.
"""

from __future__ import annotations

from typing import Any

from qa.models import Citation, ClaimCheck, SourceCheck

SCHEMA_CONTEXT = "https://schema.org"
STATES = "states"  # the source verdict that counts as an appearance of the claim


def _article(citation: Citation) -> dict[str, Any]:
    """A cited article as a ``NewsArticle``: headline, URL, date and publisher when known."""
    item: dict[str, Any] = {"@type": "NewsArticle", "headline": citation.title}
    if citation.url:
        item["url"] = citation.url
    if citation.published:
        item["datePublished"] = citation.published
    if citation.outlet:
        item["publisher"] = {"@type": "Organization", "name": citation.outlet}
    return item


def _articles(sources: list[SourceCheck]) -> list[dict[str, Any]]:
    """One item per article, in the sources' order (publication date), however many passages it has."""
    seen: set[str] = set()
    items = []
    for source in sources:
        citation = source.passage.citation
        if citation.source in seen:
            continue
        seen.add(citation.source)
        items.append(_article(citation))
    return items


def claim_review_json(check: ClaimCheck) -> dict[str, Any]:
    """The ``ClaimReview`` JSON-LD draft of a check (``POST /api/check/claimreview``)."""
    stating = [source for source in check.sources if source.verdict == STATES]
    claim: dict[str, Any] = {"@type": "Claim", "inLanguage": check.language}
    appearances = _articles(stating)
    if appearances:
        claim["appearance"] = appearances
    if check.first_reported is not None:
        claim["firstAppearance"] = _article(check.first_reported.passage.citation)
    review: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "claimReviewed": check.claim,
        "inLanguage": check.language,
        "itemReviewed": claim,
    }
    consulted = _articles(check.sources)
    if consulted:
        review["citation"] = consulted
    return review
