"""Choosing where the next paths go: the regions whose fitted fill removes the most residual.

For every region of the current partition the fill is fitted to its own pixels; the path will
cover the region *with its holes filled* (its outer contour), so the gain is measured there:
squared error of the current canvas minus that of the canvas with the fitted fill painted over
it. Regions are taken greedily, each choice painted onto a predicted canvas before the next is
scored, so overlapping picks don't double-count. Selection order is paint order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from layervec_ext.core.render.common import fill_paint, paint_at
from layervec_ext.core.vectorize.fit import FillFit, fit_fill
from layervec_ext.core.vectorize.segment import regions
from layervec_ext.core.vectorize.settings import Settings


@dataclass
class Proposal:
    box: tuple[slice, slice]
    mask: np.ndarray  # filled mask inside box
    fill: FillFit
    gain: float


def eval_fill(fill: FillFit, xy: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA ``(n, 4)`` of ``fill`` at pixel centres ``xy``: the renderer's colour of
    the fill it becomes (:func:`~layervec_ext.core.render.common.fill_paint`), in float64."""
    return eval_fills([fill], [xy])[0]


@torch.no_grad()
def eval_fills(fills: list[FillFit], xys: list[np.ndarray]) -> list[np.ndarray]:
    """:func:`eval_fill` of each fill at its points, the fills of one kind and stop count in one
    evaluation (a region's is a few dozen small operations, more than its arithmetic)."""
    out: list[np.ndarray] = [np.zeros((0, 4))] * len(fills)
    values = [fill.fields() for fill in fills]
    groups: dict[tuple[str, int], list[int]] = {}
    for i, fill in enumerate(fills):
        groups.setdefault((fill.kind, len(np.atleast_1d(values[i].get("offsets", [0.0])))), []).append(i)
    for (kind, _), members in groups.items():
        fields = {k: torch.as_tensor(np.stack([np.asarray(values[i][k], dtype=np.float64) for i in members]))
                  for k in values[members[0]]}
        *affine, colors = fill_paint(kind, fields)
        counts = torch.as_tensor([len(xys[i]) for i in members])
        at = torch.repeat_interleave(torch.arange(len(members)), counts)  # each point's fill
        paint = [v.index_select(0, at) for v in (*affine, colors.clamp(0.0, 1.0))]
        rgba = paint_at(torch.as_tensor(np.concatenate([xys[i] for i in members]), dtype=torch.float64), paint)
        premul = torch.cat([rgba[:, :3] * rgba[:, 3:], rgba[:, 3:]], 1).numpy()
        for i, part in zip(members, np.split(premul, np.cumsum(counts.numpy())[:-1])):
            out[i] = part
    return out


def _coords(box: tuple[slice, slice], mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.stack([xs + box[1].start + 0.5, ys + box[0].start + 0.5], axis=1).astype(np.float64)


class _Candidate:
    """A region as a path would paint it: its filled mask's pixels (flat canvas indices), the
    fitted fill's premultiplied colours there, and the weight each pixel's error counts with."""

    def __init__(self, box, own, filled, fill, target, hole_weight, width: int, grid: np.ndarray,
                 pred: np.ndarray | None = None):
        self.box, self.filled, self.fill = box, filled, fill
        scored = filled & grid
        ys, xs = np.nonzero(scored)
        self.pixels = (ys + box[0].start) * width + xs + box[1].start
        # premultiplied, on the filled mask (``pred``: already evaluated there)
        self.pred = eval_fill(fill, _coords(box, scored)) if pred is None else pred
        self.target = target[box][scored]
        # own pixels count fully; hole pixels (covered by the outline, painted over later by the
        # regions inside) count ``hole_weight``: an outline ring drawn as a filled underlay wins
        self.weight = np.where(own[scored], 1.0, hole_weight)

    def contributions(self, cur: np.ndarray, at=slice(None)) -> np.ndarray:
        """Per pixel (of ``at``), the weighted error painting this removes from canvas values ``cur``."""
        pred, target = self.pred[at], self.target[at]
        new = pred + (1.0 - pred[:, 3:4]) * cur
        return (np.sum((cur - target) ** 2, axis=1) - np.sum((new - target) ** 2, axis=1)) * self.weight[at]

    def gain(self, canvas: np.ndarray) -> float:
        """Weighted error removed from ``canvas (pixels, 4)`` by painting this."""
        return float(np.sum(self.contributions(canvas[self.pixels])))

    def paint(self, canvas: np.ndarray) -> None:
        cur = canvas[self.pixels]
        canvas[self.pixels] = self.pred + (1.0 - self.pred[:, 3:4]) * cur


def _grid(box: tuple[slice, slice], stride: int) -> np.ndarray:
    """The pixels of ``box`` on the canvas's every-``stride``-th row and column."""
    grid = np.zeros((box[0].stop - box[0].start, box[1].stop - box[1].start), dtype=bool)
    grid[(-box[0].start) % stride::stride, (-box[1].start) % stride::stride] = True
    return grid


class Candidates:
    """The regions a picture's stages may propose, as paths would paint them over ``target``.
    A region's fill, pixels and weights depend on the picture and the region only, never on the
    canvas, and the hierarchy's cuts share most of their regions from stage to stage: each is
    fitted once and kept while the latest :meth:`of` lists it. ``min_area``: smaller regions are
    skipped; ``hole_weight``: how much the pixels of a region's holes count; ``stride``: fills are
    fitted and gains scored on every ``stride``-th row and column only (on a big canvas a sample
    that still holds thousands of pixels per big region; a region's mask stays whole)."""

    def __init__(self, target: np.ndarray, fill_kind: str, min_area: int, hole_weight: float, stops: int,
                 stride: int = 1) -> None:
        self.target, self.fill_kind, self.min_area = target, fill_kind, min_area
        self.hole_weight, self.stops, self.stride = hole_weight, stops, stride
        self._known: dict[tuple, _Candidate | None] = {}

    @classmethod
    def for_picture(cls, target: np.ndarray, settings: Settings, fill_kind: str) -> Candidates:
        """The candidates of ``target`` as ``settings`` choose them: the scoring grid's stride keeps
        its long side within ``settings.propose_size``."""
        stride = math.ceil(max(target.shape[:2]) / settings.propose_size)
        return cls(target, fill_kind, settings.min_region_area, settings.hole_weight, settings.gradient_stops, stride)

    def of(self, partitions: list[np.ndarray]) -> list[_Candidate]:
        """The candidates of ``partitions`` (label maps), each region once (the same box and area
        at several levels is the same region), in the order they list them."""
        listed: dict[tuple, _Candidate | None] = {}
        new: dict[tuple, tuple] = {}
        for labels in partitions:
            for _, box, own in regions(labels):
                area = int(own.sum())
                key = (box[0].start, box[0].stop, box[1].start, box[1].stop, area)
                if area < self.min_area or key in listed:
                    continue
                listed[key] = self._known.get(key)
                if key not in self._known:
                    new[key] = (box, own)
        listed.update(self._fit(new))
        self._known = listed
        return [c for c in listed.values() if c is not None]

    def _fit(self, new: dict[tuple, tuple]) -> dict[tuple, _Candidate | None]:
        """The new regions' candidates (None: no pixel on the scoring grid), their fills evaluated
        together (:func:`eval_fills`)."""
        fitted: dict[tuple, _Candidate | None] = {}
        made = []
        for key, (box, own) in new.items():
            grid = _grid(box, self.stride)
            sample = own & grid
            if not sample.any():
                fitted[key] = None
                continue
            fill = fit_fill(self.fill_kind, _coords(box, sample), self.target[box][sample], self.stops)
            filled = ndimage.binary_fill_holes(own)
            made.append((key, box, own, filled, fill, grid))
        preds = eval_fills([m[4] for m in made], [_coords(m[1], m[3] & m[5]) for m in made])
        for (key, box, own, filled, fill, grid), pred in zip(made, preds):
            fitted[key] = _Candidate(box, own, filled, fill, self.target, self.hole_weight, self.target.shape[1], grid,
                                     pred)
        return fitted


def propose(candidates: Candidates, canvas: np.ndarray, partitions: list[np.ndarray], count: int) -> list[Proposal]:
    """Up to ``count`` regions of ``partitions`` (label maps, coarse to fine: candidates from several
    levels of the hierarchy) to add as paths over ``canvas``, best gain first."""
    return _greedy(candidates.of(partitions), canvas.reshape(-1, canvas.shape[-1]).copy(), count)


def _greedy(cands: list[_Candidate], canvas: np.ndarray, count: int) -> list[Proposal]:
    """Greedy by gain, each pick painted onto ``canvas (pixels, 4)`` before the next is scored.
    (Gains can rise as well as fall after a pick — a region nested in a badly painted one gains —
    so every candidate that shares pixels with the pick is re-scored, but only on those pixels.)"""
    gains = np.array([c.gain(canvas) for c in cands])
    # boxes as rows y0, y1, x0, x1: the candidates a pick's box overlaps, found all at once
    boxes = np.array([(c.box[0].start, c.box[0].stop, c.box[1].start, c.box[1].stop) for c in cands],
                     dtype=np.int64).reshape(-1, 4)
    taken = np.zeros(len(cands), dtype=bool)
    painted = np.zeros(canvas.shape[0], dtype=bool)
    before = np.empty_like(canvas)
    chosen: list[Proposal] = []
    while len(chosen) < count and not taken.all():
        k = int(np.argmax(np.where(taken, -np.inf, gains)))
        if gains[k] <= 1e-6:
            break
        best = cands[k]
        taken[k] = True
        before[best.pixels] = canvas[best.pixels]
        best.paint(canvas)
        painted[best.pixels] = True
        chosen.append(Proposal(best.box, best.filled, best.fill, float(gains[k])))
        y0, y1, x0, x1 = boxes[k]
        near = ~taken & (boxes[:, 0] < y1) & (y0 < boxes[:, 1]) & (boxes[:, 2] < x1) & (x0 < boxes[:, 3])
        for j in np.flatnonzero(near):
            c = cands[j]
            shared = np.nonzero(painted[c.pixels])[0]
            if shared.size:
                px = c.pixels[shared]
                gains[j] += float(np.sum(c.contributions(canvas[px], shared) - c.contributions(before[px], shared)))
        painted[best.pixels] = False
    return chosen
