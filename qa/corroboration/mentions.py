"""Grouped names, quotes and hedges in text, each with its exact span.

* names (found by ``qa.text.names``) grouped: ``NameCanon`` maps spelling variants to
  one key, ``name_groups`` joins consecutive names;
* quotes: « », “ ”, " ", and direct speech after a colon;
* hedges: the writer's doubt (conditional mood, *peut-être*, *semble*...), not a
  speaker's words nor what an *if* clause or a fear verb governs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.models import Span
from qa.text.names import Name, names, sentence_initial
from qa.text.normalise import fold_word, word_key

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


def outside_quotes(text: str) -> str:
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
    plain = outside_quotes(text)
    found = []
    for match in _HEDGE.finditer(plain):
        word = match.group(0)
        if fold_word(word) in _NOT_CONDITIONAL or word[0].isupper() and match.start() > 0 and not sentence_initial(plain, match.start()):
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


WORD = re.compile(r"[\w'’-]+")


def words_of(text: str) -> list[str]:
    """Lower-cased, accent-folded words with apostrophes unified; no stop-word removal."""
    return [word_key(w) for w in WORD.findall(text)]


def name_groups(text: str, offset: int = 0) -> list[list[Name]]:
    """Names written next to each other ("Vladimir Poutine", "Mark Rutte") as one group."""
    groups: list[list[Name]] = []
    for name in names(text, offset):
        if groups and not text[groups[-1][-1].span.end - offset : name.span.start - offset].strip():
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


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
