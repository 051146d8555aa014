"""Building blocks of the OpenAPI document (``qa.web.openapi``): object and error-response
schemas, and the request fields ``/api/ask`` and ``/api/check`` share (the text, ``k``,
the filter). The bounds are the live ``Limits``, and the patterns ``qa.service.requests``'s.
"""

from __future__ import annotations

from typing import Any

from qa.service.errors import ErrorCode
from qa.service.requests import BLANK_FREE_PATTERN
from qa.settings import Limits

ERROR = {"$ref": "#/components/schemas/Error"}


def error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def object_schema(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """An object schema; every property is required unless ``required`` says which."""
    return {"type": "object", "required": list(properties) if required is None else required, "properties": properties, **extra}


def text_property(limits: Limits, description: str) -> dict[str, Any]:
    """A question or a claim: 1 to ``max_question_chars`` characters, one of them not a space."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": limits.max_question_chars,
        "pattern": BLANK_FREE_PATTERN,
        "description": description,
    }


def k_property(limits: Limits, description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": limits.max_k, "default": limits.default_k, "description": description}


def filter_properties(limits: Limits) -> dict[str, Any]:
    """``outlets``, ``since`` and ``until``: which articles a request searches (``qa.models.SearchFilter``)."""
    day = "A day written YYYY-MM-DD (a calendar date); not after 'until' (else 400 out_of_range)."
    return {
        "outlets": {
            "type": "array",
            "nullable": True,
            "maxItems": limits.max_outlets,
            "items": {"type": "string", "minLength": 1, "maxLength": limits.max_question_chars, "pattern": BLANK_FREE_PATTERN},
            "default": [],
            "description": "Only the articles of these outlets (matched case, accents and spacing aside); empty: every outlet.",
        },
        "since": {
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "Only articles published on or after this day; an undated article is then left out. " + day,
        },
        "until": {
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "Only articles published on or before this day; an undated article is then left out.",
        },
    }


def bad_request(*codes: ErrorCode) -> dict[str, Any]:
    """The 400 of a route whose body ``qa.service.requests`` parses: its codes are the body's and ``codes``."""
    listed = ", ".join(code.value for code in (*REQUEST_CODES, *codes))
    return error_response(f"Invalid JSON, UTF-8 or field; the code is one of {listed}.")


REQUEST_CODES = [
    ErrorCode.EMPTY_BODY, ErrorCode.INVALID_UTF8, ErrorCode.INVALID_JSON, ErrorCode.INVALID_BODY, ErrorCode.MISSING_FIELD,
    ErrorCode.INVALID_FIELD, ErrorCode.OUT_OF_RANGE, ErrorCode.TOO_LONG,
]
