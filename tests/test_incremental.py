"""Incremental builds equal full builds of the same files, through any sequence of changes.

A Hypothesis state machine adds, edits and removes articles (plain text, front matter,
saved pages, feed lines) and, at any point, builds incrementally into one index folder
and from scratch (``full``) into another, then compares them: passages and citations,
articles, vectors, sentences and their vectors, BM25 statistics, alignment, and answers.
It uses the fast ``hashing`` embedder; one test does the same with the real model.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from qa.embedding.embedder import HashingEmbedder
from qa.index.build import BuildContext, build_index
from qa.index.layout import IndexProblem
from qa.index.load import LoadedIndex, load_index
from qa.search import ask
from qa.text.paragraphs import paragraph_lines
from support.paths import SEEDS

QUESTIONS = ["Quelle est la portée des missiles Tomahawk ?", "Que demande Trump à Zelensky ?", "Moscou"]


def _seed_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        paragraphs.extend(text[line.start : line.end] for line in paragraph_lines(text)[1:])
    return [p for p in paragraphs if len(p.split()) >= 12]


PARAGRAPHS = _seed_paragraphs()
TITLES = ["Trump et Zelensky", "Les missiles Tomahawk", "La guerre en Ukraine", "Washington et Kiev", "Un sommet"]
FORMATS = ["txt", "md", "html", "feed"]


def article_text(title: str, paragraphs: list[str]) -> str:
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def html_page(title: str, paragraphs: list[str], outlet: str) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title} - {outlet}</title>
<meta property="og:site_name" content="{outlet}"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="2025-07-15T08:30:00+02:00">
<link rel="canonical" href="https://exemple.info/{abs(hash(title)) % 1000}"></head>
<body><nav><ul><li><a href="/">Accueil</a></li><li><a href="/monde">Monde</a></li></ul></nav>
<div class="cookie-banner">Nous utilisons des cookies. Accepter</div>
<article><h1>{title}</h1>{body}</article><footer>© 2025 {outlet}. Mentions légales.</footer></body></html>"""


def assert_same_index(inc: LoadedIndex, full: LoadedIndex, embedder) -> None:
    assert [p.to_dict() for p in inc.passages] == [p.to_dict() for p in full.passages]
    assert {s: a.to_dict() for s, a in inc.articles.items()} == {s: a.to_dict() for s, a in full.articles.items()}
    assert inc.manifest["sources"] == full.manifest["sources"]
    assert inc.manifest["skipped"] == full.manifest["skipped"]
    ids = np.arange(len(full.passages))
    np.testing.assert_allclose(inc.store.vectors(ids), full.store.vectors(ids), atol=1e-5)
    np.testing.assert_array_equal(inc.sentence_spans, full.sentence_spans)
    np.testing.assert_array_equal(inc.sentence_offsets, full.sentence_offsets)
    if full.sentence_vectors is None:
        assert inc.sentence_vectors is None
    else:
        np.testing.assert_allclose(
            np.asarray(inc.sentence_vectors, dtype=np.float32), np.asarray(full.sentence_vectors, dtype=np.float32), atol=2e-3
        )
    assert inc.lexical.describe() == full.lexical.describe()
    words = sorted({w for p in full.passages[:20] for w in p.text.split()[:3]})
    for query in QUESTIONS + words[:10]:
        a, b = inc.lexical.score(query), full.lexical.score(query)
        np.testing.assert_allclose(a.bm25, b.bm25, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(a.coverage, b.coverage, rtol=1e-6, atol=1e-6)
    assert inc.alignment.to_dict() == full.alignment.to_dict()
    assert inc.stories.to_dict() == full.stories.to_dict()
    for question in QUESTIONS:
        x, y = ask(inc, embedder, question, k=5), ask(full, embedder, question, k=5)
        assert x.answered == y.answered
        assert [(h.passage, h.highlight) for h in x.hits] == [(h.passage, h.highlight) for h in y.hits]
        assert [h.score for h in x.hits] == pytest.approx([h.score for h in y.hits], abs=1e-4)


class IncrementalBuilds(RuleBasedStateMachine):
    """Random edits of a seeds folder; an incremental build always equals a full one."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="qa-incremental-"))
        self.seeds = self.tmp / "seeds"
        self.seeds.mkdir()
        for path in SEEDS.glob("*.txt"):
            shutil.copy(path, self.seeds / path.name)
        self.embedder = HashingEmbedder()
        self.feed: dict[str, dict] = {}
        self.counter = 0
        self.built = False
        self.previous_digests: dict[str, str] = {}

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def articles(self) -> list[Path]:
        return sorted(p for p in self.seeds.iterdir() if p.suffix in (".txt", ".md", ".html"))

    def _write_feed(self) -> None:
        path = self.seeds / "feed.jsonl"
        if not self.feed:
            path.unlink(missing_ok=True)
            return
        lines = [json.dumps(record, ensure_ascii=False) for record in self.feed.values()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @rule(
        title=st.sampled_from(TITLES),
        paragraphs=st.lists(st.sampled_from(PARAGRAPHS), min_size=1, max_size=4, unique=True),
        kind=st.sampled_from(FORMATS),
    )
    def add(self, title: str, paragraphs: list[str], kind: str) -> None:
        self.counter += 1
        name = f"a{self.counter:03d}"
        if kind == "txt":
            (self.seeds / f"{name}.txt").write_text(article_text(title, paragraphs), encoding="utf-8")
        elif kind == "md":
            front = f"---\ntitle: {title}\noutlet: Exemple Info\npublished: 2025-07-{self.counter % 28 + 1:02d}\nurl: https://exemple.info/{name}\n---\n"
            (self.seeds / f"{name}.md").write_text(front + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        elif kind == "html":
            (self.seeds / f"{name}.html").write_text(html_page(title, paragraphs, "Le Quotidien"), encoding="utf-8")
        else:
            self.feed[name] = {"id": name, "title": title, "text": "\n".join(paragraphs), "outlet": "Fil Info"}
            self._write_feed()

    @precondition(lambda self: bool(self.articles()))
    @rule(data=st.data(), paragraph=st.sampled_from(PARAGRAPHS))
    def edit(self, data, paragraph: str) -> None:
        path = data.draw(st.sampled_from(self.articles()))
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            path.write_text(text.replace("</article>", f"<p>{paragraph}</p></article>"), encoding="utf-8")
        else:
            path.write_text(text + "\n" + paragraph + "\n", encoding="utf-8")

    @precondition(lambda self: bool(self.articles()))
    @rule(data=st.data())
    def remove(self, data) -> None:
        data.draw(st.sampled_from(self.articles())).unlink()

    @precondition(lambda self: bool(self.feed))
    @rule(data=st.data(), paragraph=st.sampled_from(PARAGRAPHS), drop=st.booleans())
    def change_feed_line(self, data, paragraph: str, drop: bool) -> None:
        key = data.draw(st.sampled_from(sorted(self.feed)))
        if drop:
            del self.feed[key]
        else:
            self.feed[key] = {**self.feed[key], "text": self.feed[key]["text"] + "\n" + paragraph}
        self._write_feed()

    @rule(full_first=st.booleans())
    def build(self, full_first: bool) -> None:
        incremental = BuildContext(self.seeds, self.tmp / "incremental", self.embedder)
        full = BuildContext(self.seeds, self.tmp / "full", self.embedder, full=True)
        if not any(p.suffix in (".txt", ".md", ".html", ".jsonl") for p in self.seeds.iterdir()):
            for context in (full, incremental):
                with pytest.raises(IndexProblem, match="no article to index"):
                    build_index(context)
            return
        for context in (full, incremental) if full_first else (incremental, full):
            build_index(context)
        inc, ref = load_index(self.tmp / "incremental"), load_index(self.tmp / "full")
        assert_same_index(inc, ref, self.embedder)
        # Only new or changed articles were split and embedded; the rest was reused.
        changed = {s for s, d in inc.digests.items() if self.previous_digests.get(s) != d}
        report = inc.manifest["incremental"]
        if self.built:
            assert report["articles_embedded"] == len(changed)
            assert report["articles_reused"] == len(inc.digests) - len(changed)
            assert report["articles_removed"] == len(set(self.previous_digests) - set(inc.digests))
            if not changed:
                assert report["texts_embedded"] == 0
        self.previous_digests = dict(inc.digests)
        self.built = True

    @invariant()
    def citations_slice(self) -> None:
        if self.built:
            index = load_index(self.tmp / "incremental")
            for passage in index.passages:
                c = passage.citation
                assert index.articles[c.source].text[c.start : c.end] == passage.text


IncrementalBuilds.TestCase.settings = settings(
    max_examples=12, stateful_step_count=8, deadline=None, suppress_health_check=list(HealthCheck)
)
TestIncrementalBuilds = IncrementalBuilds.TestCase


@pytest.mark.slow
def test_incremental_equals_full_with_the_real_model(tmp_path):
    """The real model: vectors of reused and newly embedded passages agree within float tolerance."""
    from qa.embedding.embedder import make_embedder

    embedder = make_embedder("bundled")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, seeds / path.name)
    build_index(BuildContext(seeds, tmp_path / "inc", embedder))
    (seeds / "new.txt").write_text(article_text("Les missiles Tomahawk", PARAGRAPHS[3:6]), encoding="utf-8")
    (seeds / "page.html").write_text(html_page("Trump et Zelensky", PARAGRAPHS[8:11], "Le Quotidien"), encoding="utf-8")
    sorted(seeds.glob("000_*.txt"))[0].unlink()
    build_index(BuildContext(seeds, tmp_path / "inc", embedder))
    build_index(BuildContext(seeds, tmp_path / "full", embedder, full=True))
    inc, full = load_index(tmp_path / "inc"), load_index(tmp_path / "full")
    assert inc.manifest["incremental"]["articles_reused"] == 1
    assert inc.manifest["incremental"]["articles_embedded"] == 2
    assert_same_index(inc, full, embedder)
