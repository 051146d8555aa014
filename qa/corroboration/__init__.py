"""Corroboration across sources: stories first, then facts within a story, then differences.

Pure logic: no I/O, no model. The index build calls ``corroborate_corpus`` with the
vectors it has just computed and stores the result (``stories.json``, ``alignment.json``);
a question only looks the stored result up (``attach``), so corroboration costs nothing
at question time.

The parts, in the order the build runs them:

* ``numbers``, ``mentions``: quantities and dates normalised ("douze" = 12, "1 600 km" =
  "994 miles", "24 heures" = "en un jour"), names, quotes and hedges, each with its span;
* ``stories``: articles grouped into stories by the rare specifics they share (names,
  dates, numbers), confirmed by document-level similarity; found through an inverted
  index, so adding an article compares it with candidate stories only;
* ``signals``: per passage and sentence, TF-IDF terms, vectors, numbers and names;
* ``align``: passage pairs of one story that report the same fact (similar, and, per
  ``facts``, sharing a specific beyond the story's common ones);
* ``differences``: what two aligned passages say differently (quote, number, date, name,
  hedge);
* ``record``: the stored records and their checks; ``build``: the one call the index
  build makes (``corroborate_corpus``); ``attach``: hits get ``also_in`` and
  ``differences``.
"""

from __future__ import annotations

from qa.corroboration.align import align_corpus, dense_neighbour_count
from qa.corroboration.attach import Corroboration, corroborate, with_corroboration
from qa.corroboration.record import Alignment, AlignmentSettings, FoundDifference, Link, alignment_problem
from qa.corroboration.signals import SentenceTable
from qa.models import DIFFERENCE_KINDS

__all__ = [
    "DIFFERENCE_KINDS",
    "Alignment",
    "AlignmentSettings",
    "Corroboration",
    "FoundDifference",
    "Link",
    "SentenceTable",
    "align_corpus",
    "alignment_problem",
    "corroborate",
    "dense_neighbour_count",
    "with_corroboration",
]
