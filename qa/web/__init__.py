"""The web edge: the only package that imports Flask (the ``qa`` CLI, beside it, does too).

* ``app``           ``create_app``: settings once, the service, then each part's ``init_app``
* ``api``           the JSON API blueprint: routes parse, call one service method, return JSON
* ``pages``         the chat page, the source page, the story page and the reader's language
* ``errors``        the one handler that sends every error as JSON (``qa.service.errors``' body)
* ``openapi``       the API description, built from the live limits and the shared enums
* ``security``      security headers, the body reader, the rate limit, trusted proxies
* ``server_timing`` the ``Server-Timing`` header from the answer's stage timings

Request parsing and the JSON shapes are the service's (``qa.service.requests``, ``qa.service.serialise``), shared with
the CLI. Importing this package imports none of its modules.
"""
