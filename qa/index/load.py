"""Loading the current build into memory, and checking that it holds together.

This is the reading side of the index, the only part that ``qa.search`` and the web edge
need: no embedding, no building. ``load_index`` verifies the files' checksums (unless the
caller's parent process just did), the counts, every citation (``text[start:end]`` is the
passage), the alignment and the stories, and raises ``IndexProblem`` saying what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.corroboration import Alignment, alignment_problem
from qa.corroboration.stories import Stories, stories_problem
from qa.index.layout import (
    ALIGNMENT,
    STORIES,
    IndexProblem,
    file_problems,
    read_articles,
    read_json,
    read_manifest,
    read_passages,
    read_sentences,
)
from qa.index.lexical import LexicalIndex
from qa.index.publish import current_build
from qa.index.store import StoreError, VectorStore
from qa.models import Article, Passage, verify_citation
from qa.text.analyzer import term_set


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
    digests: dict[str, str] = field(default_factory=dict)  # source -> digest of the bytes it was read from

    def passage_terms(self, passage_id: int) -> frozenset[str]:
        """The analysed terms of a passage (``qa.text.analyzer.term_set``, cached)."""
        return term_set(self.passages[passage_id].text)

    def sentences_of(self, passage_id: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Spans (and vectors, if built) of one passage's sentences."""
        lo, hi = int(self.sentence_offsets[passage_id]), int(self.sentence_offsets[passage_id + 1])
        vectors = None if self.sentence_vectors is None else self.sentence_vectors[lo:hi]
        return self.sentence_spans[lo:hi], vectors

    def best_sentence_similarities(self, vector: np.ndarray, passage_ids: np.ndarray) -> np.ndarray:
        """For each passage, the cosine of its closest sentence to ``vector``.

        ``NaN`` where a passage has no sentence vectors (none built, or no sentence).
        One gather and one product over the candidates' sentences, then a segmented max.
        """
        ids = np.asarray(passage_ids, dtype=np.int64)
        best = np.full(len(ids), np.nan, dtype=np.float64)
        if self.sentence_vectors is None or len(ids) == 0:
            return best
        lo, hi = self.sentence_offsets[ids], self.sentence_offsets[ids + 1]
        counts = hi - lo
        present = counts > 0
        if not present.any():
            return best
        counts = counts[present]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        # Row numbers of every candidate's sentences, without a Python loop.
        rows = np.repeat(lo[present] - starts, counts) + np.arange(int(counts.sum()))
        similarities = np.asarray(self.sentence_vectors[rows], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        best[present] = np.maximum.reduceat(similarities, starts)
        return best

    @property
    def skipped(self) -> dict[str, str]:
        """Files (or feed lines) the build skipped, with why."""
        return dict(self.manifest.get("skipped", {}))


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
    return load_build(build, mmap=mmap, verify_checksums=verify_checksums and build.name != verified_build)


def load_build(build: Path, mmap: bool = True, verify_checksums: bool = True) -> LoadedIndex:
    """Load and check one build folder."""
    manifest = read_manifest(build)
    problems = file_problems(build, manifest) if verify_checksums else []
    if problems:
        raise IndexProblem(problems[0])
    try:
        passages = read_passages(build)
        entries = read_articles(build)
        store = VectorStore.load(build, mmap=mmap)
        lexical = LexicalIndex.load(build, mmap=mmap)
        spans, offsets, sentence_vectors = read_sentences(build, mmap=mmap)
        alignment = Alignment.from_dict(read_json(build / ALIGNMENT))
        stories = Stories.from_dict(read_json(build / STORIES))
    except (OSError, ValueError, KeyError, TypeError, StoreError) as error:
        raise IndexProblem(f"cannot read index build {build.name}: {error}") from error
    articles = {article.source: article for article, _ in entries}
    index = LoadedIndex(
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
        digests={article.source: digest for article, digest in entries},
    )
    problem = consistency_problem(index)
    if problem:
        raise IndexProblem(problem)
    return index


def consistency_problem(index: LoadedIndex) -> str:
    """Why a loaded build does not hold together (counts, citations, alignment); empty if it does."""
    passages, manifest = index.passages, index.manifest
    count = manifest.get("passages")
    if (
        not (count == len(passages) == len(index.store) == len(index.lexical))
        or len(index.sentence_offsets) != len(passages) + 1
    ):
        return (
            f"index counts disagree: manifest {count}, passages {len(passages)}, "
            f"vectors {len(index.store)}, lexical {len(index.lexical)}"
        )
    for position, passage in enumerate(passages):
        article = index.articles.get(passage.citation.source)
        if passage.id != position or article is None:
            return f"passage {position} has no article or a wrong id"
        if not verify_citation(article.text, passage.citation.start, passage.citation.end, passage.text):
            return f"passage {position} does not slice its source exactly"
    problem = alignment_problem(index.alignment, passages, {source: a.text for source, a in index.articles.items()})
    if problem:
        return f"alignment does not fit the passages: {problem}"
    problem = stories_problem(index.stories, list(index.articles))
    return f"stories do not fit the articles: {problem}" if problem else ""
