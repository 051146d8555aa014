"""Writing a folder that others read: a lock, a staged copy, and a rename into place.

``staged_folder`` gives a folder to write in, beside the target, and renames it into place
when the block ends without error; on an error (or an interruption) the staged copy is
removed and the target is left as it was. A rename within one file system is atomic, so a
reader sees the old target or the new one. Where readers follow a name that must change
atomically from one folder to another (the index's ``current``), ``replace_link`` swaps a
symbolic link with ``os.replace``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

IF_EXISTS = ("fail", "keep", "replace")


@contextmanager
def file_lock(path: Path, blocking: bool = True) -> Iterator[None]:
    """An exclusive lock across processes (``flock`` on the file ``path``, created if need be).

    It waits for the holder to let go; with ``blocking=False`` it raises ``BlockingIOError``
    at once instead. The lock goes with the block (and with the process, if it dies).
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def staged_folder(
    target: Path, staging: Path | None = None, if_exists: str = "fail", durable: bool = False
) -> Iterator[Path]:
    """An empty folder to write ``target`` in; renamed to ``target`` when the block ends without error.

    ``staging`` is where to write (it must not exist; it must be on the target's file
    system); by default a new folder ``.<name>.XXXXXX/<name>`` beside the target. Either
    way it is gone when the block ends. When ``target`` already exists at the rename,
    ``if_exists`` says what happens: ``fail`` (an ``OSError``), ``keep`` (another writer put
    it there first: the staged copy is dropped) or ``replace`` (the old folder is moved
    aside, then removed). ``durable`` syncs every staged file to disk before the rename.
    """
    if if_exists not in IF_EXISTS:
        raise ValueError(f"if_exists is one of {IF_EXISTS}, not {if_exists!r}")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if staging is None:
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        staging = work / target.name
    else:
        work = staging = Path(staging)
    aside = work / ".old" if work != staging else staging.with_name(staging.name + ".old")
    staging.mkdir()
    try:
        yield staging
        if durable:
            fsync_tree(staging)
        if if_exists == "replace" and (target.exists() or target.is_symlink()):
            target.rename(aside)
        try:
            os.rename(staging, target)
        except OSError:
            if aside.exists() and not target.exists():
                aside.rename(target)  # the old folder goes back: nothing changed
            if if_exists != "keep" or not target.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)


def replace_link(link: Path, points_to: str) -> None:
    """Make the symbolic link ``link`` point to ``points_to``, atomically (``os.replace``), and sync its folder.

    Readers that resolve ``link`` meanwhile get the old target or the new one.
    """
    link = Path(link)
    temporary = link.with_name(f".{link.name}.{os.getpid()}")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(points_to, temporary)
    os.replace(temporary, link)
    fsync_folder(link.parent)


def fsync_tree(folder: Path) -> None:
    """Sync every file below ``folder`` to disk."""
    for path in Path(folder).rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def fsync_folder(folder: Path) -> None:
    """Sync a folder's entries (a rename or a new link in it) to disk."""
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
