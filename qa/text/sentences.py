"""The one sentence splitter: a text range -> sentence spans, French punctuation included.

Used everywhere a sentence is needed: cutting an over-long paragraph into passages
(``qa.ingest.passages``), the sentence table of the index that the highlight and
corroboration read (``qa.index.build.sentence_table``). NLTK's data cannot be downloaded
here, so the rules are our own: terminal punctuation, closing quotes and brackets
(French puts a space before ``»``), « guillemets » that hold several sentences, and
abbreviations or initials after which a full stop ends nothing.

Pure: no I/O, no library.
"""

from __future__ import annotations

from qa.models import Span

SENTENCE_END = ".!?…"
CLOSERS = "»\"”’)]"
_OPENERS = "«\"“(["
# Words after which a full stop does not end a sentence (compared lower-cased, without the stop).
ABBREVIATIONS = frozenset(
    """
    m mm mme mmes mlle mlles dr pr me mgr st ste sts etc cf p pp vol vols no n° nos art al
    av apr env ex fig chap éd ed coll dir trad mr mrs ms jr sr vs inc ltd co corp gen gén
    col lt cmdt sgt gouv sén dép prés vice adj approx
    jan janv fév févr avr juil sept oct nov déc
    """.split()
)


def _is_abbreviation(text: str, dot: int, lower_bound: int) -> bool:
    """Whether the full stop at ``dot`` closes an abbreviation or an initial."""
    begin = dot
    while begin > lower_bound and (text[begin - 1].isalnum() or text[begin - 1] in "°.-"):
        begin -= 1
    word = text[begin:dot].lower()
    if not word:
        return False
    last = word.rsplit(".", 1)[-1].rsplit("-", 1)[-1]
    if word in ABBREVIATIONS or last in ABBREVIATIONS:
        return True
    # An initial such as "J." in "J. Biden", or "U.S." style dotted capitals.
    original = text[begin:dot]
    return len(last) == 1 and original[-1:].isupper()


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Split ``text[start:end]`` into sentence spans, French punctuation included.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets)
    when whitespace and then a capital, a digit, an opening quote or the end follow.
    It does not end inside « guillemets », after a known abbreviation or an initial.
    Spans hold no leading or trailing whitespace, and together they cover every
    non-whitespace character of the range.
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    sentence_start: int | None = None
    quote_depth = 0
    i = start
    while i < end:
        char = text[i]
        if sentence_start is None:
            if char.isspace():
                i += 1
                continue
            sentence_start = i
        if char in "«“":
            quote_depth += 1
        elif char in "»”" and quote_depth > 0:
            quote_depth -= 1
        if char in SENTENCE_END:
            stop = i + 1
            while stop < end and text[stop] in SENTENCE_END:
                stop += 1
            while True:
                # French sets a space before a closing guillemet: "armes. »".
                probe = stop
                while probe < end and text[probe] in " \u00a0\u202f":
                    probe += 1
                closers = CLOSERS if probe == stop else "»”"
                if probe < end and text[probe] in closers:
                    if text[probe] in "»”" and quote_depth > 0:
                        quote_depth -= 1
                    stop = probe + 1
                else:
                    break
            after = stop
            while after < end and text[after].isspace():
                after += 1
            boundary = after == end or (
                after > stop
                and (text[after].isupper() or text[after].isdigit() or text[after] in _OPENERS + "-–—•")
            )
            if boundary and char == "." and stop == i + 1 and _is_abbreviation(text, i, sentence_start):
                boundary = False
            if boundary and quote_depth > 0 and after < end:
                boundary = False
            if boundary:
                spans.append(Span(sentence_start, stop))
                sentence_start = None
                quote_depth = 0
                i = after
                continue
            i = stop
            continue
        i += 1
    if sentence_start is not None:
        stop = end
        while stop > sentence_start and text[stop - 1].isspace():
            stop -= 1
        if stop > sentence_start:
            spans.append(Span(sentence_start, stop))
    return spans
