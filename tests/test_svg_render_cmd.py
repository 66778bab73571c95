"""``layervec render`` end to end: a real SVG file in, a PNG out whose pixels match resvg."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from layervec_ext.core.metrics import psnr, rasterize_svg
from layervec_ext.core.render_cmd import main

DATA = Path(__file__).parent / "data" / "svg"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "layervec_ext", "render", *args],
                          capture_output=True, text=True, timeout=120)


def test_render_command_matches_resvg(tmp_path):
    src = DATA / "gradients.svg"
    out = tmp_path / "out.png"
    done = run(str(src), "-o", str(out), "--width", "192")
    assert done.returncode == 0, done.stderr
    image = np.asarray(Image.open(out))
    assert image.shape == (192, 192, 3)
    db = psnr(image, rasterize_svg(src.read_text(), 192, 192))
    print(f"layervec render vs resvg: {db:.2f} dB")
    assert db >= 40.0
    # a file like any other program's (0666 less the umask), not the temporary file's private 0600
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_transparent_and_coloured_backgrounds(tmp_path):
    src = DATA / "holes.svg"
    clear, dark = tmp_path / "clear.png", tmp_path / "dark.png"
    assert run(str(src), "-o", str(clear), "--background", "none").returncode == 0
    assert run(str(src), "-o", str(dark), "--background", "#202020", "--renderer", "reference").returncode == 0
    rgba = np.asarray(Image.open(clear))
    assert rgba.shape == (128, 128, 4)
    theirs = rasterize_svg(src.read_text(), 128, 128, background=None)
    visible = theirs[..., 3] > 0
    assert psnr(rgba[..., 3], theirs[..., 3]) >= 40.0
    assert np.abs(rgba[visible & (theirs[..., 3] == 255), :3].astype(int)
                  - theirs[visible & (theirs[..., 3] == 255), :3]).max() <= 3
    assert psnr(np.asarray(Image.open(dark)), rasterize_svg(src.read_text(), 128, 128, background="#202020")) >= 40.0


@pytest.mark.parametrize("make_input, args, fragment, code", [
    (lambda d: d / "missing.svg", (), "missing.svg: no such file", 1),
    (lambda d: _write(d / "t.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
                                   '<text id="t1">x</text></svg>'), (), 'unsupported SVG element <text id="t1">', 2),
    (lambda d: _write(d / "bad.svg", "<svg"), (), "not well-formed XML", 2),
    (lambda d: DATA / "shapes.svg", ("--background", "mauve-ish"), "cannot read colour 'mauve-ish'", 2),
    (lambda d: DATA / "shapes.svg", ("--width", "0"), "--width: must be between 1 and 16384", 2),
    (lambda d: DATA / "shapes.svg", ("--renderer", "cairo"), "invalid choice: 'cairo'", 2),
    (lambda d: _write(d / "inf.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="1e400" height="9"/>'), (),
     '<svg width="1e400"> must be a positive number', 2),
    (lambda d: _write(d / "huge.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>'),
     (), "a canvas of 100000×100000 pixels is too large", 2),
    (lambda d: DATA / "shapes.svg", ("-o", ""), "-o: an empty name", 2),
    (lambda d: DATA / "shapes.svg", ("-o", "nowhere/out.png"), "folder nowhere does not exist", 1),
])
def test_user_mistakes_are_one_line_and_write_nothing(tmp_path, capsys, make_input, args, fragment, code):
    """1: a file that cannot be read or written; 2: a bad option, an SVG the reader refuses."""
    out = tmp_path / "out.png"
    assert main([str(make_input(tmp_path)), "-o", str(out), *args]) == code
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_the_output_is_never_the_input_and_dash_is_standard_output(tmp_path):
    src = tmp_path / "shapes.svg"
    src.write_bytes((DATA / "shapes.svg").read_bytes())
    done = run(str(src), "-o", str(src))
    assert done.returncode == 1 and f"-o {src} is the input {src} itself" in done.stderr
    assert src.read_bytes() == (DATA / "shapes.svg").read_bytes()
    png = subprocess.run([sys.executable, "-m", "layervec_ext", "render", str(src), "-o", "-"], capture_output=True,
                         timeout=120)
    assert png.returncode == 0 and png.stdout.startswith(b"\x89PNG") and not (tmp_path / "-").exists()
    assert np.asarray(Image.open(io.BytesIO(png.stdout))).shape[:2] == (128, 128)


def test_unsupported_svg_exits_2_without_traceback(tmp_path):
    src = _write(tmp_path / "stroked.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
                                           '<path id="outline" d="M1 1h5v5z" fill="none" stroke="#000"/></svg>')
    done = run(str(src), "-o", str(tmp_path / "out.png"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f'layervec render: error: {src}: unsupported SVG in <path id="outline">: '
                                   "strokes are not supported (stroke='#000'); LayerVec draws fills only "
                                   "(--ignore-strokes drops them)")
    assert run(str(src), "-o", str(tmp_path / "out.png"), "--ignore-strokes").returncode == 0


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
