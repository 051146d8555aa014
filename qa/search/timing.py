"""Where a request's time goes: stage timings, and the ``Server-Timing`` header's format.

Pure (no Flask): ``StageTimes`` collects the milliseconds of named stages (``embed``,
``lexical``...); ``qa.search.ask`` fills one per question and returns it on the
``Answer``. ``qa.web.server_timing`` (the web edge) times every request and adds, when
``QA_SERVER_TIMING`` is on (the default), a header such as::

    Server-Timing: lexical;dur=0.05, embed;dur=9.81, dense;dur=0.02, rank;dur=0.09,
                   highlight;dur=0.21, corroboration;dur=0.03, app;dur=10.6

``app`` is the whole time in the Flask app, JSON encoding included; the rest is the
HTTP server and the network. Browsers show the header in their developer tools, and
``bench/latency.py`` uses it to split a request's latency into model and everything else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

STAGE_ORDER = ("lexical", "embed", "dense", "rank", "highlight", "corroboration")


class StageTimes:
    """Milliseconds per named stage, summed when a stage runs more than once.

    ``StageTimes(existing)`` adds to an existing dict, such as an answer's ``timings_ms``.
    """

    def __init__(self, ms: dict[str, float] | None = None) -> None:
        self.ms: dict[str, float] = {} if ms is None else ms

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - started) * 1000


def server_timing_header(stages: dict[str, float], total_ms: float | None) -> str:
    """The ``Server-Timing`` value: known stages in pipeline order, then ``app``."""
    names = [name for name in STAGE_ORDER if name in stages] + sorted(set(stages) - set(STAGE_ORDER))
    parts = [f"{name};dur={stages[name]:.2f}" for name in names]
    if total_ms is not None:
        parts.append(f"app;dur={total_ms:.2f}")
    return ", ".join(parts)


def parse_server_timing(value: str | None) -> dict[str, float]:
    """``"a;dur=1.20, app;dur=3.00"`` back into ``{"a": 1.2, "app": 3.0}``; ``{}`` for no header.

    The inverse of ``server_timing_header``, for clients (``bench/latency.py``, the tests).
    A part without a name or a ``dur`` is a ``ValueError``.
    """
    stages: dict[str, float] = {}
    if not value:
        return stages
    for part in value.split(","):
        name, separator, duration = part.strip().partition(";dur=")
        if not name or not separator:
            raise ValueError(f"not a Server-Timing stage with a duration: {part!r}")
        stages[name] = float(duration)
    return stages
