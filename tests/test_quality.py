"""Regression floors on answer quality: `qa eval` on tests/data/questions.jsonl, real model.

The floors sit a little under what the service reaches (docs/quality.md); a change that
drops a figure below its floor fails `make test`.
"""

from __future__ import annotations

import json

import pytest

from conftest import DATA

pytestmark = pytest.mark.slow

FLOORS = {
    ("fr", "hit@1"): 0.87,
    ("en", "hit@1"): 0.89,
    ("fr", "mrr@10"): 0.92,
    ("en", "mrr@10"): 0.92,
    ("all", "kept_answered"): 0.95,
    ("all", "abstained_unanswerable"): 0.66,
    ("all", "highlight_hit"): 0.83,
}


@pytest.fixture(scope="module")
def report(real_app):
    result = real_app.test_cli_runner().invoke(args=["eval", str(DATA / "questions.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_question_set_is_large_enough(report):
    assert report["all"]["answerable"] + report["all"]["unanswerable"] >= 40
    assert report["fr"]["answerable"] >= 20 and report["en"]["answerable"] >= 15
    assert report["all"]["unanswerable"] >= 6


@pytest.mark.parametrize("lang, measure", sorted(FLOORS))
def test_quality_stays_above_its_floor(report, lang, measure):
    assert report[lang][measure] >= FLOORS[(lang, measure)], report[lang]
