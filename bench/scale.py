"""Index build and query cost as the corpus grows: synthetic corpora of 1k, 10k, 100k passages.

For each size: build passages per second, peak memory of the build (max RSS), index size
on disk (and per file), then query latency of ``QAService.ask`` in a fresh process on the
loaded index, with distinct questions (each costs a model encode) and again with the same
questions cached (everything but the model). The seeds are measured in the same run, so
``p50 / p50 on seeds`` is a ratio taken under the same load.

Builds and queries each run in a child process so that peak memory is the build's own.

Usage::

    .venv/bin/python bench/scale.py --sizes 1000 10000 [--model bundled] [--no-sentence-vectors]
    .venv/bin/python bench/scale.py --sizes 100000 --no-sentence-vectors --keep   # ~minutes
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, PYTHON, ROOT, distinct_questions, header, percentiles, write_result  # noqa: E402


def _config(seeds: Path, index: Path, model: str, sentence_vectors: bool, hnsw_threshold: int | None) -> dict[str, Any]:
    config: dict[str, Any] = dict(SEEDS_DIR=str(seeds), INDEX_DIR=str(index), MODEL=model, SENTENCE_VECTORS=sentence_vectors)
    if hnsw_threshold is not None:
        config["HNSW_THRESHOLD"] = hnsw_threshold
    return config


def _embedder(model: str, recombined: bool):
    """None (the service makes the configured model), or the recombined-vector embedder."""
    if not recombined:
        return None
    from bench.recombined import RecombinedEmbedder
    from bench.synth import seed_sentences

    return RecombinedEmbedder(seed_sentences(ROOT / "seeds"), model)


def child_build(
    seeds: Path, index: Path, model: str, sentence_vectors: bool, hnsw_threshold: int | None, recombined: bool
) -> dict[str, Any]:
    """Build once (in this process) and return the build's figures."""
    from qa.service.core import QAService
    from qa.settings import Settings, build_threads, for_build

    settings = Settings.from_mapping(_config(seeds, index, model, sentence_vectors, hnsw_threshold))
    settings = for_build(settings, build_threads(settings.model))  # as `qa index` does: the build gets every core
    service = QAService(settings, embedder=_embedder(model, recombined))
    service.embedder.embed_query("load the model before timing")
    started = time.perf_counter()
    loaded = service.rebuild(full=True)
    seconds = time.perf_counter() - started
    files = {str(p.relative_to(loaded.path)): p.stat().st_size for p in loaded.path.rglob("*") if p.is_file()}
    return {
        "passages": len(loaded.passages),
        "articles": len(loaded.articles),
        "sentences": int(len(loaded.sentence_spans)),
        "store": loaded.manifest["store"]["kind"],
        "build_seconds": round(seconds, 2),
        "passages_per_second": round(len(loaded.passages) / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "disk_mb": round(sum(files.values()) / 1e6, 2),
        "files_mb": {name: round(size / 1e6, 2) for name, size in sorted(files.items())},
    }


def child_query(seeds: Path, index: Path, model: str, count: int, recombined: bool) -> dict[str, Any]:
    """Query latency of ``QAService.ask`` on a built index, uncached then cached, and its parts."""
    from qa.service.core import QAService
    from qa.settings import Settings

    service = QAService(Settings.from_mapping(_config(seeds, index, model, True, None)), embedder=_embedder(model, recombined))
    service.warm_up()
    loaded = service.index
    questions = distinct_questions(count)
    uncached, cached, lexical, dense = [], [], [], []
    for question in questions:
        started = time.perf_counter()
        service.ask(question, 5)
        uncached.append((time.perf_counter() - started) * 1000)
    for question in questions:
        started = time.perf_counter()
        service.ask(question, 5)
        cached.append((time.perf_counter() - started) * 1000)
        vector = service.embedder.embed_query(question)
        started = time.perf_counter()
        loaded.lexical.score(question)
        lexical.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        loaded.store.search(vector, service.settings.ranking.candidates)
        dense.append((time.perf_counter() - started) * 1000)
    return {
        "passages": len(loaded.passages),
        "store": loaded.manifest["store"]["kind"],
        "ask_ms": percentiles(uncached),
        "ask_cached_ms": percentiles(cached),
        "lexical_score_ms": percentiles(lexical),
        "dense_search_ms": percentiles(dense),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **_memory_now(loaded.path),
    }


def _memory_now(build: Path) -> dict[str, float]:
    """This process's private memory (USS) and what it maps from the index build's files.

    Pages of memory-mapped index files are shared by every worker that maps them, so a
    worker's own cost is its USS; the mapped index files are paid once per machine.
    """
    import psutil

    process = psutil.Process()
    info = process.memory_full_info()
    mapped = [m for m in process.memory_maps(grouped=True) if m.path.startswith(str(build.resolve()))]
    return {
        "uss_mb": round(info.uss / 2**20, 1),
        "pss_mb": round(info.pss / 2**20, 1),
        "rss_now_mb": round(info.rss / 2**20, 1),
        "index_mapped_rss_mb": round(sum(m.rss for m in mapped) / 2**20, 1),
        "index_mapped_files": sorted(Path(m.path).name for m in mapped),
    }


def run_child(*args: str) -> dict[str, Any]:
    result = subprocess.run([PYTHON, __file__, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--no-sentence-vectors", action="store_true")
    parser.add_argument(
        "--recombined", action="store_true", help="passage vectors from bench/recombined.py (questions: real model)"
    )
    parser.add_argument("--hnsw-threshold", type=int, default=None)
    parser.add_argument("--work", type=Path, default=OUT / "scale")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and indexes under --work")
    parser.add_argument("--child", choices=["build", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--seeds", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "build":
        print(json.dumps(child_build(
            args.seeds, args.index, args.model, not args.no_sentence_vectors, args.hnsw_threshold, args.recombined
        )))
        return
    if args.child == "query":
        print(json.dumps(child_query(args.seeds, args.index, args.model, args.questions, args.recombined)))
        return

    from bench.synth import write_corpus

    header("index build and query cost by corpus size")
    sentence_flag = ["--no-sentence-vectors"] if args.no_sentence_vectors else []
    hnsw_flag = ["--hnsw-threshold", str(args.hnsw_threshold)] if args.hnsw_threshold is not None else []
    common = ["--model", args.model, "--questions", str(args.questions)] + (["--recombined"] if args.recombined else [])
    rows = []
    for label, size in [("seeds", 0), *[(f"{n}", n) for n in args.sizes]]:
        work = args.work / label
        seeds = ROOT / "seeds" if size == 0 else work / "corpus"
        index = work / "index"
        if size:
            write_corpus(size, seeds)
        shutil.rmtree(index, ignore_errors=True)
        build = run_child("--child", "build", "--seeds", str(seeds), "--index", str(index), *common, *sentence_flag, *hnsw_flag)
        query = run_child("--child", "query", "--seeds", str(seeds), "--index", str(index), *common)
        row = {"corpus": label, **build, **{f"query_{k}": v for k, v in query.items() if k not in ("passages", "store")}}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if not args.keep and size:
            shutil.rmtree(work, ignore_errors=True)
    base = rows[0]["query_ask_ms"]["p50"]
    print("\n| corpus | passages | store | build s | passages/s | peak RSS MB | disk MB | ask p50 ms | ratio to seeds | cached p50 ms | lexical p50 ms | dense p50 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['corpus']} | {row['passages']} | {row['store']} | {row['build_seconds']} | {row['passages_per_second']} "
            f"| {row['peak_rss_mb']} | {row['disk_mb']} | {row['query_ask_ms']['p50']} | {row['query_ask_ms']['p50'] / base:.2f} "
            f"| {row['query_ask_cached_ms']['p50']} | {row['query_lexical_score_ms']['p50']} | {row['query_dense_search_ms']['p50']} |"
        )
    name = "scale" + ("-recombined" if args.recombined else "") + ("-nosv" if args.no_sentence_vectors else "")
    path = write_result(name + "-" + "-".join(str(n) for n in args.sizes), {"rows": rows})
    print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
