"""The web blueprint: the chat page, the source viewer page, the story page, and the reader's language.

Pages only. The views render templates that hold no data; the page's JavaScript
(``qa/static/``) asks the JSON API for answers and articles, so no search logic lives
here. Every script and style sheet is a file under ``qa/static/``: the templates have no
inline script, no inline style and no external URL, so a strict Content-Security-Policy
(``default-src 'self'``) fits them.

Language. Each page is rendered in French or English: the ``lang`` cookie when the
reader chose one with the language switch (``POST /language``), else the best match of
``Accept-Language``, else French (most readers are French speakers). The labels come
from one message catalogue per language, ``qa/static/i18n/<lang>.json``: the templates
read it through ``t(key)``, and the same catalogue is handed to the scripts in the
``data-messages`` attribute of ``<html>`` (no inline script), so the server-side render
and the script's labels never disagree and there is no flash of another language.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, make_response, redirect, render_template, request, url_for

from qa.models import DIFFERENCE_KINDS
from qa.service.core import QAService
from qa.service.errors import BadRequest, ErrorCode

bp = Blueprint("web", __name__)

LANGUAGES = ("fr", "en")
"""The page's languages; the first is the default when nothing else matches."""
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
CATALOGUES = Path(__file__).resolve().parent.parent / "static" / "i18n"


def _service() -> QAService:
    return current_app.extensions["qa"]


@lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, Any]:
    """The message catalogue of a language: key -> text, or {"one", "other"} for plurals."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for {language!r}")
    return json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))


def page_language() -> str:
    """The language of this request's page: the reader's choice, else Accept-Language, else French."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=LANGUAGES[0])


def translate(language: str, key: str, **params: object) -> str:
    """One message of a catalogue, its ``{name}`` placeholders filled (plain text, escaped by Jinja)."""
    message = catalogue(language)[key]
    if not isinstance(message, str):
        raise TypeError(f"{key!r} is a plural message; the page's script formats those (Intl.PluralRules)")
    for name, value in params.items():
        message = message.replace("{" + name + "}", str(value))
    return message


def _here() -> str:
    """This page's local URL (path, encoded again, and query), where the language switch comes back to."""
    query = request.query_string.decode("latin-1")
    return url_for(request.endpoint, **(request.view_args or {})) + (f"?{query}" if query else "")


def _render_page(template: str, **context: Any) -> Response:
    """Render a page in the reader's language; caches must keep one copy per language."""
    language = page_language()
    response = make_response(
        render_template(
            template,
            lang=language,
            t=lambda key, **params: translate(language, key, **params),
            messages=catalogue(language),
            languages=[(code, catalogue(code)["language.name"]) for code in LANGUAGES],
            here=_here(),
            **context,
        )
    )
    response.headers["Content-Language"] = language
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def _local_target(target: str) -> str:
    """``target`` if it is a path on this site, else ``/``: the switch never redirects elsewhere."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _difference_kinds(language: str) -> str:
    """The corroboration's own kinds, named in the page's language, for ``data-difference-kinds``.

    JSON in the constant's order (Jinja's tojson would sort the keys); autoescaped in the attribute.
    """
    return json.dumps({kind: translate(language, f"difference.{kind}") for kind in DIFFERENCE_KINDS}, ensure_ascii=False)


@bp.get("/")
def chat() -> Response:
    """The conversation: ask, read cited passages, open a citation in the side panel."""
    limits = _service().settings.limits
    return _render_page(
        "chat.html",
        max_history=limits.max_history,
        max_question_chars=limits.max_question_chars,
        difference_kinds=_difference_kinds(page_language()),
    )


@bp.get("/sources/<path:source>")
def source_page(source: str) -> Response:
    """One article on a page of its own; ``#start-end`` marks the cited passage."""
    article = _service().article(source)
    return _render_page("source.html", source=article.source, title=article.title)


@bp.get("/stories/<story_id>")
def story_page(story_id: str) -> Response:
    """One story: who reported it by date, the facts they share, where they differ."""
    _service().story(story_id)  # an unknown story is a 404 before any page is rendered
    return _render_page("story.html", story_id=story_id, difference_kinds=_difference_kinds(page_language()))


@bp.post("/language")
def set_language() -> Response:
    """Remember the reader's language (``lang`` = ``fr`` or ``en``) in a cookie for a year.

    The form of the language switch also sends ``next``, the page to go back to (303).
    The page's script sends ``lang`` alone, gets ``204`` and reloads the page itself,
    which keeps its URL fragment and history entry.
    """
    language = request.form.get("lang", "")
    if language not in LANGUAGES:
        raise BadRequest(f"'lang' must be one of: {', '.join(LANGUAGES)}", code=ErrorCode.INVALID_FIELD)
    target = request.form.get("next")
    response = redirect(_local_target(target), 303) if target is not None else Response(status=204)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
    return response
