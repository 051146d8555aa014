"""``qa check``: check a claim against the articles.

The claim and its options are parsed by ``qa.service.requests.parse_check``, as
``POST /api/check``'s body is, so a bad claim, ``-k`` or filter gets the API's message.
``--json`` prints the same JSON as ``POST /api/check`` (``qa.service.serialise``),
``--claimreview`` the same JSON-LD as ``POST /api/check/claimreview``
(``qa.service.claimreview``); the plain text is ``qa.service.render``'s.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from qa.cli.context import command_errors, current_service, echo_json
from qa.cli.options import filter_body, filter_options
from qa.service.claimreview import claim_review_json
from qa.service.render import format_check
from qa.service.requests import parse_check
from qa.service.serialise import check_json


@click.command("check")
@click.argument("claim")
@click.option("-k", "k", type=int, default=None, help="Related sources listed up to this many in all (1 to QA_MAX_K); every source that asserts is listed.")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON body as POST /api/check.")
@click.option("--claimreview", is_flag=True, help="Print the schema.org ClaimReview JSON-LD of POST /api/check/claimreview.")
@with_appcontext
def check_command(
    claim: str, k: int | None, outlets: tuple[str, ...], since: str | None, until: str | None, as_json: bool, claimreview: bool
) -> None:
    """Check a claim: which articles state it, state it otherwise, hedge or contradict it."""
    if as_json and claimreview:
        raise click.UsageError("--json and --claimreview are two outputs: choose one")
    limits = current_service().settings.limits
    body = {"claim": claim, "k": limits.default_k if k is None else k, **filter_body(outlets, since, until)}
    with command_errors():
        request = parse_check(body, limits)
        check = current_service().check(request.claim, request.k, request.filter)
    if claimreview:
        echo_json(claim_review_json(check))
    elif as_json:
        echo_json(check_json(check))
    else:
        click.echo(format_check(check), nl=False)
