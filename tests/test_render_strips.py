"""Drawing a big canvas in strips of rows (what keeps a 1024² picture's memory down) draws the
same picture, samples the same pixels, scores every path and gives the optimiser the same loss and
gradients as drawing it whole."""

from __future__ import annotations

import pytest
import torch

from layervec_ext.core.render import render
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.render.raster import STEP_STRIP_PIXELS, STRIP_PIXELS, build_structure, flatten_all, strips
from layervec_ext.core.render.removal import removal_errors
from layervec_ext.core.scene import FlatFill, Path, Scene, circle_points, flat, linear, radial
from layervec_ext.core.vectorize.optimize import Hold, _Problem

W, H = 1024, 600  # three strips of a drawing, two of a step


def big_scene(paths: int = 24) -> Scene:
    """Gradient blobs all over the canvas: small ones, ones across strip edges, tall ones through
    every strip, translucent ones, one self-crossing, one partly off the canvas."""
    g = torch.Generator().manual_seed(3)
    scene = Scene(W, H, [], background=FlatFill(torch.tensor([0.9, 0.9, 0.8, 1.0])))
    for i in range(paths):
        c = torch.rand(2, generator=g) * torch.tensor([float(W), float(H)])
        r = 10 + 200 * float(torch.rand(1, generator=g)) ** 2
        pts = circle_points(float(c[0]), float(c[1]), r, 4 + i % 3)
        pts = pts + 3 * torch.randn(pts.shape, generator=g)
        colors = torch.rand(3, 4, generator=g)
        colors[:, 3] = 1.0 if i % 4 else 0.5
        fill = (radial(c, torch.tensor([r, r / 2]), torch.tensor([0.0, 0.5, 1.0]), colors, angle=0.3) if i % 3 == 0
                else linear(c - r, c + r, torch.tensor([0.0, 0.5, 1.0]), colors) if i % 3 == 1 else flat(colors[0]))
        scene.add(Path(pts, fill))
    tall = circle_points(500.0, 300.0, 40.0, 4) * torch.tensor([1.0, 9.0]) - torch.tensor([0.0, 2400.0])
    scene.add(Path(tall, flat([0.1, 0.2, 0.7, 0.8])))  # from above the canvas to below it
    bow = torch.tensor([[100.0, 150.0], [300, 450], [300, 150], [100, 450]])
    pts = torch.cat([torch.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3]) for a, b in zip(bow, bow.roll(-1, 0))])
    scene.add(Path(pts, flat([0.8, 0.1, 0.1, 1.0])))  # a bow-tie across the first strip's edge
    return scene


def test_strips_cover_the_canvas_in_rows_of_whole_blocks() -> None:
    for width, height, every in [(1024, 600, 1), (1024, 1024, 2), (1000, 777, 2), (300, 200, 1), (5000, 3, 2)]:
        rows = strips(width, height, every)
        assert rows[0][0] == 0 and rows[-1][1] == height
        assert all(a[1] == b[0] for a, b in zip(rows, rows[1:]))
        assert all(r0 % every == 0 and r1 > r0 for r0, r1 in rows)
        assert all((r1 - r0) * width <= max(STRIP_PIXELS, every * width) for r0, r1 in rows)
    assert strips(512, 512) == [(0, 512)]  # the default working size is drawn whole
    assert len(strips(W, H)) == 3


def test_a_picture_drawn_in_strips_is_the_picture_drawn_whole() -> None:
    scene = big_scene()
    with torch.no_grad():
        in_strips = render(scene)
    whole = render(scene.requires_grad_(True)).detach()  # with gradients: one structure for the canvas
    assert in_strips.shape == whole.shape == (H, W, 4)
    assert float((in_strips - whole).abs().max()) < 1e-5
    assert float(whole[..., 3].min()) == 1.0 and float(whole[..., :3].std()) > 0.1  # something is drawn


@pytest.mark.parametrize("every", [1, 2])
def test_strips_keep_the_same_fragments(every: int) -> None:
    packed = PackedScene.pack(big_scene())
    verts, nxt, owner = flatten_all(packed, 8)
    whole = build_structure(verts, nxt, owner, packed.num_paths, W, H, every)

    def fragments(s) -> set[tuple[float, float, int]]:
        owners = torch.repeat_interleave(torch.arange(packed.num_paths), torch.as_tensor(s.counts))
        return set(zip(s.px.tolist(), s.py.tolist(), owners.tolist()))

    parts = set()
    for r0, r1 in strips(W, H, every):
        s = build_structure(verts, nxt, owner, packed.num_paths, W, H, every, (r0, r1))
        assert int(s.pixel.max()) < (r1 - r0) * W
        parts |= fragments(s)
    assert parts == fragments(whole)
    assert len(parts) == whole.px.shape[0]


@pytest.mark.parametrize("every", [1, 2])
def test_every_paths_worth_is_the_same_from_strips(every: int) -> None:
    scene = big_scene(12)
    packed = PackedScene.pack(scene)
    g = torch.Generator().manual_seed(5)
    target = torch.rand(H, W, 4, generator=g) * 0.3 + 0.5
    image, errors = removal_errors(packed, target, every=every)
    if every == 1:  # exact: leave each path out and draw again
        with torch.no_grad():
            full = render(scene)
            assert float((image.float() - full).abs().max()) < 1e-5
            base = float(((full.double() - target.double()) ** 2).sum())
            for pos, i in enumerate(packed.order):
                kept = [p for j, p in enumerate(scene.paths) if j != i]
                without = render(Scene(W, H, kept, background=scene.background))
                expected = float(((without.double() - target.double()) ** 2).sum()) - base
                assert float(errors[pos]) == pytest.approx(expected, abs=0.5, rel=2e-3)
    else:  # sampled: near the exact worth, the same paths the picture is better without
        _, exact = removal_errors(packed, target)
        assert torch.allclose(errors, exact, rtol=0.1, atol=5.0)
        assert torch.equal(errors < 0, exact < 0)


def leaf_grads(problem: _Problem) -> torch.Tensor:
    return torch.cat([t.grad.reshape(-1) if t.grad is not None else torch.zeros(t.numel()) for t in problem.leaves()])


@pytest.mark.parametrize("start", [0, 6])
@pytest.mark.parametrize("every", [1, 2])
def test_a_step_differentiated_strip_by_strip_has_the_whole_canvas_gradient(start: int, every: int) -> None:
    """The optimiser's loss on a canvas of several strips, drawn and differentiated a strip at a
    time (its memory one strip's graph), is the loss over the whole canvas at once, and so are the
    gradients of every outline, paint and the background colour — over a fixed canvas of the
    bottom paths or over the moving background."""
    assert len(strips(W, H, every, STEP_STRIP_PIXELS)) == 2
    scene = big_scene(16)
    g = torch.Generator().manual_seed(9)
    target = torch.rand(H, W, 4, generator=g) * 0.3 + 0.5
    weight = 1.0 + torch.rand(H, W, generator=g)
    whole = _Problem(scene, Hold(), start=start, every=every)
    loss = whole.touched_loss(target, weight)  # one drawing of the canvas
    loss.backward()
    in_strips = _Problem(scene, Hold(), start=start, every=every)
    value = in_strips.backward(target, weight, None)
    assert value == pytest.approx(float(loss.detach()), rel=1e-6)
    want, got = leaf_grads(whole), leaf_grads(in_strips)
    assert float(want.abs().max()) > 0 and (start or float(in_strips.packed.background.grad.abs().max()) > 0)
    assert torch.allclose(got, want, rtol=1e-4, atol=1e-5 * float(want.abs().max()))
