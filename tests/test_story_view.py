"""The story view (issue 25): GET /api/stories/<id> and the story page, in French and English.

The corpus is the two seed articles with front matter (an outlet and a publication date
each, the later-written one published first), on the fast ``hashing`` model: the view
lists them by publication date, every fact's statements and every difference's sides
slice their articles exactly, an unknown id is a JSON 404, and the page shows the
timeline, the facts and the differences side by side in the reader's language (a real
``qa serve`` and Debian's Chromium).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from qa import create_app
from support.app import make_config
from support.live_server import LiveServer

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATED = {  # source -> (outlet, published): 001 first by date, though 000 comes first by name
    "000_49f69a7d4a642e90": ("Exemple Presse", "2025-07-16"),
    "001_3b9574d560628014": ("Autre Journal", "2025-07-15"),
}
CATALOGUES = ROOT / "qa" / "static" / "i18n"


def dated_seeds(folder: Path) -> Path:
    """The seeds as .md files with a front matter: outlet, publication date and URL (the title is the text's)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, (outlet, published) in DATED.items():
        text = (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")
        front = f"---\noutlet: {outlet}\npublished: {published}\nurl: https://www.exemple.info/{stem}\n---\n"
        (folder / f"{stem}.md").write_text(front + text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("story-view")
    return create_app(make_config(tmp, SEEDS_DIR=str(dated_seeds(tmp / "dated")))).test_client()


def the_story(client) -> dict:
    stories = client.get("/api/stories").get_json()["stories"]
    assert len(stories) == 1, stories
    response = client.get(f"/api/stories/{stories[0]['id']}")
    assert response.status_code == 200
    return response.get_json()


def test_the_story_lists_its_outlets_by_publication_date(client):
    story = the_story(client)
    assert [(a["outlet"], a["published"]) for a in story["articles"]] == [("Autre Journal", "2025-07-15"), ("Exemple Presse", "2025-07-16")]
    assert {a["source"] for a in story["articles"]} == {f"{stem}.md" for stem in DATED}
    assert all(a["url"].startswith("https://www.exemple.info/") for a in story["articles"])


def test_facts_and_differences_are_cited_exactly(client):
    story = the_story(client)
    texts = {a["source"]: client.get(f"/api/sources/{a['source']}").get_json()["text"] for a in story["articles"]}
    order = [a["source"] for a in story["articles"]]
    assert story["facts"], "the two seeds share facts"
    for fact in story["facts"]:
        sources = [s["citation"]["source"] for s in fact["statements"]]
        assert len(set(sources)) == len(sources) >= 2
        assert sources == sorted(sources, key=order.index)
        for statement in fact["statements"]:
            citation = statement["citation"]
            assert texts[citation["source"]][citation["start"] : citation["end"]] == statement["text"]
    assert story["differences"], "the two seeds differ somewhere"
    for difference in story["differences"]:
        here, there = difference["here_citation"], difference["there_citation"]
        assert texts[here["source"]][here["start"] : here["end"]] == difference["here"]
        assert texts[there["source"]][there["start"] : there["end"]] == difference["there"]
        assert order.index(here["source"]) < order.index(there["source"])  # the earlier article first


def test_an_unknown_story_is_a_json_404(client):
    for path in ("/api/stories/nope", "/stories/nope"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "unknown_story"


def test_the_openapi_document_describes_the_story(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/stories/{story_id}"]["get"]
    assert set(operation["responses"]) == {"200", "404"}
    assert set(spec["components"]["schemas"]["Story"]["required"]) == {"id", "shared", "articles", "facts", "differences"}


# --------------------------------------------------------------------------- the page, in a browser


@pytest.fixture(scope="module")
def page_server(tmp_path_factory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("story-page")
    live = LiveServer(tmp / "server.log", SEEDS_DIR=str(dated_seeds(tmp / "seeds")), INDEX_DIR=str(tmp / "index"),
                      MODEL="hashing", WORKERS=1, THREADS=2)
    with live:
        yield live


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("locale, language", [("fr-FR", "fr"), ("en-US", "en")])
def test_the_story_page_shows_who_reported_what_and_where_they_differ(browser, page_server, locale, language):
    messages = json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))
    story_id = json.loads(page_server.request("GET", "/api/stories")[2])["stories"][0]["id"]
    story = json.loads(page_server.request("GET", f"/api/stories/{story_id}")[2])
    context = browser.new_context(base_url=page_server.url, locale=locale, timezone_id="Europe/Paris")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto(f"/stories/{story_id}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#story-articles-title")).to_have_text(messages["story.articles"])
    dates = {"fr": ["15 juillet 2025", "16 juillet 2025"], "en": ["July 15, 2025", "July 16, 2025"]}[language]
    entries = page.get_by_test_id("story-articles").locator("li")
    expect(entries).to_have_count(2)
    for entry, date, outlet in zip(entries.all(), dates, ("Autre Journal", "Exemple Presse")):
        expect(entry.locator("time")).to_have_text(date)
        expect(entry).to_contain_text(outlet)
    facts = page.get_by_test_id("story-fact")
    expect(facts).to_have_count(len(story["facts"]))
    first = story["facts"][0]["statements"][0]
    link = facts.first.get_by_test_id("statement-citation").first
    expect(link).to_have_attribute("href", f"/sources/{first['citation']['source']}#{first['citation']['start']}-{first['citation']['end']}")
    differences = page.get_by_test_id("story-differences").get_by_test_id("difference")
    expect(differences).to_have_count(len(story["differences"]))
    shown = differences.first
    expect(shown.locator(".difference-kind")).to_have_text(messages[f"difference.{story['differences'][0]['kind']}"])
    expect(shown.locator("q").first).to_have_text(story["differences"][0]["here"])
    expect(shown.locator("q").nth(1)).to_have_text(story["differences"][0]["there"])
    # A statement's citation opens its article with the passage marked.
    link.click()
    expect(page.locator("mark.cited")).to_have_text(first["text"])
    ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
    ARTIFACTS.mkdir(exist_ok=True)
    page.go_back()
    page.screenshot(path=str(ARTIFACTS / f"story-{language}.png"))
    context.close()
    assert problems == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_source_page_links_to_its_story(browser, page_server):
    story_id = json.loads(page_server.request("GET", "/api/stories")[2])["stories"][0]["id"]
    context = browser.new_context(base_url=page_server.url, locale="fr-FR")
    page = context.new_page()
    page.goto(f"/sources/{next(iter(DATED))}.md")
    link = page.get_by_test_id("story-page-link")
    expect(link).to_have_attribute("href", f"/stories/{story_id}")
    link.click()
    expect(page.get_by_test_id("story-articles").locator("li")).to_have_count(2)
    context.close()
