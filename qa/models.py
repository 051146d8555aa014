"""Typed records that cross module borders: articles, passages, citations and hits.

They are plain dataclasses with no behaviour that needs I/O. They become JSON only at
the web edge (``qa.web``) and in the index files (``qa.index.layout``), through ``to_dict``
and ``from_dict``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

# The kinds of difference corroboration reports, in the order the page lists them: the
# OpenAPI document's enum and the page's labels (through ``data-difference-kinds``) read it.
DIFFERENCE_KINDS = ("quote", "number", "date", "name", "hedge")


@dataclass(frozen=True)
class Article:
    """One article: its source name, its title, its canonical text and what is known of it.

    ``source`` is the file name in ``seeds/`` (``<file>#<id>`` for a line of a ``.jsonl``
    feed). ``text`` is the canonical text that citations index: the file itself for a
    plain ``.txt``, the text after the front matter, or the text extracted from a page or
    a feed line (``qa.ingest.formats``). ``outlet``, ``published`` (ISO 8601), ``url`` and
    ``author`` are None when unknown.
    """

    source: str
    title: str
    text: str
    outlet: str | None = None
    published: str | None = None
    url: str | None = None
    author: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        return cls(
            source=data["source"],
            title=data["title"],
            text=data["text"],
            outlet=data.get("outlet"),
            published=data.get("published"),
            url=data.get("url"),
            author=data.get("author"),
        )


@dataclass(frozen=True)
class Span:
    """A half-open range ``[start, end)`` of code points in a source text."""

    start: int
    end: int


@dataclass(frozen=True)
class Citation:
    """Where a passage comes from.

    ``start`` and ``end`` index the source file's text, decoded as UTF-8 with nothing
    normalised, so that ``text[start:end]`` is exactly the passage text.
    ``paragraph`` is the 1-based number of the passage's first paragraph, counting every
    non-blank line of the file as a paragraph. ``outlet``, ``published`` (ISO 8601) and
    ``url`` are the article's (``Article``), None when unknown.
    """

    source: str
    title: str
    paragraph: int
    start: int
    end: int
    outlet: str | None = None
    published: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Passage:
    """A retrievable unit of an article, with its citation.

    ``kind`` is ``"lead"`` for the lead bullets and ``"paragraph"`` otherwise.
    ``heading`` is the nearest sub-heading above the passage (empty when none), kept as
    context for embedding. ``part`` counts the pieces of a paragraph that had to be cut.
    """

    id: int
    text: str
    citation: Citation
    kind: str = "paragraph"
    heading: str = ""
    part: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(
            id=int(data["id"]),
            text=data["text"],
            citation=Citation(**data["citation"]),
            kind=data.get("kind", "paragraph"),
            heading=data.get("heading", ""),
            part=int(data.get("part", 1)),
        )


@dataclass(frozen=True)
class AlsoIn:
    """A passage of another article that reports the same fact (``qa.corroboration``).

    ``story`` is the id of the story both articles belong to (``GET /api/stories``).
    """

    text: str
    citation: Citation
    score: float
    story: str = ""


@dataclass(frozen=True)
class Difference:
    """A detail on which two aligned passages differ.

    ``kind`` is one of ``DIFFERENCE_KINDS``; ``here`` and
    ``there`` are exact slices of the two sources, at ``here_citation`` and
    ``there_citation``.
    """

    kind: str
    here: str
    there: str
    here_citation: Citation
    there_citation: Citation


@dataclass(frozen=True)
class StoryArticle:
    """One article of a story, as the story view lists it: who published it, and when."""

    source: str
    title: str
    outlet: str | None = None
    published: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Statement:
    """A passage of one article stating a fact, cited."""

    text: str
    citation: Citation


@dataclass(frozen=True)
class StoryFact:
    """A fact that several articles of a story state: one passage of each, in article order."""

    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class StoryView:
    """A story as a reader checks it (``qa.corroboration.view``): its articles by
    publication date, the facts they share, and where they differ, each side cited."""

    id: str
    shared: tuple[str, ...]
    articles: tuple[StoryArticle, ...]
    facts: tuple[StoryFact, ...]
    differences: tuple[Difference, ...]


@dataclass(frozen=True)
class Hit:
    """A ranked passage with the fused score and the score of each signal.

    ``highlight`` is the span, in source offsets, of the sentence that best answers.
    """

    passage: Passage
    score: float
    dense: float
    lexical: float
    rank: int
    highlight: Span | None = None
    also_in: tuple[AlsoIn, ...] = ()
    differences: tuple[Difference, ...] = ()


# Why an answer abstains (``Abstention.reason``).
ABSTENTION_REASONS = ("empty_index", "no_matching_articles", "weak_support", "names_not_found", "date_not_found")


@dataclass(frozen=True)
class Abstention:
    """Why the articles were found not to answer.

    ``weak_support``: no passage stands out as close to the question (``should_answer``);
    ``names_not_found``: the closest passage's article does not hold names or figures of
    the question, listed in ``not_found`` as the question writes them (``names_not_held``);
    ``date_not_found``: the question asks *when*, and the closest passage gives no date
    (``date_not_given``);
    ``empty_index``: there is no article to answer from;
    ``no_matching_articles``: no article passes the request's filters (``SearchFilter``).

    ``other_language``: with ``weak_support``, the closest passage's language (``"fr"`` or
    ``"en"``) when the question is in the other one, else ``None``. The model scores a
    question in another language than the passage about 0.045 lower (docs/quality.md,
    "English questions: the parallel set"), so such a refusal is less sure, and the same
    question asked in the articles' language may be answered.
    """

    reason: str
    not_found: tuple[str, ...] = ()
    other_language: str | None = None


@dataclass(frozen=True)
class Answer:
    """The result of asking a question: hits best first, and whether they answer it."""

    question: str
    hits: list[Hit] = field(default_factory=list)
    context_used: list[str] = field(default_factory=list)
    # Why the articles do not answer; None when they do.
    abstention: Abstention | None = None
    # Milliseconds per stage of answering (see qa/search/timing.py); not part of the answer itself.
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def answered(self) -> bool:
        """Whether the hits answer the question (nothing made it abstain)."""
        return self.abstention is None


def published_date(published: str | None) -> date | None:
    """The day of an ISO 8601 ``published`` (as ingestion writes it: ``YYYY-MM-DD...``), or None."""
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class SearchFilter:
    """Which articles a request searches: by outlet (matched case and accents aside) and by
    publication day, ``since`` and ``until`` inclusive (``YYYY-MM-DD``). An undated article
    is left out when either bound is given. The empty filter searches every article."""

    outlets: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.outlets) or self.since is not None or self.until is not None


# A claim check's verdict over all sources, and each source's (``qa.check``).
CLAIM_VERDICTS = ("stated", "stated_differently", "contradicted", "hedged", "not_found")
SOURCE_VERDICTS = ("states", "differs", "hedges", "contradicts", "related")
# The kinds of difference between a claim and a source.
CLAIM_DIFFERENCE_KINDS = ("number", "date", "name", "quote", "hedge", "negation")


@dataclass(frozen=True)
class Excerpt:
    """A span of a text with the words it holds: ``text == whole[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ClaimDifference:
    """Where a source says it otherwise: the claim's words (claim offsets) against the
    source's (offsets in the source article's text, like a citation's)."""

    kind: str
    claim: Excerpt
    source: Excerpt


@dataclass(frozen=True)
class SourceCheck:
    """What one article says of a claim: its verdict, its passage, the sentence(s) that
    match (source offsets), and the differences."""

    verdict: str
    passage: Passage
    span: tuple[Excerpt, ...]
    differences: tuple[ClaimDifference, ...] = ()
    score: float = 0.0  # the probability that it makes the claim's statement (``qa.check.verdict``)
    # What the verdict weighed: the statement signals, and the rule that kept a matched
    # sentence from stating the claim ("" when none did). Not part of the JSON.
    signals: dict[str, float] = field(default_factory=dict, compare=False)
    blocked: str = field(default="", compare=False)


@dataclass(frozen=True)
class CheckCoverage:
    """What was searched: articles and outlets after the filters, their date range, the
    outlets asked for that no article has, and, when no source states the claim or says
    it otherwise, the closest match's score against the threshold it had to reach."""

    articles: int
    outlets: int
    earliest: str | None = None
    latest: str | None = None
    unknown_outlets: tuple[str, ...] = ()
    closest: float | None = None
    threshold: float | None = None


@dataclass
class ClaimCheck:
    """The result of checking a claim against the articles."""

    claim: str
    language: str
    verdict: str
    summary: str
    sources: list[SourceCheck]
    coverage: CheckCoverage
    first_reported: SourceCheck | None = None
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)


def verify_citation(source_text: str, start: int, end: int, passage_text: str) -> bool:
    """Whether ``source_text[start:end]`` is exactly ``passage_text``, with sane offsets: a citation that checks."""
    return 0 <= start < end <= len(source_text) and source_text[start:end] == passage_text
