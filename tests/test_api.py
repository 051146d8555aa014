"""The JSON API: answers, sources, health, and one error shape for every bad request."""

from __future__ import annotations

import json

import pytest

from qa.search.timing import parse_server_timing, server_timing_header
from support.asserts import assert_citations_slice, assert_error


def articles_of(client) -> dict[str, str]:
    listing = client.get("/api/sources").get_json()["sources"]
    return {s["source"]: client.get(f"/api/sources/{s['source']}").get_json()["text"] for s in listing}


def test_ask_returns_k_passages_with_citations_that_slice(client):
    response = client.post("/api/ask", json={"question": "Quelle est la portée des missiles Tomahawk ?", "k": 3})
    assert response.status_code == 200
    body = response.get_json()
    assert body["question"] == "Quelle est la portée des missiles Tomahawk ?"
    assert isinstance(body["answered"], bool)
    assert len(body["passages"]) == 3
    for passage in body["passages"]:
        assert set(passage["citation"]) == {"source", "title", "paragraph", "start", "end", "outlet", "published", "url"}
        assert set(passage["scores"]) == {"fused", "dense", "lexical"}
        assert passage["score"] == passage["scores"]["fused"]
        highlight = passage["highlight"]
        assert passage["citation"]["start"] <= highlight["start"] < highlight["end"] <= passage["citation"]["end"]
    scores = [p["score"] for p in body["passages"]]
    assert scores == sorted(scores, reverse=True)
    assert_citations_slice(body, articles_of(client))


def test_k_defaults_to_five(client):
    body = client.post("/api/ask", json={"question": "Tomahawk"}).get_json()
    assert len(body["passages"]) == 5


def test_sources_list_and_text(client):
    listing = client.get("/api/sources").get_json()["sources"]
    assert [s["source"] for s in listing] == ["000_49f69a7d4a642e90.txt", "001_3b9574d560628014.txt"]
    article = client.get("/api/sources/000_49f69a7d4a642e90.txt").get_json()
    assert article["title"] == "Trump encourage Zelensky à frapper la Russie"
    assert article["text"].startswith("- Donald Trump")


@pytest.mark.parametrize(
    "source",
    ["nope.txt", "../pyproject.toml", "..%2Fpyproject.toml", "%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "seeds/../../x"],
)
def test_unknown_or_escaping_sources_are_json_404(client, source):
    assert_error(client.get(f"/api/sources/{source}"), 404)


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["passages"] > 10 and body["model"] == "hashing"


@pytest.mark.parametrize(
    "payload, code",
    [
        ({}, "missing_field"),
        ({"question": ""}, "blank_question"),
        ({"question": "   \n"}, "blank_question"),
        ({"question": 42}, "invalid_field"),
        ({"question": None}, "invalid_field"),
        ({"question": "x" * 1001}, "too_long"),
        ({"question": "Tomahawk", "k": 0}, "out_of_range"),
        ({"question": "Tomahawk", "k": 21}, "out_of_range"),
        ({"question": "Tomahawk", "k": "3"}, "invalid_field"),
        ({"question": "Tomahawk", "k": 2.5}, "invalid_field"),
        ({"question": "Tomahawk", "k": True}, "invalid_field"),
        ({"question": "Tomahawk", "history": "Et celle des Atacms ?"}, "invalid_field"),
        ({"question": "Tomahawk", "history": [1, 2]}, "invalid_field"),
        ({"question": "Tomahawk", "history": ["a"] * 6}, "too_long"),
        ([], "invalid_body"),
        ("question", "invalid_body"),
    ],
)
def test_invalid_bodies_get_400_with_a_code(client, payload, code):
    assert_error(client.post("/api/ask", json=payload), 400, code)


def test_malformed_json_empty_body_and_wrong_content_type(client):
    assert_error(client.post("/api/ask", data="{not json", content_type="application/json"), 400, "invalid_json")
    assert_error(client.post("/api/ask", data="", content_type="application/json"), 400, "empty_body")
    assert_error(client.post("/api/ask", data='{"question": "x"}', content_type="text/plain"), 415)
    assert_error(client.post("/api/ask", data=b'{"question": "\xff"}', content_type="application/json"), 400, "invalid_utf8")
    assert_error(client.post("/api/ask", data='{"question": "\\ud800"}', content_type="application/json"), 400)
    assert_error(client.post("/api/ask", data='{"question": NaN}', content_type="application/json"), 400)


def test_oversized_body_is_413(client):
    big = json.dumps({"question": "a", "pad": "x" * 40_000})
    assert_error(client.post("/api/ask", data=big, content_type="application/json"), 413)


def test_routing_errors_share_the_shape(client):
    assert_error(client.get("/api/ask"), 405, "method_not_allowed")
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.delete("/healthz"), 405)


def test_odd_but_valid_questions_are_answered(client):
    for question in ["🚀 missiles ?", "ما هو مدى صواريخ توماهوك؟", "Tomahawk\u0000range", "'; DROP TABLE passages; --", "<b>Tomahawk</b>"]:
        response = client.post("/api/ask", json={"question": question})
        assert response.status_code == 200, question
        assert response.get_json()["question"] == question.strip()


def test_follow_up_question_uses_history_only_when_it_leans_on_it(client):
    body = client.post(
        "/api/ask", json={"question": "Et celle des Atacms ?", "history": ["Quelle est la portée des missiles Tomahawk ?"]}
    ).get_json()
    assert body["history_used"] == ["Quelle est la portée des missiles Tomahawk ?"]
    body = client.post(
        "/api/ask",
        json={"question": "Qui dirige le Conseil de sécurité russe ?", "history": ["Quelle est la portée des missiles Tomahawk ?"]},
    ).get_json()
    assert body["history_used"] == []


@pytest.mark.parametrize("question", ["\x1f", "\x85", "\ufeff", "\u3000 \t"])
def test_white_space_of_either_regex_engine_is_blank(client, question):
    assert_error(client.post("/api/ask", json={"question": question}), 400, "blank_question")


def server_timing(response) -> dict[str, float]:
    """The Server-Timing header as {name: milliseconds}."""
    return parse_server_timing(response.headers["Server-Timing"])


def test_server_timing_header_parses_back():
    stages = {"lexical": 0.05, "embed": 9.81, "other": 1.0}
    header = server_timing_header(stages, 12.5)
    assert header == "lexical;dur=0.05, embed;dur=9.81, other;dur=1.00, app;dur=12.50"
    assert parse_server_timing(header) == {**stages, "app": 12.5}
    assert parse_server_timing(None) == parse_server_timing("") == {}
    with pytest.raises(ValueError):
        parse_server_timing("embed, app;dur=1")


def test_ask_reports_stage_timings_in_server_timing(client):
    client.get("/healthz")  # the index is built on first use: keep that out of the timed request
    response = client.post("/api/ask", json={"question": "Quelle est la portée des missiles Tomahawk ?"})
    stages = server_timing(response)
    assert list(stages)[:3] == ["lexical", "embed", "dense"]
    assert {"rank", "highlight", "corroboration", "app"} <= set(stages)
    assert all(value >= 0 for value in stages.values())
    inside = sum(value for name, value in stages.items() if name != "app")
    assert inside <= stages["app"] + 0.05  # the stages run inside the app's time (2-decimal rounding)
    assert "timings" not in json.dumps(response.get_json())  # a header only: the body is unchanged


def test_every_response_has_the_app_time_even_errors(client):
    assert set(server_timing(client.get("/healthz"))) == {"app"}
    assert set(server_timing(client.post("/api/ask", data="not json"))) == {"app"}


def test_server_timing_can_be_turned_off(tmp_path):
    from qa import create_app
    from support.app import make_config

    client = create_app(make_config(tmp_path, SERVER_TIMING=False)).test_client()
    assert "Server-Timing" not in client.post("/api/ask", json={"question": "Tomahawk ?"}).headers
