"""Property tests (Hypothesis) on the pure parts: segmentation, the analyzer, validation.

For any text, every passage slices its article exactly, sentence spans are ordered and
inside their range, the lexical analyzer never fails, and request validation only ever
raises its own 400. Texts come from two strategies: any Unicode at all (lone surrogates
included, though a decoded UTF-8 file can never hold one) and article-like text built
from the things that break segmenters: CRLF, lone CR, BOM, combining marks, no-break
spaces, bullets, guillemets, abbreviations, very long words.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from qa.ingest.formats import FormatError, read_text
from qa.ingest.passages import embedding_text, find_title, split_article
from qa.models import Article, verify_citation
from qa.service.errors import APIError, BadRequest
from qa.service.requests import parse_ask, parse_json_body
from qa.settings import Limits
from qa.text.analyzer import analyze
from qa.text.normalise import fold_accents, is_blank, normalize
from qa.text.paragraphs import paragraph_lines
from qa.text.sentences import split_sentences
from qa.text.tokens import approximate_token_count

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

any_unicode = st.text(st.characters(exclude_categories=()), max_size=400)  # surrogates included

PIECES = [
    "Le", "président", "Zelensky", "a", "demandé", "des", "missiles", "Tomahawk", "d'une", "portée", "de",
    "2 500", "km", ".", ",", "!", "?", "…", "« ", " »", "M.", "Dr.", "J.", "U.S.", "etc.", "(", ")", '"',
    "\u00a0", "\u202f", "\ufeff", "\u200b", "e\u0301", "\u0301", "\u0338", "🚀", "🇺🇦", "ما", "x" * 300,
    " ", " ", " ", "\t", "\n", "\n", "\r\n", "\r", "\n\n", "\r\r\n", "\u2028", "\x00", "- ", "• ", "* ", "— ",
]
article_like = st.lists(st.sampled_from(PIECES), max_size=250).map("".join)
texts = st.one_of(any_unicode, article_like)


def small_counter(text: str) -> int:
    return approximate_token_count(text)


@FUZZ
@given(text=texts, window=st.sampled_from([16, 32, 256]), first_id=st.integers(0, 5))
@example(text="\ufeffTitre\r\n- point un\r- point deux\r\n\r\nUn paragraphe assez long pour être un passage à lui seul ici.", window=256, first_id=0)
@example(text="Titre\n" + "mot " * 2000, window=16, first_id=0)
@example(text="a" * 5000, window=16, first_id=0)
def test_every_passage_slices_its_article_exactly(text, window, first_id):
    article = Article("x.txt", find_title(text, fallback="x"), text)
    passages = split_article(article, small_counter, window, first_id=first_id)
    paragraphs = len(paragraph_lines(text))
    previous_end = 0
    for position, passage in enumerate(passages):
        citation = passage.citation
        assert passage.id == first_id + position
        assert verify_citation(text, citation.start, citation.end, passage.text)
        assert passage.text and not passage.text.isspace()
        assert 1 <= citation.paragraph <= paragraphs
        assert citation.start >= previous_end, "passages overlap or go backwards"
        previous_end = citation.end
        assert passage.kind in {"lead", "paragraph"}
        embedding_text(passage)  # never fails
    if not text.strip():
        assert passages == []


@FUZZ
@given(text=texts, data=st.data())
@example(text="M. Dupont est venu. Il a dit « Oui. Non. » Puis il est parti… 3 fois!", data=None)
def test_sentence_spans_are_ordered_disjoint_trimmed_and_cover_the_range(text, data):
    if data is None:
        start, end = 0, len(text)
    else:
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
    spans = split_sentences(text, start, end)
    previous_end = start
    for span in spans:
        assert previous_end <= span.start < span.end <= end
        assert not text[span.start].isspace() and not text[span.end - 1].isspace()
        previous_end = span.end
    covered = set()
    for span in spans:
        covered.update(range(span.start, span.end))
    missing = [i for i in range(start, end) if not text[i].isspace() and i not in covered]
    assert not missing, f"non-space characters outside every sentence: {missing[:5]}"


@FUZZ
@given(text=texts)
def test_paragraph_lines_and_title_are_slices_of_the_text(text):
    lines = paragraph_lines(text)
    assert [line.number for line in lines] == list(range(1, len(lines) + 1))
    for line in lines:
        assert 0 <= line.start < line.end <= len(text)
        assert "\n" not in text[line.start : line.end] and "\r" not in text[line.start : line.end]
    title = find_title(text, fallback="\x00fallback")
    assert title == "\x00fallback" or title in text


@FUZZ
@given(text=texts)
def test_the_lexical_analyzer_never_fails(text):
    terms = analyze(text)
    assert isinstance(terms, list) and all(isinstance(term, str) and term for term in terms)
    assert isinstance(normalize(text), str)
    assert isinstance(fold_accents(text), str)


@FUZZ
@given(data=st.binary(max_size=300))
@example(data="\ufeffTitre\r\nTexte.".encode("utf-8"))
@example(data=b"\xed\xa0\x80")  # an encoded surrogate: not UTF-8
def test_decoding_an_article_is_exact_or_refused(data):
    """The reader of ``.txt`` files (no front matter here: a blank text is refused too)."""
    try:
        expected = data.decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(FormatError, match="UnicodeDecodeError"):
            read_text("x.txt", data)
        return
    assume(not is_blank(expected) and not expected.lstrip("\ufeff").startswith("---"))
    article = read_text("x.txt", data).entries[0].article
    assert article.text == expected  # nothing normalised, BOM and line ends kept


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | any_unicode,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(any_unicode, children, max_size=6),
    max_leaves=20,
)
ask_like = st.fixed_dictionaries(
    {},
    optional={
        "question": json_values | any_unicode,
        "k": json_values | st.integers(-5, 30),
        "history": json_values | st.lists(any_unicode, max_size=7),
    },
)
LIMITS = Limits()


@FUZZ
@given(body=st.one_of(json_values, ask_like))
@example(body={"question": "\ud800"})
@example(body={"question": "ok", "k": True})
@example(body={"question": "ok", "history": None})  # refused: the description says array
def test_parse_ask_raises_only_bad_request(body):
    try:
        query = parse_ask(body, LIMITS)
    except BadRequest as error:
        assert error.status == 400 and error.code and error.message
        return
    assert query.question.strip() and len(query.question) <= LIMITS.max_question_chars
    assert 1 <= query.k <= LIMITS.max_k and not isinstance(query.k, bool)
    assert len(query.history) <= LIMITS.max_history
    for text in (query.question, *query.history):
        assert isinstance(text, str) and not any("\ud800" <= c <= "\udfff" for c in text)


@FUZZ
@given(
    data=st.one_of(st.binary(max_size=300), ask_like.map(lambda d: json.dumps(d).encode("utf-8", "surrogatepass"))),
    content_type=st.sampled_from([None, "", "application/json", "application/json; charset=utf-8", "text/plain", "a/b+json"]),
)
def test_parse_json_body_raises_only_api_errors(data, content_type):
    try:
        body = parse_json_body(data, content_type)
    except APIError as error:
        assert error.status in (400, 415)
        return
    try:
        parse_ask(body, LIMITS)
    except BadRequest:
        pass
