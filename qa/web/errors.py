"""One JSON error shape for the whole service, made by one function, sent by one handler.

Every error body is ``{"error": {"code": str, "message": str}}`` (``qa.service.errors``: the
codes and ``error_body``). Domain code raises an
``APIError`` subclass; Werkzeug's own HTTP errors (routing 404 and 405, 413 for a body
over ``MAX_CONTENT_LENGTH``...) and any unexpected exception go through the same
app-level handler, because blueprint handlers never see routing errors. An unexpected
exception is logged with its trace and answered with a plain 500 body, never the trace.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from qa.service.errors import APIError, ErrorCode, error_body, http_code
from qa.settings import Limits

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(error_body(code, message))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def init_app(app: Flask, limits: Limits) -> None:
    """Register the handler that turns every error into the JSON shape."""

    @app.errorhandler(APIError)
    def handle_api_error(error: APIError) -> Response:
        return error_response(error.status, error.code, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = http_code(status)
        message = error.description or error.name
        allowed = getattr(error, "valid_methods", None)
        if status == 405 and allowed:
            message = f"method {request.method} is not allowed here; use {', '.join(sorted(allowed))}"
        if status == 413:
            message = f"the request body is larger than the limit of {limits.max_content_length} bytes"
        if status == 429:
            # Flask-Limiter's description is the limit ("60 per 1 minute"); it adds Retry-After.
            message = f"too many requests from this client (limit: {error.description}); retry after Retry-After seconds"
        response = error_response(status, code, message)
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    from qa.service.core import SERVICE_ERRORS, service_failure

    def handle_service_error(error: Exception) -> Response:
        status, code, message = service_failure(error)
        if status >= 500:  # no index or no model (and QA_AUTO_BUILD off, or the model gone)
            log.error("cannot answer %s %s: %s", request.method, request.path, error)
        return error_response(status, code, message)

    for service_error in SERVICE_ERRORS:
        app.register_error_handler(service_error, handle_service_error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, ErrorCode.INTERNAL_ERROR, "the server failed to answer; the error has been logged")
