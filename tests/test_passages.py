"""Passages: exact offsets everywhere, structure (lead, headings, title), cuts at the window."""

from __future__ import annotations

import pytest

from qa.ingest.corpus import read_corpus
from qa.ingest.formats import read_text
from qa.ingest.passages import embedding_text, find_title, is_heading, split_article
from qa.models import Article
from qa.text.paragraphs import paragraph_lines
from qa.text.sentences import split_sentences
from qa.text.tokens import approximate_token_count
from support.paths import SEEDS


def seed_articles() -> list[Article]:
    return read_corpus(SEEDS).articles


def test_seeds_are_the_two_shared_articles():
    names = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert names == ["000_49f69a7d4a642e90.txt", "001_3b9574d560628014.txt"]


@pytest.mark.parametrize("window", [256, 96, 48])
def test_every_passage_slices_its_source_exactly(window):
    for article in seed_articles():
        passages = split_article(article, approximate_token_count, window)
        assert passages
        for passage in passages:
            c = passage.citation
            assert article.text[c.start : c.end] == passage.text
            assert c.source == article.source and c.title == article.title


def test_offsets_count_code_points_of_the_raw_file():
    raw = (SEEDS / "000_49f69a7d4a642e90.txt").read_bytes().decode("utf-8")
    article = seed_articles()[0]
    assert article.text == raw
    passage = next(p for p in split_article(article) if "1 600 km" in p.text)
    assert raw[passage.citation.start : passage.citation.end] == passage.text


def test_titles_are_found_after_lead_bullets():
    first, second = seed_articles()
    assert first.title == "Trump encourage Zelensky à frapper la Russie"
    assert second.title == "Trump a demandé à Zelensky si l'Ukraine pouvait attaquer Moscou"


def test_lead_bullets_form_one_lead_passage():
    passages = split_article(seed_articles()[0])
    lead = [p for p in passages if p.kind == "lead"]
    assert len(lead) == 1
    assert lead[0].text.startswith("- Donald Trump") and lead[0].citation.paragraph == 1
    assert lead[0].text.count("\n- ") == 2


def test_no_passage_is_a_heading_or_short_line_alone():
    for article in seed_articles():
        for passage in split_article(article):
            lines = [l for l in passage.text.splitlines() if l.strip()]
            assert not (len(lines) == 1 and is_heading(lines[0])), passage.text
            assert len(passage.text.split()) >= 12, passage.text


def test_heading_joins_the_paragraph_that_follows():
    passages = split_article(seed_articles()[0])
    tomahawk = next(p for p in passages if "Une stratégie indirecte mais assumée" in p.text)
    assert tomahawk.text.startswith("Une stratégie indirecte mais assumée\nDans les jours qui ont suivi")
    later = next(p for p in passages if "1 600 km" in p.text)
    assert later.heading == "Une stratégie indirecte mais assumée"


def test_short_lines_join_the_next_paragraph_and_trailing_ones_the_last():
    text = "Titre\n\nUn.\nDeux mots ici\n" + "Une phrase assez longue pour faire un paragraphe entier de l'article. " * 2 + "\nFin\n"
    passages = split_article(Article("a.txt", find_title(text), text))
    assert len(passages) == 1
    assert passages[0].text.startswith("Titre") and passages[0].text.endswith("Fin")


def test_long_paragraph_is_cut_at_sentence_boundaries_within_the_window():
    sentence = "Le ministre a annoncé une réforme importante du système de retraite français. "
    text = "Titre de l'article\n" + sentence * 40 + "\n"
    article = Article("long.txt", find_title(text), text)
    passages = split_article(article, approximate_token_count, window=64)
    assert len(passages) > 5
    for passage in passages:
        assert approximate_token_count(embedding_text(passage)) <= 64
        assert passage.text.endswith(".")
        assert text[passage.citation.start : passage.citation.end] == passage.text
    assert [p.part for p in passages] == list(range(1, len(passages) + 1))


def test_a_sentence_longer_than_the_window_is_cut_between_words():
    text = "Titre\n" + " ".join(f"mot{i}" for i in range(500)) + ".\n"
    passages = split_article(Article("w.txt", "Titre", text), approximate_token_count, window=50)
    assert len(passages) > 5
    assert all(approximate_token_count(embedding_text(p)) <= 50 for p in passages)
    assert all(text[p.citation.start : p.citation.end] == p.text for p in passages)


def test_crlf_line_endings_are_counted():
    text = "Titre court\r\n\r\n" + "Un paragraphe assez long pour être un passage à lui tout seul, vraiment.\r\n" * 2
    passages = split_article(Article("crlf.txt", find_title(text), text))
    for passage in passages:
        assert text[passage.citation.start : passage.citation.end] == passage.text
        assert not passage.text.endswith("\r")


def test_byte_order_mark_stays_in_offsets_but_not_in_passages():
    data = "\ufeffTitre\nUn paragraphe assez long pour être un passage à lui tout seul, vraiment.\n".encode()
    article = read_text("bom.txt", data).entries[0].article
    assert article.title == "Titre"
    passage = split_article(article)[0]
    assert passage.citation.start == 1 and article.text[passage.citation.start : passage.citation.end] == passage.text


def test_paragraph_numbers_count_non_blank_lines():
    text = "A title\n\nFirst paragraph is long enough to stand as a passage on its own here.\n\nSecond paragraph is long enough to stand as a passage on its own too.\n"
    lines = paragraph_lines(text)
    assert [l.number for l in lines] == [1, 2, 3]
    passages = split_article(Article("p.txt", "A title", text))
    assert [p.citation.paragraph for p in passages] == [1, 3]


def test_sentences_respect_french_punctuation_and_quotes():
    text = "Zelensky aurait répondu : « Absolument. Si vous nous donnez les armes. » Une ligne rouge. M. Dupont arrive."
    spans = split_sentences(text)
    sentences = [text[s.start : s.end] for s in spans]
    assert sentences == [
        "Zelensky aurait répondu : « Absolument. Si vous nous donnez les armes. »",
        "Une ligne rouge.",
        "M. Dupont arrive.",
    ]


def test_headings_are_short_lines_without_final_punctuation():
    assert is_heading("Le spectre nucléaire refait surface")
    assert not is_heading("Une ligne rouge que peu de dirigeants avaient osé franchir jusque-là.")
    assert not is_heading("- Donald Trump a demandé")
