"""Nodes by need: the node budget clean-up left unspent goes to the outlines the picture still
gets wrong along.

Every path starts with the same number of cubics, and clean-up drops the paths that add nothing,
so part of the budget (paths × segments) is left. :func:`split_by_need` halves the cubics along
which the picture misses the target most (the error on the pixels under each cubic, summed along
it), exactly — the picture is unchanged until the pass after it moves the new nodes. Where the
budget left is scarce, the outlines the picture gets wrong get the nodes; where it exceeds the
scene's cubics, every cubic the picture is wrong along is halved once.

:func:`join_least_needed` is the way back: where a scene holds more cubics than the budget (the
repairs of tangled outlines may add some), the nodes whose going changes the picture least go.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable

import cv2
import numpy as np
import torch

from layervec_ext.core.scene import Scene
from layervec_ext.core.vectorize.untangle import (
    CLEAR,
    Region,
    crossing_pairs,
    cubic_at,
    joined,
    points_of,
    segments_of,
    split,
)

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


# A join leaves an outline at least this many cubics.
LEAST = 2
# Joins are drawn to be chosen on the outlines whose cheapest join changes their region least: this
# many times the joins asked for, and a few more (more where those run out).
DRAWN_PER_JOIN = 1
DRAWN_MORE = 8


def joins(segs: np.ndarray, least: int = LEAST) -> list[tuple[float, np.ndarray]]:
    """Every simple outline ``segs (S, 4, 2)`` makes with two consecutive cubics joined
    (:func:`~untangle.joined`), with the area (px²) its non-zero region changes by; none where it
    has ``least`` cubics or fewer."""
    region, out = Region(segs), []
    for s in range(len(segs) if len(segs) > least else 0):
        option = joined(segs, s)
        if not len(crossing_pairs(option)):
            out.append((region.change(option), option))
    return out


@torch.no_grad()
def join_least_needed(scene: Scene, paths: list[int], count: int,
                      score: Callable[[int, list[list[np.ndarray]]], list[float]], least: int = LEAST,
                      progress: Callable[[float], None] = lambda part: None) -> int:
    """Take ``count`` cubics out of ``paths`` in place, by joining consecutive pairs (:func:`joins`):
    first those that change the outline's region by at most :data:`~untangle.CLEAR` px² (nothing
    an eye sees), then the join that adds least to the picture's error, as ``score(index, options)``
    says (the picture's error with path ``index`` drawn as each option's outline), drawn for the
    outlines whose joins change their regions least (:data:`DRAWN_PER_JOIN`); every outline simple
    after it, none below ``least`` cubics. Returns how many were taken out; ``progress(part)`` hears
    the part of ``count`` taken after each join."""
    outlines = {i: segments_of(scene.paths[i].points.detach().cpu().double().numpy()) for i in paths}
    options = {i: joins(outlines[i], least) for i in paths}
    waiting = deque(sorted((min(c for c, _ in options[i]), i) for i in paths if options[i]))
    chosen: dict[int, np.ndarray] = {}  # each weighed path's cheapest join
    heap: list[tuple[float, int]] = []  # (what the path's cheapest join costs, path)

    def weigh(index: int) -> None:
        """The path's cheapest join, kept in ``chosen``, its cost in ``heap``: by its region's
        change where that is clear, else by the picture."""
        if not options[index]:
            return
        change, best = min(options[index], key=lambda item: item[0])
        if change <= CLEAR:
            chosen[index] = best
            heapq.heappush(heap, (-1.0 / (1.0 + change), index))  # before every drawn one, least change first
            return
        errors = score(index, [[points_of(outlines[index])]] + [[points_of(o)] for _, o in options[index]])
        k = int(np.argmin(errors[1:]))
        chosen[index] = options[index][k][1]
        heapq.heappush(heap, (errors[1 + k] - errors[0], index))

    def weigh_more(n: int) -> None:
        for _ in range(min(n, len(waiting))):
            weigh(waiting.popleft()[1])

    weigh_more(DRAWN_PER_JOIN * count + DRAWN_MORE)
    taken = 0
    while taken < count and (heap or waiting):
        if not heap:
            weigh_more(DRAWN_PER_JOIN * (count - taken) + DRAWN_MORE)
            continue
        _, index = heapq.heappop(heap)
        outline = chosen.pop(index)
        taken += len(outlines[index]) - len(outline)
        path = scene.paths[index]
        path.points = torch.as_tensor(points_of(outline), dtype=path.points.dtype, device=path.points.device)
        outlines[index], options[index] = outline, joins(outline, least)
        weigh(index)
        progress(min(taken, count) / count)
    return taken
