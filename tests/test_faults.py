"""Faults: for each, the service rebuilds and says why in its log, or refuses to start with
a clear message; it never serves a citation that does not slice the file on disk.

The faults: a missing index, a truncated or corrupt FAISS file (also one whose checksum
was forged to match), a passages file whose offsets no longer slice, an unreadable
manifest, a dangling ``current`` link, articles added, changed, removed, unreadable (not
UTF-8, or a folder named ``x.txt``), a manifest recorded for another model, and the model
folder missing. Most run in-process on the fast hashing embedder; the start-up paths run
the real ``qa serve`` and ``qa index`` processes, and the kill test kills a real build of
the real model with SIGKILL while it embeds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from qa import create_app
from qa.embedding.embedder import bundled_model_path
from qa.index.layout import IndexProblem
from qa.index.load import load_index
from qa.index.publish import current_build, current_build_id
from support.app import copy_seeds, make_config
from support.asserts import assert_error
from support.live_server import QA, ROOT, LiveServer, qa_env
from support.paths import unavailable_here

QUESTIONS = ["Quelle est la portée des missiles Tomahawk ?", "Atacms Ukraine", "doctrine nucléaire du Kremlin"]


def disk_text(seeds: Path, source: str) -> str:
    return (seeds / source).read_bytes().decode("utf-8")  # as qa.ingest.corpus reads it: nothing translated


def assert_served_citations_match_disk(client, seeds: Path) -> None:
    """Every citation served, and every source text served, is the file on disk now."""
    for question in QUESTIONS:
        response = client.post("/api/ask", json={"question": question, "k": 10})
        assert response.status_code == 200, response.get_json()
        for passage in response.get_json()["passages"]:
            citation = passage["citation"]
            assert disk_text(seeds, citation["source"])[citation["start"] : citation["end"]] == passage["text"]
    for item in client.get("/api/sources").get_json()["sources"]:
        assert client.get(f"/api/sources/{item['source']}").get_json()["text"] == disk_text(seeds, item["source"])


def build(tmp_path: Path, **overrides):
    """An app whose index is built; returns (app, seeds folder, index folder)."""
    app = create_app(make_config(tmp_path, **overrides))
    app.extensions["qa"].warm_up()
    return app, Path(app.config["SEEDS_DIR"]), Path(app.config["INDEX_DIR"])


def restart(tmp_path: Path, **overrides):
    """A new app (as after a restart) on the same folders."""
    config = {"TESTING": True, "SEEDS_DIR": str(tmp_path / "seeds"), "INDEX_DIR": str(tmp_path / "index"), "MODEL": "hashing"}
    return create_app({**config, **overrides})


def rebuilt_after(tmp_path: Path, caplog, reason: str, **overrides):
    """Restart; the index is rebuilt, the log says why; return the new app's client."""
    old_build = current_build_id(tmp_path / "index")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qa.index.build"):
        app = restart(tmp_path, **overrides)
        app.extensions["qa"].warm_up()
    assert "rebuilding the index: " in caplog.text and reason in caplog.text, caplog.text
    assert current_build_id(tmp_path / "index") != old_build
    return app.test_client()


def refused(tmp_path: Path, reason: str) -> None:
    """With QA_AUTO_BUILD off, the index is refused with the reason, and the API says 503."""
    app = restart(tmp_path, AUTO_BUILD=False)
    with pytest.raises(IndexProblem, match=re.escape(reason)):
        app.extensions["qa"].warm_up()
    response = app.test_client().post("/api/ask", json={"question": "Tomahawk"})
    assert reason in assert_error(response, 503, "index_unavailable")["error"]["message"]


def vectors_file(index_dir: Path) -> Path:
    return current_build(index_dir) / "vectors.faiss"


def forge_checksum(index_dir: Path, name: str) -> None:
    """Make the manifest agree with a damaged file, as a buggy writer might."""
    import hashlib

    build = current_build(index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][name] = hashlib.sha256((build / name).read_bytes()).hexdigest()
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


# --- the index -------------------------------------------------------------------------------


def test_missing_index_is_built_and_logged(tmp_path, caplog):
    copy_seeds(tmp_path / "seeds")
    refused(tmp_path, "no index")
    client = rebuilt_after(tmp_path, caplog, "no index has been built")
    assert_served_citations_match_disk(client, tmp_path / "seeds")


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda data: data[: len(data) // 2], "checksum mismatch): vectors.faiss"),
        (lambda data: b"", "checksum mismatch): vectors.faiss"),
        (lambda data: bytes(len(data)), "checksum mismatch): vectors.faiss"),
        (lambda data: data[:100] + b"\xff" * 64 + data[164:], "checksum mismatch): vectors.faiss"),
    ],
    ids=["truncated", "empty", "zeroed", "garbled"],
)
def test_corrupt_faiss_file_is_rebuilt_or_refused(tmp_path, caplog, damage, reason):
    _, seeds, index = build(tmp_path)
    path = vectors_file(index)
    path.write_bytes(damage(path.read_bytes()))
    refused(tmp_path, reason)
    client = rebuilt_after(tmp_path, caplog, reason)
    assert_served_citations_match_disk(client, seeds)


def test_corrupt_faiss_file_with_a_forged_checksum_is_still_caught(tmp_path, caplog):
    _, seeds, index = build(tmp_path)
    path = vectors_file(index)
    path.write_bytes(path.read_bytes()[:200])
    forge_checksum(index, "vectors.faiss")
    refused(tmp_path, "cannot read index build")
    client = rebuilt_after(tmp_path, caplog, "cannot read index build")
    assert_served_citations_match_disk(client, seeds)


def test_passage_offsets_that_no_longer_slice_are_never_served(tmp_path, caplog):
    _, seeds, index = build(tmp_path)
    passages = current_build(index) / "passages.jsonl"
    records = [json.loads(line) for line in passages.read_text(encoding="utf-8").splitlines()]
    records[3]["citation"]["start"] += 1  # off by one: the citation would be wrong
    passages.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    forge_checksum(index, "passages.jsonl")
    refused(tmp_path, "does not slice its source exactly")
    client = rebuilt_after(tmp_path, caplog, "does not slice its source exactly")
    assert_served_citations_match_disk(client, seeds)


def test_unreadable_manifest_and_dangling_link_are_rebuilt(tmp_path, caplog):
    _, seeds, index = build(tmp_path)
    (current_build(index) / "manifest.json").write_text("{not json", encoding="utf-8")
    refused(tmp_path, "unreadable manifest")
    client = rebuilt_after(tmp_path, caplog, "unreadable manifest")
    shutil.rmtree(current_build(index))  # "current" now points to nothing
    client = rebuilt_after(tmp_path, caplog, "no index has been built")
    assert_served_citations_match_disk(client, seeds)


# --- the articles and the model -----------------------------------------------------------


def test_article_added_changed_or_removed_is_rebuilt(tmp_path, caplog):
    _, seeds, _ = build(tmp_path)
    first, second = sorted(seeds.glob("*.txt"))
    shutil.copy(first, seeds / "002_copy.txt")
    client = rebuilt_after(tmp_path, caplog, "articles added: 002_copy.txt")
    assert_served_citations_match_disk(client, seeds)

    text = disk_text(seeds, first.name)
    first.write_bytes(("Nouveau titre\r\n" + text.replace("Tomahawk", "Tomahawks")).encode("utf-8"))
    refused(tmp_path, "articles changed")
    client = rebuilt_after(tmp_path, caplog, f"articles changed: {first.name}")
    assert_served_citations_match_disk(client, seeds)

    second.unlink()
    client = rebuilt_after(tmp_path, caplog, f"articles removed: {second.name}")
    assert_served_citations_match_disk(client, seeds)
    assert client.get(f"/api/sources/{second.name}").status_code == 404
    for question in QUESTIONS:
        cited = {p["citation"]["source"] for p in client.post("/api/ask", json={"question": question}).get_json()["passages"]}
        assert second.name not in cited


def test_unreadable_articles_are_skipped_logged_and_never_cited(tmp_path, caplog):
    _, seeds, index = build(tmp_path)
    first, second = sorted(seeds.glob("*.txt"))
    (seeds / "latin1.txt").write_bytes("Un article en Latin-1 : portée des missiles.".encode("latin-1"))
    (seeds / "folder.txt").mkdir()  # a folder with an article's name is not an article
    first.write_bytes(first.read_bytes()[:200] + b"\xff\xfe" + first.read_bytes()[200:])  # an indexed one goes bad
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        client = rebuilt_after(tmp_path, caplog, f"articles changed: {first.name}")
    assert "skipping article latin1.txt: UnicodeDecodeError" in caplog.text
    assert f"skipping article {first.name}: UnicodeDecodeError" in caplog.text
    manifest = json.loads((current_build(index) / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["skipped"]) == {"latin1.txt", first.name}
    listed = {s["source"] for s in client.get("/api/sources").get_json()["sources"]}
    assert listed == {second.name}
    for name in ("latin1.txt", first.name, "folder.txt"):
        assert client.get(f"/api/sources/{name}").status_code == 404
    assert_served_citations_match_disk(client, seeds)
    # Fixed again: the article comes back at the next start.
    shutil.copy(ROOT / "seeds" / first.name, first)
    client = rebuilt_after(tmp_path, caplog, f"articles changed: {first.name}")
    assert first.name in {s["source"] for s in client.get("/api/sources").get_json()["sources"]}


def test_manifest_for_another_model_is_rebuilt_or_refused(tmp_path, caplog):
    _, seeds, index = build(tmp_path)
    path = current_build(index) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["model"]["fingerprint"] = "another-model"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    refused(tmp_path, "model fingerprint changed")
    client = rebuilt_after(tmp_path, caplog, "model fingerprint changed: 'another-model' -> 'hashing-64'")
    assert_served_citations_match_disk(client, seeds)


def test_a_running_service_keeps_citations_consistent_across_an_edit_and_reindex(tmp_path):
    app, seeds, _ = build(tmp_path)
    client = app.test_client()
    first = sorted(seeds.glob("*.txt"))[0]
    first.write_bytes(("Titre changé\n\n" + disk_text(seeds, first.name)).encode("utf-8"))
    # Until the next build, the service serves its snapshot: citations slice the text it serves.
    body = client.post("/api/ask", json={"question": "Tomahawk", "k": 10}).get_json()
    served = {s["source"]: client.get(f"/api/sources/{s['source']}").get_json()["text"] for s in client.get("/api/sources").get_json()["sources"]}
    for passage in body["passages"]:
        c = passage["citation"]
        assert served[c["source"]][c["start"] : c["end"]] == passage["text"]
    # `qa index` in another process publishes a new build; the running service picks it up.
    result = subprocess.run(
        [*QA, "index", "--quiet"], cwd=ROOT, env=qa_env(MODEL="hashing", SEEDS_DIR=str(seeds), INDEX_DIR=app.config["INDEX_DIR"]),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert_served_citations_match_disk(client, seeds)


# --- real processes ---------------------------------------------------------------------------


def run_qa(*args: str, timeout: float = 180, **settings) -> subprocess.CompletedProcess:
    return subprocess.run([*QA, *args], cwd=ROOT, env=qa_env(**settings), capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["missing", "truncated_faiss", "article_changed", "article_not_utf8"])
def test_qa_serve_refuses_or_rebuilds_and_says_why(tmp_path, fault):
    seeds = copy_seeds(tmp_path / "seeds")
    settings = {"MODEL": "hashing", "SEEDS_DIR": str(seeds), "INDEX_DIR": str(tmp_path / "index")}
    if fault != "missing":
        assert run_qa("index", "--quiet", **settings).returncode == 0
    reason = {
        "missing": "no index has been built",
        "truncated_faiss": "index file damaged (checksum mismatch): vectors.faiss",
        "article_changed": "articles changed: 000_49f69a7d4a642e90.txt",
        "article_not_utf8": "articles added: bad.txt",
    }[fault]
    if fault == "truncated_faiss":
        path = vectors_file(tmp_path / "index")
        path.write_bytes(path.read_bytes()[:-50])
    elif fault == "article_changed":
        with open(seeds / "000_49f69a7d4a642e90.txt", "a", encoding="utf-8") as handle:
            handle.write("\nUn paragraphe ajouté après coup, assez long pour compter comme un passage entier ici.\n")
    elif fault == "article_not_utf8":
        (seeds / "bad.txt").write_bytes(b"Titre\n\xe9t\xe9 1914 \xff")

    # QA_AUTO_BUILD=false: refuses to start, one clear line, non-zero exit, nothing served.
    result = run_qa("serve", "--port", "1", AUTO_BUILD=False, **settings)
    assert result.returncode != 0
    assert f"the index is missing or stale and QA_AUTO_BUILD is off: {reason}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout

    # By default: rebuilds before serving, logs why, and serves citations that slice the files.
    with LiveServer(tmp_path / "serve.log", **settings) as server:
        for question in QUESTIONS:
            status, body = server.ask({"question": question, "k": 10})
            assert status == 200
            for passage in body["passages"]:
                c = passage["citation"]
                assert disk_text(seeds, c["source"])[c["start"] : c["end"]] == passage["text"]
        status, _, _ = server.request("GET", "/api/sources/bad.txt")
        assert status == 404
        log = server.log()
    assert f"index missing or stale ({reason}" in log and "rebuilding before serving" in log, log[-2000:]
    if fault == "article_not_utf8":
        assert "skipping article bad.txt: UnicodeDecodeError" in log


@pytest.mark.slow
def test_model_folder_missing_refuses_to_start_with_a_clear_message(tmp_path):
    seeds = copy_seeds(tmp_path / "seeds")
    model = tmp_path / "model"
    model.symlink_to(bundled_model_path(), target_is_directory=True)  # the real model, at a path we can remove
    settings = {"MODEL": str(model), "SEEDS_DIR": str(seeds), "INDEX_DIR": str(tmp_path / "index")}
    built = run_qa("index", "--quiet", **settings)
    assert built.returncode == 0, built.stderr[-2000:]
    build_before = current_build_id(tmp_path / "index")
    model.unlink()

    result = run_qa("serve", "--port", "1", **settings)
    assert result.returncode != 0
    assert f"model folder not found: {model}" in result.stderr, result.stderr[-2000:]
    assert "the index build failed" in result.stderr
    # The previous build is untouched and still loads.
    assert current_build_id(tmp_path / "index") == build_before
    load_index(tmp_path / "index")

    missing = run_qa("serve", "--port", "1", MODEL=str(tmp_path / "never-there"), SEEDS_DIR=str(seeds), INDEX_DIR=str(tmp_path / "index"))
    assert missing.returncode != 0 and "model folder not found" in missing.stderr


def big_corpus(target: Path, copies: int) -> Path:
    """Many distinct articles made from the seeds, so that embedding takes a while."""
    target.mkdir(parents=True)
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for number in range(copies):
            (target / f"{path.stem}_{number:03d}.txt").write_text(f"Variante {number}\n{text}\nFin {number}.\n", encoding="utf-8")
    return target


@pytest.mark.slow
def test_a_build_killed_while_embedding_leaves_the_previous_index_intact(tmp_path):
    index = tmp_path / "index"
    seeds = copy_seeds(tmp_path / "seeds")
    first = run_qa("index", "--quiet", MODEL="hashing", SEEDS_DIR=str(seeds), INDEX_DIR=str(index))
    assert first.returncode == 0, first.stderr
    previous = current_build_id(index)
    previous_files = sorted(p.relative_to(index) for p in index.rglob("*") if p.is_file())

    # A real build of the real model over a corpus big enough to be killed while it embeds.
    many = big_corpus(tmp_path / "many", copies=20)
    log_path = tmp_path / "build.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*QA, "index"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=qa_env(MODEL="bundled", SEEDS_DIR=str(many), INDEX_DIR=str(index)),
        )
    try:
        deadline = time.monotonic() + 180
        while "embedding " not in log_path.read_text(errors="replace"):
            assert process.poll() is None, log_path.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the build never started embedding"
            time.sleep(0.1)
        time.sleep(2.0)
        assert process.poll() is None, "the build finished before it could be killed: use a bigger corpus"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    log_text = log_path.read_text(errors="replace")
    assert "embedding " in log_text and "published index build" not in log_text

    # The previous build is still the current one, complete, checked and loadable.
    assert current_build_id(index) == previous
    assert sorted(p.relative_to(index) for p in index.rglob("*") if p.is_file()) == previous_files
    loaded = load_index(index)  # verifies every checksum and every citation slice
    assert loaded.build_id == previous
    # And it still serves: a real server with no rebuild allowed answers from it.
    with LiveServer(tmp_path / "serve.log", MODEL="hashing", SEEDS_DIR=str(seeds), INDEX_DIR=str(index), AUTO_BUILD=False) as server:
        status, body = server.ask({"question": "Tomahawk"})
        assert status == 200 and body["passages"]
        health = json.loads(server.request("GET", "/healthz")[2])
        assert health["index"]["build"] == previous
    # The next build over the killed one's leftovers succeeds (the lock died with the process).
    again = run_qa("index", "--quiet", MODEL="hashing", SEEDS_DIR=str(seeds), INDEX_DIR=str(index))
    assert again.returncode == 0, again.stderr
    assert not list((index / "builds").glob(".tmp-*"))


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs: room for one index build of the seeds (~110 KiB), not for a bigger one.

    A real full disk: the kernel answers ENOSPC, as it would on a full volume. Needs the
    right to mount (root in CI and in the development containers).
    """
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        unavailable_here(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.slow
def test_a_build_that_fills_the_disk_leaves_the_previous_index_serving(tmp_path, small_disk):
    seeds = copy_seeds(tmp_path / "seeds")
    index_dir = small_disk / "index"
    settings = {"MODEL": "hashing", "SEEDS_DIR": str(seeds), "INDEX_DIR": str(index_dir), "AUTO_BUILD": False}
    assert run_qa("index", "--quiet", **settings).returncode == 0
    previous = current_build_id(index_dir)
    with LiveServer(tmp_path / "server.log", **settings) as live:
        _, before = live.ask({"question": QUESTIONS[0]})
        # A new article of ~300 KB: its build cannot fit in what is left of the disk.
        paragraph = "Le Kremlin a répondu aux frappes de missiles sur la région frontalière. " * 20
        (seeds / "zz_long.txt").write_text("Un très long article\n" + "\n".join([paragraph] * 200), encoding="utf-8")
        result = run_qa("index", "--quiet", **settings)
        assert result.returncode != 0
        log_lines = [line for line in result.stderr.splitlines() if "index build" in line and "failed" in line]
        assert len(log_lines) == 1, result.stderr[-2000:]
        assert "the disk is full" in log_lines[0] and "No space left on device" in log_lines[0]
        assert f"build {previous} is still served" in log_lines[0]
        assert "Traceback" not in result.stderr
        print(log_lines[0])
        # Nothing of the failed build is left; the previous build is still the one served.
        assert sorted(p.name for p in (index_dir / "builds").iterdir()) == [previous]
        assert current_build_id(index_dir) == previous
        health = json.loads(live.request("GET", "/healthz")[2])
        assert health["index"]["build"] == previous and health["articles"] == len(list(seeds.glob("*.txt"))) - 1
        status, after = live.ask({"question": QUESTIONS[0]})
        assert status == 200 and after["passages"] == before["passages"]
    # Once there is room again (the article removed), the next build succeeds.
    (seeds / "zz_long.txt").unlink()
    (seeds / "000_49f69a7d4a642e90.txt").write_text(
        (seeds / "000_49f69a7d4a642e90.txt").read_text(encoding="utf-8") + "\nUne ligne ajoutée.\n", encoding="utf-8"
    )
    assert run_qa("index", "--quiet", **settings).returncode == 0
    assert current_build_id(index_dir) != previous


def worker_pids(master: int) -> set[int]:
    """The pids of a gunicorn master's workers (its child processes)."""
    listed = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return {int(pid) for pid in listed.stdout.split()}


@pytest.mark.slow
@pytest.mark.parametrize("auto_build", [True, False])
def test_a_worker_restarted_after_an_article_changed_keeps_serving_the_published_build(tmp_path, auto_build):
    """gunicorn restarts a dead worker; articles edited meanwhile must not stop the server.

    The restarted worker serves the build that is published (the master checked it at
    start), neither failing to boot (which makes gunicorn halt the whole server) nor
    rebuilding inside the worker. The edit is picked up once ``qa index`` publishes it.
    """
    seeds = copy_seeds(tmp_path / "seeds")
    settings = {"MODEL": "hashing", "SEEDS_DIR": str(seeds), "INDEX_DIR": str(tmp_path / "index"), "AUTO_BUILD": auto_build}
    assert run_qa("index", "--quiet", **settings).returncode == 0
    previous = current_build_id(tmp_path / "index")
    with LiveServer(tmp_path / "server.log", ["--workers", "2"], **settings) as live:
        _, before = live.ask({"question": QUESTIONS[0]})
        live.wait_until(lambda: len(worker_pids(live.process.pid)) == 2, "start two workers", 60)
        (seeds / "zz_new.txt").write_text("Un nouvel article\nLe Kremlin a répondu aux frappes sur la région.\n", encoding="utf-8")
        killed = sorted(worker_pids(live.process.pid))
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        live.wait_until(
            lambda: len(worker_pids(live.process.pid) - set(killed)) == 2, "restart both workers", 60
        )
        for _ in range(6):  # both new workers answer (requests go to either)
            status, after = live.ask({"question": QUESTIONS[0]})
            assert status == 200 and after["passages"] == before["passages"], live.log()[-3000:]
        health = json.loads(live.request("GET", "/healthz")[2])
        assert health["index"]["build"] == previous
        assert not list((tmp_path / "index" / "builds").glob(".tmp-*")), "a worker started a build"
        # Once published, the edit is served.
        assert run_qa("index", "--quiet", **settings).returncode == 0
        health = json.loads(live.request("GET", "/healthz")[2])
        assert health["index"]["build"] != previous and health["articles"] == len(list(seeds.glob("*.txt")))
        assert live.process.poll() is None
