"""Real server processes for tests: ``qa serve`` (gunicorn) on a free loopback port.

``LiveServer`` starts the real console entry point in its own process group, with the
``QA_*`` settings given, waits until ``/healthz`` answers, and always stops it (SIGTERM
to its own group, then SIGKILL). Its log goes to a file the test can read. ``raw_http``
talks HTTP over a plain socket, so nothing (no client library, no Werkzeug test client)
normalises the request line, the path or the body framing. ``StalledClients`` (in
``bench/common.py``, shared with the benchmarks) holds slow and idle connections open.
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

from bench.common import StalledClients  # noqa: F401  (re-exported for the tests)

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

