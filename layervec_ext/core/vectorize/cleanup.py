"""Clean-up after optimisation: drop paths that add nothing, degenerate ones, and tidy the fills."""

from __future__ import annotations

import torch

from layervec_ext.core.geometry import signed_area
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.render.removal import removal_errors
from layervec_ext.core.scene import Scene
from layervec_ext.core.vectorize.optimize import project
from layervec_ext.core.vectorize.settings import Settings


def _box(points: torch.Tensor) -> tuple[float, float, float, float]:
    lo, hi = points.min(0).values, points.max(0).values
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@torch.no_grad()
def drop_useless(scene: Scene, target: torch.Tensor, settings: Settings, keep: set[int] = frozenset()) -> list[int]:
    """Leave-one-out importance: remove paths whose removal raises the summed squared error by less
    than ``settings.drop_below``, and degenerate ones. Returns the indices kept (``keep`` always
    stays). The scene's background is not a path: it stays.

    Every path's worth comes from one render (:func:`~layervec_ext.core.render.removal.removal_errors`,
    sampled as the optimiser's steps are on a big canvas).
    Two useless paths may be useless because of each other (a duplicate), so a round drops only
    paths whose boxes don't overlap another one dropped in it, and the next round re-scores."""
    project(scene, settings.min_radius)
    # a path whose control polygon has ~zero area draws nothing
    kept = [i for i in range(len(scene.paths)) if i in keep or abs(float(signed_area(scene.paths[i].points))) >= 0.5]
    while True:
        packed = PackedScene.pack(Scene(scene.width, scene.height, [scene.paths[i] for i in kept], scene.layers,
                                        scene.background))
        _, errors = removal_errors(packed, target, every=settings.sample_every(scene.width, scene.height))
        worth = {kept[packed.order[pos]]: float(e) for pos, e in enumerate(errors)}
        useless = sorted((worth.get(i, 0.0), i) for i in kept
                         if i not in keep and worth.get(i, 0.0) < settings.drop_below)
        dropped: list[tuple[float, ...]] = []
        for _, i in useless:
            box = _box(scene.paths[i].points)
            if not any(_overlap(box, other) for other in dropped):
                dropped.append(box)
                kept.remove(i)
        if not dropped:
            return kept
