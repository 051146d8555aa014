"""Pure ranking: fuse the dense and lexical signals, decide whether to answer, diversify.

No I/O and no model: everything here works on NumPy arrays and strings, so it is tested
without torch. ``RankingSettings`` (defined with the other settings in ``qa.settings``) holds
every tunable of search, the highlight's included.

Fusion (``fuse``):

* ``convex`` (the default): ``w · lexical + (1 - w) · dense``, each signal min-max
  normalised over the candidate passages of this question. BM25 scores have no fixed
  scale, so they are divided by the question's best; cosine similarities are rescaled
  between the worst and best candidate so that both signals span [0, 1].
* ``rrf``: reciprocal rank fusion, ``Σ 1 / (k + rank)``, which ignores score gaps.

The dense signal is sentence-aware (``with_best_sentence``): a passage's cosine mixed with
its closest sentence's. Abstention has three tests: the support of the best score
(``answer_support``, ``should_answer``), then, under a bound, whether the best passage's
article holds what the question names (``names_not_held``), and whether a *when*
question's best passage gives a date (``date_not_given``); ``abstention_for`` runs them
in that order.

The weights are calibrated in ``docs/quality.md`` with ``qa eval``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.models import Abstention
from qa.settings import RankingSettings  # the tunables and their defaults live with the other settings
from qa.text.answer_types import carries_answer_type
from qa.text.language import language_of
from qa.text.specifics import as_written, missing_specifics, question_specifics, word_set


def minmax(values: np.ndarray) -> np.ndarray:
    """Rescale to [0, 1]; a constant array maps to zeros (it says nothing)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, best (highest) first; ties share the order of appearance."""
    order = np.argsort(-np.asarray(values), kind="stable")
    result = np.empty(len(order), dtype=np.int64)
    result[order] = np.arange(1, len(order) + 1)
    return result


def fuse(dense: np.ndarray, lexical: np.ndarray, settings: RankingSettings) -> np.ndarray:
    """Fused score of each candidate from its dense (cosine) and lexical (BM25) scores."""
    dense = np.asarray(dense, dtype=np.float64)
    lexical = np.asarray(lexical, dtype=np.float64)
    if settings.fusion == "rrf":
        fused = 1.0 / (settings.rrf_k + ranks(dense)) + 1.0 / (settings.rrf_k + ranks(lexical))
        return fused * (settings.rrf_k + 1) / 2.0  # the best possible score becomes 1
    if settings.fusion == "dense":
        return dense
    if settings.fusion == "lexical":
        return minmax(lexical)
    if settings.fusion != "convex":
        raise ValueError(f"unknown fusion method {settings.fusion!r}")
    best_lexical = float(lexical.max()) if lexical.size else 0.0
    lexical_part = lexical / best_lexical if best_lexical > 0 else np.zeros_like(lexical)
    weight = settings.lexical_weight
    return weight * lexical_part + (1.0 - weight) * minmax(dense)


def with_best_sentence(passage: np.ndarray, best_sentence: np.ndarray, weight: float) -> np.ndarray:
    """A passage's dense score that also counts its closest sentence.

    ``(1 − weight) · passage cosine + weight · best sentence cosine``. A paragraph's vector
    averages every sentence in it, so a question answered by one sentence of a long
    paragraph meets a diluted match; its best sentence keeps the exact one. ``NaN`` in
    ``best_sentence`` (a passage without sentence vectors) keeps the passage cosine. On
    PIAF dev this lifts hit@1 by about 2.5 points (docs/quality.md).
    """
    passage = np.asarray(passage, dtype=np.float64)
    best_sentence = np.asarray(best_sentence, dtype=np.float64)
    if weight <= 0 or best_sentence.size == 0:
        return passage
    mixed = (1.0 - weight) * passage + weight * best_sentence
    return np.where(np.isnan(best_sentence), passage, mixed)


def answer_support(dense_ranked: np.ndarray, settings: RankingSettings) -> float:
    """How strongly the best passage answers: its cosine, plus how far it stands out.

    ``dense_ranked`` holds the question's best cosine similarities, best first. The
    support is ``best + w · (best − the support_gap_rank-th best)``: a passage that
    answers is both close to the question and clearly closer than the passages around
    it, while an unanswerable question meets a crowd of passages that are all about as
    close (the background similarity every text has, which rises as the corpus grows and
    which a multilingual model compresses into a narrow band). When fewer passages are
    indexed, the last one stands for the background.
    """
    scores = np.asarray(dense_ranked, dtype=np.float64)
    if scores.size == 0:
        return 0.0
    best = float(scores[0])
    background = float(scores[min(settings.support_gap_rank, scores.size) - 1])
    return best + settings.support_gap_weight * (best - background)


def should_answer(dense_ranked: np.ndarray, settings: RankingSettings) -> bool:
    """Answer when the best passage's support (``answer_support``) reaches ``min_support``.

    Calibrated with ``bench/calibrate.py`` on PIAF dev (every question answerable), on
    the same questions with their answering article left out (unanswerable by
    construction), and on the seed questions over the seeds alone and over the seeds
    among the 191 PIAF articles (docs/quality.md, "Abstention"). Lexical coverage is not
    used: on a large corpus some passage holds most words of almost any question.
    """
    return answer_support(dense_ranked, settings) >= settings.min_support


def names_not_held(question: str, article_text: str, support: float, settings: RankingSettings) -> list[str]:
    """The second test before answering: what the question names that the article does not hold.

    Empty when the test passes; else the missing names and figures as the question
    writes them.

    Applies when the support is under ``specifics_check_below`` (above it the passage
    stands out so clearly that a name the check misses is more likely misspelt than
    absent) and the question and the article are in the same language (across languages
    names are translated: *NATO*/*OTAN*). Then every name and figure of the question
    (``qa.text.specifics``) must occur in the article of the best passage. Calibrated on
    PIAF dev and its leave-article-out negatives (docs/quality.md, "Abstention").
    """
    if support >= settings.specifics_check_below or language_of(question) != language_of(article_text):
        return []
    return as_written(question, missing_specifics(question_specifics(question), word_set(article_text)))


def date_not_given(kinds: frozenset[str], passage_text: str, support: float, settings: RankingSettings) -> bool:
    """The third test before answering: a *when* question whose best passage gives no date.

    ``kinds`` are the question's answer types (``qa.text.answer_types.answer_types``).
    Applies under the same bound as ``names_not_held`` (``specifics_check_below``): above
    it the passage stands out too clearly to be refused on its form. Only the date is
    tested, in the passage that would be cited: a question that asks *when* is not
    answered by a passage without a day, month, year or century
    (``qa.text.answer_types``), however close its words. Numbers are not tested: almost
    every passage holds one. Calibrated on PIAF dev and its leave-article-out negatives
    (docs/quality.md, "Abstention").
    """
    if support >= settings.specifics_check_below or "date" not in kinds:
        return False
    return not carries_answer_type(passage_text, frozenset({"date"}))


def abstention_for(
    query: str,
    kinds: frozenset[str],
    dense_ranked: np.ndarray,
    top_article: str | None,
    top_passage: str | None,
    settings: RankingSettings,
) -> Abstention | None:
    """Why the articles do not answer, or ``None`` when they do: the three tests in order.

    ``dense_ranked`` as ``should_answer`` reads it; ``top_article`` and ``top_passage`` the
    best passage's article text and its own text (``None`` when no passage was ranked: the
    support alone decides). ``kinds`` are the question's answer types; an empty set leaves
    the date test out. A ``weak_support`` refusal of a question in another language than
    the best passage names that passage's language (``Abstention.other_language``).
    """
    if not should_answer(dense_ranked, settings):
        crosses = top_passage is not None and language_of(top_passage) != language_of(query)
        return Abstention("weak_support", other_language=language_of(top_passage) if crosses else None)
    if top_article is None or top_passage is None:
        return None
    support = answer_support(dense_ranked, settings)
    not_found = names_not_held(query, top_article, support, settings)
    if not_found:
        return Abstention("names_not_found", tuple(not_found))
    if date_not_given(kinds, top_passage, support, settings):
        return Abstention("date_not_found")
    return None


def near_duplicate(terms_a: frozenset[str], terms_b: frozenset[str], overlap: float) -> bool:
    """Whether one passage's terms are mostly (``overlap``) inside the other's."""
    smaller = min(len(terms_a), len(terms_b))
    return smaller > 0 and len(terms_a & terms_b) / smaller >= overlap


def diversify(
    ranked: Sequence[int],
    sources: Sequence[str],
    terms: Sequence[frozenset[str]],
    overlap: float,
    limit: int | None = None,
) -> list[int]:
    """Reorder ranked positions so that near-duplicates from one source come last.

    A passage that nearly repeats a better passage of the same source is moved after
    the passages that don't, keeping the order within each group. The same fact from two
    sources is not a duplicate: corroboration is worth showing. With ``limit``, only the
    first ``limit`` positions of that order are returned, and the work stops as soon as
    they are known.
    """
    kept: list[int] = []
    deferred: list[int] = []
    for position in ranked:
        repeats = any(
            sources[other] == sources[position] and near_duplicate(terms[other], terms[position], overlap)
            for other in kept
        )
        (deferred if repeats else kept).append(position)
        if limit is not None and len(kept) >= limit:
            return kept[:limit]
    order = kept + deferred
    return order if limit is None else order[:limit]
