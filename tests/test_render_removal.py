"""Every path's worth from one render equals leaving each path out and rendering again."""

from __future__ import annotations

import pytest
import torch

from layervec_ext.core.render import render
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.render.removal import removal_errors
from layervec_ext.core.scene import Path, Scene, circle_points, flat, linear, radial


def scene_of_overlapping_paths(seed: int) -> Scene:
    """Translucent and opaque gradient blobs piled on each other, some fully hidden, one off the canvas."""
    g = torch.Generator().manual_seed(seed)
    scene = Scene(48, 40, [])
    for i in range(9):
        c = torch.rand(2, generator=g) * torch.tensor([48.0, 40.0])
        pts = circle_points(float(c[0]), float(c[1]), 4 + 12 * float(torch.rand(1, generator=g)), 4)
        pts = pts + torch.randn(pts.shape, generator=g)
        colors = torch.rand(2, 4, generator=g)
        colors[:, 3] = 1.0 if i % 3 == 0 else 0.3 + 0.6 * float(torch.rand(1, generator=g))
        fill = (radial(c, torch.tensor([7.0, 4.0]), torch.tensor([0.0, 1.0]), colors, angle=0.4) if i % 3 == 0
                else linear(c - 5, c + 5, torch.tensor([0.0, 1.0]), colors) if i % 3 == 1 else flat(colors[0]))
        scene.add(Path(pts, fill))
    scene.add(Path(circle_points(-30.0, -30.0, 5.0, 4), flat([1.0, 0.0, 0.0, 1.0])))  # draws nothing
    return scene


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("with_canvas", [False, True])
def test_removal_errors_match_rendering_without_each_path(seed: int, with_canvas: bool) -> None:
    scene = scene_of_overlapping_paths(seed)
    g = torch.Generator().manual_seed(100 + seed)
    target = torch.rand(40, 48, 4, generator=g)
    under = None
    if with_canvas:
        under = torch.rand(40, 48, 4, generator=g) * 0.6
        under[..., 3] = 0.6

    def picture(paths: list[Path], renderer: str = "torch") -> torch.Tensor:
        img = render(Scene(48, 40, paths), renderer=renderer)
        return img if under is None else img + (1 - img[..., 3:4]) * under

    packed = PackedScene.pack(scene)
    image, errors = removal_errors(packed, target, under)
    full = picture(scene.paths)
    assert torch.allclose(image.float(), full, atol=1e-5)
    assert torch.allclose(image.float(), picture(scene.paths, "reference"), atol=2e-2)
    base = float(((full - target) ** 2).sum())
    for pos, i in enumerate(packed.order):
        without = picture([p for j, p in enumerate(scene.paths) if j != i])
        expected = float(((without - target) ** 2).sum()) - base
        assert float(errors[pos]) == pytest.approx(expected, abs=0.05 + 0.01 * abs(expected))
    assert float(errors[packed.order.index(len(scene.paths) - 1)]) == 0.0  # the path off the canvas


def test_sampled_removal_errors_estimate_the_exact_ones() -> None:
    """On a big canvas clean-up scores from the sampled fragments: near the same worth, the same
    paths the picture is better without."""
    g = torch.Generator().manual_seed(7)
    scene = Scene(96, 80, [])
    for _ in range(12):
        c = torch.rand(2, generator=g) * torch.tensor([96.0, 80.0])
        colors = torch.rand(2, 4, generator=g)
        colors[:, 3] = 0.5 + 0.5 * colors[:, 3]
        scene.add(Path(circle_points(float(c[0]), float(c[1]), 5 + 20 * float(torch.rand(1, generator=g)), 4),
                       linear(c - 8, c + 8, torch.tensor([0.0, 1.0]), colors)))
    y, x = torch.meshgrid(torch.linspace(0, 1, 80), torch.linspace(0, 1, 96), indexing="ij")
    target = torch.stack([x, y, x * y, 0.5 + 0.5 * x], -1)
    packed = PackedScene.pack(scene)
    _, exact = removal_errors(packed, target)
    _, sampled = removal_errors(packed, target, every=2)
    assert not torch.equal(sampled, exact)
    assert torch.allclose(sampled, exact, rtol=0.1, atol=0.5)
    assert torch.equal(sampled < 0, exact < 0)  # the paths the picture is better without
