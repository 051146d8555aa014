"""``POST /api/check`` and ``POST /api/check/claimreview`` over HTTP.

The request rules (``qa.service.requests.parse_check``): a blank, over-long, missing or
mistyped claim, a malformed or impossible day, ``since`` after ``until``, ``k`` out of
range and a bad ``outlets`` list each get the one JSON error shape with their code and
message, on both routes, and nothing stored changes. A valid claim gets a ``ClaimCheck``
that matches the OpenAPI description, and the ClaimReview route the same check as
``application/ld+json``. The rules run on the fast ``hashing`` app; a few checks of real
claims run on the real model (slow).
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest

from support.asserts import resolve_schema

ROUTES = ("/api/check", "/api/check/claimreview")
LONG = 1000  # QA_MAX_QUESTION_CHARS's default
CLAIM = "Les missiles Tomahawk ont une portée d'environ 1 600 kilomètres."

# body -> (code, message): what parse_check answers, on either route.
BAD_BODIES = [
    ({"claim": ""}, "blank_claim", "'claim' is blank"),
    ({"claim": " \t\n\u3000\ufeff"}, "blank_claim", "'claim' is blank"),
    ({"claim": "a" * (LONG + 1)}, "too_long", f"'claim' is {LONG + 1} characters long; the limit is {LONG}"),
    ({}, "missing_field", "'claim' is required"),
    ({"question": CLAIM}, "missing_field", "'claim' is required"),
    ({"claim": 12}, "invalid_field", "'claim' must be a string"),
    ({"claim": None}, "invalid_field", "'claim' must be a string"),
    ({"claim": [CLAIM]}, "invalid_field", "'claim' must be a string"),
    ({"claim": CLAIM, "k": "3"}, "invalid_field", "'k' must be an integer"),
    ({"claim": CLAIM, "k": True}, "invalid_field", "'k' must be an integer"),
    ({"claim": CLAIM, "k": 2.5}, "invalid_field", "'k' must be an integer"),
    ({"claim": CLAIM, "k": 0}, "out_of_range", "'k' must be between 1 and 20"),
    ({"claim": CLAIM, "k": 21}, "out_of_range", "'k' must be between 1 and 20"),
    ({"claim": CLAIM, "since": "15/07/2025"}, "invalid_field", "'since' must be a date written YYYY-MM-DD"),
    ({"claim": CLAIM, "since": "2025-7-15"}, "invalid_field", "'since' must be a date written YYYY-MM-DD"),
    ({"claim": CLAIM, "until": "2025-07-15T10:00:00"}, "invalid_field", "'until' must be a date written YYYY-MM-DD"),
    ({"claim": CLAIM, "until": 20250715}, "invalid_field", "'until' must be a date written YYYY-MM-DD"),
    ({"claim": CLAIM, "since": "٢٠٢٥-07-15"}, "invalid_field", "'since' must be a date written YYYY-MM-DD"),
    ({"claim": CLAIM, "since": "2025-02-30"}, "invalid_field", "'since' is not a calendar date: 2025-02-30"),
    ({"claim": CLAIM, "until": "2025-13-01"}, "invalid_field", "'until' is not a calendar date: 2025-13-01"),
    (
        {"claim": CLAIM, "since": "2025-07-16", "until": "2025-07-15"},
        "out_of_range",
        "'since' (2025-07-16) is after 'until' (2025-07-15)",
    ),
    ({"claim": CLAIM, "outlets": "Le Monde"}, "invalid_field", "'outlets' must be a list of outlet names (strings)"),
    ({"claim": CLAIM, "outlets": {"name": "Le Monde"}}, "invalid_field", "'outlets' must be a list of outlet names (strings)"),
    ({"claim": CLAIM, "outlets": ["Le Monde", "  "]}, "invalid_field", "'outlets[]' holds a blank name"),
    ({"claim": CLAIM, "outlets": [""]}, "invalid_field", "'outlets[]' holds a blank name"),
    ({"claim": CLAIM, "outlets": [3]}, "invalid_field", "'outlets[]' must be a string"),
    ({"claim": CLAIM, "outlets": ["x"] * 51}, "too_long", "'outlets' holds at most 50 names"),
    ({"claim": CLAIM, "outlets": ["x" * (LONG + 1)]}, "too_long", f"'outlets[]' is {LONG + 1} characters long; the limit is {LONG}"),
    ([CLAIM], "invalid_body", "the body must be a JSON object"),
    ("Tomahawk", "invalid_body", "the body must be a JSON object"),
]


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and link under ``root``: its size and modification time."""
    return {str(path.relative_to(root)): (path.lstat().st_size, path.lstat().st_mtime_ns) for path in sorted(root.rglob("*"))}


@pytest.fixture
def built(app, client):
    """The test app's client, its index built; and the folder holding its seeds and index."""
    assert client.get("/api/sources").status_code == 200
    return client, Path(app.config["INDEX_DIR"]).parent


def assert_error(response, status: int, code: str, message: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    if message is not None:
        assert body["error"]["message"] == message, body


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("body", "code", "message"), BAD_BODIES, ids=[f"{i}-{case[1]}" for i, case in enumerate(BAD_BODIES)])
def test_a_bad_body_gets_the_one_error_shape_with_its_code_and_message(built, route, body, code, message):
    client, folder = built
    before = snapshot(folder)
    assert_error(client.post(route, json=body), 400, code, message)
    assert snapshot(folder) == before


@pytest.mark.parametrize("route", ROUTES)
def test_the_body_must_be_json_sent_as_json(built, route):
    client, folder = built
    before = snapshot(folder)
    assert_error(client.post(route, data=b'{"claim": "x"}', content_type="text/plain"), 415, "unsupported_media_type")
    assert_error(client.post(route, data=b"", content_type="application/json"), 400, "empty_body")
    assert_error(client.post(route, data=b'{"claim": "x"', content_type="application/json"), 400, "invalid_json")
    assert_error(client.post(route, data=b'{"claim": "\xff"}', content_type="application/json"), 400, "invalid_utf8")
    assert_error(client.post(route, data=b'{"claim": NaN}', content_type="application/json"), 400, "invalid_json")
    assert_error(client.post(route, data='{"claim": "\\ud800"}', content_type="application/json"), 400, "invalid_field")
    assert_error(client.get(route), 405, "method_not_allowed")
    assert snapshot(folder) == before


def test_the_limits_are_those_the_openapi_document_gives(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    request = schemas["CheckRequest"]["properties"]
    assert request["claim"]["maxLength"] == LONG and request["k"]["maximum"] == 20
    assert request["outlets"]["maxItems"] == 50
    assert {request["since"]["format"], request["until"]["format"]} == {"date"}
    assert schemas["AskRequest"]["properties"]["outlets"] == request["outlets"]


def test_the_ask_route_holds_its_filter_to_the_same_rules(client):
    question = {"question": "Tomahawk"}
    assert_error(client.post("/api/ask", json={**question, "since": "2025-02-30"}), 400, "invalid_field")
    assert_error(client.post("/api/ask", json={**question, "outlets": ["  "]}), 400, "invalid_field")
    assert_error(
        client.post("/api/ask", json={**question, "since": "2025-07-16", "until": "2025-07-15"}),
        400,
        "out_of_range",
        "'since' (2025-07-16) is after 'until' (2025-07-15)",
    )
    assert_error(client.post("/api/ask", json={"question": " "}), 400, "blank_question", "'question' is blank")


# --- valid claims: the response shapes ------------------------------------------------------




def response_schema(spec, path: str, media_type: str = "application/json"):
    content = spec["paths"][path]["post"]["responses"]["200"]["content"][media_type]
    return resolve_schema(copy.deepcopy(content["schema"]), spec["components"]["schemas"])


def assert_excerpts_slice(check: dict, articles: dict[str, str]) -> None:
    """Every passage, sentence and difference slices its text exactly: the article's, or the claim's."""
    for source in check["sources"]:
        citation = source["citation"]
        text = articles[citation["source"]]
        assert text[citation["start"] : citation["end"]] == source["text"]
        for part in source["span"]:
            assert citation["start"] <= part["start"] < part["end"] <= citation["end"]
            assert text[part["start"] : part["end"]] == part["text"]
        for difference in source["differences"]:
            assert check["claim"][difference["claim"]["start"] : difference["claim"]["end"]] == difference["claim"]["text"]
            assert text[difference["source"]["start"] : difference["source"]["end"]] == difference["source"]["text"]


def articles_of(client) -> dict[str, str]:
    names = [s["source"] for s in client.get("/api/sources").get_json()["sources"]]
    return {name: client.get(f"/api/sources/{name}").get_json()["text"] for name in names}


def test_a_valid_claim_gets_a_check_as_the_openapi_document_describes(client):
    spec = client.get("/api/openapi.json").get_json()
    for body in ({"claim": CLAIM}, {"claim": CLAIM, "k": 3, "outlets": [], "since": None, "until": None}):
        response = client.post("/api/check", json=body)
        assert response.status_code == 200, response.get_json()
        check = response.get_json()
        jsonschema.validate(check, response_schema(spec, "/api/check"))
        assert check["claim"] == CLAIM
        assert_excerpts_slice(check, articles_of(client))


def test_an_unknown_outlet_is_named_in_the_coverage(client):
    check = client.post("/api/check", json={"claim": CLAIM, "outlets": ["Le Figaro"]}).get_json()
    assert check["verdict"] == "not_found" and check["sources"] == []
    assert check["coverage"]["articles"] == 0 and check["coverage"]["unknown_outlets"] == ["Le Figaro"]


def test_the_claimreview_route_answers_json_ld(client):
    spec = client.get("/api/openapi.json").get_json()
    response = client.post("/api/check/claimreview", json={"claim": CLAIM})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    review = response.get_json(force=True)
    jsonschema.validate(review, response_schema(spec, "/api/check/claimreview", "application/ld+json"))
    assert review["@type"] == "ClaimReview" and review["claimReviewed"] == CLAIM


def test_the_claimreview_is_the_json_ld_of_the_same_check(client, app):
    from qa.service.claimreview import claim_review_json

    with app.app_context():
        check = app.extensions["qa"].check(CLAIM, 5)
    review = client.post("/api/check/claimreview", json={"claim": CLAIM}).get_json(force=True)
    assert review == claim_review_json(check)


# --- real claims on the real model --------------------------------------------------------------


@pytest.mark.slow
def test_a_claim_the_articles_state_is_stated_and_cited(real_client):
    check = real_client.post("/api/check", json={"claim": CLAIM}).get_json()
    assert check["verdict"] in {"stated", "stated_differently"}, check["summary"]
    assert any(source["verdict"] in {"states", "differs"} for source in check["sources"])
    assert_excerpts_slice(check, articles_of(real_client))


@pytest.mark.slow
def test_a_claim_no_article_states_is_not_found(real_client):
    check = real_client.post("/api/check", json={"claim": "La France a remporté la Coupe du monde de rugby 2023."}).get_json()
    assert check["verdict"] == "not_found", check
    assert all(source["verdict"] == "related" for source in check["sources"])
