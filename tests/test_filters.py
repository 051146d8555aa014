"""Filters on a search: ``outlets``, ``since`` and ``until`` (``qa/search/filters.py``, ``POST /api/ask``).

The unit tests of ``qa.search.filters`` need no model. The API tests run on the real
default model over a corpus of three articles with front matter: the two seed articles,
each with an outlet and a publication day, and an undated one of a third outlet. An
outlet filter returns only that outlet's passages; ``since`` and ``until`` bound the
publication day, both included; an undated article is out of any date range; a filter
that admits no article abstains with ``no_matching_articles``. ``qa ask`` takes the same
filter as ``--outlet``, ``--since`` and ``--until``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa import create_app
from qa.models import Article, Citation, Passage, SearchFilter
from qa.search.filters import admits, outlet_key, passage_mask, scope_of
from support.app import DEFAULT_MODEL, make_config
from support.cli import cli_runner
from support.paths import SEEDS

# --- qa.search.filters, no model -------------------------------------------------------


def article(source: str, outlet: str | None = None, published: str | None = None) -> Article:
    return Article(source=source, title=source, text="Texte.", outlet=outlet, published=published)


ARTICLES = {
    a.source: a
    for a in (
        article("a.md", "Le Monde", "2025-07-15"),
        article("b.md", "Financial Times", "2025-07-16T23:30:00+02:00"),
        article("c.md", "Le Monde", None),
        article("d.md", None, "2025-07-17"),
    )
}


def test_the_empty_filter_admits_every_article():
    assert not SearchFilter().active
    assert scope_of(ARTICLES, SearchFilter()).sources == frozenset(ARTICLES)


def test_outlets_match_case_accents_and_spacing_aside():
    assert outlet_key("  LE   Mondé ") == outlet_key("le monde")
    scope = scope_of(ARTICLES, SearchFilter(outlets=("le  MONDÉ",)))
    assert scope.sources == {"a.md", "c.md"} and scope.unknown_outlets == ()


def test_an_article_without_an_outlet_is_out_of_any_outlet_filter():
    assert "d.md" not in scope_of(ARTICLES, SearchFilter(outlets=("Le Monde", "Financial Times"))).sources


def test_an_unknown_outlet_matches_nothing_and_is_named():
    scope = scope_of(ARTICLES, SearchFilter(outlets=("Le Figaro", "Le Monde")))
    assert scope.sources == {"a.md", "c.md"} and scope.unknown_outlets == ("Le Figaro",)
    assert scope_of(ARTICLES, SearchFilter(outlets=("Le Figaro",))).sources == frozenset()


def test_days_bound_the_publication_day_both_included():
    assert scope_of(ARTICLES, SearchFilter(since="2025-07-16")).sources == {"b.md", "d.md"}
    assert scope_of(ARTICLES, SearchFilter(until="2025-07-16")).sources == {"a.md", "b.md"}
    # a date-time counts by its day as written, not converted to another time zone
    assert scope_of(ARTICLES, SearchFilter(since="2025-07-16", until="2025-07-16")).sources == {"b.md"}
    assert scope_of(ARTICLES, SearchFilter(since="2025-07-18")).sources == frozenset()


def test_admits_leaves_an_undated_article_out_of_any_date_range():
    for search_filter in (SearchFilter(since="1900-01-01"), SearchFilter(until="2999-12-31")):
        assert not admits(ARTICLES["c.md"], search_filter)
    assert admits(ARTICLES["c.md"], SearchFilter())
    assert not admits(article("e.md", published="2025"), SearchFilter(since="2000-01-01"))  # a year alone is no day


def test_outlets_and_days_combine():
    keys = frozenset({outlet_key("Le Monde")})
    search_filter = SearchFilter(outlets=("Le Monde",), since="2025-07-15")
    assert [s for s, a in ARTICLES.items() if admits(a, search_filter, keys)] == ["a.md"]


def test_the_passage_mask_follows_the_sources():
    passages = [
        Passage(id=i, text="x", citation=Citation(source=source, title=source, paragraph=1, start=0, end=1))
        for i, source in enumerate(["a.md", "b.md", "a.md", "c.md"])
    ]
    assert passage_mask(passages, frozenset({"a.md"})).tolist() == [True, False, True, False]
    assert passage_mask([], frozenset({"a.md"})).dtype == np.bool_


# --- POST /api/ask and qa ask with filters, on the real model ---------------------------------

DATED = {  # seed -> (outlet, published)
    "000_49f69a7d4a642e90": ("Exemple Presse", "2025-07-16"),
    "001_3b9574d560628014": ("Financial Times", "2025-07-15T09:00:00+01:00"),
}
UNDATED = (
    "---\noutlet: Sans Date Info\n---\nLes missiles Tomahawk\n"
    "Les missiles de croisière Tomahawk ont une portée d'environ 1 600 kilomètres, selon les militaires.\n"
)
QUESTION = "Quelle est la portée des missiles Tomahawk ?"


def filtered_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, (outlet, published) in DATED.items():
        text = (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")
        (folder / f"{stem}.md").write_text(f"---\noutlet: {outlet}\npublished: {published}\n---\n{text}", encoding="utf-8")
    (folder / "undated.md").write_text(UNDATED, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def filter_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("filters")
    application = create_app(make_config(tmp, MODEL=DEFAULT_MODEL, SEEDS_DIR=str(filtered_corpus(tmp / "corpus"))))
    application.extensions["qa"].warm_up()
    return application


@pytest.fixture
def filter_client(filter_app):
    return filter_app.test_client()


def ask(client, **body):
    response = client.post("/api/ask", json={"question": QUESTION, "k": 10, **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def outlets_of(body) -> set[str | None]:
    return {passage["citation"]["outlet"] for passage in body["passages"]}


def sources_of(body) -> set[str]:
    return {passage["citation"]["source"] for passage in body["passages"]}


@pytest.mark.slow
def test_without_a_filter_every_outlet_can_answer(filter_client):
    body = ask(filter_client)
    assert body["answered"] and outlets_of(body) == {"Exemple Presse", "Financial Times", "Sans Date Info"}


@pytest.mark.slow
def test_an_outlet_filter_returns_only_that_outlets_passages(filter_client):
    for asked, outlet in (["financial times"], "Financial Times"), (["  EXEMPLE  presse "], "Exemple Presse"):
        body = ask(filter_client, outlets=asked)
        assert body["passages"] and outlets_of(body) == {outlet}, (asked, outlets_of(body))
    both = ask(filter_client, outlets=["Financial Times", "Sans Date Info"])
    assert outlets_of(both) == {"Financial Times", "Sans Date Info"}


@pytest.mark.slow
def test_since_and_until_bound_the_publication_day(filter_client):
    assert sources_of(ask(filter_client, since="2025-07-16")) == {"000_49f69a7d4a642e90.md"}
    assert sources_of(ask(filter_client, until="2025-07-15")) == {"001_3b9574d560628014.md"}
    both = ask(filter_client, since="2025-07-15", until="2025-07-16")
    assert sources_of(both) == {"000_49f69a7d4a642e90.md", "001_3b9574d560628014.md"}
    for passage in both["passages"]:
        assert "2025-07-15" <= passage["citation"]["published"][:10] <= "2025-07-16"


@pytest.mark.slow
def test_an_undated_article_is_out_of_any_date_range_on_ask(filter_client):
    assert "undated.md" in sources_of(ask(filter_client, outlets=["Sans Date Info"]))
    for bounds in ({"since": "1900-01-01"}, {"until": "2999-12-31"}, {"since": "1900-01-01", "until": "2999-12-31"}):
        assert "undated.md" not in sources_of(ask(filter_client, **bounds)), bounds
    body = ask(filter_client, outlets=["Sans Date Info"], since="1900-01-01")
    assert body["answered"] is False and body["abstention"]["reason"] == "no_matching_articles"


@pytest.mark.slow
def test_a_filter_that_admits_no_article_abstains_with_no_matching_articles(filter_client):
    for body in (
        ask(filter_client, outlets=["Le Figaro"]),
        ask(filter_client, since="2026-01-01"),
        ask(filter_client, outlets=["Exemple Presse"], until="2025-07-15"),
    ):
        assert body["answered"] is False and body["passages"] == []
        assert body["abstention"] == {"reason": "no_matching_articles", "not_found": [], "other_language": None}


@pytest.mark.slow
def test_null_filters_are_no_filters(filter_client):
    assert ask(filter_client, outlets=None, since=None, until=None) == ask(filter_client)


@pytest.mark.slow
def test_qa_ask_takes_the_same_filter(filter_app, filter_client):
    runner = cli_runner(filter_app)
    args = ["ask", QUESTION, "-k", "10", "--outlet", "Financial Times", "--until", "2025-07-15", "--json"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    from_api = ask(filter_client, outlets=["Financial Times"], until="2025-07-15")
    assert json.loads(result.output) == from_api and outlets_of(from_api) == {"Financial Times"}
    text = runner.invoke(args=["ask", QUESTION, "--outlet", "Le Figaro"])
    assert text.exit_code == 0 and "No article matches the filters" in text.output
    bad = runner.invoke(args=["ask", QUESTION, "--since", "2025-02-30"])
    assert bad.exit_code == 2 and "'since' is not a calendar date: 2025-02-30" in bad.output


@pytest.mark.slow
def test_a_check_searches_only_what_its_filter_admits(filter_client):
    claim = "Les missiles Tomahawk ont une portée d'environ 1 600 kilomètres."
    response = filter_client.post("/api/check", json={"claim": claim, "outlets": ["Financial Times", "Le Figaro"]})
    check = response.get_json()
    assert response.status_code == 200, check
    assert {source["citation"]["outlet"] for source in check["sources"]} <= {"Financial Times"}
    coverage = check["coverage"]
    assert coverage["articles"] == 1 and coverage["outlets"] == 1 and coverage["unknown_outlets"] == ["Le Figaro"]
    assert coverage["date_range"]["earliest"][:10] == coverage["date_range"]["latest"][:10] == "2025-07-15"
    dated = filter_client.post("/api/check", json={"claim": claim, "since": "2025-07-16"}).get_json()
    assert {source["citation"]["source"] for source in dated["sources"]} <= {"000_49f69a7d4a642e90.md"}
    assert dated["coverage"]["articles"] == 1
