"""Calibrate ranking and abstention for a model on PIAF dev, the seed set, and both corpora mixed.

Three corpora, each indexed once with the real build (``QAService``) in a work folder:

* ``seeds``: this repository's two articles, with ``tests/data/questions.jsonl``;
* ``piaf``: the 191 PIAF articles, with the 1,703 PIAF dev questions (answerable, gold spans);
* ``mixed``: both together, with the seed questions: abstention must hold among unrelated
  articles, and the seed answers must still come first.

Question vectors are cached (per model fingerprint) in the work folder, so a rerun costs
only the ranking. Prints Markdown tables for docs/quality.md.

    .venv/bin/python bench/calibrate.py --model e5 --work /tmp/calibrate [--piaf-limit N]

``--seed-questions FILE`` (repeatable) replaces the seed questions, for example with
``tests/data/questions.jsonl`` and ``tests/data/questions-parallel.jsonl`` together, so
that English questions weigh as much as French ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import create_app  # noqa: E402
from qa.search import ask, query_with_context  # noqa: E402
from qa.search.evaluation import Question, evaluate, read_questions, summarise  # noqa: E402
from qa.search.ranking import RankingSettings, abstention_for, fuse, with_best_sentence  # noqa: E402
from qa.service.core import QAService  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.text.answer_types import answer_types  # noqa: E402

PIAF = ROOT.parent / "shared" / "eval" / "piaf"
SEED_QUESTIONS = ROOT / "tests" / "data" / "questions.jsonl"


class CachedQueries:
    """The service's embedder, with every question vector kept (and saved) after one encode."""

    def __init__(self, embedder, path: Path):
        self.inner = embedder
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            saved = np.load(path, allow_pickle=False)
            self.vectors = dict(zip(json.loads(str(saved["texts"])), saved["vectors"]))

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self.vectors.get(text)
        if vector is None:
            vector = self.vectors[text] = self.inner.embed_query(text)
        return vector

    def save(self) -> None:
        texts = list(self.vectors)
        np.savez(self.path, texts=json.dumps(texts), vectors=np.stack([self.vectors[t] for t in texts]))


def corpus(work: Path, name: str) -> Path:
    """The seeds folder of a corpus; ``mixed`` is assembled from the other two."""
    if name == "seeds":
        return ROOT / "seeds"
    if name == "piaf":
        return PIAF / "seeds"
    folder = work / "mixed-seeds"
    if not folder.is_dir():
        folder.mkdir(parents=True)
        for source in [*(ROOT / "seeds").glob("*.txt"), *(PIAF / "seeds").glob("*.txt")]:
            shutil.copy(source, folder / source.name)
    return folder


def services(model: str, work: Path, settings: dict | None = None) -> dict[str, QAService]:
    config = {"MODEL": model, "RATELIMIT": "", "SEEDS_DIR": str(ROOT / "seeds"), "INDEX_DIR": str(work / "idx-seeds")}
    app = create_app({**config, **(settings or {})})
    base = app.extensions["qa"]
    result = {}
    for name in ("seeds", "piaf", "mixed"):
        config = dict(app.config, SEEDS_DIR=str(corpus(work, name)), INDEX_DIR=str(work / f"idx-{name}"))
        service = QAService(Settings.from_mapping(config), embedder=base.embedder)
        started = time.perf_counter()
        loaded = service.index
        print(f"# {name}: {len(loaded.passages)} passages, ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        result[name] = service
    return result


def scores(service: QAService, embedder, questions: list[Question], settings: RankingSettings) -> dict:
    outcomes = evaluate(questions, lambda q: ask(service.index, embedder, q.question, 10, q.history, settings))
    return summarise(outcomes)


def signals(
    service: QAService, embedder, questions: list[Question], held_out: bool = False, extra: list | None = None
) -> list[tuple]:
    """Per question: (answerable, the query, the best passage's article text, the 30 best
    scores, the question, the best passage's text).

    The scores are the sentence-aware dense scores ``should_answer`` reads; the article is
    the one ``names_not_held`` checks and the passage the one ``date_not_given`` checks
    (``abstention_for`` runs all three), found by the same fusion as ``qa.search.ask``.
    With ``held_out``, each question is asked as if its gold article were not indexed: its
    passages are masked out, and the question becomes one the corpus (almost surely) does
    not answer, on a topic near the others. These leave-article-out negatives calibrate
    abstention on many realistic questions instead of a handful of hand-written ones. (The
    BM25 statistics still count the masked article.)
    """
    index = service.index
    ranking = service.settings.ranking
    sources = np.array([p.citation.source for p in index.passages])
    everything = np.arange(len(index.passages))
    rows = []
    extra = [] if extra is None else extra
    for q in questions:
        query, _ = query_with_context(q.question, q.history)
        lexical = index.lexical.score(query)
        vector = embedder.embed_query(query)
        # The sentence-aware dense score that ranking and abstention read (qa.search.ask).
        dense = with_best_sentence(
            index.store.similarities(vector, everything),
            index.best_sentence_similarities(vector, everything),
            ranking.sentence_weight,
        )
        kept = ~np.isin(sources, [span.source for span in q.gold]) if held_out else np.ones(len(sources), dtype=bool)
        ids = np.flatnonzero(kept)
        dense, bm25 = dense[ids], lexical.bm25[ids]
        pool = min(len(ids), ranking.candidates)
        by_bm25 = np.argsort(-bm25)[:pool]
        candidates = np.unique(np.concatenate([np.argsort(-dense)[:pool], by_bm25[bm25[by_bm25] > 0]]))
        top = int(ids[candidates[int(np.argmax(fuse(dense[candidates], bm25[candidates], ranking)))]])
        article_text = index.articles[index.passages[top].citation.source].text
        rows.append(
            (q.answerable and not held_out, query, article_text, np.sort(dense)[::-1][:30], q.question, index.passages[top].text)
        )
        extra.append(
            {
                "best_dense": float(dense.max()),
                "mean_dense": float(dense.mean()),
                "std_dense": float(dense.std()),
                "top5_dense": sorted(map(float, dense))[-5:],
                "top_source": index.passages[top].citation.source,
            }
        )
    return rows


def answers(row: tuple, settings: RankingSettings, date_test: bool = True) -> bool:
    """Whether ``qa.search.ask`` answers a ``signals`` row (``abstention_for``, as ``ask`` calls it;
    without ``date_test`` the question's answer types are left out, and with them the date test)."""
    _, query, article_text, best_first, question, passage_text = row
    kinds = answer_types(question) if date_test else frozenset()
    return abstention_for(query, kinds, best_first, article_text, passage_text, settings) is None


def fmt(report, *keys) -> str:
    return " | ".join(f"{getattr(report, key):.3f}" for key in keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="e5")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa-calibrate"))
    parser.add_argument("--set", action="append", default=[], help="a config KEY=VALUE for the app (repeatable)")
    parser.add_argument("--piaf-limit", type=int, default=None, help="only the first N PIAF dev questions")
    parser.add_argument(
        "--seed-questions", type=Path, action="append", default=[], help=f"question file over the seeds (repeatable; default {SEED_QUESTIONS.name})"
    )
    parser.add_argument("--only", default="fusion,abstention", help="comma-separated: fusion, abstention, highlight")
    parser.add_argument(
        "--grid", default="0.80:0.87:0.005,0:2.01:0.25,5:31:5", help="start:stop:step of min support, gap weight, gap rank"
    )
    parser.add_argument(
        "--check-below",
        default="0,0.86,0.88,0.9",
        help="comma-separated values of the support bound of the names and date checks (0: no check)",
    )
    parser.add_argument("--date-test", default="on,off", help="comma-separated: on, off (the date test of when-questions)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    parts = set(args.only.split(","))

    served = services(args.model, args.work, dict(item.split("=", 1) for item in args.set))
    embedder = served["seeds"].embedder
    cached = CachedQueries(embedder, args.work / f"queries-{embedder.fingerprint}.npz")
    piaf_questions = read_questions(PIAF / "questions-dev.jsonl")[: args.piaf_limit]
    seed_questions = [question for path in args.seed_questions or [SEED_QUESTIONS] for question in read_questions(path)]
    base = served["seeds"].settings.ranking
    print(f"model {embedder.name} ({embedder.fingerprint}); defaults: {base}\n")

    if "fusion" in parts:
        print("| variant | PIAF hit@1 | PIAF hit@3 | PIAF hit@10 | PIAF MRR@10 | seeds FR hit@1 | seeds EN hit@1 | mixed FR hit@1 | mixed EN hit@1 |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        variants = [("BM25 only", dict(fusion="lexical")), ("dense only", dict(fusion="dense"))]
        variants += [(f"RRF k={k}", dict(fusion="rrf", rrf_k=k)) for k in (10, 60)]
        variants += [(f"convex, lexical weight {w}", dict(lexical_weight=w)) for w in (0.2, 0.3, 0.4, 0.5, 0.6)]
        variants += [(f"convex 0.4, {c} candidates", dict(lexical_weight=0.4, candidates=c)) for c in (30, 200)]
        variants += [
            (f"convex 0.4, sentence weight {w}" + (" (passage cosine only)" if w == 0 else ""), dict(lexical_weight=0.4, sentence_weight=w))
            for w in (0.0, 0.25, 0.75, 1.0)
        ]
        for name, change in variants:
            settings = dataclasses.replace(base, **change)
            piaf = scores(served["piaf"], cached, piaf_questions, settings)["all"]
            seeds = scores(served["seeds"], cached, seed_questions, settings)
            mixed = scores(served["mixed"], cached, seed_questions, settings)
            print(
                f"| {name} | {fmt(piaf, 'hit_at_1', 'hit_at_3', 'hit_at_10', 'mrr_at_10')} | "
                f"{seeds['fr'].hit_at_1:.3f} | {seeds['en'].hit_at_1:.3f} | {mixed['fr'].hit_at_1:.3f} | {mixed['en'].hit_at_1:.3f} |",
                flush=True,
            )
        cached.save()

    if "highlight" in parts:
        print("\n| highlight lexical weight | answer-type bonus | PIAF highlight | seeds highlight | mixed highlight |")
        print("| --- | --- | --- | --- | --- |")
        for weight, bonus in itertools.product((0.0, 0.05, 0.1, 0.2, 0.3, 0.5), (0.0, 0.03, 0.06, 0.1, 0.2, 0.3)):
            settings = dataclasses.replace(base, highlight_lexical_weight=weight, answer_type_bonus=bonus)
            piaf = scores(served["piaf"], cached, piaf_questions, settings)["all"]
            seeds = scores(served["seeds"], cached, seed_questions, settings)["all"]
            mixed = scores(served["mixed"], cached, seed_questions, settings)["all"]
            print(f"| {weight} | {bonus} | {piaf.highlight_hit:.3f} | {seeds.highlight_hit:.3f} | {mixed.highlight_hit:.3f} |", flush=True)

    if "abstention" in parts:
        features: dict[str, list] = {name: [] for name in ("piaf", "piaf-held-out", "seeds", "mixed")}
        populations = {
            "piaf": signals(served["piaf"], cached, piaf_questions, extra=features["piaf"])
            + signals(served["piaf"], cached, piaf_questions, held_out=True, extra=features["piaf-held-out"]),
            "seeds": signals(served["seeds"], cached, seed_questions, extra=features["seeds"]),
            "mixed": signals(served["mixed"], cached, seed_questions, extra=features["mixed"]),
        }
        cached.save()
        labels = {
            "piaf": [True] * len(piaf_questions),
            "piaf-held-out": [False] * len(piaf_questions),
            "seeds": [q.answerable for q in seed_questions],
            "mixed": [q.answerable for q in seed_questions],
        }
        ids = {"piaf": [q.id for q in piaf_questions], "seeds": [q.id for q in seed_questions]}
        ids["piaf-held-out"], ids["mixed"] = ids["piaf"], ids["seeds"]
        (args.work / "signals.json").write_text(
            json.dumps({name: [dict(f, answerable=a, id=i) for f, a, i in zip(features[name], labels[name], ids[name])] for name in features})
        )
        print("\nabstention grid: answered (answerable) and abstained (unanswerable) per population")
        print(
            "| min support | gap weight | gap rank | checks below | date test | PIAF answered | PIAF held-out abstained "
            "| seeds answered | seeds abstained | mixed answered | mixed abstained |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        axes = [np.arange(*map(float, axis.split(":"))) for axis in args.grid.split(",")]
        rows = []
        checks = [float(value) for value in args.check_below.split(",")]
        date_tests = [value == "on" for value in args.date_test.split(",")]
        for min_support, weight, rank, below, date_test in itertools.product(*axes, checks, date_tests):
            settings = dataclasses.replace(
                base, min_support=min_support, support_gap_weight=weight, support_gap_rank=int(rank), specifics_check_below=below
            )
            rates = []
            for name in ("piaf", "seeds", "mixed"):
                decided = [(row[0], answers(row, settings, date_test)) for row in populations[name]]
                kept = [answer for a, answer in decided if a]
                dropped = [not answer for a, answer in decided if not a]
                rates.append(sum(kept) / len(kept))
                if dropped:
                    rates.append(sum(dropped) / len(dropped))
            rows.append((min_support, weight, rank, below, float(date_test), *rates))
        feasible = [r for r in rows if r[5] >= 0.97 and r[7] >= 0.95 and r[9] >= 0.95]
        feasible.sort(key=lambda r: (min(r[8], r[10]), r[6] + r[8] + r[10], r[5]), reverse=True)
        for r in feasible[:25]:
            print("| " + " | ".join(f"{value:.3f}" for value in r) + " |")
        if not feasible:
            print("(no setting keeps the answerable questions answered)")
        default = next(
            (
                r
                for r in rows
                if np.allclose(r[:5], (base.min_support, base.support_gap_weight, base.support_gap_rank, base.specifics_check_below, 1.0))
            ),
            None,
        )
        if default:
            print("default: | " + " | ".join(f"{value:.3f}" for value in default) + " |")


if __name__ == "__main__":
    main()
