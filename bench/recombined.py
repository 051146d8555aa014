"""A benchmark embedder for large synthetic corpora: real-model geometry without the model cost.

Synthetic passages (``bench/synth.py``) are made of the seed articles' sentences. This
embedder encodes each distinct sentence once with the real model, and gives a passage
the normalised mean of its sentences' vectors; questions are encoded by the real model,
uncached, exactly as in the service. It lets a 100k-passage index be built in minutes
instead of hours on two cores, with vectors of the real dimension and of a realistic
geometry, so that FAISS search cost, HNSW recall, index size and memory are measured
for real. The model's own share of a real build is measured separately (passages per
second of ``embed_passages`` on real passages) and added back in ``docs/performance.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qa.embedding.embedder import Embedder, make_embedder
from qa.text.sentences import split_sentences


class RecombinedEmbedder:
    """Passages: mean of real vectors of their known sentences. Questions: the real model."""

    def __init__(self, sentences: list[str], model: str = "e5"):
        self._model: Embedder = make_embedder(model)
        self.name = f"recombined-{self._model.name}"
        distinct = sorted(set(sentences))
        self._sentences = dict(zip(distinct, self._model.embed_passages(distinct)))
        self.model_calls = len(distinct)

    @property
    def dimension(self) -> int:
        return self._model.dimension

    @property
    def window(self) -> int:
        return self._model.window

    @property
    def fingerprint(self) -> str:
        return "recombined-" + self._model.fingerprint

    def __getattr__(self, attribute: str) -> Any:
        # The rest (the query and passage prefixes...) is the real model's, read-only.
        if attribute == "_model":
            raise AttributeError(attribute)
        return getattr(self._model, attribute)

    def count_tokens(self, text: str) -> int:
        return self._model.count_tokens(text)

    def _known_vectors(self, text: str) -> list[np.ndarray]:
        pieces = (
            " ".join(line[s.start : s.end].split()) for line in text.splitlines() for s in split_sentences(line)
        )
        return [self._sentences[p] for p in pieces if p in self._sentences]

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Known sentences' mean; a text with no known sentence (a title) gets the model."""
        rows: list[np.ndarray | None] = []
        unknown: list[int] = []
        for position, text in enumerate(texts):
            vectors = self._known_vectors(text)
            if vectors:
                mean = np.mean(vectors, axis=0)
                rows.append(mean / (np.linalg.norm(mean) or 1.0))
            else:
                rows.append(None)
                unknown.append(position)
        if unknown:
            self.model_calls += len(unknown)
            for position, vector in zip(unknown, self._model.embed_passages([texts[i] for i in unknown])):
                rows[position] = vector
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(rows, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.embed_query(text)
