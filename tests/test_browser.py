"""The chat page in a real browser: headless Debian Chromium driven by Playwright.

Two real servers for the session (``qa serve``: gunicorn, a tmp copy of the seeds and a
tmp index): ``server`` on the real bundled model, for the tests whose assertions depend on
what the answers say, and ``page_server`` on the fast ``hashing`` model, for the tests
about the page itself (its labels, languages, states and layout). A fresh browser context
per test, so each test starts with an empty conversation, in the language it asks for
(``locale``: Chromium's Accept-Language and ``navigator.languages``). The servers send
their real Content-Security-Policy, so a page that needed inline script or style would
fail here. Any JavaScript error or console error (a CSP violation is one) fails the test.

The page's languages (French and English) are covered in the last part of this file.

Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from support.app import copy_seeds
from support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CATALOGUES = Path(__file__).resolve().parent.parent / "qa" / "static" / "i18n"

TOMAHAWK = "Quelle est la portée des missiles Tomahawk ?"
ATACMS_FOLLOW_UP = "Et celle des Atacms ?"
OFF_TOPIC = "Qui a remporté la Coupe du monde de football 2022 ?"
HTML_QUESTION = 'Que dit <img src=x onerror="window.__pwned=1"> <b>gras</b> sur les Tomahawk ?'

# An article with front matter (issue 14): its citations carry outlet, date and URL.
METADATA_SOURCE = "900_quarvelle.md"
METADATA_ARTICLE = """---
title: "Le festival de Quarvelle ouvre ses portes"
outlet: Exemple Info
published: 2025-07-15
url: https://www.exemple.info/culture/festival-quarvelle
author: Camille Durand
---
Le festival de Quarvelle ouvre ses portes

Le festival de musique de Quarvelle ouvre ses portes le 18 juillet, pour trois jours de concerts sur les berges de la Lirande.
Les organisateurs attendent douze mille spectateurs, deux fois plus que lors de la première édition du festival de Quarvelle.
"""
QUARVELLE = "Combien de spectateurs attend le festival de Quarvelle ?"

expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    """The real default model (e5, whose scores the abstention is calibrated on): for the
    tests that check what the answers say."""
    tmp = tmp_path_factory.mktemp("browser")
    live = LiveServer(
        tmp / "server.log",
        startup_timeout=300,
        SEEDS_DIR=str(copy_seeds(tmp / "seeds")),
        INDEX_DIR=str(tmp / "index"),
        WORKERS=1,
        THREADS=4,
    )
    with live:
        yield live


@pytest.fixture(scope="session")
def page_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The hashing model (fast, no torch): for the tests about the page, not the answers."""
    tmp = tmp_path_factory.mktemp("browser-page")
    seeds = copy_seeds(tmp / "seeds")
    (seeds / METADATA_SOURCE).write_text(METADATA_ARTICLE, encoding="utf-8")
    # Abstention is calibrated on e5's cosines; the fake embedder's mean nothing, so this
    # server always answers (the no-answer path is tested on the real model).
    live = LiveServer(
        tmp / "server.log", SEEDS_DIR=str(seeds), INDEX_DIR=str(tmp / "index"), MODEL="hashing", WORKERS=1, THREADS=4,
        MIN_SUPPORT=0,
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


def open_page(browser, server: LiveServer, width: int = 1280, height: int = 860, locale: str = "en-US"):
    """A new browser context whose reader reads ``locale`` (Accept-Language and navigator.languages)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=server.url, locale=locale, timezone_id="Europe/Paris"
    )
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    return context, page, problems


@pytest.fixture
def desktop(browser, server) -> Iterator[object]:
    """The real model, an English-reading browser (the assertions below read English labels)."""
    context, page, problems = open_page(browser, server)
    page.goto("/")
    yield page
    context.close()
    assert problems.messages == []


@pytest.fixture
def page_desktop(browser, page_server) -> Iterator[object]:
    """The hashing model, an English-reading browser."""
    context, page, problems = open_page(browser, page_server)
    page.goto("/")
    yield page
    context.close()
    assert problems.messages == []


@pytest.fixture
def desktop_with_failing_requests(browser, page_server) -> Iterator[object]:
    """A desktop page for tests that make requests fail on purpose.

    Chromium logs each failed request as a console error; those are expected here.
    Every other console error, and any JavaScript error, still fails the test.
    """
    context, page, problems = open_page(browser, page_server)
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


def test_the_page_shows_it_is_working_while_the_server_answers(page_desktop):
    held = []
    page_desktop.route("**/api/ask", lambda route: held.append(route))
    page_desktop.get_by_test_id("question").fill(TOMAHAWK)
    page_desktop.get_by_test_id("send").click()
    expect(page_desktop.get_by_test_id("pending")).to_be_visible()
    expect(page_desktop.get_by_test_id("send")).to_be_disabled()
    expect(page_desktop.locator("#ask-form")).to_have_attribute("aria-busy", "true")
    screenshot(page_desktop, "working")
    assert len(held) == 1
    held[0].continue_()  # on to the real server
    expect(page_desktop.get_by_test_id("answer")).to_have_count(1)
    expect(page_desktop.get_by_test_id("pending")).to_have_count(0)
    expect(page_desktop.get_by_test_id("send")).to_be_enabled()


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


def test_shift_enter_adds_a_line_and_enter_sends(page_desktop):
    box = page_desktop.get_by_test_id("question")
    box.click()
    box.type("Quelle est la portée")
    box.press("Shift+Enter")
    box.type("des missiles Tomahawk ?")
    expect(box).to_have_value("Quelle est la portée\ndes missiles Tomahawk ?")
    expect(page_desktop.get_by_test_id("answer")).to_have_count(0)
    box.press("Enter")
    expect(page_desktop.get_by_test_id("answer")).to_have_count(1)
    expect(page_desktop.get_by_test_id("asked")).to_have_text(["Quelle est la portée\ndes missiles Tomahawk ?"])


def test_a_question_with_html_is_shown_as_text_and_never_run(page_desktop):
    answer = ask(page_desktop, HTML_QUESTION, how="button")
    expect(answer).to_be_visible()
    asked = page_desktop.get_by_test_id("asked")
    assert asked.text_content() == HTML_QUESTION
    assert page_desktop.locator(".conversation img, .conversation b").count() == 0
    assert page_desktop.evaluate("window.__pwned") is None
    # A follow-up repeats the earlier question in its note: still text.
    follow_up = ask(page_desktop, "Et la portée ?")
    assert page_desktop.locator(".conversation img").count() == 0
    if follow_up.locator(".follow-up-note").count():
        assert HTML_QUESTION in follow_up.locator(".follow-up-note").text_content()
    assert page_desktop.evaluate("window.__pwned") is None
    screenshot(page_desktop, "html-question")


# ---- no answer ----


# The no-answer block's words, in each language the page speaks.
NO_ANSWER_WORDS = {
    "en-US": ("do not answer", "Closest passages"),
    "fr-FR": ("ne répondent pas", "Passages les plus proches"),
}


@pytest.mark.parametrize("locale", NO_ANSWER_WORDS)
def test_an_off_topic_question_says_the_articles_do_not_answer(browser, server, locale):
    expected = api_ask(server, OFF_TOPIC)
    assert expected["answered"] is False, "the service answered an off-topic question: " + json.dumps(
        expected["passages"][:1], ensure_ascii=False
    )
    context, page, problems = open_page(browser, server, locale=locale)
    page.goto("/")
    says, closest_label = NO_ANSWER_WORDS[locale]
    answer = ask(page, OFF_TOPIC)
    expect(answer.get_by_test_id("no-answer")).to_be_visible()
    expect(answer.get_by_test_id("no-answer")).to_contain_text(says)
    closest = answer.locator("details.closest")
    # Its own summary: the passages inside may carry their own (differences between sources).
    expect(closest.locator("> summary")).to_contain_text(closest_label)
    # Folded away until asked for.
    assert closest.get_attribute("open") is None
    expect(answer.get_by_test_id("passage").first).to_be_hidden()
    screenshot(page, f"no-answer-folded-{locale}")
    closest.locator("> summary").click()
    expect(answer.get_by_test_id("passage")).to_have_count(len(expected["passages"]))
    expect(answer.get_by_test_id("passage").first).to_be_visible()
    screenshot(page, f"no-answer-unfolded-{locale}")
    context.close()
    assert problems.messages == []


# What the page says under the no-answer line, per abstention: the question, the API's
# abstention, and the line in each language.
ABSTENTION_LINES = {
    "names_not_found": (
        "Quelle est la portée des missiles Taurus ?",
        {"reason": "names_not_found", "not_found": ["Taurus"], "other_language": None},
        {"en-US": "The closest article does not mention: Taurus.", "fr-FR": "L’article le plus proche ne mentionne pas\u00a0: Taurus."},
    ),
    "date_not_found": (
        "Quand aura lieu la prochaine élection présidentielle américaine ?",
        {"reason": "date_not_found", "not_found": [], "other_language": None},
        {"en-US": "The closest passage gives no date.", "fr-FR": "Le passage le plus proche ne donne aucune date."},
    ),
    # An English question over French articles, refused for weak support: the line says the
    # passages are in French, in the page's language, and the folded passages are not
    # called non-answers.
    "weak_support_other_language": (
        "What is the boiling point of water at sea level?",
        {"reason": "weak_support", "not_found": [], "other_language": "fr"},
        {
            "en-US": "The closest passages are in French, and a question in another language is matched less closely: "
            "asked in French, it may find an answer.",
            "fr-FR": "Les passages les plus proches sont en français, et une question posée dans une autre langue leur est "
            "moins bien rapprochée\u00a0: posée en français, elle pourrait trouver une réponse.",
        },
    ),
}
CLOSEST_WARNINGS = {
    "en-US": ("These passages came nearest, but they do not answer the question.", "Read them: one may still answer"),
    "fr-FR": ("Ces passages sont les plus proches, mais ils ne répondent pas à la question.", "l’un d’eux répond peut-être"),
}


@pytest.mark.parametrize("locale", ["en-US", "fr-FR"])
@pytest.mark.parametrize("reason", ABSTENTION_LINES)
def test_an_abstention_says_why_under_the_no_answer_line(browser, server, reason, locale):
    question, abstention, lines = ABSTENTION_LINES[reason]
    expected = api_ask(server, question)
    assert expected["answered"] is False and expected["abstention"] == abstention, expected["abstention"]
    context, page, problems = open_page(browser, server, locale=locale)
    page.goto("/")
    answer = ask(page, question)
    expect(answer.get_by_test_id("no-answer")).to_be_visible()
    expect(answer.get_by_test_id("not-found")).to_have_text(lines[locale])
    firm, doubtful = CLOSEST_WARNINGS[locale]
    warning = answer.locator(".closest-warning")
    if abstention["other_language"]:
        expect(warning).to_contain_text(doubtful)
    else:
        expect(warning).to_have_text(firm)
    screenshot(page, f"{reason}-{locale}")
    context.close()
    assert problems.messages == []


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


def test_the_page_sends_at_most_five_earlier_questions_oldest_first(page_desktop):
    questions = [f"Que sait-on du sujet numéro {n} ?" for n in range(1, 7)]
    for question in questions:
        ask(page_desktop, question)
    with page_desktop.expect_request("**/api/ask") as request:
        ask(page_desktop, "Et ensuite ?")
    assert request.value.post_data_json["history"] == questions[-5:]


def test_new_conversation_forgets_the_history(page_desktop):
    ask(page_desktop, TOMAHAWK)
    page_desktop.get_by_test_id("new-conversation").click()
    expect(page_desktop.get_by_test_id("answer")).to_have_count(0)
    with page_desktop.expect_request("**/api/ask") as request:
        ask(page_desktop, ATACMS_FOLLOW_UP)
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


def test_an_example_question_is_asked_in_one_click(page_desktop):
    example = page_desktop.locator("button.example").first
    text = example.text_content()
    example.click()
    expect(page_desktop.get_by_test_id("answer")).to_have_count(1)
    expect(page_desktop.get_by_test_id("asked")).to_have_text([text])
    expect(page_desktop.locator("#welcome")).to_be_hidden()


# ---- corroboration across sources (issue 7) ----

ZELENSKY_ANSWER = "Qu'a répondu Zelensky à Trump ?"


def test_a_passage_shows_the_other_articles_and_the_differences_side_by_side(browser, server):
    """In French, as most readers see it."""
    context, desktop, problems = open_page(browser, server, locale="fr-FR")
    desktop.goto("/")
    expected = api_ask(server, ZELENSKY_ANSWER)
    position, passage = next(
        (i, p) for i, p in enumerate(expected["passages"]) if p["also_in"] and p["differences"]
    )
    answer = ask(desktop, ZELENSKY_ANSWER)
    shown = answer.get_by_test_id("passage").nth(position)

    # "Aussi rapporté par <other outlet, or title>", one link per aligned passage, into the source viewer.
    names = {other["citation"].get("outlet") or other["citation"]["title"] for other in passage["also_in"]}
    block = shown.get_by_test_id("corroboration")
    expect(block.locator(".also-in-label")).to_contain_text("Aussi rapporté par")
    for name in names:
        expect(block.locator(".also-in-label")).to_contain_text(name)
    expect(shown.get_by_test_id("also-in")).to_have_text(
        [f"{o['citation']['title']} ¶{o['citation']['paragraph']}" for o in passage["also_in"]]
    )

    # Each difference: its kind, both wordings, both citations.
    rows = shown.get_by_test_id("difference")
    expect(rows).to_have_count(len(passage["differences"]))
    count = len(passage["differences"])
    expect(block.locator("details.differences summary")).to_have_text(
        "1 différence entre les sources" if count == 1 else f"{count} différences entre les sources"
    )
    for index, difference in enumerate(passage["differences"]):
        row = rows.nth(index)
        assert row.get_attribute("data-kind") == difference["kind"]
        expect(row.locator(".difference-kind")).to_have_text(catalogue("fr")[f"difference.{difference['kind']}"])
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
    context.close()
    assert problems.messages == []


# ---- the reader's language (issue 14) ----


def catalogue(language: str) -> dict:
    return json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))


# What a reader of each language sees before asking anything, written out here (not read
# from the catalogue), so that a wrong catalogue entry fails too.
LABELS = {
    "fr": {"ask": "Votre question", "send": "Envoyer", "welcome": "Posez une question sur les articles", "back": "← Retour à la conversation", "switch": "Français"},
    "en": {"ask": "Your question", "send": "Send", "welcome": "Ask a question about the articles", "back": "← Back to the conversation", "switch": "English"},
}


def only_in(language: str, other: str) -> set[str]:
    """Phrases of `language`'s catalogue that `other`'s does not have: none may show in `other`."""
    def phrases(messages: dict) -> set[str]:
        found = set()
        for value in messages.values():
            for text in value.values() if isinstance(value, dict) else [value]:
                for part in re.split(r"\{\w+\}", text):
                    part = part.strip(" :.\u00a0←")
                    if len(part.split()) >= 2:
                        found.add(part)
        return found

    return phrases(catalogue(language)) - phrases(catalogue(other))


def visible_words(page) -> str:
    """The page's visible text, and the words of its titles, labels and placeholders."""
    return page.evaluate(
        """() => [document.body.innerText,
                  ...[...document.querySelectorAll('[title], [aria-label], [placeholder]')].flatMap(
                      e => [e.title, e.getAttribute('aria-label'), e.getAttribute('placeholder')])].join('\\n')"""
    )


@pytest.mark.parametrize(
    "locale, language",
    [("fr-FR", "fr"), ("fr-CA", "fr"), ("en-US", "en"), ("en-GB", "en"), ("de-DE", "fr")],
    ids=["fr-FR", "fr-CA", "en-US", "en-GB", "de-DE-falls-back-to-french"],
)
def test_the_page_speaks_the_readers_language(browser, page_server, locale, language):
    """Accept-Language chooses French or English; a reader of neither gets French."""
    context, page, problems = open_page(browser, page_server, locale=locale)
    page.goto("/")
    labels = LABELS[language]
    assert page.evaluate("document.documentElement.lang") == language
    expect(page.locator("label[for=question]")).to_have_text(labels["ask"])
    expect(page.get_by_test_id("send")).to_have_text(labels["send"])
    expect(page.locator("#welcome-title")).to_have_text(labels["welcome"])
    expect(page.get_by_test_id("question")).to_have_attribute("placeholder", catalogue(language)["ask.placeholder"])
    pressed = page.get_by_test_id("language-switch").locator("button[aria-pressed=true]")
    expect(pressed).to_have_text(labels["switch"])
    context.close()
    assert problems.messages == []


@pytest.mark.parametrize("language, other", [("fr", "en"), ("en", "fr")])
def test_every_label_is_in_the_readers_language(browser, page_server, language, other):
    """Through a whole visit (answer, corroboration, source panel, error, source page),
    no phrase of the other language's catalogue shows, in the text or in any title."""
    context, page, problems = open_page(browser, page_server, locale={"fr": "fr-FR", "en": "en-US"}[language])
    page.goto("/")
    foreign = only_in(other, language)
    assert len(foreign) > 30

    def assert_no_foreign_words(where: str) -> None:
        words = visible_words(page)
        shown = sorted(phrase for phrase in foreign if phrase in words)
        assert shown == [], f"{where}: {shown}"

    expect(page.locator("#sources-line")).to_be_visible()
    assert_no_foreign_words("welcome")
    count = len(api_ask(page_server, TOMAHAWK)["passages"])
    answer = ask(page, TOMAHAWK)
    expect(answer.locator(".answer-summary")).to_have_text(
        {"fr": f"{count} passages répondent à cette question, du plus pertinent au moins pertinent.",
         "en": f"{count} passages answer this question, best first."}[language]
    )
    expect(answer.get_by_test_id("corroboration").first).to_be_visible()
    assert_no_foreign_words("answer")
    ask(page, ATACMS_FOLLOW_UP)
    answer.get_by_test_id("citation").first.click()
    expect(page.get_by_test_id("source-view").locator("mark")).to_be_visible()
    expect(page.locator("#source-meta")).to_contain_text({"fr": "caractères", "en": "characters"}[language])
    assert_no_foreign_words("source panel")
    screenshot(page, f"lang-{language}-panel")
    page.get_by_test_id("source-close").click()

    page.route("**/api/ask", lambda route: route.abort("connectionrefused"))
    ask_box = page.get_by_test_id("question")
    ask_box.fill("Et ensuite ?")
    ask_box.press("Enter")
    expect(page.get_by_test_id("error")).to_contain_text(catalogue(language)["error.network"])
    assert_no_foreign_words("error")
    page.unroute("**/api/ask")

    page.goto(answer.get_by_test_id("citation").first.get_attribute("href"))
    expect(page.get_by_test_id("source-view").locator("mark")).to_be_visible()
    expect(page.get_by_test_id("back")).to_have_text(LABELS[language]["back"])
    assert_no_foreign_words("source page")
    context.close()
    assert [m for m in problems.messages if not m.startswith("console: Failed to load resource")] == []


def test_the_language_switch_changes_the_page_and_is_remembered(browser, page_server):
    context, page, problems = open_page(browser, page_server, locale="en-US")
    page.goto("/")
    answer = ask(page, TOMAHAWK)
    answer.get_by_test_id("citation").first.click()
    expect(page.get_by_test_id("source-view").locator("mark")).to_be_visible()
    url_with_panel = page.url
    assert "#view=" in url_with_panel

    # Français: the page comes back in French, with the conversation and the open panel.
    with page.expect_response("**/language") as saved:
        page.get_by_test_id("language-switch").get_by_role("button", name="Français").click()
    assert saved.value.status == 204
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("label[for=question]")).to_have_text(LABELS["fr"]["ask"])
    assert page.url == url_with_panel
    expect(page.get_by_test_id("answer")).to_have_count(1)
    expect(page.get_by_test_id("answer").locator(".answer-summary")).to_contain_text("répondent à cette question")
    expect(page.get_by_test_id("source-view").locator("mark")).to_be_visible()
    expect(page.get_by_test_id("source-close")).to_have_text(LABELS["fr"]["back"])
    assert {c["name"]: c["value"] for c in context.cookies()}.get("lang") == "fr"

    # Remembered: a reload and a new tab of this browser are French from the server's
    # first byte (no English flash), although the browser still asks for English.
    page.reload()
    expect(page.locator("label[for=question]")).to_have_text(LABELS["fr"]["ask"])
    other = context.new_page()
    response = other.goto("/sources/000_49f69a7d4a642e90.txt")
    assert response.headers["content-language"] == "fr"
    assert '<html lang="fr"' in response.text()
    expect(other.get_by_test_id("back")).to_have_text(LABELS["fr"]["back"])

    # And back to English from the source page's own switch.
    other.get_by_test_id("language-switch").get_by_role("button", name="English").click()
    expect(other.get_by_test_id("back")).to_have_text(LABELS["en"]["back"])
    expect(other.locator("html")).to_have_attribute("lang", "en")
    context.close()
    assert problems.messages == []


def test_the_language_switch_works_without_script(browser, page_server):
    context = browser.new_context(base_url=page_server.url, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto("/sources/000_49f69a7d4a642e90.txt")
    expect(page.get_by_test_id("back")).to_have_text(LABELS["fr"]["back"])
    page.get_by_test_id("language-switch").get_by_role("button", name="English").click()
    expect(page.get_by_test_id("back")).to_have_text(LABELS["en"]["back"])
    assert page.url.endswith("/sources/000_49f69a7d4a642e90.txt")
    context.close()


# The citation fields of issue 14, rendered by the page's own modules in real Chromium:
# a real answer of the live server, its citations given outlet, published and url (the
# server fills them once the corpus reads front matter and HTML metadata).
ORIGINS = {
    # published -> as a reader of fr-FR, en-US and en-GB sees it (the browser is in Paris)
    "2025-07-15": ("15 juillet 2025", "July 15, 2025", "15 July 2025"),
    "2025-07-15T23:30:00-04:00": ("16 juillet 2025", "July 16, 2025", "16 July 2025"),
    "2025-07": ("juillet 2025", "July 2025", "July 2025"),
}
READERS = ["fr-FR", "en-US", "en-GB"]

RENDER_ANSWER = """async ({answer, fields}) => {
    const views = await import('/static/views.js');
    answer.passages.forEach((passage, index) => Object.assign(passage.citation, fields[index % fields.length]));
    const node = views.exchangeNode(answer.question);
    node.append(views.answerBlock(answer));
    document.getElementById('conversation').append(node);
    document.getElementById('welcome').hidden = true;
}"""


@pytest.mark.parametrize("locale", READERS)
def test_citations_show_outlet_localised_date_and_a_link_out(browser, page_server, locale):
    context, page, problems = open_page(browser, page_server, locale=locale)
    page.goto("/")
    answer = api_ask(page_server, TOMAHAWK)
    column = READERS.index(locale)
    fields = [
        {"outlet": "Exemple Info", "published": published, "url": "https://www.exemple.info/monde/article-1"}
        for published in ORIGINS
    ] + [
        {"outlet": None, "published": None, "url": None},
        {"outlet": "Exemple Info", "published": "not a date", "url": "javascript:window.__pwned=1"},
    ]
    answer["passages"] = (answer["passages"] * 2)[: len(fields)]
    page.evaluate(RENDER_ANSWER, {"answer": answer, "fields": fields})
    passages = page.get_by_test_id("passage")
    expect(passages).to_have_count(len(fields))
    for index, (published, shown) in enumerate(ORIGINS.items()):
        origin = passages.nth(index).get_by_test_id("origin")
        expect(origin).to_have_text(f"Exemple Info · {shown[column]} · exemple.info↗")
        expect(origin.locator("time")).to_have_attribute("datetime", published)
        link = origin.get_by_test_id("original-link")
        expect(link).to_have_attribute("href", "https://www.exemple.info/monde/article-1")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(link).to_have_attribute("target", "_blank")
        expect(link).to_have_attribute("title", re.compile("exemple.info"))
    # Unknown fields: no origin line at all; a bad date and a non-web URL are left out.
    expect(passages.nth(3).get_by_test_id("origin")).to_have_count(0)
    expect(passages.nth(4).get_by_test_id("origin")).to_have_text("Exemple Info")
    assert page.locator("a[href^='javascript:']").count() == 0
    # The citation link itself is unchanged: "Title ¶N".
    first = answer["passages"][0]["citation"]
    expect(passages.first.get_by_test_id("citation")).to_have_text(f"{first['title']} ¶{first['paragraph']}")
    screenshot(page, f"origins-{locale}")
    context.close()
    assert problems.messages == []


def test_the_source_viewer_lists_the_other_articles_of_the_story(browser, page_server):
    """The hook for stories (issue 13): an article's ``story`` is rendered under it."""
    context, page, problems = open_page(browser, page_server, locale="fr-FR")
    page.goto("/")
    sources = json.loads(page_server.request("GET", "/api/sources")[2])["sources"]
    this, other = sources[0], sources[1]
    page.evaluate(
        """async ({this_, other}) => {
            const article = await import('/static/article.js');
            const data = {source: this_.source, story: {id: 's1', sources: [this_.source, other.source], titles: [this_.title, other.title]}};
            article.showStory(document.getElementById('source-story'), document.getElementById('source-story-list'), data);
            document.getElementById('source-view').hidden = false;
        }""",
        {"this_": this, "other": other},
    )
    story = page.get_by_test_id("story")
    expect(story).to_be_visible()
    expect(story.locator("h3")).to_have_text("Les autres articles sur le même sujet")
    expect(story.get_by_test_id("story-article")).to_have_text([other["title"]])
    # A story link opens that article in the panel, whole.
    story.get_by_test_id("story-article").click()
    expect(page.locator("#source-title")).to_have_text(other["title"])
    expect(page.locator("#source-text")).to_have_text(api_source_text(page_server, other["source"]))
    assert "#view=" in page.url
    context.close()
    assert problems.messages == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_live_citation_shows_its_outlet_date_and_url(browser, page_server, language):
    """End to end: an article's front matter (issue 14) shows on its citation."""
    sources = {s["source"]: s for s in json.loads(page_server.request("GET", "/api/sources")[2])["sources"]}
    assert METADATA_SOURCE in sources, f"the corpus does not list {METADATA_SOURCE} (front matter)"
    passage = next((p for p in api_ask(page_server, QUARVELLE)["passages"] if p["citation"]["source"] == METADATA_SOURCE), None)
    assert passage is not None, "the article with front matter is not cited for its own question"
    assert passage["citation"].get("outlet") is not None, "the citation carries no outlet, published or url"
    context, page, problems = open_page(browser, page_server, locale={"fr": "fr-FR", "en": "en-US"}[language])
    page.goto("/")
    answer = ask(page, QUARVELLE)
    shown = answer.locator(f".passage:has(a.citation[data-source='{METADATA_SOURCE}'])").first
    date = {"fr": "15 juillet 2025", "en": "July 15, 2025"}[language]
    expect(shown.get_by_test_id("origin")).to_have_text(f"Exemple Info · {date} · exemple.info↗")
    shown.get_by_test_id("citation").click()
    expect(page.locator("#source-origin")).to_have_text(f"Exemple Info · {date} · exemple.info↗")
    expect(page.locator("#source-origin a")).to_have_attribute("href", "https://www.exemple.info/culture/festival-quarvelle")
    screenshot(page, f"live-origin-{language}")
    context.close()
    assert problems.messages == []


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("width, height", [(1280, 860), (360, 740)], ids=["desktop", "phone"])
def test_screenshots_in_both_languages(browser, page_server, language, width, height):
    """Pictures of the page to look at (tests/artifacts/lang-*), with layout checks."""
    context, page, problems = open_page(browser, page_server, width, height, {"fr": "fr-FR", "en": "en-US"}[language])
    page.goto("/")
    expect(page.locator("#sources-line")).to_be_visible()
    name = f"lang-{language}-{'phone' if width < 500 else 'desktop'}"
    switch = page.get_by_test_id("language-switch")
    expect(switch).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = switch.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    screenshot(page, f"{name}-empty")
    answer = api_ask(page_server, TOMAHAWK)
    fields = [{"outlet": "Exemple Info", "published": "2025-07-15", "url": "https://www.exemple.info/monde/article-1"}]
    page.evaluate(RENDER_ANSWER, {"answer": answer, "fields": fields})
    ask(page, ATACMS_FOLLOW_UP)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"{name}-answers")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, f"{name}-top")
    page.get_by_test_id("answer").first.locator(".passage").first.scroll_into_view_if_needed()
    screenshot(page, f"{name}-origin")
    page.get_by_test_id("citation").first.click()
    expect(page.get_by_test_id("source-view").locator("mark")).to_be_in_viewport()
    screenshot(page, f"{name}-panel")
    context.close()
    assert problems.messages == []
