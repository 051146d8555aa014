"""Write a deterministic synthetic corpus: the seed articles' sentences recombined (``tests/support/synth.py``).

Usage::

    .venv/bin/python bench/synth.py --passages 1000 --out bench/out/corpus-1k
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.synth import PARAGRAPHS_PER_ARTICLE, seed_sentences, synthetic_articles, write_corpus  # noqa: E402

__all__ = ["PARAGRAPHS_PER_ARTICLE", "ROOT", "seed_sentences", "synthetic_articles", "write_corpus"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    folder = write_corpus(args.passages, args.out, seed=args.seed)
    print(f"wrote {len(list(folder.glob('*.txt')))} articles to {folder}")


if __name__ == "__main__":
    main()
