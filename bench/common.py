"""Shared helpers of the benchmark scripts: timing, percentiles, questions, machine facts, results.

Nothing here is imported by the service. The server harness (``LiveServer``, the raw HTTP
clients, stalled connections), the Ray head, the synthetic corpus and the question sets are
the tests' own (``tests/support/``), shared with the benchmarks: importing this module puts
``tests/`` on ``sys.path``, so a script imports them as ``from support.live_server import ...``. Every
script prints the exact command that produced its figures (``command_line()``) and the
load it ran under (``machine()``).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.live_server import ROOT, LiveServer  # noqa: E402
from support.questions import distinct_questions, seed_questions  # noqa: E402

__all__ = ["OUT", "PYTHON", "ROOT", "distinct_questions", "seed_questions"]

PYTHON = sys.executable
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


def serve(env: dict[str, str], workers: int | None = 1, threads: int | None = 4, log_path: Path | None = None) -> LiveServer:
    """Launch ``qa serve`` (tests/support/live_server.py) and return at once; the caller ``stop()``s it.

    Settings: this environment's ``QA_*`` (shown in the printed command), then ``env``.
    ``workers``/``threads`` ``None``: the configured default. Time the start with
    ``server.wait_answered()``.
    """
    inherited = {key: value for key, value in os.environ.items() if key.startswith("QA_")}
    args = (["--workers", str(workers)] if workers else []) + (["--threads", str(threads)] if threads else [])
    return LiveServer(log_path, args, environ={**inherited, **env}).launch()


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Save a script's figures as JSON under bench/out/ (not committed)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({"command": command_line(), "machine": machine(), **result}, indent=2, ensure_ascii=False))
    return path
