"""Benchmark scripts (see bench/README.md); a package so that they import each other."""
