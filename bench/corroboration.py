"""Corroboration quality on a built index: stories, links among unrelated articles, the seeds.

Recomputes stories and the alignment from an index folder's stored vectors with the
current code (no re-embedding, so a threshold can be tried in seconds), then reports:

* the stories, and whether the two seed articles form one that no PIAF article joins;
* the share of PIAF passages (``piaf_*`` sources) with an ``also_in`` link and with a
  difference, over the whole index and (``--questions N``) over the passages N PIAF dev
  questions return, as the API would show them;
* every remaining link from a PIAF passage (to read by hand: real or not);
* the gold set's precision and recall (tests/data/alignment_gold.jsonl) and every
  difference found between the seeds.

Build the index once (several minutes with a real model), then run this as often as
needed::

    QA_SEEDS_DIR=/tmp/mix QA_INDEX_DIR=/tmp/idx QA_MODEL=bundled .venv/bin/qa index
    .venv/bin/python bench/corroboration.py --index /tmp/idx --model bundled --questions 300
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.corroboration import SentenceTable, dense_neighbour_count, with_corroboration  # noqa: E402
from qa.corroboration.build import corroborate_corpus  # noqa: E402
from qa.index.load import load_index  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "alignment_gold.jsonl"
PIAF_QUESTIONS = next(
    (p for p in (ROOT.parent / "shared" / "eval" / "piaf" / "questions-dev.jsonl", Path("/work/shared/eval/piaf/questions-dev.jsonl")) if p.is_file()),
    ROOT.parent / "shared" / "eval" / "piaf" / "questions-dev.jsonl",
)
SEEDS = ("000_49f69a7d4a642e90.txt", "001_3b9574d560628014.txt")


def stored_vectors(index) -> np.ndarray:
    """The passage vectors back from the FAISS store (exact for a flat index)."""
    raw = index.store._index  # noqa: SLF001 - a benchmark may read the store's index
    return raw.reconstruct_n(0, raw.ntotal).astype(np.float32)


def gold_precision_recall(index) -> tuple[float, float, int]:
    def passage_at(source: str, contains: str) -> int | None:
        article = index.articles.get(source)
        if article is None or contains not in article.text:
            return None
        position = article.text.index(contains)
        return next(p.id for p in index.passages if p.citation.source == source and p.citation.start <= position < p.citation.end)

    labels: dict[tuple[int, int], str] = {}
    order = ["different", "ambiguous", "same"]
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        a, b = passage_at(**record["a"]), passage_at(**record["b"])
        if a is None or b is None:
            continue
        key = (min(a, b), max(a, b))
        if key not in labels or order.index(record["label"]) > order.index(labels[key]):
            labels[key] = record["label"]
    same = {p for p, label in labels.items() if label == "same"}
    ambiguous = {p for p, label in labels.items() if label == "ambiguous"}
    seed_ids = {p.id for p in index.passages if p.citation.source in SEEDS}
    predicted = {(a, b) for a, b in index.alignment.pairs() if a in seed_ids and b in seed_ids}
    counted = predicted - ambiguous
    precision = len(predicted & same) / len(counted) if counted else 1.0
    return precision, len(predicted & same) / len(same), len(counted - same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--model", default="", help="model to embed questions with (for --questions)")
    parser.add_argument("--query-prefix", default="")
    parser.add_argument("--questions", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    index = load_index(args.index)
    vectors = stored_vectors(index)
    neighbours = index.store.neighbours(vectors, dense_neighbour_count(index.passages))
    started = time.perf_counter()
    sentence_vectors = None if index.sentence_vectors is None else np.asarray(index.sentence_vectors, dtype=np.float32)
    sentences = SentenceTable(index.sentence_spans, index.sentence_offsets, sentence_vectors)
    data = corroborate_corpus(index.passages, index.articles, vectors, sentences, neighbours)
    seconds = time.perf_counter() - started
    index = replace(index, alignment=data.alignment, stories=data.stories)
    print(f"{len(index.passages)} passages, {len(index.articles)} articles; stories and alignment in {seconds:.1f} s")

    print("\n## Stories")
    for story in index.stories.stories:
        print(f"- {story.id}: {' | '.join(story.titles)}  shared: {', '.join(story.shared[:8])}")
    seed_story = index.stories.of_source(SEEDS[0])
    seeds_together = seed_story is not None and set(seed_story.sources) == set(SEEDS)
    print(f"seeds form one story, no other article in it: {seeds_together}")

    # A PIAF article in a story with a hand-written rewrite (tests/data/rewrites/) is the
    # same-story control, not an unrelated article: reported apart.
    control = {
        source for story in index.stories.stories if any(s.startswith("castellet_") for s in story.sources)
        for source in story.sources if source.startswith("piaf_")
    }
    if control:
        print(f"same-story control (PIAF articles with their rewrites): {sorted(control)}")
    piaf = [p.id for p in index.passages if p.citation.source.startswith("piaf_") and p.citation.source not in control]
    linked = [pid for pid in piaf if index.alignment.of(pid)]
    differing = [pid for pid in piaf if any(link.differences for link in index.alignment.of(pid))]
    figures = {
        "passages": len(index.passages), "seconds": round(seconds, 2), "stories": len(index.stories.stories),
        "seeds_one_story": seeds_together, "piaf_passages": len(piaf),
        "piaf_linked": len(linked), "piaf_with_difference": len(differing),
    }
    print(f"\nPIAF passages with also_in: {len(linked)}/{len(piaf)} = {len(linked) / max(len(piaf), 1):.2%}")
    print(f"PIAF passages with a difference: {len(differing)}/{len(piaf)} = {len(differing) / max(len(piaf), 1):.2%}")
    print("\n## Links from PIAF passages")
    for pid in linked:
        here = index.passages[pid]
        for link in index.alignment.of(pid):
            there = index.passages[link.passage]
            print(f"- {here.citation.title} ¶{here.citation.paragraph} <-> {there.citation.title} ¶{there.citation.paragraph}"
                  f" (score {link.score}): {here.text[:90]!r} / {there.text[:90]!r}")
            for d in link.differences:
                print(f"    {d.kind}: {index.articles[here.citation.source].text[d.here.start:d.here.end]!r}"
                      f" | {index.articles[there.citation.source].text[d.there.start:d.there.end]!r}")

    if all(source in index.articles for source in SEEDS):
        precision, recall, false_positives = gold_precision_recall(index)
        figures.update(gold_precision=round(precision, 3), gold_recall=round(recall, 3))
        print(f"\n## Seeds: gold precision {precision:.3f}, recall {recall:.3f} ({false_positives} false positives)")
        print("Differences between the seeds:")
        for pid, links in sorted(index.alignment.links.items()):
            if index.passages[pid].citation.source != SEEDS[0]:
                continue
            for link in links:
                for d in link.differences:
                    here = index.articles[SEEDS[0]].text[d.here.start : d.here.end]
                    there = index.articles[SEEDS[1]].text[d.there.start : d.there.end]
                    print(f"- {d.kind}: {here!r} | {there!r}")

    if args.questions:
        from qa.embedding.embedder import make_embedder
        from qa.search import ask

        embedder = make_embedder(args.model, query_prefix=args.query_prefix)
        lines = PIAF_QUESTIONS.read_text(encoding="utf-8").splitlines()[: args.questions]
        returned = with_link = with_difference = 0
        for line in lines:
            answer = ask(index, embedder, json.loads(line)["question"], k=5)
            answer = with_corroboration(answer, index.alignment, index.passages, index.articles, index.stories.story_of)
            for hit in answer.hits:
                if hit.passage.citation.source.startswith("piaf_") and hit.passage.citation.source not in control:
                    returned += 1
                    with_link += bool(hit.also_in)
                    with_difference += bool(hit.differences)
        figures.update(returned=returned, returned_with_link=with_link, returned_with_difference=with_difference)
        print(f"\n## {len(lines)} PIAF questions, k=5: {returned} PIAF passages returned;"
              f" with also_in {with_link} ({with_link / max(returned, 1):.2%}),"
              f" with a difference {with_difference} ({with_difference / max(returned, 1):.2%})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
