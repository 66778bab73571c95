"""The renderer's compiled loops (numba, the CPU's default) against its PyTorch version (the
reference, and the GPU's): the structure field for field, so the same fragments are drawn either
way; the band's coverage, shading and compositing to float32 rounding, forward and backward."""

import dataclasses

import pytest
import torch
from test_render_band import edges_and_pixels

from layervec_ext.bench.render import random_scene
from layervec_ext.core import jit
from layervec_ext.core.render import band, fused, raster
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.scene import Scene, circle_points, flat, linear, path, radial


def polygon(*corners):
    """Straight-sided closed path: each side one cubic with its handles on the side."""
    pts = []
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1]):
        pts += [[ax, ay], [ax + (bx - ax) / 3, ay + (by - ay) / 3], [ax + 2 * (bx - ax) / 3, ay + 2 * (by - ay) / 3]]
    return pts


def awkward_scene() -> Scene:
    """What the band and the winding treat specially: hairlines (two opposed edges within a pixel's
    reach), a path of no area, paths reaching far off the canvas (their edges clipped and cut),
    coincident points, and loops."""
    black = [0.0, 0.0, 0.0, 1.0]
    scene = Scene(72, 56, [
        path(polygon((10.3, 2), (10.5, 2), (10.5, 50), (10.3, 50)), flat(black)),
        path(polygon((20.1, 5), (21.0, 5), (21.0, 40), (20.1, 40)), flat([0.2, 0.4, 0.9, 0.8])),
        path(polygon((5, 20), (25, 20), (15, 20), (5, 20)), flat(black)),
        path([[30.0, 30.0]] * 12, flat(black)),
        path(circle_points(0, 0, 300), flat([0.9, 0.1, 0.1, 0.5])),
        path(circle_points(70, 28, 15), flat([0, 0.6, 0, 0.8])),
        path(circle_points(-400, 50, 20), flat(black)),
    ])
    loops = random_scene(8, 56, seed=4, fills="mixed", self_intersecting=True)
    for p in loops.paths:
        scene.add(p)
    return scene


SCENES = {
    "blobs": lambda: random_scene(60, 96, seed=3, fills="mixed"),
    "awkward": awkward_scene,
    "many": lambda: random_scene(200, 160, seed=5, fills="mixed"),
}


def builds(scene: Scene, every: int, rows, compiled: bool) -> raster.Structure:
    packed = PackedScene.pack(scene.detached())
    verts, nxt, owner = raster.flatten_all(packed)
    return raster.build_structure(verts, nxt, owner, packed.num_paths, scene.width, scene.height, every, rows,
                                  compiled=compiled)


@pytest.mark.parametrize("name", sorted(SCENES))
@pytest.mark.parametrize("every", [1, 2, 3])
def test_compiled_structure_is_the_pytorch_one_field_for_field(name, every):
    scene = SCENES[name]()
    h = scene.height
    cut = h // 2 // every * every
    for rows in (None, (0, cut), (cut, h)):
        fast, reference = builds(scene, every, rows, True), builds(scene, every, rows, False)
        assert fast.px.shape[0] > 0 and fast.band.shape[0] > 0
        for field in dataclasses.fields(reference):
            got, want = getattr(fast, field.name), getattr(reference, field.name)
            if isinstance(want, torch.Tensor):
                assert got.dtype == want.dtype and torch.equal(got, want), (rows, field.name)
            else:
                assert got == want, (rows, field.name)


def test_the_awkward_scene_has_what_it_is_for():
    s = builds(awkward_scene(), 1, None, True)
    assert bool((s.band_edge2 >= 0).any())  # hairlines: a second, opposed edge in reach
    assert s.counts[2] == 0 and s.counts[3] == 0  # no area, no fragments
    assert s.counts[6] == 0  # wholly off the canvas


def test_the_cpu_builds_float32_compiled_and_other_dtypes_with_pytorch():
    scene = random_scene(5, 32, seed=1)
    packed = PackedScene.pack(scene.detached())
    verts, nxt, owner = raster.flatten_all(packed)
    assert jit.loops_for("layervec_ext.core.render.compiled", verts) is not None  # numba is a dependency
    wide = verts.double()
    assert jit.loops_for("layervec_ext.core.render.compiled", wide) is None
    with pytest.raises(ValueError, match="float32"):
        raster.build_structure(wide, nxt, owner, packed.num_paths, 32, 32, compiled=True)
    s64 = raster.build_structure(wide, nxt, owner, packed.num_paths, 32, 32)
    s32 = raster.build_structure(verts, nxt, owner, packed.num_paths, 32, 32)
    assert s64.counts == s32.counts


def three_stop_scene() -> Scene:
    """Radial and linear fills of three stops (two intervals) over one another, partly see-through,
    some stops at the same offset (a hard edge in the gradient)."""
    scene = random_scene(20, 80, seed=7, fills="mixed")
    colors = [[0.9, 0.1, 0.1, 1.0], [0.1, 0.8, 0.2, 0.6], [0.1, 0.1, 0.9, 0.9]]
    scene.add(path(circle_points(40, 40, 30), radial([35, 42], [25, 18], [0.0, 0.4, 1.0], colors, angle=0.3)))
    scene.add(path(circle_points(30, 50, 20), linear([10, 40], [50, 60], [0.2, 0.2, 0.9], colors)))
    return scene


@pytest.mark.parametrize("scene, every", [
    (random_scene(60, 96, seed=3, fills="mixed"), 1),
    (random_scene(12, 96, seed=5, fills="mixed", self_intersecting=True), 1),
    (three_stop_scene(), 1),
    (three_stop_scene(), 2),
])
def test_compiled_shading_draws_and_differentiates_as_pytorch(scene, every):
    packed = PackedScene.pack(scene.detached())
    verts, nxt, owner = raster.flatten_all(packed)
    s = raster.build_structure(verts, nxt, owner, packed.num_paths, scene.width, scene.height, every)
    table, cov, frags = raster.paint_inputs(s, packed, raster.fragment_coverage(s, verts, nxt))
    table, cov = table.detach().requires_grad_(), cov.detach().requires_grad_()
    grad = torch.randn(4, frags.pixels, generator=torch.Generator().manual_seed(0))
    results = []
    for function in (fused.CompiledShadeComposite, fused.ShadeComposite):
        image = function.apply(table, cov, frags)
        results.append((image.detach(), *torch.autograd.grad((image * grad).sum(), [table, cov])))
    for got, want in zip(*results):
        assert got.shape == want.shape and got.dtype == want.dtype
        assert float((got - want).abs().max()) <= 1e-5 * float(want.abs().max())
    assert float(results[1][1].abs().max()) > 0 and float(results[1][2].abs().max()) > 0


def test_the_cpu_shades_float32_compiled():
    scene = three_stop_scene()
    packed = PackedScene.pack(scene)
    verts, nxt, owner = raster.flatten_all(packed)
    s = raster.build_structure(verts.detach(), nxt, owner, packed.num_paths, scene.width, scene.height)
    table, cov, frags = raster.paint_inputs(s, packed, raster.fragment_coverage(s, verts, nxt))
    assert fused._compiled_shading() is not None  # numba is a dependency: the CPU default
    table = table.detach().requires_grad_()
    image = fused.shade_composite(table, cov, frags)
    assert image.grad_fn is not None and type(image.grad_fn).__name__.startswith("CompiledShadeComposite")
    wide = fused.shade_composite(table.double(), cov.double(), frags)
    assert type(wide.grad_fn).__name__.startswith("ShadeComposite")
    assert torch.allclose(wide.float(), image, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_band_coverage_is_pytorchs_to_rounding(seed):
    """Values to float32 rounding; gradients too, but where a pixel centre lies on its edge (its
    offset ~1e-6 px, the normal's direction decided by rounding), where both may split a tie
    differently — a few vertices of thousands."""
    verts, start, end, centres, inside = edges_and_pixels(20000, seed)
    verts, centres = verts.float(), centres.float()
    upstream = torch.rand(start.shape[0], generator=torch.Generator().manual_seed(seed))
    results = []
    for compiled in (True, False):
        v = verts.clone().requires_grad_()
        coverage = band.band_coverage(v, start, end, centres, inside, compiled=compiled)
        coverage.backward(upstream)
        results.append((coverage.detach(), v.grad))
    (cov, grad), (want_cov, want_grad) = results
    assert float((cov - want_cov).abs().max()) < 1e-5
    scale = float(want_grad.abs().max())
    off = ((grad - want_grad).abs() > 1e-4 * scale).any(1)
    assert int(off.sum()) <= 0.005 * verts.shape[0]
    assert float((grad - want_grad).abs().max()) < 1e-2 * scale


def test_the_cpu_covers_the_band_float32_compiled():
    verts, start, end, centres, inside = edges_and_pixels(100, 0)
    assert band._compiled_band() is not None
    v32 = verts.float().requires_grad_()
    assert type(band.band_coverage(v32, start, end, centres.float(), inside).grad_fn).__name__.startswith("Compiled")
    v64 = verts.clone().requires_grad_()
    assert type(band.band_coverage(v64, start, end, centres, inside).grad_fn).__name__.startswith("BandCoverage")
