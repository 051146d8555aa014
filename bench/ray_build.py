"""A local build against a build on Ray (``qa index --ray``), on the same corpus and machine.

Starts a Ray head on 127.0.0.1 (``tests/support/rayhead.py``), then builds the index once per
configuration, each in a child process, in the order given (interleave them: the machine
is shared and its load drifts):

* ``local:T``  - the local embedder with T torch threads (``qa index`` uses
  ``QA_TORCH_THREADS``, 1 by default);
* ``ray:W``    - ``RayEmbedder`` with W workers (one torch thread each) on the head;
* ``ship:W``   - the same, every worker receiving the model folder as a Ray object.

For each: the whole build (``build_seconds`` of the manifest), the embedding alone
(passages and sentences), Ray's fixed costs (connecting, starting the workers and loading
their models), and the driver's share (everything else: splitting, BM25, FAISS,
alignment, writing). The vectors of every build are compared with the first one's.

``--driver-share N`` instead times each step the driver keeps (splitting, FAISS flat and
HNSW, BM25, the sentence table, the alignment's neighbour search and the alignment) on N
synthetic passages, to extrapolate the driver's share to a million.

Usage::

    .venv/bin/python bench/ray_build.py --seeds ../shared/eval/piaf/seeds --configs local:1 ray:1 ray:2 local:2
    .venv/bin/python bench/ray_build.py --driver-share 20000
"""

from __future__ import annotations

import argparse
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


class TimedEmbedder:
    """The local embedder, timing its ``embed_passages`` calls."""

    def __init__(self, local: Any):
        self.local = local
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.texts = 0

    def embed_passages(self, texts: list[str], progress: bool = False):
        started, cpu = time.perf_counter(), time.process_time()
        vectors = self.local.embed_passages(texts, progress=progress)
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu
        self.texts += len(texts)
        return vectors

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "local":
            raise AttributeError(attribute)
        return getattr(self.local, attribute)


def child(config: str, seeds: Path, index: Path, model: str, address: str) -> dict[str, Any]:
    """One build in this process; its figures."""
    from qa.index.embed import LocalEncoder
    from qa.index.load import load_index
    from qa.service.core import QAService
    from qa.settings import Settings

    kind, count = config.split(":")
    settings = dict(SEEDS_DIR=str(seeds), INDEX_DIR=str(index), MODEL=model, TORCH_THREADS=int(count) if kind == "local" else 1)
    service = QAService(Settings.from_mapping(settings))
    result: dict[str, Any] = {"config": config}
    started = time.perf_counter()
    if kind == "local":
        embedder = TimedEmbedder(service.embedder)
        service.rebuild(full=True, encoder=LocalEncoder(embedder))
        result.update(connect_s=0.0, startup_s=0.0, embed_s=embedder.seconds, embed_cpu_s=embedder.cpu_seconds, texts=embedder.texts)
    else:
        from qa.index.cluster import RayEmbedder

        remote = RayEmbedder(service.embedder, address, workers=int(count), always_ship=kind == "ship", cache_dir=str(index.parent / "models"))
        connect = time.perf_counter()
        with remote:
            result["connect_s"] = time.perf_counter() - connect
            service.rebuild(full=True, encoder=LocalEncoder(remote, chunk_size=1 << 20))  # one call per stage, as qa index --ray
            backend = remote.backend
        result.update(startup_s=backend["startup_seconds"], embed_s=backend["embed_seconds"], texts=backend["texts"])
        result["embed_cpu_s"] = backend["worker_cpu_seconds"]
        result["shipped_to"] = backend["model_shipped_to"]
    result["wall_s"] = time.perf_counter() - started
    manifest = load_index(index).manifest
    result.update(
        passages=manifest["passages"],
        build_s=manifest["build_seconds"],
        alignment_s=manifest["alignment"]["seconds"],
    )
    # The driver's share: the build less the embedding and Ray's worker start-up.
    result["driver_s"] = result["build_s"] - result["embed_s"] - result["startup_s"]
    result["embed_texts_per_s"] = result["texts"] / result["embed_s"]
    # CPU seconds per text, summed over the embedding threads or workers: the figure least
    # moved by other jobs on a shared machine (wall times move with the load).
    result["cpu_ms_per_text"] = 1000 * result["embed_cpu_s"] / result["texts"]
    result["embed_passages_per_s"] = result["passages"] / result["embed_s"]
    result["build_passages_per_s"] = result["passages"] / result["build_s"]
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}


def driver_share(passages: int, work: Path, model: str) -> dict[str, Any]:
    """Time each step the driver keeps, on a synthetic corpus with realistic 384-d vectors
    (``bench/recombined.py``: the real model's vectors of the seed sentences, averaged)."""
    from bench.recombined import RecombinedEmbedder
    from bench.synth import seed_sentences, write_corpus
    from qa.corroboration import align_corpus, dense_neighbour_count
    from qa.index.build import sentence_table, split_corpus
    from qa.index.lexical import LexicalIndex
    from qa.index.store import VectorStore
    from qa.ingest.corpus import read_corpus
    from qa.ingest.passages import embedding_text

    embedder = RecombinedEmbedder(seed_sentences(ROOT / "seeds"), model)
    corpus = read_corpus(write_corpus(passages, work / "corpus"))
    times: dict[str, float] = {}

    def timed(name: str, function, *args, **kwargs):
        started = time.perf_counter()
        value = function(*args, **kwargs)
        times[name] = round(time.perf_counter() - started, 3)
        return value

    split = timed("split_s", split_corpus, corpus, embedder)
    articles = {a.source: a for a in corpus.articles}
    vectors = embedder.embed_passages([embedding_text(p) for p in split])
    timed("faiss_flat_s", VectorStore.build, vectors, hnsw_threshold=len(vectors) + 1)
    store = timed("faiss_hnsw_s", VectorStore.build, vectors, hnsw_threshold=0)
    timed("bm25_s", LexicalIndex.build, [p.text for p in split])
    spans, offsets = timed("sentences_s", sentence_table, split, articles)
    sentence_vectors = embedder.embed_passages([articles[split[i].citation.source].text[a:b] for i, a, b in spans]).astype("float16")
    neighbours = timed("neighbours_hnsw_s", store.neighbours, vectors, dense_neighbour_count(split))
    timed(
        "alignment_s", align_corpus, split, {a.source: a.text for a in corpus.articles}, vectors, spans, offsets,
        sentence_vectors, dense_neighbours=neighbours,
    )  # fmt: skip
    return {"passages": len(split), "sentences": len(spans), **times}


def vectors_of(index: Path):
    import numpy as np

    from qa.index.load import load_index

    loaded = load_index(index)
    return loaded.store._index.reconstruct_n(0, len(loaded.store)), np.asarray(loaded.sentence_vectors, dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "eval" / "piaf" / "seeds")
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--configs", nargs="+", default=["local:1", "ray:1", "ray:2", "local:2"])
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2, help="CPUs the Ray head offers")
    parser.add_argument("--driver-share", type=int, metavar="N", help="only time the driver's steps on N synthetic passages")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--address", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.seeds.resolve(), args.index, args.model, args.address)))
        return

    if args.driver_share:
        header(f"The driver's share of a build, {args.driver_share} synthetic passages")
        with tempfile.TemporaryDirectory(prefix="qa-driver-") as work:
            row = driver_share(args.driver_share, Path(work), args.model)
        print(json.dumps(row))
        print(f"saved {write_result('ray_build_driver', {'rows': [row]})}")
        return

    from support.rayhead import ray_env, ray_head

    header(f"Local build vs build on Ray: {args.seeds} ({len(list(args.seeds.glob('*.txt')))} articles), model {args.model}")
    work = Path(tempfile.mkdtemp(prefix="qa-raybench-"))
    rows: list[dict[str, Any]] = []
    try:
        with ray_head(cpus=args.cpus) as head:
            print(f"ray head: {head.address}, {args.cpus} CPUs", flush=True)
            for position, config in enumerate(args.configs):
                index = work / f"{position}-{config.replace(':', '-')}" / "index"
                command = [PYTHON, __file__, "--child", config, "--seeds", str(args.seeds), "--index", str(index), "--model", args.model, "--address", head.address]
                load = machine()["load_avg_1m"]
                done = subprocess.run(command, cwd=ROOT, env=ray_env(), capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise SystemExit(f"{config} failed:\n{done.stderr[-3000:]}")
                row = json.loads(done.stdout.strip().splitlines()[-1])
                row["load_1m"] = load
                if rows:
                    import numpy as np

                    first, mine = vectors_of(Path(rows[0]["index"])), vectors_of(index)
                    row["max_vector_diff"] = float(max(np.abs(first[0] - mine[0]).max(), np.abs(first[1] - mine[1]).max()))
                row["index"] = str(index)
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "index"}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    columns = ["config", "load_1m", "passages", "texts", "build_s", "connect_s", "startup_s", "embed_s", "driver_s", "embed_passages_per_s", "embed_texts_per_s", "cpu_ms_per_text", "build_passages_per_s", "max_vector_diff"]
    print("\n| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row.get(column, "-")) for column in columns) + " |")
    path = write_result("ray_build", {"seeds": str(args.seeds), "model": args.model, "rows": rows})
    print(f"saved {path}")


if __name__ == "__main__":
    main()
