"""Where the tests' files are: the checkout, its seeds and test data, and ``../shared``.

``../shared`` (the PIAF evaluation set, the shared seed sets) sits beside the clone in CI,
or two levels up from a worktree. ``require_shared`` is the one rule for a test that needs
it: in CI (``CI`` set) a missing folder fails the test with a clear message; elsewhere the
test is skipped with the same reason. ``unavailable_here`` is that rule for anything else CI
provides (root, to mount a small disk).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SEEDS = ROOT / "seeds"
DATA = ROOT / "tests" / "data"
SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT.parent / "shared")
PIAF = SHARED / "eval" / "piaf"


def require_shared(path: Path) -> Path:
    """``path`` (under ``../shared``) if it is there; otherwise fail in CI, skip elsewhere."""
    if not path.exists():
        unavailable_here(f"{path} is missing: this test needs ../shared beside the clone (the PIAF set, the shared seeds)")
    return path


def unavailable_here(reason: str) -> NoReturn:
    """Fail the test with ``reason`` when ``CI`` is set (CI provides it); skip it elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so this fails instead of skipping", pytrace=False)
    pytest.skip(reason)
