"""Benchmark commands: renderer speed, vectorization quality against baselines."""

from pathlib import Path

# The pictures the benchmarks and tests use ship in the repository (licences in images/SOURCES.md).
IMAGES = Path(__file__).parent / "images"
QUALITY_IMAGES = IMAGES / "quality"
SCALE_IMAGES = IMAGES / "scale"
