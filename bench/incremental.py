"""Incremental index builds on the PIAF corpus against a full build, model loading included.

On a copy of the 191 PIAF articles (``../shared/eval/piaf/seeds``), each step is one
``qa index`` process, timed from its start to its exit (imports and model loading
included):

1. ``qa index --full`` of 189 articles (two held back);
2. add one ``.txt`` article (a held-back one);
3. add a saved ``.html`` news page (the other held-back article inside a page with a menu,
   a cookie banner, a "Lire aussi" block, a footer, ``og:site_name``,
   ``article:published_time`` and a canonical link);
4. delete an article;
5. ``qa index --full`` of the same files into a second index folder.

Then, in this process, the answers of the two indexes to the development questions are
compared (same passages, same citations, scores within 1e-4), and the page's citations
are checked: outlet, date and URL, and they slice the text ``/api/sources`` serves.

Usage::

    .venv/bin/python bench/incremental.py [--model bundled] [--questions 200] [--articles N] [--news]

With ``--news`` the news set's feed (19 stories told by 5 to 13 outlets) is indexed too, so
that the steps, which touch no story, hand every story's links back (``stories_reused``).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, header, machine, write_result  # noqa: E402

# shared/ sits beside the clone (CI), or two levels up from a worktree under wt/.
PIAF = next((p for p in (ROOT.parent / "shared" / "eval" / "piaf", ROOT.parent.parent / "shared" / "eval" / "piaf") if p.is_dir()), ROOT.parent / "shared" / "eval" / "piaf")
HELD_TXT = "piaf_190.txt"
HELD_HTML = "piaf_189.txt"
REMOVED = "piaf_000.txt"


def news_page(text: str) -> str:
    """A saved news page around an article's paragraphs, with the usual furniture."""
    lines = [line for line in text.splitlines() if line.strip()]
    title, paragraphs = lines[0], lines[1:]
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>{html.escape(title)} | Exemple Info</title>
<meta property="og:site_name" content="Exemple Info"><meta property="og:title" content="{html.escape(title)}">
<meta property="article:published_time" content="2025-07-15T08:30:00+02:00">
<link rel="canonical" href="https://exemple.info/2025/07/15/article">
<style>nav {{ display: flex }}</style><script>var analytics = "tracker";</script></head>
<body><header><nav><ul><li><a href="/">Accueil</a></li><li><a href="/monde">Monde</a></li>
<li><a href="/culture">Culture</a></li></ul></nav></header>
<div class="cookie-banner">Nous utilisons des cookies pour mesurer l'audience. Accepter</div>
<main><article><h1>{html.escape(title)}</h1>
{body}
<aside class="related"><h3>Lire aussi</h3><ul><li><a href="/x">Un autre article</a></li></ul></aside>
</article></main><footer>© 2025 Exemple Info. Mentions légales. Contact.</footer></body></html>
"""


NEWS_FEED = ROOT / "tests" / "data" / "news" / "corpus" / "articles.jsonl"


def run_index(seeds: Path, index: Path, model: str, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "QA_SEEDS_DIR": str(seeds), "QA_INDEX_DIR": str(index), "QA_MODEL": model, "QA_RATELIMIT": ""}
    started = time.perf_counter()
    result = subprocess.run(
        [PYTHON, "-m", "qa", "index", "--quiet", *extra], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"qa index failed:\n{result.stderr[-3000:]}")
    manifest = json.loads((index / "current" / "manifest.json").read_text())
    return {
        "seconds": round(seconds, 2),
        "build_seconds": manifest["build_seconds"],
        "passages": manifest["passages"],
        "articles": manifest["articles"],
        "incremental": manifest["incremental"],
        "alignment_seconds": manifest["alignment"]["seconds"],
        "stories_aligned": manifest["alignment"].get("stories_aligned"),
        "stories_reused": manifest["alignment"].get("stories_reused"),
        "load_1m": machine()["load_avg_1m"],
    }


def compare_answers(seeds: Path, incremental: Path, full: Path, model: str, count: int) -> dict[str, Any]:
    from qa.embedding.embedder import make_embedder
    from qa.index.load import load_index
    from qa.search import ask

    embedder = make_embedder(model)
    a, b = load_index(incremental), load_index(full)
    questions = [json.loads(line)["question"] for line in (PIAF / "questions-dev.jsonl").read_text().splitlines()[:count]]
    same = 0
    for question in questions:
        x, y = ask(a, embedder, question, k=5), ask(b, embedder, question, k=5)
        if x.answered == y.answered and [h.passage for h in x.hits] == [h.passage for h in y.hits] and all(
            abs(h.score - g.score) <= 1e-4 for h, g in zip(x.hits, y.hits)
        ):
            same += 1
    page = [p for p in a.passages if p.citation.source == "article.html"]
    text = a.articles["article.html"].text
    return {
        "questions": len(questions),
        "same_answers": same,
        "same_passages": [p.to_dict() for p in a.passages] == [p.to_dict() for p in b.passages],
        "page_passages": len(page),
        "page_citations_ok": all(
            text[p.citation.start : p.citation.end] == p.text
            and (p.citation.outlet, p.citation.published, p.citation.url)
            == ("Exemple Info", "2025-07-15", "https://exemple.info/2025/07/15/article")
            for p in page
        ),
        "page_text_clean": not any(w in text for w in ("Accueil", "cookies", "Lire aussi", "Mentions légales", "tracker")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("MODEL") or os.environ.get("QA_MODEL") or "bundled")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--articles", type=int, default=0, help="Use only this many PIAF articles (0: all 191).")
    parser.add_argument(
        "--news", action="store_true",
        help="also index the news set's feed (tests/data/news/corpus/articles.jsonl: 19 stories), so that the "
        "incremental steps have stories to hand back",
    )
    args = parser.parse_args()
    header("incremental builds on PIAF")
    work = Path(tempfile.mkdtemp(prefix="qa-incremental-bench-"))
    try:
        seeds = work / "seeds"
        shutil.copytree(PIAF / "seeds", seeds)
        if args.articles:
            keep = {REMOVED, HELD_TXT, HELD_HTML} | {p.name for p in sorted(seeds.glob("*.txt"))[: args.articles]}
            for path in seeds.glob("*.txt"):
                if path.name not in keep:
                    path.unlink()
        if args.news:
            shutil.copy(NEWS_FEED, seeds / NEWS_FEED.name)
        held_txt = (seeds / HELD_TXT).read_bytes()
        held_html = (seeds / HELD_HTML).read_text(encoding="utf-8")
        (seeds / HELD_TXT).unlink()
        (seeds / HELD_HTML).unlink()
        steps: dict[str, Any] = {}
        steps["full build"] = run_index(seeds, work / "index", args.model, "--full")
        print("full build", steps["full build"], flush=True)
        (seeds / "article.txt").write_bytes(held_txt)
        steps["add a .txt"] = run_index(seeds, work / "index", args.model)
        print("add a .txt", steps["add a .txt"], flush=True)
        (seeds / "article.html").write_text(news_page(held_html), encoding="utf-8")
        steps["add an .html page"] = run_index(seeds, work / "index", args.model)
        print("add an .html page", steps["add an .html page"], flush=True)
        (seeds / REMOVED).unlink()
        steps["remove an article"] = run_index(seeds, work / "index", args.model)
        print("remove an article", steps["remove an article"], flush=True)
        steps["full build, same files"] = run_index(seeds, work / "full", args.model, "--full")
        print("full build, same files", steps["full build, same files"], flush=True)
        full = steps["full build"]["seconds"]
        ratios = {name: round(step["seconds"] / full, 3) for name, step in steps.items()}
        comparison = compare_answers(seeds, work / "index", work / "full", args.model, args.questions)
        result = {"model": args.model, "steps": steps, "ratio_to_full": ratios, "comparison": comparison, "machine_end": machine()}
        print(json.dumps({"ratio_to_full": ratios, "comparison": comparison}, indent=2))
        print(f"saved {write_result('incremental', result)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
