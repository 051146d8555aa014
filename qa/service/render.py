"""Plain-text renderings of answers, for readers of a terminal or of a text-only client.

The CLI prints them; any surface that shows only text uses the same lines, so an answer
reads the same everywhere. The JSON shapes are ``qa.service.serialise``'s.
"""

from __future__ import annotations

from qa.models import Answer, Article, Citation, Hit

LANGUAGE_NAMES = {"fr": "French", "en": "English"}  # Abstention.other_language, as the text names it


def byline(item: Article | Citation) -> str:
    """The known parts of "outlet · published · url", or an empty string."""
    return " · ".join(part for part in (item.outlet, item.published, item.url) if part)


def format_answer(answer: Answer) -> str:
    """Plain-text rendering: each passage with its citation, like ``[Title ¶3]``."""
    lines = []
    if answer.abstention is not None:
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
