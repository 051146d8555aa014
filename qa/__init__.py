"""News QA: question answering over news articles, with citations that slice their source.

``create_app(test_config)`` (``qa.web.app``) builds the Flask app. It is imported on
first use (a module-level ``__getattr__``), so ``import qa.text`` or ``import qa.settings``
pulls in no web or ML library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from qa.web.app import create_app

        return create_app
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
