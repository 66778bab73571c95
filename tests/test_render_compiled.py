"""The structure stage's compiled loops (numba, the CPU's default) build what the PyTorch build
(the reference, and the GPU's) builds, field for field — so a picture is drawn the same either way."""

import dataclasses

import pytest
import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.render import raster
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.scene import Scene, circle_points, flat, path


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
    verts, nxt, owner = raster.flatten_all(packed, raster.DEFAULT_K)
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
    verts, nxt, owner = raster.flatten_all(packed, raster.DEFAULT_K)
    assert raster._kernels(verts) is not None  # numba is a dependency: the CPU default
    wide = verts.double()
    assert raster._kernels(wide) is None
    with pytest.raises(ValueError, match="float32"):
        raster.build_structure(wide, nxt, owner, packed.num_paths, 32, 32, compiled=True)
    s64 = raster.build_structure(wide, nxt, owner, packed.num_paths, 32, 32)
    s32 = raster.build_structure(verts, nxt, owner, packed.num_paths, 32, 32)
    assert s64.counts == s32.counts

