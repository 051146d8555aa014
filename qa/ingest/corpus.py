"""Reading the corpus: every file of a known format directly inside ``seeds/``.

Each file is read once: its bytes are hashed (the manifest's ``sources``, used to tell
whether the index is stale) and handed to its format's reader (``qa.ingest.formats``),
so the hash is always of the bytes that were indexed. Hidden files (``.name``, editors'
temporaries) are ignored. A file that cannot be read or used is logged and skipped, and
the rest is read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from qa.ingest.formats import READERS, Entry, FormatError, read_source
from qa.models import Article
from qa.storage import sha256_bytes, sha256_file

log = logging.getLogger(__name__)

UNREADABLE = "unreadable"


class CorpusError(RuntimeError):
    """The seeds folder cannot be used."""


@dataclass
class Corpus:
    """The articles in source order, each file's hash, and what was skipped and why."""

    entries: list[Entry] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256 of the bytes read
    skipped: dict[str, str] = field(default_factory=dict)  # file name (or "file:line") -> reason

    @property
    def articles(self) -> list[Article]:
        return [entry.article for entry in self.entries]


def list_sources(seeds_dir: Path) -> list[str]:
    """File names of the article files directly inside ``seeds_dir``, sorted."""
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.is_dir():
        raise CorpusError(f"seeds folder not found: {seeds_dir}")
    return sorted(
        path.name
        for path in seeds_dir.iterdir()
        if path.suffix.lower() in READERS and not path.name.startswith(".") and path.is_file()
    )


def source_hashes(seeds_dir: Path) -> dict[str, str]:
    """SHA-256 of every article file's bytes (``unreadable`` when it cannot be read)."""
    hashes: dict[str, str] = {}
    for name in list_sources(seeds_dir):
        try:
            hashes[name] = sha256_file(Path(seeds_dir) / name)
        except OSError:
            hashes[name] = UNREADABLE
    return hashes


def read_corpus(seeds_dir: Path) -> Corpus:
    """Read and hash every article file once; skip (and log) what cannot be used."""
    corpus = Corpus()
    for name in list_sources(seeds_dir):
        try:
            data = (Path(seeds_dir) / name).read_bytes()
        except OSError as error:
            corpus.hashes[name] = UNREADABLE
            _skip(corpus, name, f"{type(error).__name__}: {error}")
            continue
        corpus.hashes[name] = sha256_bytes(data)
        try:
            parsed = read_source(name, data)
        except FormatError as error:
            _skip(corpus, name, str(error))
            continue
        corpus.entries.extend(parsed.entries)
        for where, reason in parsed.skipped.items():
            _skip(corpus, where, reason)
    return corpus


def _skip(corpus: Corpus, where: str, reason: str) -> None:
    log.warning("skipping article %s: %s", where, reason)
    corpus.skipped[where] = reason
