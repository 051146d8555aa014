"""The French/English analyzer: text -> index terms, for BM25, follow-ups and corroboration.

In order:

1. ``qa.text.normalise.normalize``: typographic apostrophes and quotes (’ ‘ ʼ ´ `) become
   ``'``, non-breaking spaces spaces, and digit groups join (``1 600`` and ``1,600``
   become ``1600``);
2. lower-case, and split elisions (``l'``, ``d'``, ``qu'``, ``jusqu'``...);
3. drop French and English stop words (questions come in both languages): bm25s's lists
   (copied in ``qa.text.stopwords``) and the question words below;
4. stem with Snowball's French stemmer (PyStemmer), which expects accents;
5. fold accents after stemming, so that ``frappé`` and ``frappe`` meet.

Pure: strings in, strings out; PyStemmer is the only library. The BM25 index that stores
these terms is ``qa.index.lexical``.
"""

from __future__ import annotations

import functools
import re

import Stemmer

from qa.text.normalise import fold_accents, normalize
from qa.text.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_FRENCH

_TOKEN = re.compile(r"\w+", re.UNICODE)
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)'", re.IGNORECASE)

# Beyond bm25s's French list: frequent words of questions that carry no topic.
_EXTRA_STOPWORDS = {
    "quel", "quelle", "quels", "quelles", "qui", "quoi", "que", "quand", "comment", "combien",
    "pourquoi", "où", "est", "sont", "été", "être", "a", "ont", "avait", "fait", "selon",
    "cela", "ce", "cet", "cette", "ces", "celle", "celui", "ceux", "dont", "lors", "après",
    "plus", "très", "aussi", "ainsi", "donc", "déjà", "encore", "il", "elle", "ils", "elles",
    "what", "which", "who", "whom", "when", "where", "why", "how", "many", "much", "does",
    "did", "do", "is", "are", "was", "were", "the", "of", "a", "an", "according", "could", "would",
    "should", "might",
}
STOPWORDS = frozenset(STOPWORDS_FRENCH) | frozenset(STOPWORDS_EN_PLUS) | frozenset(_EXTRA_STOPWORDS)

_stemmer = Stemmer.Stemmer("french")

# Bump when ``analyze`` turns a text into other terms; recorded in the manifest's ``lexical`` section.
ANALYZER_VERSION = 1


def analyze(text: str) -> list[str]:
    """Turn text into index terms: elisions split, stop words out, stemmed, accents folded."""
    text = _ELISION.sub(" ", normalize(text).lower())
    words = [word for word in _TOKEN.findall(text) if word not in STOPWORDS and fold_accents(word) not in STOPWORDS]
    stems = _stemmer.stemWords(words)
    return [fold_accents(stem) for stem in stems]


@functools.lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a text; cached, because the same passages' sentences are
    analysed again for every question whose answer they are (highlighting)."""
    return frozenset(analyze(text))


def coverage_of(text: str, weights: dict[str, float]) -> float:
    """The share of the question's IDF weight whose terms occur in ``text``."""
    return float(sum(weights.get(term, 0.0) for term in term_set(text)))
