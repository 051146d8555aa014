"""What every command shares: the service of the app the ``qa`` group created, how a
request's or the index's error ends a command, and how JSON is printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import current_app

from qa.index.layout import IndexProblem
from qa.service.core import QAService
from qa.service.errors import APIError


def current_service() -> QAService:
    """The app's service (``app.extensions["qa"]``): its settings, index and model."""
    return current_app.extensions["qa"]


def replace_service(service: QAService) -> QAService:
    """Put ``service`` on the app for the rest of the command (a build's own settings)."""
    current_app.extensions["qa"] = service
    return service


@contextmanager
def command_errors() -> Iterator[None]:
    """A request refused by the API's parsers ends the command as a usage error with the
    API's message; an index that cannot be served, with what is wrong with it."""
    try:
        yield
    except APIError as error:
        raise click.UsageError(error.message) from error
    except IndexProblem as error:
        raise click.ClickException(str(error)) from error


def echo_json(body: Any) -> None:
    """Print a JSON body as the API sends it (``qa.service.serialise``), indented, UTF-8."""
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))
