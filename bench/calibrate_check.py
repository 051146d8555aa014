"""Fit the claim check's statement match (``qa.check.verdict.CheckSettings``) on the claims set.

Reads, for every claim of ``tests/data/claims/``, every article its check reads, with the
statement signals (``qa.check.verdict.statement_signals``) and the rule that blocks a
match; fits the statement decision (a logistic model: does this sentence make the
claim's statement, stated or otherwise?) and picks the lowest ``states_probability``
whose confirmation precision (the share of ``states`` the gold calls ``states``) reaches
``--precision``. Fitted on one half and measured on the other, both ways: the halves
split the claims by story, so the held-out half says how well the fit travels. The last
block, fitted on all, is what ``CheckSettings`` keeps.

    .venv/bin/python bench/calibrate_check.py [--corpus DIR] [--precision 0.98]

``--corpus`` is a folder holding ``seeds/`` (the news feed, the PIAF articles, the two
seeds) and ``index/`` (built by ``qa index``); ``bench/claims.py`` builds the same corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, header  # noqa: E402
from qa.check.claims import check_claim  # noqa: E402
from qa.check.verdict import CheckSettings  # noqa: E402
from qa.corroboration.scoring import LogisticDecision, fit_logistic  # noqa: E402
from qa.service.core import QAService  # noqa: E402
from qa.settings import Settings  # noqa: E402

CLAIMS = ROOT / "tests" / "data" / "claims" / "claims.jsonl"


def article_id(source: str) -> str:
    """A feed line's id (``feed.jsonl#id``) or a file's name, as the claims set names articles."""
    return source.split("#", 1)[1] if "#" in source else source


def half(claim: dict) -> int:
    key = claim.get("story") or (claim.get("origin") or {}).get("source") or claim["id"]
    story = key.split("--", 1)[0]
    return int(hashlib.sha256(story.encode()).hexdigest(), 16) % 2


SAME_STATEMENT = ("states", "differs", "hedges", "contradicts")
SIGNALS = ("similarity", "terms", "near_terms", "cross_language")


def observe(service: QAService, claims: list[dict]) -> list[dict]:
    """Every article each claim's check reads: its signals, blocking rule and gold verdict."""
    lenient = replace(CheckSettings(), match_probability=0.0, related_floor=0.0)
    rows = []
    for claim in claims:
        result = check_claim(service.index, service.embedder, claim["claim"], k=CheckSettings().candidates,
                             settings=service.settings.ranking, check_settings=lenient)
        for source in result.sources:
            article = article_id(source.passage.citation.source)
            rows.append({"claim": claim["id"], "half": half(claim), "signals": source.signals, "blocked": source.blocked,
                         "gold": claim.get("sources", {}).get(article, "")})
    return rows


def figures(rows: list[dict], claims: list[dict], decision: LogisticDecision, threshold: float) -> dict[str, float]:
    said = right = 0
    for row in rows:
        if not row["blocked"] and decision.probability(row["signals"]) >= threshold:
            said += 1
            right += row["gold"] == "states"
    expected = sum(v == "states" for c in claims for v in c.get("sources", {}).values())
    return {"precision": round(right / said, 4) if said else 1.0, "recall": round(right / expected, 4) if expected else 0.0,
            "states": said}


def fit(rows: list[dict], claims: list[dict], precision: float) -> tuple[LogisticDecision, float]:
    """The statement decision fitted on ``rows``, and the lowest threshold whose states reach ``precision``."""
    decision = fit_logistic([r["signals"] for r in rows], [int(r["gold"] in SAME_STATEMENT) for r in rows], SIGNALS)
    for threshold in np.arange(0.5, 0.999, 0.005):
        if figures(rows, claims, decision, float(threshold))["precision"] >= precision:
            return decision, round(float(threshold), 3)
    return decision, 0.999


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "out" / "claims-corpus")
    parser.add_argument("--precision", type=float, default=0.98)
    args = parser.parse_args()
    header("Claim check: fitting the statement decision")
    env = {"QA_SEEDS_DIR": str(args.corpus / "seeds"), "QA_INDEX_DIR": str(args.corpus / "index")}
    service = QAService(Settings.load(environ=env))
    service.warm_up()
    claims = [json.loads(line) for line in CLAIMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = observe(service, claims)
    report = {}
    for fitted, held in ((0, 1), (1, 0)):
        fit_claims = [c for c in claims if half(c) == fitted]
        held_claims = [c for c in claims if half(c) == held]
        decision, threshold = fit([r for r in rows if r["half"] == fitted], fit_claims, args.precision)
        report[f"fit on half {fitted}"] = {
            "threshold": threshold,
            "fitting half": figures([r for r in rows if r["half"] == fitted], fit_claims, decision, threshold),
            "held-out half": figures([r for r in rows if r["half"] == held], held_claims, decision, threshold),
        }
    decision, threshold = fit(rows, claims, args.precision)
    report["fit on all (the kept settings)"] = {"decision": decision.to_dict(), "states_probability": threshold,
                                                "in sample": figures(rows, claims, decision, threshold),
                                                "curve": {f"{t:.2f}": figures(rows, claims, decision, t)
                                                          for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)}}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
