"""Nodes by need (issue 10): the node budget clean-up leaves goes to the cubics along which the
picture is wrong, neediest first — exactly halved, so nothing moves until the last pass fits them —
and a whole vectorization spends it within the budget for a better picture. Where repairs went past
the budget, the nodes the picture needs least go back."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from layervec_ext.core.geometry import polygon_cubics
from layervec_ext.core.metrics import psnr, rasterize_svg
from layervec_ext.core.render import render
from layervec_ext.core.scene import FlatFill, Path, Scene
from layervec_ext.core.svg.write import scene_to_svg
from layervec_ext.core.vectorize import Settings, vectorize
from layervec_ext.core.vectorize.nodes import error_map, join_least_needed, need, split_by_need
from layervec_ext.core.vectorize.pipeline import _untangle, _window_score
from layervec_ext.core.vectorize.untangle import points_of, segments_of, simple, split, untangle_scene

pytestmark = pytest.mark.usefixtures("one_thread")

SIZE = 64


def square(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return polygon_cubics([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def scene_of(*outlines: np.ndarray) -> Scene:
    paths = [Path(torch.as_tensor(p, dtype=torch.float32), FlatFill(torch.tensor([0.2, 0.4, 0.8, 1.0])))
             for p in outlines]
    return Scene(SIZE, SIZE, paths)


def test_the_cubic_along_the_error_needs_most() -> None:
    outline = square(10, 10, 50, 50)  # cubics: top, right, bottom, left
    error = np.zeros((SIZE, SIZE))
    error[48:52, 10:50] = 1.0  # wrong along the bottom side
    scores = need(segments_of(outline), error)
    assert int(np.argmax(scores)) == 2
    assert scores[2] > 10 * max(scores[0], scores[1], scores[3])


def test_splitting_halves_the_neediest_cubics_exactly_within_the_count_and_the_cap() -> None:
    scene = scene_of(square(6, 6, 30, 30), square(34, 34, 58, 58))
    before = rasterize_svg(scene_to_svg(scene), SIZE, SIZE)
    error = np.zeros((SIZE, SIZE))
    error[28:32, 6:30] = 1.0  # the first square's bottom
    error[34:58, 56:60] = 0.5  # the second's right side
    assert split_by_need(scene, [0, 1], error, count=2, most=16) == 2
    assert [p.points.shape[0] // 3 for p in scene.paths] == [5, 5]
    after = rasterize_svg(scene_to_svg(scene), SIZE, SIZE)
    assert psnr(after, before) >= 60.0  # the same outline, one node more
    nodes = scene.paths[0].points[0::3].numpy()
    assert any(np.allclose(n, [18, 30], atol=1e-4) for n in nodes)  # the bottom side's middle
    # a cap, a count, and no error: nothing more
    assert split_by_need(scene, [0, 1], error, count=10, most=5) == 0
    assert split_by_need(scene, [0], np.zeros((SIZE, SIZE)), count=4, most=16) == 0
    assert split_by_need(scene, [1], error, count=0, most=16) == 0
    assert [p.points.shape[0] // 3 for p in scene.paths] == [5, 5]


def test_error_map_is_the_blurred_squared_error() -> None:
    target = np.zeros((SIZE, SIZE, 4))
    canvas = target.copy()
    canvas[32, 32] = 1.0
    error = error_map(canvas, target)
    assert error.shape == (SIZE, SIZE)
    assert error[32, 32] == error.max() and error[32, 33] > 0 and error[32, 40] < 1e-6
    assert error.sum() == pytest.approx(4.0, rel=1e-3)


def star_and_ellipse() -> np.ndarray:
    """A red ten-pointed star and a blue ellipse on white, 96²."""
    import cv2

    img = np.full((96, 96, 4), 255, np.uint8)
    angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    radii = np.where(np.arange(20) % 2 == 0, 26.0, 13.0)
    star = np.stack([34 + radii * np.cos(angles), 40 + radii * np.sin(angles)], 1)
    cv2.fillPoly(img, [np.round(star * 16).astype(np.int32)], (220, 40, 30, 255), cv2.LINE_AA, shift=4)
    cv2.ellipse(img, (76, 70), (14, 9), 20, 0, 360, (30, 60, 200, 255), -1, cv2.LINE_AA)
    return img


def test_the_budget_clean_up_leaves_is_spent_on_nodes_and_the_picture_gains() -> None:
    img = star_and_ellipse()
    cfg = Settings.preset("balanced", paths=40, fill="flat")
    by_need = vectorize(img, cfg)
    even = vectorize(img, dataclasses.replace(cfg, split_share=0.0))
    assert by_need.num_segments <= cfg.paths * cfg.segments
    assert by_need.num_paths < 0.6 * cfg.paths  # clean-up left budget ...
    assert by_need.num_segments > 1.5 * even.num_segments  # ... and it was spent

    def picture_psnr(scene: Scene) -> float:
        return psnr(rasterize_svg(scene_to_svg(scene), 96, 96), img[..., :3])

    assert picture_psnr(by_need) > picture_psnr(even) + 1.0


def halved(outline: np.ndarray) -> np.ndarray:
    """The outline with every cubic halved (exactly: the same curve, twice the nodes)."""
    return points_of(np.asarray([half for c in segments_of(outline) for half in split(c, 0.5)]))


def circle(cx: float, cy: float, r: float) -> np.ndarray:
    k = 0.5523 * r  # four cubics, each a quarter
    return np.array([[cx + r, cy], [cx + r, cy + k], [cx + k, cy + r], [cx, cy + r], [cx - k, cy + r],
                     [cx - r, cy + k], [cx - r, cy], [cx - r, cy - k], [cx - k, cy - r], [cx, cy - r],
                     [cx + k, cy - r], [cx + r, cy - k]])


def test_joins_take_the_nodes_the_picture_needs_least() -> None:
    """A square whose sides were halved has four nodes that draw nothing; a circle's four all
    count. Giving four cubics back takes the square's, and the picture stays; asked for more, each
    outline keeps two cubics at least and stays simple."""
    scene = scene_of(halved(square(6, 6, 30, 30)), circle(46, 46, 12))
    target = render(scene).detach()
    before = rasterize_svg(scene_to_svg(scene), SIZE, SIZE)
    assert join_least_needed(scene, [0, 1], 4, _window_score(scene, target)) == 4
    assert [p.num_segments for p in scene.paths] == [4, 4]
    assert psnr(rasterize_svg(scene_to_svg(scene), SIZE, SIZE), before) >= 50.0
    assert join_least_needed(scene, [0, 1], 100, _window_score(scene, target)) == 4
    assert [p.num_segments for p in scene.paths] == [2, 2]
    assert all(simple(p.points.double().numpy()) for p in scene.paths)
    assert join_least_needed(scene, [0, 1], 1, _window_score(scene, target)) == 0


def test_a_repair_past_the_node_budget_takes_its_cubics_from_where_the_picture_needs_them_least() -> None:
    """A bow-tie in a scene at its node budget: the repair that keeps both lobes (a 2-opt) needs two
    cubics more. Untangling takes them from the halved square's straight sides, within the budget,
    and draws the bow-tie's picture far better than repairing within the cubics the path has."""
    bow_tie = polygon_cubics([[4, 4], [30, 30], [30, 4], [4, 22]])  # cubics 0 and 2 cross; lobes of two sizes
    cfg = Settings(paths=2, segments=6)  # 12 cubics: the bow-tie's 4 and the square's 8

    def tangled() -> Scene:
        return scene_of(bow_tie, halved(square(36, 36, 60, 60)))

    want = rasterize_svg(scene_to_svg(tangled()), SIZE, SIZE)
    target = render(tangled()).detach()
    within = tangled()
    untangle_scene(within, score=_window_score(within, target), spare=0)
    joined, heard = tangled(), []
    _untangle(joined, target, cfg, set(), progress=heard.append)
    assert all(simple(p.points.double().numpy()) for p in joined.paths)
    # the repair, which took seconds at 256 paths with no word, says how far it is path by path
    # (two paths, two ways) and join by join (the last third of the repair's part)
    assert heard == sorted(heard) and heard[-1] == 1.0 and len([h for h in heard if h < 1 / 3]) >= 4
    assert any(2 / 9 < h < 1 / 3 for h in heard)
    assert joined.num_segments <= cfg.paths * cfg.segments == within.num_segments
    assert [p.num_segments for p in joined.paths] == [6, 6]  # a 2-opt: two more; the square gave two
    drawn = [psnr(rasterize_svg(scene_to_svg(s), SIZE, SIZE), want) for s in (within, joined)]
    assert drawn[1] >= drawn[0] + 3.0, drawn
