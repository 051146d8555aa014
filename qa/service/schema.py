"""The JSON edge: parse and validate request bodies, and turn answers into JSON.

Dataclasses stay dataclasses everywhere else; this module is where they become dicts.
Validation errors raise ``BadRequest`` with a code a client can switch on
(``qa.service.errors.ErrorCode``). The bounds are the settings' ``Limits``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qa.corroboration.stories import Stories, Story
from qa.models import (
    Abstention,
    AlsoIn,
    Answer,
    Article,
    Citation,
    Difference,
    Hit,
    StoryView,
)
from qa.service.errors import BadRequest, ErrorCode, UnsupportedMediaType
from qa.settings import Limits


@dataclass(frozen=True)
class AskRequest:
    """A validated question."""

    question: str
    k: int
    history: tuple[str, ...] = ()


# A question must hold a character that is not white space in either Python's sense
# (which counts the separators \x1c-\x1f and \x85) or ECMAScript's (which counts the BOM),
# so that the server and the OpenAPI pattern, read by either regex engine, agree.
BLANK_FREE_PATTERN = "[^\\s\\x1c-\\x1f\\x85\\ufeff]"


def is_blank(text: str) -> bool:
    """Whether the text holds nothing but white space (see ``BLANK_FREE_PATTERN``)."""
    return all(char.isspace() or char == "\ufeff" for char in text)


def _has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(data: bytes, content_type: str | None) -> Any:
    """Decode a request body that must be JSON encoded as UTF-8."""
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            f"the body must be JSON sent with Content-Type: application/json (got {mimetype or 'none'})"
        )
    if not data.strip():
        raise BadRequest("the request body is empty; send a JSON object", code=ErrorCode.EMPTY_BODY)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the body is not valid UTF-8 (byte {error.start})", code=ErrorCode.INVALID_UTF8) from error
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"the body is not valid JSON: {error}", code=ErrorCode.INVALID_JSON) from error


def _text_field(value: Any, name: str, limits: Limits) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string", code=ErrorCode.INVALID_FIELD)
    if _has_lone_surrogate(value):
        raise BadRequest(f"'{name}' contains a lone surrogate, which is not valid Unicode text", code=ErrorCode.INVALID_FIELD)
    if len(value) > limits.max_question_chars:
        raise BadRequest(
            f"'{name}' is {len(value)} characters long; the limit is {limits.max_question_chars}",
            code=ErrorCode.TOO_LONG,
        )
    return value


def parse_ask(body: Any, limits: Limits) -> AskRequest:
    """Validate a ``POST /api/ask`` body."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", code=ErrorCode.INVALID_BODY)
    if "question" not in body:
        raise BadRequest("'question' is required", code=ErrorCode.MISSING_FIELD)
    question = _text_field(body["question"], "question", limits)
    if is_blank(question):
        raise BadRequest("'question' is blank", code=ErrorCode.BLANK_QUESTION)
    k = body.get("k", limits.default_k)
    if isinstance(k, bool) or not isinstance(k, int):
        raise BadRequest("'k' must be an integer", code=ErrorCode.INVALID_FIELD)
    if not 1 <= k <= limits.max_k:
        raise BadRequest(f"'k' must be between 1 and {limits.max_k}", code=ErrorCode.OUT_OF_RANGE)
    history_value = body.get("history", [])
    if not isinstance(history_value, list):
        raise BadRequest("'history' must be a list of earlier questions (strings)", code=ErrorCode.INVALID_FIELD)
    if len(history_value) > limits.max_history:
        raise BadRequest(f"'history' holds at most {limits.max_history} questions", code=ErrorCode.TOO_LONG)
    history = tuple(_text_field(item, "history[]", limits) for item in history_value)
    return AskRequest(question=question.strip(), k=k, history=history)


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
