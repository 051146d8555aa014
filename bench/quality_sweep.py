"""Compare answer-quality alternatives on the seed question set, with a real model (default e5).

Builds each passage variant once in a temporary folder, then evaluates ranking variants
on it (question embeddings are cached, so each extra variant costs little). Prints
Markdown tables for docs/quality.md: passages, BM25 parameters, fusion, structure
priors, and the abstention grid.

    .venv/bin/python bench/quality_sweep.py [--questions tests/data/questions.jsonl]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.embedding.embedder import make_embedder  # noqa: E402
from qa.index.build import BuildContext, build_index, sentence_table  # noqa: E402
from qa.index.lexical import LexicalIndex  # noqa: E402
from qa.index.load import LoadedIndex, load_index  # noqa: E402
from qa.index.store import VectorStore  # noqa: E402
from qa.ingest.corpus import read_corpus  # noqa: E402
from qa.ingest.passages import embedding_text, paragraph_lines  # noqa: E402
from qa.models import Citation, Passage  # noqa: E402
from qa.search import ask, query_with_context  # noqa: E402
from qa.search.evaluation import evaluate, read_questions, summarise  # noqa: E402
from qa.search.ranking import RankingSettings, should_answer  # noqa: E402


def line_passages(seeds: Path) -> tuple[list[Passage], dict]:
    """The starting point: one passage per non-blank line."""
    articles = {a.source: a for a in read_corpus(seeds).articles}
    passages = []
    for article in articles.values():
        for line in paragraph_lines(article.text):
            citation = Citation(article.source, article.title, line.number, line.start, line.end)
            passages.append(Passage(len(passages), article.text[line.start : line.end], citation))
    return passages, articles


def index_from(passages: list[Passage], articles: dict, embedder, context: bool, base: LoadedIndex) -> LoadedIndex:
    """An in-memory index over the given passages, in the shape search.ask expects."""
    texts = [embedding_text(p) if context else p.text for p in passages]
    vectors = embedder.embed_passages(texts)
    spans, offsets = sentence_table(passages, articles)
    sentence_texts = [articles[passages[pid].citation.source].text[a:b] for pid, a, b in spans]
    return dataclasses.replace(
        base,
        passages=passages,
        articles=articles,
        store=VectorStore.build(vectors),
        lexical=LexicalIndex.build([p.text for p in passages]),
        sentence_spans=spans,
        sentence_offsets=offsets,
        sentence_vectors=embedder.embed_passages(sentence_texts),
    )


def run(index: LoadedIndex, embedder, questions, settings: RankingSettings) -> dict:
    outcomes = evaluate(questions, lambda q: ask(index, embedder, q.question, 10, q.history, settings))
    reports = summarise(outcomes)
    return {"reports": reports, "outcomes": outcomes}


def row(name: str, result: dict) -> str:
    r = result["reports"]
    fr, en, all_ = r["fr"], r["en"], r["all"]
    return (
        f"| {name} | {fr.hit_at_1:.3f} | {en.hit_at_1:.3f} | {fr.mrr_at_10:.3f} | {en.mrr_at_10:.3f} "
        f"| {all_.highlight_hit:.3f} | {all_.kept_answered:.3f} | {all_.abstained_unanswerable:.3f} |"
    )


HEADER = (
    "| variant | FR hit@1 | EN hit@1 | FR MRR@10 | EN MRR@10 | highlight | answered kept | unanswerable abstained |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def abstention_grid(index: LoadedIndex, embedder, questions, base: RankingSettings) -> str:
    """Answer-support thresholds that keep >= 95% of answerable questions, best abstention first.

    The full calibration (PIAF dev, leave-article-out negatives, the seeds among PIAF) is
    ``bench/calibrate.py``; this is the seed set alone.
    """
    signals = []
    for q in questions:
        query, _ = query_with_context(q.question, q.history)
        dense, _ = index.store.search(embedder.embed_query(query), max(base.support_gap_rank, 30))
        signals.append((q.answerable, dense))
    results = []
    for min_support, weight in itertools.product(np.arange(0.70, 0.95, 0.005), (0.0, 0.5, 1.0, 1.5)):
        settings = dataclasses.replace(base, min_support=min_support, support_gap_weight=weight)
        decide = [should_answer(d, settings) for _, d in signals]
        kept = [a for (answerable, _), a in zip(signals, decide) if answerable]
        abstained = [not a for (answerable, _), a in zip(signals, decide) if not answerable]
        results.append((sum(kept) / len(kept), sum(abstained) / len(abstained), min_support, weight))
    feasible = sorted((r for r in results if r[0] >= 0.95), key=lambda r: (r[1], r[0]), reverse=True)
    lines = ["| min support | gap weight | answerable answered | unanswerable abstained |", "| --- | --- | --- | --- |"]
    lines += [f"| {r[2]:.3f} | {r[3]:.1f} | {r[0]:.3f} | {r[1]:.3f} |" for r in feasible[:15]]
    lines.append(f"\ndefault: min support {base.min_support}, gap weight {base.support_gap_weight}, rank {base.support_gap_rank}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "tests/data/questions.jsonl")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--model", default="e5", help="e5 (default), minilm, or a sentence-transformers name or folder")
    args = parser.parse_args()
    questions = read_questions(args.questions)
    embedder = make_embedder(args.model)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        build_index(BuildContext(args.seeds, Path(folder), embedder))
        structured = load_index(Path(folder))
    base = RankingSettings()
    print(f"command: .venv/bin/python bench/quality_sweep.py --questions {args.questions.relative_to(ROOT)}\n")

    print("## Passages\n\n" + HEADER)
    lines, articles = line_passages(args.seeds)
    line_index = index_from(lines, articles, embedder, context=False, base=structured)
    line_ctx = index_from(lines, articles, embedder, context=True, base=structured)
    no_ctx = index_from(structured.passages, structured.articles, embedder, context=False, base=structured)
    print(row("one passage per line, BM25 only", run(line_index, embedder, questions, dataclasses.replace(base, fusion="lexical"))))
    print(row("one passage per line, dense only", run(line_index, embedder, questions, dataclasses.replace(base, fusion="dense"))))
    print(row("one passage per line, fused", run(line_index, embedder, questions, base)))
    print(row("one passage per line + title context, fused", run(line_ctx, embedder, questions, base)))
    print(row("structured passages, no title context, fused", run(no_ctx, embedder, questions, base)))
    print(row("structured passages + title context, fused (default)", run(structured, embedder, questions, base)))

    print("\n## BM25 parameters (structured passages, default fusion)\n\n" + HEADER)
    texts = [p.text for p in structured.passages]
    for k1, b in itertools.product((0.9, 1.2, 1.5, 2.0), (0.5, 0.75, 0.9)):
        variant = dataclasses.replace(structured, lexical=LexicalIndex.build(texts, k1=k1, b=b))
        print(row(f"k1={k1}, b={b}", run(variant, embedder, questions, base)))

    print("\n## Fusion (structured passages)\n\n" + HEADER)
    print(row("BM25 only", run(structured, embedder, questions, dataclasses.replace(base, fusion="lexical"))))
    print(row("dense only", run(structured, embedder, questions, dataclasses.replace(base, fusion="dense"))))
    for rrf_k in (10, 30, 60):
        print(row(f"RRF k={rrf_k}", run(structured, embedder, questions, dataclasses.replace(base, fusion="rrf", rrf_k=rrf_k))))
    for weight in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        settings = dataclasses.replace(base, fusion="convex", lexical_weight=weight)
        print(row(f"convex, lexical weight {weight}", run(structured, embedder, questions, settings)))

    print("\n## Structure prior (lead passages)\n\n" + HEADER)
    for lead in (1.0, 0.9, 0.8, 0.7):
        print(row(f"lead weight {lead}", run(structured, embedder, questions, dataclasses.replace(base, lead_weight=lead))))

    print("\n## Highlight weights\n\n" + HEADER)
    for weight, bonus in itertools.product((0.0, 0.3, 0.5, 1.0), (0.0, 0.15, 0.3)):
        settings = dataclasses.replace(base, highlight_lexical_weight=weight, answer_type_bonus=bonus)
        print(row(f"highlight lexical weight {weight}, answer-type bonus {bonus}", run(structured, embedder, questions, settings)))

    print("\n## Abstention thresholds\n")
    print(abstention_grid(structured, embedder, questions, base))
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
