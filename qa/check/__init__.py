"""Checking a claim against the articles: which state it, state it otherwise, hedge or contradict it.

``qa.check.compare`` (pure) reads what a source sentence holds of a claim;
``qa.check.verdict`` (pure) turns that into verdicts and a summary; ``qa.check.claims``
finds the sentences, with the search's candidates, and assembles the ``ClaimCheck``.
"""

from qa.check.claims import check_claim

__all__ = ["check_claim"]
