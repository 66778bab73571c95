"""The picture under and over any path, cut from one drawing, equals drawing those paths alone."""

from __future__ import annotations

import pytest
import torch

from layervec_ext.core.render import render
from layervec_ext.core.render import split as split_module
from layervec_ext.core.render.common import draw_indices
from layervec_ext.core.render.split import DepthSplit
from layervec_ext.core.scene import Path, Scene, circle_points, flat, linear, radial


def piled_scene(seed: int, background: bool) -> Scene:
    """Opaque and translucent gradient blobs on each other, in two layers drawn out of scene order
    (a layer-1 path comes before layer-0 ones in the list), maybe over a flat background."""
    g = torch.Generator().manual_seed(seed)
    scene = Scene(48, 40, [], ["Coarse", "Detail"])
    if background:
        scene.background = flat([0.2, 0.5, 0.9, 0.8])
    for i in range(10):
        c = torch.rand(2, generator=g) * torch.tensor([48.0, 40.0])
        pts = circle_points(float(c[0]), float(c[1]), 5 + 12 * float(torch.rand(1, generator=g)), 4)
        pts = pts + torch.randn(pts.shape, generator=g)
        colors = torch.rand(2, 4, generator=g)
        colors[:, 3] = 1.0 if i % 3 == 0 else 0.3 + 0.6 * float(torch.rand(1, generator=g))
        fill = (radial(c, torch.tensor([7.0, 4.0]), torch.tensor([0.0, 1.0]), colors, angle=0.4) if i % 3 == 0
                else linear(c - 5, c + 5, torch.tensor([0.0, 1.0]), colors) if i % 3 == 1 else flat(colors[0]))
        scene.add(Path(pts, fill, layer=1 if i in (1, 4) else 0))
    return scene


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("background", [False, True])
@pytest.mark.parametrize("strip", [split_module.STRIP_PIXELS, 48 * 7])
def test_under_and_over_a_path_are_the_paths_drawn_before_and_after_it(seed: int, background: bool, strip: int,
                                                                       monkeypatch) -> None:
    monkeypatch.setattr(split_module, "STRIP_PIXELS", strip)  # one strip, or several: 7 rows each
    scene = piled_scene(seed, background)
    order = list(draw_indices(scene))
    assert order != list(range(len(scene.paths)))  # the layers reorder the drawing
    split = DepthSplit(scene)
    windows = [(0, 0, 48, 40), (7, 5, 30, 33), (40, 30, 48, 40), (12, 39, 13, 40)]
    for index in range(len(scene.paths)):
        pos = order.index(index)
        below = Scene(48, 40, [scene.paths[i] for i in order[:pos]], scene.layers, scene.background)
        above = Scene(48, 40, [scene.paths[i] for i in order[pos + 1:]], scene.layers)
        alone = Scene(48, 40, [scene.paths[index]], scene.layers)
        with torch.no_grad():
            want_under, want_over, path = render(below), render(above), render(alone)
        for x0, y0, x1, y1 in windows:
            under, over = split.around(index, x0, y0, x1, y1)
            assert under.shape == over.shape == (y1 - y0, x1 - x0, 4)
            assert torch.allclose(under, want_under[y0:y1, x0:x1], atol=1e-5)
            assert torch.allclose(over, want_over[y0:y1, x0:x1], atol=1e-5)
        # and the path between the two is the picture
        under, over = split.around(index, 0, 0, 48, 40)
        picture = over + (1 - over[..., 3:4]) * (path + (1 - path[..., 3:4]) * under)
        with torch.no_grad():
            assert torch.allclose(picture, render(scene), atol=1e-5)


def test_a_path_that_draws_nothing_has_no_split() -> None:
    scene = piled_scene(0, False)
    scene.add(Path(torch.zeros(0, 2), flat([0, 0, 0, 1])))
    with pytest.raises(ValueError, match="not drawn"):
        DepthSplit(scene).around(len(scene.paths) - 1, 0, 0, 4, 4)
