"""``qa eval``: score the service on a JSONL question set (``qa.search.evaluation``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
from flask.cli import with_appcontext

from qa.cli.context import current_service, echo_json
from qa.index.layout import IndexProblem
from qa.search.evaluation import QuestionFileError, evaluate, read_questions, report_json, report_text, summarise

MISSES_SHOWN = 30  # ids of questions not answered first, printed by `qa eval`


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--seeds",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Evaluate on the articles of this folder instead of QA_SEEDS_DIR.",
)
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Index folder for --seeds (built there if missing or stale) instead of QA_INDEX_DIR.",
)
@click.option("--limit", type=int, default=None, help="Only the first N questions of the file.")
@with_appcontext
def eval_command(file: Path, as_json: bool, seeds: Path | None, index_dir: Path | None, limit: int | None) -> None:
    """Score the service on a JSONL question set: hit@1/3/5/10, MRR@10, answered and abstained."""
    try:
        questions = read_questions(file)
    except QuestionFileError as error:
        raise click.ClickException(str(error)) from error
    if limit is not None:
        questions = questions[: max(limit, 0)]
    if seeds is not None and index_dir is None:
        raise click.UsageError("--seeds needs --index: a folder for that corpus's own index")
    service = current_service()
    if seeds is not None or index_dir is not None:
        corpus = service.settings.corpus
        corpus = replace(
            corpus,
            seeds_dir=corpus.seeds_dir if seeds is None else str(seeds),
            index_dir=corpus.index_dir if index_dir is None else str(index_dir),
        )
        # Another corpus, the same model: the embedder is shared, not loaded twice.
        service = service.with_settings(replace(service.settings, corpus=corpus))
    try:
        outcomes = evaluate(questions, lambda q: service.ask(q.question, 10, q.history))
    except IndexProblem as error:
        raise click.ClickException(str(error)) from error
    reports = summarise(outcomes)
    if as_json:
        echo_json(report_json(reports))
    else:
        click.echo(report_text(reports))
        misses = reports["all"].misses
        if misses:
            shown = ", ".join(misses[:MISSES_SHOWN])
            more = f" and {len(misses) - MISSES_SHOWN} more (--json lists all)" if len(misses) > MISSES_SHOWN else ""
            click.echo(f"not first: {shown}{more}")
