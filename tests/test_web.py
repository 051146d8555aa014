"""The chat page and the source page through Flask's test client: served, hooked, CSP-ready.

These are fast checks on what the server sends. What the page does with it is tested in
a real browser in ``test_browser.py``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qa import create_app

PACKAGE = Path(__file__).resolve().parent.parent / "qa"
STATIC = PACKAGE / "static"
TEMPLATES = PACKAGE / "templates"
SOURCE = "000_49f69a7d4a642e90.txt"

# An XML namespace names a vocabulary; nothing is fetched from it.
NAMESPACES = {"http://www.w3.org/2000/svg"}


class PageParser(HTMLParser):
    """Collects what a strict Content-Security-Policy cares about, and the test hooks."""

    def __init__(self) -> None:
        super().__init__()
        self.test_ids: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script_text = ""
        self.stylesheets: list[str] = []
        self.style_blocks = 0
        self.style_attributes: list[str] = []
        self.event_handlers: list[str] = []
        self.labelled_ids: set[str] = set()
        self.ids: dict[str, str] = {}
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "data-testid" in attributes:
            self.test_ids.append(attributes["data-testid"] or "")
        if "id" in attributes:
            self.ids[attributes["id"] or ""] = tag
        for name, _ in attrs:
            if name.startswith("on"):
                self.event_handlers.append(f"<{tag} {name}>")
            if name == "style":
                self.style_attributes.append(tag)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        elif tag == "style":
            self.style_blocks += 1
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes.get("href") or "")
        elif tag == "label" and attributes.get("for"):
            self.labelled_ids.add(attributes["for"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_script_text += data


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


@pytest.fixture
def page(client) -> PageParser:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return parse(response.get_data(as_text=True))


def test_chat_page_has_every_test_hook(page):
    for hook in ("question", "send", "source-view"):
        assert page.test_ids.count(hook) == 1, hook
    # answer, passage, citation and no-answer are made per answer by chat.js.
    script = (STATIC / "chat.js").read_text(encoding="utf-8")
    for hook in ("answer", "passage", "citation", "no-answer"):
        assert f'"data-testid": "{hook}"' in script, hook


def test_question_box_is_a_labelled_textarea(page):
    assert page.ids.get("question") == "textarea"
    assert "question" in page.labelled_ids


def test_page_scripts_and_styles_are_files_the_app_serves(client, page):
    assert page.scripts and page.stylesheets
    assert page.inline_script_text.strip() == ""
    for script in page.scripts:
        assert script.get("src", "").startswith("/static/")
        response = client.get(script["src"])
        assert response.status_code == 200 and response.mimetype in {"text/javascript", "application/javascript"}
    for href in page.stylesheets:
        response = client.get(href)
        assert response.status_code == 200 and response.mimetype == "text/css"


def test_every_module_a_script_imports_is_served(client):
    for script in STATIC.glob("*.js"):
        for name in re.findall(r'from\s+"\./([\w.-]+)"', script.read_text(encoding="utf-8")):
            assert client.get(f"/static/{name}").status_code == 200, (script.name, name)


@pytest.mark.parametrize("path", ["/", f"/sources/{SOURCE}"])
def test_pages_fit_a_strict_content_security_policy(client, path):
    """No inline script, handler or style, so `default-src 'self'` needs no exception."""
    parsed = parse(client.get(path).get_data(as_text=True))
    assert parsed.inline_script_text.strip() == ""
    assert all(script.get("src") for script in parsed.scripts)
    assert parsed.event_handlers == []
    assert parsed.style_blocks == 0
    assert parsed.style_attributes == []


def asset_files() -> list[Path]:
    return sorted(p for p in [*TEMPLATES.rglob("*"), *STATIC.rglob("*")] if p.is_file())


def test_templates_and_static_files_name_no_external_url():
    assert asset_files()
    for path in asset_files():
        text = path.read_text(encoding="utf-8")
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text)) - NAMESPACES
        assert not urls, (path.name, urls)
        assert "@import" not in text and "@font-face" not in text, path.name


def test_scripts_never_write_html():
    """Questions and passages go into the page as text: no HTML-parsing DOM sinks."""
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|\beval\(|new Function")
    for script in STATIC.glob("*.js"):
        assert not sinks.search(script.read_text(encoding="utf-8")), script.name


def test_question_box_limit_follows_the_config(tmp_path):
    from conftest import make_config

    client = create_app(make_config(tmp_path, MAX_QUESTION_CHARS=300, MAX_HISTORY=3)).test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'maxlength="300"' in html and 'data-max-history="3"' in html


def test_source_page_names_its_article(client):
    response = client.get(f"/sources/{SOURCE}")
    assert response.status_code == 200
    parsed = parse(response.get_data(as_text=True))
    assert "source-view" in parsed.test_ids and "back" in parsed.test_ids
    title = client.get(f"/api/sources/{SOURCE}").get_json()["title"]
    assert title in response.get_data(as_text=True)


def test_source_page_for_an_unknown_article_is_a_json_404(client):
    response = client.get("/sources/nothing-here.txt")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_source"


def test_favicon_is_served(client):
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
