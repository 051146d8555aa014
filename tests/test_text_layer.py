"""The pure text layer: it imports no web or ML library, and it has one paragraph numbering.

* Every module under ``qa/text/`` imports, in a fresh interpreter, without Flask, FAISS,
  torch, sentence-transformers or bm25s.
* A Hypothesis property: for any text, every citation's paragraph (a passage's, and the
  ``here_citation``/``there_citation`` of a difference) is the number of the line that
  holds its start, counted by a reference written here independently of ``qa.text``.
  The texts mix every line end Python's ``splitlines`` knows (``\\x0c``, ``\\u2028``,
  ``\\x1c``...) with BOM and zero-width spaces, where two numberings used to disagree.
"""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import qa.text
from qa.corroboration.attach import corroborate
from qa.corroboration.differences import differences_between
from qa.corroboration.record import Alignment, AlignmentSettings, Link
from qa.corroboration.scoring import LogisticDecision
from qa.corroboration.signals import SentenceTable, SignalCorpus
from qa.ingest.passages import split_article
from qa.models import Article
from qa.text.paragraphs import paragraph_at
from qa.text.sentences import split_sentences
from qa.text.tokens import approximate_token_count

HEAVY = ("flask", "faiss", "torch", "sentence_transformers", "bm25s")


def test_text_modules_import_no_web_or_ml_library():
    modules = ["qa.text"] + [f"qa.text.{m.name}" for m in pkgutil.iter_modules(qa.text.__path__)]
    assert "qa.text.paragraphs" in modules and "qa.text.mentions" in modules
    for name in ("analyzer", "language", "names", "normalise", "sentences", "specifics", "stopwords", "tokens"):
        assert f"qa.text.{name}" in modules
    code = (
        f"import importlib, sys\nfor name in {modules!r}: importlib.import_module(name)\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "", f"qa.text pulled in: {result.stdout.strip()}"


def reference_paragraph(text: str, offset: int) -> int:
    """Independent of qa.text: lines end at \\n, \\r\\n or \\r; a line of whitespace, BOM
    and zero-width spaces only is blank; the number is that of the last non-blank line
    whose first visible character is at or before ``offset`` (1 before the first)."""

    def invisible(char: str) -> bool:
        return char.isspace() or char in "\ufeff\u200b"

    number, found, position = 0, 1, 0
    for piece in re.split(r"(\r\n|\r|\n)", text):
        if piece not in ("\r\n", "\r", "\n"):
            visible = [i for i, char in enumerate(piece) if not invisible(char)]
            if visible:
                number += 1
                if position + visible[0] <= offset:
                    found = number
        position += len(piece)
    return found


WORDS = ["Le", "missile", "Tomahawk", "porte", "à", "1 600", "km", "le", "4", "juillet", "2025", "douze", "avions",
         "selon", "Peskov", "aurait", "dit", "«", "oui", "»", "Lavrov", "5", "août", "2 500", "kilomètres", "."]
SEPARATORS = ["\n", "\r\n", "\r", "\n\n", "\n\ufeff\n", "\n\u200b \n", "\x0c", "\u2028", "\x1c", "\x85", " \n  "]
line = st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join)
texts = st.lists(st.tuples(line, st.sampled_from(SEPARATORS)), min_size=1, max_size=12).map(
    lambda parts: "".join(words + separator for words, separator in parts)
)


@given(texts)
@example("Titre\n\ufeff\nDeux mots ici.")
@example("Titre\x0cDeux\u2028mots\x1cici et là.\nFin de l'article ici.")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_passage_citations_number_the_line_holding_their_start(text):
    for offset in range(0, len(text), max(1, len(text) // 25)):
        assert paragraph_at(text, offset) == reference_paragraph(text, offset)
    for passage in split_article(Article("a.txt", "a", text), approximate_token_count, 64):
        assert passage.citation.paragraph == reference_paragraph(text, passage.citation.start)


def _passages_of(source: str, text: str, first_id: int):
    return split_article(Article(source, source, text), approximate_token_count, 64, first_id=first_id)


ACCEPT_ALL = LogisticDecision((), 10.0)  # every difference the rules find


@given(texts, texts)
@example(
    "Titre\n\ufeff\nLe missile Tomahawk porte à 1 600 km selon Peskov le 4 juillet 2025 .\n",
    "Titre\x0cautre\u2028ligne\nLe missile Tomahawk porte à 2 500 kilomètres selon Lavrov le 5 août .\n",
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_difference_citations_number_the_line_holding_their_start(here, there):
    texts_by_source = {"a.txt": here, "b.txt": there}
    passages = _passages_of("a.txt", here, 0)
    passages += _passages_of("b.txt", there, len(passages))
    rows, offsets = [], [0]
    for passage in passages:
        source = texts_by_source[passage.citation.source]
        rows.extend((passage.id, s.start, s.end) for s in split_sentences(source, passage.citation.start, passage.citation.end))
        offsets.append(len(rows))
    sentences = SentenceTable(np.array(rows, dtype=np.int64).reshape(-1, 3), np.array(offsets))
    corpus = SignalCorpus(passages, texts_by_source, None, sentences)
    relaxed = AlignmentSettings(sentence_threshold=0.0, quote_threshold=0.0, difference_decision=ACCEPT_ALL)
    left = [p.id for p in passages if p.citation.source == "a.txt"]
    right = [p.id for p in passages if p.citation.source == "b.txt"]
    links = {a: [Link(b, 1.0, tuple(differences_between(corpus, a, b, relaxed))) for b in right] for a in left}
    articles = {s: Article(s, s, t) for s, t in texts_by_source.items()}
    for pid in left:
        for difference in corroborate(Alignment(links), passages, articles, pid).differences:
            assert difference.here_citation.paragraph == reference_paragraph(here, difference.here_citation.start)
            assert difference.there_citation.paragraph == reference_paragraph(there, difference.there_citation.start)


def test_pure_ranking_imports_no_index_web_or_ml_library():
    """The guide's pure layer is text, passages and ranking: ``qa.search.ranking`` (and the
    highlight's pure helpers) must not pull in the index reader through ``qa.search``."""
    code = (
        "import sys, qa.search.ranking, qa.search.followups, qa.ingest.passages\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "", f"pure ranking pulled in: {result.stdout.strip()}"
