"""Checking citations: a citation is valid when the source sliced at its offsets is the text."""

from __future__ import annotations


def verify_citation(source_text: str, start: int, end: int, passage_text: str) -> bool:
    """Whether ``source_text[start:end]`` is exactly ``passage_text``, with sane offsets."""
    return 0 <= start < end <= len(source_text) and source_text[start:end] == passage_text
