"""A real ``qa serve`` in the open: slow and idle clients, request time-outs, proxies.

Every test starts ``qa serve`` (gunicorn with the service's own worker, ``qa/serve/worker.py``)
on a free 127.0.0.1 port and talks to it over sockets; each bounds its own duration and
its connection count (at most 100 stalled connections plus one measuring client).
"""

from __future__ import annotations

import json
import socket
import statistics
import time
from pathlib import Path

import pytest

from qa.settings import DEFAULTS
from support.app import copy_seeds
from support.asserts import assert_error_shape
from support.live_server import LiveServer, StalledClients, parse_http_response, read_all
from support.questions import distinct_questions

pytestmark = pytest.mark.slow

STALLED_PARTIAL = 50
STALLED_IDLE = 50
MAX_SECONDS = 2.0
P50_RATIO = 1.5


def server(tmp: Path, model: str = "hashing", **settings: object) -> LiveServer:
    return LiveServer(
        tmp / "server.log",
        MODEL=model,
        SEEDS_DIR=str(copy_seeds(tmp / "seeds")),
        INDEX_DIR=str(tmp / "index"),
        startup_timeout=300,
        **settings,
    )


def timed(live: LiveServer, method: str, path: str, body: bytes | None = None) -> tuple[int, float]:
    headers = {"Content-Type": "application/json"} if body else {}
    started = time.perf_counter()
    try:
        status, _, _ = live.request(method, path, body, headers, timeout=MAX_SECONDS + 3)
    except OSError:
        return -1, time.perf_counter() - started
    return status, time.perf_counter() - started


def measure(live: LiveServer, questions: list[str]) -> dict[str, list[tuple[int, float]]]:
    """One normal client, in turn: ``GET /healthz`` then ``POST /api/ask`` (a new question each)."""
    samples: dict[str, list[tuple[int, float]]] = {"healthz": [], "ask": []}
    for question in questions:
        samples["healthz"].append(timed(live, "GET", "/healthz"))
        samples["ask"].append(timed(live, "POST", "/api/ask", json.dumps({"question": question}).encode()))
    return samples


def slow_clients_cost_nothing(live: LiveServer, rounds: int, blocks: int = 2) -> dict:
    """Alternate blocks without and with the stalled connections; compare p50 and worst case."""
    questions = iter(distinct_questions(rounds * blocks * 2 + 10)[10:])
    for question in distinct_questions(10):  # warm-up
        timed(live, "POST", "/api/ask", json.dumps({"question": question}).encode())
    quiet: dict[str, list] = {"healthz": [], "ask": []}
    stalled: dict[str, list] = {"healthz": [], "ask": []}
    open_counts = []
    for _ in range(blocks):
        for route, values in measure(live, [next(questions) for _ in range(rounds)]).items():
            quiet[route] += values
        with StalledClients(live.port, STALLED_PARTIAL, STALLED_IDLE) as attack:
            open_counts.append(attack.open_count())
            for route, values in measure(live, [next(questions) for _ in range(rounds)]).items():
                stalled[route] += values
            open_counts.append(attack.open_count())
    report = {"open_stalled_connections": open_counts}
    for route in ("healthz", "ask"):
        report[route] = {
            "statuses": sorted({status for status, _ in quiet[route] + stalled[route]}),
            "quiet_p50_ms": round(statistics.median(s for _, s in quiet[route]) * 1000, 2),
            "stalled_p50_ms": round(statistics.median(s for _, s in stalled[route]) * 1000, 2),
            "stalled_max_ms": round(max(s for _, s in stalled[route]) * 1000, 1),
        }
    print(json.dumps(report))
    for route in ("healthz", "ask"):
        figures = report[route]
        assert figures["statuses"] == [200], (route, figures)
        assert figures["stalled_max_ms"] <= MAX_SECONDS * 1000, (route, figures)
        assert figures["stalled_p50_ms"] <= P50_RATIO * figures["quiet_p50_ms"], (route, figures)
    assert min(open_counts) >= (STALLED_PARTIAL + STALLED_IDLE) * 0.9, open_counts
    return report


def test_fifty_stalled_and_fifty_idle_connections_cost_nothing_but_a_socket(tmp_path):
    """The issue's eight stalled clients took the old gthread server down; a hundred change nothing."""
    with server(tmp_path) as live:
        report = slow_clients_cost_nothing(live, rounds=30, blocks=3)
        assert "Traceback" not in live.log()
    assert report["healthz"]["stalled_max_ms"] <= MAX_SECONDS * 1000


def test_stalled_connections_with_the_real_model_never_wait_for_the_event_loop(tmp_path):
    """The real model encodes on its own thread: the loop that reads requests stays free.

    Every question is new (the query cache misses), so each ``/api/ask`` runs the model
    while the worker's loop keeps reading and timing out the 100 stalled connections.
    """
    model = str(DEFAULTS["MODEL"])
    assert model != "hashing"
    with server(tmp_path, model=model, TORCH_THREADS=1) as live:
        slow_clients_cost_nothing(live, rounds=40)


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    started = time.monotonic()
    sock.settimeout(limit)
    return read_all(sock), time.monotonic() - started


def test_a_request_not_finished_in_time_is_answered_408_and_closed(tmp_path):
    with server(tmp_path, REQUEST_TIMEOUT=2, KEEPALIVE=1) as live:
        cases = {
            "part of the head": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n",
            "a head promising a body": b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{",
            "a chunked body with no end": b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"que\r\n",
        }
        for name, data in cases.items():
            with socket.create_connection(("127.0.0.1", live.port)) as sock:
                sock.sendall(data)
                raw, waited = read_until_closed(sock, 8)
            status, headers, body = parse_http_response(raw)
            assert headers["content-type"] == "application/json", (name, raw[:200])
            assert_error_shape(status, headers["content-type"], body, 408, "request_timeout")
            assert 1.5 <= waited <= 4.5, (name, waited)  # 2 s, checked by a loop that ticks every second
        # Trickling a header line every half second does not extend the deadline.
        with socket.create_connection(("127.0.0.1", live.port)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            started = time.monotonic()
            raw = b""
            while time.monotonic() - started < 8:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    break
                sock.settimeout(0.5)
                try:
                    raw += sock.recv(65536)
                    if raw:
                        break
                except TimeoutError:
                    pass
            assert parse_http_response(raw)[0] == 408 and time.monotonic() - started <= 4.5
        # A connection that sends nothing, and an idle kept-alive one, are closed without a word.
        with socket.create_connection(("127.0.0.1", live.port)) as sock:
            raw, waited = read_until_closed(sock, 8)
            assert raw == b"" and waited <= 4.5
        with socket.create_connection(("127.0.0.1", live.port)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.3)
            first = sock.recv(65536)
            assert parse_http_response(first)[0] == 200
            raw, waited = read_until_closed(sock, 8)
            assert raw == b"" and waited <= 3.5
        status, answer = live.ask({"question": "Tomahawk"})
        assert status == 200 and answer["passages"]
        assert "its request was not complete after 2.0 s" in live.log()


def test_keep_alive_and_pipelined_requests_are_still_served(tmp_path):
    """Reading whole requests first keeps HTTP/1.1 working: keep-alive, pipelining, 100-continue."""
    with server(tmp_path) as live:
        ask = json.dumps({"question": "Tomahawk"}).encode()
        head = (b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n" % len(ask))
        with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
            sock.sendall(head + b"\r\n" + ask + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            raw, _ = read_until_closed(sock, 10)
        assert raw.count(b"HTTP/1.1 200 OK") == 2, raw[:300]
        with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
            sock.sendall(head + b"Expect: 100-continue\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
            sock.sendall(ask)
            time.sleep(0.5)
            raw = sock.recv(65536)
            assert parse_http_response(raw)[0] == 200 and b"100 Continue" not in raw
            for _ in range(3):  # the same connection, kept alive
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                time.sleep(0.2)
                assert parse_http_response(sock.recv(65536))[0] == 200


def limited_statuses(live: LiveServer, forwarded_for: list[str | None]) -> list[int]:
    """``/api/sources`` once per entry, with that ``X-Forwarded-For`` (or none)."""
    statuses = []
    for value in forwarded_for:
        headers = {"X-Forwarded-For": value, "X-Forwarded-Proto": "https"} if value else {}
        statuses.append(live.request("GET", "/api/sources", None, headers)[0])
    return statuses


@pytest.mark.parametrize(
    "trusted, forged_is_believed",
    [("", False), ("1", True), ('["127.0.0.1"]', True), ("10.9.8.7, 192.0.2.0/24", False)],
    ids=["unset", "count", "list-with-the-peer", "list-without-the-peer"],
)
def test_trusted_proxies_decide_whose_address_the_rate_limit_counts(tmp_path, trusted, forged_is_believed):
    """``QA_RATELIMIT=3/minute``; each request claims another client in ``X-Forwarded-For``.

    Unset, or set to proxies the request did not come through, the claim is ignored: the
    address is the socket's and the fourth request is limited. Trusted, each claimed
    client has its own budget, and a client repeating one address is limited at the fourth.
    """
    settings = {"RATELIMIT": "3/minute", "WORKERS": 1}
    if trusted:
        settings["TRUSTED_PROXIES"] = trusted
    with server(tmp_path, **settings) as live:
        claimed = limited_statuses(live, [f"203.0.113.{n}" for n in range(1, 7)])
        if forged_is_believed:
            assert claimed == [200] * 6
            assert limited_statuses(live, ["198.51.100.7"] * 4) == [200, 200, 200, 429]
            # Through two proxies (the client, then a proxy in our list): still the client.
            if trusted.startswith("["):
                assert limited_statuses(live, ["198.51.100.8, 127.0.0.1"] * 4) == [200, 200, 200, 429]
        else:
            assert claimed[:3] == [200] * 3 and claimed[3:] == [429] * 3


def test_the_slow_clients_benchmark_runs(tmp_path):
    """``bench/slow_clients.py`` on the hashing model, the service's worker only (a smoke test: it times nothing)."""
    import os
    import subprocess
    import sys

    from support.paths import ROOT

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("QA_")}, "BENCH_OUT": str(tmp_path / "out"),
           "QA_SEEDS_DIR": str(copy_seeds(tmp_path / "seeds"))}
    result = subprocess.run(
        [sys.executable, "bench/slow_clients.py", "--model", "hashing", "--variants", "buffering", "--rounds", "3",
         "--throughput-seconds", "1", "--index", str(tmp_path / "index")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    row = json.loads((tmp_path / "out" / "slow_clients.json").read_text())["rows"][0]
    assert row["variant"] == "buffering" and row["throughput_req_s"] > 0
    assert all(row[key]["failed"] == 0 for key in ("healthz_quiet", "healthz_stalled", "ask_quiet", "ask_stalled"))
