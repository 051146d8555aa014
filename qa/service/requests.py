"""Requests: parse and validate a request body against the limits, the same for every surface.

The API, the CLI and any later surface hand what they were given to ``parse_ask``, so a
question is held to the same bounds and refused with the same message everywhere.
Validation errors raise ``BadRequest`` with a code a client can switch on
(``qa.service.errors.ErrorCode``). The bounds are the settings' ``Limits``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qa.models import SearchFilter
from qa.service.errors import BadRequest, ErrorCode, UnsupportedMediaType
from qa.settings import Limits


@dataclass(frozen=True)
class AskRequest:
    """A validated question."""

    question: str
    k: int
    history: tuple[str, ...] = ()
    filter: SearchFilter = field(default_factory=SearchFilter)


@dataclass(frozen=True)
class CheckRequest:
    """A validated claim to check."""

    claim: str
    k: int
    filter: SearchFilter = field(default_factory=SearchFilter)


# A question must hold a character that is not white space in either Python's sense
# (which counts the separators \x1c-\x1f and \x85) or ECMAScript's (which counts the BOM),
# so that the server and the OpenAPI pattern, read by either regex engine, agree.
BLANK_FREE_PATTERN = "[^\\s\\x1c-\\x1f\\x85\\ufeff]"


def is_blank(text: str) -> bool:
    """Whether the text holds nothing but white space (see ``BLANK_FREE_PATTERN``)."""
    return all(char.isspace() or char == "\ufeff" for char in text)


def _has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(data: bytes, content_type: str | None) -> Any:
    """Decode a request body that must be JSON encoded as UTF-8."""
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            f"the body must be JSON sent with Content-Type: application/json (got {mimetype or 'none'})"
        )
    if not data.strip():
        raise BadRequest("the request body is empty; send a JSON object", code=ErrorCode.EMPTY_BODY)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the body is not valid UTF-8 (byte {error.start})", code=ErrorCode.INVALID_UTF8) from error
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"the body is not valid JSON: {error}", code=ErrorCode.INVALID_JSON) from error


def _text_field(value: Any, name: str, limits: Limits) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string", code=ErrorCode.INVALID_FIELD)
    if _has_lone_surrogate(value):
        raise BadRequest(f"'{name}' contains a lone surrogate, which is not valid Unicode text", code=ErrorCode.INVALID_FIELD)
    if len(value) > limits.max_question_chars:
        raise BadRequest(
            f"'{name}' is {len(value)} characters long; the limit is {limits.max_question_chars}",
            code=ErrorCode.TOO_LONG,
        )
    return value


# ASCII digits only, as JSON Schema's "date" format reads them (Python's \d also matches other scripts' digits).
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day_field(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise BadRequest(f"'{name}' must be a date written YYYY-MM-DD", code=ErrorCode.INVALID_FIELD)
    try:
        date.fromisoformat(value)
    except ValueError as error:
        raise BadRequest(f"'{name}' is not a calendar date: {value}", code=ErrorCode.INVALID_FIELD) from error
    return value


def parse_filter(body: dict[str, Any], limits: Limits) -> SearchFilter:
    """The ``outlets``, ``since`` and ``until`` of a request body (all optional)."""
    outlets_value = body.get("outlets", [])
    if outlets_value is None:
        outlets_value = []
    if not isinstance(outlets_value, list):
        raise BadRequest("'outlets' must be a list of outlet names (strings)", code=ErrorCode.INVALID_FIELD)
    if len(outlets_value) > limits.max_outlets:
        raise BadRequest(f"'outlets' holds at most {limits.max_outlets} names", code=ErrorCode.TOO_LONG)
    outlets = []
    for item in outlets_value:
        name = _text_field(item, "outlets[]", limits)
        if is_blank(name):
            raise BadRequest("'outlets[]' holds a blank name", code=ErrorCode.INVALID_FIELD)
        outlets.append(name.strip())
    since, until = _day_field(body.get("since"), "since"), _day_field(body.get("until"), "until")
    if since is not None and until is not None and since > until:
        raise BadRequest(f"'since' ({since}) is after 'until' ({until})", code=ErrorCode.OUT_OF_RANGE)
    return SearchFilter(outlets=tuple(dict.fromkeys(outlets)), since=since, until=until)


def _k_field(body: dict[str, Any], limits: Limits) -> int:
    k = body.get("k", limits.default_k)
    if isinstance(k, bool) or not isinstance(k, int):
        raise BadRequest("'k' must be an integer", code=ErrorCode.INVALID_FIELD)
    if not 1 <= k <= limits.max_k:
        raise BadRequest(f"'k' must be between 1 and {limits.max_k}", code=ErrorCode.OUT_OF_RANGE)
    return k


def _required_text(body: Any, name: str, limits: Limits, blank_code: ErrorCode) -> str:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", code=ErrorCode.INVALID_BODY)
    if name not in body:
        raise BadRequest(f"'{name}' is required", code=ErrorCode.MISSING_FIELD)
    text = _text_field(body[name], name, limits)
    if is_blank(text):
        raise BadRequest(f"'{name}' is blank", code=blank_code)
    return text


def parse_check(body: Any, limits: Limits) -> CheckRequest:
    """Validate a ``POST /api/check`` body: a claim held to a question's limits."""
    claim = _required_text(body, "claim", limits, ErrorCode.BLANK_CLAIM)
    return CheckRequest(claim=claim.strip(), k=_k_field(body, limits), filter=parse_filter(body, limits))


def parse_ask(body: Any, limits: Limits) -> AskRequest:
    """Validate a ``POST /api/ask`` body."""
    question = _required_text(body, "question", limits, ErrorCode.BLANK_QUESTION)
    k = _k_field(body, limits)
    history_value = body.get("history", [])
    if not isinstance(history_value, list):
        raise BadRequest("'history' must be a list of earlier questions (strings)", code=ErrorCode.INVALID_FIELD)
    if len(history_value) > limits.max_history:
        raise BadRequest(f"'history' holds at most {limits.max_history} questions", code=ErrorCode.TOO_LONG)
    history = tuple(_text_field(item, "history[]", limits) for item in history_value)
    return AskRequest(question=question.strip(), k=k, history=history, filter=parse_filter(body, limits))
