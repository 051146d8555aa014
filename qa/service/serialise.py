"""The one serialiser: records -> the JSON shapes of the API, the CLI's ``--json`` and any later surface.

Dataclasses stay dataclasses everywhere else; this module is where they become dicts.
The OpenAPI document (``qa.web.openapi``) describes the same shapes from the same field
lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qa.corroboration.stories import Stories, Story
from qa.models import (
    Abstention, AlsoIn, Answer, Article, CheckCoverage, Citation, ClaimCheck, Difference, Excerpt, Hit, SourceCheck, StoryView,
)

# Where an article comes from: every article and citation shape carries these fields.
ORIGIN = ("outlet", "published", "url")
CITATION_FIELDS = ("source", "title", "paragraph", "start", "end", *ORIGIN)
ARTICLE_FIELDS = ("source", "title", "text", *ORIGIN, "author")
SOURCE_LIST_FIELDS = ("source", "title", *ORIGIN)  # an article without its text


def _fields(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A record's fields of those names, in that order (JSON keys are the field names)."""
    return {name: getattr(record, name) for name in names}


def citation_json(citation: Citation) -> dict[str, Any]:
    return _fields(citation, CITATION_FIELDS)


def hit_json(hit: Hit) -> dict[str, Any]:
    passage = hit.passage
    return {
        "id": passage.id,
        "rank": hit.rank,
        "text": passage.text,
        "score": hit.score,
        "scores": {"fused": hit.score, "dense": hit.dense, "lexical": hit.lexical},
        "citation": citation_json(passage.citation),
        "highlight": None if hit.highlight is None else {"start": hit.highlight.start, "end": hit.highlight.end},
        "kind": passage.kind,
        "also_in": [also_in_json(item) for item in hit.also_in],
        "differences": [difference_json(item) for item in hit.differences],
    }


def also_in_json(also_in: AlsoIn) -> dict[str, Any]:
    """An aligned passage of another article: its text and a citation like a passage's."""
    return {"text": also_in.text, "citation": citation_json(also_in.citation), "story": also_in.story}


def difference_json(difference: Difference) -> dict[str, Any]:
    """A difference between aligned passages; ``here``/``there`` slice their citations exactly."""
    return {
        "kind": difference.kind,
        "here": difference.here,
        "there": difference.there,
        "here_citation": citation_json(difference.here_citation),
        "there_citation": citation_json(difference.there_citation),
    }


def story_json(story: Story) -> dict[str, Any]:
    """A story: its id, its articles (sources and titles, in the same order), what they share."""
    return {"id": story.id, "titles": list(story.titles), "sources": list(story.sources), "shared": list(story.shared)}


def story_view_json(view: StoryView) -> dict[str, Any]:
    """A story as a reader checks it: articles by date, shared facts, differences, each cited."""
    return {
        "id": view.id,
        "shared": list(view.shared),
        "articles": [_fields(article, SOURCE_LIST_FIELDS) for article in view.articles],
        "facts": [
            {"statements": [{"text": s.text, "citation": citation_json(s.citation)} for s in fact.statements]}
            for fact in view.facts
        ],
        "differences": [difference_json(difference) for difference in view.differences],
    }


def story_of_article_json(stories: Stories, source: str) -> dict[str, Any] | None:
    """The story of one article with its *other* articles, or None when it is in no story."""
    story = stories.of_source(source)
    if story is None:
        return None
    others = [{"source": s, "title": t} for s, t in zip(story.sources, story.titles) if s != source]
    return {"id": story.id, "articles": others}


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answered": answer.answered,
        "abstention": abstention_json(answer.abstention),
        "passages": [hit_json(hit) for hit in answer.hits],
        "history_used": list(answer.context_used),
    }


def abstention_json(abstention: Abstention | None) -> dict[str, Any] | None:
    """Why the articles do not answer (``qa.models.Abstention``); None when they do."""
    if abstention is None:
        return None
    return {"reason": abstention.reason, "not_found": list(abstention.not_found), "other_language": abstention.other_language}


def article_json(article: Article) -> dict[str, Any]:
    """One article: its canonical text (what citations slice) and its metadata."""
    return _fields(article, ARTICLE_FIELDS)


def source_list_json(articles: Iterable[Article]) -> dict[str, Any]:
    """The list of indexed articles, without their text."""
    return {"sources": [_fields(article, SOURCE_LIST_FIELDS) for article in articles]}


def source_json(article: Article, stories: Stories) -> dict[str, Any]:
    """One article with its story (``GET /api/sources/<name>``, ``qa sources NAME --json``)."""
    return {**article_json(article), "story": story_of_article_json(stories, article.source)}


def story_list_json(stories: Stories) -> dict[str, Any]:
    """Every story of the corpus (``GET /api/stories``)."""
    return {"stories": [story_json(story) for story in stories.stories]}


def excerpt_json(excerpt: Excerpt) -> dict[str, Any]:
    return {"start": excerpt.start, "end": excerpt.end, "text": excerpt.text}


def source_check_json(source: SourceCheck) -> dict[str, Any]:
    """One article's verdict on a claim: its passage cited as in ``/api/ask``, the matching
    sentence(s) and the differences, in source offsets (claim offsets for the claim's side)."""
    return {
        "verdict": source.verdict,
        "score": source.score,
        "citation": citation_json(source.passage.citation),
        "text": source.passage.text,
        "span": [excerpt_json(part) for part in source.span],
        "differences": [
            {"kind": d.kind, "claim": excerpt_json(d.claim), "source": excerpt_json(d.source)} for d in source.differences
        ],
    }


def coverage_json(coverage: CheckCoverage) -> dict[str, Any]:
    return {
        "articles": coverage.articles,
        "outlets": coverage.outlets,
        "date_range": {"earliest": coverage.earliest, "latest": coverage.latest},
        "unknown_outlets": list(coverage.unknown_outlets),
        "closest": None if coverage.closest is None else {"score": coverage.closest, "threshold": coverage.threshold},
    }


def check_json(check: ClaimCheck) -> dict[str, Any]:
    """A claim check (``POST /api/check``, ``qa check --json``): sources by publication date."""
    first = check.first_reported
    return {
        "claim": check.claim,
        "language": check.language,
        "verdict": check.verdict,
        "summary": check.summary,
        "sources": [source_check_json(source) for source in check.sources],
        "first_reported": None if first is None else citation_json(first.passage.citation),
        "coverage": coverage_json(check.coverage),
    }
