"""Exact (flat) vs approximate (HNSW) vector search: recall@10, search time, build time, size.

Vectors are made with the real model's geometry (see ``bench/recombined.py``): each
"passage" is the normalised mean of 2 to 10 real vectors of the seed articles'
sentences, drawn with a seeded generator; queries are the real model's vectors of
distinct questions. ``--gaussian`` adds a harder, structureless case (random unit
vectors, queries drawn the same way).

Recall@10 counts an approximate hit as found when its exact score reaches the exact
10th score (ties between near-duplicate passages would otherwise count as misses), as
ann-benchmarks does. Both indexes are built through ``qa.index.store.VectorStore``, so the
HNSW parameters measured are the ones the service uses.

Usage::

    .venv/bin/python bench/recall.py --sizes 10000 50000 100000 200000 [--gaussian]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, distinct_questions, header, percentiles, write_result  # noqa: E402


def recombined_vectors(sentence_vectors: np.ndarray, count: int, seed: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = np.empty((count, sentence_vectors.shape[1]), dtype=np.float32)
    for start in range(0, count, 10_000):
        stop = min(count, start + 10_000)
        sizes = rng.integers(2, 11, size=stop - start)
        for offset, size in enumerate(sizes):
            rows[start + offset] = sentence_vectors[rng.choice(len(sentence_vectors), size, replace=False)].mean(axis=0)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def measure(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> dict:
    from qa.index.store import VectorStore

    row = {"vectors": len(vectors)}
    stores = {}
    for kind, threshold in (("flat", len(vectors) + 1), ("hnsw", 0)):
        started = time.perf_counter()
        store = VectorStore.build(vectors, hnsw_threshold=threshold)
        row[f"{kind}_build_s"] = round(time.perf_counter() - started, 2)
        with tempfile.TemporaryDirectory() as folder:
            row[f"{kind}_disk_mb"] = round(store.save(Path(folder)).stat().st_size / 1e6, 1)
        times, results = [], []
        for query in queries:
            started = time.perf_counter()
            results.append(store.search(query, k))
            times.append((time.perf_counter() - started) * 1000)
        row[f"{kind}_search_ms"] = percentiles(times)
        stores[kind] = results
    found = 0
    for (exact_scores, _), (_, approx_ids), query in zip(stores["flat"], stores["hnsw"], queries):
        kth = float(exact_scores[-1])
        true_scores = vectors[approx_ids] @ query
        found += int(np.sum(true_scores >= kth - 1e-6))
    row["recall_at_10"] = round(found / (k * len(queries)), 4)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000, 100000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--gaussian", action="store_true")
    args = parser.parse_args()
    header("vector search: exact (flat) vs HNSW, recall@10 and cost")

    from bench.synth import seed_sentences
    from qa.embedding.embedder import make_embedder

    embedder = make_embedder(args.model, cache_size=0)
    sentence_vectors = embedder.embed_passages(sorted(set(seed_sentences(ROOT / "seeds"))))
    queries = np.stack([embedder.embed_query(q) for q in distinct_questions(args.queries)])
    rows = []
    cases = ["recombined"] + (["gaussian"] if args.gaussian else [])
    for case in cases:
        for size in args.sizes:
            if case == "gaussian":
                rng = np.random.default_rng(size)
                vectors = rng.standard_normal((size, sentence_vectors.shape[1])).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            else:
                vectors = recombined_vectors(sentence_vectors, size)
            row = {"case": case, **measure(vectors, queries)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| vectors | case | flat p50 ms | hnsw p50 ms | recall@10 | flat build s | hnsw build s | flat MB | hnsw MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['vectors']} | {row['case']} | {row['flat_search_ms']['p50']} | {row['hnsw_search_ms']['p50']} | {row['recall_at_10']} "
            f"| {row['flat_build_s']} | {row['hnsw_build_s']} | {row['flat_disk_mb']} | {row['hnsw_disk_mb']} |"
        )
    print(f"\nsaved {write_result('recall', {'rows': rows})}")


if __name__ == "__main__":
    main()
