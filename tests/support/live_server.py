"""The one live-server harness of the tests and the benchmarks: a real ``qa serve`` on loopback.

The benchmarks import it from here too (``bench/common.py`` puts ``tests/`` on ``sys.path``).

``LiveServer`` starts a server process (by default the real console entry point,
``python -m qa serve``, i.e. gunicorn) on a free 127.0.0.1 port in its own process group,
with the ``QA_*`` settings given, waits until it is ready and always stops it (SIGTERM to
its own group, then SIGKILL). Its log goes to a file a test can read. The tests use it as a
context manager (ready once ``/healthz`` answers); the benchmarks ``launch()`` it and time
``wait_answered()``, the seconds from launch to the first answered question.

The raw-socket side lives here too, so that nothing (no client library, no Werkzeug test
client) normalises the request line, the path or the body framing: ``read_all`` (the one
read-until-closed loop), ``raw_http``, ``raw_post``, ``parse_http_response``, and
``StalledClients``, which holds slow and idle connections open. Nothing here imports ``qa``.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: tests/support/ is two levels down
QA = [sys.executable, "-m", "qa"]
SAMPLE_QUESTION = "Quelle est la portée des missiles Tomahawk ?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def qa_env(**settings: object) -> dict[str, str]:
    """The environment for a ``qa`` process: this one's without its ``QA_*``, plus the settings given.

    No rate limit (load comes from one client, by design) unless a setting turns it on.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "QA_RATELIMIT": ""})
    for key, value in settings.items():
        env[f"QA_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


class LiveServer:
    """A server process on 127.0.0.1; as a context manager, started and ready.

    ``args`` go after ``qa serve --host --port``; ``command`` replaces the whole command
    line (give ``port`` then, the one it listens on). ``environ`` is laid over the
    environment last (raw variables, e.g. ``FLASK_DEBUG`` or a benchmark's ``QA_*``).
    Without ``log_path`` the output is dropped.
    """

    def __init__(
        self,
        log_path: Path | None = None,
        args: Sequence[str] = (),
        startup_timeout: float = 120,
        *,
        command: Sequence[str] | None = None,
        port: int | None = None,
        environ: Mapping[str, str] | None = None,
        **settings: object,
    ):
        self.port = port or free_port()
        self.log_path = Path(log_path) if log_path else None
        self.command = list(command) if command else [*QA, "serve", "--host", "127.0.0.1", "--port", str(self.port), *args]
        self.env = {**qa_env(**settings), **(environ or {})}
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.started = 0.0  # time.perf_counter() at launch

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        path = self.log_path
        return path.read_text(encoding="utf-8", errors="replace") if path and path.exists() else ""

    def launch(self) -> LiveServer:
        """Start the process and return at once (``start()`` also waits until it is ready)."""
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.started = time.perf_counter()
        try:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            if handle is not subprocess.DEVNULL:
                handle.close()
        return self

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float, poll: float = 0.2) -> float:
        """Poll ``ready()`` until it is true; seconds since launch. Connection errors count as not ready."""
        assert self.process is not None, "launch() first"
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                if ready():
                    return time.perf_counter() - self.started
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(poll)
        raise TimeoutError(f"the server did not {what} in {timeout} s:\n{self.log()[-3000:]}")

    def start(self) -> LiveServer:
        """Launch, and wait until ``/healthz`` answers 200."""
        self.launch()
        try:
            self.wait_until(lambda: self.request("GET", "/healthz", timeout=2)[0] == 200, "answer /healthz", self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_answered(self, question: str = SAMPLE_QUESTION, limit: float = 300.0) -> float:
        """Seconds from launch until ``/api/ask`` answers 200 (polled every 20 ms)."""
        return self.wait_until(lambda: self.ask({"question": question, "k": 5}, timeout=60)[0] == 200, "answer a question", limit, 0.02)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 30
    ) -> tuple[int, dict[str, str], bytes]:
        """One request through http.client (which sends the path as given)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def ask(self, payload: object, timeout: float = 30) -> tuple[int, dict]:
        status, _, body = self.request(
            "POST", "/api/ask", json.dumps(payload).encode(), {"Content-Type": "application/json"}, timeout
        )
        return status, json.loads(body)

    def raw_http(self, data: bytes, timeout: float = 10, shutdown_write: bool = False) -> bytes:
        """Send raw bytes on a fresh connection and return everything the server sends back."""
        return raw_http(self.port, data, timeout, shutdown_write)


def read_all(sock: socket.socket) -> bytes:
    """Everything the peer sends until it closes, resets, or the socket's timeout passes."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def raw_http(port: int, data: bytes, timeout: float = 10, shutdown_write: bool = False) -> bytes:
    """Send raw bytes to ``port`` on a fresh connection and return all the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if shutdown_write:
            sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


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
    docs/performance.md). Returns the status, the body and the headers (names lower-cased).
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
