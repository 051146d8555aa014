"""Follow-up questions: does a question lean on the conversation, and what to search then.

When a question leans on the conversation (it starts with a follow-up word like "Et
celle des Atacms ?", has one content word, or is short and points back with a pronoun,
like "Quand a-t-il été lancé ?") the most recent earlier question is added to the query,
its words weighted below the new question's (``qa.search.ask``). A self-contained
question is searched alone, so an old topic never drowns a new one. Pure: strings only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.text.analyzer import analyze

FOLLOW_UP_START = re.compile(
    r"^\s*(et|mais|puis|alors|aussi|and|but|also|what about|how about|same for|idem|pareil)\b",
    re.IGNORECASE,
)
ANAPHORA = re.compile(
    r"(?:\b|-)(il|elle|ils|elles|celle|celui|ceux|celles|cela|ça|lui|leur|leurs|"
    r"it|its|they|them|their|he|she|his|her|him|those|these|this one|that one)\b",
    re.IGNORECASE,
)
FOLLOW_UP_MAX_TERMS = 3


def leans_on_history(question: str) -> bool:
    """Whether a question needs the conversation to be understood.

    It does when it starts with a follow-up word ("Et…", "And…", "What about…"), when it
    has at most one content word, or when it is short and points back with a pronoun
    ("Quand a-t-il été lancé ?", "How far can they fly?").
    """
    if FOLLOW_UP_START.match(question):
        return True
    terms = set(analyze(question))
    return len(terms) <= 1 or (len(terms) <= FOLLOW_UP_MAX_TERMS and bool(ANAPHORA.search(question)))


def query_with_context(question: str, history: Sequence[str]) -> tuple[str, list[str]]:
    """The text to search for, and the earlier questions it borrowed from."""
    earlier = [h for h in history if h.strip()]
    if not earlier or not leans_on_history(question):
        return question, []
    previous = earlier[-1]
    return f"{question} {previous}", [previous]
