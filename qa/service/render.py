"""Plain-text renderings of answers and claim checks, for readers of a terminal or of a text-only client.

The CLI prints them; any surface that shows only text uses the same lines, so an answer
or a check reads the same everywhere. The JSON shapes are ``qa.service.serialise``'s.
"""

from __future__ import annotations

from qa.models import Answer, Article, CheckCoverage, Citation, ClaimCheck, Hit, SourceCheck

LANGUAGE_NAMES = {"fr": "French", "en": "English"}  # Abstention.other_language, as the text names it


def byline(item: Article | Citation) -> str:
    """The known parts of "outlet · published · url", or an empty string."""
    return " · ".join(part for part in (item.outlet, item.published, item.url) if part)


def source_heading(article: Article) -> str:
    """An article's title, then its source name and byline: how a printed article opens."""
    return f"{article.title}\n{article.source}" + (f" · {byline(article)}" if byline(article) else "")


def format_answer(answer: Answer) -> str:
    """Plain-text rendering: each passage with its citation, like ``[Title ¶3]``."""
    lines = []
    if answer.abstention is not None and answer.abstention.reason == "no_matching_articles":
        lines.append("No article matches the filters (outlets, publication dates): nothing was searched.")
    elif answer.abstention is not None:
        not_found = answer.abstention.not_found
        why = "."
        if not_found:
            why = f": the closest one does not mention {', '.join(not_found)}."
        elif answer.abstention.reason == "date_not_found":
            why = ": the closest passage gives no date."
        elif answer.abstention.other_language:
            language = LANGUAGE_NAMES[answer.abstention.other_language]
            why = (
                f". The closest passages are in {language}, and a question in another language is matched"
                f" less closely: asked in {language}, it may find an answer."
            )
        lines.append("The articles do not answer this question" + why + (" Closest passages:" if answer.hits else ""))
    if answer.context_used:
        lines.append(f"(read as a follow-up to: {answer.context_used[-1]})")
    for hit in answer.hits:
        citation = hit.passage.citation
        lines.append(
            f"{hit.rank}. [{citation.title} ¶{citation.paragraph}] {citation.source}:{citation.start}-{citation.end}"
            f"  score {hit.score:.3f} (dense {hit.dense:.3f}, lexical {hit.lexical:.2f})"
        )
        if byline(citation):
            lines.append(f"   {byline(citation)}")
        text = hit.passage.text
        if hit.highlight is not None:
            a = hit.highlight.start - citation.start
            b = hit.highlight.end - citation.start
            text = f"{text[:a]}>>{text[a:b]}<<{text[b:]}"
        lines.extend("   " + line for line in text.splitlines())
        lines.extend(format_corroboration(hit))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def format_corroboration(hit: Hit) -> list[str]:
    """Lines saying which other articles report the passage's fact, and where they differ."""
    lines = []
    for other in hit.also_in:
        c = other.citation
        lines.append(f"   also reported by: [{c.title} ¶{c.paragraph}] {c.source}:{c.start}-{c.end}")
    for difference in hit.differences:
        here, there = difference.here_citation, difference.there_citation
        lines.append(f"   differs ({difference.kind}): here [¶{here.paragraph}] {' '.join(difference.here.split())!r}")
        lines.append(
            f"{' ' * (len(difference.kind) + 13)}there [{there.title} ¶{there.paragraph}] {' '.join(difference.there.split())!r}"
        )
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def citation_line(citation: Citation) -> str:
    """``[Title ¶3] source:start-end``, as an answer's passages are cited."""
    return f"[{citation.title} ¶{citation.paragraph}] {citation.source}:{citation.start}-{citation.end}"


def format_coverage(coverage: CheckCoverage) -> list[str]:
    """What a check searched: articles, outlets, their dates, outlets that no article has."""
    articles = f"{coverage.articles} article{'s' if coverage.articles != 1 else ''}"
    searched = f"Searched {articles}"
    if coverage.outlets:
        searched += f" from {coverage.outlets} outlet{'s' if coverage.outlets != 1 else ''}"
    if coverage.earliest or coverage.latest:
        searched += f", published {coverage.earliest or '?'} to {coverage.latest or '?'}"
    lines = [searched + "."]
    if coverage.unknown_outlets:
        lines.append(f"No article is from: {', '.join(coverage.unknown_outlets)}.")
    if coverage.closest is not None:
        threshold = "" if coverage.threshold is None else f" (a source must reach {coverage.threshold:.3f})"
        lines.append(f"Closest match: score {coverage.closest:.3f}{threshold}.")
    return lines


def format_source_check(number: int, source: SourceCheck) -> list[str]:
    """One source's verdict, its citation, the sentence(s) that match and the differences."""
    citation = source.passage.citation
    lines = [f"{number}. {source.verdict}: {citation_line(citation)}  score {source.score:.3f}"]
    if byline(citation):
        lines.append(f"   {byline(citation)}")
    matching = " … ".join(_one_line(part.text) for part in source.span) or _one_line(source.passage.text)
    lines.append(f"   > {matching}")
    for difference in source.differences:
        lines.append(
            f"   differs ({difference.kind}): claim: {_one_line(difference.claim.text)!r}"
            f" / source: {_one_line(difference.source.text)!r}"
        )
    return lines


def format_check(check: ClaimCheck) -> str:
    """Plain-text rendering of a claim check: the verdict, the summary, each source by date."""
    lines = [f"Claim: {check.claim}", f"Verdict: {check.verdict}", check.summary, *format_coverage(check.coverage), ""]
    for number, source in enumerate(check.sources, 1):
        lines.extend(format_source_check(number, source))
        lines.append("")
    if check.first_reported is not None:
        lines.append(f"First reported: {citation_line(check.first_reported.passage.citation)}")
    return "\n".join(lines).rstrip() + "\n"
