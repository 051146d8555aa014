"""The web blueprint: the chat page and the source viewer. Pages only; data comes from the API."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("web", __name__)


@bp.get("/")
def chat() -> str:
    return render_template("chat.html")
