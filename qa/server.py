"""Running the app under gunicorn, the production WSGI server, from ``qa serve``.

Each worker creates its own app and loads the model and the index once, right after it
starts (``post_worker_init``), so the first question is answered as fast as the rest.
The parent process never loads the model: forking after torch has run is unsafe. It
only imports the library (``import_library``), so that workers start from a master that
has already paid the import, the largest part of a cold start.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


def _warm_up(worker: Any) -> None:
    worker.wsgi.extensions["qa"].warm_up()
    worker.log.info("worker %s ready", worker.pid)


class QAServer(BaseApplication):
    """A gunicorn application that builds the Flask app in each worker."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self):
        from qa import create_app

        return create_app()


def run_gunicorn(
    host: str, port: int, workers: int = 1, threads: int = 4, timeout: int = 60, model: str | None = None
) -> None:
    """Serve until stopped; ``model`` (default: the current app's ``MODEL``) is imported first."""
    from flask import current_app, has_app_context

    from qa.config import DEFAULTS
    from qa.embedder import import_library

    if model is None:
        model = str(current_app.config["MODEL"]) if has_app_context() else str(DEFAULTS["MODEL"])
    import_library(model)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": timeout,
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
    QAServer(options).run()
