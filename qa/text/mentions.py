"""Patterns for the mentions that carry facts: months, weekdays, number words, names.

One place for them: the highlight choice (``qa.search.highlight``: does a sentence hold
a date, a number, a name?) and corroboration (``qa.corroboration``: which dates, numbers
and names two passages share or contradict) read the same lists. Pure: no I/O, no library.
"""

from __future__ import annotations

import re

# Months by their accent-folded, lower-case French name.
MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
# Regular-expression alternations (use with re.IGNORECASE).
# The same in English, and English weekdays by their French name (what ``DateMention`` keeps).
MONTHS_EN = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
WEEKDAYS_EN = {"monday": "lundi", "tuesday": "mardi", "wednesday": "mercredi", "thursday": "jeudi", "friday": "vendredi",
               "saturday": "samedi", "sunday": "dimanche"}
MONTH_PATTERN_FR = "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|octobre|novembre|d[ée]cembre"
MONTH_PATTERN_EN = "january|february|march|april|may|june|july|august|september|october|november|december"
MONTH_PATTERN = f"{MONTH_PATTERN_FR}|{MONTH_PATTERN_EN}"
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAY_PATTERN = "|".join(WEEKDAYS)

# French cardinal words and their values ("un"/"une" apart: they are usually articles).
NUMBER_WORDS = {
    "zero": 0, "zéro": 0, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40,
    "cinquante": 50, "soixante": 60, "cent": 100, "cents": 100, "mille": 1000,
}
SCALE_WORDS = {"million": 1e6, "millions": 1e6, "milliard": 1e9, "milliards": 1e9}
ONE_WORDS = frozenset({"un", "une"})
CARDINAL_PATTERN = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))

# Upper-case letters a name may start with (Latin-1 capitals included: "Élysée", "Ömer").
CAPITALS = "A-ZÀ-ÖØ-Þ"
# A capitalised word, with hyphenated or elided capitalised parts ("Saint-Pétersbourg", "L'Ukraine").
NAME = re.compile(rf"\b[{CAPITALS}][\w]*(?:[-'’][{CAPITALS}][\w]*)*\b")
ACRONYM = re.compile(rf"^[{CAPITALS}]{{2,}}s?$")
