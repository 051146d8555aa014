"""Search: a question in, the passages that answer it out (``ask``), or an abstention.

* ``answer``     ``ask``: query text, both signals, fusion, abstention, highlight,
                 corroboration looked up; the flow is drawn in its docstring
* ``followups``  does a question lean on the conversation; the query text then
* ``ranking``    pure: fusion, the sentence-aware dense score, abstention (answer support,
                 the names check), diversity; ``RankingSettings``
* ``highlight``  answer types, the best sentence of a passage

``ask`` and the follow-up helpers are imported lazily, so that ``import qa.search.ranking``
(pure) does not load the index reader (faiss, bm25s). Only the loading side of the index
is read here (``qa.index.load``), never the builder.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RankingSettings", "ask", "leans_on_history", "query_with_context"]


def __getattr__(name: str) -> Any:
    if name == "ask":
        from qa.search.answer import ask

        return ask
    if name in ("leans_on_history", "query_with_context"):
        from qa.search import followups

        return getattr(followups, name)
    if name == "RankingSettings":
        from qa.settings import RankingSettings

        return RankingSettings
    raise AttributeError(f"module 'qa.search' has no attribute {name!r}")
