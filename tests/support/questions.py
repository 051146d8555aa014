"""Questions for load: the evaluation set, and as many distinct variants of it as asked."""

from __future__ import annotations

import json

from support.paths import DATA


def seed_questions() -> list[str]:
    """The evaluation questions (distinct, French and English)."""
    path = DATA / "questions.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def distinct_questions(count: int) -> list[str]:
    """``count`` distinct questions: the evaluation set, then deterministic variants of it.

    Distinct strings defeat the query-embedding cache, so each one costs a model encode.
    """
    base = seed_questions()
    prefixes = ["", "Dites-moi : ", "Question : ", "Please tell me: ", "Selon les articles, ", "D'après la presse, "]
    questions: list[str] = []
    for round_number in range(10_000):
        for question in base:
            prefix = prefixes[round_number % len(prefixes)]
            suffix = "" if round_number < len(prefixes) else f" ({round_number})"
            questions.append(f"{prefix}{question}{suffix}")
            if len(questions) == count:
                return questions
    return questions
