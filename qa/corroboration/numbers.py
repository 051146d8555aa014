"""Quantities and dates in text, normalised so that different wordings of one fact agree.

"12 bombardiers" and "douze avions" are both the count 12; "1 600 km", "environ 1 600
kilomètres" and "994 miles" are one distance; "24 heures" and "en un jour" one duration;
"4 juillet 2025" agrees with "le 4 juillet". A figure keeps how it is bounded ("plus de
10 000", "environ 115", "une quarantaine"): ``same_quantity`` compares values,
``same_statement`` also the bounds. Each mention keeps its exact span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.models import Span
from qa.text.analyzer import analyze
from qa.text.mentions import (
    MONTH_PATTERN_FR,
    MONTHS,
    MONTHS_EN,
    NUMBER_WORDS,
    ONE_WORDS,
    SCALE_WORDS,
    WEEKDAY_PATTERN,
    WEEKDAYS_EN,
)
from qa.text.normalise import fold_word

# "un"/"une" count as 1 only before a unit ("en un jour"), never as an article.
# unit word (folded, lower case) -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "km": ("distance", 1.0), "kilometre": ("distance", 1.0), "kilometres": ("distance", 1.0),
    "kilometer": ("distance", 1.0), "kilometers": ("distance", 1.0),
    "m": ("distance", 0.001), "metre": ("distance", 0.001), "metres": ("distance", 0.001),
    "mile": ("distance", 1.609344), "miles": ("distance", 1.609344),
    "minute": ("duration", 1 / 60), "minutes": ("duration", 1 / 60),
    "h": ("duration", 1.0), "heure": ("duration", 1.0), "heures": ("duration", 1.0),
    "hour": ("duration", 1.0), "hours": ("duration", 1.0),
    "jour": ("duration", 24.0), "jours": ("duration", 24.0), "journee": ("duration", 24.0),
    "day": ("duration", 24.0), "days": ("duration", 24.0),
    "semaine": ("duration", 168.0), "semaines": ("duration", 168.0),
    "mois": ("duration", 730.0), "an": ("duration", 8760.0), "ans": ("duration", 8760.0),
    "annee": ("duration", 8760.0), "annees": ("duration", 8760.0),
    "%": ("percent", 1.0), "pourcent": ("percent", 1.0),
    "dixieme": ("fraction", 0.1), "dixiemes": ("fraction", 0.1), "centieme": ("fraction", 0.01),
    "centiemes": ("fraction", 0.01), "millieme": ("fraction", 0.001), "milliemes": ("fraction", 0.001),
    "dollar": ("usd", 1.0), "dollars": ("usd", 1.0), "$": ("usd", 1.0),
    "euro": ("eur", 1.0), "euros": ("eur", 1.0), "€": ("eur", 1.0),
    "tonne": ("mass", 1.0), "tonnes": ("mass", 1.0), "kg": ("mass", 0.001),
}
_RELATIVE_TOLERANCE = 0.02

_NUMBER_WORD_ALTERNATION = "|".join(
    sorted((re.escape(w) for w in [*NUMBER_WORDS, *SCALE_WORDS, *ONE_WORDS]), key=len, reverse=True)
)
# Thousands are grouped by spaces ("36 000") or, in French and Belgian copy, by dots
# ("36.000", "1.293"): a dot followed by exactly three digits groups thousands.
_DIGITS = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d{1,3}(?:\.\d{3})+(?![.,]?\d)|\d+(?:[.,]\d+)?"
# A time of day or a duration written "12h43", "09H00", "5h29": minutes after the hour.
_CLOCK = re.compile(r"(?<![\w.,])(?P<hours>[01]?\d|2[0-3])\s?[hH](?P<minutes>[0-5]\d)(?![\w])")
_WORD_NUMBER = rf"(?:{_NUMBER_WORD_ALTERNATION})(?:(?:-|\s+|\s+et\s+|-et-)(?:{_NUMBER_WORD_ALTERNATION}))*"
_QUANTITY = re.compile(
    rf"(?<![\w.,])(?P<number>{_DIGITS}|{_WORD_NUMBER})(?![\w])"
    r"(?:\s*(?P<unit>%|\$|€|pour\s+cent|[^\W\d_]+))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """A number found in text, normalised: value in the base unit of its dimension.

    ``dimension`` is ``distance`` (km), ``duration`` (hours), ``percent``, a currency,
    ``mass`` (tonnes) or ``count``; for a count, ``noun`` is the folded stem of the word
    counted ("12 bombardiers" -> ``bombardi``).
    """

    value: float
    dimension: str
    noun: str
    span: Span
    # The unit as written (folded), "" for a count: two quantities written in the same
    # unit are compared exactly, converted ones within rounding (``same_quantity``).
    unit: str = ""
    # How the figure is bounded, from the words before it (``bound_of``): "" as stated,
    # "about" ("environ", "une quarantaine"), "nearly" ("près de"), "over" ("plus de",
    # "au moins") or "under" ("moins de"). The span starts at those words.
    bound: str = ""
    # A round figure in words ("une vingtaine", "un millier"): no specific of one event.
    rounded: bool = False


# The words before a figure that bound it, French and English; the apostrophe is either
# one. The match that starts first wins, so "pas moins de" is a floor, not "moins de".
_BOUNDS = (
    ("over", (r"pas\s+moins\s+d[e'’]|plus\s+d[e'’]|au\s+moins|au-del[aà]\s+d[e'’]|more\s+than|at\s+least|over"
              r"|upwards\s+of|in\s+excess\s+of|no\s+fewer\s+than|no\s+less\s+than")),
    ("under", r"moins\s+d[e'’]|less\s+than|fewer\s+than|under"),
    ("nearly", r"pr[eè]s\s+d[e'’]|presque|quasiment|pas\s+loin\s+d[e'’]|nearly|almost|close\s+to"),
    ("about", r"environ|quelque|autour\s+d[e'’]|approximativement|approximately|around|about|roughly|some"),
)
_BOUND = re.compile(
    "(?:" + "|".join(f"(?P<{name}>(?<![\\w-])(?:{words}))" for name, words in _BOUNDS) + r")\s*$", re.IGNORECASE
)
# "une quarantaine de morts", "un millier de manifestants": a figure given about.
_ROUND_NOUNS = {
    "dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30, "quarantaine": 40,
    "cinquantaine": 50, "soixantaine": 60, "centaine": 100, "millier": 1000,
}
_ROUND = re.compile(
    r"(?<![\w-])(?P<number>une?\s+(?P<noun>" + "|".join(_ROUND_NOUNS) + r"))\s+(?:de\s+|d['’])(?P<unit>[^\W\d_]+)",
    re.IGNORECASE,
)


def bound_of(text: str, start: int) -> tuple[str, int]:
    """How the words just before ``start`` bound the figure there, and where those words
    start: ("over", i) after "plus de", ("", start) when nothing bounds it."""
    match = _BOUND.search(text, max(0, start - 24), start)
    if match is None:
        return "", start
    return match.lastgroup or "", match.start(match.lastgroup or 0)


def parse_number_words(words: str) -> float | None:
    """The value of a French number written in words ("douze", "quatre-vingt-dix", "deux mille")."""
    tokens = [t for t in re.split(r"[\s\-]+", words.lower()) if t and t != "et"]
    if not tokens:
        return None
    total = 0.0
    current = 0.0
    previous = None
    for token in tokens:
        if token in ONE_WORDS:
            current += 1
        elif token in ("cent", "cents"):
            current = max(current, 1) * 100
        elif token == "mille":
            total += max(current, 1) * 1000
            current = 0
        elif token in SCALE_WORDS:
            total += max(current, 1) * SCALE_WORDS[token]
            current = 0
        elif token in ("vingt", "vingts") and previous == "quatre":
            current = current - 4 + 80
        elif token in NUMBER_WORDS:
            value = NUMBER_WORDS[token]
            if value == 10 and previous in ("soixante", "vingt", "vingts"):
                current += 10
            elif value < 10 and previous == "dix":
                current += value  # dix-sept: 10 + 7
            else:
                current += value
        else:
            return None
        previous = token
    return total + current


def _parse_digits(text: str) -> float:
    compact = re.sub(r"[ \u00a0\u202f]", "", text)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", compact):
        compact = compact.replace(",", "")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", compact):
        compact = compact.replace(".", "")
    return float(compact.replace(",", "."))


def quantities(text: str, offset: int = 0) -> list[Quantity]:
    """Every quantity in ``text``, normalised; spans are ``offset``-based.

    Years (1900 to 2100 with no unit) are dates, not quantities; "un"/"une" is a
    quantity only when a unit follows ("en un jour").
    """
    found: list[Quantity] = []
    clocks = [m for m in _CLOCK.finditer(text)]
    for match in clocks:
        minutes = int(match.group("hours")) * 60 + int(match.group("minutes"))
        found.append(Quantity(float(minutes), "clock", "", Span(offset + match.start(), offset + match.end()), "h"))
    for match in _QUANTITY.finditer(text):
        if any(c.start() <= match.start() < c.end() for c in clocks):
            continue
        raw = match.group("number")
        unit_word = match.group("unit") or ""
        folded_unit = fold_word(re.sub(r"\s+", "", unit_word))
        is_word = not raw[0].isdigit()
        if is_word:
            value = parse_number_words(raw)
            if value is None:
                continue
        else:
            value = _parse_digits(raw)
        end = match.end("number")
        scale = SCALE_WORDS.get(unit_word.lower())
        if scale and not is_word:
            value *= scale
            end = match.end("unit")
            following = re.match(r"\s*(?:de\s+|d')?([^\W\d_]+|\$|€)", text[end:])
            folded_unit = fold_word(following.group(1)) if following else ""
            if folded_unit in _UNITS:
                end += following.end()
        elif is_word and raw.split()[-1].lower() in SCALE_WORDS and folded_unit not in _UNITS:
            # "un million d'euros": the unit follows the scale word
            following = re.match(r"\s*(?:de\s+|d['’])([^\W\d_]+|\$|€)", text[end:])
            if following and fold_word(following.group(1)) in _UNITS:
                folded_unit, scale = fold_word(following.group(1)), 1.0
                end += following.end()
        unit = ""
        if folded_unit in _UNITS:
            dimension, factor = _UNITS[folded_unit]
            value *= factor
            if not scale or end == match.end("number"):
                end = match.end("unit")
            noun = ""
            unit = folded_unit
        else:
            if raw.lower() in ONE_WORDS or (raw.lower() == "neuf" and not unit_word):
                continue  # an article, or "neuf" meaning "new"
            if not is_word and re.fullmatch(r"\d{4}", raw) and 1900 <= value <= 2100:
                continue  # a year: handled by dates() ("2.012 morts" is a count)
            if unit_word.lower() in MONTHS or fold_word(unit_word) in MONTHS or unit_word.lower() in MONTHS_EN:
                continue  # "4 juillet", "13 December": a date
            dimension = "count"
            stems = analyze(unit_word) if unit_word else []
            noun = stems[0] if stems else ""
        bound, start = bound_of(text, match.start("number"))
        found.append(Quantity(float(value), dimension, noun, Span(offset + start, offset + end), unit, bound))
    for match in _ROUND.finditer(text):
        folded_unit = fold_word(match.group("unit"))
        value = float(_ROUND_NOUNS[match.group("noun").lower()])
        bound, start = bound_of(text, match.start())  # "plus d'une centaine": over, not about
        if folded_unit in _UNITS:
            dimension, factor = _UNITS[folded_unit]
            span = Span(offset + start, offset + match.end())
            found.append(Quantity(value * factor, dimension, "", span, folded_unit, bound or "about", True))
        else:
            stems = analyze(match.group("unit"))
            span = Span(offset + start, offset + match.end("number"))
            found.append(Quantity(value, "count", stems[0] if stems else "", span, "", bound or "about", True))
    found.sort(key=lambda q: q.span.start)
    return found


def same_value(a: float, b: float) -> bool:
    """Whether two normalised values agree, within rounding of unit conversions (2 %)."""
    return abs(a - b) <= _RELATIVE_TOLERANCE * max(abs(a), abs(b), 1e-9)


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities of one dimension state the same value: exactly when written
    in the same unit ("72 ans" is not "71 ans", "5h29" is not "5h30"), within rounding
    when one was converted ("1 600 km" and "994 miles")."""
    if a.unit == b.unit:
        return abs(a.value - b.value) <= 1e-9 * max(abs(a.value), abs(b.value), 1.0)
    return same_value(a.value, b.value)


# Bounds that say one thing of one figure: a figure given as is and the same one given
# about ("115 blessés" / "environ 115 blessés"), or about and nearly ("une quarantaine" /
# "près de quarante"). "plus de 40" is not "environ 40", nor "10 000" "plus de 10 000".
_AGREEING_BOUNDS = (frozenset({"", "about"}), frozenset({"about", "nearly"}))


def same_statement(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities state the same figure the same way: the same value
    (``same_quantity``) and bounds that agree."""
    return same_quantity(a, b) and (a.bound == b.bound or frozenset({a.bound, b.bound}) in _AGREEING_BOUNDS)




@dataclass(frozen=True)
class DateMention:
    """A calendar date or weekday in text: any of day, month, year may be unknown (0)."""

    day: int
    month: int
    year: int
    weekday: str
    span: Span


_DATE = re.compile(
    rf"\b(?:(?P<day>\d{{1,2}}|1er|premier)\s+)?(?P<month>{MONTH_PATTERN_FR})(?:\s+(?P<year>(?:19|20)\d{{2}}))?\b"
    rf"|\b(?P<weekday>{WEEKDAY_PATTERN})\b"
    rf"|\b(?:en|de|depuis)\s+(?P<lone_year>(?:19|20)\d{{2}})\b",
    re.IGNORECASE,
)


_DATE_EN = re.compile(
    r"\b(?:(?P<day1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?)?(?P<month>" + "|".join(MONTHS_EN) + r")"
    r"(?:\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?)?(?:,?\s+(?P<year>(?:19|20)\d{2}))?\b"
    r"|\b(?P<weekday>" + "|".join(WEEKDAYS_EN) + r")\b|\bin\s+(?P<lone_year>(?:19|20)\d{2})\b",
    re.IGNORECASE,
)


def _english_dates(text: str, offset: int) -> list[DateMention]:
    found = []
    for m in _DATE_EN.finditer(text):
        span = Span(offset + m.start(), offset + m.end())
        if m.group("weekday"):
            found.append(DateMention(0, 0, 0, WEEKDAYS_EN[m.group("weekday").lower()], span))
        elif m.group("lone_year"):
            found.append(DateMention(0, 0, int(m.group("lone_year")), "", Span(offset + m.start("lone_year"), offset + m.end())))
        else:
            if m.group("month").lower() == "may" and not (m.group("day1") or m.group("day2") or m.group("year")):
                continue  # the modal verb
            day = int(m.group("day1") or m.group("day2") or 0)
            found.append(DateMention(day, MONTHS_EN[m.group("month").lower()], int(m.group("year") or 0), "", span))
    return found


def dates(text: str, offset: int = 0, language: str = "fr") -> list[DateMention]:
    """Dates in ``text``: "4 juillet 2025", "le 4 juillet", "début juin", "lundi", "en 2024";
    with ``language="en"``, "December 13, 2024", "13 December", "on Friday", "in 2024"."""
    if language == "en":
        return _english_dates(text, offset)
    found = []
    for match in _DATE.finditer(text):
        if match.group("weekday"):
            found.append(DateMention(0, 0, 0, match.group("weekday").lower(), Span(offset + match.start(), offset + match.end())))
            continue
        if match.group("lone_year"):
            found.append(DateMention(0, 0, int(match.group("lone_year")), "", Span(offset + match.start("lone_year"), offset + match.end())))
            continue
        month_word = match.group("month")
        day_text = match.group("day")
        day = 0 if not day_text else (1 if day_text.lower() in ("1er", "premier") else int(day_text))
        year = int(match.group("year")) if match.group("year") else 0
        found.append(DateMention(day, MONTHS[fold_word(month_word)], year, "", Span(offset + match.start(), offset + match.end())))
    return found


def dates_in_either_language(text: str, offset: int = 0) -> list[DateMention]:
    """French and English dates ("4 juillet", "July 4", "4 July"), for a text whose language
    is not known: the two patterns match no month of the other language."""
    return dates(text, offset) + dates(text, offset, language="en")


def dates_agree(a: DateMention, b: DateMention) -> bool:
    """Two dates agree when every field both of them state is equal."""
    if a.weekday or b.weekday:
        return not (a.weekday and b.weekday) or a.weekday == b.weekday
    for x, y in ((a.day, b.day), (a.month, b.month), (a.year, b.year)):
        if x and y and x != y:
            return False
    return True


def dates_comparable(a: DateMention, b: DateMention) -> bool:
    """Whether two mentions state at least one field in common (weekday, day, month or year)."""
    if a.weekday or b.weekday:
        return bool(a.weekday and b.weekday)
    return bool((a.month and b.month) or (a.year and b.year))
