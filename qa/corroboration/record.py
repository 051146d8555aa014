"""What alignment produces and the index stores: settings, links, differences, checks.

``Alignment`` maps each passage id to its ``Link``s (aligned passages of other articles,
best first, each with the ``FoundDifference``s of the pair as spans of the two sources);
it is written as ``alignment.json`` and checked on load by ``alignment_problem``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from qa.corroboration.scoring import LogisticDecision
from qa.models import DIFFERENCE_KINDS, Passage, Span

# Bump when the same passages and settings would align differently (new signals, new
# difference rules); recorded in the manifest's ``alignment`` section.
ALIGNMENT_VERSION = 2

# Fitted by bench/calibrate_corroboration.py on the news set (tests/data/news/), leave-one-
# story-out; docs/quality.md ("Corroboration") gives the figures.
LINK_DECISION = LogisticDecision(
    (("similarity", 3.2702), ("lexical", 3.8019), ("numbers", 0.3185), ("names", 0.2005), ("shared_specifics", 0.9655),
     ("distinctive", 0.3517), ("quote", 0.7982), ("dense_z", -0.1475), ("sentence_z", 0.6984)),
    -0.886,
    0.55,
)
# The rules' own thresholds, as a decision: a difference is kept when its sentences are
# matched at 0.16 or better (0.20 for a hedge), a quote when its pairing reaches 0.20. A
# decision fitted on the news set was measured and not kept (docs/decisions/).
DIFFERENCE_DECISION = LogisticDecision(
    (("sentence", 100.0), ("quote_pairing", 100.0), ("kind_hedge", -4.0), ("kind_quote", -4.0)),
    -16.0,
)
# A differing figure is kept by its own decision, fitted leave-one-story-out on the news
# set's recorded figure differences: how well its sentences match (in all, and in words:
# the sentence vectors added nothing, and text-only corpora have none), whether the two
# figures measure the same thing (a unit, or the same name or noun by both), and how many
# orders of magnitude apart they are. Whether they are written in one unit was measured and
# added nothing.
NUMBER_DECISION = LogisticDecision(
    (("sentence", 1.1711), ("sentence_lexical", 4.3641), ("number_counted", 3.6465), ("number_ratio", -2.3427)),
    -3.5959,
    0.5,
)


@dataclass(frozen=True)
class AlignmentSettings:
    """How passages are aligned and differences kept.

    Within a story, a candidate pair is linked when ``decision`` (a logistic decision over
    ``qa.corroboration.align.link_signals``) accepts it, and a difference the rules find is
    kept when ``difference_decision`` does; both are fitted on the news set
    (``bench/calibrate_corroboration.py``). Each passage keeps its ``max_aligned`` best
    links, at most ``max_per_article`` into one other article.

    Without stories (the whole corpus as one group), a pair is linked when

        score = lexical + dense_weight * max(dense - baseline, 0) + number_weight * numbers
                + name_weight * names

    reaches ``threshold``; ``baseline`` is the mean dense similarity of passages of
    different articles in the corpus: news on one topic are all "similar" to a sentence
    model, so only the excess over that baseline is evidence of the same fact.
    """

    dense_weight: float = 0.50
    # Count the dense excess in standard deviations of the group's cross-article similarity
    # rather than in cosine: models differ in how wide their cosines spread (e5's sit in a
    # narrow band), so the same weight then means the same evidence for any model.
    dense_in_spreads: bool = False
    number_weight: float = 0.03
    name_weight: float = 0.10
    threshold: float = 0.165
    max_aligned: int = 10
    max_per_article: int = 5
    candidates: int = 12
    # Sentence pairs matched at least this well are searched for differences.
    sentence_threshold: float = 0.05
    quote_threshold: float = 0.20
    # Within a story, a specific found in more than this share of its passages is one of
    # the story's common words, no evidence that two passages report one fact.
    story_common_share: float = 0.15
    # Terms used by at most this share of a story's passages (or two) are distinctive.
    distinctive_share: float = 0.1
    # Within a story: the calibrated decision that two passages state one fact
    # (``qa.corroboration.align.link_signals``), fitted by bench/calibrate_corroboration.py.
    decision: LogisticDecision = LINK_DECISION
    # Which differences the rules find are kept (``qa.corroboration.differences``): a
    # differing figure by its own fitted decision, any other kind by the rules' thresholds.
    difference_decision: LogisticDecision = DIFFERENCE_DECISION
    number_decision: LogisticDecision = NUMBER_DECISION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decision"] = self.decision.to_dict()
        data["difference_decision"] = self.difference_decision.to_dict()
        data["number_decision"] = self.number_decision.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlignmentSettings:
        values = {k: v for k, v in data.items() if k in {f.name for f in fields(cls)}}
        for name in ("decision", "difference_decision", "number_decision"):
            if name in values:
                values[name] = LogisticDecision.from_dict(values[name])
        return cls(**values)


@dataclass(frozen=True)
class FoundDifference:
    """A difference between two aligned passages: a span of each source."""

    kind: str
    here: Span
    there: Span


@dataclass(frozen=True)
class Link:
    """An aligned passage of another article, with its score and the differences found."""

    passage: int
    score: float
    differences: tuple[FoundDifference, ...] = ()


@dataclass
class Alignment:
    """For each passage id, its aligned passages of other articles, best first."""

    links: dict[int, list[Link]] = field(default_factory=dict)
    settings: AlignmentSettings = AlignmentSettings()
    # How many stories this build aligned, and how many it handed back from the previous
    # build unchanged (``qa.corroboration.build.reusable_links``); not stored with the links.
    stories_aligned: int = field(default=0, compare=False)
    stories_reused: int = field(default=0, compare=False)

    def of(self, passage_id: int) -> list[Link]:
        return self.links.get(passage_id, [])

    def pairs(self) -> set[tuple[int, int]]:
        """Aligned pairs as (smaller id, larger id)."""
        return {(min(a, l.passage), max(a, l.passage)) for a, links in self.links.items() for l in links}

    def describe(self, seconds: float) -> dict[str, Any]:
        """The manifest's ``alignment`` section: what was found, how long it took, with which rules."""
        return {
            "version": ALIGNMENT_VERSION,
            "pairs": len(self.pairs()),
            "seconds": seconds,
            "stories_aligned": self.stories_aligned,
            "stories_reused": self.stories_reused,
            "settings": self.settings.to_dict(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(),
            "links": {
                str(pid): [
                    {
                        "passage": link.passage,
                        "score": link.score,
                        "differences": [
                            {"kind": d.kind, "here": [d.here.start, d.here.end], "there": [d.there.start, d.there.end]}
                            for d in link.differences
                        ],
                    }
                    for link in links
                ]
                for pid, links in sorted(self.links.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alignment:
        settings = AlignmentSettings.from_dict(data.get("settings", {}))
        links = {
            int(pid): [
                Link(
                    passage=int(item["passage"]),
                    score=float(item["score"]),
                    differences=tuple(
                        FoundDifference(d["kind"], Span(*d["here"]), Span(*d["there"])) for d in item["differences"]
                    ),
                )
                for item in items
            ]
            for pid, items in data.get("links", {}).items()
        }
        return cls(links=links, settings=settings)


def alignment_problem(alignment: Alignment, passages: Sequence[Passage], articles: Mapping[str, str]) -> str:
    """What is wrong with a stored alignment for these passages ("" when it fits them)."""
    count = len(passages)
    for pid, links in alignment.links.items():
        if not 0 <= pid < count:
            return f"passage {pid} does not exist"
        here = passages[pid].citation
        for link in links:
            if not 0 <= link.passage < count:
                return f"passage {link.passage} does not exist"
            there = passages[link.passage].citation
            if there.source == here.source:
                return f"passages {pid} and {link.passage} are from the same article"
            for difference in link.differences:
                if difference.kind not in DIFFERENCE_KINDS:
                    return f"unknown difference kind {difference.kind!r}"
                inside_here = here.start <= difference.here.start < difference.here.end <= here.end
                inside_there = there.start <= difference.there.start < difference.there.end <= there.end
                if not (inside_here and inside_there):
                    return f"a difference of passages {pid} and {link.passage} lies outside them"
    return ""
