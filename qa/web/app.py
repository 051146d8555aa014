"""The app factory: ``create_app(test_config)`` builds the Flask app.

The settings are built once (``qa.settings.Settings.load``: defaults, then ``QA_*``
environment variables, then the test config) and kept on the service, in
``app.extensions["qa"].settings``; every part of the app reads them there. ``app.config``
holds the same merged mapping, for Flask's own keys (``MAX_CONTENT_LENGTH``,
``TESTING``...) and for inspection; no ``qa`` module reads it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from qa.service.core import QAService
from qa.settings import Settings, merged_config
from qa.web import api, errors, pages, security, server_timing


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app on the settings of the environment and ``test_config``; ``EMBEDDER`` in it replaces the model."""
    config = merged_config(test_config)
    settings = Settings.from_mapping(config)  # SettingsError, naming the key, on a bad value

    app = Flask("qa")  # the package's folder holds templates/ and static/
    app.config.from_mapping(config)
    app.config["MAX_CONTENT_LENGTH"] = settings.limits.max_content_length  # Werkzeug reads it
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # No redirects for doubled slashes: an /api/ client gets JSON, never an HTML redirect page.
    app.url_map.merge_slashes = False

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    # A test (or qa serve's preloaded model) hands the model over; it is not a setting.
    app.extensions["qa"] = QAService(settings, embedder=(test_config or {}).get("EMBEDDER"))
    server_timing.init_app(app, settings.serving.server_timing)  # first: its clock starts before the other hooks
    errors.init_app(app, settings.limits)
    security.init_app(app, settings.serving, settings.limits.max_content_length)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    return app
