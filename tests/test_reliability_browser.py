"""The page in a real browser: HTML inside a passage or a question is shown as text and
never runs, and the Content-Security-Policy is enforced (and does not break the page).

A real ``qa serve`` (gunicorn, hashing embedder for speed: the page and the headers do not
depend on the model) serves the seeds plus one hostile article whose paragraphs hold
``<script>``, ``<img onerror>``, ``<svg onload>`` and a ``javascript:`` link. Debian's
Chromium asks a question that retrieves those paragraphs and opens the source viewer; a
script that ran would set ``window.__pwned`` or open a dialog. Also here: ``qa serve
--dev`` with ``FLASK_DEBUG=1`` in a real process never exposes the Werkzeug debugger.
"""

from __future__ import annotations

import re
from typing import Iterator

import pytest
from playwright.sync_api import expect

from support.app import copy_seeds
from support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


HOSTILE = "999_hostile.txt"
PAYLOADS = [
    '<script>window.__pwned = "script"</script>',
    '<img src=x onerror="window.__pwned = \'img\'">',
    '<svg onload="window.__pwned = \'svg\'"></svg>',
    '<a href="javascript:window.__pwned = \'link\'">cliquez</a>',
    '<iframe srcdoc="<script>parent.__pwned = \'iframe\'</script>"></iframe>',
]
HOSTILE_TEXT = (
    "Les missiles Zorglub et le balisage HTML\n"
    + "".join(
        f"Le missile Zorglub numéro {n} porte dans son rapport officiel la mention {payload} "
        f"que le service doit montrer comme du texte brut, jamais comme une page.\n"
        for n, payload in enumerate(PAYLOADS, start=1)
    )
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("reliability-browser")
    seeds = copy_seeds(tmp / "seeds")
    (seeds / HOSTILE).write_text(HOSTILE_TEXT, encoding="utf-8")
    with LiveServer(tmp / "server.log", MODEL="hashing", SEEDS_DIR=str(seeds), INDEX_DIR=str(tmp / "index")) as live:
        yield live


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.url, locale="fr-FR")  # the page most readers get
    page = context.new_page()
    events: dict[str, list[str]] = {"dialogs": [], "errors": [], "csp": []}
    page.on("dialog", lambda dialog: (events["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: events["errors"].append(str(error)))
    page.on("console", lambda message: message.type == "error" and events["errors"].append(message.text))
    # Record CSP violations from the very first script of every document.
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.events = events
    yield page
    context.close()


def ask(page, question: str):
    answers = page.get_by_test_id("answer")
    before = answers.count()
    page.get_by_test_id("question").fill(question)
    page.get_by_test_id("send").click()
    expect(answers).to_have_count(before + 1)
    return answers.nth(before)


def assert_nothing_ran(page) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.events["dialogs"] == []
    assert page.locator("main script, main img[src='x'], main svg[onload], main iframe, main a[href^='javascript:']").count() == 0


def test_html_in_passages_and_questions_is_text_and_never_runs(page, server):
    page.goto("/")
    # The page's own scripts and styles load under the policy: no violation, no error.
    expect(page.get_by_test_id("question")).to_be_visible()
    question = 'Que porte le missile Zorglub ? <img src=x onerror="window.__pwned = \'question\'">'
    answer = ask(page, question)
    text = answer.text_content()
    shown = [payload for payload in PAYLOADS if payload in text]
    assert shown, f"the hostile passages were not retrieved: {text[:500]}"
    assert page.get_by_test_id("asked").last.text_content() == question
    assert_nothing_ran(page)

    # The source viewer page shows the whole hostile article as text too.
    page.goto(f"/sources/{HOSTILE}")
    expect(page.locator("body")).to_contain_text(PAYLOADS[0])
    for payload in PAYLOADS:
        expect(page.locator("body")).to_contain_text(payload)
    assert_nothing_ran(page)
    assert page.evaluate("window.__csp") == []
    assert page.events["errors"] == []


def test_the_policy_blocks_inline_script_even_if_markup_got_in(page, server):
    """Defence in depth: were some markup ever inserted as HTML, the CSP stops it running."""
    page.goto("/")
    page.evaluate(
        """() => {
            const holder = document.createElement('div');
            holder.innerHTML = '<img src="x" onerror="window.__pwned = 1">';
            document.body.appendChild(holder);
            const script = document.createElement('script');
            script.textContent = 'window.__pwned = 2';
            document.body.appendChild(script);
        }"""
    )
    # Polled from here: wait_for_function polls with eval() in the page, which this very CSP
    # refuses (a flaky EvalError whenever the reports were not in at the first check).
    for _ in range(100):
        if page.evaluate("window.__csp.length") >= 2:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.__pwned") is None
    violations = page.evaluate("window.__csp")
    assert len(violations) >= 2 and all(v.startswith("script-src") for v in violations), violations
    # And the page cannot be framed by another origin.
    _, headers, _ = server.request("GET", "/")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def probe_debugger(port: int) -> dict[str, tuple[int, str, bytes]]:
    import http.client

    results = {}
    for name, path in {
        "resource": "/?__debugger__=yes&cmd=resource&f=debugger.js",
        "console": "/console",
        "crash": "/api/sources/%ff%fe",
    }.items():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            results[name] = (response.status, response.getheader("Content-Type", ""), response.read())
        finally:
            connection.close()
    return results


@pytest.mark.parametrize("dev", [True, False], ids=["dev-server", "gunicorn"])
def test_qa_serve_never_runs_the_debugger_even_with_flask_debug(tmp_path, dev):
    debug = {"FLASK_DEBUG": "1", "FLASK_ENV": "development"}
    live = LiveServer(
        tmp_path / "serve.log", ("--dev",) if dev else (), environ=debug,
        MODEL="hashing", SEEDS_DIR=str(copy_seeds(tmp_path / "seeds")), INDEX_DIR=str(tmp_path / "index"),
    )  # fmt: skip
    with live:
        results = probe_debugger(live.port)
    output = live.log()
    status, content_type, body = results["resource"]
    assert "javascript" not in content_type and b"debugger" not in body.lower()[:2000]
    status, content_type, body = results["console"]
    assert status == 404 and content_type.startswith("application/json")
    status, content_type, body = results["crash"]
    assert content_type.startswith("application/json") and b"Traceback" not in body and b"__debugger__" not in body
    assert "Debugger is active" not in output and "Debugger PIN" not in output
    assert not re.search(r"debug mode: on", output, re.IGNORECASE)
