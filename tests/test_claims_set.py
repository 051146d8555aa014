"""The claim-checking development set (tests/data/claims/): its schema, origins and gold.

Pure and fast: no model, no index. The same checks as ``tests/data/claims/verify.py``,
plus the shape the set promises (its types, both languages, both corpora) and that
``make_claims.py`` is deterministic.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

CLAIMS_DIR = Path(__file__).resolve().parent / "data" / "claims"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(CLAIMS_DIR))
    spec = importlib.util.spec_from_file_location(f"claims_{name}", CLAIMS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def verify() -> ModuleType:
    return _load("verify")


@pytest.fixture(scope="module")
def make() -> ModuleType:
    return _load("make_claims")


@pytest.fixture(scope="module")
def claims(make) -> list[dict]:
    return make.read_jsonl(make.CLAIMS)


def test_the_verifier_finds_no_problem(verify, make, claims):
    assert verify.problems(claims, make.read_jsonl(make.BASE), verify.corpus_texts()) == []


def test_every_type_both_languages_and_corpora(verify, claims):
    counts = Counter(c["type"] for c in claims)
    assert set(counts) == set(verify.TYPES)
    assert all(counts[t] >= 10 for t in verify.TYPES), counts
    assert 200 <= len(claims) <= 300
    assert {c["lang"] for c in claims} == {"fr", "en"}
    assert {c["corpus"] for c in claims} == {"news", "piaf"}
    hedges = Counter(c.get("direction") for c in claims if c["type"] == "hedge")
    assert hedges["source"] >= 5 and hedges["added"] >= 5


def test_make_claims_is_deterministic(make, claims):
    bases = make.read_jsonl(make.BASE)
    assert make.make_claims(bases) == make.make_claims(bases) == claims


def test_expected_verdict_order(make):
    assert make.expected_verdict({"a": "differs", "b": "states"}) == "stated"
    assert make.expected_verdict({"a": "hedges", "b": "differs"}) == "stated_differently"
    assert make.expected_verdict({"a": "contradicts", "b": "hedges"}) == "hedged"
    assert make.expected_verdict({"a": "contradicts"}) == "contradicted"
    assert make.expected_verdict({}) == "not_found"


@pytest.mark.parametrize(("token", "percent", "changed"), [
    ("73", False, "91"), ("1,12", False, "1,40"), ("3.000", False, "3.750"), ("26,000", False, "32,500"),
    ("100 000", False, "125 000"), ("15h30", False, "12h30"), ("15", True, "11"), ("6.8", False, "8.5"),
    ("quatrième", False, "cinquième"),
])
def test_number_changes(make, token, percent, changed):
    assert make.change_number(token, percent) == changed


@pytest.mark.parametrize(("token", "changed"), [
    ("2017", "2019"), ("4 décembre", "6 décembre"), ("30 juin", "28 juin"), ("July 7", "July 9"), ("juin 2020", "juillet 2020"),
])
def test_date_changes(make, token, changed):
    assert make.change_date(token) == changed


def test_a_verifier_catches_a_bad_quote(verify, claims):
    texts = verify.corpus_texts()
    bad = dict(claims[0], origin={**claims[0]["origin"], "quote": "une phrase qu'aucun article ne contient"})
    assert any("origin quote" in p for p in verify.claim_problems(bad, texts, ""))
