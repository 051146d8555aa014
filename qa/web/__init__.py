"""The web edge: the only package that imports Flask (with the app factory and the CLI).

* ``app``           ``create_app``: settings once, the service, then each part's ``init_app``
* ``api``           the JSON API blueprint: routes parse, call one service method, return JSON
* ``pages``         the chat page, the source page and the reader's language
* ``schema``        request validation, and records -> JSON
* ``codes``         the error codes and the one error body (no Flask: the worker uses it too)
* ``errors``        the API errors and the one handler that sends every error as JSON
* ``openapi``       the API description, built from the live limits and the shared enums
* ``security``      security headers, the body reader, the rate limit, trusted proxies
* ``server_timing`` the ``Server-Timing`` header from the answer's stage timings

Importing this package imports none of them, so ``qa.web.codes`` stays light.
"""
