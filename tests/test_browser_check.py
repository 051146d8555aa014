"""The "Check a claim" mode of the chat page in a real browser, in French and in English.

A real ``qa serve`` on the real default model (the check's verdicts are calibrated on its
scores), over the two seed articles with an outlet and a date each (``dated_seeds`` of
``test_story_view``: Autre Journal on 2025-07-15, Exemple Presse on 2025-07-16), and
Debian's Chromium under the server's Content-Security-Policy. A claim both articles state
shows its verdict, each source's verdict, the matching sentence marked and a timeline with
the first report marked; the same claim with its number or its date changed shows the
source that says it differently, the claim's words beside the source's; a blank claim shows
the service's error the way the chat shows one; the ClaimReview export shows the JSON-LD.
The expected texts come from the API's own answer, the labels from the catalogues.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from support.live_server import LiveServer
from test_story_view import dated_seeds

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CATALOGUES = Path(__file__).resolve().parent.parent / "qa" / "static" / "i18n"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

STATED = "Les missiles Tomahawk ont une portée d'environ 1 600 kilomètres."
CHANGED_NUMBER = "Les missiles Tomahawk ont une portée d'environ 2 500 kilomètres."
CHANGED_DATE = "L'appel entre Trump et Zelensky a eu lieu le 9 juillet."
# A failed request is a console error in Chromium; the blank claim's 400 is expected.
EXPECTED_CONSOLE = "status of 400"

expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("browser-check")
    live = LiveServer(tmp / "server.log", startup_timeout=300, SEEDS_DIR=str(dated_seeds(tmp / "seeds")),
                      INDEX_DIR=str(tmp / "index"), WORKERS=1, THREADS=4)
    with live:
        yield live


def api_check(server: LiveServer, claim: str) -> dict:
    status, _, body = server.request("POST", "/api/check", json.dumps({"claim": claim}).encode(), {"Content-Type": "application/json"})
    assert status == 200, body
    return json.loads(body)


def check_in_page(page, claim: str) -> object:
    """Type the claim, send it, wait for its result; the newest result block."""
    before = page.get_by_test_id("check-result").count()
    page.get_by_test_id("question").fill(claim)
    page.get_by_test_id("send").click()
    results = page.get_by_test_id("check-result")
    expect(results).to_have_count(before + 1)
    return results.last


@pytest.mark.parametrize("locale, language", [("fr-FR", "fr"), ("en-US", "en")])
def test_check_a_claim_in_the_page(browser, server, locale, language):
    messages = json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url, locale=locale,
                                  timezone_id="Europe/Paris")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: m.type == "error" and EXPECTED_CONSOLE not in m.text and problems.append(f"console: {m.text}"))
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", language)

    # The mode switch: pressed state, the box's label and the filters follow it.
    page.get_by_test_id("mode-check").click()
    expect(page.get_by_test_id("mode-check")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("mode-ask")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("label[for='question']")).to_have_text(messages["check.label"])
    expect(page.get_by_test_id("check-filters")).to_be_visible()
    expect(page.locator("#checks")).to_have_attribute("aria-live", "polite")

    # A claim both articles state.
    stated = api_check(server, STATED)
    assert stated["verdict"] == "stated" and len(stated["sources"]) == 2
    result = check_in_page(page, STATED)
    expect(result.get_by_test_id("check-verdict")).to_have_text(messages["verdict.stated"])
    expect(result.get_by_test_id("check-summary")).to_have_text(stated["summary"])
    sources = result.get_by_test_id("check-source")
    expect(sources).to_have_count(2)
    for shown, source in zip(sources.all(), stated["sources"]):
        expect(shown.get_by_test_id("source-verdict")).to_have_text(messages[f"source_verdict.{source['verdict']}"])
        expect(shown.get_by_test_id("claim-match").first).to_have_text(source["span"][0]["text"])
        citation = source["citation"]
        expect(shown.get_by_test_id("citation")).to_have_attribute(
            "href", f"/sources/{citation['source']}#{citation['start']}-{citation['end']}")
        expect(shown).to_contain_text(citation["outlet"])
    entries = result.get_by_test_id("timeline-entry")
    expect(entries).to_have_count(2)
    dates = {"fr": ["15 juillet 2025", "16 juillet 2025"], "en": ["July 15, 2025", "July 16, 2025"]}[language]
    for entry, date, outlet in zip(entries.all(), dates, ("Autre Journal", "Exemple Presse")):
        expect(entry.locator("time")).to_have_text(date)
        expect(entry).to_contain_text(outlet)
    expect(entries.first).to_have_attribute("data-first", "true")
    expect(entries.first).to_contain_text(messages["check.first_reported"])
    expect(entries.nth(1)).not_to_have_attribute("data-first", "true")
    expect(result.get_by_test_id("check-coverage")).to_contain_text("2")

    # The export: the same body as JSON-LD, shown and offered as a file.
    result.get_by_test_id("export-claimreview").click()
    shown_json = result.get_by_test_id("claimreview-json")
    expect(shown_json).to_contain_text('"@type": "ClaimReview"')
    review = json.loads(shown_json.text_content())
    assert review["claimReviewed"] == STATED
    assert len(review["itemReviewed"]["appearance"]) == 2
    expect(result.get_by_test_id("claimreview-download")).to_have_attribute("download", "claimreview.jsonld")

    # A citation opens the source view with the passage marked.
    sources.first.get_by_test_id("citation").click()
    expect(page.locator("mark.cited")).to_have_text(stated["sources"][0]["text"])
    page.get_by_test_id("source-close").click()

    # The number changed, then the date changed: the source that says it otherwise, side by side.
    for claim, kind, claim_words, source_words in [
        (CHANGED_NUMBER, "number", "2 500 kilomètres", "1 600 kilomètres"),
        (CHANGED_DATE, "date", "9 juillet", "4 juillet"),
    ]:
        expected = api_check(server, claim)
        assert expected["verdict"] == "stated_differently", expected
        result = check_in_page(page, claim)
        expect(result.get_by_test_id("check-verdict")).to_have_text(messages["verdict.stated_differently"])
        differing = result.locator("[data-testid=check-source][data-verdict=differs]")
        expect(differing).to_have_count(1)
        expect(differing.get_by_test_id("source-verdict")).to_have_text(messages["source_verdict.differs"])
        difference = differing.get_by_test_id("claim-difference").first
        expect(difference).to_have_attribute("data-kind", kind)
        expect(difference.locator(".difference-kind")).to_have_text(messages[f"difference.{kind}"])
        expect(difference.get_by_test_id("difference-claim").locator("q")).to_contain_text(claim_words)
        expect(difference.get_by_test_id("difference-source").locator("q")).to_contain_text(source_words)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"check-{language}.png"), full_page=True)

    # A blank claim: the service's error, shown as the chat shows one, the box kept.
    page.get_by_test_id("question").fill("   ")
    page.get_by_test_id("send").click()
    error = page.get_by_test_id("error").last
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text(messages["check.blank"])
    expect(error.get_by_test_id("retry")).to_be_visible()

    # Back to asking: the conversation is there again, the check results are not.
    page.get_by_test_id("mode-ask").click()
    expect(page.locator("label[for='question']")).to_have_text(messages["ask.label"])
    expect(page.get_by_test_id("check-area")).to_be_hidden()
    context.close()
    assert problems == []
