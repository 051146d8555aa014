"""Regression floors on answer quality with the real default model (multilingual-e5-small).

* ``qa eval`` on ``tests/data/questions.jsonl`` over the two seed articles;
* the same seed questions with the seeds among PIAF's 191 unrelated articles: answers
  must still come first, and abstention must not collapse on a larger corpus;
* a fixed sample of PIAF dev questions (every 6th, ~280), scored by gold span;
* ``tests/data/questions-parallel.jsonl``: the English version of every French seed
  question that had none, and the other-language version of every unanswerable one,
  over the seeds alone and among PIAF. English over French articles is where the
  service is weakest (docs/quality.md, "English questions: the parallel set").

The floors sit a little under what the service reaches (docs/quality.md); a change that
drops a figure below its floor fails `make test`.
"""

from __future__ import annotations

import json

import pytest

from conftest import DATA, PIAF

pytestmark = pytest.mark.slow

SEED_FLOORS = {
    ("fr", "hit@1"): 0.93,
    ("en", "hit@1"): 0.88,
    ("fr", "mrr@10"): 0.95,
    ("en", "mrr@10"): 0.93,
    ("all", "kept_answered"): 0.95,
    ("all", "abstained_unanswerable"): 0.78,  # 12 of 14 measured
    ("all", "highlight_hit"): 0.88,
}
# The seeds among 191 unrelated articles. Abstention there is the hard case of
# docs/quality.md ("Abstention"): 10 of 14 measured; the floor allows one question less.
MIXED_FLOORS = {
    ("fr", "hit@1"): 0.90,
    ("all", "kept_answered"): 0.95,
    ("all", "abstained_unanswerable"): 0.64,
}
# The parallel set: 21 English answerable and 14 unanswerable (8 English, 6 French).
# Measured: seeds alone EN hit@1 0.762, answered 0.762, abstained 11 of 14; among PIAF
# EN hit@1 0.762, answered 0.714, abstained 8 of 14. Each floor allows one question less.
PARALLEL_FLOORS = {
    ("en", "hit@1"): 0.71,
    ("en", "kept_answered"): 0.71,
    ("all", "abstained_unanswerable"): 0.71,
}
PARALLEL_MIXED_FLOORS = {
    ("en", "hit@1"): 0.71,
    ("en", "kept_answered"): 0.66,
    ("all", "abstained_unanswerable"): 0.5,
}
PIAF_SAMPLE_EVERY = 6
PIAF_FLOORS = {"hit@1": 0.71, "mrr@10": 0.79, "answered": 0.96}  # the sample measured 0.739 / 0.814 / 0.986


def run_eval(app, *args: str) -> dict:
    result = app.test_cli_runner().invoke(args=["eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def seed_report(real_app):
    return run_eval(real_app, str(DATA / "questions.jsonl"))


@pytest.fixture(scope="module")
def mixed_report(piaf_mixed_app):
    return run_eval(piaf_mixed_app, str(DATA / "questions.jsonl"))


@pytest.fixture(scope="module")
def parallel_report(real_app):
    return run_eval(real_app, str(DATA / "questions-parallel.jsonl"))


@pytest.fixture(scope="module")
def parallel_mixed_report(piaf_mixed_app):
    return run_eval(piaf_mixed_app, str(DATA / "questions-parallel.jsonl"))


@pytest.fixture(scope="module")
def piaf_report(piaf_mixed_app, tmp_path_factory):
    lines = (PIAF / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()
    sample = tmp_path_factory.mktemp("piaf-sample") / "questions.jsonl"
    sample.write_text("\n".join(lines[::PIAF_SAMPLE_EVERY]) + "\n", encoding="utf-8")
    return run_eval(piaf_mixed_app, str(sample))


def test_question_set_is_large_enough(seed_report):
    assert seed_report["all"]["answerable"] + seed_report["all"]["unanswerable"] >= 80
    assert seed_report["fr"]["answerable"] >= 40 and seed_report["en"]["answerable"] >= 20
    assert seed_report["all"]["unanswerable"] >= 12


@pytest.mark.parametrize("lang, measure", sorted(SEED_FLOORS))
def test_seed_quality_stays_above_its_floor(seed_report, lang, measure):
    assert seed_report[lang][measure] >= SEED_FLOORS[(lang, measure)], seed_report[lang]


@pytest.mark.parametrize("lang, measure", sorted(MIXED_FLOORS))
def test_seed_quality_among_unrelated_articles(mixed_report, lang, measure):
    assert mixed_report[lang][measure] >= MIXED_FLOORS[(lang, measure)], mixed_report[lang]


def test_parallel_set_pairs_every_question_with_a_seed_question():
    """Each parallel question is the other-language twin of one seed question (its number)."""
    seeds = {row["id"]: row for row in map(json.loads, (DATA / "questions.jsonl").read_text(encoding="utf-8").splitlines())}
    parallel = [json.loads(line) for line in (DATA / "questions-parallel.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(parallel) == 35
    for row in parallel:
        twin = seeds[("fr" if row["id"].startswith("et") else "un") + row["id"][2:]]
        assert twin["lang"] != row["lang"] and bool(twin["answers"]) == bool(row["answers"])
        assert twin["answers"] == row["answers"]


@pytest.mark.parametrize("lang, measure", sorted(PARALLEL_FLOORS))
def test_parallel_set_stays_above_its_floor(parallel_report, lang, measure):
    assert parallel_report[lang][measure] >= PARALLEL_FLOORS[(lang, measure)], parallel_report[lang]


@pytest.mark.parametrize("lang, measure", sorted(PARALLEL_MIXED_FLOORS))
def test_parallel_set_among_unrelated_articles(parallel_mixed_report, lang, measure):
    assert parallel_mixed_report[lang][measure] >= PARALLEL_MIXED_FLOORS[(lang, measure)], parallel_mixed_report[lang]


@pytest.mark.parametrize("measure", sorted(PIAF_FLOORS))
def test_piaf_dev_sample_stays_above_its_floor(piaf_report, measure):
    assert piaf_report["all"]["answerable"] >= 250
    assert piaf_report["all"][measure] >= PIAF_FLOORS[measure], piaf_report["all"]
