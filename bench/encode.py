"""Bare encode time of one question, e5 against MiniLM, in one process and one run.

Both models are loaded side by side with the serving defaults (one torch thread, the
query prefix each model uses). Then, for each distinct question in turn, each model
encodes it once (no cache), alternating which goes first, so that both see the same
machine load; the ratio of the medians is what compares (the machine is shared).
A batch pass then embeds the seeds' passages with each model (passages per second,
with the passage prefix), as an index build does, one thread and all threads.

Usage::

    .venv/bin/python bench/encode.py [--questions 200] [--models e5 minilm]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, distinct_questions, header, percentiles, write_result  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--models", nargs="+", default=os.environ.get("MODELS", "e5 minilm").split())
    parser.add_argument("--torch-threads", type=int, default=1)
    args = parser.parse_args()
    header("bare encode of one question, models side by side")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from qa.embedding.embedder import make_embedder
    from qa.index.build import split_corpus
    from qa.ingest.corpus import read_corpus
    from qa.ingest.passages import embedding_text

    torch.set_num_threads(args.torch_threads)
    embedders = {}
    for name in args.models:
        started = time.perf_counter()
        embedder = make_embedder(name, cache_size=0, threads=args.torch_threads)
        embedder.embed_query("warm-up")
        embedders[name] = embedder
        print(f"{name}: loaded and first encode in {time.perf_counter() - started:.2f} s")
    questions = distinct_questions(args.questions)
    samples: dict[str, list[float]] = {name: [] for name in embedders}
    for number, question in enumerate(questions):
        order = list(embedders) if number % 2 == 0 else list(reversed(embedders))
        for name in order:
            started = time.perf_counter()
            embedders[name].embed_query(question)
            samples[name].append((time.perf_counter() - started) * 1000)
    stats = {name: percentiles(values) for name, values in samples.items()}
    print("\n| model | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|")
    for name, row in stats.items():
        print(f"| {name} | {row['p50']} | {row['p95']} | {row['p99']} |")
    names = list(stats)
    if len(names) == 2:
        print(f"\nratio of p50 {names[0]}/{names[1]}: {stats[names[0]]['p50'] / stats[names[1]]['p50']:.2f}")

    corpus = read_corpus(ROOT / "seeds")
    throughput = {}
    print("\n| model | torch threads | passages | passages/s |")
    print("|---|---|---|---|")
    for name, embedder in embedders.items():
        texts = [embedding_text(p) for p in split_corpus(corpus, embedder)]
        for threads in sorted({args.torch_threads, os.cpu_count() or 1}):
            torch.set_num_threads(threads)
            started = time.perf_counter()
            embedder.embed_passages(texts)
            rate = len(texts) / (time.perf_counter() - started)
            throughput[f"{name}/{threads}"] = round(rate, 1)
            print(f"| {name} | {threads} | {len(texts)} | {rate:.1f} |")
    torch.set_num_threads(args.torch_threads)
    print(f"saved {write_result('encode', {'query_ms': stats, 'passages_per_s': throughput})}")


if __name__ == "__main__":
    main()
