"""Pure text segmentation: an article's text -> passages with exact citations.

No I/O and no model here. The one thing that depends on the model, counting tokens,
comes in as a function (``qa.text.tokens.TokenCounter``), so that these rules are tested
without torch. Paragraphs and sentences come from the text layer
(``qa.text.paragraphs``, ``qa.text.sentences``).

How an article is cut (every offset is a code-point offset into the unmodified text):

* Each non-blank line is a paragraph, numbered from 1.
* The title is the first line that is not a lead bullet (``- ``, ``• ``, ``* ``).
* The bullets before the first other line are the *lead*: one passage of kind ``lead``.
* A *heading* is a short line (at most ``HEADING_MAX_WORDS`` words) with no final
  punctuation. A heading, or any line of fewer than ``SHORT_LINE_WORDS`` words, is never
  a passage on its own: it joins the paragraph that follows it. Trailing short lines at
  the end of an article join the passage before them.
* A passage whose text would go past the model's window (``window`` tokens, including
  the title and heading given as context and the model's two special tokens) is cut at
  sentence boundaries, and a sentence longer than the window is cut between words.
* ``text[citation.start:citation.end] == passage.text`` always.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.models import Article, Citation, Passage, Span
from qa.text.paragraphs import Line, paragraph_lines
from qa.text.sentences import CLOSERS, SENTENCE_END, split_sentences
from qa.text.tokens import TokenCounter, approximate_token_count

HEADING_MAX_WORDS = 12
SHORT_LINE_WORDS = 12
SPECIAL_TOKENS = 2  # [CLS] and [SEP] in BERT-like models

_BULLET = re.compile(r"[-•*–—]\s+\S")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# A line ending in one of these is a sentence, not a heading.
_TERMINAL = SENTENCE_END + ":;" + CLOSERS


def _is_bullet(line_text: str) -> bool:
    return bool(_BULLET.match(line_text))


def _word_count(line_text: str) -> int:
    return len(_WORD.findall(line_text))


def is_heading(line_text: str) -> bool:
    """A short line with no final punctuation, such as a sub-heading."""
    stripped = line_text.strip()
    return (
        bool(stripped)
        and not _is_bullet(stripped)
        and _word_count(stripped) <= HEADING_MAX_WORDS
        and stripped[-1] not in _TERMINAL
    )


def _is_short(line_text: str) -> bool:
    return not _is_bullet(line_text) and _word_count(line_text) < SHORT_LINE_WORDS


def find_title(text: str, fallback: str = "") -> str:
    """The article's title: its first non-blank line that is not a lead bullet."""
    for line in paragraph_lines(text):
        line_text = text[line.start : line.end]
        if not _is_bullet(line_text):
            return line_text
    return fallback


def _split_words(text: str, span: Span, count_tokens: TokenCounter, budget: int) -> list[Span]:
    """Cut a span that is too long for the budget between words, greedily."""
    words = [Span(m.start(), m.end()) for m in re.finditer(r"\S+", text[span.start : span.end])]
    words = [Span(span.start + w.start, span.start + w.end) for w in words]
    pieces: list[Span] = []
    piece_start: int | None = None
    piece_end = 0
    used = 0
    for word in words:
        cost = count_tokens(text[word.start : word.end])
        if piece_start is not None and used + cost > budget:
            pieces.append(Span(piece_start, piece_end))
            piece_start, used = None, 0
        if piece_start is None:
            piece_start = word.start
        piece_end = word.end
        used += cost
    if piece_start is not None:
        pieces.append(Span(piece_start, piece_end))
    return pieces


def _units(text: str, line: Line, count_tokens: TokenCounter, budget: int) -> list[tuple[Span, int]]:
    """The pieces a line can be cut into, each with its token count, never over budget."""
    whole = Span(line.start, line.end)
    cost = count_tokens(text[line.start : line.end])
    if cost <= budget:
        return [(whole, cost)]
    units: list[tuple[Span, int]] = []
    for sentence in split_sentences(text, line.start, line.end):
        sentence_cost = count_tokens(text[sentence.start : sentence.end])
        if sentence_cost <= budget:
            units.append((sentence, sentence_cost))
        else:
            for piece in _split_words(text, sentence, count_tokens, budget):
                units.append((piece, count_tokens(text[piece.start : piece.end])))
    return units


def _pack(text: str, units: Sequence[tuple[Span, int, int]], count_tokens: TokenCounter, budget: int) -> list[tuple[Span, int]]:
    """Greedily pack consecutive units into spans within the budget.

    Each unit is ``(span, tokens, paragraph number)``; each packed span comes with the
    paragraph number of its first unit. Token counts add up across whitespace for
    BERT-style tokenizers; every packed span is then counted exactly and shrunk if not.
    """
    packed: list[tuple[Span, int]] = []
    index = 0
    while index < len(units):
        first = units[index]
        stop = index + 1
        used = first[1]
        while stop < len(units) and used + units[stop][1] <= budget:
            used += units[stop][1]
            stop += 1
        while stop - index > 1 and count_tokens(text[first[0].start : units[stop - 1][0].end]) > budget:
            stop -= 1
        packed.append((Span(first[0].start, units[stop - 1][0].end), first[2]))
        index = stop
    return packed


@dataclass
class _Segment:
    lines: list[Line]
    kind: str
    heading: str


def _segments(text: str, lines: list[Line]) -> list[_Segment]:
    """Group lines: lead bullets, then short lines and headings with the paragraph after."""
    segments: list[_Segment] = []
    index = 0
    lead: list[Line] = []
    while index < len(lines) and _is_bullet(text[lines[index].start : lines[index].end]):
        lead.append(lines[index])
        index += 1
    if lead:
        segments.append(_Segment(lead, "lead", ""))
    pending: list[Line] = []
    heading = ""
    title_seen = False
    while index < len(lines):
        line = lines[index]
        line_text = text[line.start : line.end]
        if _is_bullet(line_text):
            block = [line]
            while index + 1 < len(lines) and _is_bullet(text[lines[index + 1].start : lines[index + 1].end]):
                index += 1
                block.append(lines[index])
            segments.append(_Segment(pending + block, "paragraph", heading))
            pending = []
        elif is_heading(line_text) or _is_short(line_text):
            if is_heading(line_text) and title_seen:
                heading = line_text
            pending.append(line)
        else:
            segments.append(_Segment(pending + [line], "paragraph", heading))
            pending = []
        title_seen = True
        index += 1
    if pending:
        if segments:
            segments[-1].lines.extend(pending)
        else:
            segments.append(_Segment(pending, "paragraph", heading))
    return segments


def context_text(title: str, heading: str, passage_text: str) -> str:
    """The context put before a passage when it is embedded: title, then heading if new."""
    parts = [title] if title and title not in passage_text else []
    if heading and heading != title and heading not in passage_text:
        parts.append(heading)
    return "\n".join(parts)


def embedding_text(passage: Passage) -> str:
    """The text the model embeds for a passage: its context lines, then the passage."""
    context = context_text(passage.citation.title, passage.heading, passage.text)
    return f"{context}\n{passage.text}" if context else passage.text


def split_article(
    article: Article,
    count_tokens: TokenCounter = approximate_token_count,
    window: int = 256,
    first_id: int = 0,
) -> list[Passage]:
    """Cut an article into passages that follow its structure and fit the model window."""
    text = article.text
    passages: list[Passage] = []
    for segment in _segments(text, paragraph_lines(text)):
        context = context_text(article.title, segment.heading, "")
        context_cost = count_tokens(context) if context else 0
        budget = max(window - SPECIAL_TOKENS - context_cost, window // 2)
        units = [
            (span, cost, line.number)
            for line in segment.lines
            for span, cost in _units(text, line, count_tokens, budget)
        ]
        packed = _pack(text, units, count_tokens, budget)
        for part, (span, paragraph) in enumerate(packed, start=1):
            passages.append(
                Passage(
                    id=first_id + len(passages),
                    text=text[span.start : span.end],
                    citation=Citation(
                        article.source, article.title, paragraph, span.start, span.end,
                        outlet=article.outlet, published=article.published, url=article.url,
                    ),
                    kind=segment.kind,
                    heading=segment.heading,
                    part=part,
                )
            )
    return passages
