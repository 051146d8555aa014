"""The build's embedding step, behind one small interface: texts in, normalised vectors out.

``qa.index.build`` calls ``encoder.encode(texts, stage)`` once per stage (passages, then
sentences) with only the texts that need vectors: those of new or changed articles.
``LocalEncoder`` embeds them in this process with the build's embedder:

* each distinct text once per build, even across stages;
* sorted by length and cut into chunks, so that each batch pads little (sentence-transformers
  only sorts within one ``encode`` call) and one progress bar per stage counts texts and
  shows the time left, instead of sentence-transformers' anonymous "Batches" bars;
* the threads are the embedder's: ``qa index`` gives the build every core (``QA_BUILD_THREADS``).

A distributed encoder (``qa index --ray``) only has to offer the same ``encode``.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from qa.embedding.embedder import Embedder

# The tokenizer warns when a text is longer than the model's window; passages are cut to
# the window on purpose, and whole articles are counted while cutting them.
logging.getLogger("transformers.tokenization_utils_base").setLevel(logging.ERROR)


class Encoder(Protocol):
    """What a build needs to turn texts into vectors."""

    def encode(self, texts: list[str], stage: str) -> np.ndarray: ...


class LocalEncoder:
    """Embeds in this process, each distinct text once, longest first, with a progress bar per stage."""

    def __init__(self, embedder: Embedder, progress: bool = False, chunk_size: int = 64):
        self.embedder = embedder
        self.progress = progress
        self.chunk_size = chunk_size
        self.embedded = 0  # texts actually sent to the model during this build
        self._done: dict[str, np.ndarray] = {}  # text -> its row (a view) in an earlier result

    def encode(self, texts: list[str], stage: str) -> np.ndarray:
        """Vectors of ``texts``, row for row (float32, L2-normalised)."""
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        missing = sorted({text for text in texts if text not in self._done}, key=len, reverse=True)
        if missing:
            from tqdm import tqdm

            with tqdm(total=len(missing), desc=f"embed {stage}", unit="text", disable=not self.progress) as bar:
                for lo in range(0, len(missing), self.chunk_size):
                    chunk = missing[lo : lo + self.chunk_size]
                    vectors = self.embedder.embed_passages(chunk, progress=False)
                    for text, row in zip(chunk, vectors):
                        self._done[text] = row
                    self.embedded += len(chunk)
                    bar.update(len(chunk))
        return np.stack([self._done[text] for text in texts]).astype(np.float32, copy=False)
