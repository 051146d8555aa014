"""The claim comparison and the verdicts (qa.check.compare, qa.check.verdict): pure, no model."""

from __future__ import annotations

import pytest

from qa.check.compare import SourceText, compare, hedge_marks, negations
from qa.check.verdict import CheckSettings, blocking_rule, claim_verdict, source_verdict, statement_signals
from qa.corroboration.numbers import dates
from qa.models import Span

ARTICLE = (
    "Le gouvernement a annoncé mardi 4 mars 2025 un plan de 12 milliards d'euros pour les hôpitaux. "
    "Selon le ministre Yannick Neuder, 3 000 lits seraient rouverts d'ici l'été. "
    "« Nous tiendrons parole », a déclaré Neuder à Lyon."
)
COMMON = frozenset({"le", "gouvernement", "nous", "selon", "plan"})


def source(sentence_no: int, published: str | None = "2025-03-04") -> SourceText:
    starts = [0, ARTICLE.index("Selon"), ARTICLE.index("« Nous")]
    ends = [starts[1] - 1, starts[2] - 1, len(ARTICLE)]
    return SourceText(ARTICLE, Span(starts[sentence_no], ends[sentence_no]), Span(0, len(ARTICLE)), published, "fr")


def kinds(claim: str, sentence_no: int = 0) -> list[str]:
    return [d.kind for d in compare(claim, "fr", source(sentence_no), COMMON.__contains__).differences]


def verdict(comparison, terms: float = 0.9, probability: float = 0.99) -> str:
    settings = CheckSettings()
    return source_verdict(probability, blocking_rule(comparison, terms, False, settings), settings)


def test_the_same_statement_has_no_difference_and_nothing_missing() -> None:
    comparison = compare("Le gouvernement a annoncé un plan de 12 milliards d'euros le 4 mars.", "fr", source(0), COMMON.__contains__)
    assert comparison.differences == [] and comparison.missing == [] and comparison.negation is None
    assert verdict(comparison) == "states"


def test_a_changed_figure_is_a_number_difference_with_both_spans_exact() -> None:
    comparison = compare("Le gouvernement a annoncé un plan de 15 milliards d'euros.", "fr", source(0), COMMON.__contains__)
    (difference,) = comparison.differences
    assert difference.kind == "number"
    assert difference.claim.text == "15 milliards d'euros"[: len(difference.claim.text)]
    assert ARTICLE[difference.source.start : difference.source.end] == difference.source.text
    assert difference.source.text.startswith("12")


def test_a_changed_day_is_a_date_difference() -> None:
    assert kinds("Le gouvernement a annoncé un plan de 12 milliards d'euros le 5 mars.") == ["date"]


@pytest.mark.parametrize(
    ("claim", "sentence"),
    [
        ("La faculté des lettres d'Aix est créée en 1848.", "La faculté des lettres est créée en 1846 à Aix."),
        ("Le Français a rejoint Nestlé en 1988.", "Le Français a rejoint Nestlé en 1986."),
    ],
)
def test_a_year_stated_otherwise_is_one_date_difference(claim: str, sentence: str) -> None:
    found = compare(claim, "fr", SourceText(sentence, Span(0, len(sentence)), Span(0, len(sentence))), COMMON.__contains__)
    assert [(d.kind, d.claim.text, d.source.text) for d in found.differences if d.kind != "name"] == [
        ("date", claim[-5:-1], sentence[sentence.index("en 1") + 3 : sentence.index("en 1") + 7])
    ]


def test_a_count_that_looks_like_a_year_is_still_a_number() -> None:
    sentence = "Au total, 1846 personnes ont été évacuées."
    found = compare("Au total, 1848 personnes ont été évacuées.", "fr", SourceText(sentence, Span(0, len(sentence)), Span(0, len(sentence))),
                    COMMON.__contains__)
    assert [d.kind for d in found.differences] == ["number"]


def test_a_bounded_count_that_looks_like_a_year_is_one_number() -> None:
    sentence = "Au total, environ 1846 personnes ont été évacuées."
    found = compare("Au total, environ 1848 personnes ont été évacuées.", "fr", SourceText(sentence, Span(0, len(sentence)), Span(0, len(sentence))),
                    COMMON.__contains__)
    assert [(d.kind, d.claim.text, d.source.text) for d in found.differences] == [("number", "environ 1848", "environ 1846")]


def test_a_weekday_agrees_with_the_publication_day() -> None:
    claim = "Le gouvernement a annoncé mardi un plan de 12 milliards d'euros."
    assert compare(claim, "fr", source(0, published="2025-03-04"), COMMON.__contains__).missing == []


def test_a_swapped_name_is_a_name_difference() -> None:
    comparison = compare("Selon le ministre Catherine Vautrin, 3 000 lits seraient rouverts.", "fr", source(1), COMMON.__contains__)
    assert [d.kind for d in comparison.differences] == ["name"]
    assert comparison.differences[0].source.text == "Yannick Neuder"


def test_a_detail_the_article_never_states_is_missing() -> None:
    comparison = compare("Le gouvernement a annoncé à Marseille un plan de 12 milliards d'euros.", "fr", source(0), COMMON.__contains__)
    assert [m.text for m in comparison.missing] == ["Marseille"]
    assert verdict(comparison) == "related"


def test_negation_on_one_side_contradicts() -> None:
    comparison = compare("Le gouvernement n'a pas annoncé de plan de 12 milliards d'euros.", "fr", source(0), COMMON.__contains__)
    assert comparison.negation is not None and comparison.negation.claim.text == "n'a pas"
    assert verdict(comparison) == "contradicts"


def test_the_source_hedging_what_the_claim_asserts_hedges() -> None:
    comparison = compare("3 000 lits vont être rouverts d'ici l'été.", "fr", source(1), COMMON.__contains__)
    assert comparison.source_hedge is not None
    assert verdict(comparison) == "hedges"


def test_the_claim_hedging_what_the_source_asserts_differs() -> None:
    comparison = compare("Le gouvernement aurait annoncé un plan de 12 milliards d'euros.", "fr", source(0), COMMON.__contains__)
    assert comparison.claim_hedge is not None and comparison.claim_hedge.claim.text.startswith("aurait")
    assert verdict(comparison) == "differs"


def test_a_quote_worded_otherwise_is_a_quote_difference() -> None:
    assert kinds("« Nous tiendrons nos engagements », a déclaré Neuder.", 2) == ["quote"]
    assert kinds("« Nous tiendrons parole », a déclaré Neuder.", 2) == []


def test_a_difference_in_a_sentence_about_something_else_is_not_believed() -> None:
    comparison = compare("Le gouvernement a annoncé un plan de 15 milliards d'euros.", "fr", source(0), COMMON.__contains__)
    assert verdict(comparison, terms=0.2) == "related"
    assert verdict(comparison, probability=0.1) == "related"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [("Il n'a jamais dit cela.", "fr", ["n'a jamais"]), ("He did not say it.", "en", ["not"]), ("He didn't.", "en", ["didn't"]),
     ("Il a tout dit.", "fr", []), ("« Je ne sais pas », dit-il.", "fr", [])],
)
def test_negations(text: str, language: str, expected: list[str]) -> None:
    assert [text[s.start : s.end] for s in negations(text, language)] == expected


def test_hedges_include_attribution_and_the_english_modals() -> None:
    assert hedge_marks("Selon la police, il y a trois morts.", "fr")
    assert hedge_marks("Il y aurait trois morts.", "fr")
    assert hedge_marks("Three people were reportedly killed.", "en")
    assert not hedge_marks("Trois personnes sont mortes.", "fr")


def test_english_dates() -> None:
    (date,) = dates("Macron named him on December 13, 2024.", language="en")
    assert (date.day, date.month, date.year) == (13, 12, 2024)
    assert [d.weekday for d in dates("It happened on Friday.", language="en")] == ["vendredi"]
    assert dates("He may resign.", language="en") == []


def test_the_claim_verdict_is_the_strongest_source_verdict() -> None:
    assert claim_verdict(["related", "states", "differs"]) == "stated"
    assert claim_verdict(["hedges", "differs"]) == "stated_differently"
    assert claim_verdict(["hedges", "contradicts"]) == "contradicted"
    assert claim_verdict(["related"]) == claim_verdict([]) == "not_found"


def test_the_statement_decision_rises_with_similarity_and_shared_terms() -> None:
    decision = CheckSettings().statement
    far, near = statement_signals(0.80, 0.3, 0.3, False), statement_signals(0.93, 0.9, 1.0, False)
    assert decision.probability(far) < CheckSettings().match_probability < decision.probability(near)
    assert statement_signals(0.9, 0.8, 0.8, True) == {"similarity": 0.9, "terms": 0.0, "near_terms": 0.0, "cross_language": 1.0}


def test_a_probable_match_below_the_states_bar_is_only_related() -> None:
    comparison = compare("Le gouvernement a annoncé un plan de 12 milliards d'euros.", "fr", source(0), COMMON.__contains__)
    assert verdict(comparison, probability=0.7) == "related"
    assert verdict(comparison, probability=0.99) == "states"


def test_a_changed_day_is_paired_with_the_mention_of_the_same_month() -> None:
    sentence = "The vote will take place in two rounds on June 30 and July 7, he said."
    found = compare("The election will take place in two rounds, on June 30 and July 9.", "en",
                    SourceText(sentence, Span(0, len(sentence)), Span(0, len(sentence)), language="en"), COMMON.__contains__)
    assert [(d.kind, d.claim.text, d.source.text) for d in found.differences] == [("date", "July 9", "July 7")]


def test_a_year_before_1500_is_a_year() -> None:
    sentence = "L'islam est arrivé dans le Cachemire en 1320 avec la conversion du chef bouddhiste."
    found = compare("L'islam est arrivé dans le Cachemire en 1322.", "fr", SourceText(sentence, Span(0, len(sentence)), Span(0, len(sentence))),
                    COMMON.__contains__)
    assert [(d.kind, d.claim.text, d.source.text) for d in found.differences] == [("date", "1322", "1320")]
