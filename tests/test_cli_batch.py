"""``layervec A B … -o OUTDIR/`` and ``layervec FOLDER -o OUTDIR/`` as a user runs them: real
pictures, real runs, one line per picture on stderr, failures that don't stop the others."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from layervec_ext.core.metrics import psnr, rasterize_svg

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
FAST = ["--preset", "fast", "--paths", "3", "--seed", "3"]
LINE = re.compile(r"^\[(\d+)/(\d+)\] (.+) → (.+\.svg)  \d+\.\d s, (\d+) paths$")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "layervec_ext", *args], capture_output=True, text=True, env=ENV,
                          timeout=240)


def draw(path: Path, colour: tuple[int, int, int], shift: int) -> Path:
    img = Image.new("RGB", (56, 48), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((4 + shift, 4, 50, 44), fill=colour, outline=(90, 50, 10), width=3)
    d.rectangle((20, 18 - shift, 36, 30), fill=(40, 40, 160))
    img.save(path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Three pictures (two formats), a text file and a dot file that a folder input must skip."""
    src = tmp_path_factory.mktemp("pictures")
    draw(src / "apple.png", (240, 180, 30), 0)
    draw(src / "berry.png", (30, 160, 90), 3)
    draw(src / "cherry.jpg", (200, 40, 60), 6)
    (src / "notes.txt").write_text("not a picture")
    draw(src / ".hidden.png", (0, 0, 0), 0)
    return src


PICTURES = ("apple.png", "berry.png", "cherry.jpg")


@pytest.fixture(scope="module")
def batch(folder, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The three pictures named one by one, ``--jobs 1``, into a folder that does not exist yet."""
    out = tmp_path_factory.mktemp("batch") / "new" / "svgs"
    return run(*(str(folder / n) for n in PICTURES), "-o", str(out), *FAST), out


def no_partial_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_several_pictures_into_a_new_folder_one_line_each(folder, batch):
    res, out = batch
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    *lines, summary = res.stderr.splitlines()
    assert summary == f"layervec: 3 of 3 pictures written to {out}"
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed) and len(parsed) == 3, res.stderr
    assert [m.group(1, 2) for m in parsed] == [("1", "3"), ("2", "3"), ("3", "3")]
    assert [(m.group(3), m.group(4)) for m in parsed] == [
        (str(folder / n), str(out / (Path(n).stem + ".svg"))) for n in PICTURES]
    assert sorted(p.name for p in out.iterdir()) == ["apple.svg", "berry.svg", "cherry.svg"]
    for name in PICTURES:
        svg = (out / (Path(name).stem + ".svg")).read_text()
        assert 'viewBox="0 0 56 48"' in svg and 0 < svg.count("<path ") <= 3
        ref = np.asarray(Image.open(folder / name).convert("RGB"))
        assert psnr(rasterize_svg(svg, 56, 48), ref) >= 12.0, name  # blank: 6 dB, the mean colour: 9 dB
    assert no_partial_files(out)


def test_a_picture_of_a_batch_is_the_svg_a_single_run_makes(folder, batch, tmp_path):
    """The last picture of a batch (vectorized after two others in one process) and a single run."""
    single = tmp_path / "cherry.svg"
    res = run(str(folder / "cherry.jpg"), "-o", str(single), *FAST)
    assert res.returncode == 0 and res.stderr == "", "the single run stays quiet when not a terminal"
    assert single.read_bytes() == (batch[1] / "cherry.svg").read_bytes()


def test_a_folder_as_input_takes_its_pictures_only(folder, batch, tmp_path):
    res = run(str(folder), "-o", str(tmp_path / "out") + "/", *FAST)
    assert res.returncode == 0, res.stderr
    names = [LINE.match(line).group(3) for line in res.stderr.splitlines()[:-1]]
    assert names == [str(folder / n) for n in PICTURES], "sorted by name; notes.txt and .hidden.png skipped"
    for n in ("apple", "berry", "cherry"):
        assert (tmp_path / "out" / f"{n}.svg").read_bytes() == (batch[1] / f"{n}.svg").read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["apple.svg", "berry.svg", "cherry.svg"]


def test_two_workers_give_the_same_svgs_as_one(folder, batch, tmp_path):
    res = run(*(str(folder / n) for n in PICTURES), "-o", str(tmp_path), "--jobs", "2", *FAST)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 4 and all(LINE.match(line) for line in lines[:3]), res.stderr
    assert sorted(int(LINE.match(line).group(1)) for line in lines[:3]) == [1, 2, 3]
    for n in ("apple", "berry", "cherry"):
        assert (tmp_path / f"{n}.svg").read_bytes() == (batch[1] / f"{n}.svg").read_bytes(), n
    assert no_partial_files(tmp_path)


def test_bad_pictures_are_one_line_each_and_the_others_finish(folder, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (src / "letter.png").write_text("just text")
    out = tmp_path / "out"
    inputs = [str(folder / "apple.png"), str(src / "broken.png"), str(src / "missing.png"), str(src / "letter.png"),
              str(folder / "berry.png")]
    res = run(*inputs, "-o", str(out), *FAST)
    assert res.returncode == 1, "an unreadable input: the input exit code"
    assert "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 6 and lines[-1] == f"layervec: 2 of 5 pictures written to {out}, 3 failed"
    errors = [line for line in lines if line.startswith("layervec: error: ")]
    assert [e.split(": ")[2] for e in errors] == inputs[1:4], "each names its picture"
    assert "corrupt" in errors[0] and "no such file" in errors[1] and "not a supported image" in errors[2]
    assert sum(bool(LINE.match(line)) for line in lines) == 2
    assert sorted(p.name for p in out.iterdir()) == ["apple.svg", "berry.svg"], "nothing for a failure, no .tmp"


@pytest.mark.parametrize("setup, args, needle", [
    ("file", ["apple.png", "berry.png", "-o", "taken.svg"], "-o taken.svg: is an existing file"),
    ("file", ["pics", "-o", "taken.svg"], "with several inputs -o must be a folder"),
    (None, ["apple.png", "pics/apple.jpg", "-o", "out"], "apple.png and pics/apple.jpg would both be written"),
    (None, ["apple.png", "-", "-o", "out"], "'-' (standard input) is one picture"),
    (None, ["apple.png", "./apple.png", "-o", "out"], "apple.png is given twice"),
    (None, ["apple.png", "berry.png", "-o", "out", "--segments", "65"], "--segments: must be between 2 and 64"),
    (None, ["apple.png", "berry.png", "-o", "-"], "standard output takes a single picture"),
    ("empty", ["apple.png", "empty", "-o", "out"], "empty: a folder with no PNG, JPEG"),
    (None, ["apple.png", "berry.png", "-o", "out", "--segments", "1"], "--segments: must be between 2 and 64"),
    (None, ["apple.png", "berry.png", "-o", "out", "--jobs", "0"], "argument --jobs: must be at least 1"),
])
def test_mistakes_found_before_any_work_are_one_line_and_write_nothing(tmp_path, setup, args, needle):
    draw(tmp_path / "apple.png", (240, 180, 30), 0)
    draw(tmp_path / "berry.png", (30, 160, 90), 3)
    (tmp_path / "pics").mkdir()
    draw(tmp_path / "pics" / "apple.jpg", (30, 160, 90), 3)
    if setup == "file":
        (tmp_path / "taken.svg").write_text("keep me")
    elif setup == "empty":
        (tmp_path / "empty").mkdir()
        (tmp_path / "empty" / "readme.txt").write_text("no pictures")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    res = subprocess.run([sys.executable, "-m", "layervec_ext", *args, *FAST], capture_output=True, text=True,
                         env=ENV, cwd=tmp_path, timeout=120)
    assert res.returncode != 0 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("layervec: error: ") and needle in res.stderr, \
        res.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert setup != "file" or (tmp_path / "taken.svg").read_text() == "keep me"


def test_a_batch_that_writes_nothing_leaves_no_new_folder(tmp_path):
    """Every picture failed: the folder the run would have made is not left behind, empty."""
    res = run(str(tmp_path / "nope1.png"), str(tmp_path / "nope2.png"), "-o", str(tmp_path / "new"), *FAST)
    assert res.returncode == 1 and "0 of 2 pictures written" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_cuda_is_said_once_before_any_work(folder, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: --device cuda is no mistake here")
    res = run(str(folder / "apple.png"), str(folder / "berry.png"), "-o", str(tmp_path / "out"), *FAST,
              "--device", "cuda")
    assert res.returncode == 2
    assert res.stderr == "layervec: error: --device cuda requested but no CUDA device is available\n"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_stops_the_batch_and_leaves_no_partial_file(folder, tmp_path):
    """SIGINT once the first picture is written: the second is mid-run and is not written."""
    proc = subprocess.Popen([sys.executable, "-m", "layervec_ext", *(str(folder / n) for n in PICTURES),
                             "-o", str(tmp_path), "--preset", "fast", "--paths", "16"],
                            stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        first = proc.stderr.readline()
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    finally:
        proc.kill()
    assert LINE.match(first.rstrip("\n")), first
    assert proc.returncode == 130
    assert rest == "layervec: error: interrupted (1 of 3 pictures written)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apple.svg"]


def _workers_of(pid: int) -> list[int]:
    """The spawned worker processes of the batch ``pid`` (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmd:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_mid_batch_costs_no_picture(folder, batch, tmp_path):
    """The out-of-memory killer (or a kill) ends one worker: its pool breaks, the pictures in work
    are tried again alone, and every picture is written as a quiet run writes it."""
    import time

    proc = subprocess.Popen([sys.executable, "-m", "layervec_ext", *(str(folder / n) for n in PICTURES),
                             "-o", str(tmp_path), "--jobs", "2", *FAST], stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        deadline = time.monotonic() + 60
        while not (workers := _workers_of(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert workers, "no worker process started"
        os.kill(workers[0], signal.SIGKILL)
        err = proc.communicate(timeout=240)[1]
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "a worker process died with" in err and "trying each again alone" in err
    assert err.splitlines()[-1] == f"layervec: 3 of 3 pictures written to {tmp_path}"
    for n in ("apple", "berry", "cherry"):
        assert (tmp_path / f"{n}.svg").read_bytes() == (batch[1] / f"{n}.svg").read_bytes(), n
    assert no_partial_files(tmp_path)
