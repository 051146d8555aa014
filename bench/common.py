"""Shared helpers of the benchmark scripts: timing, percentiles, servers, machine facts.

Nothing here is imported by the service. Every script prints the exact command that
produced its figures (``command_line()``) and the load it ran under (``machine()``).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
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


def start_server(env: dict[str, str], workers: int = 1, threads: int = 4, log_path: Path | None = None) -> Server:
    """Start ``qa serve`` (gunicorn) in its own process group; the caller must ``stop()`` it."""
    port = free_port()
    full_env = {"QA_RATELIMIT": "", **os.environ, **env}  # load from one client, by design
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(
        [QA, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--threads", str(threads)],
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
