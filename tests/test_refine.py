"""``layervec refine``: the artist's edited paths come back to the bitmap, in the same elements.

Pictures are judged as a user sees them: the SVG drawn by resvg on white against the bitmap on
white. The documents are real: LayerVec's own output (vectorized here from the shipped sample),
edited the way an artist edits (paths moved, gradients recoloured), a Trace-Bitmap-like stack of
flat-colour polygons with holes under a transform, and hand-written bad input.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from lxml import etree

from layervec_ext.core.metrics import psnr, rasterize_svg
from layervec_ext.core.refine_cmd import main as refine_main
from layervec_ext.core.vectorize import load_image
from layervec_ext.protocol import EXIT_INPUT

ROOT = Path(__file__).resolve().parents[1]
SMILEY = ROOT / "layervec_ext" / "samples" / "smiley.png"
SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def on_white(image: np.ndarray) -> np.ndarray:
    a = image[..., 3:4].astype(np.float64) / 255
    return image[..., :3] * a + 255 * (1 - a)


def score(svg: str | bytes, image: np.ndarray) -> float:
    """PSNR (dB) of the SVG drawn by resvg over the bitmap's area, both on white."""
    return psnr(rasterize_svg(svg, image.shape[1], image.shape[0]), on_white(image))


def refine(tmp_path: Path, svg: str | bytes, *args: str, name: str = "out.svg") -> tuple[int, str]:
    src = tmp_path / "in.svg"
    src.write_bytes(svg.encode() if isinstance(svg, str) else svg)
    out = tmp_path / name
    code = refine_main([str(src), "-o", str(out), "--quiet", "--preset", "fast", *args])
    return code, out.read_text() if out.exists() else ""


def shifted(d: str, dx: float, dy: float) -> str:
    """``d`` of our writer (absolute M/C only) moved by (dx, dy)."""
    count = iter(range(10**9))
    return NUMBER.sub(lambda m: f"{float(m.group()) + (dx if next(count) % 2 == 0 else dy):.3f}", d)


@pytest.fixture(scope="module")
def smiley() -> np.ndarray:
    return load_image(SMILEY)


@pytest.fixture(scope="module")
def original(tmp_path_factory, smiley) -> str:
    """LayerVec's own result for the smiley (12 paths, the fast preset)."""
    out = tmp_path_factory.mktemp("vec") / "smiley.svg"
    subprocess.run([sys.executable, "-m", "layervec_ext", str(SMILEY), "-o", str(out), "--paths", "12",
                    "--preset", "fast", "--quiet"], check=True, cwd=ROOT)
    return out.read_text()


def edit(svg: str) -> str:
    """What an artist does to it: every other path moved by 6–9 px, every third gradient recoloured."""
    root = etree.fromstring(svg.encode())
    paths = root.findall(f".//{SVG}path")
    for k, p in enumerate(paths[1:], start=1):
        if k % 2 == 0:
            p.set("d", shifted(p.get("d"), 6.0 + k % 4, -7.0 + k % 3))
        if k % 3 == 1:
            ref = re.search(r"url\(#([^)]+)\)", p.get("fill", ""))
            if ref:
                for stop in root.xpath(f'//*[@id="{ref.group(1)}"]/*'):
                    stop.set("stop-color", "#3060c0")
            else:
                p.set("fill", "#3060c0")
    return etree.tostring(root, encoding="unicode")


def ids(svg: str) -> list[str]:
    return [el.get("id") for el in etree.fromstring(svg.encode()).iter(f"{SVG}path")]


def test_moved_and_recoloured_paths_come_back(tmp_path, smiley, original):
    edited = edit(original)
    code, out = refine(tmp_path, edited, "--image", str(SMILEY))
    assert code == 0
    before, after, first = score(edited, smiley), score(out, smiley), score(original, smiley)
    assert after >= before + 3.0, (before, after)
    assert after >= first - 0.5, (first, after)
    assert ids(out) == ids(edited)  # the same elements, in the same order
    layers = [(g.get("id"), g.get("{http://www.inkscape.org/namespaces/inkscape}label"))
              for g in etree.fromstring(out.encode()).iter(f"{SVG}g")]
    assert layers == [(g.get("id"), g.get("{http://www.inkscape.org/namespaces/inkscape}label"))
                      for g in etree.fromstring(edited.encode()).iter(f"{SVG}g")]


def test_add_paths_adds_exactly_that_many_in_a_detail_layer(tmp_path, smiley, original):
    edited = edit(original)
    code, plain = refine(tmp_path, edited, "--image", str(SMILEY), name="plain.svg")
    code_more, more = refine(tmp_path, edited, "--image", str(SMILEY), "--add-paths", "8")
    assert code == code_more == 0
    root = etree.fromstring(more.encode())
    detail = [g for g in root.iter(f"{SVG}g") if g.get("{http://www.inkscape.org/namespaces/inkscape}label")
              == "Detail +8"]
    assert len(detail) == 1 and len(detail[0].findall(f"{SVG}path")) == 8
    assert len(ids(more)) == len(ids(edited)) + 8
    assert score(more, smiley) > score(plain, smiley)


def test_locked_and_unselected_paths_stay_byte_for_byte(tmp_path, smiley, original):
    edited = edit(original)
    root = etree.fromstring(edited.encode())
    paths = root.findall(f".//{SVG}path")
    paths[2].set("{http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd}insensitive", "true")
    chosen = [p.get("id") for p in paths[1:6]]
    doc = etree.tostring(root, encoding="unicode")
    code, out = refine(tmp_path, doc, "--image", str(SMILEY), "--select", ",".join(chosen))
    assert code == 0
    before = {p.get("id"): etree.tostring(p) for p in etree.fromstring(doc.encode()).iter(f"{SVG}path")}
    after = {p.get("id"): etree.tostring(p) for p in etree.fromstring(out.encode()).iter(f"{SVG}path")}
    changed = {i for i in before if before[i] != after[i]}
    assert changed and changed <= set(chosen) - {paths[2].get("id")}
    assert score(out, smiley) > score(doc, smiley)


def test_keep_shapes_changes_fills_only(tmp_path, smiley, original):
    edited = edit(original)
    code, out = refine(tmp_path, edited, "--image", str(SMILEY), "--keep-shapes")
    assert code == 0
    d_of = lambda svg: [p.get("d") for p in etree.fromstring(svg.encode()).iter(f"{SVG}path")]  # noqa: E731
    assert d_of(out) == d_of(edited)
    assert score(out, smiley) > score(edited, smiley) + 1.0


def test_fill_kind_flat_paints_every_path_flat(tmp_path, smiley, original):
    code, out = refine(tmp_path, original, "--image", str(SMILEY), "--fill-kind", "flat")
    assert code == 0
    fills = [p.get("fill") for p in etree.fromstring(out.encode()).iter(f"{SVG}path")]
    assert all(f and f.startswith("#") for f in fills), fills


def traced_stack(image: np.ndarray, colors: int = 4) -> tuple[str, int]:
    """A Trace-Bitmap-like document: one flat-colour path per colour band (even-odd, holes),
    stacked, polygons of straight segments, under a scaling group over an <image> of the same
    size — and how many segments (nodes) it has."""
    h, w = image.shape[:2]
    grey = cv2.cvtColor(on_white(image).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    levels = np.linspace(0, 255, colors + 1)[1:-1]
    parts, nodes = [], 0
    for k, level in enumerate([-1.0, *levels]):
        mask = (grey > level).astype(np.uint8) if k else np.ones_like(grey)
        contours, _ = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        d = ""
        for c in contours:
            c = cv2.approxPolyDP(c, 1.5, True)[:, 0, :] / 2.0  # drawn at half size, scaled ×2 by the group
            if len(c) >= 3:
                d += "M" + "L".join(f"{x:.2f} {y:.2f}" for x, y in c) + "Z"
                nodes += len(c)
        shade = int(np.clip(level + 40, 0, 255)) if k else 20
        parts.append(f'<path id="band{k}" fill-rule="evenodd" fill="#{shade:02x}{shade:02x}{shade:02x}" d="{d}"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
           f'<image id="bitmap" x="0" y="0" width="{w}" height="{h}" xlink:href="{SMILEY.as_uri()}"/>'
           f'<g id="trace" transform="scale(2)">{"".join(parts)}</g></svg>')
    return svg, nodes


def test_a_traced_stack_gets_better_with_the_same_nodes(tmp_path, smiley):
    svg, nodes = traced_stack(smiley)
    code, out = refine(tmp_path, svg, "--image", str(SMILEY), "--image-id", "bitmap", "--select", "trace")
    assert code == 0
    counted = sum(len(re.findall(r"[CLcl]", p.get("d"))) for p in etree.fromstring(out.encode()).iter(f"{SVG}path"))
    assert counted == nodes  # every segment stays one segment: the same node budget
    hidden = lambda s: re.sub(r"<image[^>]*/>", "", s)  # noqa: E731  (score the paths, not the bitmap)
    assert score(hidden(out), smiley) > score(hidden(svg), smiley) + 1.0


def test_the_bitmap_comes_from_the_image_element(tmp_path, smiley, original):
    """No --image: the <image> the document has (linked here) gives the pixels and the place."""
    doc = original.replace("<defs>", f'<image id="pic" width="256" height="256" xlink:href="{SMILEY.as_uri()}" '
                           'xmlns:xlink="http://www.w3.org/1999/xlink"/><defs>', 1)
    code, out = refine(tmp_path, edit(doc))
    assert code == 0 and score(re.sub(r"<image[^>]*/>", "", out), smiley) > score(edit(original), smiley) + 3.0


BAD = {
    "nothing to refine": ('<rect id="r" width="10" height="10" fill="none"/>', "no filled path"),
    "strokes only": ('<path id="s" d="M0 0L50 50" fill="none" stroke="black"/>', "stroke but no fill"),
    "text": ('<text id="t" x="5" y="20">hi</text><rect width="9" height="9"/>', "text"),
    "a clone": ('<rect id="r" width="9" height="9"/><use href="#r" x="20"/>', "use"),
    "a filter": ('<filter id="f"/><rect width="9" height="9" filter="url(#f)"/>', "filter"),
    "a mask": ('<mask id="m"/><rect width="9" height="9" mask="url(#m)"/>', "mask"),
    "10 000 nodes": ('<path id="big" d="M0 0' + "L1 1L0 2" * 5000 + 'Z"/>', "nodes"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_and_no_output(tmp_path, capfd, case):
    body, words = BAD[case]
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">{body}</svg>'
    code, out = refine(tmp_path, svg, "--image", str(SMILEY))
    err = capfd.readouterr().err.strip()
    assert code == EXIT_INPUT and out == ""
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err, err


def test_unknown_id_and_missing_bitmap_are_one_line(tmp_path, capfd, original):
    code, _ = refine(tmp_path, original, "--image", str(SMILEY), "--select", "nope")
    assert code == EXIT_INPUT and "no element with id 'nope'" in capfd.readouterr().err
    code, _ = refine(tmp_path, original)
    err = capfd.readouterr().err
    assert code == EXIT_INPUT and "no bitmap" in err and len(err.strip().splitlines()) == 1
