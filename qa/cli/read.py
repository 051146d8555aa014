"""``qa sources`` and ``qa ask``: read the indexed articles, ask a question.

``--json`` prints the same JSON as the HTTP API (``qa.service.serialise``); the plain text is
``qa.service.render``'s.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from qa.cli.context import command_errors, current_service, echo_json
from qa.cli.options import filter_body, filter_options
from qa.index.layout import IndexProblem
from qa.service.core import SourceNotFound
from qa.service.render import byline, format_answer, source_heading
from qa.service.requests import parse_ask
from qa.service.serialise import answer_json, source_json, source_list_json


@click.command("sources")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as GET /api/sources[/NAME].")
@with_appcontext
def sources_command(name: str | None, as_json: bool) -> None:
    """List the indexed articles, or print one (its canonical text and metadata)."""
    service = current_service()
    try:
        if name is None:
            articles = list(service.index.articles.values())
            if as_json:
                echo_json(source_list_json(articles))
            else:
                for article in articles:
                    click.echo(f"{article.source}\t{article.title}" + (f"\t{byline(article)}" if byline(article) else ""))
            return
        article = service.article(name)
    except SourceNotFound as error:
        raise click.ClickException(f"no article named {name!r} (see `qa sources`)") from error
    except IndexProblem as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        echo_json(source_json(article, service.stories()))
        return
    click.echo(source_heading(article))
    if article.author:
        click.echo(f"by {article.author}")
    click.echo("")
    click.echo(article.text, nl=not article.text.endswith("\n"))


@click.command("ask")
@click.argument("question")
@click.option("-k", "k", type=int, default=None, help="How many passages (1 to QA_MAX_K).")
@click.option("--history", multiple=True, help="An earlier question; repeat for several, oldest first.")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON body as POST /api/ask.")
@with_appcontext
def ask_command(
    question: str,
    k: int | None,
    history: tuple[str, ...],
    outlets: tuple[str, ...],
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """Ask a question and print the passages that answer it."""
    limits = current_service().settings.limits
    body = {
        "question": question,
        "k": limits.default_k if k is None else k,
        "history": list(history),
        **filter_body(outlets, since, until),
    }
    with command_errors():
        query = parse_ask(body, limits)
        answer = current_service().ask(query.question, query.k, query.history, query.filter)
    if as_json:
        echo_json(answer_json(answer))
    else:
        click.echo(format_answer(answer), nl=False)
