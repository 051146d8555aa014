"""What every command reads: the service of the app the ``qa`` group created."""

from __future__ import annotations

from flask import current_app

from qa.service.core import QAService


def current_service() -> QAService:
    """The app's service (``app.extensions["qa"]``): its settings, index and model."""
    return current_app.extensions["qa"]


def replace_service(service: QAService) -> QAService:
    """Put ``service`` on the app for the rest of the command (a build's own settings)."""
    current_app.extensions["qa"] = service
    return service
