"""The one paragraph numbering: each non-blank line is a paragraph, numbered from 1.

Line ends are ``\\n``, ``\\r\\n`` or ``\\r`` only (not ``\\x0c``, ``\\u2028`` or ``\\x1c``,
which ``str.splitlines`` would also split on), and a line holding nothing but
whitespace, BOM or zero-width spaces is blank (``qa.text.normalise.is_blank_char``).
Every citation's ``paragraph`` comes from here: a passage's (``qa.ingest.passages``) and
a difference's (``qa.corroboration.attach``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from qa.text.normalise import is_blank_char

_LINE = re.compile(r"[^\r\n]+")


@dataclass(frozen=True)
class Line:
    """A non-blank line: its paragraph number and its span without edge whitespace."""

    number: int
    start: int
    end: int


def paragraph_lines(text: str) -> list[Line]:
    """Return the non-blank lines of ``text`` as spans, trimmed of surrounding whitespace.

    Line ends are ``\\n``, ``\\r\\n`` or ``\\r``; the trimmed span never includes them.
    """
    lines: list[Line] = []
    number = 0
    for match in _LINE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and is_blank_char(text[start]):
            start += 1
        while end > start and is_blank_char(text[end - 1]):
            end -= 1
        if start < end:
            number += 1
            lines.append(Line(number, start, end))
    return lines


class ParagraphIndex:
    """``paragraph_at`` for many offsets of one text: the lines are found once."""

    def __init__(self, text: str):
        self._starts = [line.start for line in paragraph_lines(text)]

    def at(self, offset: int) -> int:
        """The number of the last paragraph starting at or before ``offset`` (1 if none)."""
        return max(bisect.bisect_right(self._starts, offset), 1)


def paragraph_at(text: str, offset: int) -> int:
    """The paragraph number of the line holding ``offset`` (as ``paragraph_lines`` numbers it).

    An offset in the blank stretch after a paragraph counts as that paragraph; one before
    the first paragraph counts as paragraph 1.
    """
    return ParagraphIndex(text).at(offset)
