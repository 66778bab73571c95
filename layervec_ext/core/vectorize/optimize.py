"""Adam over the scene through the differentiable renderer, per-group learning rates, early stop."""

from __future__ import annotations

from collections.abc import Callable

import torch

from layervec_ext.core.render import render
from layervec_ext.core.scene import FlatFill, Scene, stop_offsets
from layervec_ext.core.vectorize.losses import pixel_loss, xing_loss

# Learning rates at a 256-px working size (geometry scales with the canvas): points and gradient
# geometry in pixels per step, colours and offsets in [0, 1] units, angle in radians.
BASE_LR = {"points": 0.35, "geometry": 0.5, "angle": 0.01, "colors": 0.012, "offsets": 0.006}
XING_WEIGHT = 0.002
MIN_RADIUS = 0.5


class Adam:
    """Adam (Kingma & Ba) with per-group learning rates, on ``torch._foreach`` ops.

    Ours rather than ``torch.optim.Adam`` because constructing that one imports ``torch._dynamo``,
    about a second of every command-line run on this hardware."""

    def __init__(self, groups: list[dict], betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.param_groups = groups
        self.b1, self.b2, self.eps = betas[0], betas[1], eps
        self.t = 0
        for g in groups:
            g["m"] = [torch.zeros_like(p) for p in g["params"]]
            g["v"] = [torch.zeros_like(p) for p in g["params"]]

    def zero_grad(self) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        c1 = 1 - self.b1**self.t
        c2 = 1 - self.b2**self.t
        for g in self.param_groups:
            params = [p for p in g["params"]]
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
            torch._foreach_mul_(g["m"], self.b1)
            torch._foreach_add_(g["m"], grads, alpha=1 - self.b1)
            torch._foreach_mul_(g["v"], self.b2)
            torch._foreach_addcmul_(g["v"], grads, grads, value=1 - self.b2)
            denom = torch._foreach_sqrt(g["v"])
            torch._foreach_div_(denom, c2**0.5)
            torch._foreach_add_(denom, self.eps)
            torch._foreach_addcdiv_(params, g["m"], denom, value=-g["lr"] / c1)


def render_scene(scene: Scene, flat_background: bool = False) -> torch.Tensor:
    """``render(scene)``; with ``flat_background`` the first path is a full-canvas flat fill and is
    composited analytically instead of rasterised (it would be every pixel's fragment: ~40 % of a
    step at 8 paths)."""
    if not flat_background:
        return render(scene)
    color = scene.paths[0].fill.color.clamp(0.0, 1.0)
    alpha = color[3] * scene.paths[0].opacity.clamp(0.0, 1.0)
    bg = torch.cat([color[:3] * alpha, alpha[None]])
    if len(scene.paths) == 1:
        return bg.expand(scene.height, scene.width, 4)
    img = render(Scene(scene.width, scene.height, scene.paths[1:], scene.layers))
    return img + (1.0 - img[..., 3:4]) * bg


def _groups(scene: Scene, frozen: set[int], scale: float) -> list[dict]:
    groups: dict[str, list[torch.Tensor]] = {k: [] for k in BASE_LR}
    for i, path in enumerate(scene.paths):
        if i not in frozen:
            groups["points"].append(path.points)
        for name, tensor in path.fill.tensors().items():
            if name in ("color", "colors"):
                groups["colors"].append(tensor)
            elif name == "offsets":
                groups["offsets"].append(tensor)
            elif name == "angle":
                groups["angle"].append(tensor)
            elif i not in frozen:
                groups["geometry"].append(tensor)
    out = []
    for name, tensors in groups.items():
        if tensors:
            lr = BASE_LR[name] * (scale if name in ("points", "geometry") else 1.0)
            out.append({"params": tensors, "lr": lr, "name": name})
    return out


@torch.no_grad()
def project(scene: Scene) -> None:
    """Keep the scene valid after a step: colours in [0, 1], stops ordered in [0, 1], radii positive."""
    for path in scene.paths:
        fill = path.fill
        if isinstance(fill, FlatFill):
            fill.color.clamp_(0.0, 1.0)
            continue
        fill.colors.clamp_(0.0, 1.0)
        fill.offsets.copy_(stop_offsets(fill.offsets))
        if hasattr(fill, "radius"):
            fill.radius.copy_(fill.radius.abs().clamp_min(MIN_RADIUS))


def optimize(scene: Scene, target: torch.Tensor, *, iters: int, frozen: set[int] = frozenset(),
             weight: torch.Tensor | None = None, patience: int = 12, tol: float = 2e-4,
             on_step: Callable[[int, float], None] | None = None, flat_background: bool = False) -> float:
    """Run up to ``iters`` Adam steps in place; stop early when the loss has not improved by
    ``tol`` (relative) for ``patience`` steps. Returns the last pixel loss. ``flat_background``:
    path 0 is a frozen full-canvas flat fill (see :func:`render_scene`)."""
    if not scene.paths or iters <= 0:
        return float("nan")
    scale = max(scene.width, scene.height) / 256.0
    for _, t in scene.named_tensors():
        t.requires_grad_(True)
    groups = _groups(scene, set(frozen), scale)
    opt = Adam(groups)
    base = [g["lr"] for g in groups]
    best, stale, last = float("inf"), 0, float("nan")
    for step in range(iters):
        decay = 1.0 - 0.6 * step / max(iters - 1, 1)  # linear to 0.4×, as LIVE
        for g, lr in zip(opt.param_groups, base):
            g["lr"] = lr * decay
        opt.zero_grad()
        img = render_scene(scene, flat_background)
        loss = pixel_loss(img, target, weight)
        total = loss + XING_WEIGHT * xing_loss(scene)
        total.backward()
        opt.step()
        project(scene)
        last = float(loss.detach())
        if on_step is not None:
            on_step(step, last)
        if last < best * (1 - tol):
            best, stale = last, 0
        else:
            stale += 1
            if stale >= patience:
                break
    for _, t in scene.named_tensors():
        t.requires_grad_(False)
    return last
