"""The vector store: the only module that imports ``faiss``.

A small interface (``build``, ``search``, ``save``, ``load``, ``describe``) in the manner of txtai's
``ann/faiss.py``. Vectors are L2-normalised before they get here, so the inner product
that ``IndexFlatIP`` computes is the cosine similarity.

Past ``hnsw_threshold`` vectors the store switches from exact search to an HNSW graph
(``IndexHNSWFlat`` with inner product), whose recall against exact search is measured
in ``bench/``. Flat indexes are read memory-mapped, so workers share their pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from qa.settings import HNSW_THRESHOLD

FILE_NAME = "vectors.faiss"


class StoreError(RuntimeError):
    """The vector file is missing, truncated or does not match what was expected."""


@dataclass(frozen=True)
class StoreInfo:
    """What the manifest records about the vector index."""

    kind: str
    dimension: int
    count: int
    faiss_version: str


class VectorStore:
    """Nearest-neighbour search over normalised vectors by inner product."""

    def __init__(self, index: "faiss.Index"):
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD, hnsw_m: int = 32) -> VectorStore:
        """Index the vectors in order: row ``i`` is passage ``i``."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise StoreError("vectors must be a 2-D array")
        dimension = vectors.shape[1]
        if len(vectors) >= hnsw_threshold:
            index = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 128
        else:
            index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @property
    def info(self) -> StoreInfo:
        kind = "hnsw" if isinstance(self._index, faiss.IndexHNSW) else "flat"
        return StoreInfo(kind, int(self._index.d), int(self._index.ntotal), faiss.__version__)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best (scores, ids), best first; FAISS's ``-1`` padding is dropped."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        scores, ids = self._index.search(query, k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def neighbours(self, queries: np.ndarray, k: int, block: int = 4096) -> np.ndarray:
        """For each query row, the ids of its ``k`` nearest stored vectors, best first.

        One batch search per ``block`` of queries (FAISS runs it on every core); exact for
        a flat store, approximate past the HNSW threshold. Rows are padded with ``-1``
        where fewer than ``k`` are found. Used at build time, for the alignment's candidates.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, len(self))
        found = np.full((len(queries), max(k, 0)), -1, dtype=np.int64)
        if k <= 0:
            return found
        for lo in range(0, len(queries), block):
            _, ids = self._index.search(queries[lo : lo + block], k)
            found[lo : lo + block] = ids
        return found

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, row for row (a later build reuses them)."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return np.zeros((0, int(self._index.d)), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(ids), dtype=np.float32)

    def describe(self) -> dict[str, object]:
        """The manifest's ``store`` section."""
        info = self.info
        return {"kind": info.kind, "dimension": info.dimension, "count": info.count, "faiss": info.faiss_version}

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Inner products of the query with the stored vectors of ``ids``."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return np.zeros(0, dtype=np.float32)
        vectors = self._index.reconstruct_batch(ids)
        return vectors @ np.asarray(query, dtype=np.float32).reshape(-1)

    def save(self, folder: Path) -> Path:
        path = Path(folder) / FILE_NAME
        faiss.write_index(self._index, str(path))
        return path

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> VectorStore:
        """Read the index; memory-map it where FAISS allows, else read it whole."""
        path = Path(folder) / FILE_NAME
        if not path.is_file():
            raise StoreError(f"missing vector file {path}")
        try:
            # IO_FLAG_MMAP_IFC maps the vectors of IndexFlat and of IndexHNSWFlat's storage
            # (IndexFlatCodes); plain IO_FLAG_MMAP reads a flat index whole into each
            # worker (measured with bench/scale.py: the file was not in the process's maps).
            flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
            try:
                index = faiss.read_index(str(path), flags)
            except RuntimeError:
                if not mmap:
                    raise
                index = faiss.read_index(str(path))
        except RuntimeError as error:
            raise StoreError(f"cannot read {path}: {error}") from error
        return cls(index)
