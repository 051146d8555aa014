"""Text normalisation, one function per idea: apostrophes, accents, blanks, digit groups.

* ``fold_apostrophes``: the typographic apostrophe ``’`` (and ``‘``, ``ʼ``, ``´``, `````)
  is the same as ``'``. Every comparison of words goes through it: the analyzer, the
  answer-type rules of the highlight, corroboration's word keys, answer matching in
  ``qa eval``. Each mark maps to one character, so offsets never move.
* ``fold_accents`` / ``fold_word``: ``é`` -> ``e``; a word lower-cased and accent-folded.
* ``is_blank_char`` / ``is_blank``: white space, or an invisible mark (BOM, zero-width
  space) that makes no paragraph and no article.
* ``normalize``: what the analyzer reads: apostrophes and non-breaking spaces unified,
  digit groups joined (``1 600`` and ``1,600`` become ``1600``).

Pure: no I/O, no library beyond the standard one.
"""

from __future__ import annotations

import functools
import re
import unicodedata

APOSTROPHE_MARKS = "’‘ʼ´`"
_APOSTROPHES = str.maketrans({mark: "'" for mark in APOSTROPHE_MARKS})
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})
_DIGIT_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3})(?:[ ,.](\d{3}))+(?![\d])")
_INVISIBLE = "\ufeff\u200b"


def fold_apostrophes(text: str) -> str:
    """Write every apostrophe mark (``’ ‘ ʼ ´ ```) as ``'``; the length never changes."""
    return text.translate(_APOSTROPHES)


@functools.lru_cache(maxsize=1 << 16)
def fold_accents(word: str) -> str:
    """Remove combining marks: ``é`` -> ``e``, ``ç`` -> ``c``.

    Cached per word (bounded): it runs twice per word of every analysed text, and a
    vocabulary is small next to the words seen (bench/latency.py profile).
    """
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold_word(word: str) -> str:
    """Lower-cased and accent-folded."""
    return fold_accents(word.lower())


def word_key(word: str) -> str:
    """Lower-cased, accent-folded, apostrophes unified: how two spellings of a word meet."""
    return fold_apostrophes(fold_word(word))


def is_blank_char(char: str) -> bool:
    """Whitespace, or an invisible mark (BOM, zero-width space) that makes no paragraph."""
    return char.isspace() or char in _INVISIBLE


def is_blank(text: str) -> bool:
    """Whether ``text`` holds nothing but blank characters (``is_blank_char``)."""
    return all(is_blank_char(char) for char in text)


def normalize(text: str) -> str:
    """Unify apostrophes and spaces, and join digit groups, keeping letters intact."""
    text = fold_apostrophes(text).translate(_SPACES)
    return _DIGIT_GROUPS.sub(lambda m: m.group(0).replace(" ", "").replace(",", "").replace(".", ""), text)
