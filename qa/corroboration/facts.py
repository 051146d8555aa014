"""The fact gate: within a story, a passage pair is a link only if it shares a specific.

Two passages of one story are similar almost by construction (same people, same place),
so similarity alone would link a story's passages all to each other. A link also needs
evidence of one *fact*: a name, a number or a date that both passages state and that is
not one of the story's common specifics (the ones most of its passages mention, such as
"Trump" in a story about Trump), a quote both passages give in similar words, or at least
``AlignmentSettings.min_distinctive_terms`` *distinctive* terms: analysed words that few
passages of the story use ("contourner le Congrès", "drones"), as opposed to the story's
vocabulary ("missile", "frappe").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from qa.corroboration.mentions import quotes, words_of
from qa.text.names import same_name
from qa.corroboration.record import AlignmentSettings
from qa.corroboration.signals import alignment_terms
from qa.corroboration.stories import everyday_key, specifics
from qa.models import Passage


def _quote_words(text: str) -> list[set[str]]:
    return [{w for w in words_of(q.inner) if len(w) > 3} for q in quotes(text)]


def _count_key(key: str) -> str:
    """Counts compare without their noun, so "12 bombardiers" and "douze avions" meet."""
    return ":".join(key.split(":")[:3]) if key.startswith("num:count:") else key


class FactGate:
    """Per passage, its specifics; per story, the common ones; and the two checks of a pair."""

    def __init__(
        self,
        passages: Sequence[Passage],
        articles: Mapping[str, str],
        story_of: Mapping[str, str],
        everyday_words: set[str],
        settings: AlignmentSettings,
    ):
        self.passages = passages
        self.story_of = story_of
        self.settings = settings
        self.keys: dict[int, set[str]] = {}
        self.quote_words: dict[int, list[set[str]]] = {}
        self.terms: dict[int, set[str]] = {}
        term_df: dict[str, Counter[str]] = defaultdict(Counter)
        per_story: dict[str, Counter[str]] = defaultdict(Counter)
        story_size: Counter[str] = Counter()
        for passage in passages:
            story = story_of.get(passage.citation.source)
            if story is None:
                continue
            keys = {
                _count_key(k)
                for k in specifics(passage.text)
                if not k.startswith("year:") and not everyday_key(k, everyday_words)
            }
            self.keys[passage.id] = keys
            self.quote_words[passage.id] = _quote_words(passage.text)
            self.terms[passage.id] = {t for t in alignment_terms(passage.text) if len(t) >= 4 and not t.isdigit()}
            term_df[story].update(self.terms[passage.id])
            per_story[story].update(keys)
            story_size[story] += 1
        self.common = {
            story: {k for k, n in counts.items() if n > max(2, settings.story_common_share * story_size[story])}
            for story, counts in per_story.items()
        }
        self.distinctive = {
            story: {t for t, n in counts.items() if n <= max(2, settings.distinctive_share * story_size[story])}
            for story, counts in term_df.items()
        }

    def shared(self, a: int, b: int) -> set[str]:
        """The specifics both passages state, the story's common ones left out."""
        common = self.common.get(self.story_of.get(self.passages[a].citation.source, ""), set())
        return (self.keys.get(a, set()) & self.keys.get(b, set())) - common

    def shares_a_fact(self, a: int, b: int) -> bool:
        """A shared specific, distinctive terms, or a quote the other's quote mostly repeats."""
        if self.shared(a, b):
            return True
        story = self.story_of.get(self.passages[a].citation.source, "")
        distinctive = self.terms.get(a, set()) & self.terms.get(b, set()) & self.distinctive.get(story, set())
        if len(distinctive) >= self.settings.min_distinctive_terms:
            return True
        for words_a in self.quote_words.get(a, []):
            for words_b in self.quote_words.get(b, []):
                small, large = sorted((words_a, words_b), key=len)
                if small and sum(any(same_name(w, o) for o in large) for w in small) >= 0.5 * len(small):
                    return True
        return False
