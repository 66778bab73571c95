"""The backend's JSON lines (layervec_ext/protocol.py), as the backend writes them and as the effect
reads them: real command runs, and the effect in Inkscape's Python behind stand-in backends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_inkscape_effect import INKSCAPE_PYTHON, SCRIPT, _errors_doc, _inkex_env

from layervec_ext import protocol

ROOT = Path(__file__).resolve().parents[1]
PIC = ROOT / "tests" / "data" / "inkscape" / "pic.png"


def test_every_message_survives_a_line_and_anything_else_is_text():
    for message in (protocol.Progress(0.5, "stage 1/3: optimising", 1.25), protocol.Preview("/tmp/p.png", 7, 2.0),
                    protocol.Result("/tmp/o.svg", 12, 3.5, "a.png"), protocol.Error("a.png: no such file", 1)):
        text = protocol.line(message)
        assert text.endswith("\n") and text.count("\n") == 1
        assert protocol.decode(text) == message
    for text in ("Traceback (most recent call last):", '{"kind": "progress", "fraction": "half", "stage": "x"}',
                 '{"kind": "weather"}', "{not json", "[1, 2]"):
        assert protocol.decode(text) == protocol.Text(text)


def test_a_batch_reports_a_result_or_an_error_per_picture(tmp_path):
    for name in ("a.png", "b.png"):
        shutil.copy(PIC, tmp_path / name)
    (tmp_path / "c.png").write_text("not a picture")
    proc = subprocess.run([sys.executable, "-m", "layervec_ext", *(str(tmp_path / n) for n in ("a.png", "b.png",
                           "c.png")), "-o", str(tmp_path / "out") + "/", "--paths", "3", "--preset", "fast",
                           "--progress-json"], capture_output=True, text=True, timeout=300)
    messages = [protocol.decode(line) for line in proc.stderr.splitlines()]
    assert all(not isinstance(m, protocol.Text) for m in messages), proc.stderr
    results = [m for m in messages if isinstance(m, protocol.Result)]
    errors = [m for m in messages if isinstance(m, protocol.Error)]
    assert [Path(r.path).name for r in results] == ["a.svg", "b.svg"], errors
    assert all(r.paths >= 1 for r in results)
    assert len(errors) == 1 and "c.png" in errors[0].message and errors[0].code == protocol.EXIT_INPUT
    assert proc.returncode == protocol.EXIT_INPUT
    assert [m.fraction for m in messages if isinstance(m, protocol.Progress)][-1] == 1.0


def _stand_in(tmp_path: Path, body: str) -> str:
    script = tmp_path / "backend.sh"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.skipif(not shutil.which(INKSCAPE_PYTHON), reason=f"needs {INKSCAPE_PYTHON}")
@pytest.mark.parametrize("body, says", [
    ("echo '" + json.dumps({"kind": "error", "message": "pic.png: corrupt PNG data", "code": 1}) + "' >&2; exit 1",
     "LayerVec: good: pic.png: corrupt PNG data"),  # the input's fault: said as it is
    ("echo '" + json.dumps({"kind": "error", "message": "internal error: KeyError: 3", "code": 3}) + "' >&2; exit 3",
     "LayerVec: good: backend failed: internal error: KeyError: 3"),
    ("kill -9 $$", "LayerVec: good: backend was stopped by signal SIGKILL (out of memory?)"),
    ("exit 3", "LayerVec: good: backend failed (exit code 3)"),
    ("echo '" + json.dumps({"kind": "progress", "fraction": 1.0, "stage": "done"}) + "' >&2; exit 0",
     "LayerVec: good: backend wrote no result"),
])
def test_the_effect_reads_the_exit_code_and_the_error_line(tmp_path, body, says):
    env = _inkex_env()
    env["LAYERVEC_PYTHON"] = _stand_in(tmp_path, body)
    proc = subprocess.run([INKSCAPE_PYTHON, str(SCRIPT), "--id=good", str(_errors_doc(tmp_path))], env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode != 0 and proc.stdout == b""
    assert proc.stderr.decode().strip() == says
