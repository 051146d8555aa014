"""The CLI through Flask's test runner: index, ask (text and JSON), eval."""

from __future__ import annotations

import json

from support.cli import cli_runner
from support.paths import DATA


def test_index_then_ask_text(runner):
    result = runner.invoke(args=["index", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "indexed" in result.output and "passages from 2 articles" in result.output
    result = runner.invoke(args=["ask", "Quelle est la portée des missiles Tomahawk ?", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "1. [" in result.output and " ¶" in result.output and "2. [" in result.output


def test_index_if_stale_skips_an_up_to_date_index(runner):
    runner.invoke(args=["index", "--quiet"])
    result = runner.invoke(args=["index", "--if-stale"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_ask_json_is_the_api_body(runner, client):
    question = "Quelle est la portée des missiles Tomahawk ?"
    result = runner.invoke(args=["ask", question, "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.output)
    from_api = client.post("/api/ask", json={"question": question, "k": 3}).get_json()
    assert from_cli == from_api


def test_ask_rejects_bad_k(runner):
    result = runner.invoke(args=["ask", "Tomahawk", "-k", "99"])
    assert result.exit_code == 2 and "between 1 and 20" in result.output


def test_eval_prints_metrics_per_language(runner):
    result = runner.invoke(args=["eval", str(DATA / "questions.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"fr", "en", "all"} <= set(report)
    for key in ("hit@1", "hit@3", "mrr@10", "abstained_unanswerable"):
        assert 0.0 <= report["all"][key] <= 1.0
    text = runner.invoke(args=["eval", str(DATA / "questions.jsonl")])
    assert "hit@1" in text.output and "MRR@10" in text.output


def test_eval_reports_a_broken_question_file(runner, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": 1}\n')
    result = runner.invoke(args=["eval", str(broken)])
    assert result.exit_code == 1 and "broken.jsonl:1" in result.output


def test_eval_and_ask_on_a_stale_index_with_auto_build_off_say_why(tmp_path):
    from qa import create_app
    from support.app import make_config

    config = make_config(tmp_path, AUTO_BUILD=False)
    assert cli_runner(create_app(config)).invoke(args=["index", "--quiet"]).exit_code == 0
    (tmp_path / "seeds" / "new.txt").write_text("Nouveau\nUn texte ajouté après la construction.\n", encoding="utf-8")
    for args in (["eval", str(DATA / "questions.jsonl")], ["ask", "Atacms"]):
        result = cli_runner(create_app(config)).invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert "articles added: new.txt" in result.output and "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)  # handled, not an uncaught error
