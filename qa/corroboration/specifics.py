"""Story specifics: what in an article's text says which event it reports.

*Specifics* are names (capitalised words, acronyms, and runs of names such as "Vladimir
Poutine"), calendar dates ("4 juillet"), years, and quantities with their unit or noun
("1 600 km", "12 bombardiers" = "douze avions"), as keys (``specifics``); *phrases* are
pairs of consecutive analysed terms (``phrases``); the *lede* is the title and the
opening, where a report says when its event happened. Everyday topic words ("saison",
"guerre", "président") are not specifics: they are lower-case nouns, and a capitalised
word the corpus also writes in lower case is one too (``lowercase_words``,
``everyday_key``). Time evidence compares the years and dates two articles mention most
(``time_conflict``, ``time_shared``). Pure text: no I/O, no model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from qa.corroboration.mentions import name_groups
from qa.corroboration.numbers import dates_in_either_language, quantities
from qa.text.analyzer import analyze
from qa.text.normalise import word_key

YEAR = re.compile(r"(?<![\d\w.,])(1[5-9]\d\d|20\d\d)(?![\d\w])")


def _number_key(dimension: str, value: float, noun: str) -> str:
    """``num:<dimension>:<value>``; a count keeps its noun's stem as a fourth part."""
    rounded = f"{value:.3g}"
    return f"num:{dimension}:{rounded}" + (f":{noun}" if dimension == "count" and noun else "")


_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-zà-öø-ÿ][\w'’-]*")


def lowercase_words(texts: Iterable[str]) -> set[str]:
    """The folded words the corpus writes in lower case somewhere: its everyday vocabulary.

    A capitalised word that is also one of these ("Guerre", "Saison", "Union", "Nord") is
    a common noun at a sentence or title start, not a name: alone it is no specific.
    """
    found: set[str] = set()
    for text in texts:
        found.update(word_key(word) for word in _LOWER_WORD.findall(text))
    return found


def specifics(text: str) -> list[str]:
    """The story specifics of a text as keys: ``name:``, ``names:`` (a run), ``date:``, ``year:``, ``num:``.

    Dates are read in French and in English. Counts below 10 ("deux soldats") are too
    common to be specific, and four-digit counts from 1000 to 2100 are mostly years
    written without "en"; months alone and weekdays are left out. Names are filtered later against the corpus's everyday words
    (``lowercase_words``), which need the whole corpus.
    """
    keys: list[str] = []
    found_dates = dates_in_either_language(text)
    for group in name_groups(text):
        group = [n for n in group if not any(d.span.start <= n.span.start < d.span.end for d in found_dates)]
        group_keys = [name.key for name in group]  # an English month is capitalised, and no name
        keys.extend(f"name:{key}" for key in group_keys)
        if len(group_keys) > 1:
            keys.append("names:" + " ".join(group_keys))
    for mention in found_dates:
        if mention.day and mention.month:
            keys.append(f"date:{mention.day}-{mention.month}")
    keys.extend(f"year:{match.group(1)}" for match in YEAR.finditer(text))
    for quantity in quantities(text):
        if quantity.rounded or (quantity.dimension == "count" and (quantity.value < 10 or 1000 <= quantity.value <= 2100)):
            continue
        keys.append(_number_key(quantity.dimension, quantity.value, ""))
    return keys


def phrases(text: str) -> set[str]:
    """The text's pairs of consecutive analysed terms ("réclusion criminel", "20 an"): two
    reports of one event share some of their rare ones (the same quoted words, the same
    figure with its noun), two articles on one subject rarely do."""
    terms = analyze(text)
    return {f"{a} {b}" for a, b in zip(terms, terms[1:])}


def lede(title: str, text: str, characters: int) -> str:
    """The title and the opening of the text: where a report says when its event happened
    (a background year comes later, if at all)."""
    return f"{title}\n{text[:characters]}"


def _main(keys: Sequence[str], prefix: str) -> set[str]:
    """The year(s) or dates an article mentions most often (empty when it mentions none)."""
    counts = Counter(k for k in keys if k.startswith(prefix))
    if not counts:
        return set()
    top = max(counts.values())
    return {k for k, n in counts.items() if n == top}


def time_conflict(a: Sequence[str], b: Sequence[str]) -> bool:
    """Each article's main year (or main date) is one the other never mentions: two times.

    "6 Heures du Castellet 2011" and "6 Heures de Shanghai 2017" share teams and drivers
    but not their year; two reports of one event share the date they report.
    """
    for prefix in ("year:", "date:"):
        main_a, main_b = _main(a, prefix), _main(b, prefix)
        if main_a and main_b and not (main_a & set(b)) and not (main_b & set(a)):
            return True
    return False


def everyday_key(key: str, everyday: set[str]) -> bool:
    """A name (or a run of names) made only of words the corpus also writes in lower case."""
    if key.startswith("name:"):
        return key[len("name:") :] in everyday or len(key) <= len("name:") + 1
    if key.startswith("names:"):
        return all(word in everyday for word in key[len("names:") :].split())
    return False


def distinct_count(keys: Sequence[str]) -> int:
    """Shared keys that are not years, a name run counting once with the names it is made of."""
    runs = [set(k[len("names:") :].split()) for k in keys if k.startswith("names:")]
    count = 0
    for key in keys:
        if key.startswith("year:"):
            continue
        if key.startswith("name:") and any(key[len("name:") :] in run for run in runs):
            continue
        count += 1
    return count


def time_shared(a: Sequence[str], b: Sequence[str]) -> bool:
    """The main year or main date of one article is mentioned by the other."""
    for prefix in ("year:", "date:"):
        main_a, main_b = _main(a, prefix), _main(b, prefix)
        if (main_a & set(b)) or (main_b & set(a)):
            return True
    return False
