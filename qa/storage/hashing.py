"""SHA-256 of bytes, files and folders, as hex strings.

Two ways to describe a folder:

* ``folder_checksums``: {relative path: SHA-256 of the file}, written beside the folder
  (the index manifest's ``files``, the model's ``conversion.json``) and checked later
  with ``checksum_problems``;
* ``folder_digest``: one SHA-256 over every file's relative path, size and bytes, a
  name for the whole folder (the Ray workers' model cache is keyed by it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

BLOCK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (``hashlib.file_digest``)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sha256_files(paths: Iterable[Path]) -> str:
    """One SHA-256 over the bytes of several files, one after the other, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        _feed(digest, path)
    return digest.hexdigest()


def folder_files(folder: Path, exclude: Collection[str] = ()) -> list[Path]:
    """The files below ``folder`` (at any depth), sorted; files named in ``exclude`` are left out."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.name not in exclude)


def folder_checksums(folder: Path, exclude: Collection[str] = ()) -> dict[str, str]:
    """{path relative to ``folder``: SHA-256} of every file below it but those named in ``exclude``."""
    folder = Path(folder)
    return {str(path.relative_to(folder)): sha256_file(path) for path in folder_files(folder, exclude)}


def checksum_problems(folder: Path, checksums: Mapping[str, str]) -> list[tuple[str, str]]:
    """The files of ``checksums`` that are ``missing`` below ``folder`` or ``damaged`` (another SHA-256).

    Each problem is (relative path, ``"missing"`` or ``"damaged"``), in the order of ``checksums``.
    """
    problems = []
    for name, expected in checksums.items():
        path = Path(folder) / name
        if not path.is_file():
            problems.append((name, "missing"))
        elif sha256_file(path) != expected:
            problems.append((name, "damaged"))
    return problems


def folder_digest(folder: Path) -> str:
    """One SHA-256 over each file's relative path, size and contents: two folders are equal when it is."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in folder_files(folder):
        digest.update(f"{path.relative_to(folder).as_posix()}\0{path.stat().st_size}\0".encode())
        _feed(digest, path)
    return digest.hexdigest()


def _feed(digest: Any, path: Path) -> None:
    """Add a file's bytes to a running digest, a block at a time."""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
