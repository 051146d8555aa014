"""The one call the index build makes: stories, then the alignment within stories.

``corroborate_corpus`` is what ``qa.index.build`` runs after embedding; its two results are
stored as ``stories.json`` and ``alignment.json``, and described in the manifest
(``CorroborationData.manifest_sections``). Both are keyed per article (stories
keep each article's specifics; links name passages of articles of one story), so an
incremental build can hand unchanged articles' specifics back (``known_specifics``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.corroboration.align import align_corpus
from qa.corroboration.record import Alignment, AlignmentSettings
from qa.corroboration.signals import SentenceTable
from qa.corroboration.stories import Stories, StorySettings, find_stories
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
) -> CorroborationData:
    """Group the articles into stories, then align passages of the same story."""
    texts = {source: article.text for source, article in articles.items()}
    titles = {source: article.title for source, article in articles.items()}
    published = {source: article.published for source, article in articles.items()}
    stories, everyday = find_stories(
        texts, titles, passages, passage_vectors, story_settings, known_specifics, published, sentences
    )
    alignment = align_corpus(
        passages,
        texts,
        passage_vectors,
        sentences,
        settings=settings,
        dense_neighbours=dense_neighbours,
        story_of=stories.story_of,
        everyday_words=everyday,
    )
    return CorroborationData(stories, alignment)
