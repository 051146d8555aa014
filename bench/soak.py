"""Soak: a steady load at half the measured throughput for a bounded time; memory must stay flat.

1. Starts ``qa serve`` with the serving defaults (``QA_WORKERS`` x ``QA_THREADS``, the
   default model) on a free loopback port, on the seeds.
2. Measures its throughput: ``--clients`` loopback clients post new questions back to
   back for ``--throughput-seconds``.
3. Sends new questions (each one misses the query cache, so each costs a model encode)
   at half that rate, open loop: request ``i`` is due at ``start + i / rate`` whatever
   the previous ones did, from a pool of client threads, for ``--seconds``.
4. Every ``--sample-seconds`` it records the resident memory (RSS) of each gunicorn
   worker, and its private memory (USS: RSS without the pages it shares, such as the
   model the parent loaded); every minute, the latency percentiles, the request count
   and the errors.

Verdict (exit status 1 if any fails): no error; every worker's RSS after the warm-up
(``--warmup`` seconds) stays within ``--rss-tolerance`` (5 %) of its value at the end of
the warm-up; the requests were sent on time (the achieved rate is within 5 % of the
target). Only 127.0.0.1; at most ``--clients`` connections at a time.

Usage::

    .venv/bin/python bench/soak.py                              # 10 minutes (docs/performance.md)
    .venv/bin/python bench/soak.py --seconds 60 --warmup 20     # the version `make test` runs
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, distinct_questions, header, percentiles, serve, write_result  # noqa: E402
from support.live_server import raw_post  # noqa: E402


def worker_rss_mb(master_pid: int) -> dict[int, float]:
    """Resident memory in MiB of each gunicorn worker (the children of the master)."""
    rows = {}
    for child in psutil.Process(master_pid).children(recursive=True):
        try:
            rows[child.pid] = round(child.memory_info().rss / 2**20, 1)
        except psutil.Error:
            continue
    return rows


def worker_uss_mb(master_pid: int) -> dict[int, float]:
    """Private memory (USS) in MiB of each worker: what a leak grows, shared model pages aside."""
    rows = {}
    for child in psutil.Process(master_pid).children(recursive=True):
        try:
            rows[child.pid] = round(child.memory_full_info().uss / 2**20, 1)
        except psutil.Error:
            continue
    return rows


def ask(port: int, question: str) -> tuple[int, float]:
    payload = json.dumps({"question": question, "k": 5}).encode()
    started = time.perf_counter()
    try:
        status, _, _ = raw_post(port, "/api/ask", payload, timeout=30)
    except OSError:
        status = -1
    return status, (time.perf_counter() - started) * 1000


def closed_loop_throughput(port: int, questions: list[str], clients: int, seconds: float) -> float:
    """Requests per second with ``clients`` back-to-back clients."""
    stop_at = time.perf_counter() + seconds
    counts = [0] * clients

    def client(number: int) -> None:
        position = number
        while time.perf_counter() < stop_at:
            if ask(port, questions[position % len(questions)])[0] == 200:
                counts[number] += 1
            position += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def soak(port: int, master_pid: int, questions: list[str], rate: float, seconds: float, clients: int, sample_seconds: float) -> dict:
    """Open-loop load at ``rate`` req/s; per-minute latency and errors, RSS samples."""
    results: list[tuple[float, int, float]] = []  # (due time from start, status, latency ms)
    lock = threading.Lock()
    samples: list[dict] = []
    started = time.perf_counter()
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            samples.append({"t": round(time.perf_counter() - started, 1), "rss_mb": worker_rss_mb(master_pid),
                            "uss_mb": worker_uss_mb(master_pid)})
            stop.wait(sample_seconds)

    def one(due: float, question: str) -> None:
        delay = started + due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        status, latency = ask(port, question)
        with lock:
            results.append((due, status, latency))

    sampling = threading.Thread(target=sampler, daemon=True)
    sampling.start()
    total = int(seconds * rate)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for number in range(total):
            due = number / rate
            # Submit a little ahead of time, never the whole run at once (bounded queue).
            while time.perf_counter() - started < due - 1.0:
                time.sleep(0.05)
            pool.submit(one, due, questions[number % len(questions)])
    elapsed = time.perf_counter() - started
    stop.set()
    sampling.join()
    samples.append({"t": round(time.perf_counter() - started, 1), "rss_mb": worker_rss_mb(master_pid),
                    "uss_mb": worker_uss_mb(master_pid)})
    minutes = []
    for minute in range(int(seconds // 60) + (1 if seconds % 60 else 0)):
        rows = [(status, latency) for due, status, latency in results if minute * 60 <= due < (minute + 1) * 60]
        ok = [latency for status, latency in rows if status == 200]
        minutes.append({"minute": minute + 1, "requests": len(rows), "errors": len(rows) - len(ok), "latency_ms": percentiles(ok)})
    return {"elapsed_s": round(elapsed, 1), "requests": len(results), "achieved_rate": round(len(results) / elapsed, 2),
            "errors": sum(1 for _, status, _ in results if status != 200), "minutes": minutes, "rss_samples": samples}


def rss_verdict(samples: list[dict], warmup: float, tolerance: float, key: str = "rss_mb") -> dict:
    """Per worker: memory (``key``: RSS, or USS) at the end of the warm-up, then the largest change from it."""
    after = [s for s in samples if s["t"] >= warmup]
    if not after:
        return {"ok": False, "reason": "no sample after the warm-up"}
    base = after[0][key]
    workers = {}
    for pid, start in base.items():
        values = [s[key][pid] for s in after if pid in s[key]]
        if len(values) != len(after):
            workers[pid] = {"ok": False, "reason": "the worker was replaced during the soak"}
            continue
        change = max(abs(v - start) for v in values) / start
        workers[pid] = {"after_warmup_mb": start, "min_mb": min(values), "max_mb": max(values), "end_mb": values[-1],
                        "max_change": round(change, 4), "ok": change <= tolerance}
    return {"ok": bool(workers) and all(w["ok"] for w in workers.values()), "workers": workers}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--warmup", type=float, default=60, help="seconds before the RSS reference is taken")
    parser.add_argument("--throughput-seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=None, help="requests per second (default: half the measured throughput)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (connections at a time)")
    parser.add_argument("--sample-seconds", type=float, default=5)
    parser.add_argument("--rss-tolerance", type=float, default=0.05)
    parser.add_argument("--model", default=os.environ.get("QA_MODEL"))
    parser.add_argument("--seeds", type=Path, default=None)
    parser.add_argument("--index", type=Path, default=OUT / "index-soak")
    args = parser.parse_args()
    header(f"soak: {args.seconds:g} s at half the measured throughput")
    env = {"QA_INDEX_DIR": str(args.index)}
    if args.model:
        env["QA_MODEL"] = args.model
    if args.seeds:
        env["QA_SEEDS_DIR"] = str(args.seeds)
    server = serve(env, log_path=OUT / "soak-server.log", workers=None, threads=None)
    try:
        server.wait_answered()
        for _ in range(6):
            server.wait_answered()
        questions = distinct_questions(200_000)
        measured = None
        rate = args.rate
        if rate is None:
            measured = closed_loop_throughput(server.port, questions[-20_000:], 4, args.throughput_seconds)
            rate = measured / 2
        print(f"throughput {measured and round(measured, 1)} req/s; soak at {rate:.1f} req/s for {args.seconds:g} s", flush=True)
        result = soak(server.port, server.process.pid, questions[: -20_000], rate, args.seconds, args.clients, args.sample_seconds)
    finally:
        server.stop()
    rss = rss_verdict(result["rss_samples"], args.warmup, args.rss_tolerance)
    uss = rss_verdict(result["rss_samples"], args.warmup, args.rss_tolerance, key="uss_mb")  # reported, not judged
    on_time = result["achieved_rate"] >= 0.95 * rate
    verdict = {"errors": result["errors"] == 0, "rss_flat": rss["ok"], "on_time": on_time}
    print("\n| minute | requests | errors | p50 ms | p95 ms | p99 ms | RSS per worker MiB (end of minute) |")
    print("|---|---|---|---|---|---|---|")
    for row in result["minutes"]:
        end = [s for s in result["rss_samples"] if s["t"] <= row["minute"] * 60]
        rss_text = "/".join(str(v) for v in end[-1]["rss_mb"].values()) if end else ""
        lat = row["latency_ms"]
        print(f"| {row['minute']} | {row['requests']} | {row['errors']} | {lat.get('p50')} | {lat.get('p95')} | {lat.get('p99')} | {rss_text} |")
    print(f"\nRSS after warm-up ({args.warmup:g} s): {json.dumps(rss)}")
    print(f"USS (private memory) after warm-up: {json.dumps(uss)}")
    print(f"requests {result['requests']}, errors {result['errors']}, achieved {result['achieved_rate']} req/s of {rate:.2f}")
    print(f"verdict: {json.dumps(verdict)}")
    path = write_result("soak", {"measured_throughput": measured, "rate": rate, **result, "rss": rss, "uss": uss, "verdict": verdict})
    print(f"saved {path}")
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
