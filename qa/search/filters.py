"""Which articles a request searches: its outlets and its publication-date range.

``scope_of`` turns a ``SearchFilter`` into the set of sources it admits, and names the
outlets asked for that no indexed article has (a request that names an unknown outlet
matches nothing of it, and says so). Outlets match case, accents and spacing aside
("Le Monde" = "le  monde"); days compare on the first ten characters of ``published``
(``YYYY-MM-DD``), bounds included. An undated article is out of any date range.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.models import Article, Passage, SearchFilter, published_date
from qa.text.normalise import fold_word


def outlet_key(name: str) -> str:
    """An outlet's name as filters compare it."""
    return " ".join(fold_word(word) for word in name.split())


@dataclass(frozen=True)
class Scope:
    """The sources a filter admits, and the outlets it names that no article has."""

    sources: frozenset[str]
    unknown_outlets: tuple[str, ...] = ()


def published_day(article: Article) -> str | None:
    """The article's publication day as ``YYYY-MM-DD``, or None when undated."""
    day = published_date(article.published)
    return None if day is None else day.isoformat()


def admits(article: Article, search_filter: SearchFilter, outlet_keys: frozenset[str] = frozenset()) -> bool:
    """Whether the filter admits the article (``outlet_keys``: the filter's outlets, keyed)."""
    if outlet_keys and (article.outlet is None or outlet_key(article.outlet) not in outlet_keys):
        return False
    if search_filter.since is None and search_filter.until is None:
        return True
    day = published_day(article)
    if day is None:
        return False
    return (search_filter.since is None or day >= search_filter.since) and (search_filter.until is None or day <= search_filter.until)


def scope_of(articles: Mapping[str, Article], search_filter: SearchFilter) -> Scope:
    """The sources of ``articles`` that the filter admits."""
    keys = {outlet_key(name): name for name in search_filter.outlets}
    known = {outlet_key(article.outlet) for article in articles.values() if article.outlet}
    unknown = tuple(name for key, name in keys.items() if key not in known)
    sources = frozenset(source for source, article in articles.items() if admits(article, search_filter, frozenset(keys)))
    return Scope(sources=sources, unknown_outlets=unknown)


def passage_mask(passages: Sequence[Passage], sources: frozenset[str]) -> np.ndarray:
    """True for each passage whose article is one of ``sources``."""
    return np.fromiter((passage.citation.source in sources for passage in passages), dtype=bool, count=len(passages))
