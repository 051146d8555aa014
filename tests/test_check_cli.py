"""``qa check`` through Flask's test runner: text, ``--json``, ``--claimreview``, filters, bad input.

``--json`` prints exactly ``POST /api/check``'s body and ``--claimreview`` exactly
``POST /api/check/claimreview``'s; a bad claim, ``-k`` or filter ends with the API's
message and exit code 2, as ``qa ask`` does. The plain text (``qa.service.render``) gives
the verdict, the summary, each source with its verdict, citation and matching sentence,
and the differences as ``claim: … / source: …``. On the fast ``hashing`` app, and a
rendering test on hand-made records.
"""

from __future__ import annotations

import json

import pytest

from qa.models import CheckCoverage, Citation, ClaimCheck, ClaimDifference, Excerpt, Passage, SourceCheck
from qa.service.render import format_check

CLAIM = "Les missiles Tomahawk ont une portée d'environ 1 600 kilomètres."


def test_check_json_is_the_api_body(runner, client):
    result = runner.invoke(args=["check", CLAIM, "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == client.post("/api/check", json={"claim": CLAIM, "k": 3}).get_json()


def test_check_with_filters_is_the_api_body_with_the_same_filters(runner, client):
    args = ["check", CLAIM, "--outlet", "Le Monde", "--outlet", "Le Figaro", "--since", "2025-07-01", "--until", "2025-07-31", "--json"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    body = {"claim": CLAIM, "outlets": ["Le Monde", "Le Figaro"], "since": "2025-07-01", "until": "2025-07-31"}
    from_api = client.post("/api/check", json=body).get_json()
    assert json.loads(result.output) == from_api
    assert from_api["coverage"]["unknown_outlets"] == ["Le Monde", "Le Figaro"]  # the seeds name no outlet


def test_check_claimreview_is_the_api_json_ld(runner, client):
    result = runner.invoke(args=["check", CLAIM, "--claimreview"])
    assert result.exit_code == 0, result.output
    review = json.loads(result.output)
    assert review == client.post("/api/check/claimreview", json={"claim": CLAIM}).get_json(force=True)
    assert review["@type"] == "ClaimReview"


def test_check_text_gives_the_verdict_and_each_source(runner, client):
    result = runner.invoke(args=["check", CLAIM])
    assert result.exit_code == 0, result.output
    check = client.post("/api/check", json={"claim": CLAIM}).get_json()
    lines = result.output.splitlines()
    assert lines[0] == f"Claim: {CLAIM}" and lines[1] == f"Verdict: {check['verdict']}" and lines[2] == check["summary"]
    for number, source in enumerate(check["sources"], 1):
        citation = source["citation"]
        head = f"{number}. {source['verdict']}: [{citation['title']} ¶{citation['paragraph']}] {citation['source']}:"
        assert any(line.startswith(head) for line in lines), head


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "   "], "'claim' is blank"),
        (["check", "a" * 1001], "'claim' is 1001 characters long; the limit is 1000"),
        (["check", CLAIM, "-k", "0"], "'k' must be between 1 and 20"),
        (["check", CLAIM, "-k", "99"], "'k' must be between 1 and 20"),
        (["check", CLAIM, "--since", "15/07/2025"], "'since' must be a date written YYYY-MM-DD"),
        (["check", CLAIM, "--until", "2025-02-30"], "'until' is not a calendar date: 2025-02-30"),
        (["check", CLAIM, "--since", "2025-07-16", "--until", "2025-07-15"], "'since' (2025-07-16) is after 'until' (2025-07-15)"),
        (["check", CLAIM, "--outlet", " "], "'outlets[]' holds a blank name"),
        (["check", CLAIM, *["--outlet", "x"] * 51], "'outlets' holds at most 50 names"),
        (["check", CLAIM, "--json", "--claimreview"], "--json and --claimreview are two outputs: choose one"),
        (["ask", "Tomahawk", "--since", "2025-13-01"], "'since' is not a calendar date: 2025-13-01"),
        (["ask", "Tomahawk", "--outlet", ""], "'outlets[]' holds a blank name"),
    ],
)
def test_bad_input_gives_the_api_message(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output


def test_ask_with_an_unknown_outlet_says_no_article_matches(runner, client):
    result = runner.invoke(args=["ask", "Tomahawk", "--outlet", "Le Figaro", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body == client.post("/api/ask", json={"question": "Tomahawk", "outlets": ["Le Figaro"]}).get_json()
    assert body["abstention"]["reason"] == "no_matching_articles"
    text = runner.invoke(args=["ask", "Tomahawk", "--outlet", "Le Figaro"])
    assert text.output.startswith("No article matches the filters")


def test_the_rendering_of_a_check():
    text = "Selon des sources, Trump aurait demandé à Zelensky de frapper Moscou le 4 juillet."
    citation = Citation("a.md", "Trump et Zelensky", 3, 100, 100 + len(text), "Exemple Presse", "2025-07-15", "https://exemple.info/a")
    claim = "Trump a demandé à Zelensky de frapper Moscou le 5 juillet."
    source = SourceCheck(
        verdict="hedges",
        passage=Passage(id=7, text=text, citation=citation),
        span=(Excerpt(100, 100 + len(text), text),),
        differences=(
            ClaimDifference("date", Excerpt(48, 57, "5 juillet"), Excerpt(172, 181, "4 juillet")),
            ClaimDifference("hedge", Excerpt(6, 13, "demandé"), Excerpt(100, 105, "Selon")),
        ),
        score=0.91234,
    )
    check = ClaimCheck(
        claim=claim,
        language="fr",
        verdict="hedged",
        summary="Rapporté seulement au conditionnel.",
        sources=[source],
        coverage=CheckCoverage(articles=2, outlets=2, earliest="2025-07-15", latest="2025-07-16", unknown_outlets=("Le Figaro",)),
    )
    assert format_check(check) == "\n".join(
        [
            f"Claim: {claim}",
            "Verdict: hedged",
            "Rapporté seulement au conditionnel.",
            "Searched 2 articles from 2 outlets, published 2025-07-15 to 2025-07-16.",
            "No article is from: Le Figaro.",
            "",
            f"1. hedges: [Trump et Zelensky ¶3] a.md:100-{100 + len(text)}  score 0.912",
            "   Exemple Presse · 2025-07-15 · https://exemple.info/a",
            f"   > {text}",
            "   differs (date): claim: '5 juillet' / source: '4 juillet'",
            "   differs (hedge): claim: 'demandé' / source: 'Selon'",
        ]
    ) + "\n"
    not_found = ClaimCheck(
        claim=claim, language="fr", verdict="not_found", summary="Aucun article ne l'affirme.", sources=[],
        coverage=CheckCoverage(articles=1, outlets=0, closest=0.8, threshold=0.99),
    )
    assert "Searched 1 article.\nClosest match: score 0.800 (a source must reach 0.990).\n" in format_check(not_found)
