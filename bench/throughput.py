"""Throughput: N concurrent loopback clients for a fixed time against ``qa serve``, by config.

For each gunicorn configuration ``workers x threads x torch threads per worker``
(``QA_TORCH_THREADS``), a fresh ``qa serve`` is started on the same index; ``--clients``
client threads post distinct questions (cache misses: every request costs a model
encode) back to back for ``--seconds``; requests per second, latency percentiles and
errors are reported, and the resident memory of each worker (RSS, and PSS: shared pages
divided among the processes that map them) after the run.

The clients run in this process, on the same two cores as the server: the figures are
for the whole machine doing both, which is what a loopback test can show.

Usage::

    .venv/bin/python bench/throughput.py --configs 1x4x0 1x1x0 2x2x1 2x1x1 --clients 4 --seconds 15
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, distinct_questions, header, percentiles, serve, write_result  # noqa: E402


def client_loop(port: int, questions: list[str], stop_at: float, samples: list[float], errors: list[str]) -> None:
    position = 0
    while time.perf_counter() < stop_at:
        body = json.dumps({"question": questions[position % len(questions)], "k": 5})
        position += 1
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", "/api/ask", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status != 200:
                errors.append(str(response.status))
                continue
        except OSError as error:
            errors.append(type(error).__name__)
            continue
        samples.append((time.perf_counter() - started) * 1000)


def worker_memory(server_pid: int) -> list[dict[str, float]]:
    """RSS, USS and PSS in MB of each gunicorn worker (the children of the master)."""
    rows = []
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            info = child.memory_full_info()
        except psutil.Error:
            continue
        rows.append({"rss_mb": round(info.rss / 2**20, 1), "uss_mb": round(info.uss / 2**20, 1), "pss_mb": round(info.pss / 2**20, 1)})
    return rows


def run_config(workers: int, threads: int, torch_threads: int, clients: int, seconds: float, env: dict[str, str], offset: int) -> dict:
    server = serve({**env, "QA_TORCH_THREADS": str(torch_threads)}, workers, threads, OUT / "throughput-server.log")
    try:
        server.wait_answered()
        # Every worker is warm once it has answered; ask a few times so that each has.
        for _ in range(workers * 3):
            server.wait_answered()
        questions = distinct_questions(offset + 20_000)[offset:]
        samples: list[float] = []
        errors: list[str] = []
        stop_at = time.perf_counter() + seconds
        threads_list = [
            threading.Thread(target=client_loop, args=(server.port, questions[i::clients], stop_at, samples, errors))
            for i in range(clients)
        ]
        started = time.perf_counter()
        for thread in threads_list:
            thread.start()
        for thread in threads_list:
            thread.join()
        elapsed = time.perf_counter() - started
        memory = worker_memory(server.process.pid)
    finally:
        server.stop()
    return {
        "config": f"{workers}x{threads}x{torch_threads}",
        "workers": workers,
        "threads": threads,
        "torch_threads": torch_threads,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(samples),
        "req_per_s": round(len(samples) / elapsed, 1),
        "errors": len(errors),
        "latency_ms": percentiles(samples),
        "workers_memory": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["1x4x0", "1x1x0", "2x2x1", "2x1x1"], help="WORKERSxTHREADSxTORCH_THREADS (0: torch's default)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--seeds", type=Path, default=None)
    parser.add_argument("--index", type=Path, default=OUT / "index-seeds")
    args = parser.parse_args()
    header(f"throughput: {args.clients} concurrent clients for {args.seconds} s per configuration")
    env = {"QA_MODEL": args.model, "QA_INDEX_DIR": str(args.index)}
    if args.seeds:
        env["QA_SEEDS_DIR"] = str(args.seeds)
    rows = []
    for number, config in enumerate(args.configs):
        workers, threads, torch_threads = (int(part) for part in config.split("x"))
        row = run_config(workers, threads, torch_threads, args.clients, args.seconds, env, offset=number * 20_000)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| workers x threads x torch threads | clients | req/s | errors | p50 ms | p95 ms | p99 ms | RSS per worker MB | PSS per worker MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        rss = "/".join(str(m["rss_mb"]) for m in row["workers_memory"])
        pss = "/".join(str(m["pss_mb"]) for m in row["workers_memory"])
        lat = row["latency_ms"]
        print(f"| {row['config']} | {row['clients']} | {row['req_per_s']} | {row['errors']} | {lat.get('p50')} | {lat.get('p95')} | {lat.get('p99')} | {rss} | {pss} |")
    print(f"\nsaved {write_result('throughput', {'rows': rows})}")


if __name__ == "__main__":
    main()
