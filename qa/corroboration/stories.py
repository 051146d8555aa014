"""Stories: articles that report the same event, grouped before any passage is aligned.

Two articles are one story when they share enough *specifics* that are rare in the
corpus: names (capitalised words, acronyms, and runs of names such as "Vladimir
Poutine"), calendar dates ("4 juillet"), years, and quantities with their unit or noun
("1 600 km", "12 bombardiers" = "douze avions"). Everyday topic words ("saison",
"guerre", "président") are not specifics at all: they are lower-case nouns, and a
capitalised word that many articles share ("France", "Paris") weighs little (IDF) or,
past ``StorySettings.max_share`` of the corpus, nothing.

A pair of articles is linked when

* they share at least ``min_shared`` rare specifics, and at least ``min_shared_distinct``
  of them are not parts of one name run ("Vladimir" and "Poutine" count once);
* the IDF weight of what they share is at least ``min_overlap`` of the lighter
  article's total (an overlap coefficient: a short dispatch and a long feature on one
  event share most of the dispatch's specifics);
* with vectors, their document vectors (mean of their passages', normalised) are more
  similar than ``min_document_z`` standard deviations above the corpus's mean similarity
  of article pairs (the model's cosines sit in a narrow band: only the excess counts).

Stories are the connected groups of linked articles; an article with no link belongs to
no multi-article story. Candidate pairs come from an inverted index of rare specifics,
so the cost grows with the corpus, not with its square, and a new article is compared
only with the articles (hence stories) it shares a rare specific with. What is kept per
article (its specifics) is stored keyed by source, for incremental builds.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from qa.corroboration.mentions import name_groups
from qa.corroboration.numbers import dates, quantities
from qa.models import Passage
from qa.text.normalise import word_key


@dataclass(frozen=True)
class StorySettings:
    """Thresholds of story grouping; calibrated in docs/quality.md ("Stories")."""

    min_shared: int = 4
    min_shared_distinct: int = 4
    min_overlap: float = 0.5
    min_document_z: float = 2.0
    # A specific in more than this share of the articles (and more than min_df_cap of them)
    # is no evidence of one story, and is left out of the inverted index.
    max_share: float = 0.05
    min_df_cap: int = 50
    # Below this many articles the corpus's similarity distribution is not estimated: the
    # document similarity is then only checked against ``min_document_similarity``.
    min_articles_for_baseline: int = 30
    min_document_similarity: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_YEAR = re.compile(r"(?<![\d\w.,])(1[5-9]\d\d|20\d\d)(?![\d\w])")


def _number_key(dimension: str, value: float, noun: str) -> str:
    """``num:<dimension>:<value>``; a count keeps its noun's stem as a fourth part."""
    rounded = f"{value:.3g}"
    return f"num:{dimension}:{rounded}" + (f":{noun}" if dimension == "count" and noun else "")


_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-zà-öø-ÿ][\w'’-]*")


def lowercase_words(texts: Iterable[str]) -> set[str]:
    """The folded words the corpus writes in lower case somewhere: its everyday vocabulary.

    A capitalised word that is also one of these ("Guerre", "Saison", "Union", "Nord") is
    a common noun at a sentence or title start, not a name: alone it is no specific.
    """
    found: set[str] = set()
    for text in texts:
        found.update(word_key(word) for word in _LOWER_WORD.findall(text))
    return found


def specifics(text: str) -> list[str]:
    """The story specifics of a text as keys: ``name:``, ``names:`` (a run), ``date:``, ``year:``, ``num:``.

    Counts below 10 ("deux soldats") are too common to be specific, and four-digit counts
    from 1000 to 2100 are mostly years written without "en"; months alone and weekdays
    are left out. Names are filtered later against the corpus's everyday words
    (``lowercase_words``), which need the whole corpus.
    """
    keys: list[str] = []
    for group in name_groups(text):
        group_keys = [name.key for name in group]
        keys.extend(f"name:{key}" for key in group_keys)
        if len(group_keys) > 1:
            keys.append("names:" + " ".join(group_keys))
    for mention in dates(text):
        if mention.day and mention.month:
            keys.append(f"date:{mention.day}-{mention.month}")
    keys.extend(f"year:{match.group(1)}" for match in _YEAR.finditer(text))
    for quantity in quantities(text):
        if quantity.dimension == "count" and (quantity.value < 10 or 1000 <= quantity.value <= 2100):
            continue
        keys.append(_number_key(quantity.dimension, quantity.value, ""))
    return keys


def _main(keys: Sequence[str], prefix: str) -> set[str]:
    """The year(s) or dates an article mentions most often (empty when it mentions none)."""
    counts = Counter(k for k in keys if k.startswith(prefix))
    if not counts:
        return set()
    top = max(counts.values())
    return {k for k, n in counts.items() if n == top}


def time_conflict(a: Sequence[str], b: Sequence[str]) -> bool:
    """Each article's main year (or main date) is one the other never mentions: two times.

    "6 Heures du Castellet 2011" and "6 Heures de Shanghai 2017" share teams and drivers
    but not their year; two reports of one event share the date they report.
    """
    for prefix in ("year:", "date:"):
        main_a, main_b = _main(a, prefix), _main(b, prefix)
        if main_a and main_b and not (main_a & set(b)) and not (main_b & set(a)):
            return True
    return False


@dataclass(frozen=True)
class Story:
    """A group of at least two articles reporting the same event."""

    id: str
    sources: tuple[str, ...]
    titles: tuple[str, ...]
    # The rare specifics most of its articles share, heaviest first (what the story is about).
    shared: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sources": list(self.sources), "titles": list(self.titles), "shared": list(self.shared)}


@dataclass
class Stories:
    """The stories of a corpus, and each article's specifics (kept for incremental builds)."""

    stories: list[Story] = field(default_factory=list)
    specifics: dict[str, list[str]] = field(default_factory=dict)
    settings: StorySettings = StorySettings()

    def __post_init__(self) -> None:
        self._story_of = {source: story.id for story in self.stories for source in story.sources}
        self._by_id = {story.id: story for story in self.stories}

    @property
    def story_of(self) -> Mapping[str, str]:
        """Source name -> story id, for the articles that belong to a multi-article story."""
        return self._story_of

    def get(self, story_id: str) -> Story | None:
        return self._by_id.get(story_id)

    def of_source(self, source: str) -> Story | None:
        """The story an article belongs to, or None."""
        story_id = self._story_of.get(source)
        return None if story_id is None else self._by_id[story_id]

    def describe(self, specifics_reused: int = 0) -> dict[str, Any]:
        """The manifest's ``stories`` section; ``specifics_reused``: articles whose specifics a previous build gave."""
        return {
            "count": len(self.stories),
            "articles": len(self._story_of),
            "specifics_reused": specifics_reused,
            "settings": self.settings.to_dict(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(),
            "stories": [story.to_dict() for story in self.stories],
            "articles": {source: {"specifics": keys} for source, keys in sorted(self.specifics.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Stories:
        stories = [
            Story(item["id"], tuple(item["sources"]), tuple(item["titles"]), tuple(item.get("shared", ())))
            for item in data.get("stories", [])
        ]
        specifics_by_source = {source: list(item["specifics"]) for source, item in data.get("articles", {}).items()}
        return cls(stories, specifics_by_source, StorySettings(**data.get("settings", {})))


def stories_problem(stories: Stories, sources: Sequence[str]) -> str:
    """What is wrong with stored stories for these articles ("" when they fit)."""
    known = set(sources)
    seen: set[str] = set()
    for story in stories.stories:
        if len(story.sources) < 2 or len(story.titles) != len(story.sources):
            return f"story {story.id} is not a group of titled articles"
        for source in story.sources:
            if source not in known:
                return f"story {story.id} names an unknown article {source}"
            if source in seen:
                return f"article {source} is in two stories"
            seen.add(source)
    return ""


def document_vectors(passage_sources: Sequence[str], passage_vectors: np.ndarray, sources: Sequence[str]) -> np.ndarray:
    """Each article's vector: the normalised mean of its passages' vectors, in ``sources`` order."""
    row = {source: i for i, source in enumerate(sources)}
    sums = np.zeros((len(sources), passage_vectors.shape[1]), dtype=np.float64)
    for index, source in enumerate(passage_sources):
        sums[row[source]] += passage_vectors[index]
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (sums / norms).astype(np.float32)


def _similarity_baseline(vectors: np.ndarray, sample: int = 4000) -> tuple[float, float]:
    """Mean and standard deviation of the cosine of distinct article pairs (a fixed sample)."""
    count = len(vectors)
    rng = np.random.default_rng(0)
    left = rng.integers(0, count, sample)
    right = rng.integers(0, count, sample)
    keep = left != right
    cosines = np.einsum("ij,ij->i", vectors[left[keep]], vectors[right[keep]])
    return float(cosines.mean()), float(cosines.std())


@dataclass(frozen=True)
class PairEvidence:
    """Why two articles are (or are not) one story: what they share and how similar they are."""

    shared: tuple[str, ...]
    distinct: int
    overlap: float
    document: float | None


def everyday_key(key: str, everyday: set[str]) -> bool:
    """A name (or a run of names) made only of words the corpus also writes in lower case."""
    if key.startswith("name:"):
        return key[len("name:") :] in everyday or len(key) <= len("name:") + 1
    if key.startswith("names:"):
        return all(word in everyday for word in key[len("names:") :].split())
    return False


def _distinct(keys: Sequence[str]) -> int:
    """Shared keys that are not years, a name run counting once with the names it is made of."""
    runs = [set(k[len("names:") :].split()) for k in keys if k.startswith("names:")]
    count = 0
    for key in keys:
        if key.startswith("year:"):
            continue
        if key.startswith("name:") and any(key[len("name:") :] in run for run in runs):
            continue
        count += 1
    return count


def _merge(sources: Sequence[str], linked: list[tuple[float, str, str]], conflicts: Mapping[str, set[str]]) -> list[list[str]]:
    """Groups of linked articles, strongest links first; two groups never merge when one
    of their articles is in time conflict with one of the other's (no chaining of a
    2011 race and a 2017 race through a report that gives no year)."""
    group = {source: source for source in sources}
    members = {source: {source} for source in sources}
    for _, a, b in sorted(linked, key=lambda item: (-item[0], item[1], item[2])):
        ga, gb = group[a], group[b]
        if ga == gb:
            continue
        small, large = sorted((ga, gb), key=lambda g: len(members[g]))
        if any(conflicts.get(x, set()) & members[large] for x in members[small]):
            continue
        for x in members[small]:
            group[x] = large
        members[large] |= members.pop(small)
    return [sorted(m) for m in members.values() if len(m) > 1]


def group_stories(
    titles: Mapping[str, str],
    specifics_by_source: Mapping[str, Sequence[str]],
    doc_vectors: Mapping[str, np.ndarray] | None = None,
    settings: StorySettings = StorySettings(),
    everyday_words: set[str] | None = None,
) -> tuple[Stories, dict[tuple[str, str], PairEvidence]]:
    """Group articles into stories; also return the evidence of every candidate pair scored.

    ``titles`` lists the articles (source -> title), ``specifics_by_source`` their
    specifics (``specifics``), ``doc_vectors`` their document vectors (normalised).
    """
    sources = sorted(titles)
    count = len(sources)
    everyday = everyday_words or set()
    sets = {source: {k for k in specifics_by_source.get(source, ()) if not everyday_key(k, everyday)} for source in sources}
    frequency: Counter[str] = Counter()
    for keys in sets.values():
        frequency.update(keys)
    cap = max(settings.min_df_cap, int(settings.max_share * count))
    idf = {key: math.log(1 + count / df) for key, df in frequency.items() if 2 <= df <= cap}
    rare = {source: {k for k in keys if k in idf} for source, keys in sets.items()}
    weight = {source: sum(idf[k] for k in keys) for source, keys in rare.items()}

    postings: dict[str, list[str]] = defaultdict(list)
    for source in sources:
        for key in rare[source]:
            postings[key].append(source)
    shared_counts: Counter[tuple[str, str]] = Counter()
    for key, members in postings.items():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                shared_counts[(a, b)] += 1

    mean = std = None
    if doc_vectors is not None and count >= settings.min_articles_for_baseline:
        mean, std = _similarity_baseline(np.stack([doc_vectors[s] for s in sources]))

    evidence: dict[tuple[str, str], PairEvidence] = {}
    linked: list[tuple[float, str, str]] = []
    conflicts: dict[str, set[str]] = defaultdict(set)

    for (a, b), shared_count in shared_counts.items():
        if shared_count < settings.min_shared:
            continue
        shared = sorted(rare[a] & rare[b], key=lambda k: (-idf[k], k))
        overlap = sum(idf[k] for k in shared) / max(min(weight[a], weight[b]), 1e-9)
        document = None if doc_vectors is None else float(doc_vectors[a] @ doc_vectors[b])
        evidence[(a, b)] = PairEvidence(tuple(shared), _distinct(shared), round(overlap, 4), document)
        if time_conflict(specifics_by_source.get(a, ()), specifics_by_source.get(b, ())):
            conflicts[a].add(b)
            conflicts[b].add(a)
            continue
        if _distinct(shared) < settings.min_shared_distinct or overlap < settings.min_overlap:
            continue
        if document is not None:
            if mean is not None and std is not None and document < mean + settings.min_document_z * std:
                continue
            if document < settings.min_document_similarity:
                continue
        linked.append((overlap, a, b))

    stories = []
    for members in _merge(sources, linked, conflicts):
        if len(members) < 2:
            continue
        members.sort()
        held = Counter(k for source in members for k in rare[source])
        common = sorted((k for k, n in held.items() if n * 2 >= len(members) and n >= 2), key=lambda k: (-idf[k], k))
        story_id = "s" + hashlib.sha1("\n".join(members).encode("utf-8")).hexdigest()[:10]
        stories.append(Story(story_id, tuple(members), tuple(titles[s] for s in members), tuple(common[:12])))
    stories.sort(key=lambda story: story.sources)
    kept = {source: list(specifics_by_source.get(source, ())) for source in sources}
    return Stories(stories, kept, settings), evidence


def find_stories(
    articles: Mapping[str, str],
    titles: Mapping[str, str],
    passages: Sequence[Passage],
    passage_vectors: np.ndarray | None,
    settings: StorySettings = StorySettings(),
    known_specifics: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Stories, set[str]]:
    """The stories of a corpus (``articles``: source -> text), and its everyday words.

    ``known_specifics`` (source -> keys, from a previous build's ``Stories.specifics``)
    spares re-reading the articles that did not change; pass only unchanged ones.
    """
    known = known_specifics or {}
    specifics_by_source = {s: list(known[s]) if s in known else specifics(text) for s, text in articles.items()}
    everyday = lowercase_words(articles.values())
    doc = None
    if passage_vectors is not None and len(passages):
        order = sorted(articles)
        matrix = document_vectors([p.citation.source for p in passages], passage_vectors, order)
        doc = {source: matrix[i] for i, source in enumerate(order)}
    stories, _ = group_stories(titles, specifics_by_source, doc, settings, everyday)
    return stories, everyday
