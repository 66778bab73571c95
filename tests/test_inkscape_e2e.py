"""End to end through real Inkscape: the menu item's action run headless under Xvfb, parameters
from a private profile's preferences.xml, the extension registered by symlinks in that profile.

Traps (layervec_ext/docs/DESIGN.md §5): without a display the action silently doesn't exist and Inkscape still exits 0;
any stderr output from an extension opens a modal dialog and Inkscape hangs — hence ``timeout``
and checking the saved file, never the exit code alone.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from PIL import Image

from layervec_ext.core.metrics import psnr

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "inkscape"
NS = {"svg": "http://www.w3.org/2000/svg", "inkscape": "http://www.inkscape.org/namespaces/inkscape"}
SOURCE = "{https://layervec.org/ns/1}source"
EXT = "org.layervec.vectorize"

pytestmark = pytest.mark.skipif(not (shutil.which("inkscape") and shutil.which("xvfb-run")),
                                reason="needs Inkscape and xvfb-run")


def make_profile(folder: Path, **params: str) -> Path:
    """A private Inkscape profile with LayerVec linked in and its parameters preset."""
    profile = folder / "profile"
    (profile / "extensions").mkdir(parents=True)
    (profile / "extensions" / "layervec.inx").symlink_to(ROOT / "layervec.inx")
    (profile / "extensions" / "layervec_ext").symlink_to(ROOT / "layervec_ext", target_is_directory=True)
    attrs = " ".join(f'{EXT}.{k}="{v}"' for k, v in params.items())
    (profile / "preferences.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<inkscape xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" version="1">\n'
        f'  <group id="extensions" {attrs}/>\n</inkscape>\n')
    return profile


def inkscape_env(profile: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DOCUMENT_PATH")}
    env["INKSCAPE_PROFILE_DIR"] = str(profile)
    env["LAYERVEC_PYTHON"] = sys.executable  # this interpreter has the backend's dependencies
    return env


def inkscape_png(svg: Path, env: dict, width: int) -> np.ndarray:
    out = svg.with_suffix(".png")
    subprocess.run(["timeout", "60", "inkscape", str(svg), "--export-type=png", f"--export-filename={out}",
                    f"--export-width={width}"], env=env, check=True, capture_output=True)
    return np.asarray(Image.open(io.BytesIO(out.read_bytes())).convert("RGBA"))


@pytest.fixture(scope="module")
def inkscape_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    for name in ("e2e.svg", "pic.png"):
        shutil.copy(DATA / name, folder / name)
    profile = make_profile(folder, paths="6", preset="fast", original="keep")
    env = inkscape_env(profile)
    out = folder / "out.svg"
    actions = f"select-by-id:group1;{EXT}.noprefs;export-filename:{out};export-do"
    proc = subprocess.run(["timeout", "150", "xvfb-run", "-a", "inkscape", "--batch-process", f"--actions={actions}",
                           str(folder / "e2e.svg")], env=env, capture_output=True, cwd=folder)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]  # 124: Inkscape hung (a dialog?)
    assert out.exists(), proc.stderr.decode()[-2000:]
    return folder, env, out


def test_inkscape_saves_layers_and_gradients(inkscape_run):
    _, _, out = inkscape_run
    root = etree.parse(str(out)).getroot()
    layers = [g for g in root if g.get(SOURCE) == "pic"]
    assert len(layers) == 1
    layer = layers[0]
    assert layer.get(f"{{{NS['inkscape']}}}groupmode") == "layer"
    assert layer.get(f"{{{NS['inkscape']}}}label") == "LayerVec: pic"
    assert "paths=6" in layer.get("{https://layervec.org/ns/1}settings")
    sub = layer.xpath("svg:g[@inkscape:groupmode='layer']", namespaces=NS)
    assert sub and sum(len(g.xpath("svg:path", namespaces=NS)) for g in sub) >= 2
    gradients = root.xpath("//svg:defs/svg:radialGradient", namespaces=NS)
    assert len(gradients) >= 2, "the document's own gradient plus ours"
    ids = [str(i) for i in root.xpath("//@id")]
    assert len(ids) == len(set(ids)), "our ids must not collide with the document's (it has an lv1- id)"


def test_inkscape_render_of_the_result_matches_the_bitmap(inkscape_run):
    folder, env, out = inkscape_run
    original = inkscape_png(folder / "e2e.svg", env, 480)
    root = etree.parse(str(out)).getroot()
    for img in root.xpath("//svg:image", namespaces=NS):
        img.getparent().remove(img)
    vector_only = folder / "vector_only.svg"
    vector_only.write_bytes(etree.tostring(root))
    ours = inkscape_png(vector_only, env, 480)
    inside = original[..., 3] == 255  # the bitmap's visible area (rotated, sliced)
    assert inside.sum() > 10_000
    covered = ours[..., 3] > 0
    outside = ~(original[..., 3] > 0)
    assert covered[inside].mean() > 0.999 and covered[outside].mean() < 0.002, "placement"
    score = psnr(ours[..., :3][inside][None], original[..., :3][inside][None])
    print(f"e2e PSNR {score:.2f} dB")
    assert score > 18, f"{score:.1f} dB over the bitmap's area with 6 paths"
