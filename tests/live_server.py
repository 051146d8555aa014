"""Real server processes for tests: ``qa serve`` (gunicorn) on a free loopback port.

``LiveServer`` starts the real console entry point in its own process group, with the
``QA_*`` settings given, waits until ``/healthz`` answers, and always stops it (SIGTERM
to its own group, then SIGKILL). Its log goes to a file the test can read. ``raw_http``
talks HTTP over a plain socket, so nothing (no client library, no Werkzeug test client)
normalises the request line, the path or the body framing.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QA = [sys.executable, "-m", "qa"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def qa_env(**settings: object) -> dict[str, str]:
    """The environment for a ``qa`` process: this one's, plus ``QA_*`` settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "QA_RATELIMIT": ""})
    for key, value in settings.items():
        env[f"QA_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


class LiveServer:
    """``qa serve`` on 127.0.0.1; use as a context manager."""

    def __init__(self, log_path: Path, args: tuple[str, ...] = (), startup_timeout: float = 120, **settings: object):
        self.port = free_port()
        self.log_path = Path(log_path)
        self.args = args
        self.env = qa_env(**settings)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def start(self) -> LiveServer:
        handle = open(self.log_path, "ab")
        command = [*QA, "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qa serve exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                status, _, _ = self.request("GET", "/healthz", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"qa serve did not answer /healthz in {self.startup_timeout} s:\n{self.log()[-3000:]}")

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
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

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


def raw_http(port: int, data: bytes, timeout: float = 10, shutdown_write: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if shutdown_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


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
        import threading

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
        import select

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
