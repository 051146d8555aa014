"""Claim checking on the claims set (tests/data/claims/): a retrieval baseline against ``POST /api/check``, per type.

The corpus is the news feed, the 191 PIAF articles and the two seeds, copied into
``--corpus`` (default ``bench/out/claims-corpus/``: ``seeds/``, ``index/``, and
``digest.txt``, the SHA-256 of the files' names and bytes). The index there is built by
the service at start when missing or stale (incremental: a changed file is embedded
again, the rest reused), so a second run reuses it; ``bench/calibrate_check.py`` reads
the same folder.

Two methods, each through the Flask test client of one app over that corpus:

* **baseline**: ``POST /api/ask`` with the claim as the question, ``k=10``. A passage
  *states* the claim when more than half of the claim's content words (its analysed
  terms, ``qa.text.analyzer.analyze``) are among the passage's, and every figure and
  every capitalised name of the claim is in the passage. One entry per article: ``states``
  when any of its passages states, else ``related``. The verdict is ``stated`` when an
  article states, else ``not_found``.
* **ours**: ``POST /api/check`` with ``{"claim", "k": 10}``; one entry per article (its
  strongest verdict). Skipped, and said so, when the route answers 404.

Figures, overall and per claim type:

* confirmation precision: of the (claim, article) pairs called ``states``, the share the
  gold lists as ``states``;
* outlet recall: of the gold ``states`` pairs of true claims (restatement, paraphrase,
  translation, and claims made plain from a hedged source), the share called ``states``;
* altered caught: perturbed claims (number, date, name, negation, added hedge) whose
  origin article is not called ``states`` and whose verdict is not ``stated``; with the
  right kind: the origin's entry carries a difference of the expected kind, or the origin's
  expected verdict is ``contradicts``/``hedges`` and it is called that;
* negations caught (origin called ``contradicts`` or verdict ``contradicted``), hedges
  caught (added: a ``hedge`` difference on the origin; at the source: origin called
  ``hedges``), fabricated claims not confirmed (no article called ``states``);
* English claims right, off-topic claims ``not_found``, and verdict accuracy per type.

    .venv/bin/python bench/claims.py [--methods baseline ours] [--only TYPE] [--limit N] [--model e5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, ROOT, header, write_result
from qa.text.analyzer import analyze, term_set
from qa.text.normalise import fold_accents, normalize

CLAIMS = ROOT / "tests" / "data" / "claims" / "claims.jsonl"
FEED = ROOT / "tests" / "data" / "news" / "corpus" / "articles.jsonl"
PIAF = ROOT.parent / "shared" / "eval" / "piaf" / "seeds"
SEEDS = ROOT / "seeds"
K = 10
TYPES = ("restatement", "paraphrase", "translation", "number", "date", "name", "negation", "hedge", "fabricated",
         "off_topic")
ALTERED = ("number", "date", "name", "negation", "hedge")
# Strongest first: an article with several passages keeps the first of these it gets.
SOURCE_ORDER = ("states", "differs", "hedges", "contradicts", "related")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
_NAME = re.compile(r"(?<![\w'’])[A-ZÀ-ÖØ-Þ][\w-]+")


# ---- the corpus


def corpus_files() -> list[Path]:
    """The files of the corpus the claims are checked against."""
    return [FEED, *sorted(PIAF.glob("*.txt")), *sorted(SEEDS.glob("*.txt"))]


def corpus_digest(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def prepare_corpus(folder: Path) -> Path:
    """``folder/seeds`` holding exactly the corpus's files (copied when they changed); returns ``folder``."""
    files = corpus_files()
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    names = {path.name for path in files}
    for stale in seeds.iterdir():
        if stale.name not in names:
            stale.unlink()
    for path in files:
        target = seeds / path.name
        if not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copy(path, target)
    (folder / "digest.txt").write_text(corpus_digest(files) + "\n")
    return folder


def make_client(folder: Path, model: str):
    """A Flask test client of an app over the corpus, its index loaded (built first when missing or stale)."""
    from qa import create_app

    app = create_app({"MODEL": model, "SEEDS_DIR": str(folder / "seeds"), "INDEX_DIR": str(folder / "index"),
                      "RATELIMIT": "", "TESTING": True})
    started = time.perf_counter()
    passages = len(app.extensions["qa"].index.passages)
    print(f"# index: {passages} passages, ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return app.test_client()


def article_id(source: str) -> str:
    """A feed line's id (``articles.jsonl#id``) or a file's name, as the claims set names articles."""
    return source.split("#", 1)[1] if "#" in source else source


# ---- the baseline


def figures(text: str) -> list[str]:
    return _FIGURE.findall(normalize(text))


def names(text: str) -> list[str]:
    """Capitalised words that carry a term (not a capitalised stop word), the sentence's first word left out."""
    found = []
    for match in _NAME.finditer(text):
        if match.start() == 0 or not analyze(match.group(0)):
            continue
        found.append(match.group(0))
    return found


def _folded(text: str) -> str:
    return fold_accents(normalize(text).lower())


def passage_states(claim: str, passage: str) -> bool:
    """The baseline's rule: most content words, every figure and every name of the claim are in the passage."""
    terms = set(analyze(claim))
    if not terms:
        return False
    shared = len(terms & term_set(passage)) / len(terms)
    folded = _folded(passage)
    have_figures = all(re.search(rf"(?<![\d]){re.escape(f)}(?![\d])", normalize(passage)) for f in figures(claim))
    have_names = all(_folded(name) in folded for name in names(claim))
    return shared > 0.5 and have_figures and have_names


def baseline(client, claim: Mapping[str, Any]) -> dict[str, Any]:
    """``/api/ask`` and the baseline rule: ``{"verdict", "sources": {article: {"verdict", "kinds"}}}``."""
    response = client.post("/api/ask", json={"question": claim["claim"], "k": K})
    if response.status_code != 200:
        raise RuntimeError(f"/api/ask {response.status_code}: {response.get_data(as_text=True)[:300]}")
    sources: dict[str, dict[str, Any]] = {}
    for passage in response.get_json()["passages"]:
        article = article_id(passage["citation"]["source"])
        verdict = "states" if passage_states(claim["claim"], passage["text"]) else "related"
        if article not in sources or verdict == "states":
            sources[article] = {"verdict": verdict, "kinds": []}
    verdict = "stated" if any(s["verdict"] == "states" for s in sources.values()) else "not_found"
    return {"verdict": verdict, "sources": sources}


# ---- ours


def ours(client, claim: Mapping[str, Any]) -> dict[str, Any] | None:
    """``/api/check``, one entry per article (its strongest verdict and every difference kind, both kept in the per-claim output); None on 404."""
    response = client.post("/api/check", json={"claim": claim["claim"], "k": K})
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise RuntimeError(f"/api/check {response.status_code}: {response.get_data(as_text=True)[:300]}")
    body = response.get_json()
    sources: dict[str, dict[str, Any]] = {}
    for source in body["sources"]:
        article = article_id(source["citation"]["source"])
        entry = sources.setdefault(article, {"verdict": "related", "kinds": []})
        if SOURCE_ORDER.index(source["verdict"]) < SOURCE_ORDER.index(entry["verdict"]):
            entry["verdict"] = source["verdict"]
        entry["kinds"] += [d["kind"] for d in source.get("differences", [])]
    return {"verdict": body["verdict"], "sources": sources}


# ---- figures


def _share(hits: int, total: int) -> float | None:
    return None if total == 0 else round(hits / total, 3)


def claim_outcome(claim: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    """What one claim's result scores on each figure (counts, summed later)."""
    gold: Mapping[str, str] = claim["sources"]
    called = {a: s["verdict"] for a, s in result["sources"].items()}
    origin = claim.get("origin", {}).get("source")
    origin_entry = result["sources"].get(origin, {"verdict": "not_listed", "kinds": []})
    true_claim = claim["type"] in ("restatement", "paraphrase", "translation") or claim.get("direction") == "source"
    altered = claim["type"] in ALTERED and claim.get("direction") != "source"
    outcome: dict[str, Any] = {
        "called_states": sum(v == "states" for v in called.values()),
        "called_states_right": sum(v == "states" and gold.get(a) == "states" for a, v in called.items()),
        "gold_states": sum(v == "states" for v in gold.values()) if true_claim else 0,
        "gold_states_found": sum(v == "states" and called.get(a) == "states" for a, v in gold.items()) if true_claim else 0,
        "right": int(result["verdict"] == claim["expected"]),
    }
    if altered:
        caught = origin_entry["verdict"] != "states" and result["verdict"] != "stated"
        expected_origin = gold.get(origin)
        right_kind = caught and (claim["kind"] in origin_entry["kinds"]
                                 or (expected_origin in ("contradicts", "hedges") and origin_entry["verdict"] == expected_origin))
        outcome.update(altered=1, caught=int(caught), right_kind=int(right_kind))
    if claim["type"] == "negation":
        outcome.update(negation=1, negation_caught=int(origin_entry["verdict"] == "contradicts" or result["verdict"] == "contradicted"))
    if claim["type"] == "hedge":
        if claim.get("direction") == "source":
            hit = origin_entry["verdict"] == "hedges"
        else:
            hit = "hedge" in origin_entry["kinds"] and result["verdict"] != "stated"
        outcome.update(hedge=1, hedge_caught=int(hit))
    if claim["type"] == "fabricated":
        outcome.update(fabricated=1, fabricated_held=int(outcome["called_states"] == 0 and result["verdict"] != "stated"))
    if claim["type"] == "off_topic":
        outcome.update(off_topic=1, off_topic_not_found=int(result["verdict"] == "not_found"))
    if claim["lang"] == "en":
        outcome.update(english=1, english_right=outcome["right"])
    return outcome


def figures_of(outcomes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    total: dict[str, int] = defaultdict(int)
    for outcome in outcomes:
        for key, value in outcome.items():
            total[key] += value
    return {
        "n": len(outcomes),
        "accuracy": _share(total["right"], len(outcomes)),
        "confirmation_precision": _share(total["called_states_right"], total["called_states"]),
        "states_called": total["called_states"],
        "outlet_recall": _share(total["gold_states_found"], total["gold_states"]),
        "gold_states": total["gold_states"],
        "altered_caught": _share(total["caught"], total["altered"]),
        "altered_right_kind": _share(total["right_kind"], total["altered"]),
        "negations_caught": _share(total["negation_caught"], total["negation"]),
        "hedges_caught": _share(total["hedge_caught"], total["hedge"]),
        "fabricated_not_confirmed": _share(total["fabricated_held"], total["fabricated"]),
        "english_right": _share(total["english_right"], total["english"]),
        "off_topic_not_found": _share(total["off_topic_not_found"], total["off_topic"]),
    }


def report(claims: Sequence[Mapping[str, Any]], outcomes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Figures overall, per type (and for the two hedge directions)."""
    by_type: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for claim, outcome in zip(claims, outcomes):
        by_type[claim["type"]].append(outcome)
        if claim["type"] == "hedge":
            by_type[f"hedge:{claim['direction']}"].append(outcome)
    order = [t for t in (*TYPES[:8], "hedge:source", "hedge:added", *TYPES[8:]) if t in by_type]
    return {"overall": figures_of(outcomes), "by_type": {t: figures_of(by_type[t]) for t in order}}


COLUMNS = (("n", "n"), ("acc", "accuracy"), ("prec", "confirmation_precision"), ("recall", "outlet_recall"),
           ("caught", "altered_caught"), ("kind", "altered_right_kind"), ("neg", "negations_caught"),
           ("hedge", "hedges_caught"), ("fabr", "fabricated_not_confirmed"), ("en", "english_right"),
           ("offtop", "off_topic_not_found"))


def print_table(name: str, figures: Mapping[str, Any]) -> None:
    print(f"\n## {name}")
    print(f"| {'type':<13} | " + " | ".join(f"{c:>6}" for c, _ in COLUMNS) + " |")
    print("|" + "---|" * (len(COLUMNS) + 1))
    rows = [("overall", figures["overall"]), *figures["by_type"].items()]
    for label, row in rows:
        cells = ["-" if row[key] is None else f"{row[key]}" for _, key in COLUMNS]
        print(f"| {label:<13} | " + " | ".join(f"{c:>6}" for c in cells) + " |")


# ---- the run


def read_claims(only: Sequence[str] | None, limit: int | None) -> list[dict[str, Any]]:
    claims = [json.loads(line) for line in CLAIMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    if only:
        claims = [c for c in claims if c["type"] in only]
    if limit:
        per_type: dict[str, int] = defaultdict(int)
        kept = []
        for claim in claims:  # the first N of each type, so that a short run still covers every type
            per_type[claim["type"]] += 1
            if per_type[claim["type"]] <= limit:
                kept.append(claim)
        claims = kept
    return claims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--methods", nargs="+", default=["baseline", "ours"], choices=["baseline", "ours"])
    parser.add_argument("--only", nargs="+", choices=TYPES, help="only these claim types")
    parser.add_argument("--limit", type=int, help="at most N claims of each type")
    parser.add_argument("--model", default="e5")
    parser.add_argument("--corpus", type=Path, default=OUT / "claims-corpus")
    args = parser.parse_args()
    header("Claim checking on tests/data/claims: retrieval baseline against /api/check")
    folder = prepare_corpus(args.corpus)
    print(f"corpus: {folder} (digest {(folder / 'digest.txt').read_text().strip()}, {len(corpus_files())} files)")
    claims = read_claims(args.only, args.limit)
    print(f"claims: {len(claims)}")
    client = make_client(folder, args.model)
    result: dict[str, Any] = {"claims": len(claims), "corpus_digest": (folder / "digest.txt").read_text().strip(),
                              "k": K, "methods": {}, "skipped": {}}
    per_claim: dict[str, list[dict[str, Any]]] = {}
    for method in args.methods:
        run = baseline if method == "baseline" else ours
        outcomes, rows, started = [], [], time.perf_counter()
        for claim in claims:
            got = run(client, claim)
            if got is None:
                result["skipped"][method] = "POST /api/check answered 404: the route is not there yet"
                print(f"\n## {method}: skipped ({result['skipped'][method]})")
                break
            outcomes.append(claim_outcome(claim, got))
            rows.append({"id": claim["id"], "expected": claim["expected"], "verdict": got["verdict"],
                         "sources": {a: s["verdict"] for a, s in got["sources"].items()},
                         "kinds": {a: s["kinds"] for a, s in got["sources"].items() if s["kinds"]}})
        else:
            figures = report(claims, outcomes)
            figures["seconds"] = round(time.perf_counter() - started, 1)
            result["methods"][method] = figures
            per_claim[method] = rows
            print_table(f"{method} ({figures['seconds']} s)", figures)
    result["per_claim"] = per_claim
    print(f"\nsaved {write_result('claims', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
