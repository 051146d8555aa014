"""The OpenAPI description matches what the API really answers."""

from __future__ import annotations

import copy
import re

import jsonschema
import pytest

from support.asserts import resolve_schema




@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def response_schema(spec, path, method, status):
    content = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]
    return resolve_schema(copy.deepcopy(content["schema"]), spec["components"]["schemas"])


def test_spec_lists_every_route(spec, app):
    documented = set(spec["paths"])
    routed = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule == "/healthz"
    }
    assert routed == documented


def test_real_responses_match_the_schemas(spec, client):
    cases = [
        ("/api/ask", "post", 200, client.post("/api/ask", json={"question": "Tomahawk", "k": 2})),
        ("/api/ask", "post", 400, client.post("/api/ask", json={"question": ""})),
        ("/api/ask", "post", 415, client.post("/api/ask", data="x", content_type="text/plain")),
        ("/api/ask", "post", 200, client.post("/api/ask", json={"question": "Tomahawk", "outlets": ["Nulle Part"]})),
        ("/api/ask", "post", 400, client.post("/api/ask", json={"question": "a", "since": "2025-07-16", "until": "2025-07-15"})),
        ("/api/check", "post", 200, client.post("/api/check", json={"claim": "Les Tomahawk portent à 1 600 km.", "k": 3})),
        ("/api/check", "post", 200, client.post("/api/check", json={"claim": "Tomahawk", "outlets": ["Nulle Part"]})),
        ("/api/check", "post", 400, client.post("/api/check", json={"claim": " "})),
        ("/api/check", "post", 415, client.post("/api/check", data="x", content_type="text/plain")),
        ("/api/check/claimreview", "post", 400, client.post("/api/check/claimreview", json={"claim": 3})),
        ("/api/sources", "get", 200, client.get("/api/sources")),
        ("/api/sources/{source}", "get", 200, client.get("/api/sources/000_49f69a7d4a642e90.txt")),
        ("/api/sources/{source}", "get", 404, client.get("/api/sources/none.txt")),
        ("/api/stories", "get", 200, client.get("/api/stories")),
        ("/api/stories/{story_id}", "get", 200, client.get(f"/api/stories/{client.get('/api/stories').get_json()['stories'][0]['id']}")),
        ("/api/stories/{story_id}", "get", 404, client.get("/api/stories/none")),
        ("/healthz", "get", 200, client.get("/healthz")),
    ]
    for path, method, status, response in cases:
        assert response.status_code == status, (path, response.get_json())
        jsonschema.validate(response.get_json(), response_schema(spec, path, method, status))


def test_documented_limits_are_the_enforced_ones(spec, client):
    request = resolve_schema(spec["components"]["schemas"]["AskRequest"], spec["components"]["schemas"])
    k = request["properties"]["k"]
    assert client.post("/api/ask", json={"question": "a", "k": k["maximum"]}).status_code == 200
    assert client.post("/api/ask", json={"question": "a", "k": k["maximum"] + 1}).status_code == 400
    limit = request["properties"]["question"]["maxLength"]
    assert client.post("/api/ask", json={"question": "a" * limit}).status_code == 200
    assert client.post("/api/ask", json={"question": "a" * (limit + 1)}).status_code == 400
    history = request["properties"]["history"]["maxItems"]
    assert client.post("/api/ask", json={"question": "a", "history": ["b"] * history}).status_code == 200
    assert client.post("/api/ask", json={"question": "a", "history": ["b"] * (history + 1)}).status_code == 400
    for path, name, field in (("/api/ask", "AskRequest", "question"), ("/api/check", "CheckRequest", "claim")):
        outlets = resolve_schema(spec["components"]["schemas"][name], spec["components"]["schemas"])["properties"]["outlets"]
        most = outlets["anyOf"][0]["maxItems"]
        assert client.post(path, json={field: "a", "outlets": ["b"] * most}).status_code == 200
        assert client.post(path, json={field: "a", "outlets": ["b"] * (most + 1)}).status_code == 400
