"""Corroboration against a gold set of real multi-outlet news (``tests/data/news/``).

The gold set names its story groups (each told by several outlets), its distractors, and
for each story the facts two or more outlets state (an exact quote in each) and the
differences between outlets (a kind and an exact quote on each side). This module reads
it and scores what the corroboration found against it:

* stories: pairwise precision and recall over the gold set's articles (a distractor put
  in a story is a false pair);
* facts: a fact is linked when the passages holding two of its quotes are aligned; the
  share of quote pairs aligned is given too;
* differences: found when the aligned pair of passages holding both quotes carries a
  difference whose spans overlap both quotes, with the right kind (or any kind);
* ``also_in`` precision: the share of links from a gold article's passage that go to an
  article of the same gold story.

It reads no index and imports no model: callers hand it the passages, the stories and the
alignment (``bench/calibrate_corroboration.py``, ``tests/test_news_set.py``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from qa.corroboration.record import Alignment, FoundDifference
from qa.models import Passage


@dataclass(frozen=True)
class Quote:
    """An exact span of one gold article."""

    article: str
    text: str


@dataclass(frozen=True)
class GoldFact:
    id: str
    fact: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class GoldDifference:
    kind: str
    note: str
    a: Quote
    b: Quote


@dataclass(frozen=True)
class GoldStory:
    id: str
    event: str
    articles: tuple[str, ...]
    facts: tuple[GoldFact, ...]
    differences: tuple[GoldDifference, ...]


@dataclass(frozen=True)
class NewsGold:
    """The gold set: stories and distractors, by article id; ``source`` maps an id to its source name."""

    stories: tuple[GoldStory, ...]
    distractors: tuple[str, ...]
    near_topic: Mapping[str, str | None] = field(default_factory=dict)
    feed: str = "articles.jsonl"
    # Distractors that report one occurrence between them (a French and an English report
    # of the same vote): article id -> the occurrence's id. They are no gold story (they
    # have no facts recorded), but two of them together are a true pair.
    distractor_events: Mapping[str, str] = field(default_factory=dict)

    def source(self, article: str) -> str:
        return f"{self.feed}#{article}"

    @property
    def articles(self) -> list[str]:
        return [a for story in self.stories for a in story.articles] + list(self.distractors)

    def story_of(self) -> dict[str, str]:
        """Source name -> gold story id, for the articles of a gold story."""
        return {self.source(a): story.id for story in self.stories for a in story.articles}

    def event_of(self) -> dict[str, str]:
        """Source name -> the occurrence it reports: its gold story, or the event that
        distractors share; two articles report one occurrence when these are equal."""
        found = {self.source(a): f"event:{event}" for a, event in self.distractor_events.items()}
        return found | self.story_of()

    def event_pairs(self) -> int:
        """How many pairs of articles report one occurrence (what grouping should find)."""
        sizes = Counter(self.event_of().values())
        return sum(n * (n - 1) // 2 for n in sizes.values())


def _quote(data: Mapping[str, str]) -> Quote:
    return Quote(data["article"], data["quote"])


def read_gold(path: Path, feed: str = "articles.jsonl") -> NewsGold:
    """Read ``gold.json`` (format in ``tests/data/news/README.md``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    stories = tuple(
        GoldStory(
            story["id"],
            story.get("event", ""),
            tuple(story["articles"]),
            tuple(
                GoldFact(fact["id"], fact.get("fact", ""), tuple(Quote(a, q) for a, q in fact["quotes"].items()))
                for fact in story["facts"]
            ),
            tuple(
                GoldDifference(d["kind"], d.get("note", ""), _quote(d["a"]), _quote(d["b"]))
                for d in story.get("differences", [])
            ),
        )
        for story in data["stories"]
    )
    distractors = tuple(d["article"] for d in data["distractors"])
    near = {d["article"]: d.get("near") for d in data["distractors"]}
    events = {d["article"]: d["event"] for d in data["distractors"] if d.get("event")}
    return NewsGold(stories, distractors, near, feed, events)


def quote_problems(gold: NewsGold, texts: Mapping[str, str]) -> list[str]:
    """Every quote of the gold set that is not an exact substring of its article's text."""
    problems = []
    for story in gold.stories:
        quotes = [q for f in story.facts for q in f.quotes] + [q for d in story.differences for q in (d.a, d.b)]
        for quote in quotes:
            if quote.article not in story.articles:
                problems.append(f"{story.id}: {quote.article} is not one of the story's articles")
            elif quote.text not in texts.get(gold.source(quote.article), ""):
                problems.append(f"{story.id}: not in {quote.article}: {quote.text!r}")
    return problems


# --------------------------------------------------------------------------- stories


@dataclass(frozen=True)
class PairFigures:
    """Pairwise precision and recall of a grouping: pairs put together, pairs that should be."""

    true_pairs: int
    predicted_pairs: int
    gold_pairs: int

    @property
    def precision(self) -> float:
        return self.true_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_pairs / self.gold_pairs if self.gold_pairs else 1.0


def grouping_figures(groups: Iterable[Sequence[str]], gold: NewsGold) -> PairFigures:
    """Pairwise figures of ``groups`` (lists of source names) over the gold set's articles."""
    event = gold.event_of()
    scored = {gold.source(a) for a in gold.articles}
    predicted = set()
    for members in groups:
        inside = sorted(m for m in members if m in scored)
        predicted.update(combinations(inside, 2))
    true = sum(1 for a, b in predicted if a in event and event[a] == event.get(b))
    return PairFigures(true, len(predicted), gold.event_pairs())


# --------------------------------------------------------------------------- facts and differences


class PassageLocator:
    """Which passage of an article holds a quote (the passage where the quote starts)."""

    def __init__(self, passages: Sequence[Passage], texts: Mapping[str, str]):
        self.texts = texts
        self.by_source: dict[str, list[Passage]] = {}
        for passage in passages:
            self.by_source.setdefault(passage.citation.source, []).append(passage)

    def span(self, source: str, quote: str) -> tuple[int, int] | None:
        text = self.texts.get(source, "")
        start = text.find(quote)
        return None if start < 0 else (start, start + len(quote))

    def passage(self, source: str, quote: str) -> int | None:
        span = self.span(source, quote)
        if span is None:
            return None
        for passage in self.by_source.get(source, []):
            if passage.citation.start <= span[0] < passage.citation.end:
                return passage.id
        return None


@dataclass
class AlignmentFigures:
    """What the alignment found of the gold facts and differences, and the precision of its links."""

    facts: int = 0
    facts_linked: int = 0
    quote_pairs: int = 0
    quote_pairs_linked: int = 0
    differences: int = 0
    differences_found: int = 0
    differences_right_kind: int = 0
    links: int = 0
    links_in_story: int = 0
    # Differences the alignment reports between a gold story's articles, and how many of
    # them are a recorded difference (a floor on their precision: the gold may miss some).
    reported: int = 0
    reported_recorded: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)

    @property
    def also_in_precision(self) -> float:
        return self.links_in_story / self.links if self.links else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "facts": self.facts, "facts_linked": self.facts_linked,
            "quote_pairs": self.quote_pairs, "quote_pairs_linked": self.quote_pairs_linked,
            "differences": self.differences, "differences_found": self.differences_found,
            "differences_right_kind": self.differences_right_kind,
            "links": self.links, "links_in_story": self.links_in_story,
            "also_in_precision": round(self.also_in_precision, 4),
            "reported": self.reported, "reported_recorded": self.reported_recorded,
            "by_kind": self.by_kind,
        }


def _linked(alignment: Alignment, a: int, b: int) -> bool:
    """Aligned either way: a link is shown on both passages' hits (each keeps its best few)."""
    return any(link.passage == b for link in alignment.of(a)) or any(link.passage == a for link in alignment.of(b))


def _differences(alignment: Alignment, a: int, b: int) -> list[FoundDifference]:
    """The differences of the pair, as spans of ``a`` (here) and ``b`` (there)."""
    for link in alignment.of(a):
        if link.passage == b:
            return list(link.differences)
    for link in alignment.of(b):
        if link.passage == a:
            return [FoundDifference(d.kind, d.there, d.here) for d in link.differences]
    return []


def _overlaps(span: tuple[int, int], start: int, end: int) -> bool:
    return start < span[1] and span[0] < end


def alignment_figures(
    gold: NewsGold, passages: Sequence[Passage], texts: Mapping[str, str], alignment: Alignment,
    stories: Iterable[GoldStory] | None = None,
) -> AlignmentFigures:
    """Score ``alignment`` against the gold facts and differences (of ``stories``, default all)."""
    locate = PassageLocator(passages, texts)
    figures = AlignmentFigures()
    chosen = list(gold.stories if stories is None else stories)
    for story in chosen:
        for fact in story.facts:
            figures.facts += 1
            located = [(q, locate.passage(gold.source(q.article), q.text)) for q in fact.quotes]
            linked_any = False
            for (qa, pa), (qb, pb) in combinations(located, 2):
                if qa.article == qb.article:
                    continue
                figures.quote_pairs += 1
                if pa is not None and pb is not None and _linked(alignment, pa, pb):
                    figures.quote_pairs_linked += 1
                    linked_any = True
            figures.facts_linked += linked_any
            if not linked_any:
                figures.missed.append(f"fact {fact.id}: {fact.fact}")
        for difference in story.differences:
            figures.differences += 1
            counts = figures.by_kind.setdefault(difference.kind, [0, 0])
            counts[0] += 1
            source_a, source_b = gold.source(difference.a.article), gold.source(difference.b.article)
            pa, pb = locate.passage(source_a, difference.a.text), locate.passage(source_b, difference.b.text)
            span_a, span_b = locate.span(source_a, difference.a.text), locate.span(source_b, difference.b.text)
            found = right = False
            if pa is not None and pb is not None and span_a and span_b:
                for d in _differences(alignment, pa, pb):
                    if _overlaps(span_a, d.here.start, d.here.end) and _overlaps(span_b, d.there.start, d.there.end):
                        found = True
                        right = right or d.kind == difference.kind
            figures.differences_found += found
            figures.differences_right_kind += right
            counts[1] += right
            if not right:
                figures.missed.append(f"difference {story.id} {difference.kind}: {difference.note}" + (" (other kind)" if found else ""))
    for story in chosen:
        recorded = []
        for difference in story.differences:
            source_a, source_b = gold.source(difference.a.article), gold.source(difference.b.article)
            span_a, span_b = locate.span(source_a, difference.a.text), locate.span(source_b, difference.b.text)
            if span_a and span_b:
                recorded += [(source_a, span_a, source_b, span_b), (source_b, span_b, source_a, span_a)]
        sources = {gold.source(a) for a in story.articles}
        for pid, links in alignment.links.items():
            here = passages[pid].citation.source
            if here not in sources:
                continue
            for link in links:
                there = passages[link.passage].citation.source
                if there not in sources or link.passage < pid and any(l.passage == pid for l in alignment.of(link.passage)):
                    continue  # the pair is counted once
                for d in link.differences:
                    figures.reported += 1
                    figures.reported_recorded += any(
                        sa == here and sb == there and _overlaps(ra, d.here.start, d.here.end) and _overlaps(rb, d.there.start, d.there.end)
                        for sa, ra, sb, rb in recorded
                    )
    gold_story = gold.event_of()  # a link between two reports of one occurrence is right
    chosen_sources = {gold.source(a) for s in chosen for a in s.articles}
    if stories is None:
        chosen_sources |= {gold.source(a) for a in gold.distractors}
    for pid, links in alignment.links.items():
        source = passages[pid].citation.source
        if source not in chosen_sources:
            continue
        for link in links:
            figures.links += 1
            other = passages[link.passage].citation.source
            figures.links_in_story += source in gold_story and gold_story[source] == gold_story.get(other)
    return figures
