"""How scored pairs of articles become stories: linked groups, then average linkage.

A pair whose probability (the story decision's) reaches the decision's threshold links
its two articles, and the connected groups of linked articles are the first stories. A
story told by four outlets often has one report whose best link falls just short of the
threshold, yet that report is scored fairly high against *every* member. So groups are
then merged by average linkage: two groups merge when the mean probability over all
their cross pairs reaches ``merge_threshold``, a pair that was never a candidate
counting as 0, and one of them is already a story (two lone articles need a link). A near-topic article (the same person in another event) is close to one
or two members, rarely to all of them, so its mean stays low.

The merge is greedy, best mean first, as in agglomerative clustering; each merge updates
only the sums of the merged groups' neighbours, so the cost grows with the candidate
pairs, not with the square of the articles. Pure: no I/O.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence


def linked_groups(sources: Sequence[str], linked: Sequence[tuple[float, str, str]]) -> list[list[str]]:
    """Connected groups (of at least two) of the articles that ``linked`` pairs join."""
    group = {source: source for source in sources}
    members = {source: {source} for source in sources}
    for _, a, b in sorted(linked, key=lambda item: (-item[0], item[1], item[2])):
        ga, gb = group[a], group[b]
        if ga == gb:
            continue
        small, large = sorted((ga, gb), key=lambda g: len(members[g]))
        for x in members[small]:
            group[x] = large
        members[large] |= members.pop(small)
    return [sorted(m) for m in members.values() if len(m) > 1]


def story_groups(
    sources: Sequence[str],
    probabilities: Mapping[tuple[str, str], float],
    threshold: float,
    merge_threshold: float | None,
) -> list[list[str]]:
    """The stories of ``sources``: groups linked by pairs at ``threshold``, then merged by
    average linkage at ``merge_threshold`` (``None``: no merging).

    ``probabilities`` holds every scored (candidate) pair; any other pair counts as 0.
    """
    linked = [(p, a, b) for (a, b), p in probabilities.items() if p >= threshold]
    groups = linked_groups(sources, linked)
    if merge_threshold is None:
        return groups
    grouped = {m for g in groups for m in g}
    members: dict[int, list[str]] = dict(enumerate(groups))
    members.update({len(groups) + i: [s] for i, s in enumerate(sorted(set(sources) - grouped))})
    group_of = {m: g for g, found in members.items() for m in found}
    sums: dict[int, dict[int, float]] = {g: {} for g in members}
    for (a, b), p in probabilities.items():
        ga, gb = group_of.get(a), group_of.get(b)
        if ga is None or gb is None or ga == gb or p <= 0:
            continue
        sums[ga][gb] = sums[ga].get(gb, 0.0) + p
        sums[gb][ga] = sums[gb].get(ga, 0.0) + p

    def mean(g: int, h: int) -> float:
        return sums[g][h] / (len(members[g]) * len(members[h]))

    # Two lone articles merge only through a link: averaging one pair is no evidence beyond it.
    heap = [(-mean(g, h), g, h) for g in sums for h in sums[g] if g < h and len(members[g]) + len(members[h]) > 2]
    heapq.heapify(heap)
    while heap:
        negative, g, h = heapq.heappop(heap)
        if -negative < merge_threshold:
            break
        if g not in members or h not in members or h not in sums[g] or abs(mean(g, h) + negative) > 1e-12:
            continue  # a stale entry: one side was merged since
        members[g] += members.pop(h)
        for k, total in sums.pop(h).items():
            if k == g:
                continue
            sums[k].pop(h)
            sums[g][k] = sums[g].get(k, 0.0) + total
            sums[k][g] = sums[g][k]
        sums[g].pop(h, None)
        for k in sums[g]:
            heapq.heappush(heap, (-mean(g, k), min(g, k), max(g, k)))
    return [sorted(found) for found in members.values() if len(found) > 1]
