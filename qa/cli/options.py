"""Options more than one command takes: the search filter of ``qa ask`` and ``qa check``.

The values go into the request body as the API receives them (``outlets``, ``since``,
``until``), and ``qa.service.requests.parse_filter`` validates them there, so a bad date
gets the API's message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def filter_options(command: F) -> F:
    """Add ``--outlet NAME`` (repeatable), ``--since YYYY-MM-DD`` and ``--until YYYY-MM-DD``."""
    command = click.option("--until", default=None, metavar="YYYY-MM-DD", help="Only articles published on or before this day.")(command)
    command = click.option("--since", default=None, metavar="YYYY-MM-DD", help="Only articles published on or after this day.")(command)
    return click.option(
        "--outlet", "outlets", multiple=True, metavar="NAME", help="Only this outlet's articles; repeat for several."
    )(command)


def filter_body(outlets: tuple[str, ...], since: str | None, until: str | None) -> dict[str, Any]:
    """The filter fields of a request body, as the API receives them."""
    return {"outlets": list(outlets), "since": since, "until": until}
