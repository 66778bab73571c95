"""``layervec IN -o OUT.svg`` as a user runs it: real files in, SVG out, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from layervec_ext.core.metrics import psnr, rasterize_svg

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "layervec_ext", *args], capture_output=True, env=ENV,
                          input=stdin, timeout=240)


@pytest.fixture(scope="module")
def picture(tmp_path_factory) -> Path:
    img = Image.new("RGB", (64, 48), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((8, 4, 56, 44), fill=(240, 180, 30), outline=(90, 50, 10), width=3)
    d.rectangle((24, 20, 40, 28), fill=(40, 40, 160))
    path = tmp_path_factory.mktemp("cli") / "pic.png"
    img.save(path)
    return path


def test_vectorizes_a_png_into_a_layered_svg(picture, tmp_path):
    out = tmp_path / "out.svg"
    res = run(str(picture), "-o", str(out), "--paths", "6", "--preset", "fast", "--quiet")
    assert res.returncode == 0, res.stderr.decode()
    svg = out.read_text()
    assert 'viewBox="0 0 64 48"' in svg and 'inkscape:groupmode="layer"' in svg
    assert svg.count("<path ") <= 6
    ref = np.asarray(Image.open(picture).convert("RGB"))
    assert psnr(rasterize_svg(svg, 64, 48), ref) >= 20.0
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_same_seed_gives_identical_bytes_and_progress_json(picture, tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    ra = run(str(picture), "-o", str(a), "--paths", "5", "--preset", "fast", "--seed", "7", "--progress-json")
    rb = run(str(picture), "-o", str(b), "--paths", "5", "--preset", "fast", "--seed", "7", "--quiet")
    assert ra.returncode == 0 and rb.returncode == 0
    assert a.read_bytes() == b.read_bytes()
    lines = [json.loads(x) for x in ra.stderr.decode().splitlines()]
    progress = [x for x in lines if x["kind"] == "progress"]
    assert progress and all(set(x) == {"kind", "fraction", "stage", "elapsed"} for x in progress)
    fracs = [x["fraction"] for x in progress]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0
    assert lines[-1] == {"kind": "result", "path": str(a), "paths": lines[-1]["paths"],
                         "seconds": lines[-1]["seconds"], "input": ""} and 1 <= lines[-1]["paths"] <= 5
    assert rb.stderr == b""


def test_the_svg_is_the_same_whatever_kernels_the_cpu_would_pick(tmp_path):
    """MKL (PyTorch's BLAS and vector maths), OpenBLAS (numpy's BLAS) and numpy's own loops pick
    their code by the CPU, each rounding (or sorting ties) its own way, and the fit follows every
    last bit: with the renderer's products and square roots by MKL, this run's SVG differed between
    MKL's kernels for this CPU and its SSE2 or AVX2 ones; it differs between OpenBLAS's AVX-512 and
    AVX ones, and with numpy's AVX-512 loops on or off (the over-segmentation's regions). Told to
    use each, the command writes the same SVG byte for byte (MKL left to choose: the renderer
    computes without it; the others pinned)."""
    from layervec_ext.core.runtime import cpu_flags

    wide = "SkylakeX" if "avx512f" in cpu_flags() else "Haswell"
    envs = [ENV, {**ENV, "MKL_CBWR": "COMPATIBLE", "OPENBLAS_CORETYPE": wide, "NPY_DISABLE_CPU_FEATURES": ""},
            {**ENV, "MKL_CBWR": "AVX2", "OPENBLAS_CORETYPE": "Sandybridge",
             "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}]
    smiley = Path(__file__).resolve().parent.parent / "layervec_ext" / "samples" / "smiley.png"
    runs = [subprocess.Popen([sys.executable, "-m", "layervec_ext", str(smiley), "-o", str(tmp_path / f"{i}.svg"),
                              "--paths", "32", "--max-size", "256", "--quiet"], env=env, stderr=subprocess.PIPE)
            for i, env in enumerate(envs)]
    assert [proc.wait(timeout=240) for proc in runs] == [0] * len(envs), [proc.stderr.read() for proc in runs]
    svgs = [(tmp_path / f"{i}.svg").read_bytes() for i in range(len(envs))]
    assert svgs[1] == svgs[0] and svgs[2] == svgs[0]


def test_stdin_to_stdout(picture):
    res = run("-", "-o", "-", "--paths", "3", "--preset", "fast", "--quiet", stdin=picture.read_bytes())
    assert res.returncode == 0
    assert res.stdout.startswith(b"<?xml") and b"</svg>" in res.stdout


@pytest.mark.parametrize("make,args,needle", [
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n garbage"), [], "corrupt"),
    (lambda p: p.write_text("just text"), [], "not a supported image"),
    (None, [], "no such file"),
    ("ok", ["--paths", "0"], "--paths"),
    ("ok", ["--fill", "conic"], "--fill"),
    ("ok", ["--layers", "many"], "--layers"),
    ("ok", ["--bogus"], "unrecognized"),
    ("ok", ["--segments", "100000"], "--segments: must be between 2 and 64"),
    ("ok", ["--seed", "99999999999999999999"], "--seed: must be between 0 and"),
])
def test_user_mistakes_are_one_line_nonzero_and_write_nothing(picture, tmp_path, make, args, needle):
    src = tmp_path / "in.png"
    if make == "ok":
        src.write_bytes(picture.read_bytes())
    elif make is not None:
        make(src)
    out = tmp_path / "out.svg"
    res = run(str(src), "-o", str(out), "--preset", "fast", "--paths", "2", *args)
    err = res.stderr.decode()
    assert res.returncode != 0
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_output_that_cannot_be_written_is_said_before_any_work(picture, tmp_path):
    """A missing folder, the input itself, an empty name: one line before the run, not after it."""
    res = run(str(picture), "-o", str(tmp_path / "nope" / "out.svg"), "--paths", "2", "--progress-json")
    lines = [json.loads(line) for line in res.stderr.decode().splitlines()]
    assert res.returncode == 1 and [m["kind"] for m in lines] == ["error"], "no progress: no work done"
    nope = tmp_path / "nope"
    assert lines[0]["message"] == f"cannot write {nope / 'out.svg'}: folder {nope} does not exist"
    own = tmp_path / "own.png"
    own.write_bytes(picture.read_bytes())
    res = run(str(own), "-o", str(own), "--paths", "2")
    assert res.returncode == 1 and f"-o {own} is the input {own} itself" in res.stderr.decode()
    assert own.read_bytes() == picture.read_bytes(), "the picture is not overwritten"
    res = run(str(own), "-o", "", "--paths", "2")
    assert res.returncode == 2 and "-o: an empty name" in res.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["own.png"]


def test_a_terminal_gets_a_bar_and_a_last_line_saying_what_was_made(picture, tmp_path):
    """On a terminal the bar is redrawn in place, then one line stays: the paths made and the time."""
    import pty

    out = tmp_path / "t.svg"
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "layervec_ext", str(picture), "-o", str(out), "--paths", "3",
                             "--preset", "fast"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=follower, env=ENV)
    os.close(follower)
    seen = b""
    while True:  # read as it comes (a full terminal buffer would stall the command)
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    proc.wait(timeout=300)
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 0 and out.exists()
    assert "%" in text and "\r" in text  # the bar
    last = text.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith(f"layervec: {out}: done: ") and " paths, " in last and last.endswith(" s")


def test_ctrl_c_mid_run_exits_130_and_writes_nothing(picture, tmp_path):
    """SIGINT once the run reports its first optimisation step: one line, exit 130, no file."""
    import signal

    out = tmp_path / "out.svg"
    proc = subprocess.Popen([sys.executable, "-m", "layervec_ext", str(picture), "-o", str(out), "--paths", "16",
                             "--progress-json"], stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        for line in proc.stderr:
            if json.loads(line).get("stage", "").endswith("optimising"):
                break
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert [json.loads(r)["message"] for r in rest.splitlines() if json.loads(r)["kind"] == "error"] == ["interrupted"]
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("delay", [0.3, 0.8])
def test_ctrl_c_while_starting_is_one_line_too(picture, tmp_path, delay):
    """SIGINT in the first second, while torch and OpenCV load: no traceback, in either output form."""
    import signal
    import time

    for extra in ([], ["--progress-json"]):
        out = tmp_path / "out.svg"
        proc = subprocess.Popen([sys.executable, "-m", "layervec_ext", str(picture), "-o", str(out), "--paths", "16",
                                 *extra], stderr=subprocess.PIPE, text=True, env=ENV)
        try:
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            err = proc.communicate(timeout=60)[1]
        finally:
            proc.kill()
        assert proc.returncode == 130, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "interrupted" in err and not out.exists()
