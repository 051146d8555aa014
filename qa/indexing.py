"""Building, publishing, checking and loading the index folder.

Layout of ``index/``::

    index/current -> builds/<build id>       a relative symbolic link, swapped atomically
    index/builds/<build id>/manifest.json    what was built, from what, and file checksums
    index/builds/<build id>/vectors.faiss    passage vectors (qa.store)
    index/builds/<build id>/bm25/            the lexical index (qa.lexical)
    index/builds/<build id>/passages.jsonl   passages with their citations
    index/builds/<build id>/articles.jsonl   the articles' exact text, for the source viewer
    index/builds/<build id>/sentences.npz    sentence spans, for highlighting
    index/builds/<build id>/sentence_vectors.npy  their vectors (float16), memory-mapped
    index/builds/<build id>/alignment.json   passages of other articles reporting the same fact,
                                             and the differences found (qa.corroboration)
    index/builds/<build id>/stories.json     articles grouped into stories, and each article's
                                             specifics (qa.corroboration.stories)

A build is written in a temporary folder under ``builds/``, renamed into place when
complete, and published by replacing the ``current`` link with ``os.replace``, which is
atomic: a build that dies midway leaves ``current`` on the previous, complete build.
Builds are serialised across processes with a lock file. Each published build is a
versioned folder that readers can keep using while a newer one is published.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from qa.citations import verify_citation
from qa.corpus import Corpus, read_corpus, source_hashes
from qa.corroboration import Alignment, alignment_problem, dense_neighbour_count
from qa.corroboration.build import corroborate_corpus
from qa.corroboration.stories import Stories, stories_problem
from qa.embedder import Embedder
from qa.lexical import LexicalIndex, term_set
from qa.models import Article, Passage, Span
from qa.passages import embedding_text, split_article, split_sentences
from qa.store import HNSW_THRESHOLD, StoreError, VectorStore

log = logging.getLogger(__name__)

FORMAT_VERSION = 5
CURRENT = "current"
BUILDS = "builds"
MANIFEST = "manifest.json"
SENTENCE_VECTORS = "sentence_vectors.npy"
ALIGNMENT = "alignment.json"
STORIES = "stories.json"
KEEP_BUILDS = 2


class IndexProblem(RuntimeError):
    """The index folder is missing, stale or damaged; the message says which."""


@dataclass(frozen=True)
class BuildOptions:
    """What a build depends on besides the articles and the model."""

    hnsw_threshold: int = HNSW_THRESHOLD  # exact search below, HNSW from here (qa/store.py)
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    sentence_vectors: bool = True


@dataclass
class LoadedIndex:
    """A complete, checked build in memory (vectors and BM25 memory-mapped)."""

    build_id: str
    path: Path
    manifest: dict[str, Any]
    passages: list[Passage]
    articles: dict[str, Article]
    store: VectorStore
    lexical: LexicalIndex
    sentence_spans: np.ndarray  # (n, 3) int64: passage id, start, end
    sentence_vectors: np.ndarray | None  # (n, d) float16, memory-mapped; None when not built
    sentence_offsets: np.ndarray  # (passages + 1,) row ranges of each passage's sentences
    alignment: Alignment = field(default_factory=Alignment)  # computed at build time
    stories: Stories = field(default_factory=Stories)  # computed at build time

    def passage_terms(self, passage_id: int) -> frozenset[str]:
        """The analysed terms of a passage (``qa.lexical.term_set``, cached)."""
        return term_set(self.passages[passage_id].text)

    def sentences_of(self, passage_id: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Spans (and vectors, if built) of one passage's sentences."""
        lo, hi = int(self.sentence_offsets[passage_id]), int(self.sentence_offsets[passage_id + 1])
        vectors = None if self.sentence_vectors is None else self.sentence_vectors[lo:hi]
        return self.sentence_spans[lo:hi], vectors


def package_version() -> str:
    try:
        return metadata.version("newsqa")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for package in ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tree_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def model_record(embedder: Embedder, passage_prefix: str = "") -> dict[str, Any]:
    """What the manifest records of the model; compared on load to detect a stale index."""
    return {"name": embedder.name, "fingerprint": embedder.fingerprint, "passage_prefix": passage_prefix}


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


def read_manifest(build: Path) -> dict[str, Any]:
    try:
        return json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexProblem(f"unreadable manifest in {build}: {error}") from error


def staleness(manifest: dict[str, Any], hashes: dict[str, str], model: dict[str, Any]) -> list[str]:
    """Why a manifest does not describe the current articles and model (empty if it does)."""
    reasons = []
    if manifest.get("format_version") != FORMAT_VERSION:
        reasons.append(f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}")
    built_model = manifest.get("model", {})
    for key in ("name", "fingerprint", "passage_prefix"):
        if built_model.get(key) != model.get(key):
            reasons.append(f"model {key} changed: {built_model.get(key)!r} -> {model.get(key)!r}")
    built = manifest.get("sources", {})
    added = sorted(set(hashes) - set(built))
    removed = sorted(set(built) - set(hashes))
    changed = sorted(name for name in set(built) & set(hashes) if built[name] != hashes[name])
    if added:
        reasons.append(f"articles added: {', '.join(added)}")
    if removed:
        reasons.append(f"articles removed: {', '.join(removed)}")
    if changed:
        reasons.append(f"articles changed: {', '.join(changed)}")
    return reasons


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """An exclusive lock across processes for building and publishing."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(index_dir) / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def split_corpus(corpus: Corpus, embedder: Embedder) -> list[Passage]:
    """All passages of all articles, numbered in order."""
    passages: list[Passage] = []
    for article in corpus.articles:
        passages.extend(split_article(article, embedder.count_tokens, embedder.window, first_id=len(passages)))
    return passages


def sentence_table(passages: list[Passage], articles: dict[str, Article]) -> tuple[np.ndarray, np.ndarray]:
    """Spans of every passage's sentences, as rows (passage id, start, end), and offsets."""
    rows: list[tuple[int, int, int]] = []
    offsets = [0]
    for passage in passages:
        text = articles[passage.citation.source].text
        for span in split_sentences(text, passage.citation.start, passage.citation.end):
            rows.append((passage.id, span.start, span.end))
        offsets.append(len(rows))
    return np.array(rows, dtype=np.int64).reshape(-1, 3), np.array(offsets, dtype=np.int64)


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False))
            handle.write("\n")


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def build_index(
    seeds_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    options: BuildOptions = BuildOptions(),
    passage_prefix: str = "",
    progress: bool = False,
) -> Path:
    """Build the index from ``seeds_dir`` and publish it atomically; return the build folder."""
    with build_lock(index_dir):
        return _build_locked(Path(seeds_dir), Path(index_dir), embedder, options, passage_prefix, progress)


def _build_locked(
    seeds_dir: Path, index_dir: Path, embedder: Embedder, options: BuildOptions, passage_prefix: str, progress: bool
) -> Path:
    started = time.perf_counter()
    corpus = read_corpus(seeds_dir)
    hashes = source_hashes(seeds_dir)
    passages = split_corpus(corpus, embedder)
    articles = {article.source: article for article in corpus.articles}
    log.info("embedding %d passages from %d articles with %s", len(passages), len(articles), embedder.name)
    vectors = embedder.embed_passages([embedding_text(p) for p in passages], progress=progress)
    store = VectorStore.build(vectors, hnsw_threshold=options.hnsw_threshold)
    lexical = LexicalIndex.build([p.text for p in passages], k1=options.bm25_k1, b=options.bm25_b)
    spans, offsets = sentence_table(passages, articles)
    sentence_vectors = None
    if options.sentence_vectors and len(spans):
        texts = [articles[passages[pid].citation.source].text[start:end] for pid, start, end in spans]
        sentence_vectors = embedder.embed_passages(texts, progress=progress).astype(np.float16)
    alignment_started = time.perf_counter()
    # The alignment's dense candidates come from the store: one batch search, exact below
    # the HNSW threshold, instead of a product of all the vectors (~90 s at 100k passages).
    neighbours = store.neighbours(vectors, dense_neighbour_count(passages))
    corroboration = corroborate_corpus(passages, articles, vectors, spans, offsets, sentence_vectors, neighbours)
    alignment, stories = corroboration.alignment, corroboration.stories
    alignment_seconds = time.perf_counter() - alignment_started

    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"
    staging = builds / f".tmp-{build_id}"
    staging.mkdir()
    try:
        store.save(staging)
        lexical.save(staging)
        _write_jsonl(staging / "passages.jsonl", [p.to_dict() for p in passages])
        _write_jsonl(
            staging / "articles.jsonl",
            [{"source": a.source, "title": a.title, "text": a.text} for a in corpus.articles],
        )
        np.savez(staging / "sentences.npz", spans=spans, offsets=offsets)
        if sentence_vectors is not None:
            # A plain .npy so that workers memory-map it and share its pages.
            np.save(staging / SENTENCE_VECTORS, sentence_vectors)
        (staging / ALIGNMENT).write_text(json.dumps(alignment.to_dict(), ensure_ascii=False), encoding="utf-8")
        (staging / STORIES).write_text(json.dumps(stories.to_dict(), ensure_ascii=False), encoding="utf-8")
        info = store.info
        manifest = {
            "format_version": FORMAT_VERSION,
            "build_id": build_id,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - started, 3),
            "package_version": package_version(),
            "model": {**model_record(embedder, passage_prefix), "dimension": info.dimension, "window": embedder.window},
            "passages": len(passages),
            "articles": len(corpus.articles),
            "sources": hashes,
            "skipped": corpus.skipped,
            "store": {"kind": info.kind, "dimension": info.dimension, "count": info.count},
            "lexical": {"library": "bm25s", "method": "lucene", "k1": options.bm25_k1, "b": options.bm25_b},
            "sentence_vectors": sentence_vectors is not None,
            "embedding": getattr(embedder, "backend", {"kind": "local"}),  # where (qa/cluster.py)
            "alignment": {"pairs": len(alignment.pairs()), "seconds": round(alignment_seconds, 3)},
            "stories": {"count": len(stories.stories), "articles": len(stories.story_of)},
            "versions": _versions(),
            "files": {str(p.relative_to(staging)): _sha256(p) for p in _tree_files(staging)},
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        _fsync_tree(staging)
        final = builds / build_id
        os.rename(staging, final)
        _publish(index_dir, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(index_dir)
    log.info("published index build %s: %d passages in %.1f s", build_id, len(passages), time.perf_counter() - started)
    return final


def _publish(index_dir: Path, build: Path) -> None:
    link = index_dir / CURRENT
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(os.path.relpath(build, index_dir), temporary)
    if link.exists() and not link.is_symlink():
        # A plain folder named "current" is not ours to keep: move it aside first.
        shutil.rmtree(link)
    os.replace(temporary, link)
    directory = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _prune(index_dir: Path) -> None:
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


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_index(
    index_dir: Path, mmap: bool = True, verify_checksums: bool = True, verified_build: str = ""
) -> LoadedIndex:
    """Load the current build and check it; raise ``IndexProblem`` saying what is wrong.

    The file checksums are not recomputed for the build named ``verified_build`` (checked
    by the caller's parent process a moment ago); they are for any other build, even one
    published between the caller's look at ``current`` and this load.
    """
    build = current_build(index_dir)
    if build is None:
        raise IndexProblem(f"no index at {index_dir}")
    manifest = read_manifest(build)
    verify = verify_checksums and build.name != verified_build
    problems = file_problems(build, manifest) if verify else []
    if problems:
        raise IndexProblem(problems[0])
    try:
        passages = [Passage.from_dict(record) for record in _read_jsonl(build / "passages.jsonl")]
        articles = {
            record["source"]: Article(record["source"], record["title"], record["text"])
            for record in _read_jsonl(build / "articles.jsonl")
        }
        store = VectorStore.load(build, mmap=mmap)
        lexical = LexicalIndex.load(build, mmap=mmap)
        with np.load(build / "sentences.npz") as arrays:
            spans = np.asarray(arrays["spans"])
            offsets = np.asarray(arrays["offsets"])
        vectors_path = build / SENTENCE_VECTORS
        # float16 as stored, memory-mapped: at 100k passages (~300k sentences) a float32
        # copy per worker was 450 MB of private memory (bench/scale.py).
        sentence_vectors = np.load(vectors_path, mmap_mode="r" if mmap else None) if vectors_path.is_file() else None
        alignment = Alignment.from_dict(json.loads((build / ALIGNMENT).read_text(encoding="utf-8")))
        stories = Stories.from_dict(json.loads((build / STORIES).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, StoreError) as error:
        raise IndexProblem(f"cannot read index build {build.name}: {error}") from error
    count = manifest.get("passages")
    if not (count == len(passages) == len(store) == len(lexical)) or len(offsets) != len(passages) + 1:
        raise IndexProblem(
            f"index counts disagree: manifest {count}, passages {len(passages)}, "
            f"vectors {len(store)}, lexical {len(lexical)}"
        )
    for position, passage in enumerate(passages):
        article = articles.get(passage.citation.source)
        if passage.id != position or article is None:
            raise IndexProblem(f"passage {position} has no article or a wrong id")
        if not verify_citation(article.text, passage.citation.start, passage.citation.end, passage.text):
            raise IndexProblem(f"passage {position} does not slice its source exactly")
    problem = alignment_problem(alignment, passages, {source: a.text for source, a in articles.items()})
    if problem:
        raise IndexProblem(f"alignment does not fit the passages: {problem}")
    problem = stories_problem(stories, list(articles))
    if problem:
        raise IndexProblem(f"stories do not fit the articles: {problem}")
    return LoadedIndex(
        build_id=build.name,
        path=build,
        manifest=manifest,
        passages=passages,
        articles=articles,
        store=store,
        lexical=lexical,
        sentence_spans=spans,
        sentence_vectors=sentence_vectors,
        sentence_offsets=offsets,
        alignment=alignment,
        stories=stories,
    )


def file_problems(build: Path, manifest: dict[str, Any]) -> list[str]:
    """Index files of a build that are missing or differ from the manifest's checksums."""
    problems = []
    for name, digest in manifest.get("files", {}).items():
        path = build / name
        if not path.is_file():
            problems.append(f"index file missing: {name}")
        elif _sha256(path) != digest:
            problems.append(f"index file damaged (checksum mismatch): {name}")
    return problems


def index_status(index_dir: Path, seeds_dir: Path, model: dict[str, Any], verify_files: bool = True) -> list[str]:
    """Reasons to rebuild, from the manifest, the articles' hashes and (``verify_files``)
    the index files' checksums, without loading anything; empty when up to date.

    ``qa serve`` calls this before it starts workers, so a truncated or damaged build is
    rebuilt (or refused, with ``QA_AUTO_BUILD=false``) with a one-line reason.
    """
    build = current_build(index_dir)
    if build is None:
        return ["no index has been built"]
    try:
        manifest = read_manifest(build)
    except IndexProblem as problem:
        return [str(problem)]
    reasons = staleness(manifest, source_hashes(seeds_dir), model)
    if verify_files and not reasons:
        reasons = file_problems(build, manifest)
    return reasons


def ensure_index(
    seeds_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    options: BuildOptions = BuildOptions(),
    passage_prefix: str = "",
    rebuild: bool = True,
    progress: bool = False,
    verified_build: str = "",
) -> LoadedIndex:
    """Load an up-to-date index, rebuilding it (and logging why) when it is missing or stale.

    With ``rebuild=False`` a stale or damaged index raises ``IndexProblem`` instead. The
    files of the build named ``verified_build`` (checked by the caller's parent process a
    moment ago) are not hashed again; every other build's are.
    """
    model = model_record(embedder, passage_prefix)
    reasons = index_status(index_dir, seeds_dir, model, verify_files=False)  # load_index checks the files
    if not reasons:
        try:
            return load_index(index_dir, verified_build=verified_build)
        except IndexProblem as problem:
            reasons = [str(problem)]
    if not rebuild:
        raise IndexProblem("; ".join(reasons))
    with build_lock(index_dir):
        # Another process may have rebuilt while this one waited for the lock.
        reasons_now = index_status(index_dir, seeds_dir, model, verify_files=False)
        if not reasons_now:
            try:
                return load_index(index_dir)
            except IndexProblem as problem:
                reasons_now = [str(problem)]
        log.warning("rebuilding the index: %s", "; ".join(reasons_now))
        _build_locked(Path(seeds_dir), Path(index_dir), embedder, options, passage_prefix, progress)
    return load_index(index_dir)
