"""The soak benchmark, one minute of it: ``bench/soak.py --seconds 60`` against a real ``qa serve``.

The same script that recorded the 10-minute soak in docs/performance.md, with the serving
defaults and the default model: new questions (cache misses) at half the throughput it
measures first, for 60 s. It must end with no error, every worker's resident memory
within 5 % of its value after a 20 s warm-up, and the requests sent on time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from support.app import copy_seeds
from support.paths import ROOT

pytestmark = pytest.mark.slow


def test_one_minute_soak_has_no_error_and_flat_memory(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    env.update({"BENCH_OUT": str(tmp_path / "out"), "QA_SEEDS_DIR": str(copy_seeds(tmp_path / "seeds")),
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    command = [sys.executable, "bench/soak.py", "--seconds", "60", "--warmup", "20", "--throughput-seconds", "10",
               "--index", str(tmp_path / "index")]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    print(result.stdout[-3000:])
    report = json.loads((tmp_path / "out" / "soak.json").read_text())
    assert report["errors"] == 0, report["minutes"]
    assert report["rss"]["ok"], report["rss"]
    assert report["verdict"] == {"errors": True, "rss_flat": True, "on_time": True}
    assert report["requests"] >= 0.95 * 60 * report["rate"]
    assert len(report["rss_samples"]) >= 10 and all(len(s["rss_mb"]) >= 2 for s in report["rss_samples"])
    assert result.returncode == 0, result.stderr[-2000:]
