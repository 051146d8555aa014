"""Corroboration helpers for the tests: the difference rules applied to two bare texts."""

from __future__ import annotations

import numpy as np

from qa.corroboration.differences import differences_between
from qa.corroboration.record import AlignmentSettings
from qa.corroboration.signals import SentenceTable, SignalCorpus
from qa.models import Citation, Passage
from qa.text.sentences import split_sentences


def compare_texts(here: str, there: str, settings: AlignmentSettings = AlignmentSettings()) -> list[tuple[str, str, str]]:
    """Differences between two texts taken as aligned passages of two articles, as (kind, here, there).

    Without vectors: sentences are matched on terms, numbers and names only. For tests
    and for trying the rules on a pair of sentences.
    """
    articles = {"here": here, "there": there}
    passages = [
        Passage(i, text, Citation(source, source, 1, 0, len(text)))
        for i, (source, text) in enumerate(articles.items())
    ]
    rows: list[tuple[int, int, int]] = []
    offsets = [0]
    for passage in passages:
        rows.extend((passage.id, span.start, span.end) for span in split_sentences(passage.text))
        offsets.append(len(rows))
    corpus = SignalCorpus(passages, articles, None, SentenceTable(np.array(rows, dtype=np.int64).reshape(-1, 3), np.array(offsets)))
    return [
        (d.kind, here[d.here.start : d.here.end], there[d.there.start : d.there.end])
        for d in differences_between(corpus, 0, 1, settings)
    ]
