"""Pure ranking: fusion, abstention, near-duplicates, the highlight choice, follow-ups."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.search import leans_on_history, query_with_context
from qa.search.highlight import best_sentence
from qa.search.ranking import RankingSettings, answer_support, diversify, fuse, minmax, ranks, should_answer, with_best_sentence

SETTINGS = RankingSettings()


def test_minmax_and_ranks():
    assert list(minmax(np.array([2.0, 4.0, 3.0]))) == [0.0, 1.0, 0.5]
    assert list(minmax(np.array([3.0, 3.0]))) == [0.0, 0.0]
    assert list(ranks(np.array([0.1, 0.9, 0.5]))) == [3, 1, 2]


def test_convex_fusion_weighs_both_signals():
    dense = np.array([0.9, 0.1, 0.5])
    lexical = np.array([0.0, 10.0, 5.0])
    lexical_heavy = fuse(dense, lexical, dataclasses.replace(SETTINGS, lexical_weight=0.9))
    dense_heavy = fuse(dense, lexical, dataclasses.replace(SETTINGS, lexical_weight=0.1))
    assert int(np.argmax(lexical_heavy)) == 1 and int(np.argmax(dense_heavy)) == 0


def test_rrf_best_in_both_scores_one():
    fused = fuse(np.array([0.9, 0.1]), np.array([3.0, 1.0]), dataclasses.replace(SETTINGS, fusion="rrf"))
    assert fused[0] == pytest.approx(1.0) and fused[1] < 1.0


def test_unknown_fusion_is_an_error():
    with pytest.raises(ValueError):
        fuse(np.array([1.0]), np.array([1.0]), dataclasses.replace(SETTINGS, fusion="magic"))


def test_best_sentence_counts_in_the_dense_score_unless_missing():
    passage = np.array([0.80, 0.82, 0.70])
    best_sentence = np.array([0.90, 0.80, np.nan])
    mixed = with_best_sentence(passage, best_sentence, 0.5)
    assert mixed == pytest.approx([0.85, 0.81, 0.70])
    assert mixed[0] > mixed[1]  # the passage holding the closest sentence now leads
    assert with_best_sentence(passage, best_sentence, 0.0) == pytest.approx(passage)


def test_abstention_rules():
    s = RankingSettings(min_support=0.83, support_gap_weight=1.0, support_gap_rank=3)
    assert answer_support(np.array([0.85, 0.80, 0.78]), s) == pytest.approx(0.85 + 0.07)
    assert should_answer(np.array([0.86, 0.85, 0.85]), s)  # close enough on its own
    assert should_answer(np.array([0.80, 0.77, 0.76]), s)  # less close, but it stands out
    assert not should_answer(np.array([0.81, 0.81, 0.80]), s)  # a crowd of look-alikes
    assert not should_answer(np.array([0.60, 0.55, 0.50]), s)  # far, and not standing out
    assert answer_support(np.array([0.9]), s) == pytest.approx(0.9)  # one passage: no gap
    assert not should_answer(np.array([]), s)


def test_near_duplicates_of_one_source_go_last_but_other_sources_stay():
    a = frozenset({"missil", "tomahawk", "portee", "1600"})
    sources = ["x.txt", "x.txt", "y.txt", "x.txt"]
    terms = [a, a | {"km"}, a, frozenset({"drone", "spiderweb"})]
    assert diversify([0, 1, 2, 3], sources, terms, overlap=0.8) == [0, 2, 3, 1]
    assert diversify([0, 1, 2, 3], sources, terms, overlap=0.8, limit=3) == [0, 2, 3]
    assert diversify([0, 1, 2, 3], sources, terms, overlap=0.8, limit=9) == [0, 2, 3, 1]


@given(
    st.lists(st.tuples(st.sampled_from("ab"), st.frozensets(st.sampled_from("wxyz"), max_size=4)), max_size=12),
    st.integers(min_value=0, max_value=14),
)
def test_diversify_with_a_limit_is_the_head_of_the_full_order(passages, limit):
    sources = [source for source, _ in passages]
    terms = [words for _, words in passages]
    full = diversify(range(len(passages)), sources, terms, overlap=0.8)
    assert sorted(full) == list(range(len(passages)))
    assert diversify(range(len(passages)), sources, terms, overlap=0.8, limit=limit) == full[:limit]


def test_best_sentence_uses_both_signals_and_the_type_bonus():
    settings = RankingSettings(highlight_lexical_weight=0.5, answer_type_bonus=0.3)
    assert best_sentence([0.9, 0.1], [0.1, 0.2], settings) == 0
    assert best_sentence([0.2, 0.1], [0.2, 0.9], settings) == 1
    assert best_sentence([0.5, 0.4], [0.5, 0.4], settings, typed=[False, True]) == 1
    assert best_sentence([], None, settings) == 0


def test_follow_ups_lean_on_history_and_self_contained_questions_do_not():
    assert leans_on_history("Et celle des Atacms ?")
    assert leans_on_history("And the Atacms?")
    assert leans_on_history("what about Kyiv")
    assert leans_on_history("Quand a-t-il été lancé ?")
    assert leans_on_history("How far can they fly?")
    assert leans_on_history("Pourquoi ?")
    assert not leans_on_history("Quelle est la portée des Atacms ?")
    assert not leans_on_history("Qui est le secrétaire général de l'OTAN cité par l'article ?")
    history = ["Quelle est la portée des missiles Tomahawk ?", "Qui est Mark Rutte ?"]
    query, used = query_with_context("Et celle des Atacms ?", history)
    assert used == ["Qui est Mark Rutte ?"] and query.startswith("Et celle des Atacms ?")
    assert query_with_context("Quelle est la portée des Atacms ?", history) == ("Quelle est la portée des Atacms ?", [])
    assert query_with_context("Et celle des Atacms ?", []) == ("Et celle des Atacms ?", [])
