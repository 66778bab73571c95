"""The writer's SVG means what the scene means, as drawn by a real renderer (resvg)."""

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from layervec_ext.core.metrics import rasterize_svg
from layervec_ext.core.scene import Scene, circle_points, flat, linear, path, radial
from layervec_ext.core.svg.write import INKSCAPE_NS, scene_to_svg


def square(x0, y0, x1, y1):
    """A rectangle as 4 straight cubics."""
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    pts = []
    for i, p in enumerate(corners):
        q = corners[(i + 1) % 4]
        pts += [p, (p[0] + (q[0] - p[0]) / 3, p[1] + (q[1] - p[1]) / 3),
                (p[0] + 2 * (q[0] - p[0]) / 3, p[1] + 2 * (q[1] - p[1]) / 3)]
    return pts


def test_rotated_elliptical_radial_gradient_lands_where_the_scene_says():
    angle = math.radians(30)
    fill = radial([50, 50], [40, 10], [0, 1], [[1, 0, 0, 1], [0, 0, 1, 1]], angle=angle)
    scene = Scene(100, 100, [path(square(0, 0, 100, 100), fill)])
    img = rasterize_svg(scene_to_svg(scene), 100, 100).astype(int)
    assert np.abs(img[50, 50] - [255, 0, 0]).max() <= 8  # centre: first stop
    # half-way along the rotated major axis: half-way between the stops
    x, y = 50 + 20 * math.cos(angle), 50 + 20 * math.sin(angle)
    assert np.abs(img[int(y), int(x)] - [128, 0, 128]).max() <= 20
    # the same distance along the minor axis is already past the last stop
    x, y = 50 - 20 * math.sin(angle), 50 + 20 * math.cos(angle)
    assert np.abs(img[int(y), int(x)] - [0, 0, 255]).max() <= 8


def test_linear_flat_opacity_and_layers():
    scene = Scene(64, 64, layers=["coarse", "empty", "detail"])
    scene.add(path(square(0, 0, 64, 64), linear([0, 0], [64, 0], [0, 1], [[0, 0, 0, 1], [1, 1, 1, 1]])))
    scene.add(path(circle_points(32, 32, 10), flat([0, 1, 0, 1]), opacity=0.5, layer=2))
    svg = scene_to_svg(scene)
    img = rasterize_svg(svg, 64, 64).astype(int)
    assert img[32, 2, 0] < 12 and img[32, 61, 0] > 243  # gradient runs left to right
    # 50 % green over the gradient's middle grey
    assert np.abs(img[32, 32] - [64, 191, 64]).max() <= 6
    layers = [g for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")
              if g.get(f"{{{INKSCAPE_NS}}}groupmode") == "layer"]
    assert [g.get(f"{{{INKSCAPE_NS}}}label") for g in layers] == ["coarse", "detail"]  # no empty layer


def test_same_scene_same_bytes_and_no_nan():
    def make():
        torch.manual_seed(0)
        return Scene(32, 32, [path(circle_points(16, 16, 8) + torch.rand(12, 2),
                                   radial([16, 16], [8, 8], [0.7, 0.2], [[1, 1, 0, 1], [0, 1, 1, 0.5]]))])

    assert scene_to_svg(make()) == scene_to_svg(make())
    assert 'offset="0.7"' in scene_to_svg(make()) and 'offset="0.2"' not in scene_to_svg(make())
    bad = make()
    bad.paths[0].points[0, 0] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        scene_to_svg(bad)
