"""Nodes by need: the node budget clean-up left unspent goes to the outlines the picture still
gets wrong along.

Every path starts with the same number of cubics, and clean-up drops the paths that add nothing,
so part of the budget (paths × segments) is left. :func:`split_by_need` halves the cubics along
which the picture misses the target most (the error on the pixels under each cubic, summed along
it), exactly — the picture is unchanged until the pass after it moves the new nodes. Where the
budget left is scarce, the outlines the picture gets wrong get the nodes; where it exceeds the
scene's cubics, every cubic the picture is wrong along is halved once.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from layervec_ext.core.scene import Scene
from layervec_ext.core.vectorize.untangle import cubic_at, points_of, segments_of, split

# Points per cubic where the error along it is read.
READ_AT = 16
# The error map is blurred this much (px) first, so a cubic a pixel off the edge it misses reads it.
ERROR_BLUR = 1.0


def error_map(canvas: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(H, W)``: the squared error of ``canvas`` against ``target`` (both ``(H, W, 4)``), blurred
    by :data:`ERROR_BLUR`."""
    return cv2.GaussianBlur(((canvas - target) ** 2).sum(-1), (0, 0), ERROR_BLUR)


def need(segs: np.ndarray, error: np.ndarray) -> np.ndarray:
    """Per cubic of ``segs (S, 4, 2)``: the error map ``error (H, W)`` summed along it (the mean
    at :data:`READ_AT` points times its length, px)."""
    h, w = error.shape
    t = ((np.arange(READ_AT) + 0.5) / READ_AT)[:, None]
    pts = np.stack([cubic_at(c, t) for c in segs])  # (S, T, 2)
    x = np.clip(pts[..., 0].astype(int), 0, w - 1)
    y = np.clip(pts[..., 1].astype(int), 0, h - 1)
    length = np.linalg.norm(np.diff(np.concatenate([segs[:, :1], pts, segs[:, 3:]], axis=1), axis=2), axis=2).sum(1)
    return error[y, x].mean(1) * length


@torch.no_grad()
def split_by_need(scene: Scene, paths: list[int], error: np.ndarray, count: int, most: int) -> int:
    """Halve up to ``count`` cubics of ``paths`` in place, those of most :func:`need` first, no
    path past ``most`` cubics; returns how many were halved."""
    if count <= 0 or not paths:
        return 0
    segs = {i: segments_of(scene.paths[i].points.detach().cpu().double().numpy()) for i in paths}
    scores = [(float(v), i, s) for i in paths for s, v in enumerate(need(segs[i], error))]
    scores.sort(key=lambda item: (-item[0], item[1], item[2]))
    chosen: dict[int, list[int]] = {}
    halved = 0
    for score, i, s in scores:
        if halved >= count or score <= 0.0:
            break
        if len(segs[i]) + len(chosen.get(i, [])) < most:
            chosen.setdefault(i, []).append(s)
            halved += 1
    for i, halve in chosen.items():
        out = []
        for s, c in enumerate(segs[i]):
            out += list(split(c, 0.5)) if s in halve else [c]
        path = scene.paths[i]
        path.points = torch.as_tensor(points_of(np.asarray(out)), dtype=path.points.dtype, device=path.points.device)
    return halved
