"""The signals alignment compares, computed once per corpus: terms, vectors, numbers, names.

``SignalCorpus`` holds, for every passage (and, on demand, every sentence), a ``Unit``:
its TF-IDF vector of analysed terms (attribution words left out), its normalised
quantities, its name keys (spelling variants folded) and its embedding. ``similarity``
combines them; ``AlignmentSettings`` (``qa.corroboration.record``) weighs them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.corroboration.mentions import NameCanon
from qa.corroboration.numbers import Quantity, quantities, same_value
from qa.corroboration.record import AlignmentSettings
from qa.models import Passage, Span
from qa.text.analyzer import analyze
from qa.text.names import names


def _quantity_keys(found: Sequence[Quantity]) -> list[tuple[str, float]]:
    return [(q.dimension, q.value) for q in found if q.dimension != "count" or q.value >= 2]


def number_overlap(a: Sequence[Quantity], b: Sequence[Quantity]) -> float:
    """Share of the smaller side's quantities found on the other side (same dimension and value)."""
    keys_a, keys_b = _quantity_keys(a), _quantity_keys(b)
    if not keys_a or not keys_b:
        return 0.0
    shared = sum(1 for d, v in keys_a if any(d == e and same_value(v, w) for e, w in keys_b))
    return shared / min(len(keys_a), len(keys_b))


def name_overlap(a: Sequence[str], b: Sequence[str], idf: Mapping[str, float]) -> float:
    """IDF-weighted Dice overlap of two sets of name keys (canonicalised by ``NameCanon``)."""
    set_a, set_b = set(a), set(b)
    if not set_a or not set_b:
        return 0.0

    def weight(key: str) -> float:
        return idf.get(key, 1.0)

    shared = set_a & set_b
    total = sum(map(weight, set_a)) + sum(map(weight, set_b))
    return 2 * sum(map(weight, shared)) / total if total else 0.0


# Attribution words ("selon deux sources proches du dossier", "a déclaré un responsable"):
# every news passage has them, so sharing them is no evidence of sharing a fact.
ATTRIBUTION_TERMS = frozenset(
    analyze(
        "selon source sources proche proches personne personnes informée informées courant déclaré déclare "
        "responsable responsables indiqué affirmé dit dossier dossiers discussions expliqué ajouté"
    )
)


def alignment_terms(text: str) -> list[str]:
    """The analysed terms of ``text`` that alignment compares: attribution words left out."""
    return [term for term in analyze(text) if term not in ATTRIBUTION_TERMS]


class _TfIdf:
    """TF-IDF vectors of analysed terms over a set of texts, for cosine similarity."""

    def __init__(self, documents: Sequence[list[str]]):
        frequency: Counter[str] = Counter()
        for terms in documents:
            frequency.update(set(terms))
        count = max(len(documents), 1)
        self.idf = {term: math.log(1 + count / df) for term, df in frequency.items()}
        self.default_idf = math.log(1 + count)

    def vector(self, terms: Sequence[str]) -> dict[str, float]:
        counts = Counter(terms)
        vector = {t: (1 + math.log(c)) * self.idf.get(t, self.default_idf) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {t: v / norm for t, v in vector.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two sparse normalised vectors."""
    if len(a) > len(b):
        a, b = b, a
    return float(sum(v * b.get(t, 0.0) for t, v in a.items()))


@dataclass
class Unit:
    """A passage or a sentence, with the signals alignment compares."""

    span: Span
    terms: dict[str, float]
    quantities: list[Quantity]
    names: list[str]
    vector: np.ndarray | None



def line_before(text: str, start: int) -> str:
    end = text.rfind("\n", 0, start)
    while end > 0 and not text[:end].rstrip("\r\n").strip():
        end = -1
    if end <= 0:
        return ""
    head = text[:end].rstrip("\r\n")
    return head[head.rfind("\n") + 1 :]


def _cross_source_baseline(vectors: np.ndarray | None, sources: Sequence[str], sample: int = 2000) -> tuple[float, float]:
    """Mean and standard deviation of the similarity of passages of different articles
    (on a fixed sample when large)."""
    if vectors is None or len(vectors) < 2:
        return 0.0, 1.0
    rows = np.arange(len(vectors))
    if len(rows) > sample:
        rows = np.random.default_rng(0).choice(rows, sample, replace=False)
    chosen = vectors[rows]
    similarities = chosen @ chosen.T
    labels = np.array(sources)[rows]
    different = labels[:, None] != labels[None, :]
    if not different.any():
        return 0.0, 1.0
    values = similarities[different]
    return float(values.mean()), max(float(values.std()), 1e-3)


@dataclass(frozen=True)
class SentenceTable:
    """The passages' sentences as the index stores them: rows (passage id, start, end),
    each passage's row range (``offsets[i]:offsets[i + 1]``) and, if built, their vectors."""

    spans: np.ndarray
    offsets: np.ndarray
    vectors: np.ndarray | None = None

    def of_passages(self, ids: Sequence[int]) -> SentenceTable:
        """The sentences of passages ``ids`` only, renumbered: passage ``ids[i]`` becomes ``i``."""
        rows: list[np.ndarray] = []
        offsets = [0]
        kept: list[int] = []
        for position, pid in enumerate(ids):
            lo, hi = int(self.offsets[pid]), int(self.offsets[pid + 1])
            block = np.array(self.spans[lo:hi], dtype=np.int64).reshape(-1, 3)
            block[:, 0] = position
            rows.append(block)
            kept.extend(range(lo, hi))
            offsets.append(offsets[-1] + (hi - lo))
        spans = np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)
        vectors = None if self.vectors is None else np.asarray(self.vectors)[kept]
        return SentenceTable(spans, np.array(offsets, dtype=np.int64), vectors)


class SignalCorpus:
    """The signals of every passage and sentence, computed once."""

    def __init__(
        self,
        passages: Sequence[Passage],
        articles: Mapping[str, str],
        passage_vectors: np.ndarray | None,
        sentences: SentenceTable,
    ):
        self.passages = passages
        self.articles = articles
        self.passage_vectors = None if passage_vectors is None else np.asarray(passage_vectors, dtype=np.float32)
        self.sentence_vectors = None if sentences.vectors is None else np.asarray(sentences.vectors, dtype=np.float32)
        self.sentence_spans = sentences.spans
        self.sentence_offsets = sentences.offsets
        terms = [alignment_terms(p.text) for p in passages]
        self.tfidf = _TfIdf(terms)
        self.canon = NameCanon()
        name_lists = [[self.canon(n.key) for n in names(p.text)] for p in passages]
        frequency: Counter[str] = Counter()
        for keys in name_lists:
            frequency.update(set(keys))
        count = max(len(passages), 1)
        self.name_idf = {key: math.log(1 + count / df) for key, df in frequency.items()}
        self.units = [
            Unit(
                span=Span(p.citation.start, p.citation.end),
                terms=self.tfidf.vector(terms[i]),
                quantities=quantities(p.text, p.citation.start),
                names=name_lists[i],
                vector=None if self.passage_vectors is None else self.passage_vectors[i],
            )
            for i, p in enumerate(passages)
        ]
        self._sentences: dict[int, list[Unit]] = {}
        self.baseline, self.spread = _cross_source_baseline(self.passage_vectors, [p.citation.source for p in passages])

    def text(self, passage_id: int) -> str:
        return self.articles[self.passages[passage_id].citation.source]

    def sentences(self, passage_id: int) -> list[Unit]:
        cached = self._sentences.get(passage_id)
        if cached is not None:
            return cached
        lo, hi = int(self.sentence_offsets[passage_id]), int(self.sentence_offsets[passage_id + 1])
        source = self.text(passage_id)
        units = []
        for row in range(lo, hi):
            start, end = int(self.sentence_spans[row][1]), int(self.sentence_spans[row][2])
            sentence = source[start:end]
            units.append(
                Unit(
                    span=Span(start, end),
                    terms=self.tfidf.vector(alignment_terms(sentence)),
                    quantities=quantities(sentence, start),
                    names=[self.canon(n.key) for n in names(sentence)],
                    vector=None if self.sentence_vectors is None else self.sentence_vectors[row],
                )
            )
        self._sentences[passage_id] = units
        return units

    def similarity(self, a: Unit, b: Unit, settings: AlignmentSettings) -> float:
        """The alignment score of two units (passages or sentences)."""
        dense = 0.0 if a.vector is None or b.vector is None else float(a.vector @ b.vector)
        return (
            cosine(a.terms, b.terms)
            + settings.dense_weight * max(dense - self.baseline, 0.0) / (self.spread if settings.dense_in_spreads else 1.0)
            + settings.number_weight * number_overlap(a.quantities, b.quantities)
            + settings.name_weight * name_overlap(a.names, b.names, self.name_idf)
        )

    def sentence_matches(self, here: int, there: int, settings: AlignmentSettings) -> list[tuple[Unit, Unit, float]]:
        """Sentence pairs where one is the other's best match, best first."""
        left, right = self.sentences(here), self.sentences(there)
        if not left or not right:
            return []
        scores = np.array([[self.similarity(a, b, settings) for b in right] for a in left])
        chosen = {(i, int(scores[i].argmax())) for i in range(len(left))}
        chosen |= {(int(scores[:, j].argmax()), j) for j in range(len(right))}
        return sorted(((left[i], right[j], float(scores[i, j])) for i, j in chosen), key=lambda m: -m[2])

    def best_sentence_cosine(self, here: int, there: int) -> float | None:
        """The highest dense cosine between a sentence of one passage and one of the other."""
        if self.sentence_vectors is None:
            return None
        a = self.sentence_vectors[int(self.sentence_offsets[here]) : int(self.sentence_offsets[here + 1])]
        b = self.sentence_vectors[int(self.sentence_offsets[there]) : int(self.sentence_offsets[there + 1])]
        if not len(a) or not len(b):
            return None
        return float((a @ b.T).max())

    def pair_score(self, here: int, there: int, settings: AlignmentSettings) -> float:
        return self.similarity(self.units[here], self.units[there], settings)

