"""Calibrate and evaluate corroboration on the real multi-outlet news set, leave-one-story-out.

For each built index given (the news set alone, the news set among PIAF and the seeds,
...), the script recomputes from its stored vectors, with the current code:

* **stories**: every candidate pair of articles and its signals
  (``qa.corroboration.stories.StoryCorpus``). Each gold story is held out in turn: a
  logistic decision is fitted on the pairs that touch none of its articles (pairs of
  distractors and unrelated articles are spread over the folds), and predicts the pairs
  that touch it. The out-of-fold probabilities are grouped as the service groups them,
  and scored pairwise against the gold groups. The same for the text-only decision
  (no document vectors).
* **links and differences** (``--links``): the alignment within the gold stories, with
  the link decision fitted leave-one-story-out on the passage pairs holding two quotes
  of one gold fact (positives) against the story's other candidate pairs.

It prints the figures, and the decisions fitted on all the data, as the Python to put in
``qa/corroboration/stories.py`` and ``qa/corroboration/record.py``.

    QA_SEEDS_DIR=tests/data/news/corpus QA_INDEX_DIR=/tmp/news .venv/bin/qa index
    .venv/bin/python bench/calibrate_corroboration.py --index /tmp/news [--index /tmp/news-piaf] [--links]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import header  # noqa: E402
from qa.corroboration import SentenceTable, dense_neighbour_count  # noqa: E402
from qa.corroboration.align import _align_group, align_corpus, candidate_signals, story_group  # noqa: E402
from qa.corroboration.build import corroborate_corpus  # noqa: E402
from qa.corroboration.differences import difference_candidates  # noqa: E402
from qa.corroboration.evaluation import AlignmentFigures, NewsGold, PassageLocator, alignment_figures, grouping_figures, read_gold  # noqa: E402
from qa.corroboration.record import AlignmentSettings  # noqa: E402
from qa.corroboration.scoring import LogisticDecision, fit_logistic  # noqa: E402
from qa.corroboration.grouping import story_groups  # noqa: E402
from qa.corroboration.stories import StoryCorpus, StorySettings, story_corpus  # noqa: E402
from qa.index.load import load_index  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "news" / "gold.json"
SEED_GOLD = ROOT / "tests" / "data" / "alignment_gold.jsonl"
SEED_SOURCES = ("000_49f69a7d4a642e90.txt", "001_3b9574d560628014.txt")
SEED_WEIGHT = 3
PIAF_QUESTIONS = ROOT.parent / "shared" / "eval" / "piaf" / "questions-dev.jsonl"
TEXT_SIGNALS = ("distinct", "overlap", "shared_weight", "shared_numbers", "shared_phrases", "phrase_share", "title",
                "time_conflict", "lede_time_conflict", "title_time_conflict", "time_shared", "same_days", "days_apart",
                "cross_language")
STORY_SIGNALS = TEXT_SIGNALS + ("document_z", "sentence_top", "sentence_top3", "fact_matches", "fact_share",
                                "document_rank")
DIFFERENCE_SIGNALS = ("sentence", "quote_pairing", "kind_number", "kind_date", "kind_name", "kind_spelling", "kind_hedge",
                      "kind_quote")
NUMBER_SIGNALS = ("sentence", "sentence_lexical", "number_counted", "number_ratio")
LINK_SIGNALS = ("similarity", "lexical", "numbers", "names", "shared_specifics", "distinctive", "quote", "dense_z", "sentence_z")


@dataclass
class Corpus:
    """One built index, with what calibration reads of it."""

    name: str
    index: object
    vectors: np.ndarray
    texts: dict[str, str]
    stories: StoryCorpus
    sentences: SentenceTable


def stored_vectors(index) -> np.ndarray:
    raw = index.store._index  # noqa: SLF001 - a benchmark may read the store's index
    return raw.reconstruct_n(0, raw.ntotal).astype(np.float32)


def open_corpus(path: Path, settings: StorySettings) -> Corpus:
    index = load_index(path)
    vectors = stored_vectors(index)
    texts = {s: a.text for s, a in index.articles.items()}
    titles = {s: a.title for s, a in index.articles.items()}
    published = {s: a.published for s, a in index.articles.items()}
    sentence_vectors = None if index.sentence_vectors is None else np.asarray(index.sentence_vectors, dtype=np.float32)
    sentences = SentenceTable(index.sentence_spans, index.sentence_offsets, sentence_vectors)
    stories, _ = story_corpus(texts, titles, index.passages, vectors, settings, published=published, sentences=sentences)
    return Corpus(path.name, index, vectors, texts, stories, sentences)


def _fold(a: str, b: str, gold_story: Mapping[str, str], folds: Sequence[str]) -> tuple[str, ...]:
    """The folds a pair belongs to: the gold stories it touches, else one chosen by its hash."""
    touched = tuple(sorted({gold_story[s] for s in (a, b) if s in gold_story}))
    if touched:
        return touched
    digest = int(hashlib.sha1(f"{a}\n{b}".encode()).hexdigest()[:8], 16)
    return (folds[digest % len(folds)],)


def story_rows(corpora: Sequence[Corpus], gold: NewsGold, text_only: bool):
    """(corpus, a, b, signals, label, folds) for every candidate pair of every corpus."""
    gold_story, event = gold.story_of(), gold.event_of()
    folds = [s.id for s in gold.stories]
    rows = []
    for corpus in corpora:
        if text_only:
            corpus.stories.mean = corpus.stories.std = corpus.stories.sentence_mean = None
        for a, b in corpus.stories.candidates():
            signals = corpus.stories.evidence(a, b).signals
            label = int(a in event and event[a] == event.get(b))
            rows.append((corpus.name, a, b, signals, label, _fold(a, b, gold_story, folds)))
    return rows


BALANCED = False  # fitted on the natural mix of pairs: probabilities, not odds reweighted


def piaf_dev_sources() -> set[str]:
    """The PIAF articles that PIAF dev's questions are asked on: the half we may learn from."""
    if not PIAF_QUESTIONS.is_file():
        return set()
    return {gold["source"] for line in PIAF_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()
            for gold in json.loads(line)["gold"]}


PIAF_DEV = piaf_dev_sources()


def learnable(row) -> bool:
    """A pair the decisions may learn from: no PIAF article of the held-out half in it
    (the seeds and the news set are ours; PIAF's test-half articles stay unseen)."""
    return not any(s.startswith("piaf_") and s not in PIAF_DEV for s in row[1:3])


def leave_one_story_out(rows, gold: NewsGold, names: Sequence[str], l2: float) -> dict[tuple[str, str, str], float]:
    """Out-of-fold probability of every pair, fitted on the ``learnable`` rows."""
    probability: dict[tuple[str, str, str], float] = {}
    usable = [r for r in rows if learnable(r)]
    for story in gold.stories:
        train = [r for r in usable if story.id not in r[5]]
        test = [r for r in rows if story.id in r[5]]
        decision = fit_logistic([r[3] for r in train], [r[4] for r in train], names, l2=l2, balanced=BALANCED)
        for r in test:
            key = (r[0], r[1], r[2])
            probability[key] = min(probability.get(key, 1.0), decision.probability(r[3]))
    return probability


def _groups(sources: Sequence[str], probability, name: str, threshold: float, merge: float | None) -> list[list[str]]:
    """The stories ``story_groups`` makes of one corpus's out-of-fold pair probabilities."""
    pairs = {(a, b): p for (n, a, b), p in probability.items() if n == name}
    return story_groups(sources, pairs, threshold, merge)


def grouping_report(corpora: Sequence[Corpus], probability, gold: NewsGold, threshold: float,
                    merge: float | None) -> dict[str, dict[str, float]]:
    report = {}
    for corpus in corpora:
        groups = _groups(corpus.stories.sources, probability, corpus.name, threshold, merge)
        figures = grouping_figures(groups, gold)
        gold_sources = {gold.source(a) for a in gold.articles}
        others = [m for members in groups for m in members if m not in gold_sources]
        report[corpus.name] = {"other_articles_in_stories": len(others),
                               "piaf_test_half_in_stories": sum(1 for m in others if m.startswith("piaf_") and m not in PIAF_DEV),"precision": round(figures.precision, 3), "recall": round(figures.recall, 3),
                               "true": figures.true_pairs, "predicted": figures.predicted_pairs, "gold": figures.gold_pairs,
                               "stories": len(groups)}
    return report


def small_corpora(corpus: Corpus, gold: NewsGold) -> list[tuple[str, StoryCorpus]]:
    """Per gold story, a corpus under ``min_articles_for_baseline`` articles, where the text
    decision serves: the story, its near-topic distractors, three articles of other stories
    and three unrelated ones (PIAF's, where the corpus has them), chosen by hash."""
    def by_hash(items: Sequence[str], salt: str, count: int) -> list[str]:
        return sorted(items, key=lambda x: hashlib.sha1(f"{salt}{x}".encode()).hexdigest())[:count]

    gold_sources = {gold.source(a) for a in gold.articles}
    unrelated = sorted(set(corpus.texts) - gold_sources)
    found = []
    for story in gold.stories:
        members = [gold.source(a) for a in story.articles]
        members += [gold.source(a) for a, near in gold.near_topic.items() if near == story.id]
        others = [gold.source(a) for other in gold.stories if other.id != story.id for a in other.articles]
        members += by_hash(others, story.id, 3) + by_hash(unrelated or [gold.source(a) for a in gold.distractors], story.id, 3)
        members = sorted(set(members))
        articles = {m: corpus.texts[m] for m in members}
        titles = {m: corpus.stories.titles[m] for m in members}
        published = {m: corpus.index.articles[m].published for m in members}
        found.append((story.id, story_corpus(articles, titles, [], None, corpus.stories.settings, published=published)[0]))
    return found


def small_rows(corpus: Corpus, gold: NewsGold):
    event = gold.event_of()
    rows = []
    for story_id, small in small_corpora(corpus, gold):
        for a, b in small.candidates():
            label = int(a in event and event[a] == event.get(b))
            rows.append((f"small:{story_id}", a, b, small.evidence(a, b).signals, label, (story_id,)))
    return rows


def small_report(rows, probability, gold: NewsGold, threshold: float, merge: float | None) -> dict[str, float]:
    """Pairwise figures over the small corpora, each grouped on its own."""
    event = gold.event_of()
    true = predicted = wanted = 0
    for name in sorted({r[0] for r in rows}):
        members = sorted({x for r in rows if r[0] == name for x in r[1:3]})
        pairs = {pair for group in _groups(members, probability, name, threshold, merge) for pair in combinations(group, 2)}
        predicted += len(pairs)
        true += sum(1 for a, b in pairs if a in event and event[a] == event.get(b))
    for story in gold.stories:  # each small corpus holds its story whole, and its near-topic distractors
        wanted += len(story.articles) * (len(story.articles) - 1) // 2
        near = [a for a, s in gold.near_topic.items() if s == story.id and a in gold.distractor_events]
        wanted += sum(1 for a, b in combinations(near, 2) if gold.distractor_events[a] == gold.distractor_events[b])
    return {"precision": round(true / max(predicted, 1), 3), "recall": round(true / max(wanted, 1), 3)}


def calibrate_stories(corpora: Sequence[Corpus], gold: NewsGold, l2: float, thresholds: Sequence[float],
                      merges: Sequence[float | None], text_merges: Sequence[float | None]):
    """Fit both story decisions leave-one-story-out and report; return them fitted on all,
    and the out-of-fold probabilities of the decision with document vectors.

    The decisions learn from every pair but those with a PIAF article of the held-out half
    (``learnable``): PIAF dev's articles are unrelated articles we may learn from, the
    others only evaluate. The text decision (no vectors, or a corpus too small for their
    baseline) is fitted on the corpora read as text only and on small corpora drawn from
    the largest (``small_corpora``).
    """
    fitted = {}
    rows = story_rows(corpora, gold, False)
    print(f"\n## Stories, decision: {len(rows)} candidate pairs, {sum(r[4] for r in rows)} of them gold pairs")
    probability = leave_one_story_out(rows, gold, STORY_SIGNALS, l2)
    for threshold in thresholds:
        for merge in merges:
            report = grouping_report(corpora, probability, gold, threshold, merge)
            print(f"threshold {threshold}, merge {merge}: {json.dumps(report)}")
    own = [r for r in rows if learnable(r)]
    fitted["decision"] = fit_logistic([r[3] for r in own], [r[4] for r in own], STORY_SIGNALS, l2=l2, balanced=BALANCED)
    print(f"fitted on all: {fitted['decision']!r}")

    small = small_rows(max(corpora, key=lambda c: len(c.texts)), gold)
    text_rows = story_rows(corpora, gold, True) + small
    print(f"\n## Stories, text_decision: {len(text_rows)} candidate pairs ({len(small)} in {len(gold.stories)} small corpora)")
    text_probability = leave_one_story_out(text_rows, gold, TEXT_SIGNALS, l2)
    for threshold in thresholds:
        for merge in text_merges:
            report = grouping_report(corpora, text_probability, gold, threshold, merge)
            report["small corpora"] = small_report(small, text_probability, gold, threshold, merge)
            print(f"threshold {threshold}, merge {merge}: {json.dumps(report)}")
    own = [r for r in text_rows if learnable(r)]
    fitted["text_decision"] = fit_logistic([r[3] for r in own], [r[4] for r in own], TEXT_SIGNALS, l2=l2, balanced=BALANCED)
    print(f"fitted on all: {fitted['text_decision']!r}")
    for corpus in corpora:  # restore the baselines text_only cleared
        corpus.stories = story_corpus(corpus.texts, corpus.stories.titles, corpus.index.passages, corpus.vectors,
                                      corpus.stories.settings, published={s: a.published for s, a in corpus.index.articles.items()},
                                      sentences=corpus.sentences)[0]
    return fitted, probability


# --------------------------------------------------------------------------- links and differences


def gold_story_groups(corpus: Corpus, gold: NewsGold, settings: AlignmentSettings):
    """Each gold story aligned as one story: (story, its passage ids, their signals and fact
    gate, the passages renumbered, a locator of quotes)."""
    passages = corpus.index.passages
    locate = PassageLocator(passages, corpus.texts)
    for story in gold.stories:
        sources = {gold.source(a) for a in story.articles}
        ids = [p.id for p in passages if p.citation.source in sources]
        group, gate, local = story_group(ids, passages, corpus.texts, corpus.vectors, corpus.sentences, settings,
                                         {s: story.id for s in sources})
        yield story, ids, group, gate, local, locate


def link_rows(corpus: Corpus, gold: NewsGold, settings: AlignmentSettings) -> dict[str, list[tuple[dict[str, float], int]]]:
    """Per gold story, the candidate passage pairs of the story (aligned as one story) and
    their label: 1 when the two passages hold quotes of one gold fact, or the two sides of
    one gold difference."""
    passages = corpus.index.passages
    rows: dict[str, list[tuple[dict[str, float], int]]] = {}
    for story, ids, group, gate, _, locate in gold_story_groups(corpus, gold, settings):
        positives = set()
        for fact in story.facts:
            located = [locate.passage(gold.source(q.article), q.text) for q in fact.quotes]
            for a, b in combinations([x for x in located if x is not None], 2):
                if passages[a].citation.source != passages[b].citation.source:
                    positives.add((min(a, b), max(a, b)))
        for difference in story.differences:  # one fact, stated differently
            a = locate.passage(gold.source(difference.a.article), difference.a.text)
            b = locate.passage(gold.source(difference.b.article), difference.b.text)
            if a is not None and b is not None and a != b:
                positives.add((min(a, b), max(a, b)))
        rows[story.id] = [
            (signals, int((min(ids[a], ids[b]), max(ids[a], ids[b])) in positives))
            for (a, b), signals in candidate_signals(group, gate, settings).items()
        ]
    return rows


def predicted_groups(corpus: Corpus, probability, threshold: float) -> list[list[str]]:
    return _groups(corpus.stories.sources, probability, corpus.name, threshold, StorySettings().merge_threshold)


def fit_by_story(rows: Mapping[str, list[tuple[dict[str, float], int]]], gold: NewsGold, names: Sequence[str],
                 l2: float) -> tuple[dict[str, LogisticDecision], LogisticDecision]:
    """A decision per held-out gold story (fitted on the rows of every other key), and one
    fitted on all the rows (class-balanced: within a story, recall is what is asked)."""
    folds = {}
    for story in gold.stories:
        train = [item for other, items in rows.items() if other != story.id for item in items]
        folds[story.id] = fit_logistic([r for r, _ in train], [y for _, y in train], names, l2=l2)
    everything = [item for items in rows.values() for item in items]
    return folds, fit_logistic([r for r, _ in everything], [y for _, y in everything], names, l2=l2)


def seed_link_rows(corpus: Corpus, settings: AlignmentSettings) -> list[tuple[dict[str, float], int]]:
    """The two seed articles aligned as one story, their candidate pairs labelled by the
    seeds' gold (tests/data/alignment_gold.jsonl): "same" 1, "different" or unlabelled 0,
    "ambiguous" left out."""
    passages = corpus.index.passages
    locate = PassageLocator(passages, corpus.texts)
    labels: dict[tuple[int, int], str] = {}
    order = ["different", "ambiguous", "same"]
    for line in SEED_GOLD.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        a = locate.passage(record["a"]["source"], record["a"]["contains"])
        b = locate.passage(record["b"]["source"], record["b"]["contains"])
        if a is None or b is None:
            continue
        key = (min(a, b), max(a, b))
        if key not in labels or order.index(record["label"]) > order.index(labels[key]):
            labels[key] = record["label"]
    ids = [p.id for p in passages if p.citation.source in SEED_SOURCES]
    group, gate, _ = story_group(ids, passages, corpus.texts, corpus.vectors, corpus.sentences, settings,
                                 {s: "seeds" for s in SEED_SOURCES})
    rows = []
    for (a, b), signals in candidate_signals(group, gate, settings).items():
        label = labels.get((min(ids[a], ids[b]), max(ids[a], ids[b])))
        if label != "ambiguous":
            rows.append((signals, int(label == "same")))
    return rows


def calibrate_links(corpora: Sequence[Corpus], gold: NewsGold, story_probability, story_threshold: float,
                    l2: float, thresholds: Sequence[float], seeds: Corpus | None = None) -> LogisticDecision:
    """Fit the link decision leave-one-story-out; report facts, differences and also_in
    precision with the out-of-fold stories (end to end) and with the gold stories.

    With ``seeds`` (an index of the two seed articles), their reviewed pairs are learnt
    from in every fold too (they are no news story of the set)."""
    settings = AlignmentSettings()
    rows = {}
    for corpus in corpora:
        for story_id, items in link_rows(corpus, gold, settings).items():
            rows.setdefault(story_id, []).extend(items)
    if seeds is not None:
        # Reviewed pairs, negatives included, against the news set's unreviewed negatives
        # (a story's pairs that hold no recorded fact may still share one): each counts thrice.
        rows["seeds"] = seed_link_rows(seeds, settings) * SEED_WEIGHT
    total = sum(len(v) for v in rows.values())
    positives = sum(label for v in rows.values() for _, label in v)
    print(f"\n## Links: {total} candidate passage pairs within gold stories, {positives} hold one gold fact")
    folds, fitted = fit_by_story(rows, gold, LINK_SIGNALS, l2)
    for threshold in thresholds:
        for corpus in corpora:
            groups = predicted_groups(corpus, story_probability, story_threshold)
            for mode in ("end to end", "gold stories"):
                total_figures = AlignmentFigures()
                for story in gold.stories:
                    sources = {gold.source(a) for a in story.articles}
                    if mode == "gold stories":
                        story_of = {s: story.id for s in sources}
                    else:
                        story_of = {m: f"g{i}" for i, members in enumerate(groups) if sources & set(members) for m in members}
                    decision = replace(folds[story.id], threshold=threshold)
                    alignment = align_corpus(corpus.index.passages, corpus.texts, corpus.vectors, corpus.sentences,
                                             settings=replace(settings, decision=decision), story_of=story_of)
                    figures = alignment_figures(gold, corpus.index.passages, corpus.texts, alignment, [story])
                    _add(total_figures, figures)
                print(f"threshold {threshold}, {corpus.name}, {mode}: " + _link_line(total_figures))
    print(f"fitted on all: {fitted!r}")
    return fitted


def _add(total: AlignmentFigures, part: AlignmentFigures) -> None:
    for name in ("facts", "facts_linked", "quote_pairs", "quote_pairs_linked", "differences", "differences_found",
                 "differences_right_kind", "links", "links_in_story", "reported", "reported_recorded"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    for kind, (count, right) in part.by_kind.items():
        entry = total.by_kind.setdefault(kind, [0, 0])
        entry[0] += count
        entry[1] += right
    total.missed.extend(part.missed)


def _link_line(f: AlignmentFigures) -> str:
    return (f"facts linked {f.facts_linked}/{f.facts} ({f.facts_linked / max(f.facts, 1):.3f}), quote pairs "
            f"{f.quote_pairs_linked}/{f.quote_pairs}, differences found {f.differences_found}/{f.differences}, right kind "
            f"{f.differences_right_kind} ({f.differences_right_kind / max(f.differences, 1):.3f}), also_in precision "
            f"{f.also_in_precision:.3f} ({f.links} links); differences reported {f.reported}, recorded {f.reported_recorded}"
            f" ({f.reported_recorded / max(f.reported, 1):.3f}); by kind {json.dumps(f.by_kind)}")


def difference_rows(corpus: Corpus, gold: NewsGold, settings: AlignmentSettings) -> dict[str, list[tuple[dict[str, float], int]]]:
    """Per gold story, every difference candidate of its aligned passage pairs (aligned as
    one story), labelled 1 when it is a recorded difference of the same kind."""
    rows: dict[str, list[tuple[dict[str, float], int]]] = {}
    for story, _, group, gate, local, locate in gold_story_groups(corpus, gold, settings):
        recorded = []
        for d in story.differences:
            sa, sb = gold.source(d.a.article), gold.source(d.b.article)
            ra, rb = locate.span(sa, d.a.text), locate.span(sb, d.b.text)
            if ra and rb:
                recorded += [(d.kind, sa, ra, sb, rb), (d.kind, sb, rb, sa, ra)]
        pairs = {tuple(sorted((pid, link.passage))) for pid, links in _align_group(group, settings, None, gate).items() for link in links}
        items = []
        for a, b in sorted(pairs):
            here, there = local[a].citation.source, local[b].citation.source
            for d, signals in difference_candidates(group, a, b, settings):
                label = any(
                    kind == ("name" if d.kind == "spelling" else d.kind) and sa == here and sb == there
                    and ra[0] < d.here.end and d.here.start < ra[1] and rb[0] < d.there.end and d.there.start < rb[1]
                    for kind, sa, ra, sb, rb in recorded
                )
                items.append((signals, int(label)))
        rows[story.id] = items
    return rows


def calibrate_differences(corpora: Sequence[Corpus], gold: NewsGold, link: LogisticDecision, l2: float,
                          thresholds: Sequence[float]) -> LogisticDecision:
    """Fit the number decision (which differing figures are kept) leave-one-story-out over
    the figure candidates of the gold stories' aligned pairs; report what is found, with
    the other kinds kept by the rules' thresholds, and how much of what is reported is
    recorded. (A decision over every kind was measured and not kept:
    docs/decisions/fitted-difference-decision.md.)"""
    settings = AlignmentSettings(decision=link)
    rows = {}
    for corpus in corpora:
        for story_id, items in difference_rows(corpus, gold, settings).items():
            rows.setdefault(story_id, []).extend(item for item in items if item[0].get("kind_number"))
    total = sum(len(v) for v in rows.values())
    print(f"\n## Differing figures: {total} candidates in the gold stories' aligned pairs, "
          f"{sum(y for v in rows.values() for _, y in v)} of them recorded")
    folds, fitted = fit_by_story(rows, gold, NUMBER_SIGNALS, l2)
    for threshold in [None, *thresholds]:  # None: the number decision as shipped
        for corpus in corpora:
            total_figures = AlignmentFigures()
            for story in gold.stories:
                sources = {gold.source(a) for a in story.articles}
                chosen = settings if threshold is None else replace(
                    settings, number_decision=replace(folds[story.id], threshold=threshold))
                alignment = align_corpus(corpus.index.passages, corpus.texts, corpus.vectors, corpus.sentences,
                                         settings=chosen, story_of={s: story.id for s in sources})
                _add(total_figures, alignment_figures(gold, corpus.index.passages, corpus.texts, alignment, [story]))
            print(f"{'as shipped' if threshold is None else f'threshold {threshold}'}, {corpus.name}, gold stories: "
                  + _link_line(total_figures))
    print(f"fitted on all: {replace(fitted, threshold=thresholds[0])!r}")
    return fitted


# --------------------------------------------------------------------------- the current decisions


def report(corpora: Sequence[Corpus], gold: NewsGold) -> dict[str, dict[str, object]]:
    """What the service finds with the decisions as shipped (no fold held out): stories and
    alignment recomputed from the stored vectors as a build computes them."""
    figures = {}
    for corpus in corpora:
        index = corpus.index
        neighbours = index.store.neighbours(corpus.vectors, dense_neighbour_count(index.passages))
        started = time.perf_counter()
        data = corroborate_corpus(index.passages, index.articles, corpus.vectors, corpus.sentences, neighbours)
        seconds = time.perf_counter() - started
        groups = [story.sources for story in data.stories.stories]
        stories = grouping_figures(groups, gold)
        found = alignment_figures(gold, index.passages, corpus.texts, data.alignment)
        gold_sources = {gold.source(a) for a in gold.articles}
        unrelated = [p.id for p in index.passages if p.citation.source not in gold_sources and p.citation.source not in SEED_SOURCES]
        figures[corpus.name] = {
            "stories": {"precision": round(stories.precision, 3), "recall": round(stories.recall, 3),
                        "true": stories.true_pairs, "predicted": stories.predicted_pairs, "gold": stories.gold_pairs},
            **found.as_dict(),
            "facts_linked_share": round(found.facts_linked / max(found.facts, 1), 3),
            "differences_right_kind_share": round(found.differences_right_kind / max(found.differences, 1), 3),
            "unrelated_passages": len(unrelated),
            "unrelated_linked": sum(1 for pid in unrelated if data.alignment.of(pid)),
            "unrelated_with_difference": sum(1 for pid in unrelated if any(l.differences for l in data.alignment.of(pid))),
            "seconds": round(seconds, 2),
        }
        print(f"\n## {corpus.name}, the decisions as shipped ({seconds:.1f} s)")
        print(json.dumps(figures[corpus.name]))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, action="append", required=True, help="a built index (repeatable)")
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--l2", type=float, default=1.0, help="the ridge penalty of the link and difference decisions")
    parser.add_argument("--story-l2", type=float, default=3.0, help="the ridge penalty of the story decisions")
    parser.add_argument("--threshold", type=float, action="append", help="probability thresholds to report")
    parser.add_argument("--merge-threshold", type=float, action="append",
                        help="average-linkage thresholds to report, for both decisions (above 1: no merging; "
                             "default: each decision's own)")
    parser.add_argument("--links", action="store_true", help="also calibrate fact links and differences")
    parser.add_argument("--link-threshold", type=float, action="append", help="link probability thresholds to report")
    parser.add_argument("--story-threshold", type=float, default=StorySettings().decision.threshold,
                        help="the story decision's threshold for the end-to-end link figures")
    parser.add_argument("--seeds-index", type=Path, help="an index of the two seeds: their reviewed pairs are learnt from")
    parser.add_argument("--difference-threshold", type=float, action="append", help="difference probability thresholds")
    parser.add_argument("--json", type=Path, help="write the figures here (with --report)")
    parser.add_argument("--report", action="store_true", help="only the figures of the decisions as shipped")
    args = parser.parse_args()
    header("Corroboration on the real multi-outlet news set, leave-one-story-out")
    gold = read_gold(args.gold)
    corpora = [open_corpus(path, StorySettings()) for path in args.index]
    for corpus in corpora:
        missing = [a for a in gold.articles if gold.source(a) not in corpus.texts]
        print(f"{corpus.name}: {len(corpus.texts)} articles, {len(corpus.index.passages)} passages; gold articles missing: {len(missing)}")
    if args.report:
        shipped = report(corpora, gold)
        if args.json:
            args.json.write_text(json.dumps(shipped, indent=2) + "\n", encoding="utf-8")
        return
    settings = StorySettings()
    merges = [m if m <= 1 else None for m in args.merge_threshold] if args.merge_threshold else None
    fitted, probability = calibrate_stories(corpora, gold, args.story_l2, args.threshold or [0.3, 0.4, 0.5, 0.6, 0.7],
                                            merges or [settings.merge_threshold], merges or [settings.text_merge_threshold])
    if args.links:
        seeds = open_corpus(args.seeds_index, StorySettings()) if args.seeds_index else None
        link = calibrate_links(corpora, gold, probability, args.story_threshold, args.l2, args.link_threshold or [0.5], seeds)
        calibrate_differences(corpora, gold, link, args.l2, args.difference_threshold or [0.5])


if __name__ == "__main__":
    main()
