"""Building an index: articles -> passages -> vectors, BM25, sentences, alignment -> a published build.

A build is incremental by default. It reuses, from the current build, the passages,
passage vectors, sentences and sentence vectors of every article whose input bytes are
unchanged (the digest of its file, or of its feed line), as long as the model (name,
fingerprint, passage prefix), the readers and the passage rules (``reuse_key``) are the
same; it embeds only new or changed articles, and removed articles simply are not carried
over. File times play no part. ``BuildContext.full`` (``qa index --full``) ignores the
previous build. The parts that depend on the whole corpus are recomputed every time:
BM25 statistics, the vector store, the stories and the alignment across articles
(``corroborate``, which gets the unchanged articles' specifics back).
So an incremental build equals a full build of the same files (``tests/test_incremental.py``).

Steps, each a function below: ``read_corpus`` -> ``plan`` (reuse or split each article)
-> ``encoder.encode`` (new texts only, ``qa.index.embed``) -> ``assemble`` -> BM25 and
store -> ``corroborate`` (stories, alignment) -> the build folder (staged and published atomically,
``qa.index.publish``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from qa.corroboration import SentenceTable, dense_neighbour_count, numbers, specifics
from qa.corroboration import mentions as corroboration_mentions
from qa.corroboration.build import CorroborationData, PreviousCorroboration, corroborate_corpus
from qa.embedding.embedder import Embedder, model_record
from qa.embedding.embedder import manifest_section as model_section
from qa.index.embed import Encoder, LocalEncoder, StageProgress
from qa.index.layout import (
    ALIGNMENT,
    FORMAT_VERSION,
    STORIES,
    IndexProblem,
    checksums,
    package_version,
    package_versions,
    read_manifest,
    write_articles,
    write_json,
    write_manifest,
    write_passages,
    write_sentences,
)
from qa.index.lexical import LexicalIndex
from qa.index.load import LoadedIndex, load_build, load_index
from qa.index.publish import build_lock, current_build, new_build_id, staged_build
from qa.index.status import index_status
from qa.index.store import VectorStore
from qa.ingest import formats
from qa.ingest import passages as passage_rules
from qa.ingest.corpus import Corpus, read_corpus
from qa.ingest.formats import Entry, reader_versions
from qa.ingest.passages import embedding_text, split_article
from qa.models import Article, Passage
from qa.settings import BuildOptions
from qa.storage import sha256_files
from qa.text import mentions, names, normalise, paragraphs, sentences, tokens
from qa.text.sentences import split_sentences

log = logging.getLogger(__name__)


@dataclass
class BuildContext:
    """Everything one build needs besides the articles: where, with which model, how."""

    seeds_dir: Path
    index_dir: Path
    embedder: Embedder
    options: BuildOptions = field(default_factory=BuildOptions)
    progress: bool = False
    full: bool = False  # ignore the previous build: re-read, re-split and re-embed everything
    encoder: Encoder | None = None  # default: LocalEncoder(embedder) in this process

    def __post_init__(self) -> None:
        self.seeds_dir = Path(self.seeds_dir)
        self.index_dir = Path(self.index_dir)
        if self.encoder is None:
            self.encoder = LocalEncoder(self.embedder, progress=self.progress)

    @property
    def model(self) -> dict[str, Any]:
        return model_record(self.embedder)


def rules_fingerprint() -> str:
    """Identifies the code that turns bytes into passages: the readers, the passage rules
    and the text rules they use (blanks, paragraphs, sentences, token counting)."""
    modules = (formats, passage_rules, normalise, paragraphs, sentences, tokens)
    return sha256_files(Path(module.__file__ or "") for module in modules)[:16]


def specifics_fingerprint() -> str:
    """Identifies the code that reads an article's story specifics (names, dates, numbers):
    a build hands back the specifics of unchanged articles only when it is the same."""
    modules = (specifics, numbers, corroboration_mentions, mentions, names, normalise)
    return sha256_files(Path(module.__file__ or "") for module in modules)[:16]


def reuse_key(context: BuildContext) -> dict[str, Any]:
    """What must be equal for a build to reuse another's per-article data."""
    return {
        "format_version": FORMAT_VERSION,
        "model": context.model,
        "readers": reader_versions(),
        "rules": rules_fingerprint(),
        "sentence_vectors": context.options.sentence_vectors,
    }


# --------------------------------------------------------------------------- reuse


def previous_build(context: BuildContext) -> LoadedIndex | None:
    """The current build, if its per-article data can be reused by this build."""
    if context.full:
        return None
    build = current_build(context.index_dir)
    if build is None:
        return None
    try:
        # The key first, from the manifest alone: a build of another format is not even loaded.
        if read_manifest(build).get("reuse_key") != reuse_key(context):
            log.info("not reusing build %s: the format, model, readers or passage rules changed", build.name)
            return None
        return load_build(build)
    except IndexProblem as problem:
        log.warning("not reusing build %s: %s", build.name, problem)
        return None


@dataclass
class ArticlePlan:
    """One article of the new build: reused from the previous build, or split anew."""

    entry: Entry
    previous_ids: list[int] = field(default_factory=list)  # its passage ids in the previous build
    passages: list[Passage] = field(default_factory=list)  # when split anew (ids renumbered later)
    reused: bool = False


def plan(corpus: Corpus, previous: LoadedIndex | None, context: BuildContext) -> list[ArticlePlan]:
    """For each article, in order: reuse its previous passages, or cut it into passages now."""
    by_source: dict[str, list[int]] = {}
    if previous is not None:
        for passage in previous.passages:
            by_source.setdefault(passage.citation.source, []).append(passage.id)
    plans = []
    fresh = []
    for entry in corpus.entries:
        source = entry.article.source
        if previous is not None and previous.digests.get(source) == entry.digest and source in previous.articles:
            plans.append(ArticlePlan(entry, previous_ids=by_source.get(source, []), reused=True))
        else:
            plans.append(ArticlePlan(entry))
            fresh.append(plans[-1])
    if fresh:
        count_tokens, window = context.embedder.count_tokens, context.embedder.window
        with StageProgress("split articles", len(fresh), "article", context.progress) as progress:
            for item in fresh:
                item.passages = split_article(item.entry.article, count_tokens, window)
                progress.update(1)
    return plans


def split_corpus(corpus: Corpus, embedder: Embedder) -> list[Passage]:
    """All passages of all articles, numbered in order (a full split, for tools and tests)."""
    passages: list[Passage] = []
    for article in corpus.articles:
        passages.extend(split_article(article, embedder.count_tokens, embedder.window, first_id=len(passages)))
    return passages


def passage_sentences(text: str, passage: Passage) -> list[tuple[int, int, int]]:
    """The sentence rows (passage id, start, end) of one passage of ``text``."""
    return [(passage.id, span.start, span.end) for span in split_sentences(text, passage.citation.start, passage.citation.end)]


def sentence_table(passages: list[Passage], articles: dict[str, Article]) -> tuple[np.ndarray, np.ndarray]:
    """Spans of every passage's sentences, as rows (passage id, start, end), and offsets."""
    rows: list[tuple[int, int, int]] = []
    offsets = [0]
    for passage in passages:
        rows.extend(passage_sentences(articles[passage.citation.source].text, passage))
        offsets.append(len(rows))
    return np.array(rows, dtype=np.int64).reshape(-1, 3), np.array(offsets, dtype=np.int64)


@dataclass
class Assembled:
    """The new build's passages, vectors and sentence table, in article order."""

    passages: list[Passage]
    vectors: np.ndarray
    spans: np.ndarray
    offsets: np.ndarray
    sentence_vectors: np.ndarray | None


def _renumber(passage: Passage, new_id: int) -> Passage:
    return Passage(new_id, passage.text, passage.citation, passage.kind, passage.heading, passage.part)


def assemble(plans: list[ArticlePlan], previous: LoadedIndex | None, context: BuildContext) -> Assembled:
    """Number the passages, reuse or embed their vectors, and build the sentence table."""
    encoder = context.encoder
    assert encoder is not None
    passages: list[Passage] = []
    origin: list[int] = []  # previous passage id, or -1 for a passage to embed
    for item in plans:
        if item.reused and previous is not None:
            for old in item.previous_ids:
                passages.append(_renumber(previous.passages[old], len(passages)))
                origin.append(old)
        else:
            for passage in item.passages:
                passages.append(_renumber(passage, len(passages)))
                origin.append(-1)
    origin_ids = np.array(origin, dtype=np.int64)
    fresh = np.flatnonzero(origin_ids < 0)
    reused = np.flatnonzero(origin_ids >= 0)
    log.info(
        "embedding %d of %d passages with %s (%d of %d articles reused from the previous build)",
        len(fresh), len(passages), context.embedder.name, sum(item.reused for item in plans), len(plans),
    )
    new_vectors = encoder.encode([embedding_text(passages[i]) for i in fresh], "passages")
    if len(fresh):
        dimension = int(new_vectors.shape[1])
    elif previous is not None:
        dimension = int(previous.store.describe()["dimension"])  # nothing new: no need to load the model
    else:
        dimension = context.embedder.dimension
    vectors = np.zeros((len(passages), dimension), dtype=np.float32)
    if len(fresh):
        vectors[fresh] = new_vectors
    if len(reused) and previous is not None:
        vectors[reused] = previous.store.vectors(origin_ids[reused])

    texts = {item.entry.article.source: item.entry.article.text for item in plans}
    rows: list[tuple[int, int, int]] = []
    offsets = [0]
    sentence_origin: list[int] = []  # previous sentence row, or -1 for a sentence to embed
    for passage, old in zip(passages, origin):
        if old >= 0 and previous is not None:
            lo, hi = int(previous.sentence_offsets[old]), int(previous.sentence_offsets[old + 1])
            for row in range(lo, hi):
                rows.append((passage.id, int(previous.sentence_spans[row, 1]), int(previous.sentence_spans[row, 2])))
                sentence_origin.append(row)
        else:
            new_rows = passage_sentences(texts[passage.citation.source], passage)
            rows.extend(new_rows)
            sentence_origin.extend([-1] * len(new_rows))
        offsets.append(len(rows))
    spans = np.array(rows, dtype=np.int64).reshape(-1, 3)
    sentence_vectors = None
    if context.options.sentence_vectors and len(spans):
        sentence_ids = np.array(sentence_origin, dtype=np.int64)
        fresh_rows = np.flatnonzero(sentence_ids < 0)
        reused_rows = np.flatnonzero(sentence_ids >= 0)
        sentence_vectors = np.zeros((len(spans), vectors.shape[1]), dtype=np.float16)
        if len(fresh_rows):
            sentence_texts = [texts[passages[spans[r, 0]].citation.source][spans[r, 1] : spans[r, 2]] for r in fresh_rows]
            sentence_vectors[fresh_rows] = encoder.encode(sentence_texts, "sentences").astype(np.float16)
        if len(reused_rows) and previous is not None and previous.sentence_vectors is not None:
            sentence_vectors[reused_rows] = np.asarray(previous.sentence_vectors[sentence_ids[reused_rows]])
    return Assembled(passages, vectors, spans, np.array(offsets, dtype=np.int64), sentence_vectors)


# --------------------------------------------------------------------------- corroboration


def corroborate(
    assembled: Assembled, articles: dict[str, Article], store: VectorStore, reused: set[str], previous: LoadedIndex | None
) -> tuple[CorroborationData, dict[str, Any]]:
    """Stories and the alignment within stories (``qa.corroboration.build``), and their manifest sections.

    Stories depend on the whole corpus, so they are found again on every build; what is
    per article and unchanged is handed back: the specifics of the ``reused`` articles,
    and the links of every story whose articles are all reused (only the stories a
    changed article touches are aligned again).
    """
    started = time.perf_counter()
    known = None
    earlier = None
    fingerprint = specifics_fingerprint()
    if previous is not None:
        if previous.manifest.get("stories", {}).get("specifics_rules") == fingerprint:
            known = {source: keys for source, keys in previous.stories.specifics.items() if source in reused}
        else:
            log.info("not reusing the previous build's specifics: the rules that read them changed")
        earlier = PreviousCorroboration(previous.stories, previous.alignment, previous.passages, frozenset(reused))
    # The alignment's dense candidates come from the store: one batch search, exact below
    # the HNSW threshold, instead of a product of all the vectors (~90 s at 100k passages).
    neighbours = store.neighbours(assembled.vectors, dense_neighbour_count(assembled.passages))
    sentences = SentenceTable(assembled.spans, assembled.offsets, assembled.sentence_vectors)
    data = corroborate_corpus(
        assembled.passages, articles, assembled.vectors, sentences, neighbours, known_specifics=known, previous=earlier
    )
    sections = data.manifest_sections(round(time.perf_counter() - started, 3), specifics_reused=len(known or {}))
    sections["stories"]["specifics_rules"] = fingerprint
    return data, sections


# --------------------------------------------------------------------------- the build


def build_index(context: BuildContext) -> Path:
    """Build the index (incrementally unless ``context.full``) and publish it; return its folder."""
    with build_lock(context.index_dir):
        return _build_locked(context)


def _build_locked(context: BuildContext) -> Path:
    started = time.perf_counter()
    corpus = read_corpus(context.seeds_dir)
    previous = previous_build(context)
    plans = plan(corpus, previous, context)
    if not any(item.reused or item.passages for item in plans):
        skipped = f" ({len(corpus.skipped)} skipped)" if corpus.skipped else ""
        raise IndexProblem(f"no article to index in {context.seeds_dir}{skipped}: the previous index stays")
    assembled = assemble(plans, previous, context)
    store = VectorStore.build(assembled.vectors, hnsw_threshold=context.options.hnsw_threshold)
    lexical = LexicalIndex.build([p.text for p in assembled.passages], k1=context.options.bm25_k1, b=context.options.bm25_b)
    articles = {entry.article.source: entry.article for entry in corpus.entries}
    reused_sources = {item.entry.article.source for item in plans if item.reused}
    corroboration, sections = corroborate(assembled, articles, store, reused_sources, previous)

    reused = len(reused_sources)
    removed = 0 if previous is None else len(set(previous.articles) - set(articles))
    if previous is None or reused < len(plans):
        window = context.embedder.window
    else:
        window = previous.manifest["model"].get("window")  # nothing split: no need to load the model
    build_id = new_build_id()
    with staged_build(context.index_dir, build_id) as staging:
        store.save(staging)
        lexical.save(staging)
        write_passages(staging, assembled.passages)
        write_articles(staging, [(entry.article, entry.digest) for entry in corpus.entries])
        write_sentences(staging, assembled.spans, assembled.offsets, assembled.sentence_vectors)
        write_json(staging / ALIGNMENT, corroboration.alignment.to_dict())
        write_json(staging / STORIES, corroboration.stories.to_dict())
        manifest = {
            "format_version": FORMAT_VERSION,
            "build_id": build_id,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - started, 3),
            "package_version": package_version(),
            "model": model_section(context.embedder, store.describe()["dimension"], window),
            "reuse_key": reuse_key(context),
            "passages": len(assembled.passages),
            "articles": len(corpus.entries),
            "sources": corpus.hashes,
            "skipped": corpus.skipped,
            "incremental": {
                "previous_build": previous.build_id if previous is not None else None,
                "articles_reused": reused,
                "articles_embedded": len(plans) - reused,
                "articles_removed": removed,
                "texts_embedded": getattr(context.encoder, "embedded", None),
            },
            "store": store.describe(),
            "lexical": lexical.describe(),
            "sentence_vectors": assembled.sentence_vectors is not None,
            # Where the vectors were computed: {"kind": "local"}, or the Ray cluster (qa/index/cluster.py).
            "embedding": getattr(getattr(context.encoder, "embedder", None), "backend", {"kind": "local"}),
            **sections,
            "versions": package_versions(),
            "files": checksums(staging),
        }
        write_manifest(staging, manifest)
    log.info(
        "published index build %s: %d passages (%d of %d articles reused, %d removed) in %.1f s",
        build_id, len(assembled.passages), reused, len(plans), removed, time.perf_counter() - started,
    )
    return context.index_dir / "builds" / build_id


def ensure_index(
    context: BuildContext, rebuild: bool = True, verified_build: str = "", check_articles: bool = True
) -> LoadedIndex:
    """Load an up-to-date index, building it (and logging why) when it is missing or stale.

    With ``rebuild=False`` a stale or damaged index raises ``IndexProblem`` instead. The
    files of the build named ``verified_build`` (checked by the caller's parent process a
    moment ago) are not hashed again; every other build's are. With ``check_articles=False``
    articles changed since the build do not make it stale (a model change still does).
    """
    model = context.model
    # load_index checks the files
    reasons = index_status(context.index_dir, context.seeds_dir, model, verify_files=False, check_articles=check_articles)
    if not reasons:
        try:
            return load_index(context.index_dir, verified_build=verified_build)
        except IndexProblem as problem:
            reasons = [str(problem)]
    if not rebuild:
        raise IndexProblem("; ".join(reasons))
    with build_lock(context.index_dir):
        # Another process may have rebuilt while this one waited for the lock.
        reasons_now = index_status(context.index_dir, context.seeds_dir, model, verify_files=False)
        if not reasons_now:
            try:
                return load_index(context.index_dir)
            except IndexProblem as problem:
                reasons_now = [str(problem)]
        log.warning("rebuilding the index: %s", "; ".join(reasons_now))
        _build_locked(context)
    return load_index(context.index_dir)
