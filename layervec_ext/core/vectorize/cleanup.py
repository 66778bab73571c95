"""Clean-up after optimisation: drop paths that add nothing, degenerate ones, and tidy the fills."""

from __future__ import annotations

import torch

from layervec_ext.core.scene import Scene
from layervec_ext.core.vectorize.losses import pixel_loss
from layervec_ext.core.vectorize.optimize import project, render_scene
from layervec_ext.core.vectorize.settings import Settings


def _area(points: torch.Tensor) -> float:
    """Shoelace area of the control polygon: a path with ~zero area draws nothing."""
    x, y = points[:, 0], points[:, 1]
    return float(0.5 * torch.abs(torch.sum(x * torch.roll(y, -1) - torch.roll(x, -1) * y)))


@torch.no_grad()
def drop_useless(scene: Scene, target: torch.Tensor, settings: Settings, keep: set[int] = frozenset(),
                 flat_background: bool = False) -> list[int]:
    """Leave-one-out importance: remove paths whose removal raises the loss by less than
    ``settings.drop_below``, or that are degenerate. Returns the indices kept (``keep`` always stays)."""
    min_gain = settings.drop_below
    project(scene, settings.min_radius)
    base = float(pixel_loss(render_scene(scene, flat_background), target))
    kept = list(range(len(scene.paths)))
    for i in reversed(range(len(scene.paths))):
        if i in keep:
            continue
        if _area(scene.paths[i].points) < 0.5:
            kept.remove(i)
            continue
        trial = [scene.paths[j] for j in kept if j != i]
        trial_scene = Scene(scene.width, scene.height, trial, scene.layers)
        loss = float(pixel_loss(render_scene(trial_scene, flat_background), target))
        if loss - base < min_gain:
            kept.remove(i)
            base = loss
    return kept
