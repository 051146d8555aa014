"""Cost of corroboration at build time (stories, then alignment within stories) as the corpus grows.

The corpus is ``bench/synth.py``'s (the seeds' sentences recombined), with stories planted
in it: every ``--story-size`` consecutive articles share a story of their own (an invented
place, two invented people, a date and a figure, mentioned in two paragraphs of each),
so that grouping finds real multi-article stories and the alignment has work to do. The
seeds' own names are in every synthetic article, far past the story cap: the inverted
index must skip them, or the cost would be quadratic.

Times are CPU seconds of this process (``time.process_time``) with the hashing embedder
(passages and sentences, as a default build embeds both): the model's cost is measured
by ``bench/scale.py``. The story decision's cut-off is ``--story-threshold`` (0.5): the
planted stories are weaker evidence than real news, and the shipped 0.93 would group
none of them, leaving the alignment nothing to do. Usage::

    .venv/bin/python bench/stories_scale.py --passages 10000 100000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import ROOT, seed_sentences, synthetic_articles  # noqa: E402
from qa.corroboration import SentenceTable, dense_neighbour_count  # noqa: E402
from qa.corroboration.build import corroborate_corpus  # noqa: E402
from qa.corroboration.stories import StorySettings, stories_of, story_corpus  # noqa: E402
from qa.embedding.embedder import HashingEmbedder  # noqa: E402
from qa.index.build import sentence_table, split_corpus  # noqa: E402
from qa.index.store import VectorStore  # noqa: E402
from qa.ingest.corpus import read_corpus  # noqa: E402
from qa.ingest.passages import embedding_text  # noqa: E402

SYLLABLES = ["ka", "ro", "vi", "len", "dor", "mi", "zan", "tu", "bel", "gro", "sha", "nik", "pol", "ver", "quo", "lam"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre"]


def invented_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def write_storied_corpus(passages: int, out: Path, story_size: int = 3, seed: int = 6) -> Path:
    """Synthetic articles; every ``story_size`` consecutive ones report one planted story."""
    out.mkdir(parents=True, exist_ok=True)
    count = max(story_size, -(-passages // 10))
    articles = synthetic_articles(seed_sentences(ROOT / "seeds"), count, seed)
    rng = random.Random(seed)
    story = {}
    for number, (name, text) in enumerate(articles):
        if number % story_size == 0:
            story = {
                "place": invented_name(rng), "town": invented_name(rng),
                "person": f"{invented_name(rng)} {invented_name(rng)}", "other": f"{invented_name(rng)} {invented_name(rng)}",
                "date": f"{rng.randint(1, 28)} {rng.choice(MONTHS)}", "figure": rng.randint(11, 9999),
            }
        lines = text.splitlines()
        lines[0] += f" à {story['place']}"
        lines[2] += f" À {story['place']}, {story['person']} a confirmé le bilan le {story['date']}."
        lines[4] += f" Le maire de {story['town']}, {story['other']}, a demandé de l'aide le {story['date']}."
        lines[6] += f" Selon {story['person']}, {story['figure']} habitants de {story['place']} ont été évacués."
        lines[8] += f" {story['other']} a remercié les secours de {story['town']}."
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def measure(passages: int, story_size: int, story_threshold: float) -> dict[str, float]:
    folder = write_storied_corpus(passages, Path(tempfile.mkdtemp()) / "seeds", story_size)
    corpus = read_corpus(folder)
    embedder = HashingEmbedder(dimension=384)
    split = split_corpus(corpus, embedder)
    articles = {a.source: a for a in corpus.articles}
    vectors = embedder.embed_passages([embedding_text(p) for p in split])
    spans, offsets = sentence_table(split, articles)
    # Sentence vectors, as a default build has them (the story decision reads sentence matches).
    sentence_vectors = embedder.embed_passages([articles[split[row[0]].citation.source].text[row[1] : row[2]] for row in spans])
    sentences = SentenceTable(spans, offsets, sentence_vectors)
    store = VectorStore.build(vectors)
    neighbours = store.neighbours(vectors, dense_neighbour_count(split))

    started = time.process_time()
    defaults = StorySettings()
    settings = replace(defaults, decision=replace(defaults.decision, threshold=story_threshold))
    stories, _ = stories_of(story_corpus(
        {s: a.text for s, a in articles.items()}, {s: a.title for s, a in articles.items()}, split, vectors, settings,
        sentences=sentences,
    )[0])
    stories_seconds = time.process_time() - started
    started = time.process_time()
    data = corroborate_corpus(split, articles, vectors, sentences, neighbours, story_settings=settings)
    total_seconds = time.process_time() - started
    planted = len(articles) // story_size
    story_of = data.stories.story_of
    planted_groups: dict[int, list[str]] = {}
    for source in articles:
        planted_groups.setdefault(int(source[6:12]) // story_size, []).append(source)
    together = sum(
        1 for members in planted_groups.values()
        if len(members) == story_size and story_of.get(members[0]) and len({story_of.get(m) for m in members}) == 1
    )
    largest = max((len(story.sources) for story in data.stories.stories), default=0)
    return {
        "passages": len(split), "articles": len(articles), "planted_stories": planted,
        "stories_found": len(data.stories.stories), "planted_together": together, "largest_story": largest,
        "aligned_pairs": len(data.alignment.pairs()),
        "stories_cpu_s": round(stories_seconds, 2), "stories_and_alignment_cpu_s": round(total_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, nargs="+", default=[10000])
    parser.add_argument("--story-size", type=int, default=3)
    parser.add_argument(
        "--story-threshold", type=float, default=0.5,
        help="the story decision's probability cut-off: the planted stories are weaker evidence than real news "
        "(recombined sentences, hashing vectors), so the shipped 0.93 would group none and leave nothing to align",
    )
    args = parser.parse_args()
    print("| passages | articles | planted stories | stories found | planted ones kept together | largest story |"
          " aligned pairs | stories CPU s | stories + alignment CPU s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for passages in args.passages:
        row = measure(passages, args.story_size, args.story_threshold)
        print(f"| {row['passages']:,} | {row['articles']:,} | {row['planted_stories']:,} | {row['stories_found']:,} |"
              f" {row['planted_together']:,} | {row['largest_story']:,} | {row['aligned_pairs']:,} | {row['stories_cpu_s']} | {row['stories_and_alignment_cpu_s']} |",
              flush=True)


if __name__ == "__main__":
    main()
