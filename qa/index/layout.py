"""The files of one index build, each with its writer and its reader.

Layout of ``index/``::

    index/current -> builds/<build id>       a relative symbolic link, swapped atomically (publish)
    index/builds/<build id>/manifest.json    what was built, from what; each component's section; checksums
    index/builds/<build id>/vectors.faiss    passage vectors (qa.index.store)
    index/builds/<build id>/bm25/            the lexical index (qa.index.lexical)
    index/builds/<build id>/passages.jsonl   passages with their citations
    index/builds/<build id>/articles.jsonl   the articles' canonical text, metadata and input digest
    index/builds/<build id>/sentences.npz    sentence spans, for highlighting
    index/builds/<build id>/sentence_vectors.npy  their vectors (float16), memory-mapped
    index/builds/<build id>/alignment.json   passages of other articles reporting the same fact,
                                             and the differences found (qa.corroboration)
    index/builds/<build id>/stories.json     articles grouped into stories, and each article's
                                             specifics (qa.corroboration.stories)

Nothing here decides what goes into a build (``qa.index.build``) or when it is served
(``qa.index.publish``, ``qa.index.load``).
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from qa.models import Article, Passage
from qa.storage import checksum_problems, folder_checksums

# Bump when a file's shape changes: older builds are then stale and rebuilt in full.
# 7: the manifest's sections are each written by their component (qa.embedding.embedder, the store,
# the lexical index, qa.corroboration); the model section holds both prefixes.
FORMAT_VERSION = 8
CURRENT = "current"
BUILDS = "builds"
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
ARTICLES = "articles.jsonl"
SENTENCES = "sentences.npz"
SENTENCE_VECTORS = "sentence_vectors.npy"
ALIGNMENT = "alignment.json"
STORIES = "stories.json"


class IndexProblem(RuntimeError):
    """The index folder is missing, stale or damaged; the message says which."""


def package_version() -> str:
    """This package's version, as the manifest and the API description record it."""
    try:
        return metadata.version("newsqa")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def package_versions() -> dict[str, str]:
    """Python's and the libraries' versions a build was made with (the manifest's ``versions``)."""
    versions = {"python": sys.version.split()[0]}
    for package in ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "numpy", "trafilatura"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a build but the manifest, by relative path (the manifest's ``files``)."""
    return folder_checksums(folder, exclude=(MANIFEST,))


def file_problems(build: Path, manifest: dict[str, Any]) -> list[str]:
    """Files of a build that are missing or differ from the manifest's checksums."""
    messages = {"missing": "index file missing: {}", "damaged": "index file damaged (checksum mismatch): {}"}
    return [messages[problem].format(name) for name, problem in checksum_problems(build, manifest.get("files", {}))]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False))
            handle.write("\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (Path(folder) / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def read_manifest(build: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(build) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexProblem(f"unreadable manifest in {build}: {error}") from error


def write_passages(folder: Path, passages: list[Passage]) -> None:
    write_jsonl(Path(folder) / PASSAGES, [p.to_dict() for p in passages])


def read_passages(folder: Path) -> list[Passage]:
    return [Passage.from_dict(record) for record in read_jsonl(Path(folder) / PASSAGES)]


def write_articles(folder: Path, articles: list[tuple[Article, str]]) -> None:
    """Each article's canonical text and metadata, and the digest of the bytes it came from."""
    write_jsonl(Path(folder) / ARTICLES, [{**article.to_dict(), "digest": digest} for article, digest in articles])


def read_articles(folder: Path) -> list[tuple[Article, str]]:
    """(article, digest) pairs, in build order."""
    return [(Article.from_dict(record), str(record.get("digest", ""))) for record in read_jsonl(Path(folder) / ARTICLES)]


def write_sentences(folder: Path, spans: np.ndarray, offsets: np.ndarray, vectors: np.ndarray | None) -> None:
    np.savez(Path(folder) / SENTENCES, spans=spans, offsets=offsets)
    if vectors is not None:
        # A plain .npy so that workers memory-map it and share its pages.
        np.save(Path(folder) / SENTENCE_VECTORS, vectors)


def read_sentences(folder: Path, mmap: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Sentence spans (passage id, start, end), each passage's row range, and the vectors if built."""
    with np.load(Path(folder) / SENTENCES) as arrays:
        spans = np.asarray(arrays["spans"])
        offsets = np.asarray(arrays["offsets"])
    path = Path(folder) / SENTENCE_VECTORS
    # float16 as stored, memory-mapped: at 100k passages (~300k sentences) a float32
    # copy per worker was 450 MB of private memory (bench/scale.py).
    vectors = np.load(path, mmap_mode="r" if mmap else None) if path.is_file() else None
    return spans, offsets, vectors


def write_json(path: Path, data: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
