"""One JSON error shape for the whole service, made by one function, sent by one handler.

Every error body is ``{"error": {"code": str, "message": str}}``. Domain code raises an
``APIError`` subclass; Werkzeug's own HTTP errors (routing 404 and 405, 413 for a body
over ``MAX_CONTENT_LENGTH``...) and any unexpected exception go through the same
app-level handler, because blueprint handlers never see routing errors. An unexpected
exception is logged with its trace and answered with a plain 500 body, never the trace.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error with an HTTP status and a stable, machine-readable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.headers = headers or {}


class BadRequest(APIError):
    status = 400
    code = "bad_request"


class NotFound(APIError):
    status = 404
    code = "not_found"


class UnsupportedMediaType(APIError):
    status = 415
    code = "unsupported_media_type"


class ServiceUnavailable(APIError):
    status = 503
    code = "unavailable"


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(error_body(code, message))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# Werkzeug's status codes, named for clients that switch on ``code``.
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
    431: "headers_too_large",
    503: "unavailable",
}


def init_app(app: Flask) -> None:
    """Register the handler that turns every error into the JSON shape."""

    @app.errorhandler(APIError)
    def handle_api_error(error: APIError) -> Response:
        return error_response(error.status, error.code, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = _HTTP_CODES.get(status, "error" if status >= 500 else "bad_request")
        message = error.description or error.name
        allowed = getattr(error, "valid_methods", None)
        if status == 405 and allowed:
            message = f"method {request.method} is not allowed here; use {', '.join(sorted(allowed))}"
        if status == 413:
            message = f"the request body is larger than the limit of {current_app.config['MAX_CONTENT_LENGTH']} bytes"
        if status == 429:
            # Flask-Limiter's description is the limit ("60 per 1 minute"); it adds Retry-After.
            message = f"too many requests from this client (limit: {error.description}); retry after Retry-After seconds"
        response = error_response(status, code, message)
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    from qa.embedder import ModelUnavailable
    from qa.index.layout import IndexProblem
    from qa.service import SourceNotFound

    @app.errorhandler(SourceNotFound)
    def handle_unknown_source(error: SourceNotFound) -> Response:
        # Names are looked up among the indexed articles; a miss never touches the disk.
        return error_response(404, "unknown_source", f"no article named {error.args[0]!r}")

    @app.errorhandler(IndexProblem)
    @app.errorhandler(ModelUnavailable)
    def handle_unavailable(error: Exception) -> Response:
        # No index or no model (and QA_AUTO_BUILD off, or the model gone): say so, never guess.
        log.error("cannot answer %s %s: %s", request.method, request.path, error)
        code = "model_unavailable" if isinstance(error, ModelUnavailable) else "index_unavailable"
        return error_response(503, code, f"the service cannot answer now: {error}")

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "the server failed to answer; the error has been logged")
