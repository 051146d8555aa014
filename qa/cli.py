"""The ``qa`` command line: ``qa index``, ``qa sources``, ``qa ask``, ``qa serve`` and ``qa eval``.

The commands live on the app's CLI group (``init_app``), so Flask's test runner drives
them; the ``qa`` console script is a ``FlaskGroup`` around ``create_app``, so a command
reads the same ``Settings`` as the server (``service.settings``). A setting with a bad
value ends the command with its error, naming the key.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from qa.evaluation import QuestionFileError, evaluate, read_questions, report_json, report_text, summarise
from qa.embedder import model_record
from qa.index.embed import Encoder, LocalEncoder
from qa.index.layout import IndexProblem
from qa.index.publish import current_build_id
from qa.index.status import index_status
from qa.ingest.corpus import CorpusError, list_sources
from qa.models import Answer, Article, Citation, Hit
from qa.service import QAService, SourceNotFound
from qa.settings import ModelSettings, Settings, SettingsError
from qa.web.errors import APIError
from qa.web.schema import answer_json, article_json, parse_ask, source_list_json, story_of_article_json

log = logging.getLogger(__name__)

MISSES_SHOWN = 30  # ids of questions not answered first, printed by `qa eval`
LANGUAGE_NAMES = {"fr": "French", "en": "English"}  # Abstention.other_language, as `qa ask` names it


def _service() -> QAService:
    return current_app.extensions["qa"]


def build_threads(model: ModelSettings) -> int:
    """Torch threads for a build: ``QA_BUILD_THREADS``, or every core this process may use."""
    if model.build_threads > 0:
        return model.build_threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def for_build(settings: Settings, threads: int) -> Settings:
    """The settings of a process whose only work is a build: ``threads`` torch threads."""
    return replace(settings, model=replace(settings.model, torch_threads=threads))


@click.command("index")
@click.option("--if-stale", is_flag=True, help="Build only when the index is missing or stale.")
@click.option("--full", is_flag=True, help="Re-read and re-embed every article instead of reusing unchanged ones.")
@click.option("--watch", is_flag=True, help="Keep running: rebuild (incrementally) whenever the seeds folder changes.")
@click.option("--debounce", type=float, default=2.0, show_default=True, help="With --watch: seconds of quiet before a build.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--ray", "ray_address", metavar="ADDRESS", help="Embed on a Ray cluster: auto, local or HOST:PORT.")
@click.option("--ray-workers", type=click.IntRange(min=1), help="Ray embedding workers (default: one per CPU).")
@click.option("--ray-retries", type=click.IntRange(min=0), default=3, show_default=True, help="Restarts of a dead Ray worker.")
@with_appcontext
def index_command(
    if_stale: bool,
    full: bool,
    watch: bool,
    debounce: float,
    quiet: bool,
    ray_address: str | None,
    ray_workers: int | None,
    ray_retries: int,
) -> None:
    """Build the index from the articles in the seeds folder (reusing unchanged articles; on Ray with --ray)."""
    # A build is the only work of this process: give the model every core (serving uses
    # QA_TORCH_THREADS per worker). The app's service gets those settings before its
    # model is made, on first use below (a model already there, such as a test's, is kept).
    served = _service()
    threads = build_threads(served.settings.model)
    log.info("building with %d torch threads", threads)
    service = current_app.extensions["qa"] = served.with_settings(for_build(served.settings, threads))
    # Our own bars count each stage; the libraries' anonymous ones ("Loading weights") go.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    with _encoder(service, ray_address, ray_workers, ray_retries, progress=not quiet) as encoder:
        if if_stale and not full:
            reasons = index_status(
                service.index_dir, service.seeds_dir, model_record(service.embedder)
            )
            if not reasons:
                click.echo(f"index is up to date in {service.index_dir}")
                if not watch:
                    return
            else:
                click.echo("index needs a build: " + "; ".join(reasons))
                _build_and_report(service, progress=not quiet, full=False, encoder=encoder)
        else:
            _build_and_report(service, progress=not quiet, full=full, encoder=encoder)
        if watch:
            _watch(service, debounce=debounce, progress=not quiet, encoder=encoder)


@contextlib.contextmanager
def _encoder(
    service: QAService, ray_address: str | None, workers: int | None, retries: int, progress: bool
) -> Iterator[Encoder | None]:
    """``None`` (embed in this process), or an encoder that embeds on Ray for ``--ray``."""
    if not ray_address:
        yield None
        return
    from qa.cluster import ray_embedder  # Ray is an optional extra: imported only here

    try:
        with ray_embedder(service.embedder, ray_address, workers=workers, retries=retries) as embedder:
            # One call per stage: the cluster batches and spreads the texts over its workers.
            yield LocalEncoder(embedder, progress=progress, chunk_size=RAY_CHUNK)
    except (OSError, RuntimeError) as error:
        raise click.ClickException(str(error)) from error


RAY_CHUNK = 1 << 20  # texts handed to the cluster at once (a stage's all, in practice)


def _build_and_report(service: QAService, progress: bool, full: bool, encoder: Encoder | None = None) -> None:
    try:
        index = service.rebuild(progress=progress, full=full, encoder=encoder)
    except (IndexProblem, CorpusError, OSError, RuntimeError) as error:
        raise click.ClickException(str(error)) from error
    manifest = index.manifest
    reuse = manifest.get("incremental", {})
    ray = manifest.get("embedding", {})
    if ray.get("kind") == "ray":
        click.echo(f"embedded on Ray at {ray['address']}: {ray['nodes']} node(s), {ray['cpus']:g} CPUs, {ray['workers']} workers")
    click.echo(
        f"indexed {manifest['passages']} passages from {manifest['articles']} articles "
        f"({reuse.get('articles_reused', 0)} reused, {reuse.get('articles_embedded', 0)} embedded, "
        f"{reuse.get('articles_removed', 0)} removed) "
        f"with {manifest['model']['name']} in {manifest['build_seconds']} s -> {index.path}"
    )
    for source, reason in manifest.get("skipped", {}).items():
        click.echo(f"skipped {source}: {reason}", err=True)


def _folder_state(seeds_dir: Path) -> tuple:
    """A cheap picture of the seeds folder: names, sizes and times. It only says *when* to
    build; what a build reuses is decided by content hashes."""
    state = []
    try:
        names = list_sources(seeds_dir)
    except CorpusError:
        return ()
    for name in names:
        try:
            stat = (seeds_dir / name).stat()
        except OSError:
            continue
        state.append((name, stat.st_size, stat.st_mtime_ns))
    return tuple(state)


def _watch(service: QAService, debounce: float, progress: bool, poll: float = 0.5, encoder: Encoder | None = None) -> None:
    """Rebuild whenever the seeds folder changes, after ``debounce`` seconds of quiet.

    One build at a time: builds run one after the other in this loop, and each takes the
    index's build lock, so a ``qa index`` or a server's rebuild elsewhere waits its turn.
    """
    click.echo(f"watching {service.seeds_dir} (Ctrl-C to stop)")
    seen = _folder_state(service.seeds_dir)
    try:
        while True:
            time.sleep(poll)
            state = _folder_state(service.seeds_dir)
            if state == seen:
                continue
            quiet_since = time.monotonic()
            while time.monotonic() - quiet_since < debounce:
                time.sleep(min(poll, debounce))
                again = _folder_state(service.seeds_dir)
                if again != state:
                    state, quiet_since = again, time.monotonic()
            seen = state
            try:
                _build_and_report(service, progress=progress, full=False, encoder=encoder)
            except click.ClickException as error:
                # A failed build leaves the previous index serving; keep watching.
                click.echo(f"build failed: {error.message}", err=True)
    except KeyboardInterrupt:
        click.echo("stopped watching")


@click.command("sources")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as GET /api/sources[/NAME].")
@with_appcontext
def sources_command(name: str | None, as_json: bool) -> None:
    """List the indexed articles, or print one (its canonical text and metadata)."""
    service = _service()
    try:
        if name is None:
            articles = list(service.index.articles.values())
            if as_json:
                click.echo(json.dumps(source_list_json(articles), ensure_ascii=False, indent=2))
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
        body = {**article_json(article), "story": story_of_article_json(service.stories(), article.source)}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(f"{article.title}\n{article.source}" + (f" · {byline(article)}" if byline(article) else ""))
    if article.author:
        click.echo(f"by {article.author}")
    click.echo("")
    click.echo(article.text, nl=not article.text.endswith("\n"))


def byline(item: Article | Citation) -> str:
    """The known parts of "outlet · published · url", or an empty string."""
    return " · ".join(part for part in (item.outlet, item.published, item.url) if part)


def format_answer(answer: Answer) -> str:
    """Plain-text rendering: each passage with its citation, like ``[Title ¶3]``."""
    lines = []
    if answer.abstention is not None:
        not_found = answer.abstention.not_found
        why = "."
        if not_found:
            why = f": the closest one does not mention {', '.join(not_found)}."
        elif answer.abstention.reason == "date_not_found":
            why = ": the closest passage gives no date."
        elif answer.abstention.other_language:
            language = LANGUAGE_NAMES[answer.abstention.other_language]
            why = (
                f". The closest passages are in {language}, and a question in another language is matched"
                f" less closely: asked in {language}, it may find an answer."
            )
        lines.append("The articles do not answer this question" + why + (" Closest passages:" if answer.hits else ""))
    if answer.context_used:
        lines.append(f"(read as a follow-up to: {answer.context_used[-1]})")
    for hit in answer.hits:
        citation = hit.passage.citation
        lines.append(
            f"{hit.rank}. [{citation.title} ¶{citation.paragraph}] {citation.source}:{citation.start}-{citation.end}"
            f"  score {hit.score:.3f} (dense {hit.dense:.3f}, lexical {hit.lexical:.2f})"
        )
        if byline(citation):
            lines.append(f"   {byline(citation)}")
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
    limits = _service().settings.limits
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
    service = _service()
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
            settings,
            workers=workers or settings.serving.workers,
            threads=threads or settings.serving.threads,
            embedder=service.embedder,
            preload=settings.serving.preload_model,
        )
    except ModelUnavailable as error:  # the model is loaded before the workers start
        raise click.ClickException(str(error)) from error


def init_app(app: Flask) -> None:
    for command in (index_command, sources_command, ask_command, eval_command, serve_command):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from qa import create_app

    try:
        return create_app()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error


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
