"""Shared helpers of the benchmark scripts: timing, percentiles, servers, machine facts.

Nothing here is imported by the service. Every script prints the exact command that
produced its figures (``command_line()``) and the load it ran under (``machine()``).
"""

from __future__ import annotations

import json
import os
import select
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QA = str(Path(PYTHON).with_name("qa"))
OUT = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "out"))  # tests point it at a tmp folder


def command_line() -> str:
    """The command that is running, as one could paste it (environment QA_*/MODEL shown)."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(os.environ.items()) if k.startswith("QA_") or k == "MODEL")
    script = os.path.relpath(sys.argv[0], ROOT)
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return " ".join(part for part in (env, ".venv/bin/python", script, args) if part)


def machine() -> dict[str, Any]:
    """Core count and load average, to print beside every table."""
    load = os.getloadavg()
    return {"cores": os.cpu_count(), "load_avg_1m": round(load[0], 2), "load_avg_5m": round(load[1], 2)}


def header(title: str) -> None:
    """Print a title, the exact command and the machine's state."""
    print(f"# {title}")
    print(f"command: {command_line()}")
    print(f"machine: {json.dumps(machine())}")


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of samples in milliseconds."""
    values = np.asarray(samples_ms, dtype=np.float64)
    if values.size == 0:
        return {"n": 0}
    return {
        "n": int(values.size),
        "p50": round(float(np.percentile(values, 50)), 2),
        "p95": round(float(np.percentile(values, 95)), 2),
        "p99": round(float(np.percentile(values, 99)), 2),
        "mean": round(float(values.mean()), 2),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_questions() -> list[str]:
    """The evaluation questions (distinct, French and English)."""
    path = ROOT / "tests" / "data" / "questions.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def distinct_questions(count: int) -> list[str]:
    """``count`` distinct questions: the evaluation set, then deterministic variants of it.

    Distinct strings defeat the query-embedding cache, so each one costs a model encode.
    """
    base = seed_questions()
    prefixes = ["", "Dites-moi : ", "Question : ", "Please tell me: ", "Selon les articles, ", "D'après la presse, "]
    questions: list[str] = []
    for round_number in range(10_000):
        for question in base:
            prefix = prefixes[round_number % len(prefixes)]
            suffix = "" if round_number < len(prefixes) else f" ({round_number})"
            questions.append(f"{prefix}{question}{suffix}")
            if len(questions) == count:
                return questions
    return questions


def parse_http_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-cased names) and body of the first HTTP response in ``raw``."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return status, headers, body


def raw_post(port: int, path: str, payload: bytes, timeout: float = 60.0) -> tuple[int, bytes, dict[str, str]]:
    """POST a ready JSON payload on a new loopback connection and read the whole response.

    A lean client, like ``curl``: one ``sendall``, then reads until the announced
    ``Content-Length`` is in. The latency benchmark uses it so that what it measures is the
    server, not a client library (``http.client`` adds ~0.4 ms per request, urllib more;
    docs/benchmarks.md). Returns the status, the body and the headers (names lower-cased).
    """
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(head + payload)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection before its headers ended")
            received += chunk
        _, headers, _ = parse_http_response(received)
        wanted = received.index(b"\r\n\r\n") + 4 + int(headers.get("content-length", "0"))
        while len(received) < wanted:
            chunk = connection.recv(65536)
            if not chunk:
                raise ConnectionError(f"the response ended after {len(received)} of {wanted} bytes")
            received += chunk
    status, headers, body = parse_http_response(received)
    return status, body, headers


def post_json(url: str, body: dict[str, Any], timeout: float = 60.0) -> tuple[int, bytes]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class Server:
    """A ``qa serve`` process on a free loopback port."""

    process: subprocess.Popen
    port: int
    started: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(env: dict[str, str], workers: int | None = 1, threads: int | None = 4, log_path: Path | None = None) -> Server:
    """Start ``qa serve`` (gunicorn); the caller must ``stop()`` it. ``None``: the configured default."""
    port = free_port()
    full_env = {"QA_RATELIMIT": "", **os.environ, **env}  # load from one client, by design
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(
        [QA, "serve", "--host", "127.0.0.1", "--port", str(port)]
        + (["--workers", str(workers)] if workers else [])
        + (["--threads", str(threads)] if threads else []),
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return Server(process, port, started)


def wait_answered(server: Server, question: str = "Quelle est la portée des missiles Tomahawk ?", limit: float = 300.0) -> float:
    """Seconds from the server's start until it answers ``/api/ask`` with 200."""
    deadline = server.started + limit
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"qa serve exited with {server.process.returncode}")
        try:
            status, _ = post_json(server.url + "/api/ask", {"question": question, "k": 5}, timeout=60)
            if status == 200:
                return time.perf_counter() - server.started
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.02)
    raise TimeoutError("qa serve did not answer in time")


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Save a script's figures as JSON under bench/out/ (not committed)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({"command": command_line(), "machine": machine(), **result}, indent=2, ensure_ascii=False))
    return path


class StalledClients:
    """Connections that hold a socket and send nothing useful, kept open in a thread.

    ``partial`` connections each send part of a request and stall: half of them part of
    the head, half a whole head promising a body they never finish; every second they
    add a byte or a header line (a slowloris), and when the server closes one it is
    opened again. ``idle`` connections each make one keep-alive request, read the answer
    and then sit idle; when the server closes one it is opened again. Only 127.0.0.1;
    ``partial + idle`` sockets at most at any time.
    """

    def __init__(self, port: int, partial: int = 50, idle: int = 50):
        self.port = port
        self.partial = partial
        self.idle = idle
        self.reopened = 0
        self.answers: list[bytes] = []  # what the server sent to partial connections before closing
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._sockets: dict[socket.socket, str] = {}

    def _open(self, kind: str, number: int) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        except OSError:
            return
        if kind == "head":
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        elif kind == "body":
            sock.sendall(
                b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b'Content-Length: 400\r\n\r\n{"question": "'
            )
        else:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try:
                sock.recv(65536)  # the answer; the connection is kept alive
            except OSError:
                sock.close()
                return
        sock.setblocking(False)
        self._sockets[sock] = kind

    def _top_up(self) -> None:
        kinds = list(self._sockets.values())
        for kind, wanted in (("head", self.partial // 2), ("body", self.partial - self.partial // 2), ("idle", self.idle)):
            for number in range(wanted - kinds.count(kind)):
                self._open(kind, number)

    def _run(self) -> None:
        self._top_up()
        self.ready_at = time.monotonic()
        last_trickle = time.monotonic()
        while not self._stop.is_set():
            readable, _, _ = select.select(list(self._sockets), [], [], 0.2) if self._sockets else ([], [], [])
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if data and self._sockets[sock] != "idle":
                    self.answers.append(data)
                if not data or self._sockets[sock] != "idle":
                    del self._sockets[sock]
                    sock.close()
                    self.reopened += 1
            if time.monotonic() - last_trickle >= 1.0:
                last_trickle = time.monotonic()
                for sock, kind in list(self._sockets.items()):
                    try:
                        sock.send(b"X-Slow: 1\r\n" if kind == "head" else b"a" if kind == "body" else b"")
                    except OSError:
                        del self._sockets[sock]
                        sock.close()
            self._top_up()
        for sock in self._sockets:
            sock.close()

    def open_count(self) -> int:
        return len(self._sockets)

    def __enter__(self) -> StalledClients:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not hasattr(self, "ready_at") and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
