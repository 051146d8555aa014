"""Article formats: .txt/.md with front matter, saved .html pages, .jsonl feeds, bad files.

For every format the citations slice the canonical text that ``/api/sources`` serves,
and carry the article's outlet, date and URL (or null). Bad files are logged, skipped,
and reported by ``/healthz``; the rest builds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qa import create_app
from qa.ingest.corpus import read_corpus
from qa.ingest.formats import FormatError, iso_published, read_feed, read_html, read_text, web_url
from support.app import make_config
from support.asserts import assert_error
from support.cli import cli_runner

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Des missiles Tomahawk pour Kiev ? | Exemple Info</title>
<meta property="og:site_name" content="Exemple Info">
<meta property="og:title" content="Des missiles Tomahawk pour Kiev ?">
<meta property="article:published_time" content="2025-07-15T08:30:00+02:00">
<meta name="author" content="Marie Dupont">
<link rel="canonical" href="https://exemple.info/monde/2025/07/15/tomahawk-kiev">
<style>.menu { color: red } body { font-family: serif }</style>
<script>window.tracking = "SCRIPTMARKER"; console.log("SCRIPTMARKER");</script>
</head><body>
<header><nav class="menu"><ul><li><a href="/">Accueil</a></li><li><a href="/monde">MENUMARKER Monde</a></li>
<li><a href="/economie">Économie</a></li><li><a href="/culture">Culture</a></li></ul></nav></header>
<div id="cookie-consent" class="cookie-banner"><p>COOKIEMARKER Nous utilisons des cookies pour mesurer l'audience
et personnaliser les contenus. Vous pouvez accepter ou refuser.</p><button>Accepter</button></div>
<main><article>
<h1>Des missiles Tomahawk pour Kiev ?</h1>
<p class="byline">Par Marie Dupont, publié le 15 juillet 2025</p>
<p>Le président américain a évoqué mardi la possibilité de livrer des missiles Tomahawk à l'Ukraine, d'une portée
de 2 500 kilomètres, selon plusieurs sources proches du dossier citées par la presse américaine.</p>
<p>Ces missiles de croisière permettraient à Kiev de frapper des cibles situées loin derrière la ligne de front,
y compris à Moscou, ce que le Kremlin considère comme une escalade majeure du conflit.</p>
<aside class="related"><h2>Lire aussi</h2><ul><li><a href="/a">RELATEDMARKER Les Atacms déjà utilisés</a></li></ul></aside>
<p><strong>Lire aussi :</strong> <a href="/b">RELATEDMARKER Ce que l'on sait des frappes en profondeur</a></p>
<p>Le secrétaire général de l'Otan a salué une décision « qui renforce la dissuasion », tout en rappelant que
la décision finale revenait à Washington et à ses alliés européens, qui restent divisés sur la question.</p>
</article></main>
<footer><p>FOOTERMARKER © 2025 Exemple Info. Tous droits réservés. Mentions légales. Contact. Plan du site.</p></footer>
</body></html>
"""

MARKERS = ("SCRIPTMARKER", "MENUMARKER", "COOKIEMARKER", "RELATEDMARKER", "FOOTERMARKER", "font-family")


def test_html_page_gives_main_text_and_metadata_without_boilerplate():
    parsed = read_html("page.html", PAGE.encode())
    (entry,) = parsed.entries
    article = entry.article
    assert article.title == "Des missiles Tomahawk pour Kiev ?"
    assert article.outlet == "Exemple Info"
    assert article.published == "2025-07-15"
    assert article.url == "https://exemple.info/monde/2025/07/15/tomahawk-kiev"
    assert article.author == "Marie Dupont"
    assert "portée de 2 500 kilomètres" in " ".join(article.text.split())
    assert "renforce la dissuasion" in article.text
    for marker in MARKERS:
        assert marker not in article.text, marker
    assert "Lire aussi" not in article.text


def test_html_without_article_text_is_refused():
    with pytest.raises(FormatError, match="no article text"):
        read_html("empty.html", b"<html><head><title>Rien</title></head><body><nav><a href='/'>Accueil</a></nav></body></html>")


def test_front_matter_sets_metadata_and_is_not_text():
    data = (
        "---\ntitle: Un titre choisi\noutlet: Le Journal\npublished: 2025-07-15\n"
        "url: https://journal.example/a\nauthor: [Ana, Bo]\n---\nTitre dans le texte\n\nUn paragraphe.\n"
    ).encode()
    article = read_text("a.md", data).entries[0].article
    assert article.text == "Titre dans le texte\n\nUn paragraphe.\n"
    assert (article.title, article.outlet, article.published, article.url, article.author) == (
        "Un titre choisi", "Le Journal", "2025-07-15", "https://journal.example/a", "Ana, Bo",
    )
    plain = read_text("b.txt", "Titre\n---\nTexte.\n".encode()).entries[0].article
    assert plain.text == "Titre\n---\nTexte.\n" and plain.outlet is None  # a rule, not a front matter
    with pytest.raises(FormatError, match="front matter"):
        read_text("c.txt", b"---\ntitle: [unclosed\n---\nTexte.\n")


def test_metadata_values_are_normalised_or_dropped():
    assert iso_published("2025-07-15T08:30:00Z") == "2025-07-15T08:30:00+00:00"
    assert iso_published("Tue, 15 Jul 2025 08:30:00 +0200") == "2025-07-15T08:30:00+02:00"
    assert iso_published("hier soir") is None
    assert web_url("javascript:alert(1)") is None and web_url("/relative") is None
    assert web_url("https://a.example/x?y=1") == "https://a.example/x?y=1"


def test_feed_lines_are_articles_and_bad_lines_are_skipped():
    lines = [
        json.dumps({"id": "a1", "title": "Premier", "text": "Premier\nUn texte.", "outlet": "Fil", "published": "2025-07-15"}),
        "[1, 2, 3]",
        "{not json",
        json.dumps({"id": 7, "text": "Sept\nUn autre texte.", "url": "https://fil.example/7"}),
        json.dumps({"id": "a1", "text": "doublon"}),
        json.dumps({"title": "sans id", "text": "x"}),
        json.dumps({"id": "vide", "text": "  "}),
    ]
    parsed = read_feed("fil.jsonl", "\n".join(lines).encode())
    assert [e.article.source for e in parsed.entries] == ["fil.jsonl#a1", "fil.jsonl#7"]
    assert parsed.entries[0].article.outlet == "Fil" and parsed.entries[1].article.url == "https://fil.example/7"
    assert parsed.entries[1].article.title == "Sept"
    assert set(parsed.skipped) == {"fil.jsonl:2", "fil.jsonl:3", "fil.jsonl:5", "fil.jsonl:6", "fil.jsonl:7"}
    assert "not a JSON object" in parsed.skipped["fil.jsonl:2"]


def test_corpus_hashes_the_bytes_it_read_and_skips_bad_files(tmp_path, caplog):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "good.txt").write_text("Titre\nUn paragraphe.\n")
    (seeds / "latin1.txt").write_bytes("Titre\nÉté\n".encode("latin-1"))
    (seeds / "empty.html").write_text("<html><body><nav>Menu</nav></body></html>")
    (seeds / ".hidden.txt").write_text("ignored")
    (seeds / "notes.pdf").write_bytes(b"%PDF")
    with caplog.at_level("WARNING"):
        corpus = read_corpus(seeds)
    assert [a.source for a in corpus.articles] == ["good.txt"]
    assert set(corpus.hashes) == {"good.txt", "latin1.txt", "empty.html"}
    assert "UnicodeDecodeError" in corpus.skipped["latin1.txt"] and "no article text" in corpus.skipped["empty.html"]
    assert "skipping article latin1.txt" in caplog.text


@pytest.fixture
def mixed_app(tmp_path):
    app = create_app(make_config(tmp_path))
    seeds = Path(app.config["SEEDS_DIR"])
    (seeds / "page.html").write_text(PAGE, encoding="utf-8")
    (seeds / "note.md").write_text(
        "---\noutlet: Le Journal\npublished: 2025-07-16T10:00:00+02:00\n---\nLes Tomahawk en débat\n\n"
        "Le Congrès américain débat de la livraison de missiles Tomahawk, d'une portée de 2 500 kilomètres, à l'Ukraine.\n",
        encoding="utf-8",
    )
    (seeds / "fil.jsonl").write_text(
        json.dumps({"id": "f1", "title": "Dépêche", "text": "Dépêche\nMoscou dénonce une escalade après l'annonce sur les missiles Tomahawk et promet une riposte.", "outlet": "Fil Info", "published": "2025-07-17", "url": "https://fil.example/f1"}, ensure_ascii=False)
        + "\n[\"pas un objet\"]\n",
        encoding="utf-8",
    )
    (seeds / "bad.txt").write_bytes(b"Titre\n\xff\xfe pas de l'UTF-8\n")
    unreadable = seeds / "locked.txt"
    unreadable.write_text("Titre\nTexte.\n")
    unreadable.chmod(0)
    yield app
    unreadable.chmod(0o644)


def test_every_format_is_cited_exactly_and_served_with_its_metadata(mixed_app):
    client = mixed_app.test_client()
    body = client.post("/api/ask", json={"question": "Quelle est la portée des missiles Tomahawk ?", "k": 20}).get_json()
    seen = set()
    for passage in body["passages"]:
        citation = passage["citation"]
        article = client.get(f"/api/sources/{citation['source'].replace('#', '%23')}").get_json()
        assert article["text"][citation["start"] : citation["end"]] == passage["text"]
        for key in ("outlet", "published", "url"):
            assert citation[key] == article[key]
        seen.add(citation["source"])
    assert {"page.html", "note.md", "fil.jsonl#f1"} <= seen
    page = client.get("/api/sources/page.html").get_json()
    assert (page["outlet"], page["published"], page["url"]) == (
        "Exemple Info", "2025-07-15", "https://exemple.info/monde/2025/07/15/tomahawk-kiev",
    )
    for marker in MARKERS:
        assert marker not in page["text"]
    note = client.get("/api/sources/note.md").get_json()
    assert note["text"].startswith("Les Tomahawk en débat") and note["published"] == "2025-07-16T10:00:00+02:00"
    assert note["url"] is None
    listed = {item["source"]: item for item in client.get("/api/sources").get_json()["sources"]}
    assert listed["fil.jsonl#f1"]["outlet"] == "Fil Info"
    assert listed["000_49f69a7d4a642e90.txt"]["outlet"] is None


def test_healthz_reports_what_was_skipped_and_why(mixed_app):
    health = mixed_app.test_client().get("/healthz").get_json()
    skipped = health["skipped"]
    assert "bad.txt" in skipped["files"] and "UnicodeDecodeError" in skipped["files"]["bad.txt"]
    assert "fil.jsonl:2" in skipped["files"] and "not a JSON object" in skipped["files"]["fil.jsonl:2"]
    assert skipped["count"] == len(skipped["files"])
    if os.geteuid() != 0:
        assert "PermissionError" in skipped["files"]["locked.txt"]


def test_unknown_or_odd_source_names_are_json_404(mixed_app):
    client = mixed_app.test_client()
    for name in ("nope.txt", "fil.jsonl%23zz", "..%2F..%2Fetc%2Fpasswd", "page.html%00"):
        assert_error(client.get(f"/api/sources/{name}"), 404, "unknown_source")


def test_qa_sources_lists_and_prints_articles_as_the_api_does(mixed_app):
    runner = cli_runner(mixed_app)
    client = mixed_app.test_client()
    listing = runner.invoke(args=["sources"])
    assert listing.exit_code == 0, listing.output
    assert "page.html\tDes missiles Tomahawk pour Kiev ?\tExemple Info · 2025-07-15 · https://exemple.info/" in listing.output
    as_json = runner.invoke(args=["sources", "--json"])
    assert json.loads(as_json.output) == client.get("/api/sources").get_json()
    one = runner.invoke(args=["sources", "--json", "fil.jsonl#f1"])
    assert json.loads(one.output) == client.get("/api/sources/fil.jsonl%23f1").get_json()
    text = runner.invoke(args=["sources", "page.html"])
    assert "Exemple Info · 2025-07-15" in text.output and client.get("/api/sources/page.html").get_json()["text"] in text.output
    missing = runner.invoke(args=["sources", "nope.txt"])
    assert missing.exit_code != 0 and "no article named 'nope.txt'" in missing.output


def test_qa_ask_shows_outlet_date_and_url(mixed_app):
    result = cli_runner(mixed_app).invoke(args=["ask", "Moscou dénonce une escalade, promet une riposte", "-k", "3"])
    assert result.exit_code == 0, result.output
    assert "Fil Info · 2025-07-17 · https://fil.example/f1" in result.output
