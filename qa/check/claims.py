"""``check_claim``: which articles state a claim, state it otherwise, hedge or contradict it.

The data flow::

    claim -> embedder + BM25 (the same candidates as ``ask``, under the same filters)
    -> each candidate passage's sentences scored against the claim (cosine, shared terms)
    -> the best sentence of each article -> same statement? (verdict) -> compared (compare)
    -> one entry per article, by publication date -> the claim's verdict, first report, coverage

Passages aligned at index time with a matched one (``qa.corroboration``) are read too,
so that an outlet the search ranks low is still found when it reports the same fact.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from qa.check.compare import SourceText, compare, restored_claim, shared_terms
from qa.check.verdict import STRENGTH, CheckSettings, blocking_rule, claim_verdict, source_verdict, statement_signals, summary
from qa.embedding.embedder import Embedder
from qa.index.load import LoadedIndex
from qa.models import CheckCoverage, ClaimCheck, ClaimDifference, Excerpt, SearchFilter, SourceCheck, Span
from qa.search.answer import dense_candidates, score_candidates
from qa.search.filters import outlet_key, passage_mask, published_day, scope_of
from qa.search.ranking import RankingSettings
from qa.search.timing import StageTimes
from qa.text.language import language_of
from qa.text.normalise import fold_word

_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-zà-öø-ÿ][\w-]*")
_common_words: dict[str, frozenset[str]] = {}


def common_words(index: LoadedIndex) -> frozenset[str]:
    """Every word the corpus writes in lower case (folded): those are not names. Kept per build."""
    words = _common_words.get(index.build_id)
    if words is None:
        found: set[str] = set()
        for article in index.articles.values():
            found.update(fold_word(w) for w in _LOWER_WORD.findall(article.text))
        words = frozenset(found)
        _common_words.clear()
        _common_words[index.build_id] = words
    return words


@dataclass
class _Reading:
    passage_id: int
    sentence: int  # row in the passage's sentences
    similarity: float
    terms: float
    score: float  # the rank of the sentence within its passage
    probability: float  # that it makes the claim's statement, its context's terms taken as its own


def _read_passage(index: LoadedIndex, passage_id: int, claim: str, vector: np.ndarray, cross: bool, settings: CheckSettings) -> _Reading | None:
    spans, vectors = index.sentences_of(passage_id)
    if len(spans) == 0 or vectors is None:
        return None
    text = index.articles[index.passages[passage_id].citation.source].text
    similarities = np.asarray(vectors, dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
    best: _Reading | None = None
    for row, (_, start, end) in enumerate(spans):
        similarity = float(similarities[row])
        terms = 0.0 if cross else shared_terms(claim, text[int(start) : int(end)])
        score = similarity + settings.terms_weight * terms
        if best is None or score > best.score:
            best = _Reading(passage_id, row, similarity, terms, score, 0.0)
    if best is not None:
        best.probability = settings.statement.probability(statement_signals(best.similarity, best.terms, best.terms, cross))
    return best


def _coverage(index: LoadedIndex, sources: frozenset[str], unknown: tuple[str, ...]) -> CheckCoverage:
    articles = [index.articles[s] for s in sources]
    days = sorted(d for d in (published_day(a) for a in articles) if d)
    outlets = {outlet_key(a.outlet) for a in articles if a.outlet}
    return CheckCoverage(
        articles=len(articles),
        outlets=len(outlets),
        earliest=days[0] if days else None,
        latest=days[-1] if days else None,
        unknown_outlets=unknown,
    )


def check_claim(
    index: LoadedIndex,
    embedder: Embedder,
    claim: str,
    k: int = 5,
    settings: RankingSettings = RankingSettings(),
    search_filter: SearchFilter = SearchFilter(),
    check_settings: CheckSettings = CheckSettings(),
) -> ClaimCheck:
    """Check the claim against the articles the filter admits (``qa.check``'s docstrings)."""
    times = StageTimes()
    language = language_of(claim)
    scope = scope_of(index.articles, search_filter)
    coverage = _coverage(index, scope.sources, scope.unknown_outlets)
    total = len(index.passages)
    allowed = passage_mask(index.passages, scope.sources) if search_filter.active and total else None
    if total == 0 or (allowed is not None and not allowed.any()):
        return ClaimCheck(claim, language, "not_found", summary("not_found", [], coverage.articles, language, None), [], coverage,
                          timings_ms=times.ms)
    with times.stage("lexical"):
        lexical = index.lexical.score(claim)
    with times.stage("embed"):
        vector = embedder.embed_query(claim)
    pool = min(total, max(settings.candidates, check_settings.candidates))
    with times.stage("dense"):
        dense_ids = dense_candidates(index, vector, pool, allowed)
    with times.stage("rank"):
        candidates, _, _, fused = score_candidates(index, vector, lexical, dense_ids, pool, allowed, settings)
        ranked = [int(candidates[i]) for i in np.argsort(-fused, kind="stable")[: check_settings.candidates]]
    with times.stage("read"):
        readings: dict[str, list[_Reading]] = {}
        seen: set[int] = set()
        queue = deque(ranked)
        while queue:
            passage_id = queue.popleft()
            if passage_id in seen or (allowed is not None and not allowed[passage_id]):
                continue
            seen.add(passage_id)
            source = index.passages[passage_id].citation.source
            cross = language_of(index.passages[passage_id].text) != language
            reading = _read_passage(index, passage_id, claim, vector, cross, check_settings)
            if reading is None:
                continue
            if reading.probability >= check_settings.follow_probability:  # the same fact, aligned at index time
                queue.extend(link.passage for link in index.alignment.of(passage_id))
            readings.setdefault(source, []).append(reading)
    with times.stage("compare"):
        common = common_words(index)
        checks = []
        for article_readings in readings.values():
            # An article's verdict is the strongest its closest passages support.
            best = sorted(article_readings, key=lambda r: (-r.probability, -r.score))[: check_settings.passages_per_article]
            options = [_source_check(index, claim, language, r, common.__contains__, check_settings, embedder.embed_query)
                       for r in best]
            checks.append(max(options, key=lambda c: (STRENGTH[c.verdict], c.score)))
    asserting = [c for c in checks if c.verdict != "related"]
    related = sorted((c for c in checks if c.verdict == "related" and c.score >= check_settings.related_floor),
                     key=lambda c: -c.score)[: max(0, k - len(asserting))]
    listed = sorted(asserting + related, key=lambda c: (published_day(index.articles[c.passage.citation.source]) or "9999", -c.score))
    verdicts = [c.verdict for c in listed]
    verdict = claim_verdict(verdicts)
    stating = [c for c in listed if c.verdict == "states" and published_day(index.articles[c.passage.citation.source])]
    first = stating[0] if stating else None
    first_line = None
    if first is not None:
        first_line = (first.passage.citation.outlet or first.passage.citation.title, published_day(index.articles[first.passage.citation.source]) or "")
    if verdict == "not_found" and checks:
        best = max(checks, key=lambda c: c.score)
        coverage = replace(coverage, closest=round(best.score, 6), threshold=check_settings.states_probability)
    return ClaimCheck(
        claim=claim,
        language=language,
        verdict=verdict,
        summary=summary(verdict, verdicts, coverage.articles, language, first_line),
        sources=listed,
        coverage=coverage,
        first_reported=first,
        timings_ms=times.ms,
    )


def _source_check(
    index: LoadedIndex,
    claim: str,
    language: str,
    reading: _Reading,
    is_common: Callable[[str], bool],
    settings: CheckSettings,
    embed: Callable[[str], np.ndarray],
) -> SourceCheck:
    passage = index.passages[reading.passage_id]
    article = index.articles[passage.citation.source]
    spans, vectors = index.sentences_of(reading.passage_id)
    _, start, end = (int(x) for x in spans[reading.sentence])
    # The sentence's context: it and its neighbours in the passage.
    before = int(spans[max(0, reading.sentence - 1)][1])
    after = int(spans[min(len(spans) - 1, reading.sentence + 1)][2])
    source = SourceText(
        article=article.text,
        sentence=Span(start, end),
        passage=Span(passage.citation.start, passage.citation.end),
        published=article.published,
        language=language_of(passage.text),
        near=Span(before, after),
    )
    comparison = compare(claim, language, source, is_common)
    cross = source.language != language
    near_text = article.text[source.near.start : source.near.end]
    near_terms = shared_terms(claim, near_text)
    terms = reading.terms
    signals = statement_signals(reading.similarity, terms, near_terms, cross)
    probability = settings.statement.probability(signals)
    sentence_text = article.text[start:end]
    if (
        probability < settings.match_probability
        and len(comparison.differences) <= settings.restore_at_most
        and comparison.differences
        and all(d.kind in ("number", "date", "name") for d in comparison.differences)
        and settings.restore_differences
        and not cross
        and shared_terms(restored_claim(claim, comparison.differences, " "), sentence_text) >= settings.anchor_terms
    ):
        # A changed figure, date or name lowers the sentence's match with the claim. When
        # the sentence holds the rest of the claim's terms, ask whether it makes the
        # claim's statement once those details are written its way.
        restored = restored_claim(claim, comparison.differences)
        similarity = float(np.asarray(vectors[reading.sentence], dtype=np.float32) @ np.asarray(embed(restored), dtype=np.float32))
        restored_terms = shared_terms(restored, sentence_text)
        restored_signals = statement_signals(similarity, restored_terms, shared_terms(restored, near_text), cross)
        restored_probability = settings.statement.probability(restored_signals)
        if restored_probability >= settings.match_probability:
            terms, signals, probability = restored_terms, restored_signals | {"restored": 1.0}, restored_probability
    blocked = blocking_rule(comparison, terms, cross, settings)
    verdict = source_verdict(probability, blocked, settings)
    differences: list[ClaimDifference] = []
    if verdict == "contradicts" and comparison.negation is not None:
        differences.append(comparison.negation)
    if verdict in ("differs", "contradicts"):
        differences.extend(comparison.differences)
        if comparison.claim_hedge is not None:
            differences.append(comparison.claim_hedge)
    if verdict == "hedges" and comparison.source_hedge is not None:
        hedge = comparison.source_hedge
        differences.append(ClaimDifference("hedge", Excerpt(0, len(claim), claim), hedge))
    return SourceCheck(
        verdict=verdict,
        passage=passage,
        span=(Excerpt(start, end, article.text[start:end]),),
        differences=tuple(differences),
        score=round(probability, 6),
        signals=signals,
        blocked=blocked,
    )
