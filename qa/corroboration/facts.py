"""The fact gate: within a story, a passage pair is a link only if it shares a specific.

Two passages of one story are similar almost by construction (same people, same place),
so similarity alone would link a story's passages all to each other. A link also needs
evidence of one *fact*: a name, a number or a date that both passages state and that is
not one of the story's common specifics (the ones most of its passages mention, such as
"Trump" in a story about Trump), or a quote both passages give in similar words.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from qa.corroboration.mentions import quotes, same_name, words_of
from qa.corroboration.record import AlignmentSettings
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
            per_story[story].update(keys)
            story_size[story] += 1
        self.common = {
            story: {k for k, n in counts.items() if n > max(2, settings.story_common_share * story_size[story])}
            for story, counts in per_story.items()
        }

    def same_story(self, a: int, b: int) -> bool:
        """Whether passages ``a`` and ``b`` come from two articles of one story."""
        story = self.story_of.get(self.passages[a].citation.source)
        return story is not None and story == self.story_of.get(self.passages[b].citation.source)

    def shared(self, a: int, b: int) -> set[str]:
        """The specifics both passages state, the story's common ones left out."""
        common = self.common.get(self.story_of.get(self.passages[a].citation.source, ""), set())
        return (self.keys.get(a, set()) & self.keys.get(b, set())) - common

    def shares_a_fact(self, a: int, b: int) -> bool:
        """A shared specific, or a quote of one passage whose words the other's quote mostly repeats."""
        if self.shared(a, b):
            return True
        for words_a in self.quote_words.get(a, []):
            for words_b in self.quote_words.get(b, []):
                small, large = sorted((words_a, words_b), key=len)
                if small and sum(any(same_name(w, o) for o in large) for w in small) >= 0.5 * len(small):
                    return True
        return False
