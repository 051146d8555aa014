"""Write ``claims.jsonl`` from the hand-written ``base.jsonl``: the true claims, and their perturbations.

``base.jsonl`` holds the hand-written claims (restatements, paraphrases, translations,
claims made plain from a hedged source, fabricated details, off-topic claims), each with
its gold ``sources``, and for the true claims a ``perturb`` field naming what may be
altered. This script copies every base claim and adds, deterministically:

* ``number``: the figure ``perturb.number`` changed (a quarter more; a quarter less for a
  percentage; three hours earlier for a time of day; the next ordinal word);
* ``date``: ``perturb.date`` moved (a year two later, a day two later or earlier, a month
  one later);
* ``name``: ``perturb.name = [name, other]``, ``other`` a name of the same type that occurs
  in the corpus (``verify.py`` checks it does);
* ``negation``: ``perturb.negate = [verb, negated verb]`` substituted;
* ``hedge`` (added): a plain true claim with an attribution put in front ("Selon des
  informations non confirmées, ...").

A base claim of type ``hedge_source`` (a claim made plain from a hedged source sentence)
becomes type ``hedge`` with ``direction: "source"``; an added hedge has ``direction:
"added"``. A perturbed claim's sources are the base claim's: ``states`` becomes
``differs`` (``contradicts`` for a negation). The overall ``expected`` verdict follows
from the sources (``expected_verdict``). Running it twice writes the same bytes.

    .venv/bin/python tests/data/claims/make_claims.py      # writes claims.jsonl, prints the counts
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BASE = HERE / "base.jsonl"
CLAIMS = HERE / "claims.jsonl"

PERTURBATIONS = ("number", "date", "name", "negation", "hedge")
SOURCE_VERDICTS = ("states", "differs", "hedges", "contradicts")
VERDICTS = ("stated", "stated_differently", "contradicted", "hedged", "not_found")

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
ORDINALS_FR = ("premier", "deuxième", "troisième", "quatrième", "cinquième", "sixième", "septième", "huitième")
HEDGES_FR = ("Selon des informations non confirmées, ", "D'après certaines sources, ", "Selon plusieurs médias, ")
HEDGES_EN = ("Reportedly, ", "According to unconfirmed reports, ")
# First words that are not names, lower-cased after a hedge is put in front.
STARTERS = {"le", "la", "les", "l", "un", "une", "des", "du", "plus", "tous", "seul", "en", "après", "dans", "cette",
            "the", "a", "about", "according", "from", "between", "islam", "africa"}


def expected_verdict(sources: Mapping[str, str]) -> str:
    """The overall verdict the sources imply: stated > stated_differently > hedged > contradicted > not_found."""
    verdicts = set(sources.values())
    for source_verdict, overall in (("states", "stated"), ("differs", "stated_differently"), ("hedges", "hedged"),
                                    ("contradicts", "contradicted")):
        if source_verdict in verdicts:
            return overall
    return "not_found"


def _scaled(value: Decimal, down: bool) -> Decimal:
    step = max(Decimal(1) if value == value.to_integral() else Decimal("0.1"), value / 4)
    return value - step if down else value + step


def change_number(token: str, percent: bool) -> str:
    """A figure changed: a quarter more (less for a percentage), in the token's own notation."""
    if token in ORDINALS_FR:
        return ORDINALS_FR[ORDINALS_FR.index(token) + 1]
    time = re.fullmatch(r"(\d{1,2})h(\d{2})?", token)
    if time:
        hour = (int(time.group(1)) - 3) % 24
        return f"{hour:0{len(time.group(1))}d}h{time.group(2) or ''}"
    suffix = "%" if token.endswith("%") else ""
    digits = token.removesuffix("%")
    thousands = re.fullmatch(r"\d{1,3}(?:([.,\u00a0 ])\d{3})+", digits)
    if thousands:
        separator = thousands.group(1)
        value = int(re.sub(r"\D", "", digits))
        new = int(_scaled(Decimal(value), percent).quantize(Decimal(1), ROUND_HALF_UP))
        return f"{new:,}".replace(",", separator) + suffix
    decimal = re.fullmatch(r"(\d+)([.,])(\d+)", digits)
    if decimal:
        places = len(decimal.group(3))
        value = Decimal(f"{decimal.group(1)}.{decimal.group(3)}")
        new = _scaled(value, percent).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        return str(new).replace(".", decimal.group(2)) + suffix
    if re.fullmatch(r"\d+", digits):
        new = int(_scaled(Decimal(digits), percent or bool(suffix)).quantize(Decimal(1), ROUND_HALF_UP))
        return f"{new}{suffix}"
    raise ValueError(f"not a figure: {token!r}")


def change_date(token: str) -> str:
    """A date moved: a year two later, a day two later (two earlier past the 26th), a month one later."""
    if re.fullmatch(r"\d{4}", token):
        return str(int(token) + 2)
    day_month = re.fullmatch(r"(\d{1,2}) (\w+)", token)
    month_day = re.fullmatch(r"([A-Z]\w+) (\d{1,2})", token)
    if day_month or month_day:
        day, month = (day_month.group(1), day_month.group(2)) if day_month else (month_day.group(2), month_day.group(1))
        new = int(day) + 2 if int(day) <= 26 else int(day) - 2
        return f"{new} {month}" if day_month else f"{month} {new}"
    month_year = re.fullmatch(r"(\w+) (\d{4})", token)
    if month_year:
        months = MONTHS_FR if month_year.group(1) in MONTHS_FR else MONTHS_EN
        index = months.index(month_year.group(1))
        return f"{months[(index + 1) % 12]} {month_year.group(2)}"
    raise ValueError(f"not a date: {token!r}")


def replace_once(text: str, old: str, new: str) -> str:
    """``text`` with the first ``old`` (as a whole word) replaced by ``new``; raises when absent or unchanged."""
    match = re.search(rf"(?<!\w){re.escape(old)}(?!\w)", text)
    if not match or old == new:
        raise ValueError(f"{old!r} not in {text!r}")
    return text[:match.start()] + new + text[match.end():]


def add_hedge(claim: str, lang: str, index: int) -> str:
    """The claim attributed to unnamed sources; the first word lower-cased unless it is a name."""
    prefixes = HEDGES_EN if lang == "en" else HEDGES_FR
    first = re.match(r"\w+", claim)
    body = claim[0].lower() + claim[1:] if first and first.group(0).lower() in STARTERS else claim
    return prefixes[index % len(prefixes)] + body


def _moved_sources(sources: Mapping[str, str], kind: str) -> dict[str, str]:
    altered = "contradicts" if kind == "negation" else "differs"
    moved = {}
    for article, verdict in sources.items():
        if kind == "hedge" and verdict == "hedges":
            moved[article] = verdict  # both hedge: the source keeps its verdict
        else:
            moved[article] = altered if verdict in ("states", "hedges") else verdict
    return moved


def perturbations(base: Mapping[str, Any], index: int) -> Iterator[dict[str, Any]]:
    """The perturbed claims of one base claim, in the order of ``PERTURBATIONS``."""
    hints = base.get("perturb", {})
    claim = base["claim"]
    for kind in PERTURBATIONS:
        if kind == "number" and "number" in hints:
            token = hints["number"]
            after = claim[claim.find(token) + len(token):]
            text = replace_once(claim, token, change_number(token, after.lstrip().startswith("%")))
        elif kind == "date" and "date" in hints:
            text = replace_once(claim, hints["date"], change_date(hints["date"]))
        elif kind == "name" and "name" in hints:
            text = replace_once(claim, *hints["name"])
        elif kind == "negation" and "negate" in hints:
            text = replace_once(claim, *hints["negate"])
        elif kind == "hedge" and hints.get("hedge"):
            text = add_hedge(claim, base["lang"], index)
        else:
            continue
        sources = _moved_sources(base["sources"], kind)
        record = {"id": f"{kind}-{base['id']}", "type": kind, "lang": base["lang"], "claim": text,
                  "corpus": base["corpus"], "expected": expected_verdict(sources), "origin": base["origin"],
                  "sources": sources, "kind": kind, "from": base["id"]}
        if kind == "hedge":
            record["direction"] = "added"
        if kind == "name":
            record["replaced"] = list(hints["name"])
        yield record


def base_record(base: Mapping[str, Any]) -> dict[str, Any]:
    """A base claim as a line of claims.jsonl (a ``hedge_source`` claim becomes type ``hedge``)."""
    record = {"id": base["id"], "type": base["type"], "lang": base["lang"], "claim": base["claim"],
              "corpus": base["corpus"], "expected": expected_verdict(base["sources"])}
    if "origin" in base:
        record["origin"] = base["origin"]
    record["sources"] = dict(base["sources"])
    if base["type"] == "hedge_source":
        record.update(type="hedge", kind="hedge", direction="source")
    return record


def make_claims(bases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every base claim, then its perturbations, in base order."""
    claims: list[dict[str, Any]] = []
    for index, base in enumerate(bases):
        claims.append(base_record(base))
        claims.extend(perturbations(base, index))
    return claims


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    claims = make_claims(read_jsonl(BASE))
    CLAIMS.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in claims), encoding="utf-8")
    counts = Counter(c["type"] for c in claims)
    print(f"{len(claims)} claims -> {CLAIMS.name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
