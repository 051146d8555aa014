"""The highlight: which sentence of a passage answers, from both signals and the answer type.

A question's interrogative words say what kind of answer it wants
(``qa.text.answer_types``: a number for "combien", a date for "quand", a name for "qui");
a sentence that holds such a thing gets a bonus. ``best_sentence`` mixes each sentence's
share of the question's lexical weight with its cosine to the question; ``highlight``
reads a passage's sentences (the index's sentence table, cut by
``qa.text.sentences.split_sentences``) and returns the chosen one's span.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from qa.models import Span
from qa.search.ranking import RankingSettings
from qa.text.analyzer import coverage_of
from qa.text.answer_types import carries_answer_type

if TYPE_CHECKING:
    from qa.index.load import LoadedIndex

def best_sentence(
    sentence_coverage: Sequence[float],
    sentence_dense: Sequence[float] | None,
    settings: RankingSettings,
    typed: Sequence[bool] | None = None,
) -> int:
    """Index of the sentence that best answers, from both signals; 0 when there is one.

    ``typed`` marks the sentences that carry the kind of answer the question asks for
    (a number for "combien", a date for "quand"...): they get ``answer_type_bonus``.
    """
    coverage = np.asarray(sentence_coverage, dtype=np.float64)
    if coverage.size == 0:
        return 0
    weight = settings.highlight_lexical_weight
    if sentence_dense is None:
        combined = coverage.copy()
    else:
        combined = weight * coverage + (1.0 - weight) * np.asarray(sentence_dense, dtype=np.float64)
    if typed is not None:
        combined += settings.answer_type_bonus * np.asarray(typed, dtype=np.float64)
    return int(np.argmax(combined))


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
