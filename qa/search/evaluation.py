"""Scoring the service on a question set: hit@k, MRR@10, answered and abstained rates.

Each line of a question file is ``{"id", "lang", "question", "answers": [str, ...]}``,
optionally with ``"gold": [{"source", "start", "end"}, ...]`` and ``"history"``.

* With ``gold``, a returned passage is a hit when its citation is in that source and
  covers the span: ``start <= gold.start`` and ``gold.end <= end`` (the PIAF format,
  ``../shared/eval/piaf/README.md``). A substring check would credit any passage that
  happens to contain a common answer ("1789", "Paris").
* Otherwise a passage is a hit when its text contains one of the answer strings,
  compared after folding apostrophes, spaces and case.

An empty ``answers`` list (and no ``gold``) marks a question that the articles do not
answer. Pure: ``ask`` is passed in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.models import Answer, Hit
from qa.text.normalise import fold_apostrophes

DEPTH = 10


@dataclass(frozen=True)
class GoldSpan:
    """Where the answer stands: a character span of one source."""

    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    question: str
    answers: tuple[str, ...]
    history: tuple[str, ...] = ()
    gold: tuple[GoldSpan, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.answers or self.gold)


@dataclass
class Outcome:
    question: Question
    rank: int | None  # 1-based rank of the first hit within DEPTH, or None
    answered: bool
    top: str = ""
    highlight_hit: bool = False  # the first hit's highlighted sentence holds an answer


@dataclass
class LanguageReport:
    lang: str
    answerable: int = 0
    unanswerable: int = 0
    hit_at_1: float = 0.0
    hit_at_3: float = 0.0
    hit_at_5: float = 0.0
    hit_at_10: float = 0.0
    mrr_at_10: float = 0.0
    kept_answered: float = 0.0
    abstained_unanswerable: float = 0.0
    answered: float = 0.0  # share of all questions answered
    abstained: float = 0.0  # share of all questions abstained on
    highlight_hit: float = 0.0
    misses: list[str] = field(default_factory=list)


class QuestionFileError(ValueError):
    """A question file line is not a valid question."""


def fold(text: str) -> str:
    """Fold apostrophes, non-breaking spaces and case for answer matching."""
    return " ".join(fold_apostrophes(text).casefold().split())


def read_questions(path: Path) -> list[Question]:
    questions = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                answers = record["answers"]
                if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
                    raise TypeError("answers must be a list of strings")
                gold = tuple(
                    GoldSpan(str(span["source"]), int(span["start"]), int(span["end"]))
                    for span in record.get("gold", [])
                )
                questions.append(
                    Question(
                        id=str(record["id"]),
                        lang=str(record["lang"]),
                        question=str(record["question"]),
                        answers=tuple(answers),
                        history=tuple(record.get("history", [])),
                        gold=gold,
                    )
                )
            except (ValueError, KeyError, TypeError) as error:
                raise QuestionFileError(f"{path}:{number}: {error}") from error
    return questions


def covers_gold(hit: Hit, gold: Iterable[GoldSpan]) -> bool:
    """Whether the hit's citation is in a gold source and covers its span."""
    citation = hit.passage.citation
    return any(
        citation.source == span.source and citation.start <= span.start and span.end <= citation.end
        for span in gold
    )


def first_hit(answer: Answer, question: Question) -> Hit | None:
    """The best-ranked passage within DEPTH that holds the answer (by span, else by string)."""
    if question.gold:
        return next((hit for hit in answer.hits[:DEPTH] if covers_gold(hit, question.gold)), None)
    targets = [fold(a) for a in question.answers]
    for hit in answer.hits[:DEPTH]:
        text = fold(hit.passage.text)
        if any(target in text for target in targets):
            return hit
    return None


def highlight_holds_answer(hit: Hit, answers: Iterable[str]) -> bool:
    """Whether the hit's highlighted sentence contains an answer string."""
    if hit.highlight is None:
        return False
    offset = hit.passage.citation.start
    sentence = fold(hit.passage.text[hit.highlight.start - offset : hit.highlight.end - offset])
    return any(fold(a) in sentence for a in answers)


def evaluate(questions: list[Question], ask: Callable[[Question], Answer]) -> list[Outcome]:
    outcomes = []
    for question in questions:
        answer = ask(question)
        hit = first_hit(answer, question) if question.answerable else None
        top = answer.hits[0].passage.text[:80] if answer.hits else ""
        highlighted = hit is not None and highlight_holds_answer(hit, question.answers)
        outcomes.append(Outcome(question, None if hit is None else hit.rank, answer.answered, top, highlighted))
    return outcomes


def hit_at(outcomes: list[Outcome], k: int) -> float:
    """Share of the outcomes whose first hit is within the top k."""
    return sum(o.rank is not None and o.rank <= k for o in outcomes) / len(outcomes)


def summarise(outcomes: list[Outcome]) -> dict[str, LanguageReport]:
    """Reports per language, plus ``all``."""
    groups: dict[str, list[Outcome]] = {"all": list(outcomes)}
    for outcome in outcomes:
        groups.setdefault(outcome.question.lang, []).append(outcome)
    reports = {}
    for lang, group in groups.items():
        answerable = [o for o in group if o.question.answerable]
        unanswerable = [o for o in group if not o.question.answerable]
        report = LanguageReport(lang, len(answerable), len(unanswerable))
        if group:
            report.answered = sum(o.answered for o in group) / len(group)
            report.abstained = 1.0 - report.answered
        if answerable:
            report.hit_at_1 = hit_at(answerable, 1)
            report.hit_at_3 = hit_at(answerable, 3)
            report.hit_at_5 = hit_at(answerable, 5)
            report.hit_at_10 = hit_at(answerable, 10)
            report.mrr_at_10 = sum(1.0 / o.rank for o in answerable if o.rank) / len(answerable)
            report.kept_answered = sum(o.answered for o in answerable) / len(answerable)
            found = [o for o in answerable if o.rank is not None]
            report.highlight_hit = sum(o.highlight_hit for o in found) / len(found) if found else 0.0
            report.misses = [o.question.id for o in answerable if o.rank != 1]
        if unanswerable:
            report.abstained_unanswerable = sum(not o.answered for o in unanswerable) / len(unanswerable)
        reports[lang] = report
    return reports


def report_json(reports: dict[str, LanguageReport]) -> dict[str, Any]:
    return {
        lang: {
            "answerable": r.answerable,
            "unanswerable": r.unanswerable,
            "hit@1": round(r.hit_at_1, 4),
            "hit@3": round(r.hit_at_3, 4),
            "hit@5": round(r.hit_at_5, 4),
            "hit@10": round(r.hit_at_10, 4),
            "mrr@10": round(r.mrr_at_10, 4),
            "answered": round(r.answered, 4),
            "abstained": round(r.abstained, 4),
            "kept_answered": round(r.kept_answered, 4),
            "abstained_unanswerable": round(r.abstained_unanswerable, 4),
            "highlight_hit": round(r.highlight_hit, 4),
            "misses": r.misses,
        }
        for lang, r in reports.items()
    }


def report_text(reports: dict[str, LanguageReport]) -> str:
    header = (
        f"{'lang':<5} {'n':>5} {'hit@1':>6} {'hit@3':>6} {'hit@5':>6} {'hit@10':>6} {'MRR@10':>7} "
        f"{'answered':>9} {'highlight':>9} {'unans.':>6} {'abstained':>9}"
    )
    lines = [header]
    order = sorted((l for l in reports if l != "all")) + ["all"]
    for lang in order:
        r = reports[lang]
        lines.append(
            f"{lang:<5} {r.answerable:>5} {r.hit_at_1:>6.3f} {r.hit_at_3:>6.3f} {r.hit_at_5:>6.3f} "
            f"{r.hit_at_10:>6.3f} {r.mrr_at_10:>7.3f} "
            f"{r.kept_answered:>9.3f} {r.highlight_hit:>9.3f} {r.unanswerable:>6} {r.abstained_unanswerable:>9.3f}"
        )
    everything = reports["all"]
    lines.append(
        f"answered {everything.answered:.3f} of all questions, abstained on {everything.abstained:.3f}; "
        "'answered' per row is among answerable questions, 'abstained' among unanswerable ones"
    )
    return "\n".join(lines)
