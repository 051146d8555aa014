"""Stories: articles that report the same event, grouped before any passage is aligned.

Two articles are one story when they share enough *specifics* that are rare in the
corpus (``qa.corroboration.specifics``: names, dates, years, quantities); a capitalised
word that many articles share ("France", "Paris") weighs little (IDF) or, past
``StorySettings.max_share`` of the corpus, nothing.

A candidate pair of articles (one sharing at least ``min_candidate_shared`` rare
specifics) is linked when a calibrated logistic decision (``qa.corroboration.scoring``)
accepts its signals:

* how many distinct rare specifics they share ("Vladimir" and "Poutine" count once), and
  the IDF weight of what they share, also as a share of the lighter article's total (an
  overlap coefficient: a short dispatch and a long feature on one event share most of
  the dispatch's specifics);
* with vectors, how far their document vectors' cosine (mean of their passages',
  normalised) stands above the corpus's mean similarity of article pairs, in standard
  deviations (the model's cosines sit in a narrow band: only the excess counts); and how
  many articles stand closer to either of them than the other does (a rank, which holds
  whether the corpus is all news or news among unrelated articles);
* the rare *phrases* they share (pairs of consecutive terms: the same quoted words, the
  same figure with its noun);
* with sentence vectors, how closely the shorter article's sentences are matched in the
  other, and how many of them state a fact again (a close match sharing a rare specific
  or phrase);
* whether the two are written in different languages (``qa.text.language``): a report in
  English and one in French share fewer spelt-alike specifics and sit lower in the
  model's cosines, so the decision learns what to expect of such a pair;
* how alike their titles are (IDF cosine of analysed title words);
* time evidence: whether each one's main year (or date) is one the other never mentions
  (a conflict), in the whole text, in the lede, in the titles; or one the other
  mentions (an article that names no year, or no date, counts the year or day it was
  published); and, when both carry a publication date, how many days apart they were
  published. None of these vetoes: they weigh in the score.

The decision with vectors (``StorySettings.decision``) serves corpora of at least
``min_articles_for_baseline`` articles; ``text_decision`` serves smaller ones and
corpora without vectors, and an article without a date is grouped by its text alone.

Stories are the connected groups of linked articles, merged when the mean probability
over all their cross pairs is high (``qa.corroboration.grouping``); an article with no
link belongs to no multi-article story. Candidate pairs come from an inverted index of
rare specifics, so the cost grows with the corpus, not with its square, and a new
article is compared only with the articles (hence stories) it shares a rare specific
with. What is kept per
article (its specifics) is stored keyed by source, for incremental builds.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

import numpy as np

from qa.corroboration.grouping import story_groups
from qa.corroboration.scoring import LogisticDecision
from qa.corroboration.signals import SentenceTable
from qa.corroboration.specifics import (
    YEAR,
    distinct_count,
    everyday_key,
    lede,
    lowercase_words,
    phrases,
    specifics,
    time_conflict,
    time_shared,
)
from qa.models import Passage, published_date
from qa.text.analyzer import analyze
from qa.text.language import language_of

# The decisions below are fitted by bench/calibrate_corroboration.py on the development set
# of real multi-outlet news (tests/data/news/), leave-one-story-out; docs/quality.md gives
# the figures. ``text_decision`` serves when there are no document vectors, or too few
# articles to estimate how similar unrelated ones are.
STORY_DECISION = LogisticDecision(
    (("distinct", 0.7659), ("overlap", 3.7763), ("shared_weight", -0.29), ("shared_numbers", 0.2035),
     ("shared_phrases", -0.3707), ("phrase_share", 1.7028), ("title", 0.8948), ("time_conflict", -0.3677),
     ("lede_time_conflict", 0.0208), ("title_time_conflict", -1.1152), ("time_shared", -0.508),
     ("same_days", 5.0289), ("days_apart", -2.5296), ("cross_language", 3.3389), ("document_z", 0.6565),
     ("sentence_top", 0.8761), ("sentence_top3", 0.3179), ("fact_matches", 0.0883), ("fact_share", 1.5424),
     ("document_rank", -0.6383)),
    -7.5688,
    0.95,
)
STORY_TEXT_DECISION = LogisticDecision(
    (("distinct", 1.5487), ("overlap", 3.6781), ("shared_weight", -0.0189), ("shared_numbers", -0.0793),
     ("shared_phrases", 0.1405), ("phrase_share", 2.6981), ("title", 6.3845), ("time_conflict", -0.3446),
     ("lede_time_conflict", -0.2073), ("title_time_conflict", -2.0095), ("time_shared", -0.1652),
     ("same_days", 5.3148), ("days_apart", -3.4994), ("cross_language", 1.3269)),
    -5.6653,
    0.95,
)


@dataclass(frozen=True)
class StorySettings:
    """How stories are found: candidate pairs, and the calibrated decision that links them."""

    decision: LogisticDecision = STORY_DECISION
    text_decision: LogisticDecision = STORY_TEXT_DECISION
    # A pair of articles is scored only when it shares this many rare specifics.
    min_candidate_shared: int = 2
    # A specific in more than this share of the articles (and more than min_df_cap of them)
    # is no evidence of one story, and is left out of the inverted index.
    max_share: float = 0.05
    min_df_cap: int = 50
    # A pair of consecutive terms (``phrases``) in more than this share of the articles (and
    # more than min_phrase_df_cap of them) is a common phrase, no evidence of one event.
    max_phrase_share: float = 0.01
    min_phrase_df_cap: int = 3
    # How much of an article's opening is its lede, for the lede's time evidence.
    lede_characters: int = 400
    # A sentence whose best match in the other article stands this many standard deviations
    # above the corpus's cross-article similarity, sharing a rare specific or phrase with
    # it, states a fact again (the ``fact_matches`` signal).
    fact_match_z: float = 2.0
    # The ``document_rank`` signal: how many articles stand closer to either one than the
    # other does (by document vector), counted up to this depth. Unlike ``document_z`` it
    # does not depend on how alike the corpus's unrelated articles are.
    rank_depth: int = 50
    # How much of an article's opening tells its language (``cross_language``).
    language_characters: int = 4000
    # Below this many articles the corpus's similarity distribution is not estimated: the
    # text decision is used.
    min_articles_for_baseline: int = 30
    # Two groups of linked articles merge when the mean probability over all their cross
    # pairs reaches this (``qa.corroboration.grouping.story_groups``); None: no merging.
    # The text decision's probabilities are less sharp (no vectors, or a small corpus): a
    # race of another year scores 0.7 to 0.87 against three reports of one race, so its
    # groups are not merged.
    merge_threshold: float | None = 0.7
    text_merge_threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decision"] = self.decision.to_dict()
        data["text_decision"] = self.text_decision.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StorySettings:
        values = dict(data)
        for name in ("decision", "text_decision"):
            if name in values:
                values[name] = LogisticDecision.from_dict(values[name])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


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
        return cls(stories, specifics_by_source, StorySettings.from_dict(data.get("settings", {})))


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


def nearest_similarities(matrix: np.ndarray, depth: int, block: int = 1024) -> np.ndarray:
    """Each row's ``depth`` highest cosines to the other rows, ascending (rows normalised).

    In blocks of rows, so memory stays ``block`` × rows; the cost is one product of the
    matrix with itself, about 10 s at 20,000 articles."""
    count = len(matrix)
    depth = min(depth, count - 1)
    found = np.empty((count, max(depth, 0)), dtype=np.float32)
    if depth <= 0:
        return found
    for start in range(0, count, block):
        similarity = matrix[start : start + block] @ matrix.T
        rows = np.arange(len(similarity))
        similarity[rows, start + rows] = -np.inf  # not its own neighbour
        top = np.partition(similarity, count - depth, axis=1)[:, count - depth :]
        found[start : start + len(similarity)] = np.sort(top, axis=1)
    return found


def document_vectors(passage_sources: Sequence[str], passage_vectors: np.ndarray, sources: Sequence[str]) -> np.ndarray:
    """Each article's vector: the normalised mean of its passages' vectors, in ``sources`` order."""
    row = {source: i for i, source in enumerate(sources)}
    sums = np.zeros((len(sources), passage_vectors.shape[1]), dtype=np.float64)
    for index, source in enumerate(passage_sources):
        sums[row[source]] += passage_vectors[index]
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (sums / norms).astype(np.float32)


def _similarity_baseline(vectors: np.ndarray, labels: np.ndarray | None = None, sample: int = 4000) -> tuple[float, float]:
    """Mean and standard deviation of the cosine of rows with different labels (a fixed
    sample); without labels every row is its own (distinct article pairs)."""
    count = len(vectors)
    rng = np.random.default_rng(0)
    left = rng.integers(0, count, sample)
    right = rng.integers(0, count, sample)
    keep = left != right if labels is None else labels[left] != labels[right]
    if not keep.any():
        return 0.0, 1.0
    cosines = np.einsum("ij,ij->i", vectors[left[keep]], vectors[right[keep]])
    return float(cosines.mean()), max(float(cosines.std()), 1e-3)


@dataclass(frozen=True)
class ArticleSentences:
    """An article's sentences as story grouping compares them: their vectors (float32
    rows) and, per sentence, its specifics and its phrases (``phrase:``-prefixed)."""

    vectors: np.ndarray
    keys: tuple[frozenset[str], ...]


def article_sentences(passages: Sequence[Passage], sentences: SentenceTable, texts: Mapping[str, str]) -> dict[str, ArticleSentences]:
    """Each article's sentences, from the index's sentence table (empty without vectors)."""
    if sentences.vectors is None or not len(sentences.spans):
        return {}
    rows: dict[str, list[int]] = defaultdict(list)
    spans = np.asarray(sentences.spans)
    for row, pid in enumerate(spans[:, 0]):
        rows[passages[int(pid)].citation.source].append(row)
    vectors = np.asarray(sentences.vectors)
    found = {}
    for source, ids in rows.items():
        text = texts[source]
        keys = []
        for row in ids:
            sentence = text[int(spans[row, 1]) : int(spans[row, 2])]
            keys.append(frozenset(specifics(sentence)) | {f"phrase:{p}" for p in phrases(sentence)})
        found[source] = ArticleSentences(np.asarray(vectors[ids], dtype=np.float32), tuple(keys))
    return found


@dataclass(frozen=True)
class PairEvidence:
    """Why two articles are (or are not) one story: what they share, the signals, the probability."""

    shared: tuple[str, ...]
    distinct: int
    overlap: float
    document: float | None
    signals: Mapping[str, float] = field(default_factory=dict)
    probability: float = 0.0


def _idf_cosine(a: Counter[str], b: Counter[str], idf: Mapping[str, float]) -> float:
    if not a or not b:
        return 0.0
    norm_a = math.sqrt(sum((n * idf.get(t, 0.0)) ** 2 for t, n in a.items()))
    norm_b = math.sqrt(sum((n * idf.get(t, 0.0)) ** 2 for t, n in b.items()))
    dot = sum(n * b[t] * idf.get(t, 0.0) ** 2 for t, n in a.items() if t in b)
    return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0


class StoryCorpus:
    """The signals story grouping compares, computed once per corpus.

    ``titles`` lists the articles (source -> title), ``specifics_by_source`` their
    specifics (``specifics``), ``doc_vectors`` their document vectors (normalised) or
    None, ``published`` their publication dates (ISO 8601) where known,
    ``sentences`` each article's sentences (``article_sentences``).
    """

    def __init__(
        self,
        titles: Mapping[str, str],
        specifics_by_source: Mapping[str, Sequence[str]],
        doc_vectors: Mapping[str, np.ndarray] | None = None,
        settings: StorySettings = StorySettings(),
        everyday_words: set[str] | None = None,
        published: Mapping[str, str | None] | None = None,
        sentences: Mapping[str, ArticleSentences] | None = None,
        phrases_by_source: Mapping[str, set[str]] | None = None,
        lede_specifics: Mapping[str, Sequence[str]] | None = None,
        languages: Mapping[str, str] | None = None,
    ):
        self.settings = settings
        self.languages = languages or {}
        self.lede_specifics = lede_specifics or {}
        self.titles = titles
        self.sources = sorted(titles)
        self.specifics = specifics_by_source
        self.doc_vectors = doc_vectors
        count = len(self.sources)
        everyday = everyday_words or set()
        sets = {s: {k for k in specifics_by_source.get(s, ()) if not everyday_key(k, everyday)} for s in self.sources}
        frequency: Counter[str] = Counter()
        for keys in sets.values():
            frequency.update(keys)
        cap = max(settings.min_df_cap, int(settings.max_share * count))
        self.idf = {key: math.log(1 + count / df) for key, df in frequency.items() if 2 <= df <= cap}
        self.rare = {source: {k for k in keys if k in self.idf} for source, keys in sets.items()}
        self.weight = {source: sum(self.idf[k] for k in keys) for source, keys in self.rare.items()}
        phrase_sets = phrases_by_source or {}
        phrase_df: Counter[str] = Counter()
        for source in self.sources:
            phrase_df.update(phrase_sets.get(source, ()))
        phrase_cap = max(settings.min_phrase_df_cap, int(settings.max_phrase_share * count))
        self.phrase_idf = {key: math.log(1 + count / df) for key, df in phrase_df.items() if 2 <= df <= phrase_cap}
        self.phrases = {s: {k for k in phrase_sets.get(s, ()) if k in self.phrase_idf} for s in self.sources}
        self.phrase_count = {s: len(phrase_sets.get(s, ())) for s in self.sources}
        self.title_terms = {source: Counter(analyze(titles[source])) for source in self.sources}
        title_df: Counter[str] = Counter()
        for terms in self.title_terms.values():
            title_df.update(set(terms))
        self.title_idf = {term: math.log(1 + count / df) for term, df in title_df.items()}
        self.published = {source: published_date((published or {}).get(source)) for source in self.sources}
        self.time_keys = {source: _time_keys(specifics_by_source.get(source, ()), self.published[source]) for source in self.sources}
        self.mean = self.std = None
        self.nearest: dict[str, np.ndarray] = {}
        if doc_vectors is not None and count >= settings.min_articles_for_baseline:
            matrix = np.stack([doc_vectors[s] for s in self.sources])
            self.mean, self.std = _similarity_baseline(matrix)
            found = nearest_similarities(matrix, settings.rank_depth)
            self.nearest = {source: found[i] for i, source in enumerate(self.sources)}
        self.sentences = sentences or {}
        self.sentence_mean = self.sentence_std = None
        if self.sentences and count >= settings.min_articles_for_baseline:
            stacked = [(source, found.vectors) for source, found in sorted(self.sentences.items()) if len(found.vectors)]
            labels = np.concatenate([np.full(len(rows), i) for i, (_, rows) in enumerate(stacked)])
            self.sentence_mean, self.sentence_std = _similarity_baseline(np.concatenate([r for _, r in stacked]), labels)
        self.decision = settings.decision if self.mean is not None else settings.text_decision
        self.merge_threshold = settings.merge_threshold if self.mean is not None else settings.text_merge_threshold

    def candidates(self) -> dict[tuple[str, str], int]:
        """Pairs of articles sharing at least ``min_candidate_shared`` rare specifics, with how many.

        From an inverted index of rare specifics, whose postings are capped by the
        rarity cap: the cost grows with the corpus, not with its square.
        """
        postings: dict[str, list[str]] = defaultdict(list)
        for source in self.sources:
            for key in self.rare[source]:
                postings[key].append(source)
        shared_counts: Counter[tuple[str, str]] = Counter()
        for members in postings.values():
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    shared_counts[(a, b)] += 1
        return {pair: n for pair, n in shared_counts.items() if n >= self.settings.min_candidate_shared}

    def _rank(self, source: str, similarity: float) -> int:
        """How many articles are closer to ``source`` than one at ``similarity`` (at most ``rank_depth``)."""
        closer = self.nearest[source]  # ascending
        return len(closer) - int(np.searchsorted(closer, similarity + 1e-6, side="right"))

    def _title_time_conflict(self, a: str, b: str) -> bool:
        """Both titles name a year ("6 Heures du Castellet 2011", "6 Heures de Shanghai 2017"), none the same."""
        years_a, years_b = set(YEAR.findall(self.titles[a])), set(YEAR.findall(self.titles[b]))
        return bool(years_a and years_b and not years_a & years_b)

    def _rare_sentence_key(self, key: str) -> bool:
        return key in self.idf or (key.startswith("phrase:") and key[len("phrase:") :] in self.phrase_idf)

    def _sentence_signals(self, a: str, b: str) -> dict[str, float]:
        """How closely the shorter article's sentences are matched in the other, in standard
        deviations above the corpus's cross-article sentence similarity; and how many of
        them state a fact again: their best match is close (``fact_match_z``) and shares a
        rare specific or phrase with them. Two reports of one event state the same facts,
        two articles on one subject rarely do."""
        found_a, found_b = self.sentences.get(a), self.sentences.get(b)
        if self.sentence_mean is None or not self.sentence_std or found_a is None or found_b is None:
            return {}
        if not len(found_a.vectors) or not len(found_b.vectors):
            return {}
        if len(found_a.vectors) > len(found_b.vectors):
            found_a, found_b = found_b, found_a
        similarity = found_a.vectors @ found_b.vectors.T
        best = similarity.argmax(axis=1)
        z = np.clip((similarity[np.arange(len(best)), best] - self.sentence_mean) / self.sentence_std, -5.0, 20.0)
        facts = sum(
            1
            for i, j in enumerate(best)
            if z[i] >= self.settings.fact_match_z
            and any(self._rare_sentence_key(k) for k in found_a.keys[i] & found_b.keys[int(j)])
        )
        top = np.sort(z)[::-1]
        return {
            "sentence_top": float(top[0]),
            "sentence_top3": float(top[:3].mean()),
            "fact_matches": math.log1p(facts),
            "fact_share": facts / len(best),
        }

    def evidence(self, a: str, b: str) -> PairEvidence:
        """The signals of one pair of articles and the decision's probability that they are one story."""
        shared = sorted(self.rare[a] & self.rare[b], key=lambda k: (-self.idf[k], k))
        lighter = max(min(self.weight[a], self.weight[b]), 1e-9)
        overlap = sum(self.idf[k] for k in shared) / lighter
        document = None if self.doc_vectors is None else float(self.doc_vectors[a] @ self.doc_vectors[b])
        distinct = distinct_count(shared)
        signals = {
            "distinct": math.log1p(distinct),
            "overlap": overlap,
            "shared_weight": math.log1p(sum(self.idf[k] for k in shared)),
            "title": _idf_cosine(self.title_terms[a], self.title_terms[b], self.title_idf),
            "time_conflict": float(time_conflict(self.time_keys[a], self.time_keys[b])),
            "time_shared": float(time_shared(self.time_keys[a], self.time_keys[b])),
            "lede_time_conflict": float(time_conflict(self.lede_specifics.get(a, ()), self.lede_specifics.get(b, ()))),
            "title_time_conflict": float(self._title_time_conflict(a, b)),
        }
        if document is not None and self.mean is not None and self.std:
            signals["document_z"] = max(-5.0, min((document - self.mean) / self.std, 20.0))
        if document is not None and self.nearest:
            signals["document_rank"] = math.log1p(max(self._rank(a, document), self._rank(b, document)))
        signals.update(self._sentence_signals(a, b))
        language_a, language_b = self.languages.get(a), self.languages.get(b)
        signals["cross_language"] = float(language_a is not None and language_b is not None and language_a != language_b)
        signals["shared_numbers"] = math.log1p(sum(1 for k in shared if k.startswith(("num:", "date:"))))
        shared_phrases = self.phrases[a] & self.phrases[b]
        signals["shared_phrases"] = math.log1p(len(shared_phrases))
        signals["phrase_share"] = 10.0 * len(shared_phrases) / max(min(self.phrase_count[a], self.phrase_count[b]), 1)
        day_a, day_b = self.published[a], self.published[b]
        if day_a is not None and day_b is not None:
            gap = abs((day_a - day_b).days)
            signals["same_days"] = float(gap <= 2)
            signals["days_apart"] = min(gap, 60) / 30.0
        probability = self.decision.probability(signals)
        return PairEvidence(tuple(shared), distinct, round(overlap, 4), document, signals, round(probability, 4))


def _time_keys(keys: Sequence[str], published: date | None) -> list[str]:
    """An article's specifics for time evidence: what it mentions, and, when it mentions no
    year (or no date), the year (or the day) it was published: a report that names no year
    is about the days around its publication."""
    found = list(keys)
    if published is not None:
        if not any(k.startswith("year:") for k in keys):
            found.append(f"year:{published.year}")
        if not any(k.startswith("date:") for k in keys):
            found.append(f"date:{published.day}-{published.month}")
    return found


def group_stories(
    titles: Mapping[str, str],
    specifics_by_source: Mapping[str, Sequence[str]],
    doc_vectors: Mapping[str, np.ndarray] | None = None,
    settings: StorySettings = StorySettings(),
    everyday_words: set[str] | None = None,
    published: Mapping[str, str | None] | None = None,
) -> tuple[Stories, dict[tuple[str, str], PairEvidence]]:
    """Group articles into stories; also return the evidence of every candidate pair scored.

    The arguments are ``StoryCorpus``'s; see ``stories_of``.
    """
    return stories_of(StoryCorpus(titles, specifics_by_source, doc_vectors, settings, everyday_words, published))


def stories_of(corpus: StoryCorpus) -> tuple[Stories, dict[tuple[str, str], PairEvidence]]:
    """The stories of a corpus, and the evidence of every candidate pair scored.

    A candidate pair (``StoryCorpus.candidates``) is linked when the calibrated decision
    (``StorySettings.decision``, or ``text_decision`` without document vectors or in a
    corpus too small to estimate their spread) accepts its signals; the connected groups
    of linked articles are then merged by average linkage (``qa.corroboration.grouping``).
    """
    evidence = {(a, b): corpus.evidence(a, b) for a, b in corpus.candidates()}
    probabilities = {pair: found.probability for pair, found in evidence.items()}
    stories = []
    for members in story_groups(corpus.sources, probabilities, corpus.decision.threshold, corpus.merge_threshold):
        held = Counter(k for source in members for k in corpus.rare[source])
        common = sorted((k for k, n in held.items() if n * 2 >= len(members) and n >= 2), key=lambda k: (-corpus.idf[k], k))
        story_id = "s" + hashlib.sha1("\n".join(members).encode("utf-8")).hexdigest()[:10]
        stories.append(Story(story_id, tuple(members), tuple(corpus.titles[s] for s in members), tuple(common[:12])))
    stories.sort(key=lambda story: story.sources)
    kept = {source: list(corpus.specifics.get(source, ())) for source in corpus.sources}
    return Stories(stories, kept, corpus.settings), evidence


def story_corpus(
    articles: Mapping[str, str],
    titles: Mapping[str, str],
    passages: Sequence[Passage],
    passage_vectors: np.ndarray | None,
    settings: StorySettings = StorySettings(),
    known_specifics: Mapping[str, Sequence[str]] | None = None,
    published: Mapping[str, str | None] | None = None,
    sentences: SentenceTable | None = None,
) -> tuple[StoryCorpus, set[str]]:
    """The signals of a corpus (``articles``: source -> text) for story grouping, and its everyday words.

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
    by_source = None if sentences is None else article_sentences(passages, sentences, articles)
    phrase_sets = {source: phrases(text) for source, text in articles.items()}
    ledes = {source: specifics(lede(titles.get(source, ""), text, settings.lede_characters)) for source, text in articles.items()}
    languages = {source: language_of(text[: settings.language_characters]) for source, text in articles.items()}
    corpus = StoryCorpus(titles, specifics_by_source, doc, settings, everyday, published, by_source, phrase_sets, ledes, languages)
    return corpus, everyday
