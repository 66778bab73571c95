"""write_atomic: the one way the commands, benchmarks and installer write a file."""

from __future__ import annotations

import os

import pytest

from layervec_ext.files import write_atomic


def test_whole_file_with_a_normal_mode_or_the_old_one(tmp_path):
    mask = os.umask(0o027)
    try:
        new = tmp_path / "new.svg"
        write_atomic(new, "<svg/>\n")
        assert new.read_bytes() == b"<svg/>\n" and new.stat().st_mode & 0o777 == 0o640
        kept = tmp_path / "kept.json"
        kept.write_text("{}")
        kept.chmod(0o604)
        write_atomic(kept, b'{"a": 1}')
        assert kept.read_text() == '{"a": 1}' and kept.stat().st_mode & 0o777 == 0o604
    finally:
        os.umask(mask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json", "new.svg"]  # no temporary left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    old = tmp_path / "out.svg"
    old.write_text("old")
    with pytest.raises(TypeError):
        write_atomic(old, 42)  # type: ignore[arg-type]  (fails after the temporary exists)
    assert old.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.svg"]
