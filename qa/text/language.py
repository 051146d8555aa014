"""Which language a text is in, French or English, by its function words.

Counts the words that only one of the two stop-word lists holds (``qa.text.stopwords``):
*le*, *est*, *une*... against *the*, *is*, *which*... Enough for a question or an article;
ties go to French, the corpus's usual language. Pure: no I/O, no library.
"""

from __future__ import annotations

import functools
import re

from qa.text.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_FRENCH

# What ``language_of`` answers.
LANGUAGES = ("fr", "en")

_FRENCH_ONLY = frozenset(STOPWORDS_FRENCH) - frozenset(STOPWORDS_EN_PLUS)
_ENGLISH_ONLY = frozenset(STOPWORDS_EN_PLUS) - frozenset(STOPWORDS_FRENCH)
_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=512)
def language_of(text: str) -> str:
    """``"fr"`` or ``"en"``: the language whose function words the text uses more."""
    words = _WORD.findall(text.lower())
    french = sum(word in _FRENCH_ONLY for word in words)
    english = sum(word in _ENGLISH_ONLY for word in words)
    return "en" if english > french else "fr"
