"""Attaching the stored corroboration to a question's hits: a lookup, no computation.

Each hit gets the passages of other articles aligned with it (``also_in``, with the id
of the story they share) and the differences of each pair, with citations whose
paragraph numbers come from the one numbering (``qa.text.paragraphs``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from qa.corroboration.record import Alignment
from qa.models import AlsoIn, Answer, Article, Citation, Difference, Passage, Span
from qa.text.paragraphs import paragraph_at


@dataclass(frozen=True)
class Corroboration:
    """What a question's answer shows of one passage: aligned passages and differences."""

    also_in: tuple[AlsoIn, ...] = ()
    differences: tuple[Difference, ...] = ()


def citation_of_span(passages: Sequence[Passage], passage_id: int, articles: Mapping[str, Article], span: Span) -> Citation:
    """A citation of ``span`` inside passage ``passage_id``'s article, paragraph numbered as passages are."""
    citation = passages[passage_id].citation
    text = articles[citation.source].text
    return replace(citation, paragraph=paragraph_at(text, span.start), start=span.start, end=span.end)


def corroborate(
    alignment: Alignment,
    passages: Sequence[Passage],
    articles: Mapping[str, Article],
    passage_id: int,
    story_of: Mapping[str, str] | None = None,
) -> Corroboration:
    """The stored alignment of one passage as typed records; ``story_of`` maps a source to its story id."""
    also_in = []
    differences = []
    here_source = passages[passage_id].citation.source
    story = (story_of or {}).get(here_source, "")
    for link in alignment.of(passage_id):
        other = passages[link.passage]
        also_in.append(AlsoIn(text=other.text, citation=other.citation, score=link.score, story=story))
        here_text = articles[here_source].text
        there_text = articles[other.citation.source].text
        for found in link.differences:
            differences.append(
                Difference(
                    kind=found.kind,
                    here=here_text[found.here.start : found.here.end],
                    there=there_text[found.there.start : found.there.end],
                    here_citation=citation_of_span(passages, passage_id, articles, found.here),
                    there_citation=citation_of_span(passages, link.passage, articles, found.there),
                )
            )
    return Corroboration(tuple(also_in), tuple(differences))


def with_corroboration(
    answer: Answer,
    alignment: Alignment,
    passages: Sequence[Passage],
    articles: Mapping[str, Article],
    story_of: Mapping[str, str] | None = None,
) -> Answer:
    """The answer with each hit's stored ``also_in`` and ``differences`` attached."""
    hits = []
    for hit in answer.hits:
        found = corroborate(alignment, passages, articles, hit.passage.id, story_of)
        hits.append(replace(hit, also_in=found.also_in, differences=found.differences))
    return replace(answer, hits=hits)
