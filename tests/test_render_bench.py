"""The renderer benchmark command runs and writes the rows it promises."""

import json
import subprocess
import sys


def run_bench(*args):
    return subprocess.run([sys.executable, "-m", "layervec_ext.bench", "render", *args],
                          capture_output=True, text=True, timeout=120)


def test_bench_writes_json_rows(tmp_path):
    out = tmp_path / "render.json"
    proc = run_bench("--sizes", "64", "--paths", "2,4", "--steps", "2", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "| cpu | 1 | 64 | 4 |" in proc.stdout
    rows = json.loads(out.read_text())["rows"]
    assert [(r["size"], r["paths"]) for r in rows] == [(64, 2), (64, 4)]
    for row in rows:
        assert row["device"] == "cpu" and row["threads"] == 1
        assert row["ms_per_step"] > 0 and row["peak_mb"] >= 0


def test_bench_without_pydiffvg_says_so_in_one_line():
    proc = run_bench("--sizes", "32", "--paths", "1", "--renderer", "diffvg")
    try:
        import pydiffvg  # noqa: F401
    except ImportError:
        assert proc.returncode == 2
        assert proc.stderr.strip().startswith("error: pydiffvg is not installed:")
        assert "Traceback" not in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
