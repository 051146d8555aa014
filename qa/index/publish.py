"""Publishing builds: the build lock, the staging folder, the atomic swap of ``current``, pruning.

A build is written in a temporary folder under ``builds/`` (``.tmp-<build id>``), renamed
into place when complete, and published by replacing the ``current`` link with
``os.replace``, which is atomic: a build that dies midway leaves ``current`` on the
previous, complete build, and its temporary folder is removed by the next build. Builds
are serialised across processes with a lock file. Each published build is a versioned
folder that readers can keep using while a newer one is published. The lock, the staged
folder and the link swap are ``qa.storage``'s; what is here is the index's own layout.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from qa.index.layout import BUILDS, CURRENT
from qa.storage import file_lock, replace_link, staged_folder

log = logging.getLogger(__name__)

KEEP_BUILDS = 2


def current_build(index_dir: Path) -> Path | None:
    """The folder that ``index/current`` points to, or None."""
    link = Path(index_dir) / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def current_build_id(index_dir: Path) -> str | None:
    """The name of the current build, read cheaply from the link."""
    try:
        return Path(os.readlink(Path(index_dir) / CURRENT)).name
    except OSError:
        return None


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """An exclusive lock across processes for building and publishing (``index/.build.lock``)."""
    with file_lock(Path(index_dir) / ".build.lock"):
        yield


def new_build_id() -> str:
    """A sortable, unique name for a build: UTC time and the builder's process id."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"


@contextmanager
def staged_build(index_dir: Path, build_id: str) -> Iterator[Path]:
    """A temporary folder to write a build in; published when the block ends without error.

    On any error (or interruption) the folder is removed and ``current`` is untouched.
    """
    builds = Path(index_dir) / BUILDS
    staging = builds / f".tmp-{build_id}"
    final = builds / build_id
    try:
        with staged_folder(final, staging=staging, durable=True) as folder:
            yield folder
        publish(Path(index_dir), final)
    except BaseException as error:
        discard_failed_build(Path(index_dir), build_id, (staging, final), error)
        raise
    prune(index_dir)


def discard_failed_build(index_dir: Path, build_id: str, folders: tuple[Path, ...], error: BaseException) -> None:
    """Remove a failed build's folders (never the published one) and, for an I/O error, say why in one line."""
    served = current_build_id(index_dir)
    for folder in folders:
        if folder.name != served:
            shutil.rmtree(folder, ignore_errors=True)
    if isinstance(error, OSError):
        why = "the disk is full" if error.errno == errno.ENOSPC else "it could not be written"
        still = f"build {served} is still served" if served and served != build_id else "no previous build to serve"
        log.error("index build %s failed: %s (%s); its temporary folder was removed and %s", build_id, why, error, still)


def publish(index_dir: Path, build: Path) -> None:
    """Point ``current`` at ``build``, atomically."""
    link = index_dir / CURRENT
    if link.exists() and not link.is_symlink():
        # A plain folder named "current" is not ours to keep: remove it first.
        shutil.rmtree(link)
    replace_link(link, os.path.relpath(build, index_dir))


def prune(index_dir: Path) -> None:
    """Keep the newest complete builds, the current one always; drop dead temporaries."""
    builds = Path(index_dir) / BUILDS
    current = current_build(index_dir)
    complete = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in complete[:-KEEP_BUILDS]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)
    for temporary in builds.glob(".tmp-*"):
        pid = temporary.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(temporary, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
