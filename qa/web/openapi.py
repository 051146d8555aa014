"""The OpenAPI 3.0 description of the JSON API, built from the live limits.

The enums and the record shapes are the service's own constants: the error codes
(``qa.service.errors.ErrorCode``), the difference kinds (``qa.models.DIFFERENCE_KINDS``), a
claim check's verdicts and difference kinds (``qa.models.CLAIM_VERDICTS``,
``SOURCE_VERDICTS``, ``CLAIM_DIFFERENCE_KINDS``) and the fields of a citation and an article
(``qa.service.serialise``).

The claim check's paths and schemas are in ``qa.web.openapi_check``; the parts both
request bodies share (the text, ``k``, the filter, the error responses) in
``qa.web.openapi_parts``.

``tests/test_openapi.py`` checks real responses against these schemas, and Schemathesis
fuzzes the API from it, so the description stays what the API really does.
"""

from __future__ import annotations

from typing import Any

from qa.index.layout import package_version
from qa.models import ABSTENTION_REASONS, DIFFERENCE_KINDS
from qa.service.errors import ErrorCode
from qa.service.serialise import ARTICLE_FIELDS, CITATION_FIELDS
from qa.settings import Limits
from qa.text.language import LANGUAGES
from qa.web.openapi_check import check_paths, check_schemas
from qa.web.openapi_parts import bad_request, error_response, filter_properties, k_property, object_schema, text_property

_NULLABLE_STRING = {"type": "string", "nullable": True}
_METADATA = {
    "outlet": {**_NULLABLE_STRING, "description": "The publication (a page's og:site_name, a front matter's outlet); null when unknown."},
    "published": {
        **_NULLABLE_STRING,
        "description": "Publication date or date-time, ISO 8601 (2025-07-15 or 2025-07-15T08:30:00+02:00); null when unknown.",
    },
    "url": {**_NULLABLE_STRING, "description": "The article's canonical http(s) URL; null when unknown."},
}


def openapi_spec(limits: Limits) -> dict[str, Any]:
    """The API description for the given limits."""
    citation = {
        "type": "object",
        "required": list(CITATION_FIELDS),
        "properties": {
            "source": {
                "type": "string",
                "description": "The article: a file name in seeds/, or <file>#<id> for an article of a .jsonl feed.",
            },
            "title": {"type": "string"},
            "paragraph": {
                "type": "integer",
                "minimum": 1,
                "description": "Number of the passage's first paragraph; every non-blank line is a paragraph.",
            },
            "start": {"type": "integer", "minimum": 0, "description": "Code-point offset into the source text."},
            "end": {"type": "integer", "minimum": 0, "description": "source_text[start:end] is the passage text."},
            **_METADATA,
        },
    }
    span = {
        "type": "object",
        "nullable": True,
        "required": ["start", "end"],
        "properties": {"start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}},
        "description": "The best-answering sentence, as offsets into the source counted like the citation's.",
    }
    passage = {
        "type": "object",
        "required": ["id", "rank", "text", "score", "scores", "citation", "highlight", "kind", "also_in", "differences"],
        "properties": {
            "id": {"type": "integer", "minimum": 0, "description": "Passage id within the current index build."},
            "rank": {"type": "integer", "minimum": 1},
            "text": {"type": "string"},
            "score": {"type": "number", "description": "Fused score; higher is better."},
            "scores": {
                "type": "object",
                "required": ["fused", "dense", "lexical"],
                "properties": {
                    "fused": {"type": "number"},
                    "dense": {"type": "number", "description": "Cosine similarity of question and passage."},
                    "lexical": {"type": "number", "description": "BM25 score of the passage for the question."},
                },
            },
            "citation": {"$ref": "#/components/schemas/Citation"},
            "highlight": {"$ref": "#/components/schemas/Span"},
            "kind": {"type": "string", "enum": ["lead", "paragraph"]},
            "also_in": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/AlsoIn"},
                "description": (
                    "Passages of other articles of the same story that report the same fact, best aligned "
                    "first; aligned at index time from dense similarity, shared terms, numbers and names, "
                    "and only when they share a specific (name, number, date, quote) beyond the story's "
                    "common ones."
                ),
            },
            "differences": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Difference"},
                "description": "Details of substance on which this passage and an also_in passage differ.",
            },
        },
    }
    ask_request = {
        "type": "object",
        "required": ["question"],
        "properties": {
            "question": text_property(limits, "The question, in French or English. Must hold a non-space character."),
            "k": k_property(limits, "How many passages to return."),
            "history": {
                "type": "array",
                "maxItems": limits.max_history,
                "items": {"type": "string", "maxLength": limits.max_question_chars},
                "default": [],
                "description": (
                    "Earlier questions of the conversation, oldest first. When the new question leans on them "
                    "(it is elliptic, such as 'Et celle des Atacms ?', or starts with a follow-up word such as "
                    "'et', 'and', 'what about'), the most recent one is added to the search with a lower weight. "
                    "A self-contained question is searched alone."
                ),
            },
            **filter_properties(limits),
        },
    }
    answer = {
        "type": "object",
        "required": ["question", "answered", "abstention", "passages", "history_used"],
        "properties": {
            "question": {"type": "string"},
            "answered": {
                "type": "boolean",
                "description": "False when the articles do not answer: the passages are then only the closest ones.",
            },
            "abstention": {
                "type": "object",
                "nullable": True,
                "required": ["reason", "not_found", "other_language"],
                "description": "Why the articles do not answer; null when they do.",
                "properties": {
                    "reason": {
                        "type": "string",
                        "enum": list(ABSTENTION_REASONS),
                        "description": "weak_support: no passage stands out as close to the question; "
                        "names_not_found: the closest passage's article does not mention names or figures "
                        "of the question (not_found); date_not_found: the question asks when, and the "
                        "closest passage gives no date; empty_index: no article is indexed; no_matching_articles: "
                        "no article passes the request's filters (outlets, since, until).",
                    },
                    "not_found": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "With names_not_found, those names and figures as the question writes them.",
                    },
                    "other_language": {
                        "type": "string",
                        "nullable": True,
                        "enum": [*LANGUAGES, None],
                        "description": "With weak_support, the closest passage's language when the question is in "
                        "the other one (the model matches such a question less closely: asking in this language may "
                        "find an answer); else null.",
                    },
                },
            },
            "passages": {"type": "array", "items": {"$ref": "#/components/schemas/Passage"}},
            "history_used": {"type": "array", "items": {"type": "string"}},
        },
    }
    article = {
        "type": "object",
        "required": list(ARTICLE_FIELDS),
        "properties": {
            "source": {"type": "string"},
            "title": {"type": "string"},
            "text": {
                "type": "string",
                "description": "The canonical text citations index: the file itself for a plain .txt, the text after "
                "the front matter, or the text extracted from a page or a feed line.",
            },
            **_METADATA,
            "author": _NULLABLE_STRING,
            "story": {
                "type": "object",
                "nullable": True,
                "required": ["id", "articles"],
                "description": "The story this article belongs to, with its other articles; null when in none.",
                "properties": {
                    "id": {"type": "string"},
                    "articles": {
                        "type": "array",
                        "items": object_schema({"source": {"type": "string"}, "title": {"type": "string"}}),
                    },
                },
            },
        },
    }
    story_list = {
        "type": "object",
        "required": ["stories"],
        "properties": {
            "stories": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "titles", "sources", "shared"],
                    "properties": {
                        "id": {"type": "string", "description": "Stable while the story keeps the same articles."},
                        "titles": {"type": "array", "items": {"type": "string"}},
                        "sources": {
                            "type": "array",
                            "minItems": 2,
                            "items": {"type": "string"},
                            "description": "The articles' file names, in the order of titles.",
                        },
                        "shared": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "The rare specifics (name:, names:, date:, year:, num:) most of its articles share.",
                        },
                    },
                },
            }
        },
    }
    statement = object_schema(
        {
            "text": {"type": "string", "description": "source_text[citation.start:citation.end]."},
            "citation": {"$ref": "#/components/schemas/Citation"},
        }
    )
    story = object_schema(
        {
            "id": {"type": "string"},
            "shared": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The rare specifics (name:, names:, date:, year:, num:) most of its articles share.",
            },
            "articles": {
                "type": "array",
                "minItems": 2,
                "description": "The story's articles by publication date, undated ones last.",
                "items": object_schema({"source": {"type": "string"}, "title": {"type": "string"}, **_METADATA}),
            },
            "facts": {
                "type": "array",
                "description": "Facts two or more of its articles state, those stated by more articles first.",
                "items": object_schema(
                    {
                        "statements": {
                            "type": "array",
                            "minItems": 2,
                            "items": statement,
                            "description": "One passage of each article stating the fact, in the articles' order.",
                        }
                    }
                ),
            },
            "differences": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Difference"},
                "description": "Where two of its articles differ: 'here' is in the earlier article of the two.",
            },
        }
    )
    error = object_schema(
        {
            "error": object_schema(
                {
                    "code": {
                        "type": "string",
                        "enum": [code.value for code in ErrorCode],
                        "description": "Stable and machine-readable: switch on it; the message is for people.",
                    },
                    "message": {"type": "string"},
                }
            )
        }
    )
    health = {
        "type": "object",
        "required": ["status", "passages", "model"],
        "properties": {
            "status": {"type": "string", "enum": ["ok"]},
            "passages": {"type": "integer", "minimum": 0},
            "articles": {"type": "integer", "minimum": 0},
            "model": {"type": "string"},
            "dimension": {"type": "integer"},
            "index": {"type": "object"},
            "version": {"type": "string"},
            "skipped": {
                "type": "object",
                "required": ["count", "files"],
                "description": "Article files (or feed lines, as file:line) the build skipped, with why.",
                "properties": {
                    "count": {"type": "integer", "minimum": 0},
                    "files": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
    }
    source_list = {
        "type": "object",
        "required": ["sources"],
        "properties": {
            "sources": {
                "type": "array",
                "items": object_schema({"source": {"type": "string"}, "title": {"type": "string"}, **_METADATA}),
            }
        },
    }
    json_body = lambda ref: {"content": {"application/json": {"schema": {"$ref": ref}}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "News QA",
            "version": package_version(),
            "description": (
                "Question answering over news articles: passages that answer, best first, each with a citation "
                "whose offsets slice the source text exactly. Every error has the shape "
                "{\"error\": {\"code\", \"message\"}}."
            ),
        },
        "paths": {
            "/api/ask": {
                "post": {
                    "summary": "Ask a question",
                    "operationId": "ask",
                    "requestBody": {"required": True, **json_body("#/components/schemas/AskRequest")},
                    "responses": {
                        "200": {"description": "Passages, best first.", **json_body("#/components/schemas/Answer")},
                        "400": bad_request(ErrorCode.BLANK_QUESTION),
                        "413": error_response(f"Body larger than {limits.max_content_length} bytes."),
                        "415": error_response("Body not sent as application/json."),
                        "429": error_response("Too many requests from this client; see Retry-After."),
                    },
                }
            },
            **check_paths(limits),
            "/api/sources": {
                "get": {
                    "summary": "List the indexed articles",
                    "operationId": "listSources",
                    "responses": {"200": {"description": "Articles.", **json_body("#/components/schemas/SourceList")}},
                }
            },
            "/api/sources/{source}": {
                "get": {
                    "summary": "The full text of one article",
                    "operationId": "getSource",
                    "parameters": [
                        {"name": "source", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {"description": "The article.", **json_body("#/components/schemas/Article")},
                        "404": error_response("No article of that name."),
                    },
                }
            },
            "/api/stories": {
                "get": {
                    "summary": "List the stories: groups of articles that report the same event",
                    "operationId": "listStories",
                    "responses": {"200": {"description": "Stories.", **json_body("#/components/schemas/StoryList")}},
                }
            },
            "/api/stories/{story_id}": {
                "get": {
                    "summary": "One story: its articles by publication date, the facts they share, where they differ",
                    "operationId": "getStory",
                    "parameters": [
                        {"name": "story_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {"description": "The story.", **json_body("#/components/schemas/Story")},
                        "404": error_response("No story with that id."),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Health and index facts",
                    "operationId": "health",
                    "responses": {"200": {"description": "Serving.", **json_body("#/components/schemas/Health")}},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "operationId": "openapi",
                    "responses": {"200": {"description": "OpenAPI 3.0 document.", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {
            "schemas": {
                "AskRequest": ask_request,
                "Answer": answer,
                "Passage": passage,
                "Citation": citation,
                "Span": span,
                "AlsoIn": {
                    "type": "object",
                    "required": ["text", "citation"],
                    "properties": {
                        "text": {"type": "string", "description": "source_text[citation.start:citation.end]."},
                        "citation": {"$ref": "#/components/schemas/Citation"},
                        "story": {"type": "string", "description": "Id of the story both articles belong to (GET /api/stories)."},
                    },
                },
                "Difference": {
                    "type": "object",
                    "required": ["kind", "here", "there", "here_citation", "there_citation"],
                    "properties": {
                        "kind": {
                            "type": "string",
                            "enum": list(DIFFERENCE_KINDS),
                            "description": (
                                "quote: the same statement quoted in different words; number, date, name: a "
                                "different value after normalising number words, units and dates; hedge: one "
                                "source hedges (conditional, 'peut-être'...) what the other states plainly."
                            ),
                        },
                        "here": {"type": "string", "description": "The detail as this passage words it."},
                        "there": {"type": "string", "description": "The detail as the other article words it."},
                        "here_citation": {
                            "$ref": "#/components/schemas/Citation",
                            "description": "Slices 'here' exactly out of this passage's source.",
                        },
                        "there_citation": {
                            "$ref": "#/components/schemas/Citation",
                            "description": "Slices 'there' exactly out of the other article.",
                        },
                    },
                },
                "Article": article,
                "SourceList": source_list,
                "StoryList": story_list,
                "Story": story,
                **check_schemas(limits),
                "Health": health,
                "Error": error,
            }
        },
    }
