"""The one call the index build makes: stories, then the alignment within stories.

``corroborate_corpus`` is what ``qa.index.build`` runs after embedding; its two results are
stored as ``stories.json`` and ``alignment.json``, and described in the manifest
(``CorroborationData.manifest_sections``). Both are keyed per article (stories
keep each article's specifics; links name passages of articles of one story), so an
incremental build can hand unchanged articles' specifics back (``known_specifics``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qa.corroboration.align import align_corpus
from qa.corroboration.record import Alignment, AlignmentSettings, Link
from qa.corroboration.signals import SentenceTable
from qa.corroboration.stories import Stories, StorySettings, stories_of, story_corpus
from qa.models import Article, Passage


@dataclass(frozen=True)
class CorroborationData:
    """What the build stores for corroboration."""

    stories: Stories
    alignment: Alignment

    def manifest_sections(self, seconds: float, specifics_reused: int = 0) -> dict[str, dict[str, Any]]:
        """The manifest's ``alignment`` and ``stories`` sections; ``seconds`` the two took to find."""
        return {"alignment": self.alignment.describe(seconds), "stories": self.stories.describe(specifics_reused)}


def corroborate_corpus(
    passages: Sequence[Passage],
    articles: Mapping[str, Article],
    passage_vectors: np.ndarray | None,
    sentences: SentenceTable,
    dense_neighbours: np.ndarray | None = None,
    known_specifics: Mapping[str, Sequence[str]] | None = None,
    story_settings: StorySettings = StorySettings(),
    settings: AlignmentSettings = AlignmentSettings(),
    previous: PreviousCorroboration | None = None,
) -> CorroborationData:
    """Group the articles into stories, then align passages of the same story.

    With ``previous`` (the last build's stories and alignment, and the articles it read
    that did not change), a story whose articles are all unchanged and were one story
    then too keeps its links: only the stories a changed article touches are aligned.
    """
    texts = {source: article.text for source, article in articles.items()}
    titles = {source: article.title for source, article in articles.items()}
    published = {source: article.published for source, article in articles.items()}
    corpus, _ = story_corpus(texts, titles, passages, passage_vectors, story_settings, known_specifics, published, sentences)
    stories, _ = stories_of(corpus)
    reused = {} if previous is None else reusable_links(previous, passages, settings)
    alignment = align_corpus(
        passages,
        texts,
        passage_vectors,
        sentences,
        settings=settings,
        dense_neighbours=dense_neighbours,
        story_of=stories.story_of,
        reused=reused,
    )
    return CorroborationData(stories, alignment)


@dataclass(frozen=True)
class PreviousCorroboration:
    """What the last build found, and which of its articles this build reads unchanged."""

    stories: Stories
    alignment: Alignment
    passages: Sequence[Passage]
    unchanged: frozenset[str]


def reusable_links(
    previous: PreviousCorroboration, passages: Sequence[Passage], settings: AlignmentSettings
) -> dict[frozenset[str], dict[int, list[Link]]]:
    """The previous build's stories whose articles are all unchanged, each with its links
    in ``passages``' ids (an unchanged article's passages are the same, in the same order;
    only their ids move). Nothing when the alignment settings changed."""
    if previous.alignment.settings != settings:
        return {}
    new_ids: dict[tuple[str, int], int] = {}
    ordinal: dict[str, int] = defaultdict(int)
    for passage in passages:
        source = passage.citation.source
        if source in previous.unchanged:
            new_ids[(source, ordinal[source])] = passage.id
            ordinal[source] += 1
    old_key: dict[int, tuple[str, int]] = {}
    ordinal.clear()
    for passage in previous.passages:
        source = passage.citation.source
        old_key[passage.id] = (source, ordinal[source])
        ordinal[source] += 1
    found: dict[frozenset[str], dict[int, list[Link]]] = {}
    for story in previous.stories.stories:
        if not set(story.sources) <= previous.unchanged:
            continue
        members = set(story.sources)
        links: dict[int, list[Link]] = {}
        for pid, items in previous.alignment.links.items():
            key = old_key.get(pid)
            if key is None or key[0] not in members or key not in new_ids:
                continue
            moved = [replace(link, passage=new_ids[old_key[link.passage]]) for link in items if old_key.get(link.passage) in new_ids]
            if len(moved) == len(items):
                links[new_ids[key]] = moved
        found[frozenset(members)] = links
    return found
