"""Building a test app's configuration: a tmp copy of the seeds, a tmp index, the fake embedder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from qa.settings import DEFAULTS
from support.paths import SEEDS

DEFAULT_MODEL = str(DEFAULTS["MODEL"])  # "e5"


def copy_seeds(target: Path) -> Path:
    """The seed articles copied into ``target`` (created), which is returned."""
    target.mkdir(parents=True, exist_ok=True)
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, target / path.name)
    return target


def make_config(tmp: Path, **overrides: Any) -> dict[str, Any]:
    """A test config under ``tmp``: its own seeds and index, the ``hashing`` embedder, no rate limit."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SEEDS_DIR": str(copy_seeds(tmp / "seeds")),
        "INDEX_DIR": str(tmp / "index"),
        "MODEL": "hashing",
        "RATELIMIT": "",  # off in tests unless a test turns it on
    }
    config.update(overrides)
    return config
