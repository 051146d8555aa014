"""Response security headers and the per-client rate limit.

``init_app(app)`` adds, to every response (pages, API, errors, static files):

* ``Content-Security-Policy``: everything from this origin only (``default-src 'self'``),
  scripts only from files served here (no ``'unsafe-inline'``, no ``eval``), no plugins,
  no ``<base>`` rewriting, and no framing by any page (``frame-ancestors 'none'``);
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``X-Frame-Options: DENY`` (for browsers that predate ``frame-ancestors``) and
  ``Cross-Origin-Opener-Policy: same-origin``;

and reads each request body whole within ``MAX_CONTENT_LENGTH`` before the view runs,
so a chunked body over the limit is a 413 and a body cut short is a 400, never a
truncated body parsed as if it were complete.

It also sets up Flask-Limiter when ``QA_RATELIMIT`` is set (for example ``60/minute`` or
``10/second;300/hour``, Flask-Limiter's syntax): one budget per client address shared
by all ``/api/`` routes (pages, static files and ``/healthz`` are not counted), kept in
memory, so per worker process. Over the limit a client gets ``429`` with ``Retry-After``
and the usual JSON error body. It is on by default (``120/minute;2000/hour``, see
``qa/config.py``); the tests and benchmarks set it to ``""`` (off) unless a test is about
it. Behind a reverse proxy every client has the proxy's
address: apply Werkzeug's ``ProxyFix`` first, or rate-limit at the proxy.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestEntityTooLarge

from qa.errors import BadRequest

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Set the security headers on a response (kept if a view already set its own)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def read_body_within_limit() -> None:
    """Read a request body whole, within ``MAX_CONTENT_LENGTH``, before any view sees it.

    Werkzeug checks a declared ``Content-Length`` against the limit, but a chunked body
    (no ``Content-Length``) is silently cut at the limit, and a body shorter than its
    ``Content-Length`` (the client closed early) is handed over as if complete. Here the
    first is a 413 and the second a 400 ``incomplete_body``; either way the view never
    parses a truncated body. The body (at most the limit) is then served from memory.
    """
    if request.method not in _BODY_METHODS:
        return
    environ = request.environ
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    declared = request.content_length
    if declared is not None and declared > limit:
        raise RequestEntityTooLarge()
    if declared is None and not environ.get("wsgi.input_terminated"):
        return  # no length and no end marker: Werkzeug reads nothing, safely
    wanted = limit + 1 if declared is None else declared
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    received = 0
    while received < wanted:
        chunk = stream.read(min(65536, wanted - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if declared is None and received > limit:
        raise RequestEntityTooLarge()
    if declared is not None and received < declared:
        raise BadRequest(
            f"the body ended after {received} of the {declared} bytes its Content-Length announced",
            code="incomplete_body",
        )
    environ["wsgi.input"] = io.BytesIO(b"".join(chunks))
    environ["CONTENT_LENGTH"] = str(received)
    environ.pop("HTTP_TRANSFER_ENCODING", None)


def rate_limits(config: dict[str, Any]) -> list[str]:
    """The configured limits (``QA_RATELIMIT``), as Flask-Limiter strings; empty when off."""
    value = config.get("RATELIMIT") or ""
    if isinstance(value, (list, tuple)):
        return [str(item).strip() for item in value if str(item).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _not_api() -> bool:
    return not request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    """Register the security headers and, if configured, the rate limiter."""
    # FLASK_DEBUG=1 in the environment would turn debug on; the service never runs in debug.
    app.debug = False
    app.after_request(add_security_headers)
    app.before_request(read_body_within_limit)
    limits = rate_limits(app.config)
    limiter = Limiter(
        get_remote_address,
        app=app,
        application_limits=limits,
        application_limits_exempt_when=_not_api,
        headers_enabled=True,
        storage_uri="memory://",
        strategy="fixed-window",
        enabled=bool(limits),
    )
    app.extensions["qa_limiter"] = limiter
