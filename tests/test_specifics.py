"""What a question names, and the second abstention test built on it (pure, no model).

``qa.text.specifics`` finds a question's names and figures and whether an article holds
them, allowing for crowd typos and word forms; ``qa.text.language`` tells French from
English; ``qa.search.ranking.names_not_held`` combines them with the support bound.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from qa.search.ranking import RankingSettings, names_not_held
from qa.text.language import language_of
from qa.text.specifics import as_written, missing_specifics, question_specifics, word_found, word_set

LYON = (
    "Lyon est une commune française située au confluent du Rhône et de la Saône. "
    "En 2019, la ville compte 522 250 habitants ; elle est le siège de la métropole de Lyon."
)


def test_a_question_names_its_names_and_figures_not_its_first_word():
    assert question_specifics("Quel est le score du dernier match du PSG ?") == ["psg"]
    assert question_specifics("Combien d'habitants compte Lyon en 2019 ?") == ["lyon", "2019"]
    assert question_specifics("Qui a remporté la Coupe du monde de football 2022 ?") == ["coupe", "2022"]
    # small counts are often written in words: not required
    assert question_specifics("Qui a tué les 44 prisonniers ?") == []
    # a question in capitals: its case names nothing, its figures still count
    assert question_specifics("QUEL EST LE SCORE DU PSG EN 2022 ?") == ["2022"]
    assert question_specifics("Que fait l'OTAN ?") == ["otan"]  # an acronym in a normal question
    # digit groups join, as the analyzer joins them
    assert question_specifics("Quel missile porte à 1 600 km ?") == ["1600"]


def test_an_article_holds_names_exactly_with_typos_or_as_a_longer_form():
    words = word_set(LYON + " Le Maharishi Mahesh Yogi et les Américains ; le Nürburgring.")
    assert word_found("lyon", words) and word_found("saone", words)  # accents folded
    assert word_found("maharashi", words)  # one letter off
    assert word_found("nurburging", words)  # two letters off, a long word
    assert word_found("americ", words)  # the stem of a longer word
    assert not word_found("psg", words) and not word_found("australie", words)
    assert word_found("522250", words) and not word_found("2022", words)  # figures: exact only
    assert missing_specifics(["lyon", "2019", "psg", "saint-etienne"], words) == ["psg", "saint-etienne"]


@given(st.lists(st.sampled_from(["Lyon", "Rhône", "Saône", "métropole", "commune", "Paris", "PSG"]), max_size=4))
def test_a_name_in_the_article_is_never_reported_missing(chosen):
    question = "Que dit-on de " + " et de ".join(chosen) + " ?"
    missing = missing_specifics(question_specifics(question), word_set(LYON))
    assert set(missing) <= {"paris", "psg"}


def test_language_of_questions_and_articles():
    assert language_of("Quelle est la portée des missiles Tomahawk ?") == "fr"
    assert language_of("What is the range of the Tomahawk missiles?") == "en"
    assert language_of(LYON) == "fr"


def test_names_not_held_only_matter_under_the_bound_and_within_one_language():
    settings = RankingSettings(specifics_check_below=0.88)
    assert names_not_held("Combien d'habitants compte Lyon ?", LYON, 0.85, settings) == []
    # what the article lacks, as the question writes it
    assert names_not_held("Quel est le score du dernier match du PSG ?", LYON, 0.85, settings) == ["PSG"]
    # a passage that stands out this clearly is trusted even without the name
    assert names_not_held("Quel est le score du dernier match du PSG ?", LYON, 0.90, settings) == []
    # across languages names are translated: no check
    assert names_not_held("What is the latest score of PSG?", LYON, 0.85, settings) == []
    # 0 turns it off
    off = dataclasses.replace(settings, specifics_check_below=0.0)
    assert names_not_held("Quel est le score du dernier match du PSG ?", LYON, 0.85, off) == []


def test_as_written_gives_the_questions_own_spelling():
    question = "Combien de soldats des Provinces-Unies et de l’OTAN en 1672 ?"
    keys = question_specifics(question)
    assert as_written(question, keys) == ["Provinces-Unies", "OTAN", "1672"]
    assert as_written(question, []) == []
