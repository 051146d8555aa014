"""Corroboration across sources: normalisation, difference rules, the gold set, the API.

* Pure tests on crafted strings for number, unit, date, name, quote and hedge handling.
* The gold set (tests/data/alignment_gold.jsonl) scored on the real bundled model (slow):
  precision counts every aligned pair of the two seed articles that the gold set does
  not mark ``same`` as a false positive (``ambiguous`` pairs are not counted either way).
* The stored alignment on the real seeds: every difference is one of the reviewed ones.
* The API and CLI: ``also_in``/``differences`` shape, and citations that slice exactly.
"""

from __future__ import annotations

import json

import pytest

from qa.corroboration import Alignment, FoundDifference, Link, alignment_problem
from qa.corroboration.mentions import hedges, quotes
from qa.corroboration.numbers import dates, dates_agree, parse_number_words, quantities, same_statement, same_value
from qa.index.layout import IndexProblem
from qa.index.load import load_index
from qa.index.publish import current_build
from qa.models import DIFFERENCE_KINDS, Span, verify_citation
from qa.text.names import names, same_name
from support.corroboration import compare_texts
from support.paths import DATA

GOLD = DATA / "alignment_gold.jsonl"
PRECISION_FLOOR = 0.95  # issue 13; measured 1.00 with e5 (docs/quality.md, "Stories and facts")
RECALL_FLOOR = 0.8  # issue 13; measured 0.82 with e5


# --------------------------------------------------------------------------- numbers, units, dates


@pytest.mark.parametrize(
    "words, value",
    [
        ("douze", 12), ("vingt et un", 21), ("dix-sept", 17), ("soixante-dix", 70), ("quatre-vingt", 80),
        ("quatre-vingt-dix", 90), ("cent cinquante", 150), ("deux mille", 2000), ("trois cents", 300),
    ],
)
def test_number_words(words, value):
    assert parse_number_words(words) == value


def only(text: str):
    found = quantities(text)
    assert len(found) == 1, found
    return found[0]


def test_number_words_and_digits_agree():
    digits, words = only("au moins 12 bombardiers"), only("au moins douze avions")
    assert (digits.value, digits.dimension) == (words.value, words.dimension) == (12, "count")


def test_units_are_normalised():
    assert only("1 600 km").value == only("environ 1 600 kilomètres").value == 1600
    assert only("300 km").dimension == only("186 miles").dimension == "distance"
    assert same_value(only("300 km").value, only("186 miles").value)
    assert only("24 heures").value == only("en un jour").value == 24
    assert not same_value(only("24 heures").value, only("une semaine").value)
    assert only("3,5 millions de dollars").value == 3_500_000


def test_years_articles_and_dates_are_not_quantities():
    assert quantities("En 2025, une attaque a eu lieu le 4 juillet.") == []


def test_quantity_spans_slice_the_text():
    text = "Une portée d'environ 1 600 kilomètres."
    (found,) = quantities(text, offset=100)
    assert ("x" * 100 + text)[found.span.start : found.span.end] == "environ 1 600 kilomètres"


@pytest.mark.parametrize(
    "text, value, bound, written",
    [
        ("Plus de 10.000 policiers ont été mobilisés.", 10_000, "over", "Plus de 10.000"),
        ("killing more than 40 people", 40, "over", "more than 40"),
        ("Au moins 115 blessés.", 115, "over", "Au moins 115"),
        ("Moins de 20 personnes.", 20, "under", "Moins de 20"),
        ("la mort de près de quarante personnes", 40, "nearly", "près de quarante"),
        ("evacuated nearly 10 days earlier", 240, "nearly", "nearly 10 days"),
        ("environ 115 blessés", 115, "about", "environ 115"),
        ("Une quarantaine de personnes ont perdu la vie.", 40, "about", "Une quarantaine"),
        ("Le groupe se composait d'une centaine de personnes.", 100, "about", "une centaine"),
        ("Plus d'une centaine de blessés.", 100, "over", "Plus d'une centaine"),
        ("12 blessés graves", 12, "", "12"),
    ],
)
def test_the_words_before_a_figure_bound_it(text, value, bound, written):
    found = only(text)
    assert (found.value, found.bound, text[found.span.start : found.span.end]) == (value, bound, written)


def test_a_figure_stated_about_agrees_but_not_one_stated_as_a_floor():
    assert same_statement(only("environ 115 blessés"), only("115 blessés"))
    assert same_statement(only("une quarantaine de morts"), only("près de quarante morts"))
    assert not same_statement(only("plus de 10 000 policiers"), only("10 000 policiers"))
    assert not same_statement(only("au moins 115 blessés"), only("environ 115 blessés"))
    assert not same_statement(only("une trentaine de blessés"), only("une vingtaine de blessés"))
    assert quantities("Ils ont été mis en quarantaine de force.") == []  # the isolation, not a figure


def test_dates_agree_on_the_fields_both_state():
    (full,) = dates("Le 4 juillet 2025, Trump a appelé.")
    (short,) = dates("l'appel du 4 juillet")
    (other,) = dates("l'appel du 5 juillet")
    (month,) = dates("début juin")
    (same_month,) = dates("En juin")
    assert dates_agree(full, short) and not dates_agree(full, other) and dates_agree(month, same_month)
    monday, tuesday = dates("lundi")[0], dates("mardi")[0]
    assert not dates_agree(monday, tuesday)


# --------------------------------------------------------------------------- names, quotes, hedges


def test_names_skip_sentence_starts_and_fold_spelling_variants():
    keys = [n.key for n in names("Selon Dmitri Peskov, l'OTAN a tort. Washington se tait.")]
    assert keys == ["dmitri", "peskov", "otan"]
    assert same_name("volodymyr", "volodymir") and same_name(names("à Kiev")[0].key, names("à Kyiv")[0].key)
    assert not same_name("peskov", "lavrov")


def test_quotes_in_guillemets_straight_quotes_and_direct_speech():
    text = 'Il a dit « leur faire payer la note » et "non", puis a demandé :\nVolodymyr, peux-tu frapper Moscou ?'
    found = [q.inner for q in quotes(text)]
    assert found == ["leur faire payer la note", "non", "Volodymyr, peux-tu frapper Moscou ?"]
    after_colon = quotes("Volodymyr, peux-tu frapper Moscou ?", line_before="il lui a posé une question :")
    assert [q.inner for q in after_colon] == ["Volodymyr, peux-tu frapper Moscou ?"]
    assert [q.inner for q in quotes("Volodymyr, peux-tu frapper Moscou ?", line_before="Il a appelé.")] == []


@pytest.mark.parametrize(
    "sentence, hedged",
    [
        ("Zelensky aurait répondu sans hésitation.", True),
        ("Ces modifications pourraient prévoir une première frappe.", True),
        ("Le Kremlin semble hésiter.", True),
        ("Zelensky a répondu sans hésitation.", False),
        ("Moscou se réserve le droit de frapper.", False),
        ("Il a demandé s'il pourrait attaquer Moscou.", False),  # an indirect question, not a hedge
        ("Washington reste inquiet : ces armes pourraient être utilisées.", False),  # what a fear verb governs
        ("Il a dit « nous pourrions frapper ».", False),  # the speaker's words, compared as a quote
        ("Le retrait est annoncé.", False),
    ],
)
def test_hedges(sentence, hedged):
    assert bool(hedges(sentence)) is hedged


# --------------------------------------------------------------------------- differences on crafted pairs


@pytest.mark.parametrize(
    "here, there",
    [
        ("Au moins 12 bombardiers ont été détruits début juin.", "Au moins douze avions ont été détruits en juin."),
        ("Les missiles Tomahawk ont une portée de 1 600 km.", "Les missiles Tomahawk ont une portée d'environ 1 600 kilomètres."),
        ("Il promettait de conclure un accord en 24 heures.", "Il avait promis de conclure un accord en un jour."),
        ("L'appel a eu lieu le 4 juillet 2025 entre les dirigeants.", "L'appel entre les dirigeants a eu lieu le 4 juillet."),
        ("Les Atacms ont une portée de 300 km.", "Les Atacms ont une portée allant jusqu'à 300 kilomètres (186 miles)."),
        ("Zelensky aurait répondu qu'il pouvait frapper.", "Zelensky aurait répondu qu'il pouvait frapper."),
        ("Le Kremlin a démenti, selon Vladimir Poutine.", "Le Kremlin a démenti, selon Poutine."),
        ("Il l'a qualifiée de « mauvaise ».", "Il l'a qualifié de « mauvais »."),
        ("Environ 115 blessés ont été recensés.", "115 blessés ont été recensés."),
        ("Une quarantaine de personnes ont péri dans l'incendie.", "Près de quarante personnes ont péri dans l'incendie."),
        ("Washington reste inquiet : ces armes pourraient être utilisées sans retenue.",
         "Washington s'inquiétait du manque de retenue dans l'usage de ces armes."),
    ],
)
def test_agreeing_wordings_are_not_differences(here, there):
    assert compare_texts(here, there) == []


@pytest.mark.parametrize(
    "here, there, expected",
    [
        ("Les missiles Tomahawk ont une portée de 1 600 km.", "Les missiles Tomahawk ont une portée de 2 500 kilomètres.",
         ("number", "1 600 km", "2 500 kilomètres")),
        ("Il promettait un accord en 24 heures.", "Il promettait un accord en une semaine.",
         ("number", "24 heures", "une semaine")),
        ("L'appel a eu lieu le 4 juillet 2025 entre les dirigeants.", "L'appel entre les dirigeants a eu lieu le 5 juillet.",
         ("date", "4 juillet 2025", "5 juillet")),
        ("Objectif : « Leur faire sentir la douleur », selon deux sources.",
         "Le but est de « leur faire payer la note », selon deux personnes.",
         ("quote", "« Leur faire sentir la douleur »", "« leur faire payer la note »")),
        ("Le Kremlin a démenti, selon Dmitri Peskov, toute négociation.",
         "Le Kremlin a démenti toute négociation, selon Sergueï Lavrov.",
         ("name", "Dmitri Peskov", "Sergueï Lavrov")),
        ("Moscou se réserve le droit de lancer une première frappe nucléaire contre l'OTAN.",
         "Ces modifications pourraient prévoir une première frappe nucléaire contre l'OTAN.",
         ("hedge", "Moscou se réserve le droit de lancer", "pourraient prévoir")),
        # In a list, each figure's place follows it: 36 000 is Toulouse's, not the Interior's.
        ("Selon l'Intérieur, 36.000 personnes ont défilé à Toulouse, 26.000 à Marseille.",
         "Selon l'Intérieur, 30.000 personnes ont défilé à Toulouse, 26.000 à Marseille.",
         ("number", "36.000", "30.000")),
        # The one percentage of each side that no name claims (Hayer's 14,5 % is another's).
        ("Le RN l'a emporté avec 31,5% des voix, devant la liste de Valérie Hayer avec 14,5%.",
         "Le RN l'a emporté avec plus de 32% des voix, selon les estimations.",
         ("number", "31,5%", "plus de 32%")),
        # A figure given as a floor is not the figure stated as is, nor given about.
        ("10.000 policiers ont été mobilisés, dont 3.500 à Paris.", "Plus de 10.000 policiers ont été mobilisés, dont 3.500 à Paris.",
         ("number", "10.000", "Plus de 10.000")),
        ("Au moins 115 blessés ont été recensés.", "Environ 115 blessés ont été recensés.",
         ("number", "Au moins 115", "Environ 115")),
        ("Une trentaine de blessés légers ont été soignés.", "Une vingtaine de blessés légers ont été soignés.",
         ("number", "Une trentaine", "Une vingtaine")),
        # "2.012" is a count written with a thousands point, not the year 2012.
        ("Le séisme a fait 2.012 morts, selon le ministère.", "Le séisme a fait 2.946 morts, selon le ministère.",
         ("number", "2.012", "2.946")),
    ],
)
def test_differences_of_substance(here, there, expected):
    assert compare_texts(here, there) == [expected]


def test_a_hedge_kept_by_one_side_only():
    (difference,) = compare_texts("Zelensky aurait répondu qu'il pouvait frapper Moscou.", "Zelensky a répondu qu'il pouvait frapper Moscou.")
    assert difference[0] == "hedge" and difference[1] == "aurait répondu" and "répondu" in difference[2]


def test_alignment_round_trip_and_checks(app):
    index = app.extensions["qa"].index
    passages = index.passages
    a = next(p for p in passages if p.citation.source.startswith("000"))
    b = next(p for p in passages if p.citation.source.startswith("001"))
    same_article = next(p for p in passages if p.citation.source == a.citation.source and p.id != a.id)
    articles = {s: art.text for s, art in index.articles.items()}
    inside = FoundDifference("quote", Span(a.citation.start, a.citation.start + 3), Span(b.citation.start, b.citation.start + 3))
    good = Alignment({a.id: [Link(b.id, 0.5, (inside,))]})
    assert Alignment.from_dict(json.loads(json.dumps(good.to_dict()))) == good
    assert alignment_problem(good, passages, articles) == ""
    assert "same article" in alignment_problem(Alignment({a.id: [Link(same_article.id, 0.5)]}), passages, articles)
    outside = FoundDifference("quote", Span(a.citation.end + 1, a.citation.end + 4), inside.there)
    assert "outside" in alignment_problem(Alignment({a.id: [Link(b.id, 0.5, (outside,))]}), passages, articles)
    assert "does not exist" in alignment_problem(Alignment({len(passages): []}), passages, articles)


def test_alignment_is_stored_checksummed_and_checked(app, tmp_path):
    service = app.extensions["qa"]
    index = service.index
    assert "alignment.json" in index.manifest["files"]
    assert index.manifest["alignment"]["pairs"] == len(index.alignment.pairs())
    path = current_build(service.index_dir) / "alignment.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"score": 0.', '"score": 1.', 1), encoding="utf-8")
    with pytest.raises(IndexProblem, match="alignment.json"):
        load_index(service.index_dir)


# --------------------------------------------------------------------------- API and CLI


def check_corroboration(body: dict, articles: dict[str, str]) -> None:
    for passage in body["passages"]:
        assert isinstance(passage["also_in"], list) and isinstance(passage["differences"], list)
        for other in passage["also_in"]:
            citation = other["citation"]
            assert set(citation) == {"source", "title", "paragraph", "start", "end", "outlet", "published", "url"}
            assert citation["source"] != passage["citation"]["source"]
            assert verify_citation(articles[citation["source"]], citation["start"], citation["end"], other["text"])
        for difference in passage["differences"]:
            assert difference["kind"] in DIFFERENCE_KINDS
            here, there = difference["here_citation"], difference["there_citation"]
            assert here["source"] == passage["citation"]["source"]
            assert passage["citation"]["start"] <= here["start"] < here["end"] <= passage["citation"]["end"]
            assert verify_citation(articles[here["source"]], here["start"], here["end"], difference["here"])
            assert verify_citation(articles[there["source"]], there["start"], there["end"], difference["there"])
            assert any(o["citation"]["source"] == there["source"] and o["citation"]["start"] <= there["start"]
                       and there["end"] <= o["citation"]["end"] for o in passage["also_in"])


def articles_of(client) -> dict[str, str]:
    sources = client.get("/api/sources").get_json()["sources"]
    return {s["source"]: client.get(f"/api/sources/{s['source']}").get_json()["text"] for s in sources}


def test_api_passages_carry_also_in_and_differences(client):
    articles = articles_of(client)
    seen_also_in = 0
    for question in ("Quelle est la portée des missiles Tomahawk ?", "Qu'a répondu Zelensky ?", "doctrine nucléaire"):
        body = client.post("/api/ask", json={"question": question, "k": 5}).get_json()
        check_corroboration(body, articles)
        seen_also_in += sum(len(p["also_in"]) for p in body["passages"])
    assert seen_also_in > 0


@pytest.mark.slow
def test_real_model_api_reports_the_tomahawk_passage_of_the_other_article(real_client):
    articles = articles_of(real_client)
    body = real_client.post("/api/ask", json={"question": "Quelle est la portée des missiles Tomahawk ?", "k": 3}).get_json()
    check_corroboration(body, articles)
    top = body["passages"][0]
    assert "Tomahawk" in top["text"]
    assert any("Tomahawk" in other["text"] and other["citation"]["source"] != top["citation"]["source"] for other in top["also_in"])
    # 1 600 km and "environ 1 600 kilomètres" agree: no number difference.
    assert not [d for d in top["differences"] if d["kind"] == "number"]


def test_cli_ask_shows_also_reported_by(runner):
    result = runner.invoke(args=["ask", "Quelle est la portée des missiles Tomahawk ?", "-k", "3"])
    assert result.exit_code == 0, result.output
    assert "also reported by: [" in result.output


# --------------------------------------------------------------------------- the gold set, real model


def gold_pairs(index) -> dict[tuple[int, int], str]:
    def passage_at(source: str, contains: str) -> int:
        text = index.articles[source].text
        assert text.count(contains) == 1, contains
        position = text.index(contains)
        return next(p.id for p in index.passages if p.citation.source == source and p.citation.start <= position < p.citation.end)

    labels: dict[tuple[int, int], str] = {}
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        a = passage_at(record["a"]["source"], record["a"]["contains"])
        b = passage_at(record["b"]["source"], record["b"]["contains"])
        key = (min(a, b), max(a, b))
        # A pair named twice keeps its strongest label: same > ambiguous > different.
        order = ["different", "ambiguous", "same"]
        if key not in labels or order.index(record["label"]) > order.index(labels[key]):
            labels[key] = record["label"]
    return labels


def precision_recall(index) -> tuple[float, float, set, set]:
    labels = gold_pairs(index)
    same = {pair for pair, label in labels.items() if label == "same"}
    ambiguous = {pair for pair, label in labels.items() if label == "ambiguous"}
    predicted = index.alignment.pairs()
    counted = predicted - ambiguous
    true_positives = predicted & same
    precision = len(true_positives) / len(counted) if counted else 1.0
    recall = len(true_positives) / len(same)
    return precision, recall, counted - same, same - predicted


@pytest.mark.slow
def test_gold_set_precision_and_recall_on_the_real_model(real_app):
    index = real_app.extensions["qa"].index
    precision, recall, false_positives, misses = precision_recall(index)
    assert precision >= PRECISION_FLOOR, (precision, false_positives)
    assert recall >= RECALL_FLOOR, (recall, misses)


@pytest.mark.slow
def test_differences_between_the_seed_articles_are_the_reviewed_ones(real_app):
    """The differences found between the two seeds are exactly the seven read and judged real (docs/quality.md)."""
    index = real_app.extensions["qa"].index
    found = set()
    for pid, links in index.alignment.links.items():
        here_text = index.articles[index.passages[pid].citation.source].text
        for link in links:
            there_text = index.articles[index.passages[link.passage].citation.source].text
            for d in link.differences:
                pair = (d.kind, here_text[d.here.start : d.here.end], there_text[d.there.start : d.there.end])
                if index.passages[pid].citation.source.startswith("000"):
                    found.add(pair)
    reviewed = {
        ("quote", "« Absolument. Si vous nous donnez les armes. »",
         "« Absolument. Nous pouvons le faire si vous nous fournissez les armes. »"),
        ("quote", "Volodymyr, peux-tu frapper Moscou ? Et Saint-Pétersbourg ?",
         "« Volodymir, pouvez-vous atteindre Moscou ? […] Pouvez-vous aussi atteindre Saint-Pétersbourg ? »"),
        ("quote", "« Leur faire sentir la douleur »", "« leur faire payer la note »"),
        ("hedge", "Désormais, Moscou se réserve le droit de lancer", "pourraient prévoir"),
        ("hedge", "Moscou menace désormais", "pourraient prévoir"),
        ("hedge", "aurait été transmise",
         "Lors d'une réunion avec des responsables américains de la défense et des intermédiaires gouvernementaux "
         "de l'OTAN, Zelensky a reçu une liste de systèmes de frappe à longue portée susceptibles d'être mis à la "
         "disposition de l'Ukraine par le biais de transferts à des tiers."),
        ("hedge", "aurait renforcé",
         "La conversation du 4 juillet avec Zelensky a été précipitée par l'appel de Trump à Poutine la veille, "
         "que le président américain a qualifié de « mauvais »."),
    }
    # Found with e5 (sentence vectors on): the same hedge against the FT's second plain
    # statement of the handover in Rome; read and judged real (docs/quality.md).
    also_real = {
        ("hedge", "aurait été transmise",
         "Les discussions entre Trump et Zelensky ont conduit les États-Unis à communiquer au président ukrainien à "
         "Rome la semaine dernière une liste d'armes potentielles pour Kiev, selon trois sources proches du dossier."),
    }
    # All seven real differences, and nothing unreviewed (issue 13: no spurious number or date).
    assert found <= reviewed | also_real, found - reviewed - also_real
    assert reviewed <= found, reviewed - found


def test_dense_candidates_from_the_vector_store_match_the_all_pairs_product(tmp_path):
    """The build takes the alignment's dense candidates from FAISS; with an exact (flat)
    store they are the ones the product of all the vectors gives."""
    import numpy as np

    from qa.corroboration import AlignmentSettings, dense_neighbour_count
    from qa.corroboration.align import _candidates
    from qa.corroboration.signals import SentenceTable, SignalCorpus
    from qa.embedding.embedder import HashingEmbedder
    from qa.index.build import sentence_table, split_corpus
    from qa.index.store import VectorStore
    from qa.ingest.corpus import read_corpus
    from qa.ingest.passages import embedding_text
    from support.synth import write_corpus

    corpus = read_corpus(write_corpus(300, tmp_path / "seeds"))
    embedder = HashingEmbedder(dimension=384)
    passages = split_corpus(corpus, embedder)
    articles = {a.source: a for a in corpus.articles}
    vectors = embedder.embed_passages([embedding_text(p) for p in passages])
    # Break exact ties (the hashing embedder repeats vectors), so "nearest" has one answer.
    vectors = vectors + np.random.default_rng(0).normal(0, 1e-3, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    spans, offsets = sentence_table(passages, articles)
    texts = {s: a.text for s, a in articles.items()}
    dense_only = AlignmentSettings()
    store = VectorStore.build(vectors)
    assert store.info.kind == "flat"
    neighbours = store.neighbours(vectors, dense_neighbour_count(passages, dense_only))
    assert neighbours.shape == (len(passages), dense_neighbour_count(passages, dense_only))

    unit_corpus = SignalCorpus(passages, texts, vectors, SentenceTable(spans, offsets))
    from_store = _candidates(unit_corpus, dense_only, neighbours)
    from_product = _candidates(unit_corpus, dense_only)
    assert len(passages) > 250
    assert from_store == from_product
