"""The ``Server-Timing`` header on every response: the web edge of ``qa.search.timing``.

``init_app`` starts a clock when Flask sees a request; the API view hands the answer's
stage timings over with ``record_stages``; the header is added after the request when
``QA_SERVER_TIMING`` is on (the default).
"""

from __future__ import annotations

import time

from flask import Flask, Response, g

from qa.search.timing import server_timing_header


def record_stages(stages: dict[str, float]) -> None:
    """Attach a request's stage timings, for the header (called by the API view)."""
    g.stage_times = stages


def init_app(app: Flask, enabled: bool) -> None:
    """Time every request; add ``Server-Timing`` when ``enabled`` (``QA_SERVER_TIMING``)."""
    if not enabled:
        return

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def add_server_timing(response: Response) -> Response:
        started = g.get("request_started")
        total = None if started is None else (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = server_timing_header(g.get("stage_times", {}), total)
        return response
