"""Answering a question: embed it, score passages both ways, fuse, abstain or highlight.

The data flow reads straight down in ``ask``::

    question (+ history) -> query text -> embedder -> vector store (dense candidates)
                                       -> lexical index (BM25 of every passage)
    -> fuse (qa.ranking) -> top k -> abstain? -> highlight the best sentence
    -> corroboration looked up (computed at index time, qa.corroboration) -> Answer

Follow-up questions: when a question leans on the conversation (it starts with a
follow-up word like "Et celle des Atacms ?", has one content word, or is short and
points back with a pronoun, like "Quand a-t-il été lancé ?") the most recent earlier
question is added to the query, its words weighted below the new question's. A
self-contained question is searched alone, so an old topic never drowns a new one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from qa.corroboration.attach import with_corroboration
from qa.embedder import Embedder
from qa.index.load import LoadedIndex
from qa.lexical import analyze, coverage_of
from qa.models import Answer, Hit, Span
from qa.ranking import (
    RankingSettings,
    answer_types,
    best_sentence,
    carries_answer_type,
    diversify,
    fuse,
    should_answer,
)
from qa.timing import StageTimes

FOLLOW_UP_START = re.compile(
    r"^\s*(et|mais|puis|alors|aussi|and|but|also|what about|how about|same for|idem|pareil)\b",
    re.IGNORECASE,
)
ANAPHORA = re.compile(
    r"(?:\b|-)(il|elle|ils|elles|celle|celui|ceux|celles|cela|ça|lui|leur|leurs|"
    r"it|its|they|them|their|he|she|his|her|him|those|these|this one|that one)\b",
    re.IGNORECASE,
)
FOLLOW_UP_MAX_TERMS = 3


def leans_on_history(question: str) -> bool:
    """Whether a question needs the conversation to be understood.

    It does when it starts with a follow-up word ("Et…", "And…", "What about…"), when it
    has at most one content word, or when it is short and points back with a pronoun
    ("Quand a-t-il été lancé ?", "How far can they fly?").
    """
    if FOLLOW_UP_START.match(question):
        return True
    terms = set(analyze(question))
    return len(terms) <= 1 or (len(terms) <= FOLLOW_UP_MAX_TERMS and bool(ANAPHORA.search(question)))


def query_with_context(question: str, history: Sequence[str]) -> tuple[str, list[str]]:
    """The text to search for, and the earlier questions it borrowed from."""
    earlier = [h for h in history if h.strip()]
    if not earlier or not leans_on_history(question):
        return question, []
    previous = earlier[-1]
    return f"{question} {previous}", [previous]


def ask(
    index: LoadedIndex,
    embedder: Embedder,
    question: str,
    k: int = 5,
    history: Sequence[str] = (),
    settings: RankingSettings = RankingSettings(),
) -> Answer:
    """The k best passages for the question, best first, and whether they answer it."""
    query, context = query_with_context(question, history)
    total = len(index.passages)
    times = StageTimes()
    if total == 0:
        return Answer(question=question, answered=False, hits=[], context_used=context, timings_ms=times.ms)

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
        dense_scores, dense_ids = index.store.search(vector, pool)
    with times.stage("rank"):
        # argpartition, not a full sort: O(n) over 100k passages instead of ~3 ms (bench/scale.py).
        lexical_ids = np.argpartition(-lexical.bm25, pool - 1)[:pool] if pool < total else np.arange(total)
        lexical_ids = lexical_ids[lexical.bm25[lexical_ids] > 0]
        candidates = np.unique(np.concatenate([dense_ids, lexical_ids]).astype(np.int64))
        dense = index.store.similarities(vector, candidates)
        fused = fuse(dense, lexical.bm25[candidates], settings)
        if settings.lead_weight != 1.0:
            is_lead = np.array([index.passages[i].kind == "lead" for i in candidates])
            fused = np.where(is_lead, fused * settings.lead_weight, fused)

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
        answered = should_answer(dense_scores, settings)
    kinds = answer_types(question)
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
    answer = Answer(question=question, answered=answered, hits=hits, context_used=context, timings_ms=times.ms)
    # Corroboration was computed at index time: attaching it to the hits is a lookup.
    with times.stage("corroboration"):
        return with_corroboration(answer, index.alignment, index.passages, index.articles, index.stories.story_of)


def highlight(
    index: LoadedIndex,
    passage_id: int,
    vector: np.ndarray,
    weights: dict[str, float],
    settings: RankingSettings,
    kinds: frozenset[str] = frozenset(),
) -> Span | None:
    """The span of the passage's sentence that best answers, scored with both signals."""
    spans, vectors = index.sentences_of(passage_id)
    if len(spans) == 0:
        return None
    text = index.articles[index.passages[passage_id].citation.source].text
    sentences = [text[start:end] for _, start, end in spans]
    coverage = [coverage_of(sentence, weights) for sentence in sentences]
    dense = None if vectors is None else vectors @ vector
    typed = [carries_answer_type(sentence, kinds) for sentence in sentences] if kinds else None
    chosen = spans[best_sentence(coverage, dense, settings, typed)]
    return Span(int(chosen[1]), int(chosen[2]))
