"""The refine effect (*Extensions ▸ Raster ▸ LayerVec Refine…*, issue 12) run as Inkscape runs it:
Inkscape's Python and its inkex (1.2 here; tests/test_inkscape_window.py's ``INKSCAPE_PYTHON`` and
``INKSCAPE_EXTENSIONS_DIR`` switch to 1.4.1), ``refine_effect.py --id=… doc.svg``.

The document is a LayerVec result made by the vectorize effect from the tests' 40×30 picture, then
edited as an artist would (nodes moved, paths recoloured). Bad input must print one line and hand
Inkscape no document (it keeps its own, unchanged). What the effect sends the backend and what it
makes of the answer is checked with a stand-in backend script (as the vectorize tests do for a
crash); the real ``refine`` backend then has to make the edited paths look like the bitmap again.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree
from test_inkscape_effect import (
    INKEX_DIR,
    INKSCAPE_PYTHON,
    NS,
    SOURCE,
    _assert_aborted,
    _has_inkscape_inkex,
    _inkex_env,
    assert_inx_is_good,
    run_effect,
)
from test_inkscape_window import display as private_display  # noqa: F401  (a fixture: a private X server)
from test_inkscape_window import windows

from layervec_ext.core.metrics import psnr, rasterize_svg

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "inkscape"
VECTORIZE = ROOT / "layervec_ext" / "inkscape" / "layervec_effect.py"
REFINE = ROOT / "layervec_ext" / "inkscape" / "refine_effect.py"
EXT = "org.layervec.refine"
FAST = ["--preset=fast"]
SVG = NS["svg"]
LABEL = f"{{{NS['inkscape']}}}label"
GROUPMODE = f"{{{NS['inkscape']}}}groupmode"

pytestmark = pytest.mark.skipif(not _has_inkscape_inkex(),
                                reason=f"Inkscape's inkex not importable by {INKSCAPE_PYTHON} from {INKEX_DIR}")

# The bitmap at 2 user units per pixel, a text and a rectangle beside it, and a second layer.
DOC = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
  xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
  xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" width="100" height="70" viewBox="0 0 100 70">
<!-- the artist's document -->
<g id="layer1" inkscape:groupmode="layer" inkscape:label="Layer 1">
<image id="pic" x="10" y="5" width="80" height="60" xlink:href="pic.png"/>
<text id="words" x="1" y="69" style="font-size:2px">note</text>
<rect id="frame" x="0" y="0" width="4" height="4" fill="red"/>
</g>
<g id="notes" inkscape:groupmode="layer" inkscape:label="Notes"><path id="far" d="M95 66h4v3h-4z" fill="#0f0"/></g>
</svg>
"""


def refine(doc: Path, *args: str, env: dict | None = None, timeout: float = 300):
    return run_effect(doc, *args, env=env, script=REFINE, timeout=timeout)


def paths_of(layer) -> list:
    return layer.xpath(".//svg:path", namespaces=NS)


def offset_d(d: str, dx: float, dy: float) -> str:
    """An absolute path's coordinates moved by (dx, dy): every node of the outline dragged."""
    numbers = iter(range(10**6))
    return re.sub(r"-?\d+(?:\.\d+)?", lambda m: f"{float(m.group()) + (dx if next(numbers) % 2 == 0 else dy):g}", d)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """The document with a fresh LayerVec result of pic (6 paths) in layer ``lv1-result``."""
    folder = tmp_path_factory.mktemp("refine")
    shutil.copy(DATA / "pic.png", folder / "pic.png")
    (folder / "doc.svg").write_text(DOC)
    proc = run_effect(folder / "doc.svg", "--id=pic", "--paths=6", "--preset=fast")
    assert proc.returncode == 0, proc.stderr.decode()
    (folder / "vectorized.svg").write_bytes(proc.stdout)
    return folder


@pytest.fixture(scope="module")
def edited(made) -> Path:
    """The result as an artist left it: half its paths dragged, the other half recoloured, one with a style
    property of its own."""
    root = etree.parse(str(made / "vectorized.svg")).getroot()
    layer = root.find("svg:g[@id='lv1-result']", NS)
    paths = paths_of(layer)
    assert len(paths) >= 4
    for i, path in enumerate(paths):
        if i == 0:
            continue  # the background
        if i % 2:
            path.set("d", offset_d(path.get("d"), 3.0, -2.0))
        else:
            path.set("fill", "#777777")
    paths[1].set("style", "stroke-linejoin:round;fill-rule:evenodd")
    out = made / "edited.svg"
    out.write_bytes(etree.tostring(root))
    return out


def with_extra(edited: Path, name: str, xml: str, where: str = "lv1-result") -> Path:
    """A copy of the edited document with ``xml`` appended to the element ``where``."""
    root = etree.parse(str(edited)).getroot()
    wrapper = etree.fromstring(f'<g xmlns="{SVG}" xmlns:xlink="http://www.w3.org/1999/xlink" '
                               f'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd">{xml}</g>')
    target = root.xpath(f"//*[@id='{where}']")[0]
    for child in list(wrapper):
        target.append(child)
    out = edited.with_name(name)
    out.write_bytes(etree.tostring(root))
    return out


# --- bad input: one line, no document -----------------------------------------------------------
@pytest.mark.parametrize("args, fragment", [
    ([], "LayerVec Refine: select the paths to refine (or their layer) first."),
    (["--id=frame"], "holds no path to refine"),
    (["--id=words"], "holds text, words, which cannot be refined"),
    (["--id=layer1"], "holds text, words"),  # a layer with a text in it
    (["--id=far"], "found no bitmap under the selected paths"),
])
def test_bad_selection_aborts_with_one_line_and_no_document(edited, args, fragment):
    before = edited.read_bytes()
    _assert_aborted(refine(edited, *args, *FAST), fragment)
    assert edited.read_bytes() == before


@pytest.mark.parametrize("xml, select, fragment", [
    ('<use id="clone" xlink:href="#lv1-lvpath1"/>', "lv1-result", "holds a clone (<use>), clone"),
    ('<path id="masked" d="M20 10h5v5z" mask="url(#m)"/>', "masked", "masked has a mask"),
    ('<path id="blurred" d="M20 10h5v5z" style="filter:url(#f)"/>', "lv1-result", "blurred has a filter"),
    ('<path id="locked" d="M20 10h5v5z" sodipodi:insensitive="true"/>', "locked", "holds no path to refine"),
    ('<g id="hidden" style="display:none"><path id="h1" d="M20 10h5v5z"/></g>', "hidden", "holds no path"),
])
def test_what_the_backend_cannot_refine_is_named(edited, xml, select, fragment):
    doc = with_extra(edited, "extra.svg", xml)
    _assert_aborted(refine(doc, f"--id={select}", *FAST), fragment)


def test_bitmap_problems_abort(edited):
    # the result's bitmap is gone and nothing else lies under the paths
    root = etree.parse(str(edited)).getroot()
    pic = root.xpath("//*[@id='pic']")[0]
    pic.getparent().remove(pic)
    gone = edited.with_name("no-bitmap.svg")
    gone.write_bytes(etree.tostring(root))
    _assert_aborted(refine(gone, "--id=lv1-result", *FAST), "its bitmap pic is no longer in the document")
    # two bitmaps selected with loose paths: which one?
    two = with_extra(edited, "two.svg", '<image id="pic2" x="10" y="5" width="80" height="60" xlink:href="pic.png"/>'
                     '<path id="loose" d="M20 10h5v5z"/>', where="notes")
    _assert_aborted(refine(two, "--id=pic", "--id=pic2", "--id=loose", *FAST), "several bitmaps are selected")
    # the bitmap's file is missing
    linked = with_extra(edited, "missing.svg", '<image id="lost" x="0" y="0" width="9" height="9" '
                        'xlink:href="no-such.png"/><path id="loose" d="M1 1h5v5z"/>', where="notes")
    _assert_aborted(refine(linked, "--id=loose", *FAST), "linked file not found: no-such.png")


def _script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_backend_problems_abort_cleanly(edited, tmp_path):
    _assert_aborted(refine(edited, "--id=lv1-result", env={"LAYERVEC_PYTHON": str(tmp_path / "nope")}),
                    "does not exist")
    crash = _script(tmp_path, "crash.sh", "#!/bin/sh\necho 'layervec refine: error: out of memory' >&2\nexit 3\n")
    _assert_aborted(refine(edited, "--id=lv1-result", env={"LAYERVEC_PYTHON": str(crash)}),
                    "LayerVec Refine: pic: backend failed: out of memory")
    slow = _script(tmp_path, "slow.sh", "#!/bin/sh\nexec sleep 30\n")
    _assert_aborted(refine(edited, "--id=lv1-result", "--timeout=1", env={"LAYERVEC_PYTHON": str(slow)}),
                    "did not finish within 1 s")


# --- what the effect sends the backend and takes from it (a stand-in backend) --------------------
STAND_IN = r"""#!{python}
# python -m layervec_ext refine IN -o OUT ARGS: records its command line and input, then answers with
# the document as given with one path recoloured (or, per $STAND_IN_ANSWER, a broken answer).
import json, os, shutil, sys, time
args = sys.argv[1:]
folder = os.environ["STAND_IN_DIR"]
json.dump(args, open(os.path.join(folder, "argv.json"), "w"))
time.sleep(float(os.environ.get("STAND_IN_SLEEP", "0")))
doc, out = args[3], args[args.index("-o") + 1]
shutil.copy(doc, os.path.join(folder, "sent.svg"))
shutil.copy(args[args.index("--image") + 1], os.path.join(folder, "sent-bitmap"))
text = open(doc, encoding="utf-8").read()
answer = os.environ.get("STAND_IN_ANSWER", "")
if answer == "garbage":
    text = "not an svg"
elif answer == "drop":
    text = text.replace('id="frame"', 'id="frame-renamed"')
else:
    text = text.replace('id="lv1-lvpath2"', 'id="lv1-lvpath2" data-refined="yes"')
open(out, "w", encoding="utf-8").write(text)
"""


def _stand_in(tmp_path: Path, answer: str = "", sleep: float = 0.0) -> dict:
    script = _script(tmp_path, "backend.py", STAND_IN.format(python=sys.executable))
    return {"LAYERVEC_PYTHON": str(script), "STAND_IN_DIR": str(tmp_path), "STAND_IN_ANSWER": answer,
            "STAND_IN_SLEEP": str(sleep)}


def _canonical(elem) -> tuple:
    """An element as data: tag, attributes, text and children (comments too), whitespace between
    elements ignored, so that one serializer's output compares with another's."""
    tag = elem.tag if isinstance(elem.tag, str) else "<!--comment-->"
    return (tag, tuple(sorted(elem.attrib.items())) if isinstance(elem.tag, str) else (), (elem.text or "").strip(),
            tuple((_canonical(child), (child.tail or "").strip()) for child in elem))


def test_the_backend_gets_the_document_the_bitmap_and_the_selection(edited, tmp_path):
    proc = refine(edited, "--id=lv1-lvpath1", "--id=lv1-lvlayer1", "--add_paths=8", "--keep_shapes=true",
                  "--fill_kind=flat", "--seed=3", *FAST, env=_stand_in(tmp_path))
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr.decode()
    argv = json.loads((tmp_path / "argv.json").read_text())
    assert argv[:3] == ["-m", "layervec_ext", "refine"] and argv[4] == "-o"
    flags = argv[6:]
    pairs = dict(zip(flags[::2], flags[1::2]))
    assert pairs["--image-id"] == "pic" and pairs["--select"] == "lv1-lvpath1,lv1-lvlayer1"
    for flag, value in {"--add-paths": "8", "--fill-kind": "flat", "--seed": "3", "--preset": "fast"}.items():
        assert flags[flags.index(flag) + 1] == value, flag
    assert "--keep-shapes" in flags and "--progress-json" in flags
    assert not {"--timeout", "--window", "--paths", "--fill"} & set(flags), "dialog-only and vectorize options stay"
    assert (tmp_path / "sent-bitmap").read_bytes() == (DATA / "pic.png").read_bytes()
    sent = etree.parse(str(tmp_path / "sent.svg")).getroot()
    assert _canonical(sent) == _canonical(etree.parse(str(edited)).getroot()), "the whole document, as it is"
    # the backend's document is the effect's result
    out = etree.fromstring(proc.stdout)
    assert out.xpath("//*[@id='lv1-lvpath2']")[0].get("data-refined") == "yes"
    for elem in out.xpath("//*[@id='lv1-lvpath2']"):
        del elem.attrib["data-refined"]
    assert _canonical(out) == _canonical(sent)


def test_a_selected_bitmap_is_used_when_no_layervec_layer_says_which(edited, tmp_path):
    doc = with_extra(edited, "loose.svg", '<path id="loose" d="M20 10h5v5z"/>', where="notes")
    proc = refine(doc, "--id=loose", "--id=pic", env=_stand_in(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()
    argv = json.loads((tmp_path / "argv.json").read_text())
    assert argv[argv.index("--image-id") + 1] == "pic" and argv[argv.index("--select") + 1] == "loose"
    # …and the bitmap under the paths when none is selected (the hidden original included)
    proc = refine(doc, "--id=loose", env=_stand_in(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()
    argv = json.loads((tmp_path / "argv.json").read_text())
    assert argv[argv.index("--image-id") + 1] == "pic"


def test_the_artists_transforms_reach_the_backend_as_written(edited, tmp_path):
    """Finding the bitmap under transformed paths reads their transforms; inkex 1.2 writes back every
    transform it reads, as a matrix. The document must go out (and come back) as the artist wrote it."""
    doc = with_extra(edited, "turned.svg", '<g id="tg" transform="translate(1 2) rotate(3)">'
                     '<path id="tp" d="M20 10h5v5z" transform="skewX(5)" style="fill: #123456"/></g>', where="notes")
    proc = refine(doc, "--id=tp", env=_stand_in(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()
    sent = etree.parse(str(tmp_path / "sent.svg")).getroot()
    assert sent.xpath("//*[@id='tg']")[0].get("transform") == "translate(1 2) rotate(3)"
    assert _canonical(sent) == _canonical(etree.parse(str(doc)).getroot())


@pytest.mark.parametrize("answer, fragment", [("garbage", "the backend returned an unreadable SVG"),
                                              ("drop", "the backend's document lost 1 element(s) (e.g. frame)")])
def test_a_broken_answer_leaves_the_document_unchanged(edited, tmp_path, answer, fragment):
    _assert_aborted(refine(edited, "--id=lv1-result", env=_stand_in(tmp_path, answer)), fragment)


@pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool")
def test_the_progress_window_follows_refine_and_cancel_changes_nothing(edited, tmp_path, private_display):  # noqa: F811
    """The window opens on the bitmap's name while the backend works; Escape ends the backend and the run
    hands Inkscape no document and no word."""
    display = private_display
    env = {**_stand_in(tmp_path, sleep=2.0), "LAYERVEC_WINDOW": "1", "DISPLAY": display}
    proc = subprocess.Popen([INKSCAPE_PYTHON, str(REFINE), "--id=lv1-result", str(edited)], env={**_inkex_env(), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    seen: set[str] = set()
    while proc.poll() is None:
        seen |= set(windows(display).values())
        time.sleep(0.2)
    stdout, stderr = proc.communicate()
    assert proc.returncode == 0 and stderr == b"", stderr.decode()
    assert "LayerVec — pic" in seen, seen
    assert etree.fromstring(stdout).xpath("//*[@id='lv1-lvpath2']")[0].get("data-refined") == "yes"
    # Escape while the backend works
    env["STAND_IN_SLEEP"] = "60"
    proc = subprocess.Popen([INKSCAPE_PYTHON, str(REFINE), "--id=lv1-result", str(edited)], env={**_inkex_env(), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline, wid = time.monotonic() + 30, None
    while wid is None and time.monotonic() < deadline:
        wid = next((w for w, name in windows(display).items() if name.startswith("LayerVec — ")), None)
        time.sleep(0.3)
    assert wid is not None, "the window never appeared"
    key_env = {**os.environ, "DISPLAY": display}
    subprocess.run(["xdotool", "windowfocus", "--sync", str(wid)], env=key_env, check=True, timeout=10)
    subprocess.run(["xdotool", "key", "Escape"], env=key_env, check=True, timeout=10)
    stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0 and stdout == b"" and stderr == b"", stderr.decode()
    assert not windows(display)


# --- the real backend -----------------------------------------------------------------------------
def _only_vectors(root) -> bytes:
    """The LayerVec result alone (bitmap, text and the rest removed), at 2 px per user unit."""
    root = etree.fromstring(etree.tostring(root))
    for child in list(root):
        if child.tag == f"{{{SVG}}}g" and not child.get(SOURCE):
            root.remove(child)
    root.set("width", "200")
    root.set("height", "140")
    return etree.tostring(root)


def _bitmap_area_psnr(root, folder: Path) -> float:
    """PSNR of the vector layer against the bitmap, over the bitmap's area (x 10-90, y 5-65)."""
    png = base64.b64encode((folder / "pic.png").read_bytes()).decode()
    want = rasterize_svg(f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                         f'width="200" height="140" viewBox="0 0 100 70"><image x="10" y="5" width="80" height="60" '
                         f'xlink:href="data:image/png;base64,{png}"/></svg>', 200, 140)
    got = rasterize_svg(_only_vectors(root), 200, 140)
    return psnr(got[12:128, 22:178], want[12:128, 22:178])  # a pixel in from the edges


def _ink(elem) -> dict:
    """An element's attributes and style properties, less its outline and fill (what refine may change)."""
    attrs = {k: v for k, v in elem.attrib.items() if k not in ("d", "fill", "fill-opacity", "style")}
    style = {k: v for k, v in (part.split(":", 1) for part in elem.get("style", "").split(";") if ":" in part)}
    attrs.update({f"style:{k.strip()}": v.strip() for k, v in style.items()
                  if k.strip() not in ("fill", "fill-opacity")})
    return attrs


def _outside(root, layer_id: str) -> list[tuple]:
    """Every top-level element but the refined layer and the defs, canonically."""
    return [_canonical(e) for e in root if e.get("id") != layer_id and e.tag != f"{{{SVG}}}defs"]


@pytest.fixture(scope="module")
def refined(edited):
    proc = refine(edited, "--id=lv1-result", *FAST)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b"", "any stderr output opens a blocking dialog in Inkscape"
    return etree.fromstring(proc.stdout)


def test_refined_paths_look_like_the_bitmap_again(made, edited, refined):
    original = _bitmap_area_psnr(etree.parse(str(made / "vectorized.svg")).getroot(), made)
    damaged = _bitmap_area_psnr(etree.parse(str(edited)).getroot(), made)
    better = _bitmap_area_psnr(refined, made)
    print(f"refine PSNR: vectorized {original:.2f} dB, edited {damaged:.2f} dB, refined {better:.2f} dB")
    assert better >= damaged + 3.0 and better >= original - 0.5


def test_refine_keeps_ids_order_layers_labels_and_everything_else(edited, refined):
    before = etree.parse(str(edited)).getroot()
    layer_before = before.find("svg:g[@id='lv1-result']", NS)
    layer_after = refined.find("svg:g[@id='lv1-result']", NS)
    assert [e.get("id") for e in layer_after.iter()] == [e.get("id") for e in layer_before.iter()]
    for old, new in zip(layer_before.iter(), layer_after.iter()):
        assert new.tag == old.tag
        if old.tag == f"{{{SVG}}}path":
            assert _ink(new) == _ink(old), old.get("id")
        else:
            assert dict(new.attrib) == dict(old.attrib), old.get("id")  # layers: label, transform, source
    assert any(new.get("d") != old.get("d") for new, old in zip(paths_of(layer_after), paths_of(layer_before)))
    assert _outside(refined, "lv1-result") == _outside(before, "lv1-result"), "the rest of the document"
    old_defs = {e.get("id"): _canonical(e) for e in before.find("svg:defs", NS)}
    new_defs = {e.get("id"): _canonical(e) for e in refined.find("svg:defs", NS)}
    assert {k: v for k, v in new_defs.items() if k in old_defs and k and not k.startswith("lv")} == {
        k: v for k, v in old_defs.items() if k and not k.startswith("lv")}
    ids = [str(i) for i in refined.xpath("//@id")]
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r"url\(#([^)]+)\)", etree.tostring(refined).decode()))
    assert refs <= set(ids), "every gradient a path uses is in the document"


@pytest.mark.parametrize("change", [
    ('height="60" xlink', 'height="40" preserveAspectRatio="xMidYMid slice" xlink'),  # cut by the slice
    ('<image id="pic" x="10.123457" y="5"', '<image id="pic" transform="rotate(30 50 35)" x="10.123457" y="5"'),
])
def test_a_framed_result_can_be_refined_cut_by_a_slice_or_turned(tmp_path, change):
    """Every result is clipped to its bitmap's frame, a ``slice`` cuts it further: refine reads that
    clip as what it is, the part of the bitmap the document shows, and refines the paths — also
    over a turned bitmap, whose clip inkex writes to six digits."""
    shutil.copy(DATA / "pic.png", tmp_path / "pic.png")
    doc = DOC.replace('<image id="pic" x="10"', '<image id="pic" x="10.123457"').replace(
        '<g id="layer1"', '<g id="layer1" transform="translate(5.5 7.25)"')
    (tmp_path / "doc.svg").write_text(doc.replace(*change))
    proc = run_effect(tmp_path / "doc.svg", "--id=pic", "--paths=6", "--preset=fast")
    assert proc.returncode == 0, proc.stderr.decode()
    made = etree.fromstring(proc.stdout)
    assert made.xpath("//*[@id='lv1-lvlayer0']")[0].get("clip-path") == "url(#lv1-clip)"
    path = paths_of(made.find("svg:g[@id='lv1-result']", NS))[1]
    path.set("d", offset_d(path.get("d"), 4.0, 3.0))
    (tmp_path / "edited.svg").write_bytes(etree.tostring(made))
    proc = refine(tmp_path / "edited.svg", "--id=lv1-result", *FAST)
    assert proc.returncode == 0, proc.stderr.decode()
    after = etree.fromstring(proc.stdout).xpath(f"//*[@id='{path.get('id')}']")[0]
    assert after.get("d") != path.get("d")


def test_add_paths_puts_exactly_that_many_in_a_detail_layer(edited):
    proc = refine(edited, "--id=lv1-result", "--add_paths=8", *FAST)
    assert proc.returncode == 0, proc.stderr.decode()
    root = etree.fromstring(proc.stdout)
    before = etree.parse(str(edited)).getroot()
    layer = root.find("svg:g[@id='lv1-result']", NS)
    added = [g for g in layer.iter(f"{{{SVG}}}g") if g.get(LABEL) == "Detail +8"]
    assert len(added) == 1 and added[0].get(GROUPMODE) == "layer"
    assert len(added[0].xpath("svg:path", namespaces=NS)) == 8
    # clipped to the bitmap's frame (its 40 × 30 pixels and one around) like the vectorize action's layers
    clip = root.xpath(f"//svg:clipPath[@id='{added[0].get('clip-path')[5:-1]}']/svg:rect", namespaces=NS)
    assert [float(clip[0].get(k)) for k in ("x", "y", "width", "height")] == [-1, -1, 42, 32]
    assert len(paths_of(layer)) == len(paths_of(before.find("svg:g[@id='lv1-result']", NS))) + 8
    assert _outside(root, "lv1-result") == _outside(before, "lv1-result")


# --- Inkscape itself ------------------------------------------------------------------------------
def test_inx_matches_the_effects_arguments():
    """inkex's own .inx check: the params against the effect's arguments, the class named after the id."""
    assert_inx_is_good("layervec_refine.inx")
    inx = (ROOT / "layervec_refine.inx").read_text()
    assert f"<id>{EXT}</id>" in inx and "layervec_ext/inkscape/refine_effect.py" in inx
    assert '<submenu name="Raster"/>' in inx and "<name>LayerVec Refine</name>" in inx


@pytest.mark.skipif(not (shutil.which("inkscape") and shutil.which("xvfb-run")), reason="needs Inkscape and xvfb-run")
def test_inkscape_runs_refine_from_its_menu_action(edited, tmp_path):
    """Real Inkscape, headless: the menu item's action on the selected result layer, the document saved."""
    from test_inkscape_e2e import inkscape_env

    profile = tmp_path / "profile"
    (profile / "extensions").mkdir(parents=True)
    for name in ("layervec.inx", "layervec_refine.inx", "layervec_ext"):
        (profile / "extensions" / name).symlink_to(ROOT / name, target_is_directory=name == "layervec_ext")
    (profile / "preferences.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<inkscape xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" version="1">\n'
        f'  <group id="extensions" {EXT}.preset="fast" {EXT}.add_paths="2"/>\n</inkscape>\n')
    doc = tmp_path / "edited.svg"
    shutil.copy(edited, doc)
    shutil.copy(DATA / "pic.png", tmp_path / "pic.png")
    out = tmp_path / "out.svg"
    actions = f"select-by-id:lv1-result;{EXT}.noprefs;export-filename:{out};export-do"
    env = {k: v for k, v in inkscape_env(profile).items()  # Inkscape runs its own Python and inkex, whatever
           if k not in ("INKSCAPE_PYTHON", "INKSCAPE_EXTENSIONS_DIR")}  # the direct runs above were told
    proc = subprocess.run(["timeout", "150", "xvfb-run", "-a", "inkscape", "--batch-process", f"--actions={actions}",
                           str(doc)], env=env, capture_output=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]  # 124: Inkscape hung (a dialog?)
    root = etree.parse(str(out)).getroot()
    layer = root.find("svg:g[@id='lv1-result']", NS)
    added = [g for g in layer.iter(f"{{{SVG}}}g") if g.get(LABEL) == "Detail +2"]
    assert len(added) == 1 and len(added[0].xpath("svg:path", namespaces=NS)) == 2
    assert root.xpath("//*[@id='words']") and root.xpath("//*[@id='far']"), "the rest of the document is there"
    before = etree.parse(str(edited)).getroot()
    assert _bitmap_area_psnr(root, tmp_path) > _bitmap_area_psnr(before, tmp_path) + 3.0
