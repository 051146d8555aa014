"""Differences of substance between two aligned passages, as exact spans of each source.

Within an aligned pair, each sentence is paired with its best match on the other side
(above ``AlignmentSettings.sentence_threshold``); on paired sentences this module
compares quotes (by context and wording), quantities (normalised: "12 bombardiers" =
"douze avions", "24 heures" = "en un jour"; "plus de 40" is not "environ 40"), dates
(fields both state), names in the same role ("selon Peskov" / "selon Lavrov") and hedges
kept by one side only.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from qa.corroboration.mentions import WORD, Hedge, hedges, name_groups, quotes, words_of
from qa.corroboration.numbers import Quantity, dates, dates_agree, dates_comparable, same_statement
from qa.corroboration.record import AlignmentSettings, FoundDifference
from qa.corroboration.signals import SignalCorpus, Unit, cosine, line_before
from qa.models import Span
from qa.text.analyzer import analyze
from qa.text.names import names, same_name
from qa.text.normalise import word_key


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
    """Two quotes say the same when their analysed terms are the same (inflection aside),
    or when one is a cut of the other: every term of the shorter is in the longer (a
    second outlet quoting part of the same words is no difference of substance)."""
    terms_a, terms_b = set(analyze(a)), set(analyze(b))
    return terms_a <= terms_b or terms_b <= terms_a


def _compare_quotes(corpus: SignalCorpus, here: int, there: int, settings: AlignmentSettings) -> list[tuple[FoundDifference, float]]:
    """Quotes paired by context and wording (best first, each used once) that do not agree,
    with the pairing score."""
    source_a, source_b = corpus.text(here), corpus.text(there)
    pa, pb = corpus.passages[here].citation, corpus.passages[there].citation
    quotes_a = quotes(source_a[pa.start : pa.end], pa.start, line_before(source_a, pa.start))
    quotes_b = quotes(source_b[pb.start : pb.end], pb.start, line_before(source_b, pb.start))
    if not quotes_a or not quotes_b:
        return []
    def sentence_of(units: list[Unit], span: Span) -> Unit | None:
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
            found.append((FoundDifference("quote", quotes_a[i].span, quotes_b[j].span), score))
    return found


_CLAUSE_BREAK = re.compile(r"[,;:()\[\]«»\"]")
_APPOSITION = re.compile(r"\s*[,(]\s*")  # "Dominique Pelicot, 72 ans", "Al-Haouz (1 293)"


def _anchors(unit: Unit, source: str, reach: int = 40) -> dict[Span, str]:
    """Each quantity's anchor: the key of the nearest name within ``reach`` characters in
    its clause ("36 000 personnes à Toulouse" -> toulouse), or "" when none is near.

    A name that follows in the clause comes first: in a list ("36 000 à Toulouse, 26 000
    à Marseille") each figure's place follows it. A name before it counts when none
    follows, across an apposition too ("Dominique Pelicot, 72 ans", "Al-Haouz (1 293)")."""
    groups = name_groups(source[unit.span.start : unit.span.end], unit.span.start)
    found = {}
    for q in unit.quantities:
        after = [(group[0].span.start - q.span.end, group) for group in groups if group[0].span.start >= q.span.end
                 and not _CLAUSE_BREAK.search(source[q.span.end : group[0].span.start])]
        before = []
        for group in groups:
            end = group[-1].span.end
            between = source[end : q.span.start]
            if end <= q.span.start and (not _CLAUSE_BREAK.search(between) or _APPOSITION.fullmatch(between)):
                before.append((q.span.start - end, group))  # else in another clause ("selon l'Intérieur, 36 000")
        near = [(distance, group) for distance, group in (after or before) if distance <= reach]
        found[q.span] = min(near, key=lambda item: item[0])[1][-1].key if near else ""
    return found


def _compare_quantities(a: Unit, b: Unit, source_a: str, source_b: str) -> list[tuple[FoundDifference, dict[str, float]]]:
    """Quantities of one dimension that state the same thing with different values, or with
    the same value bounded otherwise ("plus de 10 000" / "10 000", ``same_statement``).

    Two quantities are about the same thing when the same name stands next to both
    ("36 000 à Toulouse" / "30 000 personnes à Toulouse"), else when they count the same
    noun and no two different names stand by them, else when each sentence has only one
    of that dimension, or only one that no name stands by ("31,5 % des voix" against "plus
    de 32 %", beside "14,5 % pour Valérie Hayer"). Each difference comes with the signals
    the number decision weighs: whether the two figures measure the same thing (a unit, or
    the same name or noun by both), and how far apart their values are (orders of
    magnitude: "12h45" / "12h43" are close, "22 ans" / "cinq heures" are not one fact).
    """
    found = []
    anchors_a, anchors_b = _anchors(a, source_a), _anchors(b, source_b)
    by_dimension_b: dict[str, list[Quantity]] = defaultdict(list)
    for q in b.quantities:
        by_dimension_b[q.dimension].append(q)
    count_a = defaultdict(int)
    for q in a.quantities:
        count_a[q.dimension] += 1
    for q in a.quantities:
        others = by_dimension_b.get(q.dimension, [])
        single = count_a[q.dimension] == 1 and len(others) == 1
        anchor = anchors_a[q.span]
        comparable = [o for o in others if anchor and anchors_b[o.span] == anchor]
        if not comparable:  # the same noun, unless both stand by different names
            comparable = [o for o in others if q.noun and o.noun == q.noun and not (anchor and anchors_b[o.span])]
        counted = bool(comparable) or q.dimension != "count"  # a measure counts its unit
        if not comparable and single:  # the one of each side, unless they count different nouns
            comparable = [o for o in others if not q.noun or not o.noun or q.noun == o.noun]
        if not comparable and not anchor:  # the one of each side that no name claims
            loose_a = [x for x in a.quantities if x.dimension == q.dimension and not anchors_a[x.span]]
            loose_b = [o for o in others if not anchors_b[o.span]]
            if len(loose_a) == 1 and len(loose_b) == 1:
                comparable = [o for o in loose_b if not q.noun or not o.noun or q.noun == o.noun]
        if not comparable or any(same_statement(q, o) for o in comparable):
            continue
        mine = [x for x in a.quantities if x.dimension == q.dimension]
        unmatched = [o for o in comparable if not any(same_statement(o, x) for x in mine)]
        if unmatched:
            other = unmatched[0]
            low, high = sorted((abs(q.value), abs(other.value)))
            ratio = 3.0 if low == 0 else min(math.log10(high / low), 3.0)
            found.append((FoundDifference("number", q.span, other.span),
                          {"number_counted": float(counted), "number_ratio": ratio}))
    return found


def _compare_dates(a: Unit, b: Unit, source_a: str, source_b: str) -> list[FoundDifference]:
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


# Words before a name that say which role it plays: "selon Peskov" / "selon Lavrov".
_ROLE_SLOTS = frozenset(
    {"selon", "president", "presidente", "ministre", "porte-parole", "secretaire", "general", "chef", "dirigeant",
     "premier", "directeur", "directrice", "ambassadeur", "commandant", "par", "gouverneur", "maire", "depute",
     "senateur", "patron", "conseiller", "envoye", "emissaire", "homologue"}
)


def _compare_names(a: Unit, b: Unit, source_a: str, source_b: str) -> list[FoundDifference]:
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


def _compare_spellings(a: Unit, b: Unit, source_a: str, source_b: str) -> list[FoundDifference]:
    """One name spelt two ways: "Oliver" / "Olivier", "Pélicot" / "Pelicot" (a one-letter
    variant, or the same letters but for accents), when neither sentence also has the
    other's spelling."""
    names_a = names(source_a[a.span.start : a.span.end], a.span.start)
    names_b = names(source_b[b.span.start : b.span.end], b.span.start)
    written_a = {source_a[n.span.start : n.span.end].lower() for n in names_a}
    written_b = {source_b[n.span.start : n.span.end].lower() for n in names_b}
    found = []
    for na in names_a:
        spelt_a = source_a[na.span.start : na.span.end].lower()
        if spelt_a in written_b:
            continue
        for nb in names_b:
            spelt_b = source_b[nb.span.start : nb.span.end].lower()
            if spelt_b in written_a or not same_name(na.key, nb.key) or spelt_a[1:] == spelt_b[1:]:
                continue  # the same spelling, or only the capital's accent (État / Etat)
            found.append(FoundDifference("name", na.span, nb.span))
            break
    return found


def _tokens_with_spans(text: str, offset: int) -> list[tuple[str, int, int]]:
    return [(word_key(m.group(0)), offset + m.start(), offset + m.end()) for m in WORD.finditer(text)]


_PHRASE_EDGE_WORDS = frozenset(
    {"le", "la", "les", "l'", "un", "une", "des", "de", "d'", "du", "a", "au", "aux", "et", "en", "ou", "que", "qu'",
     "qui", "mais", "donc", "ces", "ce", "cette", "son", "sa", "ses", "leur", "leurs", "d'une", "d'un", "l", "d",
     "il", "elle", "ils", "elles", "qu'il", "qu'elle", "qu'ils", "qu'elles", "s'il", "s'ils", "on"}
)


def _plain_phrase(hedged: Unit, hedge: Hedge, plain: Unit, source_h: str, source_p: str) -> Span:
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


def _compare_hedges(a: Unit, b: Unit, source_a: str, source_b: str) -> list[FoundDifference]:
    hedges_a = hedges(source_a[a.span.start : a.span.end], a.span.start)
    hedges_b = hedges(source_b[b.span.start : b.span.end], b.span.start)
    if bool(hedges_a) == bool(hedges_b):
        return []
    if hedges_a:
        return [FoundDifference("hedge", hedges_a[0].span, _plain_phrase(a, hedges_a[0], b, source_a, source_b))]
    return [FoundDifference("hedge", _plain_phrase(b, hedges_b[0], a, source_b, source_a), hedges_b[0].span)]


def difference_candidates(
    corpus: SignalCorpus, here: int, there: int, settings: AlignmentSettings
) -> list[tuple[FoundDifference, dict[str, float]]]:
    """Every difference the rules find between two aligned passages, with the signals the
    decisions weigh: its kind, and how closely the two sentences (or quotes) it stands in
    are matched; for a figure, also ``_compare_quantities``'s signals and the sentences'
    word cosine (``AlignmentSettings.number_decision``)."""
    source_a, source_b = corpus.text(here), corpus.text(there)
    matched = [(a, b, s) for a, b, s in corpus.sentence_matches(here, there, settings) if s >= settings.sentence_threshold]
    found = [(d, {"quote_pairing": score, "kind_quote": 1.0}) for d, score in _compare_quotes(corpus, here, there, settings)]
    for a, b, score in matched:
        figures = _compare_quantities(a, b, source_a, source_b)
        if figures:  # the number decision also weighs how alike the sentences' words are
            words = cosine(a.terms, b.terms)
            found.extend((d, {"sentence": score, "sentence_lexical": words, "kind_number": 1.0, **signals})
                         for d, signals in figures)
        for kind, items in (
            ("date", _compare_dates(a, b, source_a, source_b)),
            ("name", _compare_names(a, b, source_a, source_b)),
            ("spelling", _compare_spellings(a, b, source_a, source_b)),
            ("hedge", _compare_hedges(a, b, source_a, source_b)),
        ):
            found.extend((d, {"sentence": score, f"kind_{kind}": 1.0}) for d in items)
    return found


def differences_between(corpus: SignalCorpus, here: int, there: int, settings: AlignmentSettings) -> list[FoundDifference]:
    """Differences of substance between two aligned passages, as spans of each source:
    the candidates (``difference_candidates``) the calibrated decisions keep (a differing
    figure by ``number_decision``, any other kind by ``difference_decision``)."""
    kept = [d for d, signals in difference_candidates(corpus, here, there, settings)
            if (settings.number_decision if d.kind == "number" else settings.difference_decision).accepts(signals)]
    quoted_a = [d.here for d in kept if d.kind == "quote"]
    unique: list[FoundDifference] = []
    for d in kept:
        if d.kind != "quote" and any(q.start <= d.here.start < q.end for q in quoted_a):
            continue  # already reported as part of a differing quote
        if d not in unique:
            unique.append(d)
    return unique
