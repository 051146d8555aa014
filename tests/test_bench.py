"""Smoke tests of the benchmark scripts in bench/: each runs on a tiny size with the
hashing embedder (no torch), so that the scripts cannot rot. They check that a script
runs, prints its command and its table, and saves figures that make sense; they time
nothing (the figures themselves are in docs/performance.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.app import copy_seeds
from support.paths import PIAF, ROOT, require_shared

pytestmark = pytest.mark.slow


def run_bench(tmp_path: Path, script: str, *args: str, timeout: float = 300) -> tuple[str, dict]:
    """Run a bench script with MODEL=hashing and its output folder in tmp; return stdout and its JSON."""
    out = tmp_path / "out"
    env = {**os.environ, "MODEL": "hashing", "MODELS": "hashing", "BENCH_OUT": str(out), "QA_SEEDS_DIR": str(copy_seeds(tmp_path / "seeds"))}
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "command: " in result.stdout and f"bench/{script}" in result.stdout
    assert '"cores": ' in result.stdout
    saved = [line.split("saved ", 1)[1] for line in result.stdout.splitlines() if line.startswith("saved ")]
    assert saved and Path(saved[-1]).parent == out
    return result.stdout, json.loads(Path(saved[-1]).read_text())


def test_synth_is_deterministic(tmp_path):
    from support.synth import write_corpus

    first = write_corpus(25, tmp_path / "a")
    second = write_corpus(25, tmp_path / "b")
    names = sorted(p.name for p in first.glob("*.txt"))
    assert len(names) == 3
    assert all((first / n).read_text() == (second / n).read_text() for n in names)
    assert (first / names[0]).read_text() != (first / names[1]).read_text()


def test_latency_script(tmp_path):
    stdout, result = run_bench(tmp_path, "latency.py", "--questions", "5", "--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"))
    assert "p50 / floor" in stdout
    assert result["errors"] == 0
    assert result["http_uncached_ms"]["n"] == result["http_cached_ms"]["n"] == 5
    assert result["floor_ms"]["p50"] > 0 and result["ratio_p50_to_floor"] > 0
    assert result["floor_ms"]["n"] == 5 and result["tight_loop_floor_ms"]["n"] == 10
    # The breakdown comes from the server's Server-Timing header, one sample per request.
    assert {"lexical", "embed", "app", "app but embed", "outside app"} <= set(result["uncached_stages_ms"])
    assert all(row["n"] == 5 for row in result["uncached_stages_ms"].values())
    assert result["ratio_p50_to_server_embed"] > 0


def test_pause_script(tmp_path):
    stdout, result = run_bench(tmp_path, "pause.py", "--questions", "3", "--pauses", "1", "2")
    assert "kernel idle settings" in stdout
    kinds = [(row["pause_ms"], row["busy"]) for row in result["rows"]]
    assert kinds == [(0.0, False), (1.0, False), (1.0, True), (2.0, False), (2.0, True)]
    assert all(row["n"] == 3 and row["p50"] > 0 for row in result["rows"])


def test_throughput_script(tmp_path):
    stdout, result = run_bench(
        tmp_path, "throughput.py", "--configs", "1x2x0", "--clients", "2", "--seconds", "1",
        "--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"),
    )
    (row,) = result["rows"]
    assert row["errors"] == 0 and row["requests"] > 0 and row["req_per_s"] > 0
    assert len(row["workers_memory"]) == 1 and row["workers_memory"][0]["rss_mb"] > 0
    assert "| 1x2x0 | 2 |" in stdout


def test_coldstart_script(tmp_path):
    _, result = run_bench(tmp_path, "coldstart.py", "--runs", "1", "--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"))
    assert len(result["seconds"]) == 1 and 0 < result["seconds"][0] < 120
    assert "load and check the index" in result["breakdown"]


def test_recall_script(tmp_path):
    _, result = run_bench(tmp_path, "recall.py", "--sizes", "300", "--queries", "5")
    (row,) = result["rows"]
    assert row["vectors"] == 300 and 0.0 <= row["recall_at_10"] <= 1.0
    assert row["flat_search_ms"]["n"] == row["hnsw_search_ms"]["n"] == 5


def test_scale_script(tmp_path):
    _, result = run_bench(tmp_path, "scale.py", "--sizes", "30", "--questions", "3", "--work", str(tmp_path / "work"))
    seeds, synthetic = result["rows"]
    assert seeds["corpus"] == "seeds" and synthetic["corpus"] == "30"
    assert synthetic["passages"] >= 30 and synthetic["disk_mb"] > 0 and synthetic["peak_rss_mb"] > 0
    assert synthetic["query_ask_ms"]["n"] == 3


def test_ray_build_script(tmp_path):
    stdout, result = run_bench(tmp_path, "ray_build.py", "--seeds", str(tmp_path / "seeds"), "--configs", "local:1", "ray:1", timeout=600)
    local, ray = result["rows"]
    assert (local["config"], ray["config"]) == ("local:1", "ray:1")
    assert local["passages"] == ray["passages"] > 0 and local["texts"] == ray["texts"] > local["passages"]
    assert ray["max_vector_diff"] == 0.0  # the hashing embedder is exact
    assert ray["startup_s"] > 0 and local["startup_s"] == 0
    assert "| ray:1 |" in stdout


def test_run_all_lists_every_script():
    result = subprocess.run([sys.executable, "bench/run_all.py", "--list"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in ("latency.py", "pause.py", "coldstart.py", "throughput.py", "recall.py", "scale.py"):
        assert f"bench/{name}" in result.stdout


def test_encode_script(tmp_path):
    stdout, result = run_bench(tmp_path, "encode.py", "--questions", "3")
    assert "| hashing |" in stdout
    assert result["query_ms"]["hashing"]["n"] == 3 and result["passages_per_s"]


def test_preload_script(tmp_path):
    stdout, result = run_bench(tmp_path, "preload.py", "--questions", "2", "--workers", "2")
    assert "before fork" in stdout
    for label in ("in each worker", "before fork (parent)"):
        assert len(result[label]) == 2 and all(row["pss_mb"] > 0 for row in result[label])


def test_calibrate_runs_on_a_small_sample(tmp_path):
    """bench/calibrate.py: the fusion and abstention tables on 30 PIAF questions (hashing)."""
    require_shared(PIAF / "seeds")
    result = subprocess.run(
        [sys.executable, "bench/calibrate.py", "--model", "hashing", "--work", str(tmp_path), "--piaf-limit", "30",
         "--grid", "0.5:0.9:0.2,0:1.1:1,10:11:1",
         "--seed-questions", "tests/data/questions.jsonl", "--seed-questions", "tests/data/questions-parallel.jsonl"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| BM25 only |" in result.stdout and "| convex, lexical weight 0.4 |" in result.stdout
    assert "abstention grid" in result.stdout
    signals = json.loads((tmp_path / "signals.json").read_text())
    assert len(signals["piaf"]) == len(signals["piaf-held-out"]) == 30
    assert all(not row["answerable"] for row in signals["piaf-held-out"])
    # Both seed question files were read: the seed set (86) and the parallel set (35).
    assert len(signals["seeds"]) == len(signals["mixed"]) == 86 + 35
    assert {"et13", "ut01", "fr01"} <= {row["id"] for row in signals["seeds"]}


def test_incremental_script(tmp_path):
    require_shared(PIAF / "seeds")
    stdout, result = run_bench(tmp_path, "incremental.py", "--articles", "6", "--questions", "5", timeout=600)
    assert set(result["ratio_to_full"]) == {"full build", "add a .txt", "add an .html page", "remove an article", "full build, same files"}
    assert result["steps"]["add a .txt"]["incremental"]["articles_embedded"] == 1
    assert result["steps"]["remove an article"]["incremental"]["texts_embedded"] == 0
    comparison = result["comparison"]
    assert comparison["same_passages"] and comparison["same_answers"] == comparison["questions"] == 5
    assert comparison["page_citations_ok"] and comparison["page_text_clean"] and comparison["page_passages"] > 0
