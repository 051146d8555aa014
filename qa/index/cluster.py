"""Embedding on a Ray cluster: the only module that imports ``ray``.

``qa index --ray ADDRESS`` builds with a ``RayEmbedder`` instead of the local embedder.
It has the same interface (``qa.embedding.embedder.Embedder``), so the build does not change: every
call to ``embed_passages`` (the passages, then their sentences; for an incremental build
only the new or changed texts) is cut into batches that Ray actors embed, one model per
worker process, while splitting, BM25, the vector store, the alignment and publication
stay on the driver. Questions are still encoded by the local model (``embed_query``).

* ``ADDRESS`` is ``local`` (start a Ray runtime in this process, stopped at the end),
  ``auto`` (``RAY_ADDRESS``, else the cluster last started here with ``ray start``), or
  ``HOST:PORT`` of a cluster's head (GCS port). A loopback address keeps Ray on 127.0.0.1.
* The workers run the driver's code: the ``qa`` package is shipped as the job's
  ``py_modules``. They need the project's dependencies (torch, sentence-transformers).
* The model is loaded the same offline way as on the driver (``make_embedder`` on a local
  folder). A worker whose node has the same folder (same path, same SHA-256 of its files)
  loads it in place; one that lacks it gets the folder's files from the driver as a Ray
  object and unpacks them into a local cache. Nothing is ever downloaded.
* Each worker embeds a probe text when it starts, compared with the driver's own vector:
  a worker whose model differs (another version, a missing prefix) fails the build.
* A worker process that dies is restarted by Ray and its batches are retried (``retries``
  times); past that the build fails with ``ClusterError`` and publishes nothing, so the
  index in place stays served.
* Usage statistics are off (``RAY_USAGE_STATS_ENABLED=0``), and so is the dashboard. A
  ``local`` runtime requires a token of its own (``RAY_AUTH_MODE=token``); a cluster's
  token, if it has one, comes from ``RAY_AUTH_TOKEN`` or ``~/.ray/auth_token`` (Ray's).
  These variables are set, and Ray's ``RAY_ADDRESS`` and ``RAY_TMPDIR`` read, in ``qa.settings``.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.embedding.embedder import HASHING, Embedder, make_embedder
from qa.index.embed import StageProgress
from qa.settings import RayEnvironment, apply_environment
from qa.storage import folder_digest, folder_files, staged_folder

PROBE = "Le conseil municipal a voté le budget 2024 de la ville. The council approved the budget."
PROBE_TOLERANCE = 1e-3  # cosine distance allowed between a worker's and the driver's probe vector
IN_FLIGHT = 2  # batches queued per worker, so that a worker never waits for the driver
STARTUP_TIMEOUT = 600.0  # seconds for the workers to be placed and to load the model


class ClusterError(RuntimeError):
    """The Ray cluster cannot be reached or used, or its workers failed the build."""


@dataclass(frozen=True)
class ModelSpec:
    """What a worker needs to load the same model as the driver."""

    kind: str  # "hashing" (no model) or "folder"
    folder: str  # the model folder on the driver
    digest: str  # SHA-256 of the folder's files (paths, sizes and contents)
    passage_prefix: str
    device: str
    threads: int
    cache_dir: str  # where a worker unpacks a shipped model ("" = the system temp folder)
    always_ship: bool  # ignore a folder found in place (tests of the shipping path)


def pack_folder(folder: Path) -> dict[str, bytes]:
    """A model folder as {relative path: bytes}, to ship as one Ray object."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder_files(folder)}


def unpack_folder(files: dict[str, bytes], target: Path) -> Path:
    """Write shipped files into ``target`` atomically (a staged folder, then a rename).

    Another worker of this node may put the same folder there first: its copy is kept.
    """
    if target.is_dir():
        return target
    with staged_folder(target, if_exists="keep") as staging:
        for name, data in files.items():
            path = staging / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                raise ClusterError(f"refusing a shipped model file outside its folder: {name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return target


def model_cache(spec: ModelSpec) -> Path:
    return Path(spec.cache_dir or tempfile.gettempdir()) / "qa-ray-models" / spec.digest


def resolve_model_folder(spec: ModelSpec, bundle: list[Any]) -> tuple[Path, bool]:
    """The model folder on this node, and whether it had to be shipped here.

    ``bundle`` holds one Ray object reference to the packed folder; it is only fetched
    when the folder is neither in place (same path and digest) nor in the node's cache.
    """
    in_place = Path(spec.folder)
    if not spec.always_ship and in_place.is_dir() and folder_digest(in_place) == spec.digest:
        return in_place, False
    cached = model_cache(spec)
    if cached.is_dir() and folder_digest(cached) == spec.digest:
        return cached, True
    import ray

    shutil.rmtree(cached, ignore_errors=True)
    return unpack_folder(ray.get(bundle[0]), cached), True


class EmbeddingWorker:
    """A Ray actor: one model in one worker process (made remote by ``RayEmbedder``)."""

    def __init__(self, spec: ModelSpec, bundle: list[Any]):
        self.shipped = False
        if spec.kind == HASHING:
            self.embedder = make_embedder(HASHING)
        else:
            folder, self.shipped = resolve_model_folder(spec, bundle)
            self.embedder = make_embedder(
                str(folder), passage_prefix=spec.passage_prefix, device=spec.device, threads=spec.threads
            )

    def probe(self, text: str) -> dict[str, Any]:
        import ray

        vector = self.embedder.embed_passages([text])[0]
        return {
            "pid": os.getpid(),
            "node": ray.get_runtime_context().get_node_id(),
            "shipped": self.shipped,
            "vector": vector,
        }

    def embed(self, texts: list[str]) -> tuple[int, np.ndarray, float]:
        """This process's id (a change means a restart), the vectors, the CPU seconds spent."""
        started = time.process_time()
        vectors = self.embedder.embed_passages(texts)
        return os.getpid(), vectors, time.process_time() - started


def is_loopback(address: str) -> bool:
    """True for ``local`` and for a HOST:PORT whose host is a loopback address."""
    if address == "local":
        return True
    host = address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_address(address: str, environment: RayEnvironment | None = None) -> str:
    """``auto`` the way Ray resolves it: ``RAY_ADDRESS``, else the last ``ray start`` here.

    ``environment`` is Ray's variables (``qa.settings.RayEnvironment``; default: this process's).
    """
    if address != "auto":
        return address
    environment = environment or RayEnvironment.load()
    if environment.address:
        return environment.address
    temp = environment.temp_dir or tempfile.gettempdir()
    current = Path(temp) / "ray" / "ray_current_cluster"
    try:
        found = current.read_text().strip()
    except OSError:
        found = ""
    if not found:
        raise ClusterError("--ray auto found no cluster: start one with `ray start --head`, or set RAY_ADDRESS")
    return found


def check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail fast on a HOST:PORT nobody listens on (``ray.init`` would wait for minutes)."""
    if address == "local":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"a Ray address is auto, local or HOST:PORT, not {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise ClusterError(f"cannot connect to the Ray cluster at {address}: {error}") from error


def _import_ray(address: str):
    """Import Ray with usage statistics off; on a loopback address, bound to 127.0.0.1.

    The variables (read when ray is imported, and inherited by the runtime it starts) are
    ``qa.settings.process_environment``'s: on loopback every Ray server stays on 127.0.0.1,
    and a ``local`` runtime requires a token of this process alone (Ray's default would write
    one to ~/.ray/auth_token, which every later ``ray start`` on the machine picks up).
    """
    stages = ["ray", *(["ray-loopback"] if is_loopback(address) else []), *(["ray-local"] if address == "local" else [])]
    apply_environment(*stages)
    try:
        import ray
    except ImportError as error:
        raise ClusterError("Ray is not installed: pip install '.[cluster]'") from error
    return ray


class RayEmbedder:
    """An ``Embedder`` whose ``embed_passages`` runs on a Ray cluster.

    Use it as a context manager: entering connects (or starts a local runtime), leaving
    stops the workers and disconnects. Anything but ``embed_passages`` is the local
    embedder's (the tokenizer for splitting, ``embed_query``, the fingerprint).
    """

    def __init__(
        self,
        local: Embedder,
        address: str,
        workers: int | None = None,
        retries: int = 3,
        batch_size: int = 64,
        cache_dir: str = "",
        always_ship: bool = False,
    ):
        if workers is not None and workers < 1:
            raise ClusterError("--ray-workers must be at least 1")
        if retries < 0:
            raise ClusterError("--ray-retries cannot be negative")
        self.local = local
        self.address = resolve_address(address)
        self.requested_workers = workers
        self.retries = retries
        self.batch_size = max(1, batch_size)
        self.cache_dir = cache_dir
        self.always_ship = always_ship
        self._ray = None
        self._workers: list[Any] = []
        self._pids: list[int] = []
        self._stats: dict[str, Any] = {"texts": 0, "batches": 0, "embed_seconds": 0.0, "worker_cpu_seconds": 0.0, "restarts": 0}
        self._cluster: dict[str, Any] = {}

    # The Embedder protocol: everything but embed_passages is the local model's.
    @property
    def name(self) -> str:
        return self.local.name

    @property
    def dimension(self) -> int:
        return self.local.dimension

    @property
    def window(self) -> int:
        return self.local.window

    @property
    def fingerprint(self) -> str:
        return self.local.fingerprint

    def count_tokens(self, text: str) -> int:
        return self.local.count_tokens(text)

    def embed_query(self, text: str) -> np.ndarray:
        return self.local.embed_query(text)

    def __getattr__(self, attribute: str) -> Any:
        # Other attributes of the local embedder (prefixes, location...), read-only.
        if attribute == "local":
            raise AttributeError(attribute)
        return getattr(self.local, attribute)

    # Connecting and disconnecting.
    def __enter__(self) -> RayEmbedder:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def connect(self) -> None:
        check_reachable(self.address)
        ray = _import_ray(self.address)
        package = Path(__file__).resolve().parents[1]  # qa/, not qa/index/
        options: dict[str, Any] = {
            "include_dashboard": False,
            "logging_level": "WARNING",
            "log_to_driver": False,
            # The workers run this very code, whatever version their nodes have installed.
            "runtime_env": {"py_modules": [str(package)], "excludes": ["__pycache__", "*.pyc"]},
        }
        if self.address == "local" and self.requested_workers:
            options["num_cpus"] = self.requested_workers
        try:
            ray.init(address=self.address, **options)
        except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError...
            raise ClusterError(f"cannot connect to the Ray cluster at {self.address}: {error}") from error
        self._ray = ray
        resources = ray.cluster_resources()
        self._cluster = {
            "nodes": sum(1 for node in ray.nodes() if node.get("Alive")),
            "cpus": float(resources.get("CPU", 0.0)),
            "gpus": float(resources.get("GPU", 0.0)),
        }

    def close(self) -> None:
        ray, self._ray = self._ray, None
        if ray is None:
            return
        for worker in self._workers:
            try:
                ray.kill(worker)
            except Exception:  # already dead: nothing to stop
                pass
        self._workers = []
        ray.shutdown()  # stops a "local" runtime; disconnects from a cluster

    @property
    def backend(self) -> dict[str, Any]:
        """What the manifest records about where the vectors were computed."""
        return {
            "kind": "ray",
            "address": self.address,
            **self._cluster,
            "workers": len(self._pids),
            "model_shipped_to": self._stats.get("shipped", 0),
            "worker_restarts": self._stats["restarts"],
            "texts": self._stats["texts"],
            "batches": self._stats["batches"],
            "startup_seconds": round(self._stats.get("startup_seconds", 0.0), 3),
            "embed_seconds": round(self._stats["embed_seconds"], 3),
            "worker_cpu_seconds": round(self._stats["worker_cpu_seconds"], 3),
        }

    def _spec(self) -> tuple[ModelSpec, Path | None]:
        if self.local.name == HASHING:
            return ModelSpec(HASHING, "", "", "", "cpu", 1, self.cache_dir, self.always_ship), None
        location = getattr(self.local, "location", self.local.name)
        folder = Path(str(location))
        if not folder.is_dir():
            raise ClusterError(f"--ray needs the model as a local folder to ship to the workers; {location!r} is not one")
        spec = ModelSpec(
            kind="folder",
            folder=str(folder.resolve()),
            digest=folder_digest(folder),
            passage_prefix=str(getattr(self.local, "passage_prefix", "")),
            device=str(getattr(self.local, "device", "cpu")),
            threads=1,
            cache_dir=self.cache_dir,
            always_ship=self.always_ship,
        )
        return spec, folder

    def _start_workers(self) -> None:
        ray = self._ray
        if ray is None:
            raise ClusterError("RayEmbedder used outside its `with` block")
        started = time.perf_counter()
        cpus = int(self._cluster.get("cpus", 0))
        count = self.requested_workers or max(1, cpus)
        spec, folder = self._spec()
        if count * spec.threads > cpus:
            raise ClusterError(f"{count} Ray workers need {count * spec.threads} CPUs; the cluster has {cpus}")
        # The packed folder is put once; only workers that lack the folder fetch it.
        bundle = [ray.put(pack_folder(folder))] if folder is not None else []
        gpus = 1 if spec.device.startswith("cuda") else 0
        actor = ray.remote(EmbeddingWorker).options(
            num_cpus=spec.threads,
            num_gpus=gpus,
            max_restarts=self.retries,
            max_task_retries=self.retries,
        )
        self._workers = [actor.remote(spec, bundle) for _ in range(count)]
        expected = self.local.embed_passages([PROBE])[0]
        try:
            probes = ray.get([worker.probe.remote(PROBE) for worker in self._workers], timeout=STARTUP_TIMEOUT)
        except ray.exceptions.GetTimeoutError as error:
            raise ClusterError(f"the Ray workers did not start within {STARTUP_TIMEOUT:.0f} s") from error
        except Exception as error:
            raise ClusterError(f"the Ray workers could not load the model: {_reason(error)}") from error
        for probe in probes:
            distance = 1.0 - float(np.dot(probe["vector"], expected))
            if distance > PROBE_TOLERANCE:
                raise ClusterError(
                    f"a Ray worker's model differs from the driver's (probe cosine distance {distance:.4f}): "
                    "same model folder and prefixes are needed on every node"
                )
        self._pids = [probe["pid"] for probe in probes]
        self._stats["shipped"] = sum(1 for probe in probes if probe["shipped"])
        self._stats["startup_seconds"] = time.perf_counter() - started

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors of ``texts`` in order, computed by the cluster's workers."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not self._workers:
            self._start_workers()
        started = time.perf_counter()
        # Batches of texts of similar length, as one local encode would sort them: a batch
        # is padded to its longest text, and mixed lengths cost ~40 % more CPU per text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        batches = [[texts[i] for i in order[j : j + self.batch_size]] for j in range(0, len(order), self.batch_size)]
        results: list[np.ndarray | None] = [None] * len(batches)
        waiting = deque(range(len(batches)))
        in_flight: dict[Any, tuple[int, int]] = {}  # object ref -> (batch, worker)
        load = [0] * len(self._workers)
        with StageProgress(f"embedding on Ray ({len(load)} workers)", len(texts), "text", progress) as bar:
            while waiting or in_flight:
                for worker, handle in enumerate(self._workers):
                    while waiting and load[worker] < IN_FLIGHT:
                        batch = waiting.popleft()
                        in_flight[handle.embed.remote(batches[batch])] = (batch, worker)
                        load[worker] += 1
                done, _ = self._ray.wait(list(in_flight), num_returns=1)
                for ref in done:
                    batch, worker = in_flight.pop(ref)
                    load[worker] -= 1
                    try:
                        pid, vectors, cpu_seconds = self._ray.get(ref)
                    except Exception as error:
                        raise ClusterError(
                            f"Ray worker {worker} failed while embedding (after up to {self.retries} restarts "
                            f"and retries); nothing was published: {_reason(error)}"
                        ) from error
                    if pid != self._pids[worker]:  # Ray restarted the worker and retried
                        self._pids[worker] = pid
                        self._stats["restarts"] += 1
                    results[batch] = vectors
                    self._stats["worker_cpu_seconds"] += cpu_seconds
                    bar.update(len(batches[batch]))
        self._stats["texts"] += len(texts)
        self._stats["batches"] += len(batches)
        self._stats["embed_seconds"] += time.perf_counter() - started
        vectors = np.empty((len(texts), results[0].shape[1]), dtype=np.float32)
        vectors[order] = np.concatenate(results)
        return vectors


def _reason(error: BaseException) -> str:
    """The first line of a Ray error, without its long traceback."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def ray_embedder(
    local: Embedder, address: str, workers: int | None = None, retries: int = 3, batch_size: int = 64
) -> RayEmbedder:
    """A ``RayEmbedder`` for ``qa index --ray``; use it in a ``with`` block."""
    return RayEmbedder(local, address, workers=workers, retries=retries, batch_size=batch_size)
