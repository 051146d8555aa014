"""The JSON Schemas of the MCP tools: their arguments (from the live limits) and their results.

Plain dicts, no SDK: ``qa.mcp.server`` publishes them. The results are the HTTP API's JSON
(``qa.service.serialise``), so these describe the same shapes as the OpenAPI document
(``qa.web.openapi``), in JSON Schema's own terms (``["string", "null"]`` rather than
OpenAPI 3.0's ``nullable``), because MCP clients validate a tool's structured result
against its output schema. Each object lists the fields it always has and leaves others
open, as the API may add fields.

The argument schemas say what ``qa.service.requests`` enforces; they are advice to the
client, not the check: the same parsers as the API's validate every call and answer a bad
one with the API's message.
"""

from __future__ import annotations

from typing import Any

from qa.service.requests import BLANK_FREE_PATTERN
from qa.settings import Limits

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "A day, YYYY-MM-DD."}


def obj(properties: dict[str, Any], required: list[str] | None = None, description: str = "") -> dict[str, Any]:
    """An object schema requiring ``required`` (default: every property)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }
    if description:
        schema["description"] = description
    return schema


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


CITATION = obj(
    {
        "source": STRING,
        "title": STRING,
        "paragraph": INTEGER,
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 0},
        "outlet": NULLABLE_STRING,
        "published": NULLABLE_STRING,
        "url": NULLABLE_STRING,
    },
    description="The article text sliced at [start, end) is exactly the passage (get_source with start and end).",
)
SPAN = {"type": ["object", "null"], "properties": {"start": INTEGER, "end": INTEGER}}
DIFFERENCE = obj({"kind": STRING, "here": STRING, "there": STRING, "here_citation": CITATION, "there_citation": CITATION})
PASSAGE = obj(
    {
        "id": INTEGER,
        "rank": {"type": "integer", "minimum": 1},
        "text": STRING,
        "score": NUMBER,
        "scores": obj({"fused": NUMBER, "dense": NUMBER, "lexical": NUMBER}),
        "citation": CITATION,
        "highlight": SPAN,
        "kind": STRING,
        "also_in": array(obj({"text": STRING, "citation": CITATION}, ["text", "citation"])),
        "differences": array(DIFFERENCE),
    }
)
ANSWER = obj(
    {
        "question": STRING,
        "answered": {"type": "boolean"},
        "abstention": {
            "type": ["object", "null"],
            "properties": {"reason": STRING, "not_found": array(STRING), "other_language": NULLABLE_STRING},
        },
        "passages": array(PASSAGE),
        "history_used": array(STRING),
    },
    description="As POST /api/ask answers (docs/api.md).",
)
EXCERPT = obj({"start": INTEGER, "end": INTEGER, "text": STRING})
CHECK = obj(
    {
        "claim": STRING,
        "language": STRING,
        "verdict": STRING,
        "summary": STRING,
        "sources": array(
            obj(
                {
                    "verdict": STRING,
                    "score": NUMBER,
                    "citation": CITATION,
                    "text": STRING,
                    "span": array(EXCERPT),
                    "differences": array(obj({"kind": STRING, "claim": EXCERPT, "source": EXCERPT})),
                }
            )
        ),
        "first_reported": {"anyOf": [CITATION, {"type": "null"}]},
        "coverage": obj(
            {"articles": INTEGER, "outlets": INTEGER, "date_range": {"type": "object"}, "unknown_outlets": array(STRING)},
            ["articles", "outlets"],
        ),
    },
    ["claim", "verdict", "sources", "first_reported", "coverage"],
    description="As POST /api/check answers (docs/api.md).",
)
SOURCE_ITEM = obj({"source": STRING, "title": STRING, "outlet": NULLABLE_STRING, "published": NULLABLE_STRING, "url": NULLABLE_STRING})
SOURCE_LIST = obj({"sources": array(SOURCE_ITEM)}, description="As GET /api/sources answers.")
SOURCE = obj(
    {
        **SOURCE_ITEM["properties"],
        "text": STRING,
        "author": NULLABLE_STRING,
        "story": {"type": ["object", "null"]},
        "excerpt": {**EXCERPT, "description": "Only when start or end was given: text[start:end]."},
    },
    ["source", "title", "text", "outlet", "published", "url", "author", "story"],
    description="As GET /api/sources/<source> answers, plus `excerpt` when start or end was given.",
)
STORY_LIST = obj(
    {"stories": array(obj({"id": STRING, "titles": array(STRING), "sources": array(STRING), "shared": array(STRING)}))},
    description="As GET /api/stories answers.",
)
OUTPUT_SCHEMAS = {
    "ask": ANSWER,
    "check_claim": CHECK,
    "list_sources": SOURCE_LIST,
    "get_source": SOURCE,
    "stories": STORY_LIST,
}


def _text(limits: Limits, description: str) -> dict[str, Any]:
    return {"type": "string", "maxLength": limits.max_question_chars, "pattern": BLANK_FREE_PATTERN, "description": description}


def _filters(limits: Limits) -> dict[str, Any]:
    return {
        "k": {"type": "integer", "minimum": 1, "maximum": limits.max_k, "default": limits.default_k, "description": "How many results."},
        "outlets": {
            "type": "array",
            "maxItems": limits.max_outlets,
            "items": {"type": "string", "maxLength": limits.max_question_chars},
            "description": "Only articles of these outlets (list_sources names them).",
        },
        "since": {**DATE, "description": "Only articles published on or after this day (YYYY-MM-DD)."},
        "until": {**DATE, "description": "Only articles published on or before this day (YYYY-MM-DD)."},
    }


def input_schemas(limits: Limits) -> dict[str, dict[str, Any]]:
    """Each tool's argument schema, with the request limits in force."""
    history = {
        "type": "array",
        "maxItems": limits.max_history,
        "items": {"type": "string", "maxLength": limits.max_question_chars},
        "description": "Earlier questions of the conversation, oldest first (for follow-ups such as 'Et celle des Atacms ?').",
    }
    return {
        "ask": obj(
            {"question": _text(limits, "The question, in French or English."), **_filters(limits), "history": history},
            ["question"],
        ),
        "check_claim": obj({"claim": _text(limits, "The claim to check, in French or English."), **_filters(limits)}, ["claim"]),
        "list_sources": obj({}),
        "get_source": obj(
            {
                "source": {"type": "string", "description": "The article's source name (a citation's `source`)."},
                "start": {"type": "integer", "minimum": 0, "description": "With end: return text[start:end] as `excerpt`."},
                "end": {"type": "integer", "minimum": 0, "description": "With start: return text[start:end] as `excerpt`."},
            },
            ["source"],
        ),
        "stories": obj({}),
    }
