"""The French-aware analyzer and the BM25 index with cognate matching and coverage."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.lexical import LexicalIndex
from qa.text.analyzer import analyze, coverage_of
from qa.text.normalise import fold_accents, normalize


def test_elisions_apostrophes_accents_and_stop_words():
    assert analyze("l’Ukraine") == analyze("l'Ukraine") == analyze("Ukraine") == ["ukrain"]
    assert analyze("jusqu'à la frappe") == analyze("frappé")
    assert "le" not in analyze("le président de la République")
    assert analyze("Qu’a-t-il dit ?") == analyze("dit")
    assert fold_accents("Pétersbourg") == "Petersbourg"


def test_numbers_written_with_group_separators_meet():
    assert normalize("1 600 km") == "1600 km"
    assert normalize("1,600 km") == "1600 km"
    assert normalize("1\u202f600 km") == "1600 km"
    assert "1600" in analyze("à 1 600 kilomètres")
    assert "1600" in analyze("a range of 1,600 km")


@pytest.fixture
def index():
    return LexicalIndex.build(
        [
            "Les missiles Tomahawk ont une portée de 1 600 km.",
            "Le Congrès américain a gelé l'aide militaire.",
            "Zelensky a parlé avec Trump au téléphone depuis Moscou.",
        ]
    )


def test_bm25_ranks_the_passage_with_the_words(index):
    scores = index.score("Quelle est la portée des missiles Tomahawk ?")
    assert int(np.argmax(scores.bm25)) == 0
    assert scores.coverage[0] == pytest.approx(1.0)
    assert scores.coverage[1] == 0.0


def test_cognates_bridge_english_and_french(index):
    scores = index.score("What did the Congress freeze?")
    assert int(np.argmax(scores.bm25)) == 1 and scores.bm25[1] > 0
    assert 0 < scores.coverage[1] < 1
    assert index.matches("moscow") and not index.matches("xyzzy")


def test_unknown_words_weigh_in_coverage(index):
    known = index.score("missiles Tomahawk").coverage.max()
    with_unknown = index.score("prix missiles Tomahawk boulangerie").coverage.max()
    assert known == pytest.approx(1.0) and with_unknown < 0.6


def test_empty_and_stopword_questions_score_zero(index):
    for question in ["", "?", "le la les", "🚀"]:
        scores = index.score(question)
        assert not scores.bm25.any() and not scores.coverage.any()


def test_save_and_load_round_trip(index, tmp_path):
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    question = "Congrès aide militaire"
    assert np.allclose(loaded.score(question).bm25, index.score(question).bm25)


def test_coverage_of_a_sentence(index):
    weights = index.score("missiles Tomahawk").weights
    assert coverage_of("Un missile Tomahawk.", weights) == pytest.approx(1.0)
    assert coverage_of("Rien à voir.", weights) == 0.0


def test_the_copied_stop_words_are_those_bm25s_ships():
    """qa.text keeps its own copy of bm25s's lists (no bm25s import): they must not drift."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS as BM25S_EN_PLUS
    from bm25s.stopwords import STOPWORDS_FRENCH as BM25S_FRENCH

    from qa.text.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_FRENCH

    assert STOPWORDS_FRENCH == BM25S_FRENCH and STOPWORDS_EN_PLUS == BM25S_EN_PLUS


def test_one_apostrophe_folding_and_one_blank_check_serve_every_reader():
    from qa.search.evaluation import fold
    from qa.text.answer_types import answer_types
    from qa.text.normalise import fold_apostrophes, is_blank, word_key

    for mark in "’‘ʼ´`":
        text = f"Jusqu{mark}à quelle distance l{mark}Ukraine"
        assert len(fold_apostrophes(text)) == len(text)  # offsets never move
        assert analyze(text) == analyze("Jusqu'à quelle distance l'Ukraine")
        assert answer_types(text) == answer_types("Jusqu'à quelle distance") == {"number"}
        assert fold(text) == fold("jusqu'à quelle distance l'ukraine")
    assert word_key("L’Élysée") == word_key("l'elysee") == "l'elysee"
    assert is_blank("") and is_blank(" \ufeff\u200b\n\t") and not is_blank("\u200ba")
