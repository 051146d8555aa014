"""``ask``: answering a question with cited passages, the best sentence, and corroboration.

The data flow reads straight down in ``ask``::

    question (+ history) -> query text (followups) -> embedder -> vector store (dense candidates)
                                                   -> lexical index (BM25 of every passage)
    -> fuse (ranking) -> top k, diversified -> abstain? (ranking) -> best sentence (highlight)
    -> corroboration looked up (computed at index time, qa.corroboration) -> Answer

Only the loading side of the index is read here (``qa.index.load``, with its store and
lexical index), never the builder.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.corroboration.attach import with_corroboration
from qa.embedding.embedder import Embedder
from qa.index.lexical import LexicalScores
from qa.index.load import LoadedIndex
from qa.models import Abstention, Answer, Hit, SearchFilter
from qa.search.filters import passage_mask, scope_of
from qa.search.followups import query_with_context
from qa.search.highlight import highlight
from qa.search.ranking import RankingSettings, abstention_for, diversify, fuse, with_best_sentence
from qa.search.timing import StageTimes
from qa.text.answer_types import answer_types


# Under a filter admitting at most this many passages, every one is a dense candidate
# (their vectors are read and scored exactly); above it, the store is searched deeper.
EXACT_FILTERED = 8192


def dense_candidates(index: LoadedIndex, vector: np.ndarray, pool: int, allowed: np.ndarray | None) -> np.ndarray:
    """The nearest passages' ids, among those ``allowed`` when a filter is active."""
    if allowed is None:
        return index.store.search(vector, pool)[1]
    admitted = np.flatnonzero(allowed)
    if len(admitted) <= max(pool, EXACT_FILTERED):
        return admitted
    depth = min(len(allowed), pool * max(1, len(allowed) // len(admitted)) * 2)
    _, ids = index.store.search(vector, depth)
    ids = ids[ids >= 0]
    return ids[allowed[ids]][:pool]


def score_candidates(
    index: LoadedIndex,
    vector: np.ndarray,
    lexical: LexicalScores,
    dense_ids: np.ndarray,
    pool: int,
    allowed: np.ndarray | None,
    settings: RankingSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The candidates (the dense ones and the ``pool`` best by BM25, among those ``allowed``),
    with their dense similarity, that mixed with their best sentence's, and the fused score."""
    total = len(index.passages)
    if allowed is not None:
        lexical.bm25 = np.where(allowed, lexical.bm25, 0.0)
    # argpartition, not a full sort: O(n) over 100k passages instead of ~3 ms (bench/scale.py).
    lexical_ids = np.argpartition(-lexical.bm25, pool - 1)[:pool] if pool < total else np.arange(total)
    lexical_ids = lexical_ids[lexical.bm25[lexical_ids] > 0]
    candidates = np.unique(np.concatenate([dense_ids, lexical_ids]).astype(np.int64))
    dense = index.store.similarities(vector, candidates)
    with_sentences = with_best_sentence(dense, index.best_sentence_similarities(vector, candidates), settings.sentence_weight)
    fused = fuse(with_sentences, lexical.bm25[candidates], settings)
    if settings.lead_weight != 1.0:
        is_lead = np.array([index.passages[i].kind == "lead" for i in candidates])
        fused = np.where(is_lead, fused * settings.lead_weight, fused)
    return candidates, dense, with_sentences, fused


def ask(
    index: LoadedIndex,
    embedder: Embedder,
    question: str,
    k: int = 5,
    history: Sequence[str] = (),
    settings: RankingSettings = RankingSettings(),
    search_filter: SearchFilter = SearchFilter(),
) -> Answer:
    """The k best passages for the question, best first, and whether they answer it.

    With an active ``search_filter``, only the passages of the articles it admits
    (``qa.search.filters``) are searched.
    """
    query, context = query_with_context(question, history)
    total = len(index.passages)
    times = StageTimes()
    allowed = None
    if total and search_filter.active:
        allowed = passage_mask(index.passages, scope_of(index.articles, search_filter).sources)
    if total == 0 or (allowed is not None and not allowed.any()):
        return Answer(
            question=question,
            hits=[],
            context_used=context,
            abstention=Abstention("empty_index" if total == 0 else "no_matching_articles"),
            timings_ms=times.ms,
        )

    with times.stage("lexical"):
        lexical = index.lexical.score(query)
        if context:
            # The new question's own words weigh double against those borrowed from history.
            own = index.lexical.score(question)
            lexical.bm25 = lexical.bm25 + own.bm25
            lexical.coverage = np.maximum(own.coverage, lexical.coverage)
    with times.stage("embed"):
        vector = embedder.embed_query(query)

    pool = min(total, max(settings.candidates, k))
    with times.stage("dense"):
        dense_ids = dense_candidates(index, vector, pool, allowed)
    with times.stage("rank"):
        candidates, dense, with_sentences, fused = score_candidates(index, vector, lexical, dense_ids, pool, allowed, settings)
        ranked = np.argsort(-fused, kind="stable")[: max(k * 3, k + 5)]
        ids = [int(candidates[position]) for position in ranked]
        order = diversify(
            range(len(ids)),
            [index.passages[i].citation.source for i in ids],
            [index.passage_terms(i) for i in ids],
            settings.duplicate_overlap,
            limit=k,
        )
        order = [int(ranked[position]) for position in order]
        # Abstention reads the same sentence-aware dense scores, best first, then checks that
        # the best passage's article names what the question names, and that a passage
        # answering "when" gives a date (docs/quality.md).
        best_first = np.sort(with_sentences)[::-1]
        top = index.passages[int(candidates[order[0]])] if order else None
        kinds = answer_types(question)
        abstention = abstention_for(
            query,
            kinds,
            best_first,
            None if top is None else index.articles[top.citation.source].text,
            None if top is None else top.text,
            settings,
        )
    hits = []
    with times.stage("highlight"):
        for rank, position in enumerate(order, start=1):
            passage_id = int(candidates[position])
            hits.append(
                Hit(
                    passage=index.passages[passage_id],
                    score=round(float(fused[position]), 6),
                    dense=round(float(dense[position]), 6),
                    lexical=round(float(lexical.bm25[passage_id]), 6),
                    rank=rank,
                    highlight=highlight(index, passage_id, vector, lexical.weights, settings, kinds),
                )
            )
    answer = Answer(
        question=question,
        hits=hits,
        context_used=context,
        abstention=abstention,
        timings_ms=times.ms,
    )
    # Corroboration was computed at index time: attaching it to the hits is a lookup.
    with times.stage("corroboration"):
        return with_corroboration(answer, index.alignment, index.passages, index.articles, index.stories.story_of)
