"""Our renders match resvg drawing the SVG we write for the same scene (what the user will see)."""

import numpy as np
import pytest
import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.metrics import psnr, rasterize_svg
from layervec_ext.core.render import composite, render
from layervec_ext.core.scene import Scene, circle_points, flat, path
from layervec_ext.core.svg.write import scene_to_svg

pytestmark = pytest.mark.usefixtures("one_thread")


def to_rgb8(image: torch.Tensor) -> np.ndarray:
    return (composite(image.detach()).clamp(0, 1) * 255).round().byte().cpu().numpy()


def parity_db(scene, renderer="torch") -> float:
    ours = to_rgb8(render(scene, renderer=renderer))
    theirs = rasterize_svg(scene_to_svg(scene), scene.width, scene.height)
    return psnr(ours, theirs)


@pytest.mark.parametrize("size", [256, 512])
@pytest.mark.parametrize("n_paths", [8, 32, 128])
def test_smooth_scenes_match_resvg(size, n_paths):
    scene = random_scene(n_paths, size, seed=100 + n_paths + size, fills="mixed")
    db = parity_db(scene)
    print(f"PSNR vs resvg, {n_paths} paths, {size}²: {db:.2f} dB")
    assert db >= 40.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_self_intersecting_scenes_match_resvg(seed):
    scene = random_scene(16, 256, seed=seed, fills="mixed", self_intersecting=True)
    db = parity_db(scene)
    print(f"PSNR vs resvg, self-intersecting seed {seed}: {db:.2f} dB")
    assert db >= 33.0


def test_reference_renderer_matches_resvg():
    scene = random_scene(8, 128, seed=7, fills="mixed")
    assert parity_db(scene, renderer="reference") >= 40.0


def test_contract_shape_dtype_premultiplied():
    scene = random_scene(8, 64, seed=3, fills="mixed")
    image = render(scene)
    assert image.shape == (64, 64, 4) and image.dtype == torch.float32
    assert image.device == scene.device
    # premultiplied: colour never exceeds alpha
    assert bool((image[..., :3] <= image[..., 3:4] + 1e-5).all())
    assert float(image.min()) >= 0.0 and float(image.max()) <= 1.0 + 1e-5


def _with_background(color=(0.9, 0.3, 0.1, 0.6)):
    scene = random_scene(8, 96, seed=11, fills="mixed")
    scene.background = flat(color)
    return scene


@pytest.mark.parametrize("renderer", ["torch", "reference"])
def test_background_is_drawn_under_every_path_as_resvg_draws_the_svg(renderer):
    """A scene's background is drawn by each renderer as the full-canvas rectangle the writer writes
    (the first path of the bottom layer), and with no paths at all."""
    scene = _with_background()
    assert parity_db(scene, renderer) >= 40.0
    as_path = Scene(scene.width, scene.height, scene.drawn_paths(), scene.layers)
    assert scene_to_svg(as_path) == scene_to_svg(scene)
    torch.testing.assert_close(render(scene, renderer=renderer), render(as_path, renderer=renderer), atol=2e-6, rtol=0)
    empty = Scene(40, 30, [], background=flat((0.2, 0.5, 0.7, 1.0)))
    assert parity_db(empty, renderer) >= 50.0


def test_diffvg_draws_the_background_alike():
    pytest.importorskip("pydiffvg")
    scene = _with_background()
    assert parity_db(scene, "diffvg") >= 35.0


@pytest.mark.parametrize("size", [256, 1024])
def test_a_big_curve_is_drawn_where_the_svg_draws_it(size):
    """A circle of four cubics filling the canvas: its outline follows the curve resvg draws at
    every size (the flattening's chords lengthen with the picture unless their number grows)."""
    r = 0.45 * size
    scene = Scene(size, size, [path(circle_points(size / 2, size / 2, r), flat((0.0, 0.0, 0.0, 1.0)))])
    ours = to_rgb8(render(scene)).astype(np.float64)
    theirs = rasterize_svg(scene_to_svg(scene), size, size).astype(np.float64)
    worst = float(np.abs(ours - theirs).max()) / 255.0
    print(f"{size}²: the edge's pixels differ by {worst:.3f} at most")
    assert worst <= 0.2  # 0.64 at 1024² with 16 chords a cubic at every size
