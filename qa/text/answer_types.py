"""What kind of answer a question asks for, and whether a text holds one.

A question's interrogative words say what kind of answer it wants: a number for
*combien* / *how many*, a date for *quand* / *when* / *en quelle année*, a name for *qui* /
*who* (``answer_types``). A text holds such a thing when it has a figure or a number word,
a date (a day and month, a month, a year, a century, a weekday, or a day named from the
day of writing: *hier*, *demain*, *yesterday*), or a name (``carries_answer_type``). A
vague span (*les prochaines semaines*) is not a date, and neither are the verbs *may* and
*march* or the planet *Mars*: a month named without a day counts in English only
capitalised, and in French except as *Mars*.

Two readers: the highlight prefers a sentence that carries the asked kind
(``qa.search.highlight``), and abstention refuses a *when* question whose best passage
gives no date at all (``qa.search.ranking.date_not_given``).

*Quand* and *when* are also conjunctions (*Qu'a répondu Zelensky quand on lui a demandé…*,
*What did he answer when asked…*): a question asks for a date only when the word opens it
(after a preposition at most: *À partir de quand*, *Depuis quand*) or closes it
(*L'espèce a été découverte quand ?*), or when it asks *quelle année*, *what date*,
*à quelle époque*. *Qui*, *où*, *who* and *where* are read the same way, since they are
also relative pronouns (*la ville où il est né*).

Pure: no I/O, no library.
"""

from __future__ import annotations

import re

from qa.text.mentions import CAPITALS, CARDINAL_PATTERN, MONTH_PATTERN, MONTH_PATTERN_EN, MONTH_PATTERN_FR, WEEKDAY_PATTERN
from qa.text.normalise import fold_apostrophes

_ASKS = {
    "number": re.compile(
        r"\b(combien|how (many|much|far|long)|quel(le)? (nombre|distance|portée|quantité)|"
        r"jusqu'?à quelle|what (number|range|distance))\b",
        re.IGNORECASE,
    ),
    "date": re.compile(
        r"^\W*((à|a) partir de|jusqu'(à|a)|depuis|de|dès|since|until|from)?\s*\b(quand|when)\b"
        r"|\b(quand|when)\W*$"
        r"|\b(quel(le)?s?|what|which) (date|year|day|month|century|année|jour|mois|époque|siècle)\b",
        re.IGNORECASE,
    ),
    "name": re.compile(
        r"^\W*((à|a|par|de|d'|avec|pour|chez|contre|sur|to|by|with|for|from|of)\s*)?\b(qui|who|whom|où|where)\b"
        r"|\b(qui|who|whom|où|where)\W*$"
        r"|\b(comment s'appel\w*|quel(le)? (est le )?nom|what was the name|name of|"
        r"(quelle|which|what) (ville|city|pays|country|journal|newspaper|service|missile|opération|operation))\b",
        re.IGNORECASE,
    ),
}

# A year: a standalone figure of three or four digits, not a group of a larger number
# ("1 600 km" holds no year) and not a decimal.
_YEAR = r"(?<![\d,.])(?<!\d[ \u00a0\u202f])\b\d{3,4}\b(?![ \u00a0\u202f]?\d)(?![,.]\d)"
_CENTURY = r"\b[IVXLC]+(e|er|ème) siècle\b|\bsiècles?\b|\bcentur(y|ies)\b"
# Weekdays, and days named from the day of writing (news writes "hier", "lundi", "on Monday").
_DAY = (
    rf"{WEEKDAY_PATTERN}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"hier|avant-hier|aujourd['’]hui|demain|après-demain|veille|lendemain|today|yesterday|tomorrow|tonight"
)
# A month named without a day: English capitalises its months, which keeps out the verbs
# "may" and "march"; French does not, and a capitalised "Mars" is the planet or the god.
_ENGLISH_MONTH = "|".join(month.capitalize() for month in MONTH_PATTERN_EN.split("|"))
_MONTH = rf"(?-i:{_ENGLISH_MONTH})|(?!(?-i:Mars)\b)({MONTH_PATTERN_FR})"
_HOLDS = {
    "number": re.compile(rf"\d|\b(un|{CARDINAL_PATTERN})\b", re.IGNORECASE),
    "date": re.compile(
        rf"\b(\d{{1,2}} ({MONTH_PATTERN})|{_MONTH}|{_DAY})\b|{_YEAR}|{_CENTURY}",
        re.IGNORECASE,
    ),
    "name": re.compile(rf"(?<!^)(?<![.!?] )\b[{CAPITALS}][\w-]+|«"),
}


def answer_types(question: str) -> frozenset[str]:
    """The kinds of answer a question asks for: ``number``, ``date``, ``name``."""
    folded = fold_apostrophes(question).strip()
    return frozenset(kind for kind, pattern in _ASKS.items() if pattern.search(folded))


def carries_answer_type(text: str, kinds: frozenset[str]) -> bool:
    """Whether a text holds something of one of the kinds the question asks for."""
    return any(_HOLDS[kind].search(text) for kind in kinds)
