"""The JSON API blueprint. Routes parse, call one service method, and return JSON.

The request limits are the service's settings (``qa.settings.Limits``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from qa.service.claimreview import claim_review_json
from qa.models import ClaimCheck
from qa.service.core import QAService
from qa.service.requests import parse_ask, parse_check, parse_json_body
from qa.service.serialise import answer_json, check_json, source_json, source_list_json, story_list_json, story_view_json
from qa.web.openapi import openapi_spec
from qa.web.server_timing import record_stages

bp = Blueprint("api", __name__)


def service() -> QAService:
    return current_app.extensions["qa"]


@bp.post("/api/ask")
def ask() -> Response:
    body = parse_json_body(request.get_data(cache=False), request.content_type)
    query = parse_ask(body, service().settings.limits)
    answer = service().ask(query.question, query.k, query.history, query.filter)
    record_stages(answer.timings_ms)
    return jsonify(answer_json(answer))


def checked_claim() -> ClaimCheck:
    """The request's claim, parsed and checked (both check routes)."""
    body = parse_json_body(request.get_data(cache=False), request.content_type)
    claim = parse_check(body, service().settings.limits)
    result = service().check(claim.claim, claim.k, claim.filter)
    record_stages(result.timings_ms)
    return result


@bp.post("/api/check")
def check() -> Response:
    return jsonify(check_json(checked_claim()))


@bp.post("/api/check/claimreview")
def check_claimreview() -> Response:
    """The same check as ``/api/check``, as schema.org ClaimReview JSON-LD."""
    result = checked_claim()
    response = jsonify(claim_review_json(result))
    response.mimetype = "application/ld+json"
    return response


@bp.get("/api/sources")
def list_sources() -> Response:
    return jsonify(source_list_json(service().index.articles.values()))


@bp.get("/api/sources/<path:source>")
def get_source(source: str) -> Response:
    article = service().article(source)
    return jsonify(source_json(article, service().stories()))


@bp.get("/api/stories")
def list_stories() -> Response:
    return jsonify(story_list_json(service().stories()))


@bp.get("/api/stories/<story_id>")
def get_story(story_id: str) -> Response:
    return jsonify(story_view_json(service().story(story_id)))


@bp.get("/healthz")
def health() -> Response:
    return jsonify(service().health())


@bp.get("/api/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_spec(service().settings.limits))
