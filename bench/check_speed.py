"""``POST /api/check`` against ``POST /api/ask`` on a real ``qa serve``: latency of the same texts, and memory.

On the claims corpus (the news feed, the PIAF articles and the seeds, as ``bench/claims.py``
prepares it under ``bench/out/claims-corpus/``), one gunicorn worker (the live-server
harness of ``tests/support/live_server.py``, over 127.0.0.1 only). The texts are the
claims of ``tests/data/claims/claims.jsonl`` (the first ``--requests`` of them, spread over
the types), sent in turns: ``/api/ask`` with the claim as the question, then ``/api/check``
with it as the claim, both ``k=10``, after ``--warmup`` pairs that are not timed. The
query-embedding cache is off (``QA_QUERY_CACHE_SIZE=0``), so the second request of a pair
encodes again. Memory: RSS, USS and PSS of the master and each worker after the warm-up
of ``/api/ask`` alone (before any check), after the timed texts through ``/api/ask``
alone once, untimed (a control: what asking alone adds), after the warm-up checks (the check's first-use
state in place), and after all the checks; growth is given from both points.

Targets: check p50 / ask p50 <= 3; worker memory growth <= 10 %.

    .venv/bin/python bench/check_speed.py [--requests 60] [--warmup 10] [--model e5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.claims import CLAIMS, prepare_corpus
from bench.common import OUT, header, percentiles, serve, write_result
from support.live_server import LiveServer

K = 10


def texts(count: int, offset: int = 0) -> list[str]:
    """``count`` claims, round-robin over the claim types so that every type is in a short run."""
    claims = [json.loads(line) for line in CLAIMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_type: dict[str, list[str]] = {}
    for claim in claims:
        by_type.setdefault(claim["type"], []).append(claim["claim"])
    spread: list[str] = []
    depth = 0
    while len(spread) < offset + count and any(depth < len(v) for v in by_type.values()):
        spread += [v[depth] for v in by_type.values() if depth < len(v)]
        depth += 1
    return spread[offset:offset + count]


def post(server: LiveServer, path: str, payload: dict[str, Any]) -> tuple[int, float]:
    """Status and milliseconds of one JSON POST."""
    started = time.perf_counter()
    status, _, _ = server.request("POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"}, timeout=120)
    return status, (time.perf_counter() - started) * 1000


def memory(server: LiveServer) -> dict[str, dict[str, int]]:
    """RSS/USS/PSS in MiB of the master and each worker (as bench/preload.py measures them)."""
    import psutil

    master = psutil.Process(server.process.pid)
    rows = [("master", master.memory_full_info())]
    rows += [(f"worker {n}", child.memory_full_info()) for n, child in enumerate(master.children(recursive=True), start=1)]
    return {name: {"rss_mb": round(i.rss / 2**20), "uss_mb": round(i.uss / 2**20), "pss_mb": round(i.pss / 2**20)} for name, i in rows}


def growth(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]], key: str) -> float | None:
    workers = [name for name in before if name.startswith("worker") and name in after]
    total_before = sum(before[w][key] for w in workers)
    return None if not total_before else round(sum(after[w][key] for w in workers) / total_before - 1, 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=60, help="timed requests of each route")
    parser.add_argument("--warmup", type=int, default=10, help="untimed pairs first")
    parser.add_argument("--model", default="e5")
    parser.add_argument("--corpus", type=Path, default=OUT / "claims-corpus")
    args = parser.parse_args()
    header("check speed: POST /api/check against POST /api/ask, same texts, one worker")
    folder = prepare_corpus(args.corpus)
    env = {"QA_MODEL": args.model, "QA_SEEDS_DIR": str(folder / "seeds"), "QA_INDEX_DIR": str(folder / "index"),
           "QA_QUERY_CACHE_SIZE": "0", "QA_RATELIMIT": "", "HF_HUB_OFFLINE": "1"}
    warm, timed = texts(args.warmup), texts(args.requests, offset=args.warmup)
    server = serve(env, workers=1, threads=2, log_path=OUT / "check-speed-server.log")
    ask_ms: list[float] = []
    check_ms: list[float] = []
    errors: dict[str, int] = {"ask": 0, "check": 0}
    try:
        started = server.wait_answered(limit=900)
        for text in warm:
            post(server, "/api/ask", {"question": text, "k": K})
        before = memory(server)
        for text in timed:  # a control: the same texts through /api/ask alone, untimed
            post(server, "/api/ask", {"question": text, "k": K})
        asks_only = memory(server)
        status, _ = post(server, "/api/check", {"claim": warm[0] if warm else timed[0], "k": K})
        if status == 404:
            print("POST /api/check answered 404: the route is not there yet; nothing to compare")
            print(f"saved {write_result('check_speed', {'skipped': 'POST /api/check answered 404'})}")
            return 0
        for text in warm[1:]:
            post(server, "/api/check", {"claim": text, "k": K})
        warmed = memory(server)
        for text in timed:  # in turns, so that both routes see the same load
            status, elapsed = post(server, "/api/ask", {"question": text, "k": K})
            (ask_ms.append(elapsed) if status == 200 else errors.__setitem__("ask", errors["ask"] + 1))
            status, elapsed = post(server, "/api/check", {"claim": text, "k": K})
            (check_ms.append(elapsed) if status == 200 else errors.__setitem__("check", errors["check"] + 1))
        after = memory(server)
    finally:
        server.stop()

    result = {
        "requests": len(timed), "warmup": len(warm), "k": K, "first_answer_s": round(started, 1),
        "ask_ms": percentiles(ask_ms), "check_ms": percentiles(check_ms), "errors": errors,
        "memory_before_checks": before, "memory_after_asks_only": asks_only, "memory_after_warmup_checks": warmed, "memory_after_checks": after,
    }
    ratio = round(result["check_ms"]["p50"] / result["ask_ms"]["p50"], 3) if ask_ms and check_ms else None
    result["ratio_check_p50_to_ask_p50"] = ratio
    result["worker_growth"] = {key: growth(before, after, key) for key in ("rss_mb", "uss_mb", "pss_mb")}
    # What the timed checks add once the check's first-use state is in place (a leak shows here).
    result["worker_growth_asks_only"] = {key: growth(before, asks_only, key) for key in ("rss_mb", "uss_mb", "pss_mb")}
    result["worker_growth_after_warmup"] = {key: growth(warmed, after, key) for key in ("rss_mb", "uss_mb", "pss_mb")}

    print("\n| route | n | p50 ms | p95 ms | p99 ms | mean ms |")
    print("|---|---|---|---|---|---|")
    for label, key in (("POST /api/ask", "ask_ms"), ("POST /api/check", "check_ms")):
        row = result[key]
        print(f"| {label} | {row.get('n', 0)} | {row.get('p50')} | {row.get('p95')} | {row.get('p99')} | {row.get('mean')} |")
    print("\n| process | RSS MiB before / warm / after | USS MiB before / warm / after | PSS MiB before / warm / after |")
    print("|---|---|---|---|")
    for name in after:
        b, w, a = before.get(name, {}), warmed.get(name, {}), after[name]
        print(f"| {name} | " + " | ".join(f"{b.get(k)} / {w.get(k)} / {a[k]}" for k in ("rss_mb", "uss_mb", "pss_mb")) + " |")
    print(f"\ncheck p50 / ask p50: {ratio} (target <= 3)")
    print("worker memory growth: " + ", ".join(f"{k} {v:+.1%}" if v is not None else f"{k} -" for k, v in result["worker_growth"].items())
          + " (target <= 10 %); after the warm-up checks: "
          + ", ".join(f"{k} {v:+.1%}" if v is not None else f"{k} -" for k, v in result["worker_growth_after_warmup"].items()))
    print("control, the same texts through /api/ask alone before any check: "
          + ", ".join(f"{k} {v:+.1%}" if v is not None else f"{k} -" for k, v in result["worker_growth_asks_only"].items()))
    print(f"errors: {errors}")
    print(f"saved {write_result('check_speed', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
