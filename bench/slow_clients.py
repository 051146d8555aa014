"""Slow clients: which gunicorn worker keeps serving when 100 connections stall (docs/performance.md).

For each variant, a server on the seeds with the serving defaults (2 workers x 2
threads, the default model, one torch thread), on a free loopback port:

* ``buffering``: ``qa serve`` itself (``qa.serve.worker.BufferingWorker``, whole requests read
  on the event loop);
* ``gthread``: plain gunicorn ``-k gthread`` on the same app (``qa serve`` before);
* ``gevent``: gunicorn ``-k gevent``; its monkey-patching turns the embedder's encoding
  thread into a greenlet, so the model runs on the event loop;
* ``gevent-thread``: the same, with the encoding moved to a native thread of gevent's
  pool (``gevent.threadpool``), the model off the loop.

Then one client in turn asks ``GET /healthz`` and ``POST /api/ask`` (a new question each
time: the model runs), ``--rounds`` times without and then with ``StalledClients`` (50
connections sending part of a request, 50 idle kept-alive ones), twice; before that,
four clients post new questions back to back for ``--throughput-seconds`` (no stalled
connections). Only 127.0.0.1; at most 101 connections at a time.

Usage::

    .venv/bin/python bench/slow_clients.py [--variants buffering gthread gevent gevent-thread] [--rounds 40]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, ROOT, distinct_questions, header, write_result  # noqa: E402
from bench.soak import closed_loop_throughput  # noqa: E402
from support.live_server import QA, LiveServer, StalledClients, free_port, raw_post, read_all  # noqa: E402

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

# A gunicorn config for the gevent-thread variant: the encoding runs on a native thread.
GEVENT_THREAD_CONFIG = '''
def post_worker_init(worker):
    import gevent.threadpool
    service = worker.wsgi.extensions["qa"]
    embedder = service.embedder
    if hasattr(embedder, "_encoder"):
        embedder._encoder = gevent.threadpool.ThreadPoolExecutor(max_workers=1)
    service.warm_up()
'''


def command(variant: str, port: int, config: Path) -> list[str] | None:
    """The server's command line; ``None`` for ``qa serve`` itself (the buffering worker)."""
    if variant == "buffering":
        return None
    worker = "gthread" if variant == "gthread" else "gevent"
    line = [GUNICORN, "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "2", "-k", worker,
            "--worker-connections", "1000", "--no-control-socket", "--timeout", "60"]
    if variant == "gevent-thread":
        line += ["-c", str(config)]
    return [*line, "qa:create_app()"]


def timed_get(port: int, path: str) -> tuple[int, float]:
    import socket

    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            data = read_all(sock)
        status = int(data.split(b" ", 2)[1]) if data else -1
    except OSError:
        status = -1
    return status, (time.perf_counter() - started) * 1000


def timed_ask(port: int, question: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        status = raw_post(port, "/api/ask", json.dumps({"question": question}).encode(), timeout=5)[0]
    except OSError:
        status = -1
    return status, (time.perf_counter() - started) * 1000


def summary(samples: list[tuple[int, float]]) -> dict:
    return {"p50_ms": round(statistics.median(ms for _, ms in samples), 2), "max_ms": round(max(ms for _, ms in samples), 1),
            "failed": sum(1 for status, _ in samples if status != 200)}


def run_variant(variant: str, env: dict[str, str], rounds: int, seconds: float, offset: int, config: Path) -> dict:
    port = free_port()
    server = LiveServer(OUT / f"slow-{variant}.log", command=command(variant, port, config), port=port, environ=env).launch()
    try:
        def ready() -> bool:
            return timed_get(port, "/healthz")[0] == 200 and timed_ask(port, "Tomahawk")[0] == 200

        server.wait_until(ready, f"start the {variant} variant", 300, poll=0.5)
        questions = iter(distinct_questions(offset + 100_000)[offset:])
        for _ in range(10):
            timed_ask(port, next(questions))
        # Measured first: after the stalled phases gthread may still be draining dead connections.
        throughput = closed_loop_throughput(port, [next(questions) for _ in range(20_000)], 4, seconds)
        quiet: dict[str, list] = {"healthz": [], "ask": []}
        stalled: dict[str, list] = {"healthz": [], "ask": []}
        for _ in range(2):
            for target in (quiet, stalled):
                attack = StalledClients(port, 50, 50) if target is stalled else None
                if attack:
                    attack.__enter__()
                try:
                    for _ in range(rounds):
                        target["healthz"].append(timed_get(port, "/healthz"))
                        target["ask"].append(timed_ask(port, next(questions)))
                finally:
                    if attack:
                        attack.__exit__()
    finally:
        server.stop()
    return {"variant": variant, **{f"{route}_{phase}": summary(samples[route])
                                   for phase, samples in (("quiet", quiet), ("stalled", stalled)) for route in ("healthz", "ask")},
            "throughput_req_s": round(throughput, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["buffering", "gthread", "gevent", "gevent-thread"])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--throughput-seconds", type=float, default=10)
    parser.add_argument("--model", default=os.environ.get("QA_MODEL"))
    parser.add_argument("--index", type=Path, default=OUT / "index-slow")
    args = parser.parse_args()
    header("slow clients: 50 stalled + 50 idle connections, per gunicorn worker")
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "QA_RATELIMIT": "", "QA_INDEX_DIR": str(args.index), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if args.model:
        env["QA_MODEL"] = args.model
    subprocess.run([*QA, "index", "--if-stale", "--quiet"], cwd=ROOT, env=env, check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(GEVENT_THREAD_CONFIG)
    rows = []
    for number, variant in enumerate(args.variants):
        try:
            row = run_variant(variant, env, args.rounds, args.throughput_seconds, number * 100_000, Path(handle.name))
        except (RuntimeError, TimeoutError) as error:  # recorded, and the other variants still run
            print(json.dumps({"variant": variant, "error": str(error)}), flush=True)
            continue
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| worker | /healthz p50 quiet → stalled (max) ms | /api/ask p50 quiet → stalled (max) ms | failed | req/s, 4 clients |")
    print("|---|---|---|---|---|")
    for row in rows:
        h, hs, a, as_ = row["healthz_quiet"], row["healthz_stalled"], row["ask_quiet"], row["ask_stalled"]
        failed = sum(row[key]["failed"] for key in ("healthz_quiet", "healthz_stalled", "ask_quiet", "ask_stalled"))
        print(f"| {row['variant']} | {h['p50_ms']} → {hs['p50_ms']} ({hs['max_ms']}) | {a['p50_ms']} → {as_['p50_ms']} ({as_['max_ms']}) "
              f"| {failed} | {row['throughput_req_s']} |")
    print(f"\nsaved {write_result('slow_clients', {'rows': rows})}")


if __name__ == "__main__":
    main()
