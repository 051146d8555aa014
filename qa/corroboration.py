"""Corroboration across sources: align passages that report the same fact, list differences.

Pure logic: no I/O, no model. ``qa.indexing`` calls ``align_corpus`` at build time with
the vectors it has just computed and stores the result (``alignment.json``); a question
only looks the stored result up, so corroboration costs nothing at question time.

Alignment. Each passage is compared with its candidates from *other* articles (nearest
by vector and by shared terms), with a score that combines four signals, because the
bundled model is English and its similarity between French passages is weak alone:

* ``lexical``: cosine of TF-IDF vectors of ``qa.lexical.analyze`` terms (stemmed,
  folded), attribution words ("selon des sources", "a déclaré") left out;
* ``dense``: cosine of the passage vectors (normalised, so a dot product), counted only
  above the corpus's mean similarity between passages of different articles;
* ``numbers``: share of normalised quantities found on both sides (``douze`` = ``12``,
  ``1 600 km`` = ``1 600 kilomètres`` = ``994 miles``);
* ``names``: IDF-weighted overlap of named entities (capitalised words and acronyms, with
  spelling variants such as Kyiv/Kiev or Volodymyr/Volodymir folded together).

A pair is aligned when the score reaches ``AlignmentSettings.threshold``, calibrated on
``tests/data/alignment_gold.jsonl`` (docs/quality.md).

Differences. Within an aligned pair, each sentence is paired with its best match on the
other side (above a threshold); on paired sentences the module compares quotes (« … »,
"…", or a direct question introduced by a colon), quantities, dates, names in the same
role, and hedges (conditional mood, *peut-être*, *semble*…) kept by one side and
dropped by the other. Normalisation first:
number words, units (km/kilomètres/miles, heures/jours), dates (``4 juillet 2025`` agrees
with ``le 4 juillet``), so that only differences of substance remain. Each difference
is a pair of exact spans of the two sources.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from qa.lexical import analyze, fold_accents
from qa.models import AlsoIn, Answer, Article, Citation, Difference, Passage, Span
from qa.passages import split_sentences

DIFFERENCE_KINDS = ("quote", "number", "date", "name", "hedge")
# Same-article passages counted when asking the vector store for neighbours (see
# ``dense_neighbour_count``): news articles here have ~11 passages, the seeds up to 20.
MAX_SAME_SOURCE_NEIGHBOURS = 256


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class AlignmentSettings:
    """Weights of the signals and thresholds; calibrated on the gold set (docs/quality.md).

    score = lexical + dense_weight * max(dense - baseline, 0) + number_weight * numbers
            + name_weight * names

    ``baseline`` is the mean dense similarity of passages of different articles in the
    corpus: news on one topic are all "similar" to a sentence model, so only the excess
    over that baseline is evidence of the same fact.
    """

    dense_weight: float = 0.50
    number_weight: float = 0.03
    name_weight: float = 0.03
    threshold: float = 0.175
    max_aligned: int = 5
    candidates: int = 12
    sentence_threshold: float = 0.16
    hedge_sentence_threshold: float = 0.20
    quote_threshold: float = 0.20

    def to_dict(self) -> dict[str, float]:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}


# --------------------------------------------------------------------------- numbers

_UNITS_WORDS = {
    "zero": 0, "zéro": 0, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40,
    "cinquante": 50, "soixante": 60, "cent": 100, "cents": 100, "mille": 1000,
}
_SCALE_WORDS = {"million": 1e6, "millions": 1e6, "milliard": 1e9, "milliards": 1e9}
# "un"/"une" count as 1 only before a unit ("en un jour"), never as an article.
_ONE_WORDS = {"un", "une"}

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
    "dollar": ("usd", 1.0), "dollars": ("usd", 1.0), "$": ("usd", 1.0),
    "euro": ("eur", 1.0), "euros": ("eur", 1.0), "€": ("eur", 1.0),
    "tonne": ("mass", 1.0), "tonnes": ("mass", 1.0), "kg": ("mass", 0.001),
}
_RELATIVE_TOLERANCE = 0.02

_NUMBER_WORD_ALTERNATION = "|".join(
    sorted((re.escape(w) for w in [*_UNITS_WORDS, *_SCALE_WORDS, *_ONE_WORDS]), key=len, reverse=True)
)
_DIGITS = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_WORD_NUMBER = rf"(?:{_NUMBER_WORD_ALTERNATION})(?:(?:-|\s+|\s+et\s+|-et-)(?:{_NUMBER_WORD_ALTERNATION}))*"
_QUANTITY = re.compile(
    rf"(?<![\w.,])(?P<number>{_DIGITS}|{_WORD_NUMBER})(?![\w])"
    r"(?:\s*(?P<unit>%|\$|€|pour\s+cent|[^\W\d_]+))?",
    re.IGNORECASE,
)
_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


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


def _fold(word: str) -> str:
    return fold_accents(word.lower())


def parse_number_words(words: str) -> float | None:
    """The value of a French number written in words ("douze", "quatre-vingt-dix", "deux mille")."""
    tokens = [t for t in re.split(r"[\s\-]+", words.lower()) if t and t != "et"]
    if not tokens:
        return None
    total = 0.0
    current = 0.0
    previous = None
    for token in tokens:
        if token in _ONE_WORDS:
            current += 1
        elif token in ("cent", "cents"):
            current = max(current, 1) * 100
        elif token == "mille":
            total += max(current, 1) * 1000
            current = 0
        elif token in _SCALE_WORDS:
            total += max(current, 1) * _SCALE_WORDS[token]
            current = 0
        elif token in ("vingt", "vingts") and previous == "quatre":
            current = current - 4 + 80
        elif token in _UNITS_WORDS:
            value = _UNITS_WORDS[token]
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
    return float(compact.replace(",", "."))


def quantities(text: str, offset: int = 0) -> list[Quantity]:
    """Every quantity in ``text``, normalised; spans are ``offset``-based.

    Years (1900 to 2100 with no unit) are dates, not quantities; "un"/"une" is a
    quantity only when a unit follows ("en un jour").
    """
    found: list[Quantity] = []
    for match in _QUANTITY.finditer(text):
        raw = match.group("number")
        unit_word = match.group("unit") or ""
        folded_unit = _fold(re.sub(r"\s+", "", unit_word))
        is_word = not raw[0].isdigit()
        if is_word:
            value = parse_number_words(raw)
            if value is None:
                continue
        else:
            value = _parse_digits(raw)
        end = match.end("number")
        scale = _SCALE_WORDS.get(unit_word.lower())
        if scale and not is_word:
            value *= scale
            end = match.end("unit")
            following = re.match(r"\s*(?:de\s+|d')?([^\W\d_]+|\$|€)", text[end:])
            folded_unit = _fold(following.group(1)) if following else ""
            if folded_unit in _UNITS:
                end += following.end()
        if folded_unit in _UNITS:
            dimension, factor = _UNITS[folded_unit]
            value *= factor
            if not scale or end == match.end("number"):
                end = match.end("unit")
            noun = ""
        else:
            if raw.lower() in _ONE_WORDS or (raw.lower() == "neuf" and not unit_word):
                continue  # an article, or "neuf" meaning "new"
            if not is_word and value.is_integer() and 1900 <= value <= 2100:
                continue  # a year: handled by dates()
            if unit_word.lower() in _MONTHS or _fold(unit_word) in _MONTHS:
                continue  # "4 juillet": a date
            dimension = "count"
            stems = analyze(unit_word) if unit_word else []
            noun = stems[0] if stems else ""
        found.append(Quantity(float(value), dimension, noun, Span(offset + match.start("number"), offset + end)))
    return found


def same_value(a: float, b: float) -> bool:
    """Whether two normalised values agree, within rounding of unit conversions (2 %)."""
    return abs(a - b) <= _RELATIVE_TOLERANCE * max(abs(a), abs(b), 1e-9)


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class DateMention:
    """A calendar date or weekday in text: any of day, month, year may be unknown (0)."""

    day: int
    month: int
    year: int
    weekday: str
    span: Span


_MONTH_ALTERNATION = "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|octobre|novembre|d[ée]cembre"
_DATE = re.compile(
    rf"\b(?:(?P<day>\d{{1,2}}|1er|premier)\s+)?(?P<month>{_MONTH_ALTERNATION})(?:\s+(?P<year>(?:19|20)\d{{2}}))?\b"
    rf"|\b(?P<weekday>{'|'.join(_WEEKDAYS)})\b"
    rf"|\b(?:en|de|depuis)\s+(?P<lone_year>(?:19|20)\d{{2}})\b",
    re.IGNORECASE,
)


def dates(text: str, offset: int = 0) -> list[DateMention]:
    """Dates in ``text``: "4 juillet 2025", "le 4 juillet", "début juin", "lundi", "en 2024"."""
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
        found.append(DateMention(day, _MONTHS[_fold(month_word)], year, "", Span(offset + match.start(), offset + match.end())))
    return found


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


# --------------------------------------------------------------------------- names

_NAME = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w]*(?:[-'’][A-ZÀ-ÖØ-Þ][\w]*)*\b")
_ACRONYM = re.compile(r"^[A-ZÀ-Þ]{2,}s?$")
# Transliterations that differ by more than one letter.
_NAME_ALIASES = {"kiev": "kyiv", "kyiv": "kyiv", "kiyv": "kyiv"}


@dataclass(frozen=True)
class Name:
    """A named entity: a capitalised word (not sentence-initial) or an acronym."""

    key: str
    span: Span


def _name_key(word: str) -> str:
    key = _fold(word).replace("’", "'")
    return _NAME_ALIASES.get(key, key)


def _sentence_initial(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \u00a0\u202f\t«\"“(-–—•")
    return not before or before[-1] in ".!?…:\n"


def names(text: str, offset: int = 0) -> list[Name]:
    """Named entities: capitalised words not opening a sentence, and acronyms anywhere."""
    found = []
    for match in _NAME.finditer(text):
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
        folded = _fold(word)
        if folded in _STOP_NAMES:
            continue
        if not _ACRONYM.match(word) and _sentence_initial(text, start):
            continue
        found.append(Name(_name_key(word), Span(offset + start, offset + start + len(word))))
    return found


_STOP_NAMES = frozenset(
    {"le", "la", "les", "un", "une", "des", "et", "mais", "ou", "donc", "si", "il", "elle", "ils", "elles",
     "ce", "cette", "ces", "nous", "vous", "je", "on", "en", "au", "aux", "du", "de", "a", "à"}
)


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
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
    return min(len(a), len(b)) >= 5 and _edit_distance_at_most_one(a, b)


# --------------------------------------------------------------------------- quotes and hedges

_QUOTE = re.compile(r"«\s*(?P<g>[^«»]+?)\s*»|“(?P<c>[^“”]+?)”|\"(?P<s>[^\"\n]+?)\"")
_FEAR = re.compile(r"\b(?:inquie\w*|s'inquie\w*|crain\w*|redout\w*|risqu\w*|menac\w*)", re.IGNORECASE)
_HEDGE = re.compile(
    r"\b(?:\w{2,}(?:rait|raient)|peut-être|probablement|vraisemblablement|apparemment|possiblement|"
    r"sembl(?:e|ent|ait|aient|erait)|paraît|paraissent|présumée?s?|supposée?s?|prétendument)\b",
    re.IGNORECASE,
)
_NOT_CONDITIONAL = frozenset(
    {"retrait", "portrait", "extrait", "attrait", "trait", "abstrait", "distrait", "soustrait", "parfait", "serait-ce"}
)
_CONDITION_BEFORE = re.compile(r"\b(?:si|s'ils?|s’ils?|même\s+si)\s+(?:\S+\s+){0,3}$", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    """A quoted statement: its span with the quote marks, and its inner words."""

    span: Span
    inner: str


def quotes(text: str, offset: int = 0, line_before: str = "") -> list[Quote]:
    """Quotes in « », “ ” or " ", and direct speech: a line ending in ? or ! after a colon.

    ``line_before`` is the source line just before ``text`` (for direct speech at its start).
    """
    found = []
    for match in _QUOTE.finditer(text):
        inner = match.group("g") or match.group("c") or match.group("s") or ""
        found.append(Quote(Span(offset + match.start(), offset + match.end()), inner))
    previous = line_before.rstrip()
    position = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and previous.endswith(":") and stripped[-1] in "?!" and "«" not in stripped:
            start = position + line.index(stripped)
            found.append(Quote(Span(offset + start, offset + start + len(stripped)), stripped))
        if stripped:
            previous = stripped
        position += len(line) + 1
    return sorted(found, key=lambda q: q.span.start)


def _outside_quotes(text: str) -> str:
    """The text with quoted passages blanked out (same length, so offsets hold)."""
    return _QUOTE.sub(lambda m: " " * len(m.group(0)), text)


@dataclass(frozen=True)
class Hedge:
    """A hedge marker with the words it governs, e.g. "aurait été transmise"."""

    span: Span
    marker: str


def hedges(text: str, offset: int = 0) -> list[Hedge]:
    """Hedges of the sentence ``text``: conditional mood, *peut-être*, *semble*...

    Not hedges: a conditional inside a quote (the speaker's words), inside an *if* or
    *whether* clause ("s'il pourrait attaquer"), or in what a fear verb governs
    ("inquiet : ces armes pourraient..."), since then it states a possibility, not the
    writer's doubt about a fact.
    """
    plain = _outside_quotes(text)
    found = []
    for match in _HEDGE.finditer(plain):
        word = match.group(0)
        if _fold(word) in _NOT_CONDITIONAL or word[0].isupper() and match.start() > 0 and not _sentence_initial(plain, match.start()):
            continue
        before = plain[: match.start()]
        if _CONDITION_BEFORE.search(before) or _FEAR.search(before):
            continue
        following = re.match(r"(?:\s+(?!(?:à|de|d'|que|qu'|le|la|les|un|une|des)\b)[\w'’-]+){0,2}", plain[match.end() :])
        end = match.end()
        if following:
            words = following.group(0).split()
            kept = []
            for w in words:
                kept.append(w)
                if not re.fullmatch(r"(?:été|être|pu|dû|eu|fait|se|s'\w*|pas|plus|jamais)", w, re.IGNORECASE):
                    break
            if kept:
                end = match.end() + following.group(0).find(kept[-1]) + len(kept[-1])
        found.append(Hedge(Span(offset + match.start(), offset + end), word.lower()))
    return found


# --------------------------------------------------------------------------- signals


_WORD = re.compile(r"[\w'’-]+")


def words_of(text: str) -> list[str]:
    """Lower-cased, accent-folded words with apostrophes unified; no stop-word removal."""
    return [_fold(w).replace("’", "'") for w in _WORD.findall(text)]


def _quantity_keys(found: Sequence[Quantity]) -> list[tuple[str, float]]:
    return [(q.dimension, q.value) for q in found if q.dimension != "count" or q.value >= 2]


def number_overlap(a: Sequence[Quantity], b: Sequence[Quantity]) -> float:
    """Share of the smaller side's quantities found on the other side (same dimension and value)."""
    keys_a, keys_b = _quantity_keys(a), _quantity_keys(b)
    if not keys_a or not keys_b:
        return 0.0
    shared = sum(1 for d, v in keys_a if any(d == e and same_value(v, w) for e, w in keys_b))
    return shared / min(len(keys_a), len(keys_b))


def name_overlap(a: Sequence[str], b: Sequence[str], idf: Mapping[str, float]) -> float:
    """IDF-weighted Dice overlap of two sets of name keys (canonicalised by ``NameCanon``)."""
    set_a, set_b = set(a), set(b)
    if not set_a or not set_b:
        return 0.0

    def weight(key: str) -> float:
        return idf.get(key, 1.0)

    shared = set_a & set_b
    total = sum(map(weight, set_a)) + sum(map(weight, set_b))
    return 2 * sum(map(weight, shared)) / total if total else 0.0


class NameCanon:
    """Maps spelling variants of a name to one key (Volodymyr/Volodymir), in linear time.

    Symmetric deletion: two keys of five letters or more within one edit share a key
    with one letter deleted (or are equal), so variants are found through a dictionary
    of deletions rather than by comparing every pair of names.
    """

    def __init__(self) -> None:
        self._by_variant: dict[str, str] = {}
        self._canon: dict[str, str] = {}

    def __call__(self, key: str) -> str:
        known = self._canon.get(key)
        if known is not None:
            return known
        canonical = key
        if len(key) >= 5:
            variants = [key] + [key[:i] + key[i + 1 :] for i in range(len(key))]
            canonical = next((self._by_variant[v] for v in variants if v in self._by_variant), key)
            for variant in variants:
                self._by_variant.setdefault(variant, canonical)
        self._canon[key] = canonical
        return canonical


# Attribution words ("selon deux sources proches du dossier", "a déclaré un responsable"):
# every news passage has them, so sharing them is no evidence of sharing a fact.
ATTRIBUTION_TERMS = frozenset(
    analyze(
        "selon source sources proche proches personne personnes informée informées courant déclaré déclare "
        "responsable responsables indiqué affirmé dit dossier dossiers discussions expliqué ajouté"
    )
)


def alignment_terms(text: str) -> list[str]:
    """The analysed terms of ``text`` that alignment compares: attribution words left out."""
    return [term for term in analyze(text) if term not in ATTRIBUTION_TERMS]


class _TfIdf:
    """TF-IDF vectors of analysed terms over a set of texts, for cosine similarity."""

    def __init__(self, documents: Sequence[list[str]]):
        frequency: Counter[str] = Counter()
        for terms in documents:
            frequency.update(set(terms))
        count = max(len(documents), 1)
        self.idf = {term: math.log(1 + count / df) for term, df in frequency.items()}
        self.default_idf = math.log(1 + count)

    def vector(self, terms: Sequence[str]) -> dict[str, float]:
        counts = Counter(terms)
        vector = {t: (1 + math.log(c)) * self.idf.get(t, self.default_idf) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {t: v / norm for t, v in vector.items()}


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return float(sum(v * b.get(t, 0.0) for t, v in a.items()))


# --------------------------------------------------------------------------- corpus view


@dataclass
class _Unit:
    """A passage or a sentence, with the signals alignment compares."""

    span: Span
    terms: dict[str, float]
    quantities: list[Quantity]
    names: list[str]
    vector: np.ndarray | None


@dataclass(frozen=True)
class FoundDifference:
    """A difference between two aligned passages: a span of each source."""

    kind: str
    here: Span
    there: Span


@dataclass(frozen=True)
class Link:
    """An aligned passage of another article, with its score and the differences found."""

    passage: int
    score: float
    differences: tuple[FoundDifference, ...] = ()


@dataclass
class Alignment:
    """For each passage id, its aligned passages of other articles, best first."""

    links: dict[int, list[Link]] = field(default_factory=dict)
    settings: AlignmentSettings = AlignmentSettings()

    def of(self, passage_id: int) -> list[Link]:
        return self.links.get(passage_id, [])

    def pairs(self) -> set[tuple[int, int]]:
        """Aligned pairs as (smaller id, larger id)."""
        return {(min(a, l.passage), max(a, l.passage)) for a, links in self.links.items() for l in links}

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(),
            "links": {
                str(pid): [
                    {
                        "passage": link.passage,
                        "score": link.score,
                        "differences": [
                            {"kind": d.kind, "here": [d.here.start, d.here.end], "there": [d.there.start, d.there.end]}
                            for d in link.differences
                        ],
                    }
                    for link in links
                ]
                for pid, links in sorted(self.links.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alignment:
        settings = AlignmentSettings(**data.get("settings", {}))
        links = {
            int(pid): [
                Link(
                    passage=int(item["passage"]),
                    score=float(item["score"]),
                    differences=tuple(
                        FoundDifference(d["kind"], Span(*d["here"]), Span(*d["there"])) for d in item["differences"]
                    ),
                )
                for item in items
            ]
            for pid, items in data.get("links", {}).items()
        }
        return cls(links=links, settings=settings)


def _line_before(text: str, start: int) -> str:
    end = text.rfind("\n", 0, start)
    while end > 0 and not text[:end].rstrip("\r\n").strip():
        end = -1
    if end <= 0:
        return ""
    head = text[:end].rstrip("\r\n")
    return head[head.rfind("\n") + 1 :]


def _cross_source_baseline(vectors: np.ndarray | None, sources: Sequence[str], sample: int = 2000) -> float:
    """Mean similarity of passages of different articles (on a fixed sample when large)."""
    if vectors is None or len(vectors) < 2:
        return 0.0
    rows = np.arange(len(vectors))
    if len(rows) > sample:
        rows = np.random.default_rng(0).choice(rows, sample, replace=False)
    chosen = vectors[rows]
    similarities = chosen @ chosen.T
    labels = np.array(sources)[rows]
    different = labels[:, None] != labels[None, :]
    return float(similarities[different].mean()) if different.any() else 0.0


class _Corpus:
    """The signals of every passage and sentence, computed once."""

    def __init__(
        self,
        passages: Sequence[Passage],
        articles: Mapping[str, str],
        passage_vectors: np.ndarray | None,
        sentence_spans: np.ndarray,
        sentence_offsets: np.ndarray,
        sentence_vectors: np.ndarray | None,
    ):
        self.passages = passages
        self.articles = articles
        self.passage_vectors = None if passage_vectors is None else np.asarray(passage_vectors, dtype=np.float32)
        self.sentence_vectors = None if sentence_vectors is None else np.asarray(sentence_vectors, dtype=np.float32)
        self.sentence_spans = sentence_spans
        self.sentence_offsets = sentence_offsets
        terms = [alignment_terms(p.text) for p in passages]
        self.tfidf = _TfIdf(terms)
        self.canon = NameCanon()
        name_lists = [[self.canon(n.key) for n in names(p.text)] for p in passages]
        frequency: Counter[str] = Counter()
        for keys in name_lists:
            frequency.update(set(keys))
        count = max(len(passages), 1)
        self.name_idf = {key: math.log(1 + count / df) for key, df in frequency.items()}
        self.units = [
            _Unit(
                span=Span(p.citation.start, p.citation.end),
                terms=self.tfidf.vector(terms[i]),
                quantities=quantities(p.text, p.citation.start),
                names=name_lists[i],
                vector=None if self.passage_vectors is None else self.passage_vectors[i],
            )
            for i, p in enumerate(passages)
        ]
        self._sentences: dict[int, list[_Unit]] = {}
        self.baseline = _cross_source_baseline(self.passage_vectors, [p.citation.source for p in passages])

    def text(self, passage_id: int) -> str:
        return self.articles[self.passages[passage_id].citation.source]

    def sentences(self, passage_id: int) -> list[_Unit]:
        cached = self._sentences.get(passage_id)
        if cached is not None:
            return cached
        lo, hi = int(self.sentence_offsets[passage_id]), int(self.sentence_offsets[passage_id + 1])
        source = self.text(passage_id)
        units = []
        for row in range(lo, hi):
            start, end = int(self.sentence_spans[row][1]), int(self.sentence_spans[row][2])
            sentence = source[start:end]
            units.append(
                _Unit(
                    span=Span(start, end),
                    terms=self.tfidf.vector(alignment_terms(sentence)),
                    quantities=quantities(sentence, start),
                    names=[self.canon(n.key) for n in names(sentence)],
                    vector=None if self.sentence_vectors is None else self.sentence_vectors[row],
                )
            )
        self._sentences[passage_id] = units
        return units

    def similarity(self, a: _Unit, b: _Unit, settings: AlignmentSettings) -> float:
        """The alignment score of two units (passages or sentences)."""
        dense = 0.0 if a.vector is None or b.vector is None else float(a.vector @ b.vector)
        return (
            _cosine(a.terms, b.terms)
            + settings.dense_weight * max(dense - self.baseline, 0.0)
            + settings.number_weight * number_overlap(a.quantities, b.quantities)
            + settings.name_weight * name_overlap(a.names, b.names, self.name_idf)
        )

    def sentence_matches(self, here: int, there: int, settings: AlignmentSettings) -> list[tuple[_Unit, _Unit, float]]:
        """Sentence pairs where one is the other's best match, best first."""
        left, right = self.sentences(here), self.sentences(there)
        if not left or not right:
            return []
        scores = np.array([[self.similarity(a, b, settings) for b in right] for a in left])
        chosen = {(i, int(scores[i].argmax())) for i in range(len(left))}
        chosen |= {(int(scores[:, j].argmax()), j) for j in range(len(right))}
        return sorted(((left[i], right[j], float(scores[i, j])) for i, j in chosen), key=lambda m: -m[2])

    def pair_score(self, here: int, there: int, settings: AlignmentSettings) -> float:
        return self.similarity(self.units[here], self.units[there], settings)


# --------------------------------------------------------------------------- alignment


def _candidates(
    corpus: _Corpus, settings: AlignmentSettings, dense_neighbours: np.ndarray | None = None
) -> dict[int, set[int]]:
    """For each passage, passages of other articles worth scoring: dense and lexical neighbours.

    The dense ones are the ``settings.candidates`` nearest passages of other articles:
    from ``dense_neighbours`` (each passage's nearest ids, best first, ``-1`` padded, as the
    vector store finds them) when given, else from a blocked product of all the vectors.
    """
    passages = corpus.passages
    sources = np.array([p.citation.source for p in passages])
    found: dict[int, set[int]] = defaultdict(set)
    if dense_neighbours is not None:
        for pid, row in enumerate(dense_neighbours):
            others = [int(other) for other in row if other >= 0 and sources[other] != sources[pid]]
            found[pid].update(others[: settings.candidates])
    elif corpus.passage_vectors is not None and len(passages):
        block = 1024
        for lo in range(0, len(passages), block):
            similarities = corpus.passage_vectors[lo : lo + block] @ corpus.passage_vectors.T
            for row, scores in enumerate(similarities):
                pid = lo + row
                scores = np.where(sources == sources[pid], -np.inf, scores)
                count = min(settings.candidates, int(np.isfinite(scores).sum()))
                if count:
                    for other in np.argpartition(-scores, count - 1)[:count]:
                        found[pid].add(int(other))
    postings: dict[str, list[int]] = defaultdict(list)
    for pid, unit in enumerate(corpus.units):
        for term in unit.terms:
            postings[term].append(pid)
    # A term in more passages than this is too common to be evidence of the same fact; a
    # fixed cap keeps this loop linear in the corpus size.
    common = min(max(50, len(passages) // 10), 100)
    for pid, unit in enumerate(corpus.units):
        overlap: Counter[int] = Counter()
        for term, weight in unit.terms.items():
            others = postings[term]
            if len(others) > common:
                continue
            for other in others:
                if passages[other].citation.source != passages[pid].citation.source:
                    overlap[other] += weight * corpus.units[other].terms[term]
        for other, _ in overlap.most_common(settings.candidates):
            found[pid].add(other)
    return found


def dense_neighbour_count(passages: Sequence[Passage], settings: AlignmentSettings = AlignmentSettings()) -> int:
    """How many nearest neighbours to ask the vector store for, per passage.

    Enough that, once the passages of the same article are set aside, ``candidates`` of
    other articles remain, as the all-pairs product gives; an article's own passages are
    counted up to ``MAX_SAME_SOURCE_NEIGHBOURS``, so that one huge article cannot make
    every search long (past that, a passage of such an article may get fewer dense
    candidates; the lexical ones are unaffected).
    """
    per_source = Counter(p.citation.source for p in passages)
    largest = max(per_source.values(), default=0)
    return settings.candidates + min(largest, MAX_SAME_SOURCE_NEIGHBOURS)


def align_corpus(
    passages: Sequence[Passage],
    articles: Mapping[str, str],
    passage_vectors: np.ndarray | None,
    sentence_spans: np.ndarray,
    sentence_offsets: np.ndarray,
    sentence_vectors: np.ndarray | None = None,
    settings: AlignmentSettings = AlignmentSettings(),
    dense_neighbours: np.ndarray | None = None,
) -> Alignment:
    """Align the passages of different articles and list the differences of each aligned pair.

    ``articles`` maps a source name to its exact text; ``sentence_spans`` holds rows
    (passage id, start, end) and ``sentence_offsets`` each passage's row range, as the
    index stores them. Vectors must be L2-normalised. ``dense_neighbours`` (optional, see
    ``dense_neighbour_count``) gives each passage's nearest passages from the vector store,
    which spares the all-pairs product of the vectors.
    """
    corpus = _Corpus(passages, articles, passage_vectors, sentence_spans, sentence_offsets, sentence_vectors)
    scores: dict[tuple[int, int], float] = {}
    for pid, others in _candidates(corpus, settings, dense_neighbours).items():
        for other in others:
            key = (min(pid, other), max(pid, other))
            if key not in scores:
                scores[key] = corpus.pair_score(key[0], key[1], settings)
    # Keep each passage's best links first, then extract differences once per kept pair:
    # differences cost about a millisecond a pair, scores a few microseconds.
    ranked: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for (a, b), score in scores.items():
        if score >= settings.threshold:
            ranked[a].append((round(score, 4), b))
            ranked[b].append((round(score, 4), a))
    best = {pid: sorted(items, key=lambda item: (-item[0], item[1]))[: settings.max_aligned] for pid, items in ranked.items()}
    found: dict[tuple[int, int], list[FoundDifference]] = {}
    kept: dict[int, list[Link]] = {}
    for pid, items in best.items():
        kept[pid] = []
        for score, other in items:
            key = (min(pid, other), max(pid, other))
            if key not in found:
                found[key] = differences_between(corpus, key[0], key[1], settings)
            differences = found[key]
            if pid != key[0]:
                differences = [FoundDifference(d.kind, d.there, d.here) for d in differences]
            kept[pid].append(Link(other, score, tuple(differences)))
    return Alignment(links=kept, settings=settings)


# --------------------------------------------------------------------------- differences


def _quote_overlap(a: str, b: str) -> float:
    """Share of the shorter quote's words found in the other, spelling variants included."""
    words_a = {w for w in words_of(a) if len(w) > 1}
    words_b = {w for w in words_of(b) if len(w) > 1}
    if not words_a or not words_b:
        return 0.0
    if len(words_a) > len(words_b):
        words_a, words_b = words_b, words_a
    return sum(1 for w in words_a if any(same_name(w, other) for other in words_b)) / len(words_a)


def _quote_agrees(a: str, b: str) -> bool:
    """Two quotes say the same when their analysed terms are the same (inflection aside)."""
    return sorted(set(analyze(a))) == sorted(set(analyze(b)))


def _compare_quotes(
    corpus: _Corpus, here: int, there: int, matched: Sequence[tuple[_Unit, _Unit, float]], settings: AlignmentSettings
) -> list[FoundDifference]:
    source_a, source_b = corpus.text(here), corpus.text(there)
    pa, pb = corpus.passages[here].citation, corpus.passages[there].citation
    quotes_a = quotes(source_a[pa.start : pa.end], pa.start, _line_before(source_a, pa.start))
    quotes_b = quotes(source_b[pb.start : pb.end], pb.start, _line_before(source_b, pb.start))
    if not quotes_a or not quotes_b:
        return []
    def sentence_of(units: list[_Unit], span: Span) -> _Unit | None:
        for unit in units:
            if unit.span.start <= span.start < unit.span.end:
                return unit
        return None

    left, right = corpus.sentences(here), corpus.sentences(there)
    scored = []
    for i, qa in enumerate(quotes_a):
        for j, qb in enumerate(quotes_b):
            sa, sb = sentence_of(left, qa.span), sentence_of(right, qb.span)
            context = 0.0 if sa is None or sb is None else corpus.similarity(sa, sb, settings)
            wording = _quote_overlap(qa.inner, qb.inner)
            scored.append((0.5 * min(context, 1.0) + 0.5 * wording, i, j))
    scored.sort(reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    found = []
    for score, i, j in scored:
        if i in used_a or j in used_b or score < settings.quote_threshold:
            continue
        used_a.add(i)
        used_b.add(j)
        if not _quote_agrees(quotes_a[i].inner, quotes_b[j].inner):
            found.append(FoundDifference("quote", quotes_a[i].span, quotes_b[j].span))
    return found


def _compare_quantities(a: _Unit, b: _Unit) -> list[FoundDifference]:
    found = []
    by_dimension_b: dict[str, list[Quantity]] = defaultdict(list)
    for q in b.quantities:
        by_dimension_b[q.dimension].append(q)
    counts_a = [q for q in a.quantities if q.dimension == "count"]
    counts_b = by_dimension_b.get("count", [])
    for q in a.quantities:
        others = by_dimension_b.get(q.dimension, [])
        if q.dimension == "count":
            same_noun = [o for o in others if o.noun and o.noun == q.noun]
            others = same_noun or (others if len(counts_a) == 1 and len(counts_b) == 1 else [])
        if not others or any(same_value(q.value, o.value) for o in others):
            continue
        mine = [x for x in a.quantities if x.dimension == q.dimension]
        unmatched = [o for o in others if not any(same_value(o.value, x.value) for x in mine)]
        if unmatched:
            found.append(FoundDifference("number", q.span, unmatched[0].span))
    return found


def _compare_dates(a: _Unit, b: _Unit, source_a: str, source_b: str) -> list[FoundDifference]:
    found = []
    dates_a = dates(source_a[a.span.start : a.span.end], a.span.start)
    dates_b = dates(source_b[b.span.start : b.span.end], b.span.start)
    for da in dates_a:
        comparable = [db for db in dates_b if dates_comparable(da, db)]
        if comparable and not any(dates_agree(da, db) for db in comparable):
            found.append(FoundDifference("date", da.span, comparable[0].span))
    return found


def _word_before(text: str, start: int) -> str:
    words = words_of(text[max(0, start - 40) : start])
    return words[-1] if words else ""


def name_groups(text: str, offset: int = 0) -> list[list[Name]]:
    """Names written next to each other ("Vladimir Poutine", "Mark Rutte") as one group."""
    groups: list[list[Name]] = []
    for name in names(text, offset):
        if groups and not text[groups[-1][-1].span.end - offset : name.span.start - offset].strip():
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


# Words before a name that say which role it plays: "selon Peskov" / "selon Lavrov".
_ROLE_SLOTS = frozenset(
    {"selon", "president", "presidente", "ministre", "porte-parole", "secretaire", "general", "chef", "dirigeant",
     "premier", "directeur", "directrice", "ambassadeur", "commandant", "par", "gouverneur", "maire", "depute",
     "senateur", "patron", "conseiller", "envoye", "emissaire", "homologue"}
)


def _compare_names(a: _Unit, b: _Unit, source_a: str, source_b: str) -> list[FoundDifference]:
    """Different names in the same role: "selon Peskov" / "selon Lavrov", "président X" / "président Y".

    A group of names is shared when any of its names is on the other side (so
    "Vladimir Poutine" and "Poutine" agree), spelling variants included.
    """
    groups_a = name_groups(source_a[a.span.start : a.span.end], a.span.start)
    groups_b = name_groups(source_b[b.span.start : b.span.end], b.span.start)
    keys_a = [n.key for g in groups_a for n in g]
    keys_b = [n.key for g in groups_b for n in g]
    only_a = [g for g in groups_a if not any(same_name(n.key, k) for n in g for k in keys_b)]
    only_b = [g for g in groups_b if not any(same_name(n.key, k) for n in g for k in keys_a)]
    found = []
    used: set[int] = set()
    for group in only_a:
        slot = _word_before(source_a, group[0].span.start)
        if slot not in _ROLE_SLOTS:
            continue
        for index, other in enumerate(only_b):
            if index not in used and _word_before(source_b, other[0].span.start) == slot:
                used.add(index)
                found.append(
                    FoundDifference("name", Span(group[0].span.start, group[-1].span.end), Span(other[0].span.start, other[-1].span.end))
                )
                break
    return found


def _tokens_with_spans(text: str, offset: int) -> list[tuple[str, int, int]]:
    return [(_fold(m.group(0)).replace("’", "'"), offset + m.start(), offset + m.end()) for m in _WORD.finditer(text)]


_PHRASE_EDGE_WORDS = frozenset(
    {"le", "la", "les", "l'", "un", "une", "des", "de", "d'", "du", "a", "au", "aux", "et", "en", "ou", "que", "qu'",
     "qui", "mais", "donc", "ces", "ce", "cette", "son", "sa", "ses", "leur", "leurs", "d'une", "d'un", "l", "d",
     "il", "elle", "ils", "elles", "qu'il", "qu'elle", "qu'ils", "qu'elles", "s'il", "s'ils", "on"}
)


def _plain_phrase(hedged: _Unit, hedge: Hedge, plain: _Unit, source_h: str, source_p: str) -> Span:
    """The words of the plain sentence standing where the hedge stands in the hedged one.

    Anchors are analysed terms shared by both sentences: the phrase runs from after the
    last anchor before the hedge to before the first anchor after it. Falls back to the
    whole plain sentence when the phrase would be empty or long.
    """
    def stems(tokens: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        out = []
        for word, start, end in tokens:
            terms = analyze(word)
            if terms:
                out.append((terms[0], start, end))
        return out

    hedged_tokens = stems(_tokens_with_spans(source_h[hedged.span.start : hedged.span.end], hedged.span.start))
    plain_tokens = stems(_tokens_with_spans(source_p[plain.span.start : plain.span.end], plain.span.start))
    plain_terms = [t for t, _, _ in plain_tokens]
    before = [t for t, s, e in hedged_tokens if e <= hedge.span.start and t in plain_terms]
    after = [t for t, s, e in hedged_tokens if s >= hedge.span.end and t in plain_terms]
    lo = plain.span.start
    if before:
        positions = [i for i, (t, _, _) in enumerate(plain_tokens) if t == before[-1]]
        lo = plain_tokens[positions[0]][2]
    hi = plain.span.end
    if after:
        positions = [i for i, (t, s, _) in enumerate(plain_tokens) if t == after[0] and s >= lo]
        if positions:
            hi = plain_tokens[positions[0]][1]
    words = _tokens_with_spans(source_p[lo:hi], lo)
    while words and (words[0][0] in _PHRASE_EDGE_WORDS or not any(c.isalnum() for c in words[0][0])):
        words.pop(0)
    while words and words[-1][0] in _PHRASE_EDGE_WORDS:
        words.pop()
    if len(words) > 8 and not before and after and hi < plain.span.end:
        # The hedge opens its clause: keep the few words just before the next shared word.
        words = words[-3:]
        while words and words[0][0] in _PHRASE_EDGE_WORDS:
            words.pop(0)
    if not words or len(words) > 8:
        return plain.span
    return Span(words[0][1], words[-1][2])


def _compare_hedges(a: _Unit, b: _Unit, source_a: str, source_b: str) -> list[FoundDifference]:
    hedges_a = hedges(source_a[a.span.start : a.span.end], a.span.start)
    hedges_b = hedges(source_b[b.span.start : b.span.end], b.span.start)
    if bool(hedges_a) == bool(hedges_b):
        return []
    if hedges_a:
        return [FoundDifference("hedge", hedges_a[0].span, _plain_phrase(a, hedges_a[0], b, source_a, source_b))]
    return [FoundDifference("hedge", _plain_phrase(b, hedges_b[0], a, source_b, source_a), hedges_b[0].span)]


def differences_between(corpus: _Corpus, here: int, there: int, settings: AlignmentSettings) -> list[FoundDifference]:
    """Differences of substance between two aligned passages, as spans of each source."""
    source_a, source_b = corpus.text(here), corpus.text(there)
    matched = [(a, b, s) for a, b, s in corpus.sentence_matches(here, there, settings) if s >= settings.sentence_threshold]
    found = _compare_quotes(corpus, here, there, matched, settings)
    quoted_a = [d.here for d in found]
    for a, b, score in matched:
        found.extend(_compare_quantities(a, b))
        found.extend(_compare_dates(a, b, source_a, source_b))
        found.extend(_compare_names(a, b, source_a, source_b))
        if score >= settings.hedge_sentence_threshold:
            found.extend(_compare_hedges(a, b, source_a, source_b))
    unique: list[FoundDifference] = []
    for d in found:
        if d.kind != "quote" and any(q.start <= d.here.start < q.end for q in quoted_a):
            continue  # already reported as part of a differing quote
        if d not in unique:
            unique.append(d)
    return unique


def paragraph_at(text: str, offset: int) -> int:
    """The 1-based paragraph number (non-blank lines counted) of the line holding ``offset``."""
    count = 0
    position = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            count += 1
        position += len(line)
        if position > offset:
            return max(count, 1)
    return max(count, 1)


def alignment_problem(alignment: Alignment, passages: Sequence[Passage], articles: Mapping[str, str]) -> str:
    """What is wrong with a stored alignment for these passages ("" when it fits them)."""
    count = len(passages)
    for pid, links in alignment.links.items():
        if not 0 <= pid < count:
            return f"passage {pid} does not exist"
        here = passages[pid].citation
        for link in links:
            if not 0 <= link.passage < count:
                return f"passage {link.passage} does not exist"
            there = passages[link.passage].citation
            if there.source == here.source:
                return f"passages {pid} and {link.passage} are from the same article"
            for difference in link.differences:
                if difference.kind not in DIFFERENCE_KINDS:
                    return f"unknown difference kind {difference.kind!r}"
                inside_here = here.start <= difference.here.start < difference.here.end <= here.end
                inside_there = there.start <= difference.there.start < difference.there.end <= there.end
                if not (inside_here and inside_there):
                    return f"a difference of passages {pid} and {link.passage} lies outside them"
    return ""


@dataclass(frozen=True)
class Corroboration:
    """What a question's answer shows of one passage: aligned passages and differences."""

    also_in: tuple[AlsoIn, ...] = ()
    differences: tuple[Difference, ...] = ()


def _citation_of_span(passages: Sequence[Passage], passage_id: int, articles: Mapping[str, Article], span: Span) -> Citation:
    citation = passages[passage_id].citation
    text = articles[citation.source].text
    return Citation(citation.source, citation.title, paragraph_at(text, span.start), span.start, span.end)


def corroborate(
    alignment: Alignment, passages: Sequence[Passage], articles: Mapping[str, Article], passage_id: int
) -> Corroboration:
    """The stored alignment of one passage as typed records: a lookup, no computation."""
    also_in = []
    differences = []
    for link in alignment.of(passage_id):
        other = passages[link.passage]
        also_in.append(AlsoIn(text=other.text, citation=other.citation, score=link.score))
        here_text = articles[passages[passage_id].citation.source].text
        there_text = articles[other.citation.source].text
        for found in link.differences:
            differences.append(
                Difference(
                    kind=found.kind,
                    here=here_text[found.here.start : found.here.end],
                    there=there_text[found.there.start : found.there.end],
                    here_citation=_citation_of_span(passages, passage_id, articles, found.here),
                    there_citation=_citation_of_span(passages, link.passage, articles, found.there),
                )
            )
    return Corroboration(tuple(also_in), tuple(differences))


def with_corroboration(
    answer: Answer, alignment: Alignment, passages: Sequence[Passage], articles: Mapping[str, Article]
) -> Answer:
    """The answer with each hit's stored ``also_in`` and ``differences`` attached."""
    hits = []
    for hit in answer.hits:
        found = corroborate(alignment, passages, articles, hit.passage.id)
        hits.append(replace(hit, also_in=found.also_in, differences=found.differences))
    return replace(answer, hits=hits)


def compare_texts(here: str, there: str, settings: AlignmentSettings = AlignmentSettings()) -> list[tuple[str, str, str]]:
    """Differences between two texts taken as aligned passages of two articles, as (kind, here, there).

    Without vectors: sentences are matched on terms, numbers and names only. For tests
    and for trying the rules on a pair of sentences.
    """
    articles = {"here": here, "there": there}
    passages = [
        Passage(i, text, Citation(source, source, 1, 0, len(text)))
        for i, (source, text) in enumerate(articles.items())
    ]
    rows: list[tuple[int, int, int]] = []
    offsets = [0]
    for passage in passages:
        rows.extend((passage.id, span.start, span.end) for span in split_sentences(passage.text))
        offsets.append(len(rows))
    corpus = _Corpus(passages, articles, None, np.array(rows, dtype=np.int64).reshape(-1, 3), np.array(offsets), None)
    return [
        (d.kind, here[d.here.start : d.here.end], there[d.there.start : d.there.end])
        for d in differences_between(corpus, 0, 1, settings)
    ]
