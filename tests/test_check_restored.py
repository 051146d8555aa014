"""A claim that says one detail otherwise, in other words (``CheckSettings.restore_differences``).

Rephrased, a claim whose figure or name was changed often falls under the statement
decision's match bar with the sentence it changes, and came back ``related``: the
differing detail was never shown. The sentence is scored again against the claim
written with the sentence's detail; matched then, the source ``differs``, with the
detail on both sides, and never ``states``. Real model, four articles of the news set.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from qa import create_app
from qa.check import check_claim
from qa.check.verdict import CheckSettings
from support.app import DEFAULT_MODEL, make_config

FEED = Path(__file__).parent / "data" / "news" / "corpus" / "articles.jsonl"
ARTICLES = ("p1-bayrou-pm--habarizacomores", "p1-mazan-verdict--linternaute", "p1-dissolution--sortiraparis", "p5-apple--rtl")
BARNIER = "Le passage de Michel Barnier à Matignon n'aura duré que 113 jours."

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("restored")
    seeds = tmp / "feed"
    seeds.mkdir()
    rows = [line for line in FEED.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] in ARTICLES]
    assert len(rows) == len(ARTICLES)
    (seeds / "articles.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    app = create_app(make_config(tmp, MODEL=DEFAULT_MODEL, SEEDS_DIR=str(seeds)))
    return app.extensions["qa"]


def _source(service, claim: str, article: str, settings: CheckSettings):
    check = check_claim(service.index, service.embedder, claim, k=5, check_settings=settings)
    (found,) = [s for s in check.sources if s.passage.citation.source.endswith(article)]
    return check, found


@pytest.mark.parametrize(
    ("claim", "article", "kind", "claimed", "stated"),
    [
        (BARNIER, "p1-bayrou-pm--habarizacomores", "number", "113 jours", "90 jours"),
    ],
)
def test_a_rephrased_claim_with_one_detail_changed_differs_by_that_detail(service, claim, article, kind, claimed, stated):
    check, found = _source(service, claim, article, CheckSettings())
    assert found.verdict == "differs" and check.verdict == "stated_differently", found
    (difference,) = found.differences
    assert (difference.kind, difference.claim.text, difference.source.text) == (kind, claimed, stated)
    assert claim[difference.claim.start : difference.claim.end] == claimed
    text = service.index.articles[found.passage.citation.source].text
    assert text[difference.source.start : difference.source.end] == stated
    assert found.signals.get("restored") == 1.0


def test_without_the_second_reading_the_same_source_is_only_related(service):
    _, found = _source(service, BARNIER, "p1-bayrou-pm--habarizacomores", replace(CheckSettings(), restore_differences=False))
    assert found.verdict == "related" and not found.differences


def test_an_unrelated_claim_with_a_figure_stays_not_found(service):
    check = check_claim(service.index, service.embedder, "La ville de Quimper a inauguré un téléphérique de trois kilomètres.", k=5)
    assert check.verdict == "not_found", [(s.verdict, s.differences) for s in check.sources]
