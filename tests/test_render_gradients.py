"""Autograd gradients of both renderers agree with central finite differences, for every kind of
parameter the optimiser moves (in float64, on a scene where every parameter matters)."""

import math

import pytest
import torch

from layervec_ext.core.render import render
from layervec_ext.core.scene import Scene, circle_points, flat, linear, path, radial

pytestmark = pytest.mark.usefixtures("one_thread")


def gradient_scene() -> Scene:
    """Overlapping blobs with a rotated elliptical radial gradient (3 stops), a linear one, a flat
    one, partial opacities and partly transparent stops, in float64."""
    g = torch.Generator().manual_seed(0)
    s = Scene(40, 40)
    pts = circle_points(18, 18, 12) + 2.0 * (torch.rand(12, 2, generator=g) - 0.5)
    s.add(path(pts, radial([17, 19], [9, 6], [0.1, 0.45, 0.8],
                           [[0.9, 0.2, 0.1, 0.95], [0.2, 0.8, 0.3, 0.7], [0.1, 0.2, 0.9, 0.9]], angle=0.6),
               opacity=0.85))
    pts = circle_points(25, 22, 10) + 2.0 * (torch.rand(12, 2, generator=g) - 0.5)
    s.add(path(pts, linear([17, 15], [33, 29], [0.2, 0.9], [[0.9, 0.9, 0.1, 0.8], [0.1, 0.5, 0.6, 0.97]]),
               opacity=0.7))
    s.add(path(circle_points(14, 27, 6), flat([0.3, 0.3, 0.8, 0.6]), opacity=0.9))
    return s.map_tensors(lambda t: t.double())


def loss_fn(scene: Scene, weights: torch.Tensor, renderer: str) -> torch.Tensor:
    return (render(scene, renderer=renderer) * weights).sum()


PARAMS = [
    "paths.0.points", "paths.1.points", "paths.2.points",
    "paths.0.fill.colors", "paths.1.fill.colors", "paths.2.fill.color",
    "paths.0.fill.offsets", "paths.1.fill.offsets",
    "paths.0.fill.center", "paths.0.fill.radius", "paths.0.fill.angle",
    "paths.1.fill.start", "paths.1.fill.end",
    "paths.0.opacity", "paths.1.opacity", "paths.2.opacity",
]


@pytest.mark.parametrize("renderer", ["torch", "reference"])
def test_gradients_match_central_differences(renderer):
    scene = gradient_scene().requires_grad_()
    weights = torch.rand(40, 40, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    loss_fn(scene, weights, renderer).backward()
    tensors = dict(scene.named_tensors())
    g = torch.Generator().manual_seed(2)
    failures = []
    for name in PARAMS:
        t = tensors[name]
        direction = torch.randn(t.shape, generator=g, dtype=torch.float64)
        analytic = float((t.grad * direction).sum())
        h = 1e-4 if name.endswith("points") or name.endswith(("center", "start", "end", "radius")) else 1e-5
        with torch.no_grad():
            t += h * direction
            up = float(loss_fn(scene, weights, renderer))
            t -= 2 * h * direction
            down = float(loss_fn(scene, weights, renderer))
            t += h * direction
        numeric = (up - down) / (2 * h)
        assert abs(analytic) > 1e-3, f"{name}: gradient vanished"
        if not math.isclose(analytic, numeric, rel_tol=1e-2, abs_tol=1e-4):
            failures.append(f"{name}: autograd {analytic:.6g} vs finite differences {numeric:.6g}")
    assert not failures, "\n".join(failures)


def test_fast_and_reference_gradients_agree():
    weights = torch.rand(40, 40, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    grads = []
    for renderer in ("torch", "reference"):
        scene = gradient_scene().requires_grad_()
        loss_fn(scene, weights, renderer).backward()
        grads.append({n: t.grad.clone() for n, t in scene.named_tensors()})
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], rtol=1e-4, atol=1e-4, msg=name)
