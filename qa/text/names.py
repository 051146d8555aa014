"""Names in text: capitalised words not opening a sentence, and acronyms, with their spans.

Spelling variants meet: ``same_name`` takes a one-letter difference (Volodymyr/Volodymir)
and a short alias table the transliterations that differ more (Kyiv/Kiev). Read by
corroboration (which names two passages share) and by search (the names a question asks
about, ``qa.text.specifics``). Pure: no I/O, no library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.models import Span
from qa.text.mentions import ACRONYM, NAME
from qa.text.normalise import fold_word, word_key

# Transliterations that differ by more than one letter.
_NAME_ALIASES = {"kiev": "kyiv", "kyiv": "kyiv", "kiyv": "kyiv"}


@dataclass(frozen=True)
class Name:
    """A named entity: a capitalised word (not sentence-initial) or an acronym."""

    key: str
    span: Span


def _name_key(word: str) -> str:
    key = word_key(word)
    return _NAME_ALIASES.get(key, key)


def sentence_initial(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \u00a0\u202f\t«\"“(-–—•")
    return not before or before[-1] in ".!?…:\n"


def names(text: str, offset: int = 0) -> list[Name]:
    """Named entities: capitalised words not opening a sentence, and acronyms anywhere."""
    found = []
    for match in NAME.finditer(text):
        word = match.group(0)
        if "'" in word or "’" in word:
            head, _, tail = re.split(r"(['’])", word, maxsplit=1)
            if len(head) <= 2:  # "L'Ukraine" -> "Ukraine"
                word = tail
                start = match.end() - len(tail)
            else:
                start = match.start()
        else:
            start = match.start()
        folded = fold_word(word)
        if folded in _STOP_NAMES:
            continue
        if not ACRONYM.match(word) and sentence_initial(text, start):
            continue
        found.append(Name(_name_key(word), Span(offset + start, offset + start + len(word))))
    return found


_STOP_NAMES = frozenset(
    {"le", "la", "les", "un", "une", "des", "et", "mais", "ou", "donc", "si", "il", "elle", "ils", "elles",
     "ce", "cette", "ces", "nous", "vous", "je", "on", "en", "au", "aux", "du", "de", "a", "à"}
)


def within_edits(a: str, b: str, limit: int) -> bool:
    """Whether the edit distance (insertions, deletions, substitutions) of ``a`` and ``b``
    is at most ``limit``: one linear walk for a single edit, a row-by-row count otherwise."""
    if a == b:
        return True
    if limit < 1 or abs(len(a) - len(b)) > limit:
        return False
    if limit == 1:
        return _one_edit_apart(a, b)
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` (lengths at most one apart) differ by at most one edit: one walk."""
    if len(a) > len(b):
        a, b = b, a
    i = j = 0
    edits = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        edits += 1
        if edits > 1:
            return False
        if len(a) == len(b):
            i += 1
        j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1


def same_name(a: str, b: str) -> bool:
    """Whether two name keys are the same name (equal, or a one-letter spelling variant)."""
    if a == b:
        return True
    return min(len(a), len(b)) >= 5 and within_edits(a, b, 1)
