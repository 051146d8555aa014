"""The lexical index: BM25 over analysed passages, its score matrix kept by ``bm25s``.

Terms come from the pure analyzer (``qa.text.analyzer.analyze``: French-aware, stemmed,
accent-folded). The index stores BM25 weights in a sparse matrix (bm25s); scoring a
question is a sum over its terms' columns, and it also reports the share of the
question's term weight (IDF) found in each passage, a corpus-independent measure used
for abstention. A question term the corpus lacks matches long-prefix cognates
(``LexicalIndex.matches``). Written by ``qa.index.build``, read by ``qa.index.load``.
"""

from __future__ import annotations

import bisect
import json
import os
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from qa.text.analyzer import ANALYZER_VERSION, analyze

COGNATE_MIN_PREFIX = 5
COGNATE_SHARE = 0.7
COGNATE_WEIGHT = 0.5
COGNATE_LIMIT = 3


@dataclass
class LexicalScores:
    """BM25 score of every passage, and the share of question IDF each one contains.

    ``weights`` maps each index term the question matched to the share of the question's
    IDF weight it stands for (a cognate match stands for part of its question term).
    """

    bm25: np.ndarray
    coverage: np.ndarray
    weights: dict[str, float]


class LexicalIndex:
    """BM25 over analysed passages, with ``bm25s`` keeping the sparse score matrix."""

    FILES = ("bm25",)

    def __init__(self, retriever: bm25s.BM25, doc_count: int):
        self._retriever = retriever
        self._doc_count = doc_count
        vocab = retriever.vocab_dict
        self._vocab = vocab
        scores = retriever.scores
        indptr = np.asarray(scores["indptr"])
        document_frequency = np.diff(indptr).astype(np.float64)
        # Lucene's IDF, as bm25s uses: log(1 + (N - df + 0.5) / (df + 0.5)).
        self._idf = np.log(1.0 + (doc_count - document_frequency + 0.5) / (document_frequency + 0.5))
        self._unknown_idf = float(np.log(1.0 + (doc_count + 0.5) / 0.5))
        self._sorted_vocab: list[str] | None = None
        self._terms_by_column: dict[int, str] | None = None

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        """Index the given passage texts, in order."""
        corpus_tokens = [analyze(text) or [""] for text in texts]
        retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
        retriever.index(corpus_tokens, show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        """Write the index into ``folder/bm25``."""
        target = Path(folder) / "bm25"
        self._retriever.save(str(target))
        (target / "qa_lexical.json").write_text(json.dumps({"doc_count": self._doc_count}))

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> LexicalIndex:
        """Read an index written by ``save``; the score matrix is memory-mapped by default."""
        target = Path(folder) / "bm25"
        meta = json.loads((target / "qa_lexical.json").read_text())
        retriever = bm25s.BM25.load(str(target), mmap=mmap)
        return cls(retriever, int(meta["doc_count"]))

    def __len__(self) -> int:
        return self._doc_count

    def describe(self) -> dict[str, object]:
        """The manifest's ``lexical`` section: what this index is and how it scores."""
        retriever = self._retriever
        return {
            "library": "bm25s",
            "method": str(getattr(retriever, "method", "lucene")),
            "k1": float(retriever.k1),
            "b": float(retriever.b),
            "documents": self._doc_count,
            "terms": len(self._vocab),
            "analyzer": ANALYZER_VERSION,
        }

    def matches(self, term: str) -> list[tuple[int, float]]:
        """Index columns a question term matches, each with a weight factor.

        An exact term matches itself with factor 1. A term absent from the vocabulary
        matches up to ``COGNATE_LIMIT`` vocabulary terms that share a long prefix with
        it (at least ``COGNATE_MIN_PREFIX`` characters and ``COGNATE_SHARE`` of the
        shorter word), with factor ``COGNATE_WEIGHT``. That bridges cognates across
        languages and derivations: English "congress" meets French "congrès", "Moscow"
        meets "Moscou", without any word list.
        """
        column = self._vocab.get(term)
        if column is not None:
            return [(column, 1.0)]
        if len(term) < COGNATE_MIN_PREFIX:
            return []
        if self._sorted_vocab is None:
            self._sorted_vocab = sorted(t for t in self._vocab if t)
        vocabulary = self._sorted_vocab
        stem = term[:COGNATE_MIN_PREFIX]
        found = []
        position = bisect.bisect_left(vocabulary, stem)
        while position < len(vocabulary) and vocabulary[position].startswith(stem):
            candidate = vocabulary[position]
            shared = len(os.path.commonprefix([term, candidate]))
            if shared >= COGNATE_SHARE * min(len(term), len(candidate)):
                found.append((shared, candidate))
            position += 1
        found.sort(key=lambda item: (-item[0], item[1]))
        return [(self._vocab[candidate], COGNATE_WEIGHT) for _, candidate in found[:COGNATE_LIMIT]]

    def score(self, question: str) -> LexicalScores:
        """Score every passage for the question: BM25, and the share of question IDF held.

        Only the postings of the matched terms are touched, so the cost follows the
        question's terms, not the corpus size (beyond allocating the score arrays).
        """
        terms = [term for term in dict.fromkeys(analyze(question)) if term]
        bm25 = np.zeros(self._doc_count, dtype=np.float32)
        coverage = np.zeros(self._doc_count, dtype=np.float32)
        if not terms:
            return LexicalScores(bm25=bm25, coverage=coverage, weights={})
        scores = self._retriever.scores
        data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
        matched = {term: self.matches(term) for term in terms}
        idf = {
            term: max((float(self._idf[column]) for column, _ in found), default=self._unknown_idf)
            for term, found in matched.items()
        }
        total = sum(idf.values())
        shares = {term: idf[term] / total for term in terms}
        held_terms: dict[str, float] = {}
        for term, found in matched.items():
            held = np.zeros(self._doc_count, dtype=np.float32)
            for column, factor in found:
                vocab_term = self._term_of(column)
                held_terms[vocab_term] = max(held_terms.get(vocab_term, 0.0), shares[term] * factor)
                lo, hi = int(indptr[column]), int(indptr[column + 1])
                docs = np.asarray(indices[lo:hi])
                bm25[docs] += factor * np.asarray(data[lo:hi], dtype=np.float32)
                held[docs] = np.maximum(held[docs], factor)
            coverage += held * shares[term]
        return LexicalScores(bm25=bm25, coverage=coverage, weights=held_terms)

    def _term_of(self, column: int) -> str:
        if self._terms_by_column is None:
            self._terms_by_column = {column: term for term, column in self._vocab.items()}
        return self._terms_by_column[column]
