"""The index build options: plain values, importable without faiss, bm25s or a model."""

from __future__ import annotations

from dataclasses import dataclass

# Exact search below, HNSW from here: flat search costs ~3 ms at 50k passages and ~7 ms at
# 100k on 2 cores, HNSW ~0.2 ms with recall@10 >= 0.99 (docs/benchmarks.md).
HNSW_THRESHOLD = 50_000


@dataclass(frozen=True)
class BuildOptions:
    """What a build depends on besides the articles and the model."""

    hnsw_threshold: int = HNSW_THRESHOLD  # exact search below, HNSW from here (qa/index/store.py)
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    sentence_vectors: bool = True
