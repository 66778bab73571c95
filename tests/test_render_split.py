"""The picture under and over any path, cut from one drawing, equals drawing those paths alone."""

from __future__ import annotations

import pytest
import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.render import render
from layervec_ext.core.render import split as split_module
from layervec_ext.core.render.common import draw_indices
from layervec_ext.core.render.split import DepthSplit
from layervec_ext.core.scene import Path, Scene, circle_points, flat


def piled_scene(seed: int, background: bool) -> Scene:
    """Translucent gradient blobs on each other and an opaque one, in two layers drawn out of scene
    order (two layer-1 paths come before layer-0 ones in the list), maybe over a flat background."""
    scene = random_scene(10, 40, seed, fills="mixed")
    scene.layers = ["Coarse", "Detail"]
    scene.paths[1].layer = scene.paths[4].layer = 1
    scene.add(Path(circle_points(20.0, 20.0, 9.0), flat([0.9, 0.6, 0.1, 1.0])))
    if background:
        scene.background = flat([0.2, 0.5, 0.9, 0.8])
    return scene


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("background", [False, True])
@pytest.mark.parametrize("strip", [split_module.STRIP_PIXELS, 40 * 7])
def test_under_and_over_a_path_are_the_paths_drawn_before_and_after_it(seed: int, background: bool, strip: int,
                                                                       monkeypatch) -> None:
    monkeypatch.setattr(split_module, "STRIP_PIXELS", strip)  # one strip, or several: 7 rows each
    scene = piled_scene(seed, background)
    order = list(draw_indices(scene))
    assert order != list(range(len(scene.paths)))  # the layers reorder the drawing
    split = DepthSplit(scene)
    windows = [(0, 0, 40, 40), (7, 5, 30, 33), (32, 30, 40, 40), (12, 39, 13, 40)]
    for index in range(len(scene.paths)):
        pos = order.index(index)
        below = Scene(40, 40, [scene.paths[i] for i in order[:pos]], scene.layers, scene.background)
        above = Scene(40, 40, [scene.paths[i] for i in order[pos + 1:]], scene.layers)
        alone = Scene(40, 40, [scene.paths[index]], scene.layers)
        with torch.no_grad():
            want_under, want_over, path = render(below), render(above), render(alone)
        for x0, y0, x1, y1 in windows:
            under, over = split.around(index, x0, y0, x1, y1)
            assert under.shape == over.shape == (y1 - y0, x1 - x0, 4)
            assert torch.allclose(under, want_under[y0:y1, x0:x1], atol=1e-5)
            assert torch.allclose(over, want_over[y0:y1, x0:x1], atol=1e-5)
        # and the path between the two is the picture
        under, over = split.around(index, 0, 0, 40, 40)
        picture = over + (1 - over[..., 3:4]) * (path + (1 - path[..., 3:4]) * under)
        with torch.no_grad():
            assert torch.allclose(picture, render(scene), atol=1e-5)


def test_a_path_that_draws_nothing_has_no_split() -> None:
    scene = piled_scene(0, False)
    scene.add(Path(torch.zeros(0, 2), flat([0, 0, 0, 1])))
    with pytest.raises(ValueError, match="not drawn"):
        DepthSplit(scene).around(len(scene.paths) - 1, 0, 0, 4, 4)
