"""The index: round trip, stale detection, atomic publication, damage detection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.embedding.embedder import HashingEmbedder, model_record
from qa.index.build import BuildContext, build_index, ensure_index
from qa.index.layout import IndexProblem
from qa.index.load import load_index
from qa.index.publish import current_build
from qa.index.status import index_status
from qa.ingest.corpus import read_corpus
from qa.ingest.passages import embedding_text, split_article
from support.app import copy_seeds
from support.cli import cli_runner


@pytest.fixture
def seeds(tmp_path):
    return copy_seeds(tmp_path / "seeds")


def test_round_trip_keeps_passages_vectors_and_manifest(seeds, tmp_path):
    embedder = HashingEmbedder()
    build = build_index(BuildContext(seeds, tmp_path / "index", embedder))
    index = load_index(tmp_path / "index")
    expected = [p for a in read_corpus(seeds).articles for p in split_article(a, embedder.count_tokens, embedder.window, 0)]
    assert [p.text for p in index.passages] == [p.text for p in expected]
    assert len(index.store) == len(index.passages) == index.manifest["passages"]
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["model"]["name"] == "hashing" and manifest["model"]["dimension"] == 64
    assert set(manifest["sources"]) == {p.name for p in seeds.glob("*.txt")}
    for key in ("package_version", "built_at", "files", "versions"):
        assert key in manifest
    vector = embedder.embed_query(embedding_text(index.passages[3]))
    scores, ids = index.store.search(vector, 1)
    assert ids[0] == 3 and scores[0] == pytest.approx(1.0, abs=1e-4)


def test_each_component_writes_its_own_manifest_section(seeds, tmp_path):
    embedder = HashingEmbedder()
    build_index(BuildContext(seeds, tmp_path / "index", embedder))
    index = load_index(tmp_path / "index")
    manifest = index.manifest
    assert manifest["model"] == {
        "name": "hashing", "fingerprint": embedder.fingerprint, "passage_prefix": "", "query_prefix": "",
        "dimension": 64, "window": embedder.window,
    }  # fmt: skip
    assert manifest["store"] == index.store.describe()
    assert manifest["store"]["kind"] == "flat" and manifest["store"]["count"] == len(index.passages)
    assert manifest["lexical"] == index.lexical.describe()
    assert {"k1", "b", "analyzer", "terms"} <= set(manifest["lexical"])
    assert manifest["alignment"]["settings"] == index.alignment.settings.to_dict()
    assert manifest["alignment"]["version"] >= 1 and manifest["alignment"]["pairs"] == len(index.alignment.pairs())
    assert manifest["stories"]["count"] == len(index.stories.stories)


def test_an_index_of_an_older_format_is_stale_not_misread(seeds, tmp_path):
    embedder = HashingEmbedder()
    build = build_index(BuildContext(seeds, tmp_path / "index", embedder))
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["format_version"] -= 1
    manifest["reuse_key"]["format_version"] -= 1
    (build / "manifest.json").write_text(json.dumps(manifest))
    reasons = index_status(tmp_path / "index", seeds, model_record(embedder), verify_files=False)
    assert any(f"index format {manifest['format_version']} is not" in reason for reason in reasons)
    rebuilt = ensure_index(BuildContext(seeds, tmp_path / "index", embedder))
    assert rebuilt.build_id != build.name and rebuilt.manifest["incremental"]["articles_reused"] == 0


def test_changed_added_or_removed_article_makes_the_index_stale(seeds, tmp_path):
    embedder = HashingEmbedder()
    build_index(BuildContext(seeds, tmp_path / "index", embedder))
    model = model_record(embedder)
    assert index_status(tmp_path / "index", seeds, model) == []
    (seeds / "new.txt").write_text("Titre\nUn nouvel article assez long pour faire un passage entier ici.\n")
    assert any("added" in r for r in index_status(tmp_path / "index", seeds, model))
    (seeds / "new.txt").unlink()
    first = sorted(seeds.glob("*.txt"))[0]
    first.write_text(first.read_text() + "\nUne phrase ajoutée à la fin de l'article pour le changer.\n")
    assert any("changed" in r for r in index_status(tmp_path / "index", seeds, model))
    first.unlink()
    assert any("removed" in r for r in index_status(tmp_path / "index", seeds, model))


def test_another_model_makes_the_index_stale(seeds, tmp_path):
    build_index(BuildContext(seeds, tmp_path / "index", HashingEmbedder()))
    other = {"name": "some/other-model", "fingerprint": "x", "passage_prefix": ""}
    assert any("model" in r for r in index_status(tmp_path / "index", seeds, other))


def test_ensure_index_rebuilds_a_stale_index_and_says_why(seeds, tmp_path, caplog):
    embedder = HashingEmbedder()
    first = ensure_index(BuildContext(seeds, tmp_path / "index", embedder))
    (seeds / "extra.txt").write_text("Un autre titre\nUn paragraphe nouveau, assez long pour être un passage à lui seul.\n")
    with caplog.at_level("WARNING"):
        second = ensure_index(BuildContext(seeds, tmp_path / "index", embedder))
    assert second.build_id != first.build_id
    assert "extra.txt" in second.articles
    assert "rebuilding the index" in caplog.text and "extra.txt" in caplog.text


def test_without_auto_build_a_stale_index_is_refused(seeds, tmp_path):
    with pytest.raises(IndexProblem, match="no index"):
        ensure_index(BuildContext(seeds, tmp_path / "index", HashingEmbedder()), rebuild=False)


class ExplodingEmbedder(HashingEmbedder):
    def embed_passages(self, texts, progress=False):
        raise RuntimeError("power cut in the middle of the build")


def test_a_failed_build_leaves_the_previous_index_in_place(seeds, tmp_path):
    good = build_index(BuildContext(seeds, tmp_path / "index", HashingEmbedder()))
    (seeds / "extra.txt").write_text("Titre\nUn paragraphe nouveau, assez long pour être un passage à lui seul.\n")
    with pytest.raises(RuntimeError, match="power cut"):
        build_index(BuildContext(seeds, tmp_path / "index", ExplodingEmbedder()))
    assert current_build(tmp_path / "index") == good
    assert load_index(tmp_path / "index").build_id == good.name
    assert not list((tmp_path / "index" / "builds").glob(".tmp-*"))


def test_a_damaged_vector_file_is_detected_and_rebuilt(seeds, tmp_path):
    embedder = HashingEmbedder()
    build = build_index(BuildContext(seeds, tmp_path / "index", embedder))
    vectors = build / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[: vectors.stat().st_size // 2])
    with pytest.raises(IndexProblem, match="vectors.faiss"):
        load_index(tmp_path / "index")
    rebuilt = ensure_index(BuildContext(seeds, tmp_path / "index", embedder))
    assert rebuilt.build_id != build.name


def test_a_build_verified_by_the_parent_is_not_hashed_again_but_any_other_is(seeds, tmp_path, monkeypatch):
    import qa.storage.hashing

    embedder = HashingEmbedder()
    build = build_index(BuildContext(seeds, tmp_path / "index", embedder))
    hashed: list[str] = []
    real_sha256 = qa.storage.hashing.sha256_file
    monkeypatch.setattr(qa.storage.hashing, "sha256_file", lambda path: hashed.append(path.name) or real_sha256(path))

    ensure_index(BuildContext(seeds, tmp_path / "index", embedder), verified_build=build.name)
    assert hashed == []
    ensure_index(BuildContext(seeds, tmp_path / "index", embedder), verified_build="20990101T000000Z-1")  # another build
    assert "vectors.faiss" in hashed
    hashed.clear()
    ensure_index(BuildContext(seeds, tmp_path / "index", embedder))
    assert "vectors.faiss" in hashed


def test_qa_serve_hands_its_verified_build_to_the_workers(tmp_path, monkeypatch):
    """`qa serve` checks the files once, then workers (new apps) get VERIFIED_BUILD in their config."""
    import qa.serve.gunicorn
    from qa import create_app
    from support.app import make_config

    monkeypatch.setenv("QA_VERIFIED_BUILD", "")  # restored (unset) after the test
    app = create_app(make_config(tmp_path))
    build = build_index(BuildContext(Path(app.config["SEEDS_DIR"]), Path(app.config["INDEX_DIR"]), app.extensions["qa"].embedder))
    started = {}
    monkeypatch.setattr(qa.serve.gunicorn, "run_gunicorn", lambda *args, **kwargs: started.update(kwargs))
    result = cli_runner(app).invoke(args=["serve"])
    assert result.exit_code == 0, result.output
    assert started["verified_build"] == build.name
    # What each gunicorn worker's load() does: its app on the environment and the worker config.
    worker_app = create_app({**make_config(tmp_path), **qa.serve.gunicorn.worker_config(verified_build=started["verified_build"])})
    assert worker_app.config["VERIFIED_BUILD"] == build.name


def test_old_builds_are_pruned(seeds, tmp_path):
    for _ in range(4):
        build_index(BuildContext(seeds, tmp_path / "index", HashingEmbedder()))
    builds = [p for p in (tmp_path / "index" / "builds").iterdir() if not p.name.startswith(".")]
    assert len(builds) == 2
    assert current_build(tmp_path / "index") in builds


def test_sentence_table_covers_each_passage(seeds, tmp_path):
    build_index(BuildContext(seeds, tmp_path / "index", HashingEmbedder()))
    index = load_index(tmp_path / "index")
    for passage in index.passages:
        spans, vectors = index.sentences_of(passage.id)
        assert len(spans) >= 1 and vectors is not None and len(vectors) == len(spans)
        for _, start, end in spans:
            assert passage.citation.start <= start < end <= passage.citation.end


def test_best_sentence_similarities_are_each_passage_closest_sentence(seeds, tmp_path):
    build_index(BuildContext(seeds, tmp_path / "index", HashingEmbedder()))
    index = load_index(tmp_path / "index")
    vector = HashingEmbedder().embed_query("missiles Tomahawk portée")
    ids = np.array([len(index.passages) - 1, 0, 2])  # any order, as the candidates come
    best = index.best_sentence_similarities(vector, ids)
    for passage_id, found in zip(ids, best):
        _, vectors = index.sentences_of(int(passage_id))
        assert found == pytest.approx(float((np.asarray(vectors, dtype=np.float32) @ vector).max()), abs=1e-5)
    assert index.best_sentence_similarities(vector, np.array([], dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize("threshold", [10**9, 0])  # flat, then HNSW for any size
def test_store_neighbours_find_each_vector_itself_first(threshold):
    from qa.index.store import VectorStore

    vectors = np.random.default_rng(1).standard_normal((300, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = VectorStore.build(vectors, hnsw_threshold=threshold)
    assert store.info.kind == ("flat" if threshold else "hnsw")
    found = store.neighbours(vectors, 5, block=64)  # several blocks
    assert found.shape == (300, 5)
    assert (found[:, 0] == np.arange(300)).mean() >= 0.99
    exact = np.argsort(-(vectors @ vectors.T), axis=1)[:, :5]
    recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(found, exact)])
    assert recall >= (1.0 if threshold else 0.95)
    assert store.neighbours(vectors[:3], 1000).shape == (3, 300)  # k is capped at the store's size


def test_search_imports_only_the_loading_side_of_the_index():
    import subprocess
    import sys

    code = (
        "import sys, qa.search.answer; "
        "print(sorted(m for m in sys.modules if m.startswith(('qa.index', 'qa.ingest'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out)
    assert "qa.index.load" in loaded
    for builder in ("qa.index.build", "qa.index.embed", "qa.index.status", "qa.ingest.corpus", "qa.ingest.formats"):
        assert builder not in loaded, loaded


@pytest.mark.slow
def test_qa_index_watch_rebuilds_when_the_seeds_change(tmp_path):
    """`qa index --watch`: one build at start, then a debounced incremental build per change."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from support.paths import ROOT

    seeds = copy_seeds(tmp_path / "seeds")
    index = tmp_path / "index"
    env = {**os.environ, "QA_MODEL": "hashing", "QA_SEEDS_DIR": str(seeds), "QA_INDEX_DIR": str(index), "QA_RATELIMIT": ""}
    log_path = tmp_path / "watch.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "qa", "index", "--watch", "--debounce", "0.5", "--quiet"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        def wait_for(predicate, what: str) -> None:
            deadline = time.monotonic() + 120
            while not predicate():
                assert process.poll() is None, log_path.read_text()[-2000:]
                assert time.monotonic() < deadline, f"{what}: " + log_path.read_text()[-2000:]
                time.sleep(0.2)

        wait_for(lambda: "watching" in log_path.read_text(), "the first build")
        first = load_index(index).build_id
        (seeds / "new.txt").write_text("Un titre neuf\nUn paragraphe nouveau, assez long pour être un passage à lui seul.\n")
        wait_for(lambda: "new.txt" in load_index(index).articles, "the build after adding an article")
        second = load_index(index)
        assert second.build_id != first and second.manifest["incremental"]["articles_reused"] == 2
        (seeds / "new.txt").unlink()
        wait_for(lambda: "new.txt" not in load_index(index).articles, "the build after removing it")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
