"""The fact signals of a passage pair within a story: what it shares beyond the story's words.

Two passages of one story are similar almost by construction (same people, same place),
so similarity alone says little. Evidence of one *fact* is what the link decision
(``qa.corroboration.align.link_signals``) weighs besides similarity: the names, numbers
and dates both passages state that are not among the story's common specifics (the ones
most of its passages mention, such as "Trump" in a story about Trump); the *distinctive*
terms both use, analysed words that few passages of the story use ("contourner le
Congrès", "drones") as opposed to the story's vocabulary ("missile", "frappe"); and a
quote both passages give in similar words.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from qa.corroboration.mentions import quotes, words_of
from qa.corroboration.record import AlignmentSettings
from qa.corroboration.signals import alignment_terms
from qa.corroboration.specifics import everyday_key, specifics
from qa.models import Passage
from qa.text.names import same_name


def _quote_words(text: str) -> list[set[str]]:
    return [{w for w in words_of(q.inner) if len(w) > 3} for q in quotes(text)]


def _count_key(key: str) -> str:
    """Counts compare without their noun, so "12 bombardiers" and "douze avions" meet."""
    return ":".join(key.split(":")[:3]) if key.startswith("num:count:") else key


class FactGate:
    """Per passage, its specifics, distinctive terms and quotes; per story, the common ones."""

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

    def distinctive_shared(self, a: int, b: int) -> set[str]:
        """The distinctive terms of the story both passages use."""
        story = self.story_of.get(self.passages[a].citation.source, "")
        return self.terms.get(a, set()) & self.terms.get(b, set()) & self.distinctive.get(story, set())

    def quote_shared(self, a: int, b: int) -> bool:
        """A quote of one passage whose words the other's quote mostly repeats."""
        for words_a in self.quote_words.get(a, []):
            for words_b in self.quote_words.get(b, []):
                small, large = sorted((words_a, words_b), key=len)
                if small and sum(any(same_name(w, o) for o in large) for w in small) >= 0.5 * len(small):
                    return True
        return False
