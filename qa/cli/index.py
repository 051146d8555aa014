"""``qa index``: build the index once, when stale, on Ray, or on every change of the seeds folder."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import click
from flask.cli import with_appcontext

from qa.cli.context import current_service, replace_service
from qa.embedding.embedder import model_record
from qa.index.embed import Encoder, LocalEncoder
from qa.index.layout import IndexProblem
from qa.index.status import index_status
from qa.ingest.corpus import CorpusError, list_sources
from qa.service.core import QAService
from qa.settings import apply_environment, build_threads, for_build

log = logging.getLogger(__name__)


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
    served = current_service()
    threads = build_threads(served.settings.model)
    log.info("building with %d torch threads", threads)
    service = replace_service(served.with_settings(for_build(served.settings, threads)))
    # Our own bars count each stage; the libraries' anonymous ones ("Loading weights") go.
    apply_environment("build")
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
    from qa.index.cluster import ray_embedder  # Ray is an optional extra: imported only here

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
