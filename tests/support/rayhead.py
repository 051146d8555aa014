"""A Ray head on 127.0.0.1 that a test or a benchmark starts, and stops completely.

``ray start --head --block`` runs in a session of its own, with usage statistics and the
dashboard off and a token required (``RAY_AUTH_TOKEN``, never ``~/.ray/auth_token``).
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` keeps every Ray server on loopback (without it
Ray swaps 127.0.0.1 for the host's outward address). Stopping sends SIGTERM to
that ``ray start`` (which stops the processes it started), then SIGKILL to anything left in
its session: only processes this code started, never another Ray on the machine.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from support.live_server import ROOT, free_port

RAY = Path(sys.executable).with_name("ray")


# One token for the heads this process starts and the drivers it runs: on a shared machine
# anyone can reach a loopback port, and a Ray head runs whatever code it is sent.
TOKEN = secrets.token_hex(32)


def ray_env() -> dict[str, str]:
    """The environment for Ray processes: no usage statistics, loopback, token
    authentication (never ~/.ray/auth_token), this checkout's code."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=TOKEN)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def in_session(pid: int, session: int) -> bool:
    try:
        return os.getsid(pid) == session
    except (ProcessLookupError, PermissionError):
        return False


@dataclass
class Head:
    address: str
    process: subprocess.Popen

    def processes(self) -> list[psutil.Process]:
        """Every live process of the head's session: the ones this code started."""
        return [p for p in psutil.process_iter(["pid"]) if in_session(p.pid, self.process.pid)]

    def workers(self, state: str = "") -> list[psutil.Process]:
        """The embedding workers, by their Ray process title (``ray::Class.method``)."""
        title = "ray::EmbeddingWorker" + (f".{state}" if state else "")
        found = []
        for process in self.processes():
            try:
                cmdline = process.cmdline()
            except psutil.Error:
                continue
            if cmdline and cmdline[0].startswith(title):
                found.append(process)
        return found


@contextmanager
def ray_head(cpus: int = 2, start_timeout: float = 180.0) -> Iterator[Head]:
    """``ray start --head`` on 127.0.0.1 and a free port; every process stopped on exit."""
    port = free_port()
    temp = tempfile.mkdtemp(prefix="qa-ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    log_path = Path(temp) / "head.log"
    command = [
        str(RAY), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--disable-usage-stats",
        "--include-dashboard=false", f"--num-cpus={cpus}", f"--temp-dir={temp}", "--block",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=ray_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    head = Head(f"127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + start_timeout
        while "Ray runtime started" not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Ray head did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.5)
        yield head
    finally:
        stop_head(head)
        shutil.rmtree(temp, ignore_errors=True)


def stop_head(head: Head) -> None:
    started = head.processes()
    if head.process.poll() is None:
        head.process.send_signal(signal.SIGTERM)  # ray start --block stops what it started
        try:
            head.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
    _, alive = psutil.wait_procs(started, timeout=15)
    for process in alive + head.processes():
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(head.processes(), timeout=15)
    if head.process.poll() is None:
        head.process.kill()
        head.process.wait(timeout=15)
