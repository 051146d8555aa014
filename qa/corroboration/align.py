"""Alignment: which passages of different articles of one story report the same fact.

Candidates come cheaply (each passage's nearest passages from the vector store, and
passages sharing rare terms), restricted to passages of other articles in the same
story (``qa.corroboration.stories``); each candidate pair is scored by
``SignalCorpus.similarity`` and kept only when it also shares a specific (a name,
number, date or quote word) beyond the story's common ones. Differences are extracted
once per kept pair (``qa.corroboration.differences``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from qa.corroboration.differences import differences_between
from qa.corroboration.facts import FactGate
from qa.corroboration.record import Alignment, AlignmentSettings, FoundDifference, Link
from qa.corroboration.signals import SentenceTable, SignalCorpus, cosine, name_overlap, number_overlap
from qa.corroboration.specifics import lowercase_words
from qa.models import Passage

# Same-article passages counted when asking the vector store for neighbours (see
# ``dense_neighbour_count``): news articles here have ~11 passages, the seeds up to 20.
MAX_SAME_SOURCE_NEIGHBOURS = 256

def _candidates(
    corpus: SignalCorpus, settings: AlignmentSettings, dense_neighbours: np.ndarray | None = None
) -> dict[int, set[int]]:
    """For each passage, passages of other articles worth scoring: dense and lexical neighbours.

    The dense ones are the ``settings.candidates`` nearest passages of other articles:
    from ``dense_neighbours`` (each passage's nearest ids, best first, ``-1`` padded, as the
    vector store finds them) when given, else from a blocked product of all the vectors.
    """
    passages = corpus.passages
    sources = np.array([p.citation.source for p in passages])
    found: dict[int, set[int]] = defaultdict(set)
    if dense_neighbours is not None:
        for pid, row in enumerate(dense_neighbours):
            others = [int(other) for other in row if other >= 0 and sources[other] != sources[pid]]
            found[pid].update(others[: settings.candidates])
    elif corpus.passage_vectors is not None and len(passages):
        block = 1024
        for lo in range(0, len(passages), block):
            similarities = corpus.passage_vectors[lo : lo + block] @ corpus.passage_vectors.T
            for row, scores in enumerate(similarities):
                pid = lo + row
                scores = np.where(sources == sources[pid], -np.inf, scores)
                count = min(settings.candidates, int(np.isfinite(scores).sum()))
                if count:
                    for other in np.argpartition(-scores, count - 1)[:count]:
                        found[pid].add(int(other))
    postings: dict[str, list[int]] = defaultdict(list)
    for pid, unit in enumerate(corpus.units):
        for term in unit.terms:
            postings[term].append(pid)
    # A term in more passages than this is too common to be evidence of the same fact; a
    # fixed cap keeps this loop linear in the corpus size.
    common = min(max(50, len(passages) // 10), 100)
    for pid, unit in enumerate(corpus.units):
        overlap: Counter[int] = Counter()
        for term, weight in unit.terms.items():
            others = postings[term]
            if len(others) > common:
                continue
            for other in others:
                if passages[other].citation.source != passages[pid].citation.source:
                    overlap[other] += weight * corpus.units[other].terms[term]
        for other, _ in overlap.most_common(settings.candidates):
            found[pid].add(other)
    return found


def dense_neighbour_count(passages: Sequence[Passage], settings: AlignmentSettings = AlignmentSettings()) -> int:
    """How many nearest neighbours to ask the vector store for, per passage.

    Enough that, once the passages of the same article are set aside, ``candidates`` of
    other articles remain, as the all-pairs product gives; an article's own passages are
    counted up to ``MAX_SAME_SOURCE_NEIGHBOURS``, so that one huge article cannot make
    every search long (past that, a passage of such an article may get fewer dense
    candidates; the lexical ones are unaffected).
    """
    per_source = Counter(p.citation.source for p in passages)
    largest = max(per_source.values(), default=0)
    return settings.candidates + min(largest, MAX_SAME_SOURCE_NEIGHBOURS)


def align_corpus(
    passages: Sequence[Passage],
    articles: Mapping[str, str],
    passage_vectors: np.ndarray | None,
    sentences: SentenceTable,
    settings: AlignmentSettings = AlignmentSettings(),
    dense_neighbours: np.ndarray | None = None,
    story_of: Mapping[str, str] | None = None,
    reused: Mapping[frozenset[str], Mapping[int, list[Link]]] | None = None,
) -> Alignment:
    """Align the passages of different articles and list the differences of each aligned pair.

    ``articles`` maps a source name to its exact text; ``sentences`` holds the passages'
    sentences as the index stores them. Vectors must be L2-normalised. ``dense_neighbours`` (optional, see
    ``dense_neighbour_count``) gives each passage's nearest passages from the vector store,
    which spares the all-pairs product of the vectors.

    With ``story_of`` (source -> story id, ``qa.corroboration.stories``) each story is
    aligned on its own (``story_group``): its passages only, with signals (TF-IDF, name
    IDF, the dense baseline) computed over the story, so a story's links do not depend on
    the unrelated rest of the corpus; articles in no story get no links. Without it the
    whole corpus is one group (the pre-story behaviour, kept for the candidate tests).

    ``reused`` (a story's articles -> its links, in these passages' ids) hands back the
    links of stories a previous build aligned whose articles did not change
    (``qa.corroboration.build.reusable_links``): such a story is not aligned again, since
    its links depend on its own passages only.
    """
    if story_of is None:
        corpus = SignalCorpus(passages, articles, passage_vectors, sentences)
        return Alignment(links=_align_group(corpus, settings, dense_neighbours, None), settings=settings)
    members: dict[str, list[int]] = defaultdict(list)
    for passage in passages:
        story = story_of.get(passage.citation.source)
        if story is not None:
            members[story].append(passage.id)
    links: dict[int, list[Link]] = {}
    aligned = 0
    for story in sorted(members):
        sources = frozenset(passages[pid].citation.source for pid in members[story])
        previous = (reused or {}).get(sources)
        if previous is not None:
            links.update({pid: list(items) for pid, items in previous.items()})
            continue
        ids = members[story]
        corpus, gate, _ = story_group(ids, passages, articles, passage_vectors, sentences, settings, story_of)
        for position, items in _align_group(corpus, settings, None, gate).items():  # back to global ids
            links[ids[position]] = [replace(link, passage=ids[link.passage]) for link in items]
        aligned += 1
    return Alignment(links=dict(sorted(links.items())), settings=settings, stories_aligned=aligned,
                     stories_reused=len(members) - aligned)


def story_group(
    ids: Sequence[int],
    passages: Sequence[Passage],
    articles: Mapping[str, str],
    passage_vectors: np.ndarray | None,
    sentences: SentenceTable,
    settings: AlignmentSettings,
    story_of: Mapping[str, str],
) -> tuple[SignalCorpus, FactGate, list[Passage]]:
    """The signals and the fact gate of one story's passages ``ids``, renumbered from 0.

    Everything is computed from the story's own articles, its everyday words too (the
    words its articles also write in lower case), so that a story's alignment does not
    depend on the rest of the corpus and an unchanged story can be handed back as it was.
    """
    local = [replace(passages[pid], id=position) for position, pid in enumerate(ids)]
    vectors = None if passage_vectors is None else np.asarray(passage_vectors)[list(ids)]
    corpus = SignalCorpus(local, articles, vectors, sentences.of_passages(ids))
    everyday = lowercase_words(articles[source] for source in sorted({p.citation.source for p in local}))
    return corpus, FactGate(local, articles, story_of, everyday, settings), local


def candidate_signals(corpus: SignalCorpus, gate: FactGate, settings: AlignmentSettings) -> dict[tuple[int, int], dict[str, float]]:
    """The link signals of every candidate pair of one story (local ids, smaller first)."""
    found: dict[tuple[int, int], dict[str, float]] = {}
    for pid, others in _candidates(corpus, settings).items():
        for other in others:
            key = (min(pid, other), max(pid, other))
            if key not in found:
                found[key] = link_signals(corpus, gate, *key, settings)
    return found


def link_signals(corpus: SignalCorpus, gate: FactGate, a: int, b: int, settings: AlignmentSettings) -> dict[str, float]:
    """The signals the link decision weighs for two passages of one story (local ids)."""
    here, there = corpus.units[a], corpus.units[b]
    signals = {
        "similarity": corpus.pair_score(a, b, settings),
        "lexical": cosine(here.terms, there.terms),
        "numbers": number_overlap(here.quantities, there.quantities),
        "names": name_overlap(here.names, there.names, corpus.name_idf),
        "shared_specifics": math.log1p(len(gate.shared(a, b))),
        "distinctive": math.log1p(len(gate.distinctive_shared(a, b))),
        "quote": float(gate.quote_shared(a, b)),
    }
    if here.vector is not None and there.vector is not None:
        signals["dense_z"] = max(-5.0, min((float(here.vector @ there.vector) - corpus.baseline) / corpus.spread, 10.0))
    best = corpus.best_sentence_cosine(a, b)
    if best is not None:
        signals["sentence_z"] = max(-5.0, min((best - corpus.baseline) / corpus.spread, 10.0))
    return signals


def _best_links(corpus: SignalCorpus, pid: int, items: list[tuple[float, int]], settings: AlignmentSettings) -> list[tuple[float, int]]:
    """A passage's links kept, best first: at most ``max_per_article`` into any one other
    article, and ``max_aligned`` in all (so every outlet of a large story can be shown)."""
    kept: list[tuple[float, int]] = []
    per_article: Counter[str] = Counter()
    for score, other in sorted(items, key=lambda item: (-item[0], item[1])):
        source = corpus.passages[other].citation.source
        if per_article[source] >= settings.max_per_article:
            continue
        per_article[source] += 1
        kept.append((score, other))
        if len(kept) >= settings.max_aligned:
            break
    return kept


def _align_group(
    corpus: SignalCorpus, settings: AlignmentSettings, dense_neighbours: np.ndarray | None, gate: FactGate | None
) -> dict[int, list[Link]]:
    """Score the candidate pairs of one group of passages, keep each passage's best, find differences.

    Within a story (``gate`` given) a pair is scored by the calibrated link decision
    (``AlignmentSettings.decision``, its probability is the link's score); without one, by
    ``SignalCorpus.pair_score`` against ``AlignmentSettings.threshold``.
    """
    threshold = settings.threshold if gate is None else settings.decision.threshold
    if gate is None:
        scores = {
            key: corpus.pair_score(key[0], key[1], settings)
            for key in {(min(p, o), max(p, o)) for p, others in _candidates(corpus, settings, dense_neighbours).items() for o in others}
        }
    else:
        scores = {key: settings.decision.probability(signals) for key, signals in candidate_signals(corpus, gate, settings).items()}
    # Keep each passage's best links first, then extract differences once per kept pair:
    # differences cost about a millisecond a pair, scores a few microseconds.
    ranked: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for (a, b), score in scores.items():
        if score >= threshold:
            ranked[a].append((round(score, 4), b))
            ranked[b].append((round(score, 4), a))
    best = {pid: _best_links(corpus, pid, items, settings) for pid, items in ranked.items()}
    found: dict[tuple[int, int], list[FoundDifference]] = {}
    kept: dict[int, list[Link]] = {}
    for pid, items in best.items():
        kept[pid] = []
        for score, other in items:
            key = (min(pid, other), max(pid, other))
            if key not in found:
                found[key] = differences_between(corpus, key[0], key[1], settings)
            differences = found[key]
            if pid != key[0]:
                differences = [FoundDifference(d.kind, d.there, d.here) for d in differences]
            kept[pid].append(Link(other, score, tuple(differences)))
    return kept
