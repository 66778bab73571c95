"""Losses: pixel error against the target and LIVE's self-intersection ("Xing") penalty."""

from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def pixel_loss(rendered: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    """Mean squared error over premultiplied RGBA (alpha is matched too, so transparent stays
    transparent); ``weight (H, W)`` focuses it where the new paths should explain the image."""
    if weight is None:
        return F.mse_loss(rendered, target, reduction="sum") / rendered[..., 0].numel()
    err = F.mse_loss(rendered, target, reduction="none").sum(-1)
    return (err * weight).sum() / weight.sum().clamp_min(1e-9)


def xing_loss(segments: Tensor) -> Tensor:
    """LIVE's Xing loss over cubics ``(S, 4, 2)``: for each cubic A B C D, when the turn A→B→C is
    one way, the angle between AB and CD must turn the same way; penalise sin(angle) of the wrong
    sign (a looped cubic)."""
    if segments.shape[0] == 0:
        return segments.new_zeros(())
    a, b, c, d = segments.unbind(1)
    ab, bc, cd = b - a, c - b, d - c

    def cross(u: Tensor, v: Tensor) -> Tensor:
        return u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]

    d1 = (cross(ab, bc) > 0).to(segments.dtype)
    d2 = cross(ab, cd) / (ab.norm(dim=1) * cd.norm(dim=1) + 1e-6)
    return (d1 * torch.relu(-d2) + (1 - d1) * torch.relu(d2)).mean()
