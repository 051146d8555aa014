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
``qa/settings.py``); the tests and benchmarks set it to ``""`` (off) unless a test is about
it.

Behind a reverse proxy every client would have the proxy's address. ``QA_TRUSTED_PROXIES``
says which proxies to believe, and Werkzeug's ``ProxyFix`` then takes the client's
address from ``X-Forwarded-For`` (and the scheme from the nearest ``X-Forwarded-Proto``):

* a count ``N``: every request comes through ``N`` proxies (the service is not reachable
  any other way); the ``N``-th address from the right of ``X-Forwarded-For`` is the client;
* a list of addresses or networks (JSON list, or comma-separated): only a request whose
  peer is one of them has its forwarded headers read, through as many of them as appear
  at the right end of ``X-Forwarded-For``;
* empty (the default): forwarded headers are ignored, so a client cannot choose its address.

Both settings are parsed and checked in ``qa.settings`` (``ServingSettings``): a malformed
value stops the start.
"""

from __future__ import annotations

import functools
import io
import ipaddress
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from qa.service.errors import BadRequest, ErrorCode
from qa.settings import Network, ServingSettings

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


def read_body_within_limit(limit: int) -> None:
    """Read a request body whole, within ``limit`` (``MAX_CONTENT_LENGTH``), before any view sees it.

    Werkzeug checks a declared ``Content-Length`` against the limit, but a chunked body
    (no ``Content-Length``) is silently cut at the limit, and a body shorter than its
    ``Content-Length`` (the client closed early) is handed over as if complete. Here the
    first is a 413 and the second a 400 ``incomplete_body``; either way the view never
    parses a truncated body. The body (at most the limit) is then served from memory.
    """
    if request.method not in _BODY_METHODS:
        return
    environ = request.environ
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
        try:
            chunk = stream.read(min(65536, wanted - received))
        except Exception as error:  # the server's reader refused the framing (a bad chunk size...)
            code = ErrorCode.INVALID_CHUNKED_BODY if declared is None else ErrorCode.INCOMPLETE_BODY
            raise BadRequest(f"the request body cannot be read: {error}", code=code) from error
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if declared is None and received > limit:
        raise RequestEntityTooLarge()
    if declared is not None and received < declared:
        raise BadRequest(
            f"the body ended after {received} of the {declared} bytes its Content-Length announced",
            code=ErrorCode.INCOMPLETE_BODY,
        )
    environ["wsgi.input"] = io.BytesIO(b"".join(chunks))
    environ["CONTENT_LENGTH"] = str(received)
    environ.pop("HTTP_TRANSFER_ENCODING", None)


def _is_in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


class TrustedProxies:
    """WSGI middleware: Werkzeug's ``ProxyFix`` for the configured proxies only (module docstring)."""

    def __init__(self, app: Callable, proxies: int | tuple[Network, ...]):
        self.app = app
        self.proxies = proxies
        self._fixes: dict[int, ProxyFix] = {}

    def _fix(self, hops: int) -> ProxyFix:
        if hops not in self._fixes:
            self._fixes[hops] = ProxyFix(self.app, x_for=hops, x_proto=1)
        return self._fixes[hops]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        if isinstance(self.proxies, int):
            return self._fix(self.proxies)(environ, start_response)
        if not _is_in(environ.get("REMOTE_ADDR", ""), self.proxies):
            return self.app(environ, start_response)  # a direct client: its forwarded headers are ignored
        forwarded = [part for part in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        hops = 1
        while hops < len(forwarded) and _is_in(forwarded[-hops], self.proxies):
            hops += 1  # that hop is one of our proxies too: the client is further left
        return self._fix(hops)(environ, start_response)


def _not_api() -> bool:
    return not request.path.startswith("/api/")


def init_app(app: Flask, serving: ServingSettings, max_content_length: int) -> None:
    """Register the security headers, the body reader and, if configured, the rate limiter."""
    # FLASK_DEBUG=1 in the environment would turn debug on; the service never runs in debug.
    app.debug = False
    if serving.trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, serving.trusted_proxies)  # type: ignore[method-assign]
    app.after_request(add_security_headers)
    app.before_request(functools.partial(read_body_within_limit, max_content_length))
    limits = serving.rate_limits
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
