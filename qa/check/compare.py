"""A claim against one source sentence: what the source holds of it, and where it says it otherwise.

``compare`` reads the claim's specifics (figures, dates, names, quotes) and its modality
(negated, hedged), and looks for each in the matched source sentence first, then in its
context (the sentence and its neighbours in the passage; a quote, in the whole passage):

* a figure, a date or a quote the sentence states otherwise is a difference
  (``number``, ``date``, ``quote``), with both spans exact;
* a name of the claim the sentence lacks, where the sentence has a name the claim lacks
  in the stretch the two texts do not share, is a ``name`` difference ("a nommé Barnier"
  / "a nommé François Bayrou");
* a specific the context does not hold is *missing*: the source does not state that
  detail (a fabricated one, often); a date the publication day gives is held;
* one side negated and not the other is a ``negation``; the source hedging (conditional,
  *selon*, *aurait*) what the claim asserts is ``source_hedge``, the claim hedging what
  the source asserts a ``hedge`` difference.

A word counts as a name only if the corpus never writes it in lower case (``is_common``
says it does: "Premier ministre" is a title, "Bayrou" a name), so a claim's first word is
read as a name too. Pure: no I/O.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from qa.corroboration.mentions import WORD, hedges, outside_quotes, quotes
from qa.corroboration.numbers import (
    DateMention,
    Quantity,
    dates,
    dates_agree,
    dates_comparable,
    dates_in_either_language,
    quantities,
    same_quantity,
)
from qa.models import ClaimDifference, Excerpt, Span, published_date
from qa.text.analyzer import analyze, term_set
from qa.text.mentions import ACRONYM, NAME, NUMBER_WORDS
from qa.text.names import same_name
from qa.text.normalise import fold_word, word_key

# The grammar of negation and of hedging, French and English: closed classes of words.
_NEGATION_FR = re.compile(
    r"\b(?:ne|n['’])\s*(?:[\w'’-]+\s+){0,3}?(?:pas|plus|jamais|rien|aucun|aucune|personne|guère|nullement|point)\b"
    r"|\b(?:aucun|aucune|jamais)\b",
    re.IGNORECASE,
)
_NEGATION_EN = re.compile(r"\b(?:not|never|no longer|nobody|none|neither|nor)\b|\w+n['’]t\b", re.IGNORECASE)
_ATTRIBUTION_FR = re.compile(r"\b(?:selon|d['’]après)\b", re.IGNORECASE)
_HEDGE_EN = re.compile(
    r"\b(?:reportedly|allegedly|apparently|possibly|probably|presumably|supposedly|may|might|could|would|"
    r"seems?|seemed|appears? to|according to|is said to|are said to|was said to|were said to)\b",
    re.IGNORECASE,
)
def negations(text: str, language: str, offset: int = 0) -> list[Span]:
    """Negation markers outside quotes: "n'a pas", "jamais", "did not"."""
    pattern = _NEGATION_EN if language == "en" else _NEGATION_FR
    plain = outside_quotes(text)
    return [Span(offset + m.start(), offset + m.end()) for m in pattern.finditer(plain)]


def hedge_marks(text: str, language: str, offset: int = 0) -> list[Span]:
    """The writer's doubt or a bare attribution: the conditional, *peut-être*, *selon*, "reportedly"."""
    plain = outside_quotes(text)
    if language == "en":
        return [Span(offset + m.start(), offset + m.end()) for m in _HEDGE_EN.finditer(plain)]
    found = [h.span for h in hedges(text, offset)]
    found += [Span(offset + m.start(), offset + m.end()) for m in _ATTRIBUTION_FR.finditer(plain)]
    return sorted(found, key=lambda span: span.start)


_ORDINAL_WORDS_EN = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
                     "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12}
_ORDINAL = re.compile(
    r"\b(?P<digits>\d{1,4})(?:e|ème|eme|er|ère|re|st|nd|rd|th)\b|\b(?P<word>premier|première|[a-zé]+ième|"
    + "|".join(_ORDINAL_WORDS_EN) + r")\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\w.,])(?:1\d\d\d|20\d\d)(?![\w.,]\d|\w)")
_HOUR = re.compile(r"(?<![\w.,])(?P<hours>[01]?\d|2[0-3])\s?[hH](?![\w])")


def _ordinal_value(word: str) -> int | None:
    folded = fold_word(word)
    if folded in ("premier", "premiere"):
        return 1
    if folded in _ORDINAL_WORDS_EN:
        return _ORDINAL_WORDS_EN[folded]
    stem = folded[: -len("ieme")] if folded.endswith("ieme") else ""
    for candidate in (stem, stem + "e", stem[:-1] + "f" if stem.endswith("v") else "", stem[:-1] if stem.endswith("u") else ""):
        if candidate and fold_word(candidate) in _NUMBER_WORDS_FOLDED:
            return _NUMBER_WORDS_FOLDED[fold_word(candidate)]
    return None


_NUMBER_WORDS_FOLDED = {fold_word(word): value for word, value in NUMBER_WORDS.items()}


def figures(text: str, offset: int = 0) -> list[Quantity]:
    """Quantities (``qa.corroboration.numbers``), and what they leave out: ordinals
    ("quatrième", "4e", "fourth") and whole hours ("19h")."""
    found = quantities(text, offset)
    taken = [q.span for q in found]
    for match in _YEAR.finditer(text):
        span = Span(offset + match.start(), offset + match.end())
        # "en 1846" is a year, not also a count; "1848 personnes" is a count, not a year.
        within = [q for q in found if q.span.start <= span.start < q.span.end]  # "plus de 1848 personnes" too
        if any(q.noun or q.unit for q in within):
            continue
        found = [q for q in found if q not in within]
        found.append(Quantity(float(match.group(0)), "year", "", span, "year"))
    for match in _ORDINAL.finditer(text):
        value = int(match.group("digits")) if match.group("digits") else _ordinal_value(match.group("word"))
        if value is not None:
            found.append(Quantity(float(value), "ordinal", "", Span(offset + match.start(), offset + match.end()), "rank"))
    for match in _HOUR.finditer(text):
        span = Span(offset + match.start(), offset + match.end())
        if not any(t.start <= span.start < t.end for t in taken):
            found.append(Quantity(float(int(match.group("hours")) * 60), "clock", "", span, "h"))
    return sorted(found, key=lambda q: q.span.start)


@dataclass(frozen=True)
class NameMention:
    key: str
    span: Span


def name_mentions(text: str, is_common: Callable[[str], bool], offset: int = 0) -> list[NameMention]:
    """Capitalised words and acronyms the corpus does not also write in lower case."""
    found = []
    dated = [d.span for d in dates_in_either_language(text)]
    for match in NAME.finditer(text):
        word, start = match.group(0), match.start()
        if any(span.start <= match.start() < span.end for span in dated):
            continue  # "Friday", "June": a date, compared as one
        head, apostrophe, tail = word.partition("'") if "'" in word else word.partition("’")
        if apostrophe and len(head) <= 2:
            word, start = tail, match.start() + len(head) + 1
        if not word or not (word[0].isupper() or ACRONYM.match(word)):
            continue
        if not ACRONYM.match(word) and is_common(fold_word(word)):
            continue
        found.append(NameMention(word_key(word), Span(offset + start, offset + start + len(word))))
    return found


@dataclass
class Comparison:
    """What a source sentence (and its context) holds of a claim."""

    differences: list[ClaimDifference] = field(default_factory=list)
    missing: list[Excerpt] = field(default_factory=list)  # claim specifics the sentence's context does not hold
    negation: ClaimDifference | None = None
    source_hedge: Excerpt | None = None  # the source hedges what the claim asserts
    claim_hedge: ClaimDifference | None = None  # the claim hedges what the source asserts


@dataclass(frozen=True)
class SourceText:
    """A source as compared: its article's text, the matched sentence, its passage, the
    stretch whose words count as the sentence's context (``near``: the sentence and its
    neighbours in the passage; a claim's figure, date or name must be there), and the
    article's publication day (``YYYY-MM-DD`` or None)."""

    article: str
    sentence: Span
    passage: Span
    published: str | None = None
    language: str = "fr"
    near: Span = Span(0, 0)

    def __post_init__(self) -> None:
        if self.near == Span(0, 0):
            object.__setattr__(self, "near", self.passage)


def _excerpt(text: str, span: Span) -> Excerpt:
    return Excerpt(span.start, span.end, text[span.start : span.end])


def _difference(kind: str, claim: str, claim_span: Span, source: SourceText, source_span: Span) -> ClaimDifference:
    return ClaimDifference(kind, _excerpt(claim, claim_span), _excerpt(source.article, source_span))


def _compare_numbers(claim: str, source: SourceText, comparison: Comparison) -> None:
    in_sentence = figures(source.article[source.sentence.start : source.sentence.end], source.sentence.start)
    in_passage = figures(source.article[source.near.start : source.near.end], source.near.start)
    claimed = figures(claim)
    published = published_date(source.published)
    for q in claimed:
        if any(x.dimension == q.dimension and same_quantity(q, x) for x in in_passage):
            continue
        if q.dimension == "year" and published is not None and int(q.value) == published.year:
            continue
        same_kind = [x for x in in_sentence if x.dimension == q.dimension]
        comparable = [x for x in same_kind if q.noun and x.noun == q.noun] or (
            same_kind if sum(c.dimension == q.dimension for c in claimed) == 1 and len(same_kind) == 1 else []
        ) or [x for x in same_kind if not q.noun or not x.noun]
        unmatched = [x for x in comparable if not any(same_quantity(x, c) for c in claimed if c.dimension == x.dimension)]
        if unmatched:
            kind = "date" if q.dimension == "year" else "number"  # a year stated otherwise is a date that differs
            comparison.differences.append(_difference(kind, claim, q.span, source, unmatched[0].span))
        else:
            comparison.missing.append(_excerpt(claim, q.span))


def _published_mention(published: str | None) -> DateMention | None:
    day = published_date(published)
    if day is None:
        return None
    weekday = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")[day.weekday()]
    return DateMention(day.day, day.month, day.year, weekday, Span(0, 0))


def _held_date(d: DateMention, mentions: list[DateMention]) -> bool:
    """Whether a mention states the claim's date: agreeing, with the day and the month the
    claim gives ("12 décembre" is not held by a bare "décembre")."""
    return any(
        dates_comparable(d, x) and dates_agree(d, x) and (not d.day or x.day) and (not d.month or x.month or x.weekday)
        for x in mentions
    )


def _compare_dates(claim: str, claim_language: str, source: SourceText, comparison: Comparison) -> None:
    in_sentence = dates(source.article[source.sentence.start : source.sentence.end], source.sentence.start, source.language)
    in_passage = dates(source.article[source.near.start : source.near.end], source.near.start, source.language)
    published = _published_mention(source.published)
    for d in dates(claim, language=claim_language):
        if _held_date(d, in_passage):
            continue
        comparable = [x for x in in_sentence if dates_comparable(d, x)] or [x for x in in_passage if dates_comparable(d, x)]
        if comparable:
            # "July 9" against "June 30 and July 7" is July 7 stated otherwise: the mention
            # agreeing on the most fields (ties: the first).
            closest = max(comparable, key=lambda x: sum(bool(f) and f == g for f, g in
                                                       ((d.day, x.day), (d.month, x.month), (d.year, x.year), (d.weekday, x.weekday))))
            comparison.differences.append(_difference("date", claim, d.span, source, closest.span))
            continue
        if published is not None and (_weekday_matches(d, published) or (not d.weekday and dates_agree(d, replace(published, weekday="")))):
            continue
        comparison.missing.append(_excerpt(claim, d.span))


def _weekday_matches(d: DateMention, published: DateMention) -> bool:
    return bool(d.weekday) and d.weekday == published.weekday


def _quote_agrees(a: str, b: str) -> bool:
    terms_a, terms_b = set(analyze(a)), set(analyze(b))
    return bool(terms_a) and (terms_a <= terms_b or terms_b <= terms_a)


def _compare_quotes(claim: str, source: SourceText, comparison: Comparison) -> None:
    claimed = quotes(claim)
    if not claimed:
        return
    passage = source.article[source.passage.start : source.passage.end]
    in_passage = quotes(passage, source.passage.start)  # a quote may run over sentences: the whole passage
    for quote in claimed:
        if any(_quote_agrees(quote.inner, other.inner) for other in in_passage):
            continue
        in_sentence = [q for q in in_passage if source.sentence.start <= q.span.start < source.sentence.end]
        if in_sentence:
            words = set(analyze(quote.inner))
            best = max(in_sentence, key=lambda q: len(words & set(analyze(q.inner))))
            comparison.differences.append(_difference("quote", claim, quote.span, source, best.span))
        else:
            comparison.missing.append(_excerpt(claim, quote.span))


def _tokens(text: str, offset: int = 0) -> list[tuple[str, Span]]:
    out = []
    for m in WORD.finditer(text):
        terms = analyze(m.group(0))
        out.append((terms[0] if terms else "·" + word_key(m.group(0)), Span(offset + m.start(), offset + m.end())))
    return out


_SWAP_WINDOW = 4


def _holds_name(key: str, keys: list[str]) -> bool:
    return any(same_name(key, other) for other in keys)


def _groups(text: str, mentions: list[NameMention], offset: int = 0) -> list[list[NameMention]]:
    """Names written next to each other ("François Bayrou") as one group."""
    groups: list[list[NameMention]] = []
    for mention in mentions:
        between = text[groups[-1][-1].span.end - offset : mention.span.start - offset] if groups else "x"
        if groups and not between.strip():
            groups[-1].append(mention)
        else:
            groups.append([mention])
    return groups


def _unshared(groups: list[list[NameMention]], other_keys: list[str]) -> list[NameMention]:
    """The names the other side lacks: a group ("François Bayrou") is shared when its last
    name is (a first name alone, or one a letter away from a common word, is not enough)."""
    return [m for group in groups if not _holds_name(group[-1].key, other_keys) for m in group]


def _other_first_names(
    claim_groups: list[list[NameMention]], sentence_groups: list[list[NameMention]]
) -> list[tuple[NameMention, NameMention]]:
    """One surname with two first names: "Dominique Pelicot" / "Gisèle Pélicot"."""
    found = []
    for mine in claim_groups:
        for theirs in sentence_groups:
            shared = [m for m in mine if _holds_name(m.key, [t.key for t in theirs])]
            if not shared:
                continue
            my_rest = [m for m in mine if m not in shared and not _holds_name(m.key, [t.key for t in theirs])]
            their_rest = [t for t in theirs if not _holds_name(t.key, [m.key for m in mine])]
            if my_rest and their_rest and my_rest[0].span.start < shared[0].span.start and their_rest[0].span.start < theirs[-1].span.start:
                found.append((my_rest[0], their_rest[0]))
    return found


def _compare_names(
    claim: str, claim_language: str, source: SourceText, is_common: Callable[[str], bool], comparison: Comparison
) -> None:
    """Names the claim and the sentence do not share, paired where the two texts diverge."""
    sentence = source.article[source.sentence.start : source.sentence.end]
    claim_names = name_mentions(claim, is_common)
    sentence_names = name_mentions(sentence, is_common, source.sentence.start)
    sentence_words = {word_key(w) for w in WORD.findall(sentence)}
    claim_keys, sentence_keys = [n.key for n in claim_names], [n.key for n in sentence_names] + list(sentence_words)
    claim_groups, sentence_groups = _groups(claim, claim_names), _groups(sentence, sentence_names, source.sentence.start)
    for mine, theirs in _other_first_names(claim_groups, sentence_groups):
        comparison.differences.append(_difference("name", claim, mine.span, source, theirs.span))
    only_claim = _unshared(claim_groups, sentence_keys)
    only_sentence = _unshared(sentence_groups, claim_keys)
    if not only_claim:
        return
    if source.language != claim_language:
        only_sentence = []  # another language's capitals (French, Republic) are no names to pair
    left, right = _tokens(claim), _tokens(sentence, source.sentence.start)
    matcher = difflib.SequenceMatcher(a=[t for t, _ in left], b=[t for t, _ in right], autojunk=False)
    paired: set[int] = set()
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag != "replace" or a1 - a0 > _SWAP_WINDOW or b1 - b0 > _SWAP_WINDOW:
            continue  # a name swapped for another stands in a short stretch the texts do not share
        a_lo, a_hi = left[a0][1].start, left[a1 - 1][1].end
        b_lo, b_hi = right[b0][1].start, right[b1 - 1][1].end
        mine = [n for n in only_claim if a_lo <= n.span.start < a_hi and id(n) not in paired]
        theirs = [n for n in only_sentence if b_lo <= n.span.start < b_hi]
        if mine and theirs:
            comparison.differences.append(
                _difference("name", claim, Span(mine[0].span.start, mine[-1].span.end), source,
                            Span(theirs[0].span.start, theirs[-1].span.end))
            )
            paired.update(id(n) for n in mine)
    near_words = [word_key(w) for w in WORD.findall(source.article[source.near.start : source.near.end])]
    for name in only_claim:
        if id(name) not in paired and not _holds_name(name.key, near_words):
            comparison.missing.append(_excerpt(claim, name.span))


def _compare_modality(claim: str, claim_language: str, source: SourceText, comparison: Comparison) -> None:
    sentence = source.article[source.sentence.start : source.sentence.end]
    claim_negations = negations(claim, claim_language)
    source_negations = negations(sentence, source.language, source.sentence.start)
    if bool(claim_negations) != bool(source_negations):
        claim_span = claim_negations[0] if claim_negations else Span(0, len(claim))
        source_span = source_negations[0] if source_negations else source.sentence
        comparison.negation = _difference("negation", claim, claim_span, source, source_span)
    claim_hedges = hedge_marks(claim, claim_language)
    source_hedges = hedge_marks(sentence, source.language, source.sentence.start)
    if source_hedges and not claim_hedges:
        comparison.source_hedge = _excerpt(source.article, source_hedges[0])
    elif claim_hedges and not source_hedges:
        comparison.claim_hedge = _difference("hedge", claim, claim_hedges[0], source, source.sentence)


def compare(claim: str, claim_language: str, source: SourceText, is_common: Callable[[str], bool]) -> Comparison:
    """How the source sentence (in its context) stands to the claim."""
    comparison = Comparison()
    _compare_quotes(claim, source, comparison)
    _compare_numbers(claim, source, comparison)
    _compare_dates(claim, claim_language, source, comparison)
    _compare_names(claim, claim_language, source, is_common, comparison)
    _compare_modality(claim, claim_language, source, comparison)
    # A figure inside a differing quote is that quote's difference, not one more.
    quoted = [d.claim for d in comparison.differences if d.kind == "quote"]
    comparison.differences = [
        d for d in comparison.differences if d.kind == "quote" or not any(q.start <= d.claim.start < q.end for q in quoted)
    ]
    # One stretch of the claim differs once ("en 1988" is both a year and a date; the 9 of
    # "July 9" a figure and a day): the date's reading first, then the order found.
    kept: list[ClaimDifference] = []
    for d in sorted(comparison.differences, key=lambda d: d.kind != "date"):
        if not any(k.claim.start < d.claim.end and d.claim.start < k.claim.end for k in kept):
            kept.append(d)
    comparison.differences = [d for d in comparison.differences if any(d is k for k in kept)]
    return comparison


def restored_claim(claim: str, differences: list[ClaimDifference], source_text: str | None = None) -> str:
    """The claim with each differing stretch written as the source writes it (or as
    ``source_text``, when given: " " leaves the stretches out): what the sentence would
    have to say for its one statement to be the claim's. If the sentence makes *that*
    statement, it makes the claim's with those details stated otherwise."""
    restored = claim
    for d in sorted(differences, key=lambda d: -d.claim.start):
        restored = restored[: d.claim.start] + (d.source.text if source_text is None else source_text) + restored[d.claim.end :]
    return restored


def shared_terms(claim: str, sentence: str) -> float:
    """The share of the claim's distinct terms that the sentence holds."""
    mine = term_set(claim)
    return len(mine & term_set(sentence)) / len(mine) if mine else 0.0
