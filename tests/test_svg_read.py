"""The SVG reader: what it reads renders like resvg draws the same file; what it cannot read it
names; our own writer's output reads back to the same scene."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.metrics import psnr, rasterize_svg
from layervec_ext.core.render import composite, render
from layervec_ext.core.svg.pathdata import parse_path
from layervec_ext.core.svg.read import SVGError, SVGUnsupported, svg_to_scene
from layervec_ext.core.svg.write import scene_to_svg

DATA = Path(__file__).parent / "data" / "svg"
FIXTURES = sorted(p.name for p in DATA.glob("*.svg"))
SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">'


def ours_vs_resvg(svg: str, **kwargs) -> float:
    scene = svg_to_scene(svg, **kwargs)
    ours = (composite(render(scene)).clamp(0, 1) * 255).round().byte().numpy()
    return psnr(ours, rasterize_svg(svg, scene.width, scene.height))


def doc(body: str) -> str:
    return f"{SVG_HEAD}{body}</svg>"


# ------------------------------------------------------------------------------------ pixels


def test_fixture_set_covers_the_features():
    assert {"path_commands.svg", "shapes.svg", "transforms.svg", "gradients.svg", "holes.svg",
            "viewbox_layers.svg", "css_classes.svg", "inkscape_saved.svg"} <= set(FIXTURES)


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_renders_like_resvg(name):
    db = ours_vs_resvg((DATA / name).read_text(), path_name=name)
    print(f"{name}: {db:.2f} dB vs resvg")
    assert db >= 40.0


# Each command written absolute and relative: same geometry, and it draws like resvg draws it.
COMMANDS = {
    "L": ("M10 10 L50 14 L30 54 Z", "m10 10 l40 4 l-20 40 z"),
    "H/V": ("M10 10 H50 V40 H20 Z", "m10 10 h40 v30 h-30 z"),
    "C": ("M10 30 C10 0 54 0 54 30 C54 60 10 60 10 30 Z", "m10 30 c0 -30 44 -30 44 0 c0 30 -44 30 -44 0 z"),
    "S": ("M10 30 C10 5 30 5 32 20 S54 50 54 30 L40 58 Z", "m10 30 c0 -25 20 -25 22 -10 s22 30 22 10 l-14 28 z"),
    "Q": ("M8 50 Q32 -10 56 50 Z", "m8 50 q24 -60 48 0 z"),
    "T": ("M6 40 Q18 10 30 30 T56 30 L56 58 L6 58 Z", "m6 40 q12 -30 24 -10 t26 0 l0 28 l-50 0 z"),
    "A": ("M10 32 A22 16 20 1 1 54 32 A22 22 0 0 1 10 32 Z", "m10 32 a22 16 20 1 1 44 0 a22 22 0 0 1 -44 0 z"),
    "A small radii, packed flags": ("M10 40 A5 5 0 0 1 54 40 L54 58 L10 58 Z", "m10 40a5 5 0 0144 0l0 18-44 0z"),
    "M implicit": ("M10 10 50 10 50 50 Z", "m10 10 40 0 0 40 z"),
}


def test_third_party_tracer_output_with_holes_renders_like_resvg():
    """vtracer writes compound paths (holes as subpaths), translate() transforms and plain fills."""
    import vtracer  # a test dependency, like resvg

    yy, xx = np.mgrid[0:96, 0:96]
    image = np.full((96, 96, 3), 250, np.uint8)
    ring = (np.hypot(xx - 40, yy - 40) < 30) & (np.hypot(xx - 40, yy - 40) > 14)
    image[ring] = (200, 40, 40)
    image[(abs(xx - 72) < 16) & (abs(yy - 70) < 16)] = (30, 90, 200)
    image[(abs(xx - 72) < 6) & (abs(yy - 70) < 6)] = (250, 250, 250)
    from io import BytesIO

    from PIL import Image

    png = BytesIO()
    Image.fromarray(image).save(png, format="PNG")
    svg = vtracer.convert_raw_image_to_svg(png.getvalue(), img_format="png")
    assert ours_vs_resvg(svg) >= 40.0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_absolute_equals_relative_and_matches_resvg(command):
    absolute, relative = COMMANDS[command]
    a, r = parse_path(absolute), parse_path(relative)
    assert np.allclose(np.asarray(a), np.asarray(r), atol=1e-9)
    db = ours_vs_resvg(doc(f'<path fill="#3366cc" d="{relative}"/>'))
    assert db >= 40.0, f"{command}: {db:.2f} dB"


def test_z_then_command_starts_at_the_subpath_start():
    # after Z the current point is the subpath's start: the second square is at (30, 30)
    subpaths = parse_path("M10 10 h10 v10 h-10 z m20 20 h10 v10 h-10 z")
    assert len(subpaths) == 2 and subpaths[1][0][0] == (30.0, 30.0)


def test_output_size_scales_viewbox_and_width_height():
    svg = (DATA / "viewbox_layers.svg").read_text()  # 160×120 px showing a 40×30 viewBox
    scene = svg_to_scene(svg)
    assert (scene.width, scene.height) == (160, 120)
    big = svg_to_scene(svg, width=320)
    assert (big.width, big.height) == (320, 240)
    assert torch.allclose(big.paths[1].points, scene.paths[1].points * 2, atol=1e-4)
    assert ours_vs_resvg(svg, width=320) >= 40.0


@pytest.mark.parametrize("size", [None, 128])
def test_fractional_document_size_is_rounded_not_stretched(size):
    """A 63.7 px document is a 64 px canvas with a 0.3 px empty sliver, as resvg draws it."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="63.7" height="63.7" viewBox="0 0 31.85 31.85">'
           '<rect width="31.85" height="31.85" fill="#246"/><circle cx="20" cy="12" r="9" fill="#fa0"/></svg>')
    scene = svg_to_scene(svg, width=size)
    assert scene.width == scene.height == (size or 64)
    assert float(scene.paths[0].points[:, 0].max()) == pytest.approx(63.7 * (size or 64) / 64, abs=1e-4)
    assert ours_vs_resvg(svg, width=size) >= 40.0


def test_preserve_aspect_ratio_meet_centres_the_viewbox():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40" viewBox="0 0 10 10">'
           '<rect width="10" height="10" fill="red"/></svg>')
    xs = svg_to_scene(svg).paths[0].points[:, 0]
    assert float(xs.min()) == pytest.approx(20.0) and float(xs.max()) == pytest.approx(60.0)
    assert ours_vs_resvg(svg) >= 40.0


# ------------------------------------------------------------------------------------ structure


def test_inkscape_layers_become_scene_layers():
    scene = svg_to_scene((DATA / "viewbox_layers.svg").read_text())
    assert scene.layers == ["Background", "Shapes"]
    assert [p.layer for p in scene.paths] == [0, 1, 1]  # the fill="none" and display="none" rects draw nothing
    assert float(scene.paths[0].opacity) == pytest.approx(0.9)  # layer opacity folded into its path
    assert float(scene.paths[1].fill.color[3]) == pytest.approx(0.8)  # fill-opacity in the colour


def test_paths_outside_layers_get_a_layer():
    plain = svg_to_scene(doc('<rect width="10" height="10"/>'))
    assert plain.layers == ["Layer 1"] and plain.paths[0].layer == 0
    mixed = svg_to_scene(doc('<g xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
                             'inkscape:groupmode="layer" inkscape:label="L"><rect width="5" height="5"/></g>'
                             '<rect x="20" width="5" height="5"/>'))
    assert mixed.layers == ["L", "Unlayered"] and [p.layer for p in mixed.paths] == [0, 1]


def test_holes_are_bridged_and_disjoint_subpaths_split():
    scene = svg_to_scene((DATA / "holes.svg").read_text())
    # donut → 1, even-odd rings → 1, two disjoint pieces → 2, even-odd windows → 1
    assert len(scene.paths) == 5
    assert [p.id for p in scene.paths] == [None] * 5


def test_gradient_round_trip_and_href_inheritance():
    scene = svg_to_scene((DATA / "gradients.svg").read_text())
    kinds = [p.fill.kind for p in scene.paths]
    assert kinds == ["linear", "linear", "radial", "radial", "radial", "linear"]
    lin = scene.paths[0].fill  # userSpaceOnUse, stops inherited through xlink:href
    assert lin.start.tolist() == [8.0, 8.0] and lin.end.tolist() == [56.0, 40.0]
    assert lin.offsets.tolist() == [0.0, 0.5, 1.0]
    assert lin.colors[1].tolist() == pytest.approx([1.0, 1.0, 0.0, 0.8])  # stop-opacity from style


def test_writer_output_reads_back_to_the_same_scene():
    scene = random_scene(24, 128, seed=11, fills="mixed")
    scene.layers = ["coarse", "fine"]
    for i, p in enumerate(scene.paths):
        p.layer = 0 if i < 12 else 1
    back = svg_to_scene(scene_to_svg(scene))
    assert (back.width, back.height, back.layers) == (128, 128, ["coarse", "fine"])
    assert len(back.paths) == len(scene.paths)
    for orig, read in zip(scene.paths, back.paths):
        assert read.layer == orig.layer and read.fill.kind == orig.fill.kind
        for (name, a), (name_b, b) in zip(orig.tensors().items(), read.tensors().items()):
            assert name == name_b
            if name == "fill.angle":
                assert abs(math.remainder(float(a) - float(b), 2 * math.pi)) < 1e-3
            else:  # the writer keeps 3 decimals and 8-bit colours
                tol = 1.0 / 255 if "color" in name else 1e-3
                assert torch.allclose(a, b, atol=tol), name


# ------------------------------------------------------------------------------------ refusals

UNSUPPORTED = {
    '<text id="t1" x="5" y="20">hi</text>': 'unsupported SVG element <text id="t1">',
    '<image id="im" href="x.png" width="5" height="5"/>': 'unsupported SVG element <image id="im">',
    '<use id="u" xlink:href="#r"/><rect id="r" width="5" height="5"/>': 'unsupported SVG element <use id="u">',
    '<svg id="inner"/>': 'unsupported SVG element <svg id="inner">',
    '<path id="p" d="M0 0h9v9z" filter="url(#f)"/>': '<path id="p">: filter is not supported',
    '<g id="g" style="mask:url(#m)"><path d="M0 0h9v9z"/></g>': '<g id="g">: mask is not supported',
    '<path id="c" d="M0 0h9v9z" clip-path="url(#c)"/>': '<path id="c">: clip-path is not supported',
    '<path id="s" d="M0 0h9v9z" fill="none" stroke="black"/>': '<path id="s">: strokes are not supported',
    '<line id="l" x2="9" y2="9" stroke="red"/>': '<line id="l">: strokes are not supported',
    '<pattern id="pt" width="2" height="2"/><rect id="pr" width="5" height="5" fill="url(#pt)"/>':
        '<pattern id="pt">: only linear and radial gradients',
    '<linearGradient id="rg" spreadMethod="reflect"><stop/><stop offset="1"/></linearGradient>'
    '<rect width="5" height="5" fill="url(#rg)"/>': 'spreadMethod="reflect" is not supported',
    '<style>g > rect { fill: red }</style>': "<style>: CSS selector 'g > rect' is not supported",
    "<style>@import 'colors.css';</style>": "<style>: CSS @import is not supported",
    '<style>@media print { rect { fill: red } }</style>': "<style>: CSS @media rules are not supported",
    '<path id="mk" d="M0 0h9v9z" style="marker-end:url(#m)"/>': '<path id="mk">: marker-end is not supported',
    '<rect id="bl" width="5" height="5" style="mix-blend-mode:multiply"/>': "mix-blend-mode multiply",
}


@pytest.mark.parametrize("body", sorted(UNSUPPORTED))
def test_unsupported_svg_is_named(body):
    with pytest.raises(SVGUnsupported) as err:
        svg_to_scene(doc(body), path_name="art.svg")
    message = str(err.value)
    assert message.startswith("art.svg: ") and UNSUPPORTED[body] in message and "\n" not in message
    assert isinstance(err.value, ValueError)


def test_style_sheet_cascade():
    """Sheet beats presentation attributes, specificity then order decide, style="" beats the sheet."""
    scene = svg_to_scene((DATA / "css_classes.svg").read_text())
    colors = [[round(v * 255) for v in p.fill.color.tolist()] for p in scene.paths if p.fill.kind == "flat"]
    assert colors == [[47, 158, 194, 255], [224, 80, 48, 255], [209, 234, 242, 128], [32, 128, 64, 255],
                      [64, 64, 64, 255]]
    grad = next(p for p in scene.paths if p.fill.kind == "linear")
    assert float(grad.opacity) == pytest.approx(0.8) and grad.fill.colors[1, 3] == pytest.approx(0.9)


def test_strokes_can_be_ignored_on_request():
    scene = svg_to_scene(doc('<path d="M0 0h9v9z" fill="red" stroke="black"/>'), strokes="ignore")
    assert len(scene.paths) == 1


def test_invisible_things_are_skipped_not_refused():
    body = ('<defs><filter id="f"/><clipPath id="c"><rect width="1" height="1"/></clipPath></defs>'
            '<title>t</title><desc>d</desc><rect width="5" height="5" stroke="none" stroke-width="0"/>'
            '<rect width="5" height="5" fill="none" stroke="black" stroke-width="0"/>'
            '<g style="display:none"><text>x</text></g>')
    assert len(svg_to_scene(doc(body)).paths) == 1


@pytest.mark.parametrize("svg, fragment", [
    ("<svg", "not well-formed XML"),
    ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "not an SVG document"),
    ('<svg xmlns="http://www.w3.org/2000/svg"/>', "needs width and height or a viewBox"),
    (doc('<path d="M0 0 L5 x"/>'), "expected a number"),
    (doc('<path id="big" d="M0 0 L5 1e999 L9 0z"/>'), '<path id="big">: coordinates are not finite'),
    (doc('<rect width="5" height="5" fill="#12"/>'), "cannot read colour '#12'"),
    (doc('<rect width="5" height="5" transform="spin(4)"/>'), "cannot parse transform"),
])
def test_malformed_svg_is_a_one_line_error(svg, fragment):
    with pytest.raises(SVGError) as err:
        svg_to_scene(svg, path_name="bad.svg")
    assert fragment in str(err.value) and str(err.value).startswith("bad.svg: ")


# ------------------------------------------------------------------------------------ units, viewBox

LENGTHS = ["40", "40px", "30pt", "3pc", "10mm", "1cm", "0.5in", "+1e1mm"]
NOT_LENGTHS = ["40Q", "40q", "10MM", "3 mm", "40PX"]  # resvg draws these as nothing, and Inkscape too


@pytest.mark.parametrize("text", LENGTHS + NOT_LENGTHS)
def test_lengths_are_read_as_resvg_reads_them(text):
    """A length resvg reads has resvg's size here; one it cannot read is refused, never guessed."""
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20"><rect width="{text}" height="20"/></svg>'
    drawn = float(rasterize_svg(svg, 200, 20, background=None)[10, :, 3].sum()) / 255
    if text in NOT_LENGTHS:
        with pytest.raises(SVGError, match="cannot read length"):
            svg_to_scene(svg)
        assert drawn == 0
    else:
        assert float(svg_to_scene(svg).paths[0].points[:, 0].max()) == pytest.approx(drawn, abs=0.05)


def test_document_in_millimetres_has_resvgs_size():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="2cm" viewBox="0 0 40 20">'
           '<rect width="40" height="20" fill="#246"/><circle cx="12" cy="10" r="6" fill="#fa0"/></svg>')
    scene = svg_to_scene(svg)
    assert (scene.width, scene.height) == (151, 76)
    assert ours_vs_resvg(svg) >= 40.0


@pytest.mark.parametrize("par", ["xMinYMin meet", "xMaxYMax", "xMidYMin slice", "defer xMaxYMid", "none", "",
                                 "bogus", "xMinYMin bogus", "xFooYBar", "slice"])
def test_preserve_aspect_ratio_like_resvg(par):
    """Every align and meet/slice, and invalid values: those are the default, as SVG says (they were an error)."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40" viewBox="0 0 10 10" '
           f'preserveAspectRatio="{par}"><rect width="10" height="10" fill="red"/>'
           '<rect x="1" y="2" width="3" height="5" fill="#04f"/></svg>')
    assert ours_vs_resvg(svg) >= 40.0
