"""A deterministic synthetic corpus: the seed articles' sentences recombined into new articles.

Each synthetic article has a title line and ``PARAGRAPHS_PER_ARTICLE`` paragraphs of 2 to
4 sentences drawn (with a seeded ``random.Random``) from the sentences of the seed
articles' body paragraphs. Every paragraph has at least 12 words, so it becomes one
passage; the title joins the first one. An article therefore yields about
``PARAGRAPHS_PER_ARTICLE`` passages, and ``--passages N`` writes ``ceil(N / 10)`` articles.

Caveat for reading the figures: the vocabulary is the seeds' vocabulary (a few hundred
stems), so BM25 postings are much longer than in real news of the same size. The lexical
cost per query measured on it is an upper bound, and vocabulary growth is not modelled.

Shared by the tests and the benchmarks; the command line is ``bench/synth.py``::

    .venv/bin/python bench/synth.py --passages 1000 --out bench/out/corpus-1k
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from qa.ingest.corpus import read_corpus
from qa.ingest.passages import is_heading
from qa.text.paragraphs import paragraph_lines
from qa.text.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[2]
PARAGRAPHS_PER_ARTICLE = 10
MIN_WORDS = 12


def seed_sentences(seeds_dir: Path) -> list[str]:
    """Sentences of the seeds' body paragraphs (no bullets, no headings), single-line."""
    sentences: list[str] = []
    for article in read_corpus(seeds_dir).articles:
        for line in paragraph_lines(article.text):
            text = article.text[line.start : line.end]
            if text.lstrip().startswith(("-", "•", "*")) or is_heading(text):
                continue
            for span in split_sentences(article.text, line.start, line.end):
                sentence = " ".join(article.text[span.start : span.end].split())
                if len(sentence.split()) >= 4:
                    sentences.append(sentence)
    return sentences


def synthetic_articles(sentences: list[str], count: int, seed: int = 6) -> list[tuple[str, str]]:
    """``count`` (file name, text) pairs, the same for the same sentences and seed."""
    rng = random.Random(seed)
    articles = []
    for number in range(count):
        title_words = rng.choice(sentences).rstrip(".!?…:;»\"”’)] ").split()[:8]
        lines = [" ".join(title_words) + f" {number}"]
        for _ in range(PARAGRAPHS_PER_ARTICLE):
            paragraph = rng.sample(sentences, rng.randint(2, 4))
            while len(" ".join(paragraph).split()) < MIN_WORDS:
                paragraph.append(rng.choice(sentences))
            lines.append(" ".join(paragraph))
        articles.append((f"synth_{number:06d}.txt", "\n".join(lines) + "\n"))
    return articles


def write_corpus(passages: int, out: Path, seeds_dir: Path = ROOT / "seeds", seed: int = 6) -> Path:
    """Write about ``passages`` passages' worth of articles into ``out`` (emptied first)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):
        old.unlink()
    count = max(1, math.ceil(passages / PARAGRAPHS_PER_ARTICLE))
    for name, text in synthetic_articles(seed_sentences(seeds_dir), count, seed):
        (out / name).write_text(text, encoding="utf-8")
    return out
