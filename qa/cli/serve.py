"""``qa serve``: build the index if needed, then serve under gunicorn (or Flask's server with --dev)."""

from __future__ import annotations

import logging
import subprocess
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from qa.cli.context import current_service
from qa.embedding.embedder import model_record
from qa.index.publish import current_build_id
from qa.index.status import index_status

log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--workers", type=int, default=None, help="gunicorn workers (default QA_WORKERS).")
@click.option("--threads", type=int, default=None, help="Threads per worker (default QA_THREADS).")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn (never the debugger).")
@with_appcontext
def serve_command(host: str, port: int, workers: int | None, threads: int | None, dev: bool) -> None:
    """Serve the chat page and the API (gunicorn; builds the index first if needed)."""
    service = current_service()
    settings = service.settings
    reasons = index_status(service.index_dir, service.seeds_dir, model_record(service.embedder))
    if reasons:
        if not settings.corpus.auto_build:
            raise click.ClickException("the index is missing or stale and QA_AUTO_BUILD is off: " + "; ".join(reasons))
        log.warning("index missing or stale (%s): rebuilding before serving", "; ".join(reasons))
        # Built in a child process, so that the server's parent never runs the model before forking.
        result = subprocess.run([sys.executable, "-m", "qa", "index", "--quiet"], check=False)
        if result.returncode != 0:
            raise click.ClickException("the index build failed; see the log above")
    # The build now in place was checked above (or just written, checksums and all, by the
    # child): the workers, whose app config gets its id, need not hash its files again.
    build_id = current_build_id(service.index_dir) or ""
    if dev:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        service.warm_up()
        # Werkzeug's server directly: app.run() silently does nothing under a Flask CLI
        # (FLASK_RUN_FROM_CLI), and FLASK_DEBUG must never turn on the debugger here.
        from werkzeug.serving import run_simple

        app.debug = False
        run_simple(host, port, app, use_reloader=False, use_debugger=False, use_evalex=False, threaded=True)
        return
    from qa.embedding.embedder import ModelUnavailable
    from qa.serve.gunicorn import run_gunicorn

    try:
        run_gunicorn(
            host,
            port,
            settings,
            workers=workers or settings.serving.workers,
            threads=threads or settings.serving.threads,
            embedder=service.embedder,
            preload=settings.serving.preload_model,
            verified_build=build_id,
        )
    except ModelUnavailable as error:  # the model is loaded before the workers start
        raise click.ClickException(str(error)) from error
