"""Choosing where the next paths go: the regions whose fitted fill removes the most residual.

For every region of the current partition the fill is fitted to its own pixels; the path will
cover the region *with its holes filled* (its outer contour), so the gain is measured there:
squared error of the current canvas minus that of the canvas with the fitted fill painted over
it. Regions are taken greedily, each choice painted onto a predicted canvas before the next is
scored, so overlapping picks don't double-count. Selection order is paint order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layervec_ext.core.vectorize.fit import FillFit, fit_fill
from layervec_ext.core.vectorize.segment import region_masks


@dataclass
class Proposal:
    box: tuple[slice, slice]
    mask: np.ndarray  # filled mask inside box
    fill: FillFit
    gain: float


def _stops_eval(t: np.ndarray, offsets: np.ndarray, colors: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    out = np.stack([np.interp(t, offsets, colors[:, c]) for c in range(4)], axis=1)
    out[:, :3] *= out[:, 3:4]
    return out


def eval_fill(fill: FillFit, xy: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA ``(n, 4)`` of ``fill`` at pixel centres ``xy``."""
    p = fill.params
    if fill.kind == "flat":
        c = np.array(p["color"], dtype=np.float64)
        c = np.concatenate([c[:3] * c[3], c[3:]])
        return np.broadcast_to(c, (len(xy), 4)).copy()
    if fill.kind == "linear":
        d = np.asarray(p["end"]) - np.asarray(p["start"])
        t = (xy - np.asarray(p["start"])) @ d / max(float(d @ d), 1e-12)
    else:
        ca, sa = np.cos(p["angle"]), np.sin(p["angle"])
        u = xy - np.asarray(p["center"])
        local = np.stack([u[:, 0] * ca + u[:, 1] * sa, -u[:, 0] * sa + u[:, 1] * ca], axis=1)
        t = np.sqrt(np.sum((local / np.maximum(np.abs(p["radius"]), 1e-3)) ** 2, axis=1))
    return _stops_eval(t, np.asarray(p["offsets"]), np.asarray(p["colors"]))


def _coords(box: tuple[slice, slice], mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.stack([xs + box[1].start + 0.5, ys + box[0].start + 0.5], axis=1).astype(np.float64)


class _Candidate:
    def __init__(self, box, own, filled, fill, target, hole_weight):
        self.box, self.filled, self.fill = box, filled, fill
        self.pred = eval_fill(fill, _coords(box, filled))  # premultiplied, on the filled mask
        self.target = target[box][filled]
        # own pixels count fully; hole pixels (covered by the outline, painted over later by the
        # regions inside) count ``hole_weight``: an outline ring drawn as a filled underlay wins
        self.weight = np.where(own[filled], 1.0, hole_weight)

    def gain(self, canvas: np.ndarray) -> float:
        cur = canvas[self.box][self.filled]
        new = self.pred + (1.0 - self.pred[:, 3:4]) * cur
        diff = np.sum((cur - self.target) ** 2, axis=1) - np.sum((new - self.target) ** 2, axis=1)
        return float(np.sum(diff * self.weight))

    def paint(self, canvas: np.ndarray) -> None:
        view = canvas[self.box]
        cur = view[self.filled]
        view[self.filled] = self.pred + (1.0 - self.pred[:, 3:4]) * cur


def _overlaps(a: tuple[slice, slice], b: tuple[slice, slice]) -> bool:
    return all(x.start < y.stop and y.start < x.stop for x, y in zip(a, b))


def propose(target: np.ndarray, canvas: np.ndarray, partitions: list[np.ndarray], count: int, fill_kind: str,
            min_area: int, hole_weight: float, stops: int) -> list[Proposal]:
    """Up to ``count`` regions of ``partitions`` (label maps, coarse to fine: candidates from several
    levels of the hierarchy) to add as paths over ``canvas``, best gain first. Regions under
    ``min_area`` pixels are skipped; ``hole_weight`` is how much the pixels of a region's holes count."""
    cands: list[_Candidate] = []
    seen: set[tuple] = set()
    for labels in partitions:
        for i, box, filled in region_masks(labels):
            own = labels[box] == i
            area = int(own.sum())
            key = (box[0].start, box[0].stop, box[1].start, box[1].stop, area)
            if area < min_area or key in seen:  # the same region at several levels
                continue
            seen.add(key)
            xy = _coords(box, own)
            fill = fit_fill(fill_kind, xy, target[box][own], stops)
            cands.append(_Candidate(box, own, filled, fill, target, hole_weight))
    canvas = canvas.copy()
    gains = [c.gain(canvas) for c in cands]
    chosen: list[Proposal] = []
    while len(chosen) < count and cands:
        k = int(np.argmax(gains))
        if gains[k] <= 1e-6:
            break
        best = cands.pop(k)
        g = gains.pop(k)
        best.paint(canvas)
        chosen.append(Proposal(best.box, best.filled, best.fill, g))
        for j, c in enumerate(cands):
            if _overlaps(c.box, best.box):
                gains[j] = c.gain(canvas)
    return chosen
