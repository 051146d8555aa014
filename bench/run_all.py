"""Run the whole benchmark suite (``make bench``), printing each script's figures in turn.

The default sizes are the ones recorded in ``docs/performance.md`` except the 100k
corpus, which takes minutes of both cores: add ``--large`` for it. ``--smoke`` runs every
script on a tiny size with ``MODEL=hashing`` (what ``tests/test_bench.py`` checks one by
one); ``--list`` only prints the commands.

Usage::

    .venv/bin/python bench/run_all.py [--large] [--smoke] [--list]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FULL = [
    ["bench/latency.py", "--questions", "200"],
    ["bench/pause.py", "--questions", "150"],
    ["bench/coldstart.py", "--runs", "3"],
    ["bench/encode.py", "--questions", "200"],
    ["bench/preload.py", "--serve"],
    ["bench/throughput.py", "--configs", "1x4x0", "1x1x0", "1x2x1", "2x2x1", "2x1x1", "--clients", "4", "--seconds", "15"],
    ["bench/recall.py", "--sizes", "10000", "50000", "100000"],
    ["bench/scale.py", "--sizes", "1000", "--questions", "50"],
    ["bench/scale.py", "--sizes", "1000", "10000", "--recombined", "--questions", "100"],
    ["bench/ray_build.py", "--configs", "local:1", "ray:1", "ray:2", "local:2"],
]
LARGE = [["bench/scale.py", "--sizes", "100000", "--recombined", "--questions", "100"]]
SMOKE = [
    ["bench/latency.py", "--questions", "5"],
    ["bench/pause.py", "--questions", "3", "--pauses", "1"],
    ["bench/coldstart.py", "--runs", "1"],
    ["bench/encode.py", "--questions", "3"],
    ["bench/preload.py", "--questions", "2"],
    ["bench/throughput.py", "--configs", "1x2x0", "--clients", "2", "--seconds", "1"],
    ["bench/recall.py", "--sizes", "300", "--queries", "5"],
    ["bench/scale.py", "--sizes", "30", "--questions", "3"],
    ["bench/ray_build.py", "--seeds", "seeds", "--configs", "local:1", "ray:1"],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also the 100k-passage corpus")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes with MODEL=hashing")
    parser.add_argument("--list", action="store_true", help="print the commands only")
    args = parser.parse_args()
    commands = SMOKE if args.smoke else FULL + (LARGE if args.large else [])
    env = {**os.environ, **({"MODEL": "hashing", "MODELS": "hashing"} if args.smoke else {})}
    for command in commands:
        line = ("MODEL=hashing " if args.smoke else "") + " ".join([".venv/bin/python", *command])
        print(f"\n$ {line}", flush=True)
        if args.list:
            continue
        subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
