"""Assertions shared by the API, web and network tests: exact citations and the one error shape."""

from __future__ import annotations

import json
from typing import Any

from qa.models import verify_citation


def assert_citations_slice(body: dict[str, Any], articles: dict[str, str]) -> None:
    """Every passage of an /api/ask body slices its source exactly."""
    for passage in body["passages"]:
        citation = passage["citation"]
        assert verify_citation(articles[citation["source"]], citation["start"], citation["end"], passage["text"])


def assert_error_shape(status: int, content_type: str, body: bytes, expected_status: int, code: str | None = None) -> dict[str, Any]:
    """The one JSON error shape, with the expected status; never a trace or an HTML page.

    Takes the raw parts so that it serves both Flask's test client and raw sockets.
    """
    assert status == expected_status, body[:300]
    assert content_type.split(";")[0].strip() == "application/json", (content_type, body[:300])
    document = json.loads(body)
    assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}
    assert isinstance(document["error"]["message"], str) and document["error"]["message"]
    assert b"Traceback" not in body and b"<html" not in body.lower()
    if code is not None:
        assert document["error"]["code"] == code, document
    return document


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """``assert_error_shape`` on a Flask test client response."""
    return assert_error_shape(response.status_code, response.content_type, response.get_data(), status, code)


def resolve_schema(schema: Any, components: dict[str, Any]) -> Any:
    """An OpenAPI schema as plain JSON Schema: ``$ref``s inlined, 3.0's ``nullable`` as ``anyOf`` null."""
    if isinstance(schema, list):
        return [resolve_schema(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return resolve_schema(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    result = {key: resolve_schema(value, components) for key, value in schema.items()}
    if result.pop("nullable", False):
        result = {"anyOf": [result, {"type": "null"}]}
    return result
