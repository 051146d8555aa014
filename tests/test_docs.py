"""The docs are current: the pages exist, their links resolve, the paths they name exist.

Fast, no model: the README stays short; every page of ``docs/`` the issue asks for is
there; every relative link between the README, ``docs/**/*.md`` and ``bench/README.md``
resolves (a file or a folder, its ``#anchor`` ignored); every ``qa/...`` path named in
them exists (a file or a folder: ``qa/index/``, ``qa/index/store.py``,
``qa/index/store.py:123``); and ``docs/api.md`` names every path of the OpenAPI document.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = [README, ROOT / "bench" / "README.md", *sorted(DOCS.rglob("*.md"))]
REQUIRED = [
    "getting-started.md",
    "architecture.md",
    "formats.md",
    "configuration.md",
    "api.md",
    "cli.md",
    "deploying.md",
    "quality.md",
    "performance.md",
    "decisions/README.md",
]
REMOVED = ["benchmarks.md", "reliability.md", "scaling.md"]
README_MAX_LINES = 150

# qa/... up to the first character that cannot be in a path; a trailing ":123" is a line.
QA_PATH = re.compile(r"(?<![\w./-])(qa/[\w./-]*)")
# [text](target): the target up to a space or the closing parenthesis.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def named_paths(text: str) -> set[str]:
    paths = set()
    for match in QA_PATH.finditer(text):
        path = match.group(1).rstrip(".,;:")
        paths.add(path)
    return paths


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines, at most {README_MAX_LINES}"


@pytest.mark.parametrize("name", REQUIRED)
def test_required_page_exists(name):
    assert (DOCS / name).is_file(), f"docs/{name} is missing"


@pytest.mark.parametrize("name", REMOVED)
def test_removed_page_is_gone_and_not_linked(name):
    assert not (DOCS / name).exists(), f"docs/{name} was replaced by the pages by topic"
    for page in PAGES:
        assert name not in page.read_text(encoding="utf-8"), f"{page_id(page)} still names {name}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_qa_path_named_exists(page):
    missing = sorted(
        path for path in named_paths(page.read_text(encoding="utf-8")) if not (ROOT / path).exists()
    )
    assert not missing, f"{page_id(page)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a web address, a mail address, or an anchor on the same page
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{page_id(page)} has broken links: {broken}"


def test_the_qa_path_pattern_reads_the_forms_the_docs_use():
    text = "see `qa/index/`, qa/index/store.py:123, (`qa/web/openapi.py`) and qa/text."
    assert named_paths(text) == {"qa/index/", "qa/index/store.py", "qa/web/openapi.py", "qa/text"}


def test_api_page_names_every_path_of_the_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    page = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [path for path in spec["paths"] if f"`{path}`" not in page]
    assert not missing, f"docs/api.md does not name {missing}"
    for path, operations in spec["paths"].items():
        for method in operations:
            assert re.search(rf"\| {method.upper()} \| `{re.escape(path)}` \|", page), (
                f"docs/api.md's route table lacks {method.upper()} {path}"
            )
