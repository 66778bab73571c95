"""The Inkscape effect run exactly as Inkscape runs it: Inkscape's Python + its bundled inkex 1.2,
``script.py --id=… doc.svg``, with the real backend (tiny settings) behind it.

Placement is checked against an independent implementation: resvg draws the original ``<image>``
(preserveAspectRatio, transforms, units, viewBox) and, separately, our layer; the two covered
areas must agree.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from layervec_ext.core.metrics import psnr, rasterize_svg

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "inkscape"
SCRIPT = ROOT / "layervec_ext" / "inkscape" / "layervec_effect.py"
INKEX_DIR = os.environ.get("INKSCAPE_EXTENSIONS_DIR", "/usr/share/inkscape/extensions")
INKSCAPE_PYTHON = os.environ.get("INKSCAPE_PYTHON", "/usr/bin/python3")
NS = {"svg": "http://www.w3.org/2000/svg", "inkscape": "http://www.inkscape.org/namespaces/inkscape",
      "xlink": "http://www.w3.org/1999/xlink", "layervec": "https://layervec.org/ns/1"}
SOURCE = "{https://layervec.org/ns/1}source"
# The standard-library modules of the package both halves import: options, SVG units, the size limit, the
# backend's messages.
SHARED = ("options", "svgunits", "limits", "protocol")
TINY = ["--paths=2", "--preset=fast"]


def _inkex_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCUMENT_PATH", "LAYERVEC_PYTHON", "PYTHONPATH")}
    env["PYTHONPATH"] = INKEX_DIR  # what Inkscape does before running an extension
    env["LAYERVEC_PYTHON"] = sys.executable  # this interpreter has torch: the backend
    return env


def _has_inkscape_inkex() -> bool:
    try:
        return subprocess.run([INKSCAPE_PYTHON, "-c", "import inkex"], env=_inkex_env(),
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(not _has_inkscape_inkex(),
                                reason=f"Inkscape's inkex not importable by {INKSCAPE_PYTHON} from {INKEX_DIR}")


def run_effect(doc: Path, *args: str, env: dict | None = None, script: Path = SCRIPT, timeout: float = 300):
    """``python3 layervec_effect.py ARGS doc`` → CompletedProcess (stdout = the new document)."""
    full_env = _inkex_env()
    full_env.update(env or {})
    for key, value in list(full_env.items()):
        if value is None:
            del full_env[key]
    return subprocess.run([INKSCAPE_PYTHON, str(script), *args, str(doc)], env=full_env, capture_output=True,
                          timeout=timeout, cwd=doc.parent)


def result_layers(root) -> dict[str, etree._Element]:
    return {g.get(SOURCE): g for g in root if g.get(SOURCE)}


def all_ids(root) -> list[str]:
    return [str(i) for i in root.xpath("//@id")]


def _embed_links(root, folder: Path) -> None:
    """resvg renders from a string: inline linked bitmaps so it can draw the original. resvg-py
    also ignores images sized in mm: convert those by the CSS definition (96 px = 25.4 mm)."""
    for img in root.iter(f"{{{NS['svg']}}}image"):
        for name in ("width", "height"):
            if img.get(name, "").endswith("mm"):
                img.set(name, str(float(img.get(name)[:-2]) * 96 / 25.4))
        href = img.get(f"{{{NS['xlink']}}}href")
        if href and not href.startswith("data:"):
            data = (folder / "pic.png").read_bytes()  # every linked fixture shows pic.png
            img.set(f"{{{NS['xlink']}}}href", "data:image/png;base64," + base64.b64encode(data).decode())


def _alpha(root, width: int, height: int) -> np.ndarray:
    root.set("width", str(width))  # resvg-py rejects mm sizes; the viewBox still maps user units
    root.set("height", str(height))
    rgba = rasterize_svg(etree.tostring(root), width, height, background=None)
    return rgba[..., 3] > 127


def _bbox(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=float)


# --- placement ---------------------------------------------------------------------------------
PLACEMENT_IDS = re.findall(r'<image id="([^"]+)"', (DATA / "placement.svg").read_text())
SCALE = 8  # render pixels per user unit (the document is 200 × 150 user units, in mm)


@pytest.fixture(scope="module")
def placed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("placement")
    for name in ("placement.svg", "pic.png"):
        shutil.copy(DATA / name, folder / name)
    proc = run_effect(folder / "placement.svg", "--id=all", *TINY)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b"", "any stderr output opens a blocking dialog in Inkscape"
    return folder, etree.fromstring(proc.stdout)


def test_every_selected_image_gets_its_own_top_level_layer(placed):
    _, root = placed
    layers = result_layers(root)
    assert sorted(layers) == sorted(PLACEMENT_IDS)
    for source, layer in layers.items():
        assert layer.getparent() is root
        assert layer.get(f"{{{NS['inkscape']}}}groupmode") == "layer"
        assert layer.get(f"{{{NS['inkscape']}}}label") == f"LayerVec: {source}"
        assert "paths=2" in layer.get("{https://layervec.org/ns/1}settings")
        assert layer.xpath(".//svg:g[@inkscape:groupmode='layer']/svg:path", namespaces=NS)
    # the originals are hidden (the default), ids are unique, gradients sit in the document's defs
    for img in root.iter(f"{{{NS['svg']}}}image"):
        assert "display:none" in img.get("style", "")
    ids = all_ids(root)
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r"url\(#([^)]+)\)", etree.tostring(root).decode()))
    defs = {el.get("id") for el in root.find("svg:defs", NS)}
    assert refs and refs <= defs


@pytest.mark.parametrize("image_id", PLACEMENT_IDS)
def test_layer_covers_exactly_the_bitmaps_visible_area(placed, image_id):
    folder, result = placed
    original = etree.fromstring((folder / "placement.svg").read_bytes())
    for img in list(original.iter(f"{{{NS['svg']}}}image")):
        if img.get("id") != image_id:
            img.getparent().remove(img)
    for el in original.xpath("//*[@id='paper']"):
        el.getparent().remove(el)
    _embed_links(original, folder)
    ours = etree.fromstring(etree.tostring(result))
    for el in ours.xpath("//svg:image | //*[@id='paper']", namespaces=NS):
        el.getparent().remove(el)
    for source, layer in result_layers(ours).items():
        if source != image_id:
            ours.remove(layer)
    want = _alpha(original, 200 * SCALE, 150 * SCALE)
    got = _alpha(ours, 200 * SCALE, 150 * SCALE)
    assert want.any() and got.any()
    # edges within 1 render px = 0.125 mm = 0.47 CSS px (measured: identical masks in all cases)
    np.testing.assert_allclose(_bbox(got), _bbox(want), atol=1.0)
    iou = (want & got).sum() / (want | got).sum()
    assert iou > 0.995


# --- inputs ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    shutil.copy(DATA / "pic.png", folder / "pic.png")
    doc = folder / "formats.svg"
    doc.write_text((DATA / "formats.svg").read_text().replace("@DIR@", folder.as_posix()))
    # Inkscape runs the effect on a temp copy elsewhere; DOCUMENT_PATH names the saved original
    tmp_copy = folder / "elsewhere"
    tmp_copy.mkdir()
    shutil.copy(doc, tmp_copy / "ink_ext_XXXXXX.svg")
    proc = run_effect(tmp_copy / "ink_ext_XXXXXX.svg", "--id=layer1", *TINY, "--original=delete",
                      env={"DOCUMENT_PATH": str(doc)})
    return folder, doc, proc


def test_every_bitmap_format_and_link_kind_is_vectorized(formats):
    folder, doc, proc = formats
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    root = etree.fromstring(proc.stdout)
    assert sorted(result_layers(root)) == sorted(
        ["emb-png", "emb-jpeg", "emb-gif", "emb-webp", "emb-bmp", "link-0", "link-1", "link-2", "link-absref"])
    assert not list(root.iter(f"{{{NS['svg']}}}image")), "--original=delete removes the bitmaps"
    # each result, drawn in place of its bitmap, looks like the bitmap (two paths: a rough likeness)
    original = etree.fromstring(doc.read_bytes())
    for img in original.iter(f"{{{NS['svg']}}}image"):  # all encode one picture; resvg draws no BMP
        img.set(f"{{{NS['xlink']}}}href", "pic.png")
    _embed_links(original, folder)
    want = rasterize_svg(etree.tostring(original), 240, 80)
    got = rasterize_svg(proc.stdout, 240, 80)
    for i, x in enumerate(range(0, 5 * 45, 45)):
        assert psnr(got[2:28, x + 2:x + 38], want[2:28, x + 2:x + 38]) > 15, f"embedded image {i}"
    for x in range(0, 4 * 45, 45):
        assert psnr(got[42:68, x + 2:x + 38], want[42:68, x + 2:x + 38]) > 15, f"linked image at x={x}"


def _one_image(folder: Path, href: str, size: tuple[int, int], box: tuple[int, int, int, int], shown: Path,
               *args: str) -> tuple[subprocess.CompletedProcess, etree._Element, etree._Element]:
    """A document of one ``<image>`` linking ``href`` at ``box`` (x, y, w, h), vectorized: the run,
    the result without the bitmap, and the document showing ``shown`` (a PNG, embedded) instead."""
    x, y, w, h = box
    doc = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{size[0]}" '
           f'height="{size[1]}" viewBox="0 0 {size[0]} {size[1]}"><image id="it" x="{x}" y="{y}" width="{w}" '
           f'height="{h}" xlink:href="{{}}"/></svg>')
    (folder / "doc.svg").write_text(doc.format(href))
    proc = run_effect(folder / "doc.svg", "--id=it", "--preset=fast", *args)
    assert proc.returncode == 0, proc.stderr.decode()
    ours = etree.fromstring(proc.stdout)
    for img in ours.iter(f"{{{NS['svg']}}}image"):
        img.getparent().remove(img)
    data = base64.b64encode(shown.read_bytes()).decode()
    return proc, ours, etree.fromstring(doc.format("data:image/png;base64," + data))


def test_no_outline_shows_beyond_the_bitmaps_frame(tmp_path):
    """Past the bitmap's edge the fit has no pixel to match, and outlines may run far beyond it; in
    the document they must not show there (the command's SVG hides them at its viewBox)."""
    shutil.copy(DATA / "pic.png", tmp_path / "pic.png")  # 40 × 30, at 2 user units a pixel
    _, ours, want_doc = _one_image(tmp_path, "pic.png", (120, 100), (20, 30, 80, 60), DATA / "pic.png", "--paths=8")
    got, want = _alpha(ours, 480, 400), _alpha(want_doc, 480, 400)  # 4 render px a user unit
    # nothing past the frame, one bitmap pixel (8 render px) wider than the bitmap; without it, 17 render px
    np.testing.assert_allclose(_bbox(got), _bbox(want), atol=8.0)
    assert (want & ~got).sum() <= 0.01 * want.sum()  # and all of the picture drawn


def test_a_sideways_stored_phone_photo_is_traced_the_way_inkscape_shows_it(tmp_path):
    """A JPEG stored 40×64 with EXIF orientation 6 is shown 64×40, turned a quarter clockwise (by
    Inkscape as by every viewer): the result lies over it the same way, not across it."""
    from PIL import Image

    stored = np.zeros((64, 40, 3), np.uint8)
    stored[:20] = (220, 30, 30)  # red on top as stored: on the right as shown
    stored[20:] = (30, 30, 220)
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "phone.jpg", quality=95, exif=exif.tobytes())
    shown = np.ascontiguousarray(np.rot90(stored, -1))
    Image.fromarray(shown).save(tmp_path / "shown.png")
    proc, ours, want_doc = _one_image(tmp_path, "phone.jpg", (100, 100), (10, 10, 80, 80), tmp_path / "shown.png",
                                      "--paths=4")
    want, got = _alpha(want_doc, 400, 400), _alpha(ours, 400, 400)
    # 80 × 50, landscape, not 50 × 80; within the frame's margin of one bitmap pixel (5 render px)
    np.testing.assert_allclose(_bbox(got), _bbox(want), atol=5.0)
    inside = (slice(110, 290), slice(50, 350))  # within the picture (x 40–360, y 100–300), clear of its edges
    drawn, shown = rasterize_svg(proc.stdout, 400, 400), rasterize_svg(etree.tostring(want_doc), 400, 400)
    assert psnr(drawn[inside], shown[inside]) > 20


def _errors_doc(tmp_path: Path) -> Path:
    shutil.copy(DATA / "pic.png", tmp_path / "pic.png")
    shutil.copy(DATA / "errors.svg", tmp_path / "errors.svg")
    return tmp_path / "errors.svg"


def _assert_aborted(proc, fragment: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode != 0
    assert proc.stdout == b"", "an aborted run must not hand Inkscape a document"
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment.lower() in err.lower(), err


@pytest.mark.parametrize("args, fragment", [
    ([], "select a bitmap"),
    (["--id=rect1"], "holds no bitmap"),
    (["--id=missing-link"], "linked file not found: no-such-picture.png"),
    (["--id=truncated-png"], "truncated PNG"),
    (["--id=corrupt-png"], "corrupt PNG"),
    (["--id=truncated-jpeg"], "truncated JPEG"),
    (["--id=bad-base64"], "corrupt base64"),
    (["--id=unsupported"], "not a supported bitmap"),
    (["--id=text"], "not a supported bitmap"),
    (["--id=huge"], "10000×8000 pixels is too large"),
    (["--id=empty"], "empty image data"),
    (["--id=zero-size"], "image zero-size has no usable size"),
    (["--id=negative-size"], "image negative-size has no usable size"),
    (["--id=endless-size"], "image endless-size has no usable size"),
    (["--id=clone"], "a clone of a bitmap, not the bitmap itself"),
    (["--id=in-nested-svg"], "nested <svg>"),
    (["--id=good", "--id=truncated-png"], "truncated PNG"),  # one bad image stops the whole run
])
def test_bad_input_aborts_with_one_line_and_no_document(tmp_path, args, fragment):
    _assert_aborted(run_effect(_errors_doc(tmp_path), *args, *TINY), fragment)


def test_backend_problems_abort_cleanly(tmp_path):
    doc = _errors_doc(tmp_path)
    _assert_aborted(run_effect(doc, "--id=good", env={"LAYERVEC_PYTHON": str(tmp_path / "nope")}), "does not exist")
    crash = tmp_path / "crash.sh"
    crash.write_text("#!/bin/sh\necho 'layervec: error: out of memory' >&2\nexit 3\n")
    crash.chmod(crash.stat().st_mode | stat.S_IEXEC)
    _assert_aborted(run_effect(doc, "--id=good", env={"LAYERVEC_PYTHON": str(crash)}), "backend failed: out of memory")
    # a Python without torch (Inkscape's own) cannot run the backend
    _assert_aborted(run_effect(doc, "--id=good", env={"LAYERVEC_PYTHON": INKSCAPE_PYTHON}), "run python3 install.py")


def test_backend_timeout_aborts(tmp_path):
    proc = run_effect(_errors_doc(tmp_path), "--id=good", "--paths=64", "--preset=best", "--timeout=1")
    _assert_aborted(proc, "did not finish within 1 s")


def _backend_pids(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmd = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if "layervec_ext" in cmd and marker in cmd and "layervec_effect" not in cmd:
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cancel_in_inkscape_stops_the_backend(tmp_path):
    """Cancel may SIGKILL the script: the backend must not keep computing for minutes."""
    doc = _errors_doc(tmp_path)
    env = _inkex_env()
    env["TMPDIR"] = str(tmp_path)  # the backend's command line names its input under here
    proc = subprocess.Popen([INKSCAPE_PYTHON, str(SCRIPT), "--id=good", "--paths=64", "--preset=best", str(doc)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _backend_pids(str(tmp_path)) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert _backend_pids(str(tmp_path)), "the backend never started"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 3  # immediate with the death signal (else: at its next stderr write)
    while _backend_pids(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _backend_pids(str(tmp_path))


def test_uninstalled_backend_says_how_to_install(tmp_path):
    """A package copy with no LAYERVEC_PYTHON, no backend.json and no .venv beside it."""
    pkg = tmp_path / "ext" / "layervec_ext"
    shutil.copytree(ROOT / "layervec_ext" / "inkscape", pkg / "inkscape",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("__init__", *SHARED):  # what the Inkscape half imports from the package
        shutil.copy(ROOT / "layervec_ext" / f"{name}.py", pkg / f"{name}.py")
    proc = run_effect(_errors_doc(tmp_path), "--id=good", env={"LAYERVEC_PYTHON": None},
                      script=pkg / "inkscape" / "layervec_effect.py")
    _assert_aborted(proc, "LayerVec backend not installed: run python3 install.py")


# --- re-running --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rerun")
    doc = _errors_doc(folder)
    proc = run_effect(doc, "--id=good", *TINY)
    assert proc.returncode == 0, proc.stderr.decode()
    out = folder / "once.svg"
    out.write_bytes(proc.stdout)
    return out


def test_result_goes_right_above_the_images_layer(first_run):
    root = etree.fromstring(first_run.read_bytes())
    layer1 = root.find("svg:g[@id='layer1']", NS)
    assert layer1.getnext().get(SOURCE) == "good"


def test_rerun_replaces_the_earlier_result(first_run):
    proc = run_effect(first_run, "--id=good", *TINY, "--seed=1")
    assert proc.returncode == 0, proc.stderr.decode()
    root = etree.fromstring(proc.stdout)
    layers = [g for g in root if g.get(SOURCE) == "good"]
    assert len(layers) == 1 and "seed=1" in layers[0].get("{https://layervec.org/ns/1}settings")
    text = proc.stdout.decode()
    defs = root.find("svg:defs", NS)
    assert all(f"url(#{d.get('id')})" in text for d in defs), "the old result's gradients are gone too"
    ids = all_ids(root)
    assert len(ids) == len(set(ids))


def test_rerun_replaces_a_result_the_artist_moved_into_a_shifted_layer(first_run, tmp_path):
    """Moved into another layer ("Move to Layer…"), the result is still found and replaced where it
    now is, and the new one still lies over the bitmap although that layer is shifted."""
    root = etree.fromstring(first_run.read_bytes())
    result = next(g for g in root if g.get(SOURCE) == "good")
    home = etree.SubElement(root, f"{{{NS['svg']}}}g", {"id": "moved-to", "transform": "translate(7 5)",
                                                        f"{{{NS['inkscape']}}}groupmode": "layer"})
    result.set("transform", str(result.get("transform", "")) + " translate(-7 -5)")  # Inkscape keeps it in place
    home.append(result)
    moved = tmp_path / "moved.svg"
    moved.write_bytes(etree.tostring(root))
    shutil.copy(first_run.parent / "pic.png", tmp_path / "pic.png")
    proc = run_effect(moved, "--id=good", *TINY, "--seed=1")
    assert proc.returncode == 0, proc.stderr.decode()
    out = etree.fromstring(proc.stdout)
    found = [g for g in out.iter(f"{{{NS['svg']}}}g") if g.get(SOURCE) == "good"]
    assert len(found) == 1 and found[0].getparent().get("id") == "moved-to"
    assert "seed=1" in found[0].get("{https://layervec.org/ns/1}settings")
    before = etree.fromstring(first_run.read_bytes())
    for tree in (before, out):
        for img in list(tree.iter(f"{{{NS['svg']}}}image")):
            img.getparent().remove(img)
    w, h = int(float(before.get("width"))) * 4, int(float(before.get("height"))) * 4
    np.testing.assert_allclose(_bbox(_alpha(out, w, h)), _bbox(_alpha(before, w, h)), atol=1.0)


def test_rerun_can_keep_both_results_without_id_clashes(first_run):
    proc = run_effect(first_run, "--id=good", *TINY, "--replace=false")
    assert proc.returncode == 0, proc.stderr.decode()
    root = etree.fromstring(proc.stdout)
    assert len([g for g in root if g.get(SOURCE) == "good"]) == 2
    ids = all_ids(root)
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r"url\(#([^)]+)\)", proc.stdout.decode()))
    assert refs <= set(ids)


# --- the .inx ----------------------------------------------------------------------------------
def test_the_effect_imports_only_inkex_lxml_and_the_standard_library():
    """What the effects (vectorize, refine) load on top of inkex (and what inkex loads itself), in Inkscape's
    Python: our Inkscape half, the shared standard-library modules, and the standard library; never the backend's."""
    code = ("import sys, inkex; before = set(sys.modules); import layervec_ext.inkscape.effect, "
            "layervec_ext.inkscape.refine; print(*sorted(set(sys.modules) - before))")
    env = _inkex_env()
    env["PYTHONPATH"] = os.pathsep.join([INKEX_DIR, str(ROOT)])
    proc = subprocess.run([INKSCAPE_PYTHON, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    ours = {m for m in proc.stdout.split() if m.split(".")[0] == "layervec_ext"}
    assert ours == {"layervec_ext"} | {f"layervec_ext.{name}" for name in SHARED} | {
        f"layervec_ext.inkscape{'.' + p.stem if p.stem != '__init__' else ''}"
        for p in (ROOT / "layervec_ext" / "inkscape").glob("*.py") if not p.stem.endswith("_effect")}  # entry scripts
    others = {m.split(".")[0] for m in proc.stdout.split()} - {"layervec_ext"}
    assert others <= set(sys.stdlib_module_names) | {"lxml"}, others - set(sys.stdlib_module_names)


def assert_inx_is_good(inx: str) -> None:
    """inkex's own .inx check (``inkex.tester.inx``) by Inkscape's Python and inkex: the params
    against the effect's arguments, the class named after the id's last part."""
    code = ("import unittest\nfrom inkex.tester.inx import InxMixin\n"
            "class T(InxMixin, unittest.TestCase):\n"
            f"    def test(self):\n        self.assertInxIsGood({inx!r})\n"
            "r = unittest.TextTestRunner().run(unittest.defaultTestLoader.loadTestsFromTestCase(T))\n"
            "raise SystemExit(0 if r.wasSuccessful() else 1)\n")
    env = _inkex_env()
    env["PYTHONPATH"] = os.pathsep.join([INKEX_DIR, str(ROOT)])
    proc = subprocess.run([INKSCAPE_PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()


def test_inx_matches_the_effects_arguments():
    assert_inx_is_good("layervec.inx")
    inx = (ROOT / "layervec.inx").read_text()
    assert "<id>org.layervec.vectorize</id>" in inx and 'needs-live-preview="false"' in inx
