"""Bad input, security headers and the rate limit: every malformed request is a JSON 4xx.

Two layers: the Flask test client for the wide matrix of bodies, fields and routes, and a
real ``qa serve`` (gunicorn) process over a socket for what the test client would hide:
chunked bodies, missing or lying ``Content-Length``, raw unnormalised paths. Both end by
checking that the server still answers a normal question. ``tests/test_api.py`` covers
the basic cases; these extend them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa import create_app
from qa.serve.worker import HEAD_TOO_LARGE, MORE, READY, RequestFrame
from support.app import copy_seeds, make_config
from support.asserts import assert_citations_slice, assert_error, assert_error_shape
from support.live_server import LiveServer, parse_http_response

SOURCE = "000_49f69a7d4a642e90.txt"


def assert_still_serves(client) -> None:
    response = client.post("/api/ask", json={"question": "Quelle est la portée des missiles Tomahawk ?"})
    assert response.status_code == 200
    assert response.get_json()["passages"]


# --- bodies -------------------------------------------------------------------------------

BAD_BODIES = [
    # (raw body, content type, status, code)
    (b"", "application/json", 400, "empty_body"),
    (b"   \r\n\t ", "application/json", 400, "empty_body"),
    (b"{", "application/json", 400, "invalid_json"),
    (b'{"question": "a",}', "application/json", 400, "invalid_json"),
    (b"{'question': 'a'}", "application/json", 400, "invalid_json"),
    (b'{"question": "a"} trailing', "application/json", 400, "invalid_json"),
    (b'{"question": Infinity}', "application/json", 400, "invalid_json"),
    (b'{"question": "a", "k": -Infinity}', "application/json", 400, "invalid_json"),
    (b"[" * 15000 + b"]" * 15000, "application/json", 400, "invalid_json"),  # nesting past the recursion limit
    (b"null", "application/json", 400, "invalid_body"),
    (b"42", "application/json", 400, "invalid_body"),
    (b"true", "application/json", 400, "invalid_body"),
    (b'"Tomahawk"', "application/json", 400, "invalid_body"),
    (b'[{"question": "Tomahawk"}]', "application/json", 400, "invalid_body"),
    # invalid UTF-8: a stray byte, Latin-1, an overlong slash, an encoded surrogate, UTF-16
    (b'{"question": "\xff"}', "application/json", 400, "invalid_utf8"),
    ('{"question": "portée"}'.encode("latin-1"), "application/json", 400, "invalid_utf8"),
    (b'{"question": "\xc0\xaf"}', "application/json", 400, "invalid_utf8"),
    (b'{"question": "\xed\xa0\x80"}', "application/json", 400, "invalid_utf8"),
    ('{"question": "Tomahawk"}'.encode("utf-16"), "application/json", 400, "invalid_utf8"),
    # lone surrogates written as JSON escapes, in the question and in the history
    (b'{"question": "\\udc00abc"}', "application/json", 400, "invalid_field"),
    (b'{"question": "a\\ud83d"}', "application/json", 400, "invalid_field"),
    (b'{"question": "Tomahawk", "history": ["\\ud800"]}', "application/json", 400, "invalid_field"),
    # wrong content types
    (b'{"question": "Tomahawk"}', "", 415, "unsupported_media_type"),
    (b'{"question": "Tomahawk"}', "text/plain", 415, "unsupported_media_type"),
    (b'{"question": "Tomahawk"}', "text/json", 415, "unsupported_media_type"),
    (b"question=Tomahawk", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b"--b\r\nContent-Disposition: form-data; name=question\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b", 415, None),
    (b"<question>Tomahawk</question>", "application/xml", 415, "unsupported_media_type"),
]


@pytest.mark.parametrize("data, content_type, status, code", BAD_BODIES)
def test_bad_bodies_get_a_json_4xx(client, data, content_type, status, code):
    headers = {"Content-Type": content_type} if content_type else {}
    assert_error(client.post("/api/ask", data=data, headers=headers), status, code)


BAD_FIELDS = [
    ({"question": ["Tomahawk"]}, "invalid_field"),
    ({"question": {"text": "Tomahawk"}}, "invalid_field"),
    ({"question": True}, "invalid_field"),
    ({"question": 1.5}, "invalid_field"),
    ({"question": "\u00a0\u2003\u3000"}, "blank_question"),  # Unicode spaces only
    ({"question": "\t\r\n"}, "blank_question"),
    ({"question": "é" * 1001}, "too_long"),
    ({"question": "🚀" * 1001}, "too_long"),  # counted in characters, not bytes
    ({"question": "Tomahawk", "k": None}, "invalid_field"),
    ({"question": "Tomahawk", "k": False}, "invalid_field"),
    ({"question": "Tomahawk", "k": 3.0}, "invalid_field"),
    ({"question": "Tomahawk", "k": [3]}, "invalid_field"),
    ({"question": "Tomahawk", "k": -1}, "out_of_range"),
    ({"question": "Tomahawk", "k": 10**30}, "out_of_range"),
    ({"question": "Tomahawk", "history": {"0": "a"}}, "invalid_field"),
    ({"question": "Tomahawk", "history": 3}, "invalid_field"),
    ({"question": "Tomahawk", "history": [["nested"]]}, "invalid_field"),
    ({"question": "Tomahawk", "history": [None]}, "invalid_field"),
    ({"question": "Tomahawk", "history": None}, "invalid_field"),
    ({"question": "Tomahawk", "history": ["x" * 1001]}, "too_long"),
]


@pytest.mark.parametrize("payload, code", BAD_FIELDS)
def test_bad_fields_get_a_400_with_a_code(client, payload, code):
    assert_error(client.post("/api/ask", json=payload), 400, code)


def test_documented_limits_hold_exactly_at_the_edge(client):
    assert client.post("/api/ask", json={"question": "a" * 1000}).status_code == 200
    assert client.post("/api/ask", json={"question": "Tomahawk", "k": 20}).status_code == 200
    assert client.post("/api/ask", json={"question": "Tomahawk", "history": ["x" * 1000] * 5}).status_code == 200
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    padded = json.dumps({"question": "Tomahawk", "pad": ""})
    exact = padded.replace('"pad": ""', '"pad": "' + "x" * (limit - len(padded)) + '"')
    assert len(exact.encode()) == limit
    assert client.post("/api/ask", data=exact, content_type="application/json").status_code == 200
    over = exact.replace('"pad": "', '"pad": "x')
    body = assert_error(client.post("/api/ask", data=over, content_type="application/json"), 413, "payload_too_large")
    assert str(limit) in body["error"]["message"]


def test_content_type_with_parameters_and_json_suffix_is_accepted(client):
    data = json.dumps({"question": "Tomahawk"})
    for content_type in ["application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json"]:
        assert client.post("/api/ask", data=data, headers={"Content-Type": content_type}).status_code == 200


def test_unknown_fields_are_ignored(client):
    assert client.post("/api/ask", json={"question": "Tomahawk", "extra": {"a": [1]}}).status_code == 200


# --- routes and methods -----------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/ask"),
        ("PUT", "/api/ask"),
        ("DELETE", "/api/ask"),
        ("PATCH", "/api/ask"),
        ("POST", "/api/sources"),
        ("DELETE", f"/api/sources/{SOURCE}"),
        ("PUT", f"/api/sources/{SOURCE}"),
        ("POST", "/healthz"),
        ("POST", "/api/openapi.json"),
    ],
)
def test_wrong_methods_are_405_with_allow(client, method, path):
    response = client.open(path, method=method)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers.get("Allow")


@pytest.mark.parametrize(
    "path",
    ["/api", "/api/", "/api/ask/", "/api//ask", "/api/asks", "/api/sources/", "/api/v2/ask", "/api/%ff", "/api/../healthz"],
)
def test_unknown_api_routes_are_json_404(client, path):
    assert_error(client.get(path), 404)


TRAVERSALS = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fpyproject.toml",  # double-encoded
    "..%252f..%252fpyproject.toml",
    "..\\..\\pyproject.toml",
    "%2e%2e%5c%2e%2e%5cpyproject.toml",
    "/etc/passwd",
    "%2Fetc%2Fpasswd",
    f"./{SOURCE}",
    f"{SOURCE}%00.txt",
    f"{SOURCE}/",
    f"{SOURCE}/..",
    f"x/../{SOURCE}",
    "%00",
    "%ff%fe",
    "..%c0%af..%c0%afpyproject.toml",  # overlong UTF-8 slash
    "~root",
    "seeds",
    ".",
]


@pytest.mark.parametrize("source", TRAVERSALS)
def test_path_traversal_in_sources_is_json_404(client, source):
    response = client.get(f"/api/sources/{source}")
    assert_error(response, 404)
    assert b"root:" not in response.get_data() and b"[project]" not in response.get_data()


def test_an_unexpected_error_is_a_json_500_without_the_trace(tmp_path, caplog):
    app = create_app(make_config(tmp_path))

    @app.get("/api/test-crash")
    def crash():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/api/test-crash")
    body = assert_error(response, 500, "internal_error")
    assert "secret internal detail" not in json.dumps(body)
    assert "secret internal detail" in caplog.text  # it is logged, for the operator


def test_server_still_serves_after_every_bad_request(client):
    for data, content_type, _, _ in BAD_BODIES:
        client.post("/api/ask", data=data, headers={"Content-Type": content_type} if content_type else {})
    for payload, _ in BAD_FIELDS:
        client.post("/api/ask", json=payload)
    for source in TRAVERSALS:
        client.get(f"/api/sources/{source}")
    assert_still_serves(client)


# --- odd but valid questions ------------------------------------------------------------------

ODD_QUESTIONS = [
    "🚀🚀 portée des missiles ? 🇺🇦",
    "ما هو مدى صواريخ توماهوك؟",
    "מה הטווח של טומהוק?",
    "Tomahawk\u0000range",
    "'; DROP TABLE passages; --",
    "\" OR 1=1 --",
    "<script>alert(1)</script> Tomahawk",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} %s %n",
    "Tomahawk\u202eesrever",
    "e\u0301e\u0301 combining marks",
    "\ufeffTomahawk",
    "a",
    "?",
]


@pytest.mark.parametrize("question", ODD_QUESTIONS)
def test_odd_but_valid_questions_are_answered(client, question):
    response = client.post("/api/ask", json={"question": question, "history": [question]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["question"] == question.strip()
    articles = {s["source"]: client.get(f"/api/sources/{s['source']}").get_json()["text"] for s in client.get("/api/sources").get_json()["sources"]}
    assert_citations_slice(body, articles)


# --- security headers ---------------------------------------------------------------------


def assert_security_headers(headers) -> None:
    csp = headers.get("Content-Security-Policy")
    assert csp, "no Content-Security-Policy"
    directives = {part.split()[0]: part.split()[1:] for part in (d.strip() for d in csp.split(";")) if part}
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    script_sources = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in script_sources and "'unsafe-eval'" not in script_sources
    assert all(source in ("'self'", "'none'") for source in script_sources)
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") in {"no-referrer", "same-origin", "strict-origin-when-cross-origin"}


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("GET", "/", {}),
        ("GET", "/healthz", {}),
        ("GET", "/api/openapi.json", {}),
        ("GET", "/api/sources", {}),
        ("GET", f"/api/sources/{SOURCE}", {}),
        ("POST", "/api/ask", {"json": {"question": "Tomahawk"}}),
        ("POST", "/api/ask", {"json": {}}),
        ("GET", "/api/ask", {}),
        ("GET", "/no-such-page", {}),
        ("GET", "/api/sources/nope.txt", {}),
    ],
)
def test_every_response_sends_the_security_headers(client, method, path, kwargs):
    assert_security_headers(client.open(path, method=method, **kwargs).headers)


def test_static_files_and_server_errors_send_the_security_headers(tmp_path):
    app = create_app(make_config(tmp_path))

    @app.get("/api/test-crash")
    def crash():
        raise RuntimeError("boom")

    client = app.test_client()
    assert_security_headers(client.get("/api/test-crash").headers)
    static = sorted(p for p in Path(app.static_folder or "").rglob("*") if p.is_file())
    if static:  # the page's assets, when the web blueprint ships some
        relative = static[0].relative_to(app.static_folder).as_posix()
        assert_security_headers(client.get(f"{app.static_url_path}/{relative}").headers)


# --- rate limit -----------------------------------------------------------------------------


def test_rate_limit_is_off_in_tests_unless_a_test_turns_it_on(client):
    assert client.application.config["RATELIMIT"] == ""
    statuses = {client.post("/api/ask", json={"question": "Tomahawk"}).status_code for _ in range(130)}
    assert statuses == {200}


def test_rate_limit_is_on_by_default_in_the_service(tmp_path, monkeypatch):
    monkeypatch.delenv("QA_RATELIMIT", raising=False)
    config = make_config(tmp_path)
    del config["RATELIMIT"]
    client = create_app(config).test_client()
    assert client.application.config["RATELIMIT"] == "120/minute;2000/hour"
    statuses = [client.post("/api/ask", json={"question": "Tomahawk"}).status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429


def test_rate_limit_answers_429_with_retry_after_per_client(tmp_path):
    app = create_app(make_config(tmp_path, RATELIMIT="5/minute"))
    client = app.test_client()
    first = {"REMOTE_ADDR": "192.0.2.1"}
    statuses = [
        client.post("/api/ask", json={"question": "Tomahawk"}, environ_base=first).status_code for _ in range(5)
    ]
    assert statuses == [200] * 5
    limited = client.post("/api/ask", json={"question": "Tomahawk"}, environ_base=first)
    body = assert_error(limited, 429, "rate_limited")
    assert "5 per 1 minute" in body["error"]["message"]
    retry_after = int(limited.headers["Retry-After"])
    assert 0 < retry_after <= 60
    assert_security_headers(limited.headers)
    # The limit is per client: another address is still served, and pages are not limited.
    assert client.post("/api/ask", json={"question": "Tomahawk"}, environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200
    assert client.get("/", environ_base=first).status_code == 200
    assert client.get("/healthz", environ_base=first).status_code == 200
    # Every /api/ route counts, not only /api/ask.
    assert_error(client.get("/api/sources", environ_base=first), 429, "rate_limited")


def test_rate_limit_accepts_several_windows(tmp_path):
    app = create_app(make_config(tmp_path, RATELIMIT="100/minute; 2/second"))
    client = app.test_client()
    statuses = [client.get("/api/sources").status_code for _ in range(3)]
    assert statuses[:2] == [200, 200] and statuses[2] == 429


# --- a real gunicorn server, over a socket ---------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    server = LiveServer(
        tmp / "server.log", MODEL="hashing", SEEDS_DIR=str(copy_seeds(tmp / "seeds")), INDEX_DIR=str(tmp / "index")
    )
    with server:
        yield server


def raw_request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body: bytes, size: int = 4096) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


@pytest.mark.slow
def test_real_server_body_size_limit_with_and_without_content_length(live):
    big = json.dumps({"question": "Tomahawk", "pad": "x" * 40_000}).encode()
    small = json.dumps({"question": "Tomahawk"}).encode()
    json_headers = {"Content-Type": "application/json"}
    # Declared too big: refused before the body is read.
    raw = live.raw_http(raw_request("POST", "/api/ask", {**json_headers, "Content-Length": "1000000000"}, small))
    assert_error_shape(*_status_type_body(raw), 413, "payload_too_large")
    # Chunked, no Content-Length: counted while reading, 413 rather than a silently cut body.
    raw = live.raw_http(raw_request("POST", "/api/ask", {**json_headers, "Transfer-Encoding": "chunked"}, chunked(big)))
    assert_error_shape(*_status_type_body(raw), 413, "payload_too_large")
    # Chunked and small: served.
    raw = live.raw_http(raw_request("POST", "/api/ask", {**json_headers, "Transfer-Encoding": "chunked"}, chunked(small, 7)))
    status, _, body = parse_http_response(raw)
    assert status == 200 and json.loads(body)["passages"]
    # No Content-Length and no chunking: the body is empty for HTTP/1.1.
    raw = live.raw_http(raw_request("POST", "/api/ask", json_headers, small), shutdown_write=True)
    assert_error_shape(*_status_type_body(raw), 400, "empty_body")
    # A Content-Length the body never reaches (the client closes early): 400, not a guess.
    raw = live.raw_http(raw_request("POST", "/api/ask", {**json_headers, "Content-Length": "500"}, small), shutdown_write=True)
    assert_error_shape(*_status_type_body(raw), 400, "incomplete_body")
    # Over the limit with an honest Content-Length.
    status, headers, body = live.request("POST", "/api/ask", big, json_headers)
    assert_error_shape(status, headers["content-type"], body, 413, "payload_too_large")


def _status_type_body(raw: bytes) -> tuple[int, str, bytes]:
    status, headers, body = parse_http_response(raw)
    return status, headers.get("content-type", ""), body


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        "/api/sources/../../etc/passwd",
        "/api/sources/../../pyproject.toml",
        "/api/sources/..%2F..%2Fpyproject.toml",
        "/api/sources/%2e%2e/%2e%2e/pyproject.toml",
        "/api/sources/%252e%252e%252fpyproject.toml",
        "/api/sources/..%5c..%5cpyproject.toml",
        "/api/sources/..\\..\\pyproject.toml",
        "/api/sources//etc/passwd",
        "/api/sources/%2Fetc%2Fpasswd",
        f"/api/sources/{SOURCE}%00.txt",
        "/api/sources/%ff",
        f"/api/sources/./{SOURCE}",
        "/api/../pyproject.toml",
        "/api/%2e%2e/pyproject.toml",
    ],
)
def test_real_server_path_traversal_is_json_404(live, path):
    raw = live.raw_http(raw_request("GET", path))
    status, content_type, body = _status_type_body(raw)
    assert_error_shape(status, content_type, body, 404)
    assert b"root:" not in body and b"[project]" not in body


@pytest.mark.slow
def test_real_server_bad_input_methods_and_routes(live):
    json_headers = {"Content-Type": "application/json"}
    cases = [
        ("POST", "/api/ask", b'{"question": "\xff"}', json_headers, 400, "invalid_utf8"),
        ("POST", "/api/ask", b'{"question": "\\ud800"}', json_headers, 400, "invalid_field"),
        ("POST", "/api/ask", b'{"question": "Tomahawk"}', {"Content-Type": "text/plain"}, 415, None),
        ("POST", "/api/ask", b'{"question": "Tomahawk", "k": true}', json_headers, 400, "invalid_field"),
        ("POST", "/api/ask", b'{"question": "Tomahawk", "history": "x"}', json_headers, 400, "invalid_field"),
        ("POST", "/api/ask", b"{nope", json_headers, 400, "invalid_json"),
        ("GET", "/api/ask", None, {}, 405, "method_not_allowed"),
        ("DELETE", "/api/sources", None, {}, 405, "method_not_allowed"),
        ("GET", "/api/nothing", None, {}, 404, "not_found"),
        ("GET", "/api//ask", None, {}, 404, "not_found"),
    ]
    for method, path, body, headers, status, code in cases:
        got_status, got_headers, got_body = live.request(method, path, body, headers)
        assert_error_shape(got_status, got_headers.get("content-type", ""), got_body, status, code)
        assert "content-security-policy" in got_headers
    for question in ODD_QUESTIONS:
        status, answer = live.ask({"question": question})
        assert status == 200 and answer["question"] == question.strip()
    status, answer = live.ask({"question": "Quelle est la portée des missiles Tomahawk ?"})
    assert status == 200 and answer["passages"]
    assert "Traceback" not in live.log()


MALFORMED_HTTP = [
    # (raw request, status, code): requests gunicorn's parser refuses before any route runs
    (b"GARBAGE\r\n\r\n", 400, "invalid_request_line"),
    (b"GET /healthz\r\n\r\n", 400, "invalid_request_line"),
    (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400, "invalid_request_line"),
    (b"G\x00T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request_line"),
    (b"GET /healthz HTTP/1.1\nHost: x\n\n", 400, "invalid_request_line"),
    (b"GET /healthz HTTP/1.1\r\nHost x\r\n\r\n", 400, "invalid_header"),
    (b"GET /healthz HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, "invalid_header"),
    (b"GET /api/sources/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    (b"GET /api/sources/" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, "headers_too_large"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1234567890\r\n" * 150 + b"\r\n", 431, "headers_too_large"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Huge: " + b"h" * 8000 + b"\r\n" * 1 + (b"X-Huge2: " + b"h" * 8000 + b"\r\n") * 9 + b"\r\n", 431, "headers_too_large"),
    (raw_request("POST", "/api/ask", {"Content-Type": "application/json", "Content-Length": "abc"}, b"{}"), 400, "invalid_content_length"),
    (raw_request("POST", "/api/ask", {"Content-Type": "application/json", "Content-Length": "-1"}, b"{}"), 400, "invalid_content_length"),
    (raw_request("POST", "/api/ask", {"Content-Type": "application/json", "Content-Length": "2, 3"}, b"{}"), 400, "invalid_content_length"),
    (raw_request("POST", "/api/ask", {"Content-Type": "application/json", "Content-Length": "1e3"}, b"{}"), 400, "invalid_content_length"),
    (b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "invalid_content_length"),
    (raw_request("POST", "/api/ask", {"Content-Length": "2", "Transfer-Encoding": "chunked"}, b"0\r\n\r\n"), 400, "invalid_content_length"),
    (raw_request("POST", "/api/ask", {"Transfer-Encoding": "gzip"}, b"{}"), 400, None),
    (raw_request("POST", "/api/ask", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, b"zz\r\n{}\r\n0\r\n\r\n"), 400, "invalid_chunked_body"),
    (raw_request("POST", "/api/ask", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, b"2\r\n{}XX0\r\n\r\n"), 400, "invalid_chunked_body"),
    (raw_request("GET", "/healthz", {"Expect": "teapot"}), 417, "expectation_failed"),
]


@pytest.mark.slow
def test_real_server_malformed_http_gets_the_json_error_and_the_server_keeps_serving(live):
    """Requests gunicorn cannot parse never reach the app; they still get our JSON 4xx."""
    for raw_bytes, status, code in MALFORMED_HTTP:
        raw = live.raw_http(raw_bytes, timeout=15)
        document = assert_error_shape(*_status_type_body(raw), status, code)
        assert "content-security-policy" in parse_http_response(raw)[1], raw[:200]
        assert document["error"]["message"]
    raw = live.raw_http(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, shutdown_write=True)  # a TLS hello
    assert not raw or assert_error_shape(*_status_type_body(raw), 400)
    status, answer = live.ask({"question": "Tomahawk"})
    assert status == 200 and answer["passages"]
    assert "Traceback" not in live.log()


@pytest.mark.slow
def test_real_server_sends_security_headers(live):
    for method, path, body in [("GET", "/", None), ("GET", "/api/openapi.json", None), ("GET", "/nope", None),
                               ("POST", "/api/ask", b'{"question": "Tomahawk"}')]:
        _, headers, _ = live.request(method, path, body, {"Content-Type": "application/json"} if body else {})
        assert_security_headers({k.title(): v for k, v in headers.items()})


# --- request framing of the serving worker (qa/serve/worker.py), pure -------------------------------

@st.composite
def framed_requests(draw):
    body = draw(st.binary(max_size=3000))
    headers = draw(st.lists(st.tuples(st.sampled_from(["X-A", "Accept", "User-Agent"]), st.text("abc xyz;=", max_size=40)), max_size=5))
    head = "POST /api/ask HTTP/1.1\r\nHost: x\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    if draw(st.booleans()):
        sizes = draw(st.lists(st.integers(1, 500), max_size=6))
        chunks, position = [], 0
        for size in sizes:
            piece = body[position : position + size]
            position += size
            if piece:
                chunks.append(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
        raw = (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"".join(chunks) + b"0\r\n\r\n"
    else:
        raw = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    cuts = sorted(draw(st.lists(st.integers(1, max(1, len(raw) - 1)), max_size=8)))
    return raw, cuts


@settings(max_examples=300, deadline=None)
@given(framed_requests())
def test_the_worker_dispatches_a_request_exactly_when_it_is_whole(case):
    raw, cuts = case
    frame = RequestFrame(max_head=65536, max_body=1 << 20)
    position = 0
    for cut in [c for c in cuts if c < len(raw)] + [len(raw)]:
        state = frame.feed(raw[position:cut])
        position = cut
        assert state == (READY if cut == len(raw) else MORE), (cut, len(raw))
    assert bytes(frame.data) == raw and not frame.oversized


def test_the_worker_judges_early_what_the_parser_will_refuse():
    def state(raw: bytes, max_body: int = 100) -> tuple[str, bool]:
        frame = RequestFrame(max_head=1024, max_body=max_body)
        return frame.feed(raw), frame.oversized

    assert state(b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n") == (READY, False)
    assert state(b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n") == (READY, False)
    assert state(b"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n{") == (READY, True)  # 413 from the head
    assert state(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{") == (MORE, False)
    assert state(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == (READY, False)
    assert state(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n" + b"x" * 101) == (READY, True)
    assert state(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n" + b"x" * 99) == (MORE, False)
    assert state(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") == (READY, False)
    assert state(b"GET / HTTP/1.1\r\nX: " + b"a" * 2000) == (HEAD_TOO_LARGE, False)
    assert state(b"GET /" + b"a" * 9000) == (READY, False)  # the parser answers 414
    assert state(b"GET / HTTP/1.1\nHost: x\n") == (READY, False)  # bare LF
