"""The chat page in a real browser: headless Debian Chromium driven by Playwright.

One real server for the session (``qa serve``: gunicorn, the real bundled model, a tmp
copy of the seeds and a tmp index), and a fresh browser context per test, so each test
starts with an empty conversation. The server sends its real Content-Security-Policy,
so a page that needed inline script or style would fail here. Any JavaScript error or
console error (a CSP violation is one) fails the test.

Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import copy_seeds
from live_server import LiveServer

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

TOMAHAWK = "Quelle est la portée des missiles Tomahawk ?"
ATACMS_FOLLOW_UP = "Et celle des Atacms ?"
OFF_TOPIC = "Qui a remporté la Coupe du monde de football 2022 ?"
HTML_QUESTION = 'Que dit <img src=x onerror="window.__pwned=1"> <b>gras</b> sur les Tomahawk ?'

expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("browser")
    live = LiveServer(
        tmp / "server.log",
        startup_timeout=300,
        SEEDS_DIR=str(copy_seeds(tmp / "seeds")),
        INDEX_DIR=str(tmp / "index"),
        MODEL="bundled",
        WORKERS=1,
        THREADS=4,
    )
    with live:
        yield live


class PageProblems:
    """JavaScript errors and console errors seen by a page."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on("console", lambda message: message.type == "error" and self.messages.append(f"console: {message.text}"))


def open_page(browser, server: LiveServer, width: int = 1280, height: int = 860):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=server.url)
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    return context, page, problems


@pytest.fixture
def desktop(browser, server) -> Iterator[object]:
    context, page, problems = open_page(browser, server)
    page.goto("/")
    yield page
    context.close()
    assert problems.messages == []


@pytest.fixture
def desktop_with_failing_requests(browser, server) -> Iterator[object]:
    """A desktop page for tests that make requests fail on purpose.

    Chromium logs each failed request as a console error; those are expected here.
    Every other console error, and any JavaScript error, still fails the test.
    """
    context, page, problems = open_page(browser, server)
    page.goto("/")
    yield page
    context.close()
    assert [m for m in problems.messages if not m.startswith("console: Failed to load resource")] == []


@pytest.fixture
def phone(browser, server) -> Iterator[object]:
    context, page, problems = open_page(browser, server, width=360, height=740)
    page.goto("/")
    yield page
    context.close()
    assert problems.messages == []


def screenshot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def ask(page, question: str, how: str = "enter"):
    """Type a question, send it, and return the new answer block once it is shown."""
    answers = page.get_by_test_id("answer")
    before = answers.count()
    box = page.get_by_test_id("question")
    box.fill(question)
    if how == "enter":
        box.press("Enter")
    else:
        page.get_by_test_id("send").click()
    expect(answers).to_have_count(before + 1)
    return answers.nth(before)


def scores(answer) -> list[float]:
    """The scores as shown ("score 0.97": the word is for screen readers)."""
    return [float(re.search(r"[\d.]+$", text).group()) for text in answer.locator(".score-value").all_text_contents()]


def api_ask(server: LiveServer, question: str, history: list[str] | None = None) -> dict:
    status, body = server.ask({"question": question, "history": history or []})
    assert status == 200, body
    return body


def api_source_text(server: LiveServer, source: str) -> str:
    status, _, body = server.request("GET", f"/api/sources/{source}")
    assert status == 200
    return json.loads(body)["text"]


# ---- the conversation ----


def test_answered_question_lists_cited_passages_best_first(desktop, server):
    answer = ask(desktop, TOMAHAWK)
    passages = answer.get_by_test_id("passage")
    expected = api_ask(server, TOMAHAWK)
    assert expected["answered"] is True
    expect(passages).to_have_count(len(expected["passages"]))
    expect(answer.get_by_test_id("no-answer")).to_have_count(0)

    # Each passage is the API's passage, in the API's order, rendered as exactly its text.
    for position, passage in enumerate(expected["passages"]):
        shown = passages.nth(position)
        assert shown.locator(".passage-text").text_content() == passage["text"]
        citation = passage["citation"]
        expect(shown.get_by_test_id("citation")).to_have_text(f"{citation['title']} ¶{citation['paragraph']}")
        if passage["highlight"]:
            start = passage["highlight"]["start"] - citation["start"]
            end = passage["highlight"]["end"] - citation["start"]
            expect(shown.locator("mark.best-sentence")).to_have_text(passage["text"][start:end])
    assert "Tomahawk" in passages.first.locator("mark").text_content()

    # The score bar: a small bar per passage, longer for a better passage.
    shown_scores = scores(answer)
    assert shown_scores == sorted(shown_scores, reverse=True) and len(shown_scores) == len(expected["passages"])
    widths = [box["width"] for box in (fill.bounding_box() for fill in answer.locator(".score-fill").all())]
    assert widths == sorted(widths, reverse=True) and widths[0] > 0

    # The question is kept in the conversation, and the box is ready for the next one.
    expect(desktop.get_by_test_id("asked")).to_have_text([TOMAHAWK])
    expect(desktop.get_by_test_id("question")).to_have_value("")
    screenshot(desktop, "answer-desktop")


def test_the_page_shows_it_is_working_while_the_server_answers(desktop):
    held = []
    desktop.route("**/api/ask", lambda route: held.append(route))
    desktop.get_by_test_id("question").fill(TOMAHAWK)
    desktop.get_by_test_id("send").click()
    expect(desktop.get_by_test_id("pending")).to_be_visible()
    expect(desktop.get_by_test_id("send")).to_be_disabled()
    expect(desktop.locator("#ask-form")).to_have_attribute("aria-busy", "true")
    screenshot(desktop, "working")
    assert len(held) == 1
    held[0].continue_()  # on to the real server
    expect(desktop.get_by_test_id("answer")).to_have_count(1)
    expect(desktop.get_by_test_id("pending")).to_have_count(0)
    expect(desktop.get_by_test_id("send")).to_be_enabled()


def test_a_server_failure_shows_an_error_and_keeps_the_question(desktop_with_failing_requests):
    page = desktop_with_failing_requests
    failing = "Quelle est la portée des missiles Tomahawk ? (second try)"
    page.route(
        "**/api/ask",
        lambda route: route.fulfill(
            status=500,
            content_type="application/json",
            body=json.dumps({"error": {"code": "internal_error", "message": "the server failed to answer"}}),
        ),
    )
    page.get_by_test_id("question").fill(failing)
    page.get_by_test_id("question").press("Enter")
    error = page.get_by_test_id("error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("the server failed to answer")
    expect(page.get_by_test_id("question")).to_have_value(failing)
    expect(page.get_by_test_id("answer")).to_have_count(0)
    screenshot(page, "server-error")

    # The server is back: "Try again" sends the same question and the error goes away.
    page.unroute("**/api/ask")
    page.get_by_test_id("retry").click()
    expect(page.get_by_test_id("answer")).to_have_count(1)
    expect(page.get_by_test_id("error")).to_have_count(0)
    expect(page.get_by_test_id("asked")).to_have_text([failing])


def test_a_network_failure_is_an_error_too(desktop_with_failing_requests):
    page = desktop_with_failing_requests
    page.route("**/api/ask", lambda route: route.abort("connectionrefused"))
    page.get_by_test_id("question").fill(TOMAHAWK)
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("error")).to_contain_text("could not be reached")
    expect(page.get_by_test_id("question")).to_have_value(TOMAHAWK)
    # Enter in the kept question sends it again; the failed attempt is replaced by the answer.
    page.unroute("**/api/ask")
    page.get_by_test_id("question").press("Enter")
    expect(page.get_by_test_id("answer")).to_have_count(1)
    expect(page.get_by_test_id("error")).to_have_count(0)


def test_shift_enter_adds_a_line_and_enter_sends(desktop):
    box = desktop.get_by_test_id("question")
    box.click()
    box.type("Quelle est la portée")
    box.press("Shift+Enter")
    box.type("des missiles Tomahawk ?")
    expect(box).to_have_value("Quelle est la portée\ndes missiles Tomahawk ?")
    expect(desktop.get_by_test_id("answer")).to_have_count(0)
    box.press("Enter")
    expect(desktop.get_by_test_id("answer")).to_have_count(1)
    expect(desktop.get_by_test_id("asked")).to_have_text(["Quelle est la portée\ndes missiles Tomahawk ?"])


def test_a_question_with_html_is_shown_as_text_and_never_run(desktop):
    answer = ask(desktop, HTML_QUESTION, how="button")
    expect(answer).to_be_visible()
    asked = desktop.get_by_test_id("asked")
    assert asked.text_content() == HTML_QUESTION
    assert desktop.locator(".conversation img, .conversation b").count() == 0
    assert desktop.evaluate("window.__pwned") is None
    # A follow-up repeats the earlier question in its note: still text.
    follow_up = ask(desktop, "Et la portée ?")
    assert desktop.locator(".conversation img").count() == 0
    if follow_up.locator(".follow-up-note").count():
        assert HTML_QUESTION in follow_up.locator(".follow-up-note").text_content()
    assert desktop.evaluate("window.__pwned") is None
    screenshot(desktop, "html-question")


# ---- no answer ----


def test_an_off_topic_question_says_the_articles_do_not_answer(desktop, server):
    expected = api_ask(server, OFF_TOPIC)
    assert expected["answered"] is False, "the service answered an off-topic question: " + json.dumps(
        expected["passages"][:1], ensure_ascii=False
    )
    answer = ask(desktop, OFF_TOPIC)
    expect(answer.get_by_test_id("no-answer")).to_be_visible()
    expect(answer.get_by_test_id("no-answer")).to_contain_text("do not answer")
    closest = answer.locator("details.closest")
    expect(closest.locator("summary")).to_contain_text("Closest passages")
    # Folded away until asked for.
    assert closest.get_attribute("open") is None
    expect(answer.get_by_test_id("passage").first).to_be_hidden()
    screenshot(desktop, "no-answer-folded")
    closest.locator("summary").click()
    expect(answer.get_by_test_id("passage")).to_have_count(len(expected["passages"]))
    expect(answer.get_by_test_id("passage").first).to_be_visible()
    screenshot(desktop, "no-answer-unfolded")


# ---- the source viewer ----


def test_a_citation_opens_the_article_with_the_passage_marked(desktop, server):
    answer = ask(desktop, TOMAHAWK)
    passage = answer.get_by_test_id("passage").nth(1)
    passage_text = passage.locator(".passage-text").text_content()
    citation = passage.get_by_test_id("citation")
    source = citation.get_attribute("data-source")
    start, end = int(citation.get_attribute("data-start")), int(citation.get_attribute("data-end"))
    citation.click()

    viewer = desktop.get_by_test_id("source-view")
    expect(viewer).to_be_visible()
    mark = viewer.locator("mark")
    expect(mark).to_have_count(1)
    assert mark.text_content() == passage_text
    assert api_source_text(server, source)[start:end] == passage_text
    expect(mark).to_be_in_viewport()
    expect(viewer.locator("#source-title")).to_have_text(citation.text_content().rsplit(" ¶", 1)[0])
    # The viewer holds the whole article: the text around the mark is the rest of the source.
    assert viewer.locator("#source-text").text_content() == api_source_text(server, source)
    # The conversation is still beside it.
    expect(answer).to_be_visible()
    screenshot(desktop, "source-panel-desktop")

    desktop.get_by_test_id("source-close").click()
    expect(viewer).to_be_hidden()
    expect(desktop.get_by_test_id("answer")).to_have_count(1)
    expect(citation).to_be_focused()


def test_the_source_viewer_works_from_the_keyboard_and_the_back_button(desktop):
    answer = ask(desktop, TOMAHAWK)
    citation = answer.get_by_test_id("citation").first
    citation.focus()
    desktop.keyboard.press("Enter")
    viewer = desktop.get_by_test_id("source-view")
    expect(viewer.locator("mark")).to_be_focused()
    desktop.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(citation).to_be_focused()

    # The browser's back button closes the panel too, and the conversation stays.
    citation.click()
    expect(viewer.locator("mark")).to_be_visible()
    desktop.go_back()
    expect(viewer).to_be_hidden()
    expect(desktop.get_by_test_id("answer")).to_have_count(1)
    assert desktop.url.endswith("/")


def test_the_source_page_marks_the_passage_and_the_conversation_survives(desktop, server):
    answer = ask(desktop, TOMAHAWK)
    passage = answer.get_by_test_id("passage").first
    passage_text = passage.locator(".passage-text").text_content()
    href = passage.get_by_test_id("citation").get_attribute("href")
    assert re.fullmatch(r"/sources/[^#]+#\d+-\d+", href)

    desktop.goto(href)  # what a middle click or "open in a new tab" leads to
    viewer = desktop.get_by_test_id("source-view")
    mark = viewer.locator("mark")
    expect(mark).to_have_text(passage_text)
    expect(mark).to_be_in_viewport()
    # Each line of the article reads as its own paragraph, with a gap, while the page's
    # text stays exactly the source's (the offsets in the link index it).
    source = href.split("/sources/", 1)[1].split("#", 1)[0]
    article = api_source_text(server, source.replace("%2F", "/"))
    assert viewer.locator("#source-text").text_content() == article
    breaks = viewer.locator("#source-text .line-break")
    expect(breaks).to_have_count(article.count("\n"))
    first, second = viewer.locator("#source-text").evaluate(
        """text => {
            const range = document.createRange();
            const nodes = [...text.childNodes].filter(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
            return nodes.slice(0, 2).map(n => { range.selectNodeContents(n); const r = range.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; });
        }"""
    )
    line_height = float(viewer.locator("#source-text").evaluate("t => parseFloat(getComputedStyle(t).lineHeight)"))
    assert second["top"] - first["bottom"] >= 0.5 * line_height  # a visible gap between paragraphs
    screenshot(desktop, "source-page")

    desktop.get_by_test_id("back").click()
    expect(desktop.get_by_test_id("answer")).to_have_count(1)
    expect(desktop.get_by_test_id("asked")).to_have_text([TOMAHAWK])
    assert desktop.get_by_test_id("passage").first.locator(".passage-text").text_content() == passage_text
    # The restored conversation still gives its history to the next question.
    with desktop.expect_request("**/api/ask") as request:
        ask(desktop, ATACMS_FOLLOW_UP)
    assert request.value.post_data_json["history"] == [TOMAHAWK]


# ---- follow-ups ----


def test_a_follow_up_question_uses_the_earlier_one(desktop, server):
    ask(desktop, TOMAHAWK)
    with desktop.expect_request("**/api/ask") as request:
        follow_up = ask(desktop, ATACMS_FOLLOW_UP)
    assert request.value.post_data_json == {"question": ATACMS_FOLLOW_UP, "history": [TOMAHAWK]}
    expect(follow_up.locator(".follow-up-note")).to_contain_text(TOMAHAWK)
    best = follow_up.get_by_test_id("passage").first.locator(".passage-text").text_content()
    screenshot(desktop, "follow-up", full_page=True)
    assert "Atacms" in best and "300" in best, f"the follow-up's best passage is not the Atacms range: {best!r}"


def test_the_page_sends_at_most_five_earlier_questions_oldest_first(desktop):
    questions = [f"Que sait-on du sujet numéro {n} ?" for n in range(1, 7)]
    for question in questions:
        ask(desktop, question)
    with desktop.expect_request("**/api/ask") as request:
        ask(desktop, "Et ensuite ?")
    assert request.value.post_data_json["history"] == questions[-5:]


def test_new_conversation_forgets_the_history(desktop):
    ask(desktop, TOMAHAWK)
    desktop.get_by_test_id("new-conversation").click()
    expect(desktop.get_by_test_id("answer")).to_have_count(0)
    with desktop.expect_request("**/api/ask") as request:
        ask(desktop, ATACMS_FOLLOW_UP)
    assert request.value.post_data_json["history"] == []


# ---- small screens ----


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] and (
        box["y"] + box["height"] <= size["height"]
    )


def test_the_page_is_usable_360_pixels_wide(phone):
    screenshot(phone, "phone-empty")
    assert no_horizontal_scroll(phone)
    for hook in ("question", "send"):
        expect(phone.get_by_test_id(hook)).to_be_visible()
        assert inside_viewport(phone, phone.get_by_test_id(hook)), hook

    answer = ask(phone, TOMAHAWK)
    expect(answer.get_by_test_id("passage").first).to_be_visible()
    assert no_horizontal_scroll(phone)
    # The question box stays on screen under a long answer.
    assert inside_viewport(phone, phone.get_by_test_id("question"))
    assert inside_viewport(phone, phone.get_by_test_id("send"))
    screenshot(phone, "phone-answer")

    ask(phone, OFF_TOPIC)
    assert no_horizontal_scroll(phone)
    screenshot(phone, "phone-no-answer")

    answer.get_by_test_id("citation").first.click()
    viewer = phone.get_by_test_id("source-view")
    expect(viewer.locator("mark")).to_be_in_viewport()
    close = phone.get_by_test_id("source-close")
    assert inside_viewport(phone, close)
    assert no_horizontal_scroll(phone)
    screenshot(phone, "phone-source")
    # The panel covers the screen: Tab reaches its controls, never the conversation under it.
    reached = []
    for _ in range(4):
        phone.keyboard.press("Tab")
        assert phone.evaluate("!document.querySelector('.chat-column').contains(document.activeElement)")
        reached.append(phone.evaluate("document.activeElement.id"))
    assert "source-close" in reached
    close.click()
    expect(viewer).to_be_hidden()
    expect(phone.get_by_test_id("answer")).to_have_count(2)
    expect(phone.get_by_test_id("question")).to_be_editable()


def test_an_example_question_is_asked_in_one_click(desktop):
    example = desktop.locator("button.example").first
    text = example.text_content()
    example.click()
    expect(desktop.get_by_test_id("answer")).to_have_count(1)
    expect(desktop.get_by_test_id("asked")).to_have_text([text])
    expect(desktop.locator("#welcome")).to_be_hidden()


# ---- corroboration across sources (issue 7) ----

ZELENSKY_ANSWER = "Qu'a répondu Zelensky à Trump ?"


def test_a_passage_shows_the_other_articles_and_the_differences_side_by_side(desktop, server):
    expected = api_ask(server, ZELENSKY_ANSWER)
    position, passage = next(
        (i, p) for i, p in enumerate(expected["passages"]) if p["also_in"] and p["differences"]
    )
    answer = ask(desktop, ZELENSKY_ANSWER)
    shown = answer.get_by_test_id("passage").nth(position)

    # "Also reported by <other title>", one link per aligned passage, into the source viewer.
    titles = {other["citation"]["title"] for other in passage["also_in"]}
    block = shown.get_by_test_id("corroboration")
    for title in titles:
        expect(block.locator(".also-in-label")).to_contain_text(title)
    expect(shown.get_by_test_id("also-in")).to_have_text(
        [f"{o['citation']['title']} ¶{o['citation']['paragraph']}" for o in passage["also_in"]]
    )

    # Each difference: its kind, both wordings, both citations.
    rows = shown.get_by_test_id("difference")
    expect(rows).to_have_count(len(passage["differences"]))
    for index, difference in enumerate(passage["differences"]):
        row = rows.nth(index)
        assert row.get_attribute("data-kind") == difference["kind"]
        assert row.locator("q").all_text_contents() == [difference["here"], difference["there"]]
        for test_id, key in (("difference-here", "here_citation"), ("difference-there", "there_citation")):
            link = row.get_by_test_id(test_id)
            assert int(link.get_attribute("data-start")) == difference[key]["start"]
            assert int(link.get_attribute("data-end")) == difference[key]["end"]
    # Side by side on a desktop: the two wordings sit on one line.
    here_box, there_box = (side.bounding_box() for side in rows.first.locator(".difference-side").all())
    assert abs(here_box["y"] - there_box["y"]) < 2 and there_box["x"] > here_box["x"] + here_box["width"] - 1
    screenshot(desktop, "corroboration-desktop")

    # The other article's wording opens in the source viewer, marked.
    first = passage["differences"][0]
    rows.first.get_by_test_id("difference-there").click()
    viewer = desktop.get_by_test_id("source-view")
    expect(viewer).to_be_visible()
    expect(viewer.locator("mark")).to_have_text(first["there"])
    assert api_source_text(server, first["there_citation"]["source"])[
        first["there_citation"]["start"] : first["there_citation"]["end"]
    ] == first["there"]
    expect(viewer.locator("#source-title")).to_have_text(first["there_citation"]["title"])
