"""The claim check's part of the OpenAPI document (``qa.web.openapi``): ``POST /api/check``,
``POST /api/check/claimreview`` and their schemas, from the same enums as the records
(``qa.models.CLAIM_VERDICTS``, ``SOURCE_VERDICTS``, ``CLAIM_DIFFERENCE_KINDS``) and in the
shape ``qa.service.serialise.check_json`` builds.
"""

from __future__ import annotations

from typing import Any

from qa.models import CLAIM_DIFFERENCE_KINDS, CLAIM_VERDICTS, SOURCE_VERDICTS
from qa.service.errors import ErrorCode
from qa.settings import Limits
from qa.text.language import LANGUAGES
from qa.web.openapi_parts import bad_request, error_response, filter_properties, k_property, object_schema, text_property


def check_schemas(limits: Limits) -> dict[str, Any]:
    """``CheckRequest``, ``ClaimCheck`` and their parts, as ``qa.service.serialise.check_json`` builds them."""
    excerpt = object_schema(
        {
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "text": {"type": "string", "description": "The whole text sliced at start:end."},
        }
    )
    excerpt_ref = {"$ref": "#/components/schemas/Excerpt"}
    source = object_schema(
        {
            "verdict": {
                "type": "string",
                "enum": list(SOURCE_VERDICTS),
                "description": "states: the article asserts what the claim says (a paraphrase or a translation counts); "
                "differs: the same statement, but a number, date, name or the quoted wording differs; hedges: "
                "reported as uncertain or only attributed (selon, aurait, conditional); contradicts: asserts the "
                "opposite; related: on the topic, but does not state it.",
            },
            "score": {"type": "number", "description": "How closely the passage matches the claim; higher is closer."},
            "citation": {"$ref": "#/components/schemas/Citation"},
            "text": {"type": "string", "description": "The passage: source_text[citation.start:citation.end]."},
            "span": {
                "type": "array",
                "items": excerpt_ref,
                "description": "The sentence(s) that match the claim, in the article's offsets.",
            },
            "differences": {
                "type": "array",
                "items": object_schema(
                    {
                        "kind": {"type": "string", "enum": list(CLAIM_DIFFERENCE_KINDS)},
                        "claim": {**excerpt_ref, "description": "The claim's words, in offsets into the claim."},
                        "source": {**excerpt_ref, "description": "The article's words, in the article's offsets."},
                    }
                ),
                "description": "Where the article says it otherwise than the claim.",
            },
        }
    )
    nullable_day = {"type": "string", "nullable": True}
    coverage = object_schema(
        {
            "articles": {"type": "integer", "minimum": 0, "description": "Articles searched, after the filters."},
            "outlets": {"type": "integer", "minimum": 0, "description": "Their outlets."},
            "date_range": object_schema({"earliest": nullable_day, "latest": nullable_day}),
            "unknown_outlets": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Outlets the request names that no indexed article is from.",
            },
            "closest": {
                **object_schema({"score": {"type": "number"}, "threshold": {"type": "number", "nullable": True}}),
                "nullable": True,
                "description": "When no source states the claim or states it otherwise: the closest match's score and "
                "the threshold it had to reach; else null.",
            },
        },
        description="What was searched.",
    )
    check = object_schema(
        {
            "claim": {"type": "string"},
            "language": {"type": "string", "enum": list(LANGUAGES)},
            "verdict": {
                "type": "string",
                "enum": list(CLAIM_VERDICTS),
                "description": "Over all sources, the first that holds: stated (a source states it), stated_differently "
                "(one differs), contradicted, hedged, else not_found (never stated on the strength of the nearest passage).",
            },
            "summary": {"type": "string", "description": "One sentence saying the verdict, for people."},
            "sources": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/SourceCheck"},
                "description": "The articles that speak of the claim, by publication date (undated last).",
            },
            "first_reported": {
                "allOf": [{"$ref": "#/components/schemas/Citation"}],
                "nullable": True,
                "description": "The citation of the earliest dated source that states the claim; null if none.",
            },
            "coverage": {"$ref": "#/components/schemas/CheckCoverage"},
        }
    )
    request = {
        "type": "object",
        "required": ["claim"],
        "properties": {
            "claim": text_property(limits, "The claim to check, in French or English. Must hold a non-space character."),
            "k": k_property(limits, "Every source that states, differs, hedges or contradicts is listed; related ones fill the list up to k."),
            **filter_properties(limits),
        },
    }
    return {
        "CheckRequest": request,
        "ClaimCheck": check,
        "SourceCheck": source,
        "Excerpt": excerpt,
        "CheckCoverage": coverage,
        "ClaimReview": claim_review_schema(),
    }


def claim_review_schema() -> dict[str, Any]:
    """The schema.org ClaimReview draft ``qa.service.claimreview.claim_review_json`` builds."""
    string = {"type": "string"}
    one_of = lambda *values: {"type": "string", "enum": list(values)}
    publisher = object_schema({"@type": one_of("Organization"), "name": string})
    article = object_schema(
        {"@type": one_of("NewsArticle"), "headline": string, "url": string, "datePublished": string, "publisher": publisher},
        required=["@type", "headline"],
    )
    articles = {"type": "array", "items": article}
    claim = object_schema(
        {
            "@type": one_of("Claim"),
            "inLanguage": one_of(*LANGUAGES),
            "appearance": {**articles, "description": "The articles that state the claim."},
            "firstAppearance": {**article, "description": "The earliest dated article that states it."},
        },
        required=["@type", "inLanguage"],
    )
    return object_schema(
        {
            "@context": one_of("https://schema.org"),
            "@type": one_of("ClaimReview"),
            "claimReviewed": string,
            "inLanguage": one_of(*LANGUAGES),
            "itemReviewed": claim,
            "citation": {**articles, "description": "Every article consulted, by publication date."},
        },
        required=["@context", "@type", "claimReviewed", "inLanguage", "itemReviewed"],
        description="A schema.org ClaimReview draft (JSON-LD): no reviewRating, author or datePublished, which the "
        "fact-checker adds.",
    )


def check_paths(limits: Limits) -> dict[str, Any]:
    """``POST /api/check`` and ``POST /api/check/claimreview``: one body, two renderings."""
    body = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CheckRequest"}}}}
    errors = {
        "400": bad_request(ErrorCode.BLANK_CLAIM),
        "413": error_response(f"Body larger than {limits.max_content_length} bytes."),
        "415": error_response("Body not sent as application/json."),
        "429": error_response("Too many requests from this client; see Retry-After."),
    }
    check = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClaimCheck"}}}}
    review = {"content": {"application/ld+json": {"schema": {"$ref": "#/components/schemas/ClaimReview"}}}}
    return {
        "/api/check": {
            "post": {
                "summary": "Check a claim: which articles state it, state it otherwise, hedge or contradict it",
                "operationId": "check",
                "requestBody": body,
                "responses": {"200": {"description": "The verdict and each source's.", **check}, **errors},
            }
        },
        "/api/check/claimreview": {
            "post": {
                "summary": "The same check as schema.org ClaimReview JSON-LD",
                "operationId": "checkClaimReview",
                "requestBody": body,
                "responses": {"200": {"description": "A ClaimReview draft (application/ld+json).", **review}, **errors},
            }
        },
    }
