"""Scoring a question set: span-based hits (the PIAF format), substring hits, the rates."""

from __future__ import annotations

import json

from qa.models import Abstention, Answer, Citation, Hit, Passage
from qa.search.evaluation import GoldSpan, Question, evaluate, read_questions, report_text, summarise


def hit(rank: int, source: str, start: int, end: int, text: str = "x") -> Hit:
    citation = Citation(source, "Titre", 1, start, end)
    return Hit(passage=Passage(rank, text, citation), score=1.0, dense=0.5, lexical=1.0, rank=rank)


def answer(*hits: Hit, answered: bool = True) -> Answer:
    return Answer(question="q", hits=list(hits), context_used=[], abstention=None if answered else Abstention("weak_support"))


def test_gold_span_needs_the_right_source_and_a_covering_citation():
    question = Question("1", "fr", "q", ("1789",), gold=(GoldSpan("a.txt", 100, 110),))
    ranked = answer(
        hit(1, "b.txt", 0, 500, "1789"),  # holds the string, wrong source: not a hit
        hit(2, "a.txt", 105, 300, "1789"),  # right source, starts inside the span: not a hit
        hit(3, "a.txt", 50, 110, "other"),  # covers the span exactly: the hit
    )
    [outcome] = evaluate([question], lambda q: ranked)
    assert outcome.rank == 3


def test_without_gold_the_answer_string_decides():
    question = Question("1", "fr", "q", ("1 600 km",))
    ranked = answer(hit(1, "a.txt", 0, 10, "rien"), hit(2, "a.txt", 10, 40, "portée de 1 600 KM environ"))
    [outcome] = evaluate([question], lambda q: ranked)
    assert outcome.rank == 2


def test_rates_and_hit_at_k(tmp_path):
    lines = [
        {"id": "a", "lang": "fr", "question": "q1", "answers": ["x"], "gold": [{"source": "s", "start": 0, "end": 1}]},
        {"id": "b", "lang": "fr", "question": "q2", "answers": [], "gold": [{"source": "s", "start": 5, "end": 6}]},
        {"id": "c", "lang": "en", "question": "q3", "answers": []},
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    questions = read_questions(path)
    assert questions[1].answerable and not questions[2].answerable  # gold alone makes it answerable
    results = {
        "q1": answer(hit(1, "s", 0, 4)),
        "q2": answer(*[hit(r, "s", 100, 200) for r in range(1, 5)], hit(5, "s", 0, 10)),
        "q3": answer(hit(1, "s", 0, 4), answered=False),
    }
    reports = summarise(evaluate(questions, lambda q: results[q.question]))
    fr, everything = reports["fr"], reports["all"]
    assert (fr.hit_at_1, fr.hit_at_3, fr.hit_at_5, fr.hit_at_10) == (0.5, 0.5, 1.0, 1.0)
    assert abs(fr.mrr_at_10 - (1 + 1 / 5) / 2) < 1e-9
    assert everything.answered == 2 / 3 and abs(everything.abstained - 1 / 3) < 1e-9
    assert everything.abstained_unanswerable == 1.0
    assert "hit@10" in report_text(reports)
