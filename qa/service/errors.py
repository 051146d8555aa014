"""The error contract: every ``code`` an error body can carry, the one body shape, and the request errors.

Every error the service sends, from a view, from Flask's handler (``qa.web.errors``), from
the gunicorn worker before the app runs (``qa.serve.worker``) or from the CLI, is
``{"error": {"code": <an ErrorCode>, "message": str}}``, built by ``error_body``. The
OpenAPI document (``qa.web.openapi``) lists the same codes as the ``code`` enum.
``APIError`` and its subclasses are what request parsing (``qa.service.requests``) raises:
an HTTP status, a code and a message, with no web library, so that every surface (the
API, the CLI, the next ones) reports the same message.

No Flask here: the worker imports this module too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """A stable, machine-readable error code a client can switch on."""

    # Any status family
    BAD_REQUEST = "bad_request"
    ERROR = "error"  # a 5xx from Werkzeug with no name of its own
    INTERNAL_ERROR = "internal_error"
    # HTTP, named after the status (Werkzeug's errors and the worker's refusals)
    NOT_FOUND = "not_found"
    UNAUTHORIZED = "unauthorized"  # the MCP server's bearer token (qa.mcp.server)
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    REQUEST_TIMEOUT = "request_timeout"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    URI_TOO_LONG = "uri_too_long"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    EXPECTATION_FAILED = "expectation_failed"
    RATE_LIMITED = "rate_limited"
    HEADERS_TOO_LARGE = "headers_too_large"
    UNAVAILABLE = "unavailable"
    # The request's framing (qa.web.security, qa.serve.worker)
    INCOMPLETE_BODY = "incomplete_body"
    INVALID_CHUNKED_BODY = "invalid_chunked_body"
    UNSUPPORTED_TRANSFER_CODING = "unsupported_transfer_coding"
    INVALID_CONTENT_LENGTH = "invalid_content_length"
    INVALID_TRANSFER_ENCODING = "invalid_transfer_encoding"
    INVALID_HEADER = "invalid_header"
    INVALID_REQUEST_LINE = "invalid_request_line"
    # The body and its fields (qa.service.requests)
    EMPTY_BODY = "empty_body"
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    INVALID_BODY = "invalid_body"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    BLANK_QUESTION = "blank_question"
    BLANK_CLAIM = "blank_claim"
    OUT_OF_RANGE = "out_of_range"
    TOO_LONG = "too_long"
    # The service
    UNKNOWN_SOURCE = "unknown_source"
    UNKNOWN_STORY = "unknown_story"
    INDEX_UNAVAILABLE = "index_unavailable"
    MODEL_UNAVAILABLE = "model_unavailable"


HTTP_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    406: ErrorCode.NOT_ACCEPTABLE,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    414: ErrorCode.URI_TOO_LONG,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.RATE_LIMITED,
    431: ErrorCode.HEADERS_TOO_LARGE,
    503: ErrorCode.UNAVAILABLE,
}
"""The code of a Werkzeug HTTP error (routing 404 and 405, 413...) by its status."""


def http_code(status: int) -> ErrorCode:
    """The code for a bare HTTP error status (``bad_request`` or ``error`` for the unnamed ones)."""
    return HTTP_CODES.get(status, ErrorCode.ERROR if status >= 500 else ErrorCode.BAD_REQUEST)


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": str(code), "message": message}}


class APIError(Exception):
    """An error with an HTTP status and a stable, machine-readable code."""

    status = 400
    code = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, code: ErrorCode | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.headers = headers or {}


class BadRequest(APIError):
    """400: the request is not one the API accepts; ``code`` says why."""


class UnsupportedMediaType(APIError):
    """415: the body is not sent as JSON."""

    status = 415
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
