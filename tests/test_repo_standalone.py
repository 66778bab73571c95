"""A clone of the repository alone must run its tests and benchmarks: no tracked file may point outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from layervec_ext.bench import QUALITY_IMAGES

ROOT = Path(__file__).resolve().parent.parent
# A path into a sibling folder (``../shared``) or an absolute path on one machine.
OUTSIDE = re.compile(r"\.\./shared|/work/|/home/\w+/")


def tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [ROOT / name for name in out.splitlines()]
    return [f for f in files if f.suffix in {".py", ".md", ".toml", ".inx", ".svg", ".json", ""} and f.is_file()]


def test_no_tracked_file_names_a_path_outside_the_repo() -> None:
    files = tracked_text_files()
    assert len(files) > 40  # the listing really saw the tree
    offenders = [f"{f.relative_to(ROOT)}:{n}" for f in files
                 for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
                 if OUTSIDE.search(line) and f.name != "test_repo_standalone.py"]
    assert offenders == []


def test_the_benchmark_pictures_ship_with_their_licences() -> None:
    pictures = sorted(QUALITY_IMAGES.glob("*.png"))
    assert len(pictures) == 43
    sources = (QUALITY_IMAGES.parent / "SOURCES.md").read_text(encoding="utf-8")
    families = {p.name.split("__", 1)[0] for p in pictures}
    assert families == {"noto", "fluent", "fluent3d", "icons", "photo"}
    for family in families:
        assert f"| {family} |" in sources
