"""The build's embedding step, behind one small interface: texts in, normalised vectors out.

``qa.index.build`` calls ``encoder.encode(texts, stage)`` once per stage (passages, then
sentences) with only the texts that need vectors: those of new or changed articles.
``LocalEncoder`` embeds them in this process with the build's embedder:

* each distinct text once per build, even across stages;
* sorted by length and cut into chunks, so that each batch pads little (sentence-transformers
  only sorts within one ``encode`` call) and one progress report per stage counts texts,
  instead of sentence-transformers' anonymous "Batches" bars;
* the threads are the embedder's: ``qa index`` gives the build every core (``QA_BUILD_THREADS``).

A distributed encoder (``qa index --ray``) only has to offer the same ``encode``.

``StageProgress`` is the one progress report of a build's stages (splitting, then embedding
passages and sentences): on a terminal a tqdm bar named for its stage, elsewhere (a log
file, CI, a pipe) one log line per stage once it is done, and nothing when progress is off
(``qa index --quiet``, the builds a server starts).
"""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType
from typing import Any, Protocol

import numpy as np

from qa.embedding.embedder import Embedder

# The tokenizer warns when a text is longer than the model's window; passages are cut to
# the window on purpose, and whole articles are counted while cutting them.
logging.getLogger("transformers.tokenization_utils_base").setLevel(logging.ERROR)

log = logging.getLogger(__name__)


class StageProgress:
    """Progress of one build stage: a named bar on a terminal, else one log line when it ends.

    ``with StageProgress("embed passages", total, "text", enabled) as progress:`` then
    ``progress.update(n)``. The terminal is the one tqdm draws on (standard error).
    """

    def __init__(self, stage: str, total: int, unit: str, enabled: bool = True):
        self.stage, self.total, self.unit, self.enabled = stage, total, unit, enabled
        self.done = 0
        self._bar: Any = None
        self._started = 0.0

    def __enter__(self) -> StageProgress:
        self._started = time.monotonic()
        if self.enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=self.stage, unit=self.unit)
        return self

    def update(self, count: int) -> None:
        """``count`` more items of this stage are done."""
        self.done += count
        if self._bar is not None:
            self._bar.update(count)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.enabled and kind is None:
            seconds = time.monotonic() - self._started
            log.info("%s: %d of %d %ss in %.1f s", self.stage, self.done, self.total, self.unit, seconds)


class Encoder(Protocol):
    """What a build needs to turn texts into vectors."""

    def encode(self, texts: list[str], stage: str) -> np.ndarray: ...


class LocalEncoder:
    """Embeds in this process, each distinct text once, longest first, with a progress report per stage."""

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
            with StageProgress(f"embed {stage}", len(missing), "text", self.progress) as progress:
                for lo in range(0, len(missing), self.chunk_size):
                    chunk = missing[lo : lo + self.chunk_size]
                    vectors = self.embedder.embed_passages(chunk, progress=False)
                    for text, row in zip(chunk, vectors):
                        self._done[text] = row
                    self.embedded += len(chunk)
                    progress.update(len(chunk))
        return np.stack([self._done[text] for text in texts]).astype(np.float32, copy=False)
