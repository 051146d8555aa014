"""The chat page and the source page through Flask's test client: served, hooked, CSP-ready,
in the reader's language.

These are fast checks on what the server sends, and on the message catalogues
(``qa/static/i18n/<lang>.json``). What the page does with them is tested in a real
browser in ``test_browser.py``.
"""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qa import create_app
from support.asserts import assert_error

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
    # answer, passage, citation and no-answer are made per answer by views.js.
    script = (STATIC / "views.js").read_text(encoding="utf-8")
    for hook in ("answer", "passage", "no-answer"):
        assert f'"data-testid": "{hook}"' in script, hook
    assert re.search(r'testId = "citation"', script)


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
    from support.app import make_config

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
    assert_error(client.get("/sources/nothing-here.txt"), 404, "unknown_source")


def test_favicon_is_served(client):
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


# ---- the reader's language (issue 14) ----

LANGUAGES = ("fr", "en")
LABELS = {"fr": ("Votre question", "Envoyer"), "en": ("Your question", "Send")}


def catalogue(language: str) -> dict:
    return json.loads((STATIC / "i18n" / f"{language}.json").read_text(encoding="utf-8"))


def html_lang(html: str) -> str:
    return re.search(r'<html lang="(\w+)"', html).group(1)


@pytest.mark.parametrize(
    "accept, language",
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-US,en;q=0.9", "en"),
        ("en-GB", "en"),
        ("de-DE,de;q=0.9,en;q=0.5", "en"),  # German first, English understood
        ("de-DE,de;q=0.9", "fr"),  # neither: French, for our mostly French readers
        ("en;q=0.5,fr;q=0.8", "fr"),
        ("", "fr"),
        (None, "fr"),
    ],
)
@pytest.mark.parametrize("path", ["/", f"/sources/{SOURCE}"])
def test_accept_language_chooses_the_page_language(client, path, accept, language):
    headers = {} if accept is None else {"Accept-Language": accept}
    response = client.get(path, headers=headers)
    html = response.get_data(as_text=True)
    assert html_lang(html) == language
    assert response.headers["Content-Language"] == language
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert catalogue(language)["source.back"] in html if path != "/" else LABELS[language][0] in html
    other = "en" if language == "fr" else "fr"
    assert catalogue(other)["skip.content"] not in html and catalogue(other)["skip.question"] not in html


def test_chat_page_labels_come_from_the_catalogue(client):
    for language in LANGUAGES:
        html = client.get("/", headers={"Accept-Language": language}).get_data(as_text=True)
        messages = catalogue(language)
        for key in ("ask.label", "ask.send", "ask.hint", "welcome.title", "conversation.new", "source.back", "source.open_page"):
            assert messages[key] in html, (language, key)
        assert f'placeholder="{messages["ask.placeholder"]}"' in html
        label, send = LABELS[language]
        assert f">{label}</label>" in html and f">{send}</button>" in html


def test_the_page_hands_its_catalogue_to_the_scripts(client):
    for language in LANGUAGES:
        html = client.get("/", headers={"Accept-Language": language}).get_data(as_text=True)
        attribute = re.search(r"<html [^>]*data-messages='([^']*)'", html).group(1)
        assert json.loads(attribute) == catalogue(language)


def test_the_remembered_choice_wins_over_accept_language(client):
    client.set_cookie("lang", "en")
    assert html_lang(client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)) == "en"
    client.set_cookie("lang", "fr")
    assert html_lang(client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)) == "fr"
    client.set_cookie("lang", "klingon")  # not a language of the page: ignored
    assert html_lang(client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)) == "en"


def test_the_language_switch_sets_a_cookie_for_a_year(client):
    response = client.post("/language", data={"lang": "en"})
    assert response.status_code == 204
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;")
    assert "Max-Age=31536000" in cookie and "Path=/" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert html_lang(client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)) == "en"


@pytest.mark.parametrize(
    "target, location",
    [
        (f"/sources/{SOURCE}", f"/sources/{SOURCE}"),
        ("/?x=1", "/?x=1"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_the_switch_form_goes_back_to_a_page_of_this_site_only(client, target, location):
    response = client.post("/language", data={"lang": "fr", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == location
    assert response.headers["Set-Cookie"].startswith("lang=fr;")


@pytest.mark.parametrize("data", [{"lang": "de"}, {"lang": ""}, {}, {"lang": "EN"}])
def test_an_unknown_language_is_a_json_400(client, data):
    response = client.post("/language", data=data)
    assert_error(response, 400, "invalid_field")
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", f"/sources/{SOURCE}"])
def test_both_pages_have_the_language_switch(client, path):
    html = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    form = re.search(r'<form class="language-switch"[^>]*method="post" action="/language">(.*?)</form>', html, re.S)
    assert form, "no language switch"
    buttons = re.findall(r'<button type="submit" name="lang" value="(\w+)" lang="(\w+)"[^>]*aria-pressed="(\w+)">([^<]+)</button>', form.group(1))
    assert buttons == [("fr", "fr", "false", "Français"), ("en", "en", "true", "English")]
    assert f'name="next" value="{path}"' in form.group(1)


# ---- the catalogues ----


def placeholders(value) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for name in re.findall(r"\{(\w+)\}", text)}


def test_the_catalogues_have_the_same_messages_and_placeholders():
    french, english = catalogue("fr"), catalogue("en")
    assert french.keys() == english.keys()
    for key in french:
        assert type(french[key]) is type(english[key]), key
        if isinstance(french[key], dict):
            assert set(french[key]) == set(english[key]) == {"one", "other"}, key
            assert "{count}" in french[key]["other"] and "{count}" in english[key]["other"], key
        assert placeholders(french[key]) == placeholders(english[key]), key
        assert french[key].strip() if isinstance(french[key], str) else True, key


def used_keys() -> set[str]:
    """The catalogue keys the templates and scripts name (t("...") and the keys in tables)."""
    names = set()
    for template in TEMPLATES.glob("*.html"):
        names |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", template.read_text(encoding="utf-8")))
    namespaces = {key.split(".")[0] for key in catalogue("en")}
    for script in STATIC.glob("*.js"):
        for literal in re.findall(r'"([a-z_]+\.[a-z_]+)"', script.read_text(encoding="utf-8")):
            if literal.split(".")[0] in namespaces:
                names.add(literal)
    return names


def test_every_message_the_page_names_exists_and_every_message_is_used():
    keys = set(catalogue("en"))
    used = used_keys()
    assert used - keys == set()
    from qa.corroboration import DIFFERENCE_KINDS

    kinds = {f"difference.{kind}" for kind in DIFFERENCE_KINDS}  # web.py: the page's data-difference-kinds
    assert kinds <= keys
    assert keys - used - kinds - {"language.name"} == set()  # language.name: the switch, from web.py


def test_french_messages_follow_french_typography():
    """A no-break space before : ; ! ? and inside « », so that no line starts with one."""
    for key, value in catalogue("fr").items():
        for text in value.values() if isinstance(value, dict) else [value]:
            assert not re.search(r" [:;!?»]|« ", text), (key, text)
            assert "'" not in text, (key, "use the typographic apostrophe ’")


def test_scripts_hold_no_user_facing_text():
    """Every label comes from the catalogue: no sentence inside the JavaScript."""
    allowed = re.compile(r"^[\w.#:/\[\]=() -]*$")  # class lists, selectors, paths, media queries, keys
    for script in STATIC.glob("*.js"):
        code = re.sub(r"^\s*(//|\*|/\*\*).*$", "", script.read_text(encoding="utf-8"), flags=re.M)
        for literal in re.findall(r'"((?:[^"\\\n]|\\.)*)"|`([^`]*)`', code):
            text = literal[0] or literal[1]
            words = re.findall(r"[A-Za-zÀ-ÿ]{2,}", re.sub(r"\$\{[^}]*\}", "", text))
            if len(words) >= 2 and not allowed.match(text):
                pytest.fail(f"{script.name}: text in the script: {text!r}")
            assert not re.match(r"^[A-Z][a-z]+ [a-z]+", text), f"{script.name}: text in the script: {text!r}"


def test_the_chat_page_names_every_difference_kind_in_its_language(client):
    from qa.corroboration import DIFFERENCE_KINDS

    for language in LANGUAGES:
        html = client.get("/", headers={"Accept-Language": language}).get_data(as_text=True)
        labels = json.loads(unescape(re.search(r'data-difference-kinds="([^"]*)"', html).group(1)))
        assert list(labels) == list(DIFFERENCE_KINDS)
        assert labels == {kind: catalogue(language)[f"difference.{kind}"] for kind in DIFFERENCE_KINDS}
