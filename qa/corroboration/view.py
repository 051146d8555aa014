"""The story view: one story's articles, the facts they share and where they differ.

Built from what the index stores (the story, the alignment within it), no computation
beyond grouping: a lookup like ``attach``.

* **Articles** by publication date (undated ones last), then by title.
* **Facts**: each article pair keeps its *mutual* best links (passage p of A and q of B,
  q being p's best link into B and p being q's best into A). A fact is a passage with
  its mutual best passages in the other articles (never a chain of them: two passages
  that are each close to a third may state different facts); a fact whose passages are
  all in a fact already listed is not listed again. Facts stated by more articles come
  first.
* **Differences**: every difference recorded on a link between two of its articles,
  once, with both sides cited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from qa.corroboration.attach import citation_of_span
from qa.corroboration.record import Alignment
from qa.corroboration.stories import Story
from qa.models import Article, Difference, Passage, Statement, StoryArticle, StoryFact, StoryView


def _article_order(articles: Mapping[str, Article], sources: Sequence[str]) -> list[str]:
    return sorted(sources, key=lambda s: (articles[s].published is None, articles[s].published or "", articles[s].title, s))


def story_view(story: Story, alignment: Alignment, passages: Sequence[Passage], articles: Mapping[str, Article]) -> StoryView:
    """The view of ``story`` from the stored alignment (``passages`` and ``articles`` of the index)."""
    order = _article_order(articles, story.sources)
    rank = {source: i for i, source in enumerate(order)}
    members = set(story.sources)
    links: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)  # passage -> other article -> best link
    differences: dict[tuple[str, int, int, str, int, int], Difference] = {}
    for pid, items in alignment.links.items():
        here = passages[pid].citation.source
        if here not in members:
            continue
        for link in items:
            there = passages[link.passage].citation.source
            if there not in members:
                continue
            best = links[pid].get(there)
            if best is None or link.score > best[0]:
                links[pid][there] = (link.score, link.passage)
            for found in link.differences:
                a, b = (pid, link.passage), (found.here, found.there)
                if rank[there] < rank[here]:  # one orientation: the earlier article first
                    a, b = (link.passage, pid), (found.there, found.here)
                key = (passages[a[0]].citation.source, b[0].start, b[0].end, passages[a[1]].citation.source, b[1].start, b[1].end)
                if key not in differences:
                    text_a = articles[key[0]].text
                    text_b = articles[key[3]].text
                    differences[key] = Difference(
                        kind=found.kind,
                        here=text_a[b[0].start : b[0].end],
                        there=text_b[b[1].start : b[1].end],
                        here_citation=citation_of_span(passages, a[0], articles, b[0]),
                        there_citation=citation_of_span(passages, a[1], articles, b[1]),
                    )
    mutual: dict[int, dict[str, int]] = defaultdict(dict)  # passage -> other article -> its mutual best passage
    for pid, best in links.items():
        here = passages[pid].citation.source
        for there, (_, other) in best.items():
            back = links.get(other, {}).get(here)
            if back is not None and back[1] == pid:
                mutual[pid][there] = other
    facts = []
    seen: list[frozenset[int]] = []
    anchors = sorted(mutual, key=lambda pid: (-len(mutual[pid]), rank[passages[pid].citation.source], pid))
    for pid in anchors:
        members = frozenset({pid, *mutual[pid].values()})
        if any(members <= earlier for earlier in seen):
            continue  # the same fact, seen from another of its passages
        seen.append(members)
        statements = tuple(
            Statement(passages[m].text, passages[m].citation) for m in sorted(members, key=lambda m: (rank[passages[m].citation.source], m))
        )
        facts.append(StoryFact(statements))
    facts.sort(key=lambda f: (-len(f.statements), rank[f.statements[0].citation.source], f.statements[0].citation.start))
    listed = tuple(
        StoryArticle(s, articles[s].title, articles[s].outlet, articles[s].published, articles[s].url) for s in order
    )
    ordered_differences = sorted(
        differences.values(),
        key=lambda d: (rank[d.here_citation.source], d.here_citation.start, rank[d.there_citation.source], d.there_citation.start),
    )
    return StoryView(story.id, story.shared, listed, tuple(facts), tuple(ordered_differences))
