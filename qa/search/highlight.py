"""The highlight: which sentence of a passage answers, from both signals and the answer type.

A question's interrogative words say what kind of answer it wants (``answer_types``: a
number for "combien", a date for "quand", a name for "qui"); a sentence that holds such a
thing (``carries_answer_type``) gets a bonus. ``best_sentence`` mixes each sentence's
share of the question's lexical weight with its cosine to the question; ``highlight``
reads a passage's sentences (the index's sentence table, cut by
``qa.text.sentences.split_sentences``) and returns the chosen one's span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from qa.models import Span
from qa.search.ranking import RankingSettings
from qa.text.analyzer import coverage_of
from qa.text.mentions import CAPITALS, CARDINAL_PATTERN, MONTH_PATTERN, WEEKDAY_PATTERN
from qa.text.normalise import fold_apostrophes

if TYPE_CHECKING:
    from qa.index.load import LoadedIndex

# What a question asks for, from its interrogative words (French and English), and how a
# sentence that holds such an answer looks. Used to pick the sentence to highlight.
_ANSWER_TYPES = {
    "number": re.compile(
        r"\b(combien|how (many|much|far|long)|quel(le)? (nombre|distance|portée|quantité)|"
        r"jusqu'?à quelle|what (number|range|distance))\b",
        re.IGNORECASE,
    ),
    "date": re.compile(
        r"\b(quand|when|(quelle|what|which) (date|year|day|année|jour|mois)|en quelle année|depuis quand)\b",
        re.IGNORECASE,
    ),
    "name": re.compile(
        r"\b(qui|who|whom|comment s'appel\w*|quel(le)? (est le )?nom|what was the name|name of|"
        r"(quelle|which|what) (ville|city|pays|country|journal|newspaper|service|missile|opération|operation)|où|where)\b",
        re.IGNORECASE,
    ),
}
_SENTENCE_HAS = {
    "number": re.compile(rf"\d|\b(un|{CARDINAL_PATTERN})\b", re.IGNORECASE),
    "date": re.compile(rf"\b(\d{{1,2}} ({MONTH_PATTERN})|({MONTH_PATTERN})|(19|20)\d\d|hier|veille|{WEEKDAY_PATTERN})\b", re.IGNORECASE),
    "name": re.compile(rf"(?<!^)(?<![.!?] )\b[{CAPITALS}][\w-]+|«"),
}


def answer_types(question: str) -> frozenset[str]:
    """The kinds of answer a question asks for: ``number``, ``date``, ``name``."""
    folded = fold_apostrophes(question)
    return frozenset(kind for kind, pattern in _ANSWER_TYPES.items() if pattern.search(folded))


def carries_answer_type(sentence: str, kinds: frozenset[str]) -> bool:
    """Whether a sentence holds something of the kind the question asks for."""
    return any(_SENTENCE_HAS[kind].search(sentence) for kind in kinds)


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
