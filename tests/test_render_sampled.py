"""The sampled render a step's loss uses on big canvases (``raster.render_packed_sampled``): the
pixels it draws are drawn exactly as the full render draws them, the boundary band's pixels are all
there (so the outlines' gradients are the full render's), and the loss it gives the optimiser is
the full picture's loss when it samples nothing out."""

import dataclasses

import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.render import raster, render
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.scene import FlatFill
from layervec_ext.core.vectorize.losses import pixel_loss
from layervec_ext.core.vectorize.optimize import Hold, _Problem
from layervec_ext.core.vectorize.settings import Settings

SIZE = 96


def packed_scene(seed: int = 1, n_paths: int = 40) -> PackedScene:
    return PackedScene.pack(random_scene(n_paths, SIZE, seed=seed, fills="mixed").detached()).requires_grad_()


def smooth_target() -> torch.Tensor:
    y, x = torch.meshgrid(torch.linspace(0, 1, SIZE), torch.linspace(0, 1, SIZE), indexing="ij")
    return torch.stack([x, y, 0.5 * (x + y), 0.4 + 0.6 * x * y], -1)


def covered_and_band_pixels(packed: PackedScene) -> tuple[torch.Tensor, torch.Tensor]:
    """The pixels some fragment covers, and those of the boundary band, of the unsampled structure."""
    verts, nxt, owner = raster.flatten_all(packed)
    s = raster.build_structure(verts.detach(), nxt, owner, packed.num_paths, SIZE, SIZE)
    pixel = s.py.long() * SIZE + s.px.long()
    return torch.unique(pixel), torch.unique(pixel[s.band])


def test_every_drawn_pixel_is_the_full_renders_and_the_band_is_all_there():
    packed = packed_scene()
    full = raster.render_packed(packed).detach().reshape(-1, 4)
    covered, band = covered_and_band_pixels(packed)
    for every in (1, 2, 3):
        touched, drawn, values, share = raster.render_packed_sampled(packed, every)
        assert torch.equal(touched, covered)
        assert torch.allclose(values.detach(), full[drawn], atol=1e-6)
        assert bool(torch.isin(band, drawn).all())  # every band pixel is drawn, for itself
        assert bool((share[torch.isin(drawn, band)] == 1).all())
        rest = drawn[~torch.isin(drawn, band)]
        x, y = rest % SIZE, rest // SIZE
        assert bool(((x % every == every // 2) & (y % every == every // 2)).all())  # one per block elsewhere
        assert bool((share[~torch.isin(drawn, band)] == every * every).all())
        if every == 1:
            assert torch.equal(drawn, touched)
        else:  # it leaves most of the insides out
            assert drawn.shape[0] < 0.6 * touched.shape[0]


def sampled_loss(packed: PackedScene, target: torch.Tensor, every: int) -> torch.Tensor:
    touched, drawn, values, share = raster.render_packed_sampled(packed, every)
    flat = target.reshape(-1, 4)
    err = ((values - flat[drawn]) ** 2).sum(1) * share
    rest = (flat**2).sum(1)
    return (err.sum() + rest.sum() - rest[touched].sum()) / flat.shape[0]


def test_the_outlines_gradient_is_the_full_renders_and_the_paints_is_near_it():
    target = smooth_target()
    grads = {}
    for every in (1, 2):
        packed = packed_scene(seed=4)
        sampled_loss(packed, target, every).backward()
        grads[every] = (packed.points.grad.clone(), torch.cat([t.grad.reshape(-1) for g in packed.groups
                                                                 for t in g.tensors.values()]))
    full_points, full_paint = grads[1]
    points, paint = grads[2]
    assert float(full_points.abs().max()) > 0
    assert torch.allclose(points, full_points, rtol=1e-4, atol=1e-7)
    assert not torch.allclose(paint, full_paint)  # it is an estimate ...
    assert float((paint - full_paint).norm() / full_paint.norm()) < 0.15  # ... of the same gradient


def test_the_optimisers_loss_is_the_pictures_with_a_background_or_a_fixed_canvas_under_the_paths():
    scene = random_scene(12, SIZE, seed=2, fills="mixed")
    scene.background = FlatFill(torch.tensor([0.2, 0.5, 0.7, 0.8]))
    target = smooth_target()
    weight = 1.0 + smooth_target()[..., 0]
    for start in (0, 5):
        for w in (None, weight):
            problem = _Problem(scene, Hold(), start=start)
            got = problem.touched_loss(target, w)  # what a sampled step computes, with nothing sampled out
            want = pixel_loss(render(scene.detached()), target, w)
            assert abs(float(got.detach()) - float(want)) < 1e-6 * float(want)
    problem = _Problem(scene, Hold(), start=0)
    problem.touched_loss(target, None).backward()
    bg = scene.detached()
    bg.background.color.requires_grad_()
    pixel_loss(render(bg), target).backward()
    assert torch.allclose(problem.packed.background.grad, bg.background.color.grad, rtol=1e-4, atol=1e-8)


def test_big_canvases_sample_small_ones_do_not():
    cfg = Settings()
    assert cfg.sample_every(256, 256) == 1
    assert cfg.sample_every(512, 512) == cfg.sample_block > 1
    assert dataclasses.replace(cfg, sample_block=1).sample_every(512, 512) == 1
