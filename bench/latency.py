"""Latency: sequential ``POST /api/ask`` against a real ``qa serve`` over loopback, and the floor.

In one run, on the same distinct questions:

1. the floor: the bare model encoding each question in this process (sentence-transformers
   ``encode`` of one text, no cache), once before and once after the HTTP passes, all
   samples pooled;
2. uncached: each question once over HTTP (a new connection each, like ``curl``), so every
   request pays a model encode (the questions are distinct, the server's LRU cache misses);
3. cached: the same questions again, answered from the server's question-embedding cache,
   which is everything but the model: HTTP, lexical scoring, FAISS, fusion, highlight, JSON.

Reports p50/p95/p99 and the ratio of the uncached p50 to the floor's p50 (target <= 1.3).

Usage::

    .venv/bin/python bench/latency.py [--questions 200] [--threads 4] [--torch-threads 0]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, distinct_questions, header, percentiles, post_json, start_server, wait_answered, write_result  # noqa: E402


def floor_ms(questions: list[str], model: str, torch_threads: int) -> list[float]:
    """Milliseconds for the bare model to encode each question, uncached."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from qa.embedder import make_embedder

    embedder = make_embedder(model, cache_size=0, threads=torch_threads)
    embedder.embed_query("warm-up")
    load = getattr(embedder, "_load", None)  # the hashing embedder has no model
    if load is None:
        encode = embedder.embed_query
    else:
        model_object = load()  # the bare sentence-transformers encode, without our wrapper

        def encode(question: str) -> None:
            model_object.encode([question], normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)

    samples = []
    for question in questions:
        started = time.perf_counter()
        encode(question)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def http_ms(url: str, questions: list[str]) -> tuple[list[float], int]:
    samples, errors = [], 0
    for question in questions:
        started = time.perf_counter()
        status, body = post_json(url + "/api/ask", {"question": question, "k": 5})
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200 or not json.loads(body).get("passages"):
            errors += 1
    return samples, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--model", default=os.environ.get("MODEL", "bundled"))
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads (default QA_THREADS)")
    from qa.config import DEFAULTS

    parser.add_argument("--torch-threads", type=int, default=int(os.environ.get("QA_TORCH_THREADS", DEFAULTS["TORCH_THREADS"])))
    parser.add_argument("--seeds", type=Path, default=None, help="articles folder (default seeds/)")
    parser.add_argument("--index", type=Path, default=OUT / "index-seeds")
    args = parser.parse_args()
    header("latency: sequential POST /api/ask over loopback vs the bare model encode")

    threads = args.threads or int(os.environ.get("QA_THREADS", DEFAULTS["THREADS"]))
    questions = distinct_questions(args.questions)
    env = {"QA_MODEL": args.model, "QA_INDEX_DIR": str(args.index), "QA_TORCH_THREADS": str(args.torch_threads)}
    if args.seeds:
        env["QA_SEEDS_DIR"] = str(args.seeds)
    server = start_server(env, workers=1, threads=threads, log_path=OUT / "latency-server.log")
    try:
        wait_answered(server)
        floor_before = floor_ms(questions, args.model, args.torch_threads)
        uncached, errors = http_ms(server.url, questions)
        cached, cached_errors = http_ms(server.url, questions)
        floor_after = floor_ms(questions, args.model, args.torch_threads)
    finally:
        server.stop()
    # Both passes count, one sample per question each, like the single HTTP pass: taking the
    # faster of two samples per question would compare a best case with a typical case.
    floor = floor_before + floor_after
    result = {
        "questions": len(questions),
        "gunicorn_threads": threads,
        "torch_threads": args.torch_threads,
        "floor_ms": percentiles(floor),
        "http_uncached_ms": percentiles(uncached),
        "http_cached_ms": percentiles(cached),
        "errors": errors + cached_errors,
    }
    result["ratio_p50_to_floor"] = round(result["http_uncached_ms"]["p50"] / result["floor_ms"]["p50"], 3)
    result["overhead_p50_ms"] = round(result["http_uncached_ms"]["p50"] - result["floor_ms"]["p50"], 2)
    print("\n| measure | n | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for label, key in [("model encode (floor)", "floor_ms"), ("POST /api/ask, distinct questions", "http_uncached_ms"),
                       ("POST /api/ask, cached embedding", "http_cached_ms")]:
        row = result[key]
        print(f"| {label} | {row['n']} | {row['p50']} | {row['p95']} | {row['p99']} |")
    print(f"\np50 / floor = {result['ratio_p50_to_floor']} (target <= 1.3); errors = {result['errors']}")
    print(f"saved {write_result(f'latency-threads{threads}-torch{args.torch_threads}', result)}")


if __name__ == "__main__":
    main()
