"""Check the claim set: its schema, its origins and every article it names.

The corpus the claims are checked against is the news feed (``tests/data/news/corpus/
articles.jsonl``), the 191 PIAF articles (``../shared/eval/piaf/seeds/``) and the two seed
articles (``seeds/``), each read as the index reads it (``qa.ingest.formats.read_source``).
An article is named by its feed ``id`` or its file name. The checks:

* every line has the fields of its type, with values from the allowed sets, and a unique id;
* every origin quote is an exact substring of its article (’ and ' count as one, as in the
  rest of the project; the text is otherwise exact);
* every article named in ``origin`` or ``sources`` exists, and is in the claim's corpus;
* ``expected`` is what the sources imply (``make_claims.expected_verdict``);
* a perturbed claim has its ``kind``, and a swapped name occurs in the corpus;
* ``claims.jsonl`` is what ``make_claims.py`` writes from ``base.jsonl`` (nothing edited by hand);
* no claim is about the events kept back for our own checks.

    .venv/bin/python tests/data/claims/verify.py      # prints the counts, exits 1 on a problem
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_claims import BASE, CLAIMS, PERTURBATIONS, SOURCE_VERDICTS, VERDICTS, expected_verdict, make_claims, read_jsonl

from qa.ingest.formats import read_source

FEED = ROOT / "tests" / "data" / "news" / "corpus" / "articles.jsonl"
PIAF = ROOT.parent / "shared" / "eval" / "piaf" / "seeds"
SEEDS = ROOT / "seeds"
TYPES = ("restatement", "paraphrase", "translation", *PERTURBATIONS, "fabricated", "off_topic")
KINDS = ("number", "date", "name", "quote", "hedge", "negation")
# Events kept back for our own checks (and the seeds' story): no claim may be about them.
HELD_BACK = ("sarkozy", "paul watson", "thierry breton", "chido", "mayotte", "réouverture de notre-dame",
             "notre-dame de paris", "réseaux sociaux", "social media", "moins de 15 ans", "under 15", "le pen",
             "louvre", "trump", "zelensky", "zelensky", "tomahawk")


def _fold(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def corpus_texts() -> dict[str, dict[str, str]]:
    """The corpus's article texts, as indexed: ``{"news": {id: text}, "piaf": {file: text}}`` (seeds under piaf too)."""
    parsed = read_source(FEED.name, FEED.read_bytes())
    news = {e.article.source.split("#", 1)[1]: e.article.title + "\n" + e.article.text for e in parsed.entries}
    files: dict[str, str] = {}
    for path in sorted(PIAF.glob("*.txt")) + sorted(SEEDS.glob("*.txt")):
        for entry in read_source(path.name, path.read_bytes()).entries:
            files[path.name] = entry.article.title + "\n" + entry.article.text
    return {"news": news, "piaf": files}


def claim_problems(claim: Mapping[str, Any], texts: Mapping[str, Mapping[str, str]], everything: str) -> list[str]:
    """What is wrong with one line of claims.jsonl (empty when nothing)."""
    found: list[str] = []
    cid = claim.get("id", "?")
    for key in ("id", "type", "lang", "claim", "corpus", "expected", "sources"):
        if key not in claim:
            found.append(f"{cid}: no {key}")
    if found:
        return found
    if claim["type"] not in TYPES:
        found.append(f"{cid}: type {claim['type']!r}")
    if claim["lang"] not in ("fr", "en"):
        found.append(f"{cid}: lang {claim['lang']!r}")
    if claim["corpus"] not in texts:
        return found + [f"{cid}: corpus {claim['corpus']!r}"]
    if claim["expected"] not in VERDICTS:
        found.append(f"{cid}: expected {claim['expected']!r}")
    if not isinstance(claim["claim"], str) or not claim["claim"].strip():
        found.append(f"{cid}: empty claim")
    known = texts[claim["corpus"]]
    for article, verdict in claim["sources"].items():
        if verdict not in SOURCE_VERDICTS:
            found.append(f"{cid}: source verdict {verdict!r} for {article}")
        if article not in known:
            found.append(f"{cid}: source {article} not in the {claim['corpus']} corpus")
    if claim["expected"] != expected_verdict(claim["sources"]):
        found.append(f"{cid}: expected {claim['expected']} but the sources give {expected_verdict(claim['sources'])}")
    if claim["type"] == "off_topic":
        if "origin" in claim or claim["sources"]:
            found.append(f"{cid}: an off-topic claim has no origin and no source")
    else:
        origin = claim.get("origin") or {}
        source, quote = origin.get("source"), origin.get("quote")
        if source not in known:
            found.append(f"{cid}: origin {source} not in the {claim['corpus']} corpus")
        elif not quote or _fold(quote) not in _fold(known[source]):
            found.append(f"{cid}: origin quote not in {source}: {quote!r}")
    if claim["type"] in PERTURBATIONS and claim.get("kind") not in KINDS:
        found.append(f"{cid}: kind {claim.get('kind')!r}")
    if claim["type"] in ("restatement", "paraphrase", "translation") and "states" not in claim["sources"].values():
        found.append(f"{cid}: a true claim with no source that states it")
    if claim["type"] == "fabricated" and "states" in claim["sources"].values():
        found.append(f"{cid}: a fabricated claim that a source states")
    if claim["type"] == "name":
        replacement = claim.get("replaced", ["", ""])[1]
        if not replacement or _fold(replacement) not in everything:
            found.append(f"{cid}: the swapped-in name {replacement!r} is not in the corpus")
    lowered = claim["claim"].lower()
    found.extend(f"{cid}: about a held-back event ({word})" for word in HELD_BACK if word in lowered)
    return found


def problems(claims: list[dict[str, Any]], bases: list[dict[str, Any]], texts: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Every problem of the set (empty when it is sound)."""
    everything = _fold("\n".join(t for corpus in texts.values() for t in corpus.values()))
    found = [p for claim in claims for p in claim_problems(claim, texts, everything)]
    duplicates = [k for k, n in Counter(c.get("id") for c in claims).items() if n > 1]
    found.extend(f"{k}: id used twice" for k in duplicates)
    if make_claims(bases) != claims:
        found.append("claims.jsonl is not what make_claims.py writes from base.jsonl: run it")
    return found


def main() -> int:
    claims, bases, texts = read_jsonl(CLAIMS), read_jsonl(BASE), corpus_texts()
    found = problems(claims, bases, texts)
    counts = Counter(c["type"] for c in claims)
    print(f"{len(claims)} claims ({len(bases)} hand-written): " + ", ".join(f"{t} {counts[t]}" for t in TYPES))
    print("\n".join(found) or "every origin quote is in its article; every article exists; the schema holds")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
