"""The packed scene (what the optimiser updates) draws exactly what its scene draws, and writes
values back to the right paths; its gradients match the per-path ones."""

import torch

from layervec_ext.core.render import render
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.render.raster import render_packed
from layervec_ext.core.runtime import keep_freed_memory
from layervec_ext.core.scene import Scene, circle_points, flat, linear, path, radial


def mixed_scene() -> Scene:
    """Every fill kind, two stop counts, two layers given out of order, and an empty path."""
    s = Scene(48, 40, layers=["coarse", "detail"])
    s.add(path(circle_points(30, 20, 9), radial([29, 21], [8, 5], [0.0, 0.5, 1.0],
                                                [[1, 0, 0, 1], [0, 1, 0, 0.8], [0, 0, 1, 0.6]], angle=0.5), layer=1))
    s.add(path(circle_points(18, 18, 14, segments=5), linear([6, 6], [30, 30], [0.1, 0.9],
                                                             [[1, 1, 0, 1], [0, 1, 1, 0.7]]), opacity=0.8))
    s.add(path(circle_points(20, 24, 6), flat([0.2, 0.3, 0.9, 0.9]), layer=1))
    s.add(path(torch.zeros(0, 2), flat([1, 1, 1, 1])))  # no segments: drawn as nothing
    s.add(path(circle_points(36, 30, 5), radial([36, 30], [5, 5], [0.0, 1.0], [[1, 1, 1, 1], [0, 0, 0, 1]])))
    return s


def test_packed_render_equals_scene_render():
    s = mixed_scene()
    packed = PackedScene.pack(s)
    assert packed.num_paths == 4 and packed.order == [1, 4, 0, 2]  # layer 0 first, scene order within
    assert torch.equal(render_packed(packed), render(s))


def test_write_back_reaches_every_path_and_field():
    s = mixed_scene()
    packed = PackedScene.pack(s.detached())
    with torch.no_grad():
        for _, t in packed.named_tensors():
            t.mul_(0.5)
    packed.write_back(s)
    again = PackedScene.pack(s)
    for (name, a), (_, b) in zip(packed.named_tensors(), again.named_tensors()):
        assert torch.equal(a, b), name
    assert torch.allclose(s.paths[1].fill.end, torch.tensor([15.0, 15.0]))  # the linear path's field


def test_gradients_match_per_path_gradients():
    s = mixed_scene().map_tensors(lambda t: t.double())
    weights = torch.rand(40, 48, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    per_path = s.detached().requires_grad_()
    (render(per_path) * weights).sum().backward()
    packed = PackedScene.pack(s.detached()).requires_grad_()
    (render_packed(packed) * weights).sum().backward()
    grads = PackedScene.pack(per_path.map_tensors(lambda t: t.grad if t.grad is not None else torch.zeros_like(t)))
    for (name, a), (_, b) in zip(packed.named_tensors(), grads.named_tensors()):
        assert torch.allclose(a.grad, b, rtol=1e-9, atol=1e-9), name


def test_float64_points_with_float32_fills_render_and_differentiate():
    """Mixed precisions promote like PyTorch does: the image and the points' gradients are
    float64, each fill's gradient keeps its own dtype, and all match the all-float64 render."""
    s = mixed_scene()
    for p in s.paths:
        p.points = p.points.double()
    weights = torch.rand(40, 48, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    mixed = s.detached().requires_grad_()
    image = render(mixed)
    (image * weights).sum().backward()
    wide = s.map_tensors(lambda t: t.double()).detached().requires_grad_()
    (render(wide) * weights).sum().backward()
    assert image.dtype == torch.float64
    for (name, a), (_, b) in zip(mixed.named_tensors(), wide.named_tensors()):
        if a.grad is None:
            continue
        assert a.grad.dtype == a.dtype, name
        assert torch.allclose(a.grad.double(), b.grad, rtol=1e-4, atol=1e-4), name


def test_point_rows_select_a_paths_points():
    packed = PackedScene.pack(mixed_scene())
    rows = packed.point_rows([1])  # the second path drawn: scene path 4, a 4-cubic circle
    assert torch.equal(packed.points[rows], mixed_scene().paths[4].points)


def test_project_keeps_fills_valid():
    packed = PackedScene.pack(mixed_scene().detached())
    for g in packed.groups:
        if "offsets" in g.tensors:
            g.tensors["offsets"].copy_(torch.tensor([0.9, -0.3, 1.4][: g.stops]))
            g.tensors["colors"].add_(2.0)
        if "radius" in g.tensors:
            g.tensors["radius"].neg_()
    packed.project_(min_radius=0.5)
    for g in packed.groups:
        if "offsets" in g.tensors:
            o = g.tensors["offsets"]
            assert bool((o[:, 1:] >= o[:, :-1]).all()) and float(o.min()) >= 0 and float(o.max()) <= 1
            assert float(g.tensors["colors"].max()) <= 1.0
        if "radius" in g.tensors:
            assert float(g.tensors["radius"].min()) >= 0.5


def test_glibc_keeps_freed_memory():
    assert keep_freed_memory()  # Linux/glibc: mallopt accepted both settings
