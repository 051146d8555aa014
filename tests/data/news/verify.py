"""Check the news set: every quote of gold.json is an exact substring of its article.

The articles are read as the index reads them (``qa.ingest.formats.read_source`` on the
feed), so a quote that passes here is a span a citation can point to. Also checks that
every article of the feed is in a story or a distractor, and each story's shape (at
least 3 outlets and 4 facts, each fact quoted in at least 2 articles).

    .venv/bin/python tests/data/news/verify.py      # prints the counts, exits 1 on a problem
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from qa.corroboration.evaluation import NewsGold, quote_problems, read_gold  # noqa: E402
from qa.ingest.formats import read_source  # noqa: E402

HERE = Path(__file__).resolve().parent
FEED = HERE / "corpus" / "articles.jsonl"


def problems(gold: NewsGold, texts: dict[str, str], outlets: dict[str, str]) -> list[str]:
    found = quote_problems(gold, texts)
    for story in gold.stories:
        if len({outlets.get(gold.source(a)) for a in story.articles}) < 3:
            found.append(f"{story.id}: fewer than 3 outlets")
        if len(story.facts) < 4:
            found.append(f"{story.id}: fewer than 4 facts")
        found.extend(f"{f.id}: quoted in fewer than 2 articles" for f in story.facts if len({q.article for q in f.quotes}) < 2)
    shared = {}
    for article, event in gold.distractor_events.items():
        shared.setdefault(event, []).append(article)
    found.extend(f"event {event}: one distractor alone" for event, members in shared.items() if len(members) < 2)
    listed = {gold.source(a) for a in gold.articles}
    found.extend(f"{s}: in no story and no distractor" for s in sorted(set(texts) - listed))
    found.extend(f"{s}: not in the feed" for s in sorted(listed - set(texts)))
    return found


def main() -> int:
    parsed = read_source(FEED.name, FEED.read_bytes())
    texts = {e.article.source: e.article.text for e in parsed.entries}
    outlets = {e.article.source: e.article.outlet or "" for e in parsed.entries}
    gold = read_gold(HERE / "gold.json", feed=FEED.name)
    found = problems(gold, texts, outlets) + [f"feed line skipped: {k}: {v}" for k, v in parsed.skipped.items()]
    print(f"{len(gold.stories)} stories, {len(gold.distractors)} distractors, {len(texts)} articles, "
          f"{sum(len(s.facts) for s in gold.stories)} facts, {sum(len(s.differences) for s in gold.stories)} differences")
    print("\n".join(found) or "every quote is an exact substring of its article")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
