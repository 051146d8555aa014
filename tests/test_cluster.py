"""``qa index --ray``: the embedding on a real Ray head bound to 127.0.0.1 (qa/index/cluster.py).

The head is started by the tests (``bench/rayhead.py``: ``ray start --head --block`` in a
session of its own, usage statistics and dashboard off) and stopped by them: SIGTERM to
that ``ray start``, then SIGKILL to whatever is left of its session. Nothing else's Ray
is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from qa import create_app
from qa.embedding.embedder import make_embedder
from qa.index.cluster import ClusterError, RayEmbedder, folder_digest, is_loopback, pack_folder, resolve_address, unpack_folder
from qa.index.load import load_index
from qa.index.publish import current_build_id
from qa.ingest.passages import embedding_text
from qa.service.serialise import answer_json
from support.app import copy_seeds
from support.live_server import free_port
from support.paths import DATA, ROOT
from support.rayhead import Head, in_session, ray_env, ray_head

# Before Ray is imported in this process (the shipping test drives Ray from here): no usage
# statistics, loopback only, the test heads' token.
os.environ.update({key: value for key, value in ray_env().items() if key.startswith("RAY_")})
QUESTIONS = [json.loads(line)["question"] for line in (DATA / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


# --- without a cluster ------------------------------------------------------------------------


def test_a_model_folder_packs_and_unpacks_to_the_same_digest(tmp_path):
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "config.json").write_text('{"a": 1}')
    (folder / "1_Pooling" / "config.json").write_text('{"b": 2}')
    (folder / "model.safetensors").write_bytes(os.urandom(4096))
    copy = unpack_folder(pack_folder(folder), tmp_path / "cache" / "x")
    assert folder_digest(copy) == folder_digest(folder)
    (copy / "config.json").write_text('{"a": 2}')
    assert folder_digest(copy) != folder_digest(folder)


def test_unpacking_refuses_paths_outside_the_folder(tmp_path):
    with pytest.raises(ClusterError, match="outside its folder"):
        unpack_folder({"../evil.txt": b"x"}, tmp_path / "cache" / "x")
    assert not (tmp_path / "cache" / "evil.txt").exists() and not (tmp_path / "cache" / "x").exists()


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("local", True), ("127.0.0.1:6379", True), ("localhost:6379", True), ("[::1]:6379", True), ("10.0.0.5:6379", False), ("ray://head:10001", False)],
)
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback


def test_auto_reads_ray_address_or_says_there_is_no_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:7777")
    assert resolve_address("auto") == "127.0.0.1:7777"
    monkeypatch.delenv("RAY_ADDRESS")
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))
    with pytest.raises(ClusterError, match="no cluster"):
        resolve_address("auto")
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "ray_current_cluster").write_text("127.0.0.1:8888\n")
    assert resolve_address("auto") == "127.0.0.1:8888"
    assert resolve_address("10.1.2.3:6379") == "10.1.2.3:6379"


def test_a_model_that_is_not_a_local_folder_cannot_be_shipped(tmp_path):
    class HubModel:
        name = "sentence-transformers/some-hub-model"
        location = "sentence-transformers/some-hub-model"

    with pytest.raises(ClusterError, match="local folder"):
        RayEmbedder(HubModel(), "local")._spec()  # type: ignore[arg-type]


def test_bad_worker_counts_are_refused():
    with pytest.raises(ClusterError):
        RayEmbedder(make_embedder("hashing"), "local", workers=0)
    with pytest.raises(ClusterError):
        RayEmbedder(make_embedder("hashing"), "local", retries=-1)


# --- a real Ray head on 127.0.0.1 ---------------------------------------------------------------


@pytest.fixture(scope="module")
def head():
    with ray_head(cpus=2) as started:
        yield started
    assert not started.processes(), "processes of the test's Ray head outlived it"


def qa_env(**settings: str) -> dict[str, str]:
    env = ray_env()
    env.update({f"QA_{key}": value for key, value in settings.items()})
    return env


def ray_index(index_dir: Path, seeds: Path, model: str, *args: str) -> subprocess.Popen:
    """``qa index --ray ...`` in a child process (the real command line)."""
    return subprocess.Popen(
        [sys.executable, "-m", "qa", "index", "--quiet", *args],
        cwd=ROOT,
        env=qa_env(MODEL=model, SEEDS_DIR=str(seeds), INDEX_DIR=str(index_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float = 900) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def kill_an_embedding_worker(head: Head, build: subprocess.Popen, timeout: float = 600) -> int:
    """SIGKILL the first worker of ``head`` seen embedding a batch; its pid."""
    deadline = time.monotonic() + timeout
    while build.poll() is None and time.monotonic() < deadline:
        for worker in head.workers("embed"):
            worker.kill()
            return worker.pid
        time.sleep(0.02)
    raise AssertionError("no embedding worker was seen at work")


def answers(index_dir: Path, seeds: Path, embedder) -> list[dict]:
    """The API's answers to the seed questions, served from ``index_dir``."""
    app = create_app(
        {"TESTING": True, "SEEDS_DIR": str(seeds), "INDEX_DIR": str(index_dir), "MODEL": embedder.name, "EMBEDDER": embedder, "AUTO_BUILD": False, "RATELIMIT": ""}
    )
    service = app.extensions["qa"]
    return [answer_json(service.ask(question, 5)) for question in QUESTIONS]


def assert_same_answers(got: list[dict], expected: list[dict]) -> None:
    for a, b in zip(got, expected, strict=True):
        assert a["answered"] == b["answered"], a["question"]
        assert [p["citation"] for p in a["passages"]] == [p["citation"] for p in b["passages"]], a["question"]
        assert [p["highlight"] for p in a["passages"]] == [p["highlight"] for p in b["passages"]], a["question"]
        assert [p["also_in"] for p in a["passages"]] == [p["also_in"] for p in b["passages"]], a["question"]
        for p, q in zip(a["passages"], b["passages"]):
            for key in ("fused", "dense", "lexical"):
                assert p["scores"][key] == pytest.approx(q["scores"][key], abs=1e-4)


def assert_same_index(ray_dir: Path, local_dir: Path) -> None:
    ray_built, local = load_index(ray_dir), load_index(local_dir)
    assert [p.to_dict() for p in ray_built.passages] == [p.to_dict() for p in local.passages]
    assert np.array_equal(ray_built.sentence_spans, local.sentence_spans)
    ray_vectors = ray_built.store._index.reconstruct_n(0, len(ray_built.store))
    local_vectors = local.store._index.reconstruct_n(0, len(local.store))
    np.testing.assert_allclose(ray_vectors, local_vectors, atol=1e-5)
    np.testing.assert_allclose(
        np.asarray(ray_built.sentence_vectors, dtype=np.float32), np.asarray(local.sentence_vectors, dtype=np.float32), atol=2e-3
    )
    assert ray_built.alignment.to_dict() == local.alignment.to_dict()


@pytest.fixture(scope="module")
def ray_build(head, real_app, tmp_path_factory):
    """One ``qa index --ray 127.0.0.1:PORT`` of the seeds that ``real_app`` built locally."""
    index_dir = tmp_path_factory.mktemp("ray-build") / "index"
    seeds = Path(real_app.config["SEEDS_DIR"])
    code, out, err = finish(ray_index(index_dir, seeds, real_app.config["MODEL"], "--ray", head.address))
    assert code == 0, err[-3000:]
    return index_dir, out


@pytest.mark.slow
def test_a_build_on_ray_gives_the_same_index_and_answers_as_a_local_build(ray_build, real_app):
    index_dir, out = ray_build
    service = real_app.extensions["qa"]
    local_dir, seeds = service.index_dir, service.seeds_dir
    assert "embedded on Ray at 127.0.0.1:" in out
    assert_same_index(index_dir, local_dir)
    assert_same_answers(answers(index_dir, seeds, service.embedder), answers(local_dir, seeds, service.embedder))
    embedding = load_index(index_dir).manifest["embedding"]
    assert embedding["kind"] == "ray" and embedding["nodes"] == 1 and embedding["cpus"] == 2 and embedding["workers"] == 2
    # Every distinct text of the build went to the cluster once (the build embeds each text once).
    loaded = load_index(index_dir)
    distinct = {embedding_text(p) for p in loaded.passages} | {
        loaded.articles[loaded.passages[pid].citation.source].text[a:b] for pid, a, b in loaded.sentence_spans.tolist()
    }
    assert embedding["texts"] == len(distinct) == loaded.manifest["incremental"]["texts_embedded"]
    assert load_index(local_dir).manifest["embedding"] == {"kind": "local"}


@pytest.mark.slow
def test_a_worker_killed_midway_is_restarted_and_its_batches_retried(head, real_app, tmp_path):
    service = real_app.extensions["qa"]
    build = ray_index(tmp_path / "index", service.seeds_dir, real_app.config["MODEL"], "--ray", head.address, "--ray-retries", "2")
    killed = kill_an_embedding_worker(head, build)
    code, out, err = finish(build)
    assert code == 0, err[-3000:]
    assert not psutil.pid_exists(killed) or psutil.Process(killed).status() == psutil.STATUS_ZOMBIE
    manifest = load_index(tmp_path / "index").manifest
    assert manifest["embedding"]["worker_restarts"] >= 1
    assert_same_index(tmp_path / "index", service.index_dir)


@pytest.mark.slow
def test_a_worker_dying_without_retries_fails_the_build_and_the_previous_index_stays(head, ray_build, real_app, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(ray_build[0], index_dir, symlinks=True)
    before = current_build_id(index_dir)
    service = real_app.extensions["qa"]
    # --full: the copied build is current, so an incremental build would embed nothing.
    build = ray_index(index_dir, service.seeds_dir, real_app.config["MODEL"], "--ray", head.address, "--ray-retries", "0", "--full")
    kill_an_embedding_worker(head, build)
    code, out, err = finish(build)
    assert code == 1
    assert "Error: Ray worker" in err and "failed while embedding" in err and "nothing was published" in err
    assert "Traceback" not in err
    assert current_build_id(index_dir) == before
    assert [p.name for p in (index_dir / "builds").iterdir() if p.name.startswith(".tmp")] == []
    assert_same_answers(answers(index_dir, service.seeds_dir, service.embedder), answers(ray_build[0], service.seeds_dir, service.embedder))
    # The cluster is still usable: the dead worker was this build's, not the head's.
    assert head.process.poll() is None


@pytest.mark.slow
def test_workers_that_lack_the_model_folder_get_it_shipped_as_a_ray_object(head, real_app, tmp_path):
    local = real_app.extensions["qa"].embedder
    texts = [p.text for p in real_app.extensions["qa"].index.passages[:12]]
    with RayEmbedder(local, head.address, workers=2, batch_size=4, cache_dir=str(tmp_path), always_ship=True) as remote:
        vectors = remote.embed_passages(texts)
        backend = remote.backend
    assert backend["model_shipped_to"] == 2 and backend["workers"] == 2 and backend["batches"] == 3
    np.testing.assert_allclose(vectors, local.embed_passages(texts), atol=1e-5)
    shipped = tmp_path / "qa-ray-models" / folder_digest(Path(local.location))
    assert folder_digest(shipped) == folder_digest(Path(local.location))


@pytest.mark.slow
def test_ray_local_starts_its_own_runtime_and_stops_it(tmp_path):
    seeds = copy_seeds(tmp_path / "seeds")
    env = qa_env(MODEL="hashing", SEEDS_DIR=str(seeds), INDEX_DIR=str(tmp_path / "index"))
    for variable in ("RAY_USAGE_STATS_ENABLED", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN"):
        env.pop(variable)  # qa/index/cluster.py sets them itself for a local runtime
    env["HOME"] = str(tmp_path / "home")  # Ray must not leave a token in the user's home
    env["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="qa-ray-", dir="/tmp")
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "index", "--quiet", "--ray", "local", "--ray-workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=600)
    finally:
        leftovers = [p for p in psutil.process_iter(["pid"]) if in_session(p.pid, process.pid)]
        for leftover in leftovers:
            leftover.kill()
        shutil.rmtree(env["RAY_TMPDIR"], ignore_errors=True)
    assert process.returncode == 0, err[-3000:]
    assert leftovers == [], "the local Ray runtime outlived qa index"
    assert not (tmp_path / "home" / ".ray" / "auth_token").exists()
    embedding = load_index(tmp_path / "index").manifest["embedding"]
    assert embedding["kind"] == "ray" and embedding["address"] == "local" and embedding["workers"] == 1


@pytest.mark.slow
def test_an_unreachable_cluster_is_a_clear_error(tmp_path):
    seeds = copy_seeds(tmp_path / "seeds")
    result = subprocess.run(
        [sys.executable, "-m", "qa", "index", "--quiet", "--ray", f"127.0.0.1:{free_port()}"],
        cwd=ROOT, env=qa_env(MODEL="hashing", SEEDS_DIR=str(seeds), INDEX_DIR=str(tmp_path / "index")),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "cannot connect to the Ray cluster at 127.0.0.1:" in result.stderr and "Traceback" not in result.stderr
    assert current_build_id(tmp_path / "index") is None
