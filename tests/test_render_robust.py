"""Degenerate and extreme scenes render without NaN/Inf (image and gradients), and where SVG has
an answer, the same answer as resvg drawing our SVG."""

import numpy as np
import pytest
import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.metrics import psnr, rasterize_svg
from layervec_ext.core.render import composite, render
from layervec_ext.core.scene import Scene, circle_points, flat, linear, path, radial
from layervec_ext.core.svg.write import scene_to_svg

RENDERERS = ["torch", "reference"]


pytestmark = pytest.mark.usefixtures("one_thread")


def polygon(*corners):
    """Straight cubics through ``corners`` (controls on the endpoints: coincident points)."""
    pts = []
    for p in corners:
        pts += [p, p, p]
    return pts


def check_finite(scene: Scene, renderer: str) -> torch.Tensor:
    scene.requires_grad_()
    image = render(scene, renderer=renderer)
    assert image.shape == (scene.height, scene.width, 4)
    assert bool(torch.isfinite(image).all()), "non-finite pixels"
    weights = torch.rand(image.shape, generator=torch.Generator().manual_seed(0))
    if image.requires_grad:
        (image * weights).sum().backward()
        for name, t in scene.named_tensors():
            assert t.grad is None or bool(torch.isfinite(t.grad).all()), f"non-finite gradient in {name}"
    return image.detach()


def assert_matches_resvg(scene: Scene, image: torch.Tensor, min_db: float = 40.0):
    ours = (composite(image).clamp(0, 1) * 255).round().byte().numpy()
    theirs = rasterize_svg(scene_to_svg(scene), scene.width, scene.height)
    assert psnr(ours, theirs) >= min_db


@pytest.mark.parametrize("renderer", RENDERERS)
def test_empty_scene_is_transparent(renderer):
    image = render(Scene(17, 9), renderer=renderer)
    assert image.shape == (9, 17, 4) and bool((image == 0).all())


@pytest.mark.parametrize("renderer", RENDERERS)
def test_zero_area_paths_and_coincident_points(renderer):
    red = [1.0, 0.0, 0.0, 1.0]
    scene = Scene(32, 32, [
        path([[10.0, 10.0]] * 12, flat(red)),  # everything on one point
        path(polygon((5, 20), (25, 20), (15, 20), (5, 20)), flat(red)),  # a flat sliver: no area
        path(polygon((4, 4), (28, 4), (28, 28), (4, 28)), radial([16, 16], [0, 0], [0, 1], [red, red])),
        path(polygon((8.2, 8), (8.2, 8), (20, 8), (20, 19.6)), linear([3, 3], [3, 3], [0, 1], [red, [0, 0, 1, 1]])),
    ])
    image = check_finite(scene, renderer)
    assert_matches_resvg(scene, image)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_paths_partly_and_wholly_off_canvas(renderer):
    fill = radial([0, 0], [30, 20], [0, 1], [[0.9, 0.1, 0.1, 1], [0.1, 0.1, 0.9, 0.6]])
    scene = Scene(48, 40, [
        path(circle_points(0, 0, 30), fill),  # a quarter on canvas
        path(circle_points(48, 20, 10), flat([0, 0.6, 0, 0.8])),  # half
        path(circle_points(-200, 50, 20), flat([0, 0, 0, 1])),  # wholly off, left
        path(circle_points(30, 500, 20), flat([0, 0, 0, 1])),  # wholly off, below
    ])
    image = check_finite(scene, renderer)
    assert_matches_resvg(scene, image)
    alone = Scene(48, 40, scene.paths[2:])
    assert bool((check_finite(alone, renderer) == 0).all())


@pytest.mark.parametrize("renderer", RENDERERS)
def test_very_large_coordinates(renderer):
    big = 1e6
    scene = Scene(40, 40, [
        path(polygon((-big, -big), (big, -big * 0.5), (20, big)), linear([0, 0], [40, 40], [0, 1],
                                                                       [[1, 1, 0, 1], [0, 0, 1, 1]])),
        path(circle_points(20, 20, 8) * torch.tensor([1.0, 1.0]) + torch.tensor([0.0, 0.0]),
             radial([big, -big], [big, big], [0, 1], [[1, 0, 0, 1], [0, 1, 0, 1]])),
    ])
    image = check_finite(scene, renderer)
    assert_matches_resvg(scene, image, min_db=35.0)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_unsorted_and_out_of_range_stops_render_like_the_svg(renderer):
    """The optimiser may push stops out of order: we draw what the writer writes (clamp to [0, 1],
    then cumulative max), so the SVG still shows what was optimised."""
    colors = [[1, 0, 0, 1], [0, 1, 0, 0.5], [0, 0, 1, 1], [1, 1, 0, 0.8]]
    scene = Scene(64, 64, [
        path(polygon((0, 0), (64, 0), (64, 32), (0, 32)), linear([0, 0], [64, 0], [0.7, 0.2, 0.5, 1.4], colors)),
        path(polygon((0, 32), (64, 32), (64, 64), (0, 64)),
             radial([32, 48], [-30, 12], [-0.3, 0.6, 0.4, 0.9], colors, angle=-0.4)),
    ])
    image = check_finite(scene, renderer)
    assert_matches_resvg(scene, image)


def test_composite_over_a_grey_given_as_one_value():
    image = render(Scene(8, 6, [path(polygon((1, 1), (6, 1), (6, 5)), flat([1, 0, 0, 0.5]))]))
    grey = composite(image, (0.25,))
    assert torch.allclose(grey, composite(image, (0.25, 0.25, 0.25)))
    assert torch.allclose(grey[0, 0], torch.full((3,), 0.25))  # an empty pixel shows the background


def test_transparent_stops_interpolate_like_resvg():
    """Straight-alpha interpolation then premultiply (tiny-skia's rule): opaque red → transparent
    blue is red fading out, not a purple fringe."""
    scene = Scene(100, 20, [path(polygon((0, 0), (100, 0), (100, 20), (0, 20)),
                                 linear([0, 0], [100, 0], [0, 1], [[1, 0, 0, 1], [0, 0, 1, 0]]))])
    ours = (composite(render(scene), (0, 0, 0)) * 255).numpy()[10]
    svg = scene_to_svg(scene)
    theirs = rasterize_svg(svg, 100, 20, background=None)[10].astype(float)
    theirs = theirs[:, :3] * theirs[:, 3:4] / 255.0  # over black
    assert np.abs(ours - theirs).max() <= 3.0


def test_fast_and_reference_agree_on_smooth_scenes():
    scene = random_scene(16, 96, seed=11, fills="mixed")
    fast, ref = render(scene), render(scene, renderer="reference")
    assert float((fast - ref).abs().max()) < 1e-4


def test_fast_and_reference_agree_on_self_intersecting_scenes():
    scene = random_scene(12, 96, seed=5, fills="mixed", self_intersecting=True)
    fast = (composite(render(scene)) * 255).numpy()
    ref = (composite(render(scene, renderer="reference")) * 255).numpy()
    assert psnr(fast, ref) >= 40.0


def test_mixed_segment_and_stop_counts():
    """Contour-fitted paths carry any number of cubics and gradients any number of stops."""
    g = torch.Generator().manual_seed(9)
    scene = Scene(80, 80)
    for i, (segments, stops) in enumerate([(3, 2), (17, 5), (4, 3), (9, 1)]):
        pts = circle_points(20 + 14 * i, 40, 16, segments) + (torch.rand(3 * segments, 2, generator=g) - 0.5) * 3
        colors = torch.rand(stops, 4, generator=g) * 0.8 + 0.2
        if stops == 1:
            fill = flat(colors[0])
        elif i % 2:
            fill = radial([20 + 14 * i, 40], [14, 9], torch.linspace(0.1, 0.9, stops), colors, angle=0.3)
        else:
            fill = linear([10, 30], [60, 50], torch.linspace(0, 1, stops), colors)
        scene.add(path(pts, fill, opacity=0.8))
    fast = check_finite(scene, "torch")
    ref = check_finite(scene.detached(), "reference")
    assert float((fast - ref).abs().max()) < 1e-4
    assert_matches_resvg(scene, fast)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_edges_through_pixel_centres_and_equal_stops(renderer):
    """Distance exactly 0 at pixel centres, a zero radius and two stops at one offset (a hard step)
    still give finite gradients."""
    scene = Scene(24, 24, [
        path(polygon((4.5, 4.5), (20.5, 4.5), (20.5, 20.5)),
             radial([12.5, 12.5], [0, 5], [0.5, 0.5], [[1, 0, 0, 1], [0, 1, 0, 0.5]])),
        path(polygon((2.5, 2.5), (2.5, 2.5), (2.5, 2.5)), flat([0, 0, 1, 1])),
    ])
    check_finite(scene, renderer)


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("width", [0.2, 0.5, 1.3])
def test_slivers_thinner_than_a_pixel_are_as_faint_as_in_resvg(renderer, width):
    """A hairline must not look darker in our render than in the SVG (one edge alone would draw a
    0.2 px sliver at half opacity)."""
    x0 = 10.3
    scene = Scene(24, 8, [path(polygon((x0, 0), (x0 + width, 0), (x0 + width, 8), (x0, 8)), flat([0, 0, 0, 1]))])
    ours = render(scene, renderer=renderer)[4, :, 3].numpy()
    theirs = rasterize_svg(scene_to_svg(scene), 24, 8, background=None)[4, :, 3] / 255.0
    assert abs(ours.sum() - width) < 0.02
    assert np.abs(ours - theirs).max() <= 0.12  # resvg itself samples coverage in steps of 1/16 to 1/4
