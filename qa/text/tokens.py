"""Token counting without a model: the stand-in for a tokenizer.

A passage must fit the model's window, so cutting needs a token count. The real count
comes from the model's tokenizer (``qa.embedding.embedder``'s ``count_tokens``), passed to
``qa.ingest.passages.split_article`` as a ``TokenCounter``; this approximate one (words
and punctuation marks) serves the no-model embedder and the pure tests. Pure: no library.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TokenCounter = Callable[[str], int]

_TOKEN = re.compile(r"\w+|[^\w\s]")


def approximate_token_count(text: str) -> int:
    """Count words and punctuation marks: a stand-in for a tokenizer in pure tests."""
    return len(_TOKEN.findall(text))
