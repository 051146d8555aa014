"""Benchmark scripts (see docs/benchmarks.md); a package so that they import each other."""
