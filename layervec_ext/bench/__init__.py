"""Benchmark commands: renderer speed, vectorization quality against baselines."""
