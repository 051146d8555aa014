"""The web blueprint: the chat page and the source viewer page.

Pages only. The views render templates that hold no data; the page's JavaScript
(``qa/static/``) asks the JSON API for answers and articles, so no search logic lives
here. Every script and style sheet is a file under ``qa/static/``: the templates have no
inline script, no inline style and no external URL, so a strict Content-Security-Policy
(``default-src 'self'``) fits them.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from qa.service import QAService

bp = Blueprint("web", __name__)


def _service() -> QAService:
    return current_app.extensions["qa"]


@bp.get("/")
def chat() -> str:
    """The conversation: ask, read cited passages, open a citation in the side panel."""
    config = current_app.config
    return render_template(
        "chat.html", max_history=int(config["MAX_HISTORY"]), max_question_chars=int(config["MAX_QUESTION_CHARS"])
    )


@bp.get("/sources/<path:source>")
def source_page(source: str) -> str:
    """One article on a page of its own; ``#start-end`` marks the cited passage."""
    article = _service().article(source)
    return render_template("source.html", source=article.source, title=article.title)
