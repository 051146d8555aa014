"""The ClaimReview draft (``qa.service.claimreview``): its shape, and that every type and
property it writes is a schema.org term valid on its type.

The vocabulary is a vendored extract of schema.org's release files (``tests/data/schemaorg/``,
its README names the source); the check is built from the dataclasses directly, no model.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from qa.models import CheckCoverage, Citation, ClaimCheck, ClaimDifference, Excerpt, Passage, SourceCheck
from qa.service.claimreview import claim_review_json

VOCABULARY = Path(__file__).resolve().parent / "data" / "schemaorg"
SCHEMA = "https://schema.org/"
# Values of these ranges are strings in JSON-LD, not nodes with a @type.
LITERAL_RANGES = {"Text", "URL", "Date", "DateTime", "Language"}


def _short(iri: str) -> str:
    assert iri.startswith(SCHEMA), iri
    return iri[len(SCHEMA):]


def _split(cell: str) -> set[str]:
    return {_short(part.strip()) for part in cell.split(",") if part.strip()}


def load_vocabulary() -> tuple[dict[str, str | None], dict[str, tuple[set[str], set[str]]]]:
    """types: name -> supertype (None for Thing); properties: name -> (domainIncludes, rangeIncludes)."""
    with (VOCABULARY / "types.csv").open(encoding="utf-8", newline="") as handle:
        types = {row["label"]: (_short(row["subTypeOf"]) if row["subTypeOf"] else None) for row in csv.DictReader(handle)}
    with (VOCABULARY / "properties.csv").open(encoding="utf-8", newline="") as handle:
        properties = {row["label"]: (_split(row["domainIncludes"]), _split(row["rangeIncludes"])) for row in csv.DictReader(handle)}
    return types, properties


def ancestry(types: dict[str, str | None], name: str) -> set[str]:
    """A type and all its supertypes."""
    seen: set[str] = set()
    current: str | None = name
    while current is not None:
        assert current in types, f"{current!r} is not a schema.org type of the extract"
        seen.add(current)
        current = types[current]
    return seen


def citation(source: str, title: str, outlet: str | None, published: str | None, url: str | None) -> Citation:
    return Citation(source=source, title=title, paragraph=3, start=100, end=180, outlet=outlet, published=published, url=url)


def source_check(verdict: str, cited: Citation, passage_id: int) -> SourceCheck:
    text = "x" * (cited.end - cited.start)
    return SourceCheck(verdict=verdict, passage=Passage(id=passage_id, text=text, citation=cited),
                       span=(Excerpt(110, 150, "x" * 40),), score=0.9)


def make_check() -> ClaimCheck:
    early = citation("001.md", "Trump a demandé à Zelensky", "Autre Journal", "2025-07-15", "https://www.exemple.info/001")
    late = citation("000.md", "Trump encourage Zelensky", "Exemple Presse", "2025-07-16", "https://www.exemple.info/000")
    undated = citation("002.txt", "Un article sans origine", None, None, None)
    first = source_check("states", early, 1)
    differing = SourceCheck(
        verdict="differs", passage=Passage(id=3, text="y" * 80, citation=undated), span=(Excerpt(100, 120, "y" * 20),),
        differences=(ClaimDifference("number", Excerpt(40, 45, "1 600"), Excerpt(110, 115, "2 000")),), score=0.7,
    )
    sources = [first, source_check("states", late, 2), source_check("states", late, 4), differing]
    return ClaimCheck(
        claim="Les missiles Tomahawk ont une portée de 1 600 km.", language="fr", verdict="stated", summary="…",
        sources=sources, coverage=CheckCoverage(articles=3, outlets=2, earliest="2025-07-15", latest="2025-07-16"),
        first_reported=first,
    )


def walk(node: Any, types: dict[str, str | None], properties: dict[str, tuple[set[str], set[str]]], path: str = "$") -> list[str]:
    """Every problem of a JSON-LD node and its children: unknown types or properties, a property off its domain or range."""
    problems: list[str] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            problems += walk(item, types, properties, f"{path}[{index}]")
        return problems
    if not isinstance(node, dict):
        return problems
    kind = node.get("@type")
    if kind not in types:
        return [f"{path}: @type {kind!r} is not a schema.org type"]
    lineage = ancestry(types, kind)
    for name, value in node.items():
        if name.startswith("@"):
            continue
        if name not in properties:
            problems.append(f"{path}.{name}: not a schema.org property")
            continue
        domain, ranges = properties[name]
        if not domain & lineage:
            problems.append(f"{path}.{name}: not valid on {kind} (domainIncludes {sorted(domain)})")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                if not ranges & ancestry(types, item.get("@type", "Thing")):
                    problems.append(f"{path}.{name}: a {item.get('@type')} is outside rangeIncludes {sorted(ranges)}")
            elif not ranges & LITERAL_RANGES:
                problems.append(f"{path}.{name}: a literal where {sorted(ranges)} is expected")
        problems += walk(value, types, properties, f"{path}.{name}")
    return problems


def test_the_vocabulary_extract_is_whole():
    types, properties = load_vocabulary()
    for name in types:
        ancestry(types, name)  # every supertype is in the extract
    for name, (domain, ranges) in properties.items():
        assert domain and ranges, name


def test_every_term_is_schema_org_and_valid_on_its_type():
    types, properties = load_vocabulary()
    review = claim_review_json(make_check())
    assert review["@context"] == "https://schema.org"
    assert walk(review, types, properties) == []


def test_a_term_off_its_type_is_caught():
    """The check itself: a property on the wrong type, or one schema.org does not have, fails."""
    types, properties = load_vocabulary()
    assert walk({"@type": "Organization", "headline": "x"}, types, properties)
    assert walk({"@type": "Claim", "verdict": "x"}, types, properties)
    assert walk({"@type": "Claim", "appearance": {"@type": "Organization", "name": "x"}}, types, properties)


def test_the_claim_appears_in_the_articles_that_state_it_first_appearance_first():
    review = claim_review_json(make_check())
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == "Les missiles Tomahawk ont une portée de 1 600 km."
    assert review["inLanguage"] == "fr"
    assert "reviewRating" not in review  # the fact-checker rates
    claim = review["itemReviewed"]
    assert claim["@type"] == "Claim"
    assert [a["url"] for a in claim["appearance"]] == ["https://www.exemple.info/001", "https://www.exemple.info/000"]
    assert claim["firstAppearance"] == {
        "@type": "NewsArticle", "headline": "Trump a demandé à Zelensky", "url": "https://www.exemple.info/001",
        "datePublished": "2025-07-15", "publisher": {"@type": "Organization", "name": "Autre Journal"},
    }
    # Every article consulted, once each, including the one that says it otherwise (no URL, outlet or date known).
    assert [c["headline"] for c in review["citation"]] == ["Trump a demandé à Zelensky", "Trump encourage Zelensky", "Un article sans origine"]
    assert review["citation"][2] == {"@type": "NewsArticle", "headline": "Un article sans origine"}
    json.dumps(review)  # JSON as it is


@pytest.mark.parametrize("verdict", ["differs", "related"])
def test_a_claim_no_article_states_has_no_appearance(verdict):
    check = make_check()
    check.sources = [s for s in check.sources if s.verdict != "states"] + [source_check(verdict, citation("9.md", "T", None, None, None), 9)]
    check.first_reported = None
    claim = claim_review_json(check)["itemReviewed"]
    assert "appearance" not in claim and "firstAppearance" not in claim
