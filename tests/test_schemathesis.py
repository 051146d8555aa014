"""Schemathesis fuzzes the API from its own ``/api/openapi.json``, with zero failures.

Valid and invalid requests are generated from the description (positive and negative
modes) and every response is checked: no 5xx, a documented status, the documented
content type and schema, invalid input rejected and valid input accepted. Any
disagreement means the description or the API is wrong. Every operation is fuzzed,
``/api/check`` and ``/api/check/claimreview`` included; the one rule JSON Schema cannot
say, ``since`` not after ``until``, is kept by putting two generated days in order. The app runs on the hashing
embedder so that the examples, bounded per operation, run in well under a minute.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from qa import create_app
from support.app import make_config

# Built at collection time (schemathesis's lazy fixture loader does not work with this
# pytest); the app is cheap to create, and the index is built on the first request.
_WORKDIR = Path(tempfile.mkdtemp(prefix="qa-schemathesis-"))
APP = create_app(make_config(_WORKDIR))
# A request body over MAX_CONTENT_LENGTH is rejected with 413 before it is parsed, as the
# description says; Schemathesis's default list of "rejected" statuses leaves 413 out.
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": [400, 404, 405, 413, 415, 429]}}}
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP, config=CONFIG)


@schema.hook("map_body")
def _days_in_order(ctx, body):
    """Two valid days, ``since`` after ``until``, are a 400 (``out_of_range``) that no schema
    says: swap them, which changes nothing else of the body's validity."""
    if isinstance(body, dict):
        since, until = body.get("since"), body.get("until")
        if isinstance(since, str) and isinstance(until, str) and _is_day(since) and _is_day(until) and since > until:
            return {**body, "since": until, "until": since}
    return body


def _is_day(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def test_every_operation_is_fuzzed():
    operations = {result.ok().label for result in schema.get_all_operations()}
    assert {"POST /api/ask", "POST /api/check", "POST /api/check/claimreview"} <= operations


@pytest.fixture(scope="module", autouse=True)
def _remove_workdir():
    yield
    shutil.rmtree(_WORKDIR, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_description(case):
    case.call_and_validate()
