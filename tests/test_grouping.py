"""Story grouping from scored pairs: links, then average linkage (pure, no model)."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from qa.corroboration.grouping import linked_groups, story_groups


def _all_pairs(members: list[str], probability: float) -> dict[tuple[str, str], float]:
    return {(a, b): probability for a, b in combinations(members, 2)}


def test_links_make_connected_groups():
    groups = linked_groups("abcde", [(0.99, "a", "b"), (0.97, "b", "c"), (0.96, "d", "e")])
    assert sorted(groups) == [["a", "b", "c"], ["d", "e"]]


def test_a_report_close_to_every_member_joins_the_story():
    probabilities = _all_pairs(["a", "b", "c"], 0.99)
    probabilities.update({("a", "d"): 0.9, ("b", "d"): 0.85, ("c", "d"): 0.8})
    assert story_groups("abcd", probabilities, 0.95, None) == [["a", "b", "c"]]
    assert story_groups("abcd", probabilities, 0.95, 0.7) == [["a", "b", "c", "d"]]


def test_an_article_close_to_one_member_only_stays_out():
    probabilities = _all_pairs(["a", "b", "c"], 0.99)
    probabilities[("c", "x")] = 0.94  # the same person in another event: close to one report
    assert story_groups("abcx", probabilities, 0.95, 0.7) == [["a", "b", "c"]]


def test_two_lone_articles_need_a_link():
    assert story_groups("xy", {("x", "y"): 0.9}, 0.95, 0.7) == []
    assert story_groups("xy", {("x", "y"): 0.96}, 0.95, 0.7) == [["x", "y"]]


def test_two_stories_merge_only_when_their_cross_pairs_are_high_on_average():
    probabilities = _all_pairs(["a", "b"], 0.99) | _all_pairs(["c", "d"], 0.99)
    probabilities.update({("a", "c"): 0.9, ("b", "d"): 0.9})  # 2 of 4 cross pairs: mean 0.45
    assert story_groups("abcd", probabilities, 0.95, 0.7) == [["a", "b"], ["c", "d"]]
    probabilities.update({("a", "d"): 0.8, ("b", "c"): 0.8})  # mean 0.85
    assert story_groups("abcd", probabilities, 0.95, 0.7) == [["a", "b", "c", "d"]]


@given(st.dictionaries(st.tuples(st.sampled_from("abcdefg"), st.sampled_from("abcdefg")).filter(lambda p: p[0] < p[1]),
                       st.floats(0.0, 1.0), max_size=21),
       st.floats(0.5, 1.0), st.floats(0.3, 1.0))
def test_groups_partition_the_articles_and_keep_every_link(probabilities, threshold, merge):
    groups = story_groups("abcdefg", probabilities, threshold, merge)
    members = [m for g in groups for m in g]
    assert len(members) == len(set(members)) and all(len(g) > 1 for g in groups)
    group_of = {m: i for i, g in enumerate(groups) for m in g}
    for (a, b), p in probabilities.items():
        if p >= threshold:
            assert a in group_of and group_of[a] == group_of.get(b)
    unmerged = story_groups("abcdefg", probabilities, threshold, None)
    for g in unmerged:  # merging only ever joins whole groups
        assert len({group_of[m] for m in g}) == 1
