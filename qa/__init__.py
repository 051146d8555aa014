"""News QA: question answering over news articles, with citations that slice their source.

``create_app(test_config)`` builds the Flask app: defaults from ``qa.config``, then
``QA_*`` environment variables, then the test config; then the service, the error
handler, the CLI commands and the two blueprints.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app factory (Flask and the stack are imported here, so ``import qa.text`` stays light)."""
    from flask import Flask

    from qa.config import DEFAULTS

    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("QA")
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # No redirects for doubled slashes: an /api/ client gets JSON, never an HTML redirect page.
    app.url_map.merge_slashes = False

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from qa import api, cli, errors, security, server_timing, web
    from qa.service import QAService

    app.extensions["qa"] = QAService(app.config, embedder=app.config.get("EMBEDDER"))
    server_timing.init_app(app)  # first, so its clock starts before the other hooks run
    errors.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(web.bp)
    return app
