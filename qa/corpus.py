"""Reading the corpus: every ``*.txt`` file directly inside ``seeds/`` is an article.

Files are decoded as UTF-8 with no newline translation and no normalisation, so that
citation offsets count exactly the code points of the file. Splitting happens elsewhere
(``qa.passages``); this module only reads, fingerprints and titles.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from qa.models import Article
from qa.passages import find_title

log = logging.getLogger(__name__)


class CorpusError(RuntimeError):
    """The seeds folder cannot be used."""


@dataclass
class Corpus:
    """The readable articles, in file-name order, and the files that could not be read."""

    articles: list[Article]
    skipped: dict[str, str] = field(default_factory=dict)


def list_sources(seeds_dir: Path) -> list[str]:
    """File names of the articles: regular ``*.txt`` files directly inside ``seeds_dir``."""
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.is_dir():
        raise CorpusError(f"seeds folder not found: {seeds_dir}")
    return sorted(path.name for path in seeds_dir.glob("*.txt") if path.is_file())


def source_hashes(seeds_dir: Path) -> dict[str, str]:
    """SHA-256 of every article file's bytes; an unreadable file hashes as ``unreadable``."""
    hashes: dict[str, str] = {}
    for name in list_sources(seeds_dir):
        try:
            hashes[name] = hashlib.sha256((Path(seeds_dir) / name).read_bytes()).hexdigest()
        except OSError:
            hashes[name] = "unreadable"
    return hashes


def decode_article(source: str, data: bytes) -> Article:
    """Build an article from a file's bytes, decoded as UTF-8 with nothing changed.

    A byte-order mark stays in the text (offsets count it); passages never include it.
    """
    text = data.decode("utf-8")
    return Article(source=source, title=find_title(text, fallback=Path(source).stem), text=text)


def read_corpus(seeds_dir: Path) -> Corpus:
    """Read every article; files that are unreadable or not UTF-8 are skipped and logged."""
    corpus = Corpus(articles=[])
    for name in list_sources(seeds_dir):
        try:
            corpus.articles.append(decode_article(name, (Path(seeds_dir) / name).read_bytes()))
        except (OSError, UnicodeDecodeError) as error:
            reason = f"{type(error).__name__}: {error}"
            log.warning("skipping article %s: %s", name, reason)
            corpus.skipped[name] = reason
    return corpus
