"""What a question names, and whether an article mentions it.

A question that names something (*Lyon*, *le PSG*, *2022*) can only be answered by an
article that mentions it: *Quel est le score du dernier match du PSG ?* is not answered by
a paragraph on Arsenal's 2014 cup final, however close the two sit in embedding space.
Search (``qa.search``) uses this as a second test before it answers, when the question
and the article are in the same language (across languages, names are translated:
*NATO*/*OTAN*).

* ``question_specifics``: the names of the question (``qa.text.names``: capitalised words
  not opening it, and acronyms) and its figures of three digits or more (years, amounts;
  small counts are often written in words in the article);
* ``missing_specifics``: those the article's words do not hold. Crowd-typed questions
  misspell names (*Maharashi* for *Maharishi*, *Nürbuging*), and a name comes in several
  forms (*Américains*, *américain*), so a name word is found when the article holds it
  exactly, up to one edit (two for words of eight letters or more), or as the stem of a
  longer word;
* ``as_written``: those specifics as the question writes them, to tell a reader what no
  article holds.

Pure: no I/O, no library.
"""

from __future__ import annotations

import functools
import re

from qa.text.names import names, within_edits
from qa.text.normalise import normalize, word_key

_WORD = re.compile(r"\w+")
_FIGURE = re.compile(r"\d{3,}")
_STEM_MIN = 5  # a name word of 5+ letters is found as the start of a longer word


def question_specifics(question: str) -> list[str]:
    """The name keys and figures (3+ digits) a question holds, each once, in order.

    A question typed in capitals says nothing by its case: only its figures count.
    """
    letters = [char for char in question if char.isalpha()]
    shouted = bool(letters) and sum(char.isupper() for char in letters) > len(letters) / 2
    found = [] if shouted else [name.key for name in names(question)]
    found += _FIGURE.findall(normalize(question))
    return list(dict.fromkeys(found))


@functools.lru_cache(maxsize=512)
def word_set(text: str) -> frozenset[str]:
    """The folded words of a text (digit groups joined), as ``word_key`` spells them."""
    return frozenset(word_key(word) for word in _WORD.findall(normalize(text)))


def word_found(word: str, words: frozenset[str]) -> bool:
    """Whether a folded name word is among ``words``, allowing for spelling and form."""
    if word in words:
        return True
    if len(word) < 4 or word.isdigit():
        return False
    limit = 1 if len(word) < 8 else 2
    stem = word[: max(_STEM_MIN, len(word) - 2)] if len(word) >= _STEM_MIN else None
    # Within `limit` edits, one of `limit + 1` pieces of the word is left whole (pigeonhole):
    # a substring test on each piece rules most candidates out before the edit distance.
    size = len(word) // (limit + 1)
    pieces = [word[i * size : (i + 1) * size if i < limit else len(word)] for i in range(limit + 1)]
    for candidate in words:
        if stem is not None and candidate.startswith(stem):
            return True
        if abs(len(candidate) - len(word)) > limit or (len(word) < 8 and candidate[:1] != word[:1]):
            continue  # a short name keeps its first letter
        if any(piece in candidate for piece in pieces) and within_edits(word, candidate, limit):
            return True
    return False


def as_written(question: str, specifics: list[str]) -> list[str]:
    """``specifics`` (name keys and figures of ``question_specifics``) as ``question`` writes them.

    A name key maps back to the question's own words (*PSG*, *Provinces-Unies*); a figure
    is shown as found.
    """
    written = {}
    for name in names(question):
        written.setdefault(name.key, question[name.span.start : name.span.end])
    return [written.get(item, item) for item in specifics]


def missing_specifics(specifics: list[str], words: frozenset[str]) -> list[str]:
    """The specifics (``question_specifics``) that ``words`` (``word_set``) do not hold.

    A name of several words (*Provinces-Unies*) is held when each of its words is.
    """
    return [item for item in specifics if not all(word_found(part, words) for part in _WORD.findall(item))]
