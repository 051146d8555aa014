"""What a question asks for, whether a text holds it, and the date test before answering.

Pure: ``qa.text.answer_types`` and ``qa.search.ranking.date_not_given`` / ``abstention_for`` are tested without
an index or a model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from qa.models import Abstention
from qa.search.ranking import RankingSettings, abstention_for, answer_support, date_not_given
from qa.text.answer_types import answer_types, carries_answer_type

DATE = frozenset({"date"})


def test_answer_types_from_interrogatives():
    assert answer_types("Combien de bombardiers ?") == {"number"}
    assert "date" in answer_types("Quand l'appel a-t-il eu lieu ?")
    assert "date" in answer_types("On what date did they talk?")
    assert "name" in answer_types("Comment s’appelait l’opération ?")
    assert "name" in answer_types("Which newspaper asked?")
    assert answer_types("Pourquoi Washington hésite-t-il ?") == frozenset()


@pytest.mark.parametrize(
    "question",
    [
        "Quand l'appel a-t-il eu lieu ?",
        "À partir de quand les Acadiens sont-ils déportés ?",
        "Jusqu’à quand doivent-ils attendre ?",
        "Depuis quand la ville est-elle capitale ?",
        "L'espèce a été découverte quand ?",
        "En quelle année Tahert devient-elle capitale ?",
        "En quel année la saison se termine-t-elle ?",
        "À quelle époque est adoptée la céramique ?",
        "When did Trump speak with Putin?",
        "In what year was the treaty signed?",
    ],
)
def test_a_question_asks_for_a_date_when_its_interrogative_asks_when(question):
    assert "date" in answer_types(question)


@pytest.mark.parametrize(
    "question",
    [
        # "quand" and "when" as conjunctions: the question asks what he answered.
        "Qu'a répondu Zelensky quand on lui a demandé s'il pouvait frapper Moscou ?",
        "What did Zelensky answer when asked if he could strike Moscow?",
        "Que fait la Russie quand l'Ukraine frappe ?",
    ],
)
def test_when_as_a_conjunction_asks_for_no_date(question):
    assert "date" not in answer_types(question)


@pytest.mark.parametrize(
    ("question", "asks_a_name"),
    [
        ("Qui a remporté la finale ?", True),
        ("À qui Trump a-t-il parlé ?", True),
        ("Trump a parlé à qui ?", True),
        ("Où se trouve Lyon ?", True),
        ("Which newspaper asked the White House?", True),
        # "qui" and "où" as relative pronouns: the question asks for no name by them.
        ("Combien de missiles qui visaient Kyiv ont été abattus ?", False),
        ("Quel est le climat de la ville où il est né ?", False),
    ],
)
def test_who_and_where_ask_for_a_name_only_as_interrogatives(question, asks_a_name):
    assert ("name" in answer_types(question)) is asks_a_name


@pytest.mark.parametrize(
    "text",
    [
        "L'appel a eu lieu le 4 juillet.",
        "Ibn Rustom fonde en 761 un royaume ibadite.",
        "À partir de 1014, les Hammadides reconnaissent les Abbassides.",
        "Les premières cuillères sculptées datent du XVIe siècle.",
        "Les premiers aboiteaux sont construits durant les années 1640.",
        "Trump avait appelé Poutine la veille.",
        "The call took place in 2025.",
        "The talks resume on Monday.",
        "Le vote aura lieu demain.",
        "Le président s’est exprimé aujourd’hui.",
        "Les frappes ont repris en mars.",
        "Juillet a été le mois le plus meurtrier.",
        "Talks broke down in May.",
        "The vote was set for 3 may.",
    ],
)
def test_texts_that_give_a_date(text):
    assert carries_answer_type(text, DATE)


@pytest.mark.parametrize(
    "text",
    [
        "Les missiles Tomahawk, capables de frapper à 1 600 km.",
        "Berlin compte environ 3,8 millions d'habitants, 4 400 000 avec l'agglomération.",
        "Au moins douze avions ont été détruits.",
        "Les prochaines semaines diront si cette stratégie force un accord.",
        # The verbs "may" and "march", and the planet Mars, are not months.
        "Russia may strike again, officials warn.",
        "Protesters march on the capital.",
        "La sonde s'est posée sur Mars.",
    ],
)
def test_texts_that_give_no_date(text):
    assert not carries_answer_type(text, DATE)


def test_sentences_carry_answer_types():
    assert carries_answer_type("Au moins douze avions ont été détruits.", frozenset({"number"}))
    assert carries_answer_type("L'appel a eu lieu le 4 juillet.", DATE)
    assert carries_answer_type("Nom de l'opération : Spiderweb.", frozenset({"name"}))
    assert not carries_answer_type("il a été détruit.", frozenset({"number", "date", "name"}))


UNDATED = "Les prochaines semaines diront si cette stratégie force un accord… ou précipite une explosion."
DATED = "La conversation du 4 juillet a été précipitée par l'appel de Trump à Poutine la veille."


def test_a_when_question_is_refused_only_by_an_undated_passage_under_the_bound():
    settings = RankingSettings()
    below = settings.specifics_check_below - 0.01
    question = "Quand aura lieu la prochaine élection présidentielle américaine ?"
    assert date_not_given(answer_types(question), UNDATED, below, settings)
    assert not date_not_given(answer_types(question), DATED, below, settings)
    # Above the bound the passage stands out too clearly to be refused on its form.
    assert not date_not_given(answer_types(question), UNDATED, settings.specifics_check_below, settings)
    # A question that does not ask "when" is never refused for want of a date.
    assert not date_not_given(answer_types("Qu'a répondu Zelensky quand on lui a demandé s'il pouvait frapper Moscou ?"), UNDATED, below, settings)
    assert not date_not_given(answer_types("Combien de soldats ont été tués ?"), UNDATED, below, settings)
    # The bound at 0 turns the checks under it off.
    off = dataclasses.replace(settings, specifics_check_below=0.0)
    assert not date_not_given(answer_types(question), UNDATED, below, off)


def test_abstention_runs_support_then_names_then_date():
    settings = RankingSettings()
    weak = np.full(30, settings.min_support - 0.1)
    # A flat crowd: the support is the score itself, over the minimum, under the checks' bound.
    close = np.full(30, (settings.min_support + settings.specifics_check_below) / 2)
    assert settings.min_support <= answer_support(close, settings) < settings.specifics_check_below
    question = "Quand aura lieu la prochaine élection présidentielle américaine ?"
    kinds = answer_types(question)
    assert abstention_for(question, kinds, weak, UNDATED, UNDATED, settings) == Abstention("weak_support")
    assert abstention_for(question, kinds, close, None, None, settings) is None  # no passage: support alone
    assert abstention_for(question, kinds, close, UNDATED, UNDATED, settings) == Abstention("date_not_found")
    assert abstention_for(question, frozenset(), close, UNDATED, UNDATED, settings) is None  # no answer types
    assert abstention_for(question, kinds, close, DATED, DATED, settings) is None
    # A weak-support refusal names the best passage's language when the question is in the other.
    english = "When will the next American presidential election take place?"
    assert abstention_for(english, answer_types(english), weak, UNDATED, UNDATED, settings) == Abstention(
        "weak_support", other_language="fr"
    )
    assert abstention_for(english, answer_types(english), weak, None, None, settings) == Abstention("weak_support")
    named = "Quand Macron a-t-il parlé ?"
    assert abstention_for(named, answer_types(named), close, DATED, UNDATED, settings) == Abstention(
        "names_not_found", ("Macron",)
    )
