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

from qa.search.evaluation import read_questions
from support.cli import cli_runner
from support.paths import DATA, PIAF, require_shared

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
    result = cli_runner(app).invoke(args=["eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# Each question file over each corpus (the app fixture that serves it), with its floors.
FLOORS = {
    ("real_app", "questions.jsonl"): SEED_FLOORS,
    ("piaf_mixed_app", "questions.jsonl"): MIXED_FLOORS,
    ("real_app", "questions-parallel.jsonl"): PARALLEL_FLOORS,
    ("piaf_mixed_app", "questions-parallel.jsonl"): PARALLEL_MIXED_FLOORS,
}
FLOOR_CASES = [
    (app, questions, lang, measure) for (app, questions), floors in FLOORS.items() for lang, measure in sorted(floors)
]


@pytest.fixture(scope="module")
def report_of(request):
    """``report_of(app fixture, question file)``: its ``qa eval --json`` report, computed once."""
    reports: dict[tuple[str, str], dict] = {}

    def report(app: str, questions: str) -> dict:
        if (app, questions) not in reports:
            reports[(app, questions)] = run_eval(request.getfixturevalue(app), str(DATA / questions))
        return reports[(app, questions)]

    return report


@pytest.fixture(scope="module")
def piaf_report(piaf_mixed_app, tmp_path_factory):
    lines = require_shared(PIAF / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()
    sample = tmp_path_factory.mktemp("piaf-sample") / "questions.jsonl"
    sample.write_text("\n".join(lines[::PIAF_SAMPLE_EVERY]) + "\n", encoding="utf-8")
    return run_eval(piaf_mixed_app, str(sample))


def test_question_set_is_large_enough(report_of):
    seed_report = report_of("real_app", "questions.jsonl")
    assert seed_report["all"]["answerable"] + seed_report["all"]["unanswerable"] >= 80
    assert seed_report["fr"]["answerable"] >= 40 and seed_report["en"]["answerable"] >= 20
    assert seed_report["all"]["unanswerable"] >= 12


@pytest.mark.parametrize("app, questions, lang, measure", FLOOR_CASES)
def test_quality_stays_above_its_floor(report_of, app, questions, lang, measure):
    """The seed and parallel sets, over the seeds alone (real_app) and among PIAF (piaf_mixed_app)."""
    report = report_of(app, questions)
    assert report[lang][measure] >= FLOORS[(app, questions)][(lang, measure)], report[lang]


def test_parallel_set_pairs_every_question_with_a_seed_question():
    """Each parallel question is the other-language twin of one seed question (its number)."""
    seeds = {question.id: question for question in read_questions(DATA / "questions.jsonl")}
    parallel = read_questions(DATA / "questions-parallel.jsonl")
    assert len(parallel) == 35
    for question in parallel:
        twin = seeds[("fr" if question.id.startswith("et") else "un") + question.id[2:]]
        assert twin.lang != question.lang and twin.answerable == question.answerable
        assert twin.answers == question.answers


@pytest.mark.parametrize("measure", sorted(PIAF_FLOORS))
def test_piaf_dev_sample_stays_above_its_floor(piaf_report, measure):
    assert piaf_report["all"]["answerable"] >= 250
    assert piaf_report["all"][measure] >= PIAF_FLOORS[measure], piaf_report["all"]
