"""The ``qa`` command line: ``qa index``, ``qa ask``, ``qa serve`` and ``qa eval``.

The commands live on the app's CLI group (``init_app``), so Flask's test runner drives
them; the ``qa`` console script is a ``FlaskGroup`` around ``create_app``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from qa.evaluation import QuestionFileError, evaluate, read_questions, report_json, report_text, summarise
from qa.indexing import IndexProblem, current_build_id, index_status, model_record
from qa.models import Answer, Hit
from qa.schema import Limits, answer_json, parse_ask
from qa.errors import APIError
from qa.service import QAService

log = logging.getLogger(__name__)

MISSES_SHOWN = 30  # ids of questions not answered first, printed by `qa eval`


def _service() -> QAService:
    return current_app.extensions["qa"]


@click.command("index")
@click.option("--if-stale", is_flag=True, help="Build only when the index is missing or stale.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--ray", "ray_address", metavar="ADDRESS", help="Embed on a Ray cluster: auto, local or HOST:PORT.")
@click.option("--ray-workers", type=click.IntRange(min=1), help="Ray embedding workers (default: one per CPU).")
@click.option("--ray-retries", type=click.IntRange(min=0), default=3, show_default=True, help="Restarts of a dead Ray worker.")
@with_appcontext
def index_command(if_stale: bool, quiet: bool, ray_address: str | None, ray_workers: int | None, ray_retries: int) -> None:
    """Build the index from the articles in the seeds folder (embedding on Ray with --ray)."""
    service = _service()
    if if_stale:
        reasons = index_status(
            service.index_dir, service.seeds_dir, model_record(service.embedder, service.embedder.passage_prefix)
        )
        if not reasons:
            click.echo(f"index is up to date in {service.index_dir}")
            return
        click.echo("index needs a build: " + "; ".join(reasons))
    try:
        if ray_address:
            from qa.cluster import ray_embedder  # Ray is an optional extra: imported only here

            with ray_embedder(service.embedder, ray_address, workers=ray_workers, retries=ray_retries) as embedder:
                index = service.rebuild(progress=not quiet, embedder=embedder)
        else:
            index = service.rebuild(progress=not quiet)
    except (IndexProblem, OSError, RuntimeError) as error:
        raise click.ClickException(str(error)) from error
    manifest = index.manifest
    ray = manifest.get("embedding", {})
    if ray.get("kind") == "ray":
        click.echo(f"embedded on Ray at {ray['address']}: {ray['nodes']} node(s), {ray['cpus']:g} CPUs, {ray['workers']} workers")
    click.echo(
        f"indexed {manifest['passages']} passages from {manifest['articles']} articles "
        f"with {manifest['model']['name']} in {manifest['build_seconds']} s -> {index.path}"
    )
    for source, reason in manifest.get("skipped", {}).items():
        click.echo(f"skipped {source}: {reason}", err=True)


def format_answer(answer: Answer) -> str:
    """Plain-text rendering: each passage with its citation, like ``[Title ¶3]``."""
    lines = []
    if not answer.answered:
        lines.append("The articles do not answer this question. Closest passages:")
    if answer.context_used:
        lines.append(f"(read as a follow-up to: {answer.context_used[-1]})")
    for hit in answer.hits:
        citation = hit.passage.citation
        lines.append(
            f"{hit.rank}. [{citation.title} ¶{citation.paragraph}] {citation.source}:{citation.start}-{citation.end}"
            f"  score {hit.score:.3f} (dense {hit.dense:.3f}, lexical {hit.lexical:.2f})"
        )
        text = hit.passage.text
        if hit.highlight is not None:
            a = hit.highlight.start - citation.start
            b = hit.highlight.end - citation.start
            text = f"{text[:a]}>>{text[a:b]}<<{text[b:]}"
        lines.extend("   " + line for line in text.splitlines())
        lines.extend(format_corroboration(hit))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def format_corroboration(hit: Hit) -> list[str]:
    """Lines saying which other articles report the passage's fact, and where they differ."""
    lines = []
    for other in hit.also_in:
        c = other.citation
        lines.append(f"   also reported by: [{c.title} ¶{c.paragraph}] {c.source}:{c.start}-{c.end}")
    for difference in hit.differences:
        here, there = difference.here_citation, difference.there_citation
        lines.append(f"   differs ({difference.kind}): here [¶{here.paragraph}] {' '.join(difference.here.split())!r}")
        lines.append(
            f"{' ' * (len(difference.kind) + 13)}there [{there.title} ¶{there.paragraph}] {' '.join(difference.there.split())!r}"
        )
    return lines


@click.command("ask")
@click.argument("question")
@click.option("-k", "k", type=int, default=None, help="How many passages (1 to QA_MAX_K).")
@click.option("--history", multiple=True, help="An earlier question; repeat for several, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON body as POST /api/ask.")
@with_appcontext
def ask_command(question: str, k: int | None, history: tuple[str, ...], as_json: bool) -> None:
    """Ask a question and print the passages that answer it."""
    limits = Limits.from_config(current_app.config)
    body = {"question": question, "k": limits.default_k if k is None else k, "history": list(history)}
    try:
        query = parse_ask(body, limits)
        answer = _service().ask(query.question, query.k, query.history)
    except APIError as error:
        raise click.UsageError(error.message) from error
    except IndexProblem as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
    else:
        click.echo(format_answer(answer), nl=False)


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
    service = _service()
    if seeds is not None or index_dir is not None:
        config = dict(current_app.config)
        if seeds is not None:
            config["SEEDS_DIR"] = str(seeds)
        if index_dir is not None:
            config["INDEX_DIR"] = str(index_dir)
        # Another corpus, the same model: the embedder is shared, not loaded twice.
        service = QAService(config, embedder=service.embedder)
    outcomes = evaluate(questions, lambda q: service.ask(q.question, 10, q.history))
    reports = summarise(outcomes)
    if as_json:
        click.echo(json.dumps(report_json(reports), ensure_ascii=False, indent=2))
    else:
        click.echo(report_text(reports))
        misses = reports["all"].misses
        if misses:
            shown = ", ".join(misses[:MISSES_SHOWN])
            more = f" and {len(misses) - MISSES_SHOWN} more (--json lists all)" if len(misses) > MISSES_SHOWN else ""
            click.echo(f"not first: {shown}{more}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--workers", type=int, default=None, help="gunicorn workers (default QA_WORKERS).")
@click.option("--threads", type=int, default=None, help="Threads per worker (default QA_THREADS).")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn (never the debugger).")
@with_appcontext
def serve_command(host: str, port: int, workers: int | None, threads: int | None, dev: bool) -> None:
    """Serve the chat page and the API (gunicorn; builds the index first if needed)."""
    config = current_app.config
    service = _service()
    reasons = index_status(service.index_dir, service.seeds_dir, model_record(service.embedder, service.embedder.passage_prefix))
    if reasons:
        if not config["AUTO_BUILD"]:
            raise click.ClickException("the index is missing or stale and QA_AUTO_BUILD is off: " + "; ".join(reasons))
        log.warning("index missing or stale (%s): rebuilding before serving", "; ".join(reasons))
        # Built in a child process, so that the server's parent never runs the model before forking.
        result = subprocess.run([sys.executable, "-m", "qa", "index", "--quiet"], check=False)
        if result.returncode != 0:
            raise click.ClickException("the index build failed; see the log above")
    # The build now in place was checked above (or just written, checksums and all, by the
    # child): the workers, which inherit the environment, need not hash its files again.
    build_id = current_build_id(service.index_dir)
    if build_id:
        os.environ["QA_VERIFIED_BUILD"] = build_id
    if dev:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        service.warm_up()
        # Werkzeug's server directly: app.run() silently does nothing under a Flask CLI
        # (FLASK_RUN_FROM_CLI), and FLASK_DEBUG must never turn on the debugger here.
        from werkzeug.serving import run_simple

        app.debug = False
        run_simple(host, port, app, use_reloader=False, use_debugger=False, use_evalex=False, threaded=True)
        return
    from qa.embedder import ModelUnavailable
    from qa.server import run_gunicorn

    try:
        run_gunicorn(
            host,
            port,
            workers=workers or int(config["WORKERS"]),
            threads=threads or int(config["THREADS"]),
            timeout=int(config["TIMEOUT"]),
            embedder=service.embedder if config.get("PRELOAD_MODEL", True) else None,
        )
    except ModelUnavailable as error:  # the model is loaded before the workers start
        raise click.ClickException(str(error)) from error


def init_app(app: Flask) -> None:
    for command in (index_command, ask_command, eval_command, serve_command):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from qa import create_app

    return create_app()


class QAGroup(FlaskGroup):
    """Flask's CLI group without Flask's own options and plugin commands: only ours."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.params = [p for p in self.params if p.name not in {"env_file", "app", "debug"}]

    def _load_plugin_commands(self) -> None:
        self._loaded_plugin_commands = True


main = QAGroup(
    name="qa",
    help="News QA: question answering over the articles in seeds/.",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
