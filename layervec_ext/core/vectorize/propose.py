"""Choosing where the next paths go: the regions whose fitted fill removes the most residual.

For every region of the current partition the fill is fitted to its own pixels; the path will
cover the region *with its holes filled* (its outer contour), so the gain is measured there:
squared error of the current canvas minus that of the canvas with the fitted fill painted over
it. Regions are taken greedily, each choice painted onto a predicted canvas before the next is
scored, so overlapping picks don't double-count. Selection order is paint order. A region is
fitted only when its gain could still beat the best fitted one, which picks the same regions as
fitting every region first.
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


# Points whose paint is evaluated at once, each with its own copy of its fill's fields: a whole
# background-sized region at once set a big picture's peak memory (the benchmark log).
EVAL_POINTS = 1 << 15


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
        params = (*affine, colors.clamp(0.0, 1.0))
        points = torch.as_tensor(np.concatenate([xys[i] for i in members]), dtype=torch.float64)
        # each point's copy of its fill's fields (two dozen numbers) made for a slice at a time
        rgba = torch.cat([paint_at(points[lo:lo + EVAL_POINTS], [v.index_select(0, at[lo:lo + EVAL_POINTS])
                                                                 for v in params])
                          for lo in range(0, len(points), EVAL_POINTS)]) if len(points) else points.new_zeros((0, 4))
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

    def change(self, after: np.ndarray, before: np.ndarray, at: np.ndarray) -> float:
        """How much this one's gain moves when the canvas values at pixels ``at`` (of its own) go
        from ``before`` to ``after``."""
        return float(np.sum(self.contributions(after, at) - self.contributions(before, at)))

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


class _Region:
    """A region of a cut as listed: its box and mask; its candidate (``fitted``) is made when the
    greedy first needs it (:meth:`Candidates.fit`), and kept while the stages list the region."""

    __slots__ = ("box", "own", "grid", "fitted")

    def __init__(self, box: tuple[slice, slice], own: np.ndarray, grid: np.ndarray) -> None:
        self.box, self.own, self.grid = box, own, grid
        self.fitted: _Candidate | None = None


class Candidates:
    """The regions a picture's stages may propose, as paths would paint them over ``target``.
    A region's fill, pixels and weights depend on the picture and the region only, never on the
    canvas, and the hierarchy's cuts share most of their regions from stage to stage: each is
    fitted once, when first needed, and kept while the latest :meth:`of` lists it. ``min_area``:
    smaller regions are skipped; ``hole_weight``: how much the pixels of a region's holes count;
    ``stride``: fills are fitted and gains scored on every ``stride``-th row and column only (on a
    big canvas a sample that still holds thousands of pixels per big region; a region's mask
    stays whole)."""

    def __init__(self, target: np.ndarray, fill_kind: str, min_area: int, hole_weight: float, stops: int,
                 stride: int = 1) -> None:
        self.target, self.fill_kind, self.min_area = target, fill_kind, min_area
        self.hole_weight, self.stops, self.stride = hole_weight, stops, stride
        self._known: dict[tuple, _Region] = {}

    @classmethod
    def for_picture(cls, target: np.ndarray, settings: Settings, fill_kind: str) -> Candidates:
        """The candidates of ``target`` as ``settings`` choose them: the scoring grid's stride keeps
        its long side within ``settings.propose_size``."""
        stride = math.ceil(max(target.shape[:2]) / settings.propose_size)
        return cls(target, fill_kind, settings.min_region_area, settings.hole_weight, settings.gradient_stops, stride)

    def of(self, partitions: list[np.ndarray]) -> list[_Region]:
        """The regions of ``partitions`` (label maps) that have pixels on the scoring grid, each
        once (the same box and area at several levels is the same region), in the order they
        list them."""
        listed: dict[tuple, _Region | None] = {}
        for labels in partitions:
            for _, box, own in regions(labels):
                area = int(own.sum())
                key = (box[0].start, box[0].stop, box[1].start, box[1].stop, area)
                if area < self.min_area or key in listed:
                    continue
                if key in self._known:
                    listed[key] = self._known[key]
                    continue
                grid = _grid(box, self.stride)
                listed[key] = _Region(box, own, grid) if (own & grid).any() else None
        self._known = {k: r for k, r in listed.items() if r is not None}
        return list(self._known.values())

    def fit(self, unfitted: list[_Region]) -> None:
        """Fit the regions' fills and make their candidates, the fills evaluated together
        (:func:`eval_fills`)."""
        made = []
        for region in unfitted:
            box, own, grid = region.box, region.own, region.grid
            sample = own & grid
            fill = fit_fill(self.fill_kind, _coords(box, sample), self.target[box][sample], self.stops)
            made.append((region, ndimage.binary_fill_holes(own), fill))
        preds = eval_fills([fill for _, _, fill in made], [_coords(r.box, filled & r.grid) for r, filled, _ in made])
        for (region, filled, fill), pred in zip(made, preds):
            region.fitted = _Candidate(region.box, region.own, filled, fill, self.target, self.hole_weight,
                                       self.target.shape[1], region.grid, pred)


def propose(candidates: Candidates, canvas: np.ndarray, partitions: list[np.ndarray], count: int) -> list[Proposal]:
    """Up to ``count`` regions of ``partitions`` (label maps, coarse to fine: candidates from several
    levels of the hierarchy) to add as paths over ``canvas``, best gain first."""
    return _greedy(candidates, candidates.of(partitions), canvas.reshape(-1, canvas.shape[-1]).copy(), count)


class _ErrorSums:
    """What painting a region inside one of ``boxes`` (rows y0, y1, x0, x1) could remove at most:
    the canvas's squared error summed over the box on the scoring grid, times ``weight`` (the most
    a pixel counts). Summed from a summed-area table, built again only when the last sums, plus
    all the error the picks since may have added, could reach what is asked of them."""

    def __init__(self, canvas: np.ndarray, target: np.ndarray, stride: int, boxes: np.ndarray, weight: float) -> None:
        self.width, self.stride, self.weight = target.shape[1], stride, weight
        self.target = target.reshape(-1, target.shape[-1])
        self.error = ((canvas.reshape(target.shape)[::stride, ::stride] - target[::stride, ::stride]) ** 2).sum(-1)
        self.edges = -(-boxes // stride)  # the grid's first row/column at or after each box edge
        self.sums: np.ndarray | None = None
        self.rise = 0.0  # error added since the sums were made, anywhere

    def update(self, canvas: np.ndarray, pixels: np.ndarray) -> None:
        """The error at ``pixels`` (flat indices on the grid) after they were painted."""
        rows, cols = np.divmod(pixels, self.width)
        at = rows // self.stride, cols // self.stride
        new = ((canvas[pixels] - self.target[pixels]) ** 2).sum(1)
        self.rise += float(np.maximum(new - self.error[at], 0.0).sum()) * self.weight
        self.error[at] = new

    def bounds(self, among: np.ndarray, least: float) -> np.ndarray:
        """Upper bounds for every box, made afresh when those ``among`` might reach ``least``."""
        if self.sums is not None and float(np.max(self.sums[among])) + self.rise < least:
            return self.sums + self.rise
        t = np.zeros((self.error.shape[0] + 1, self.error.shape[1] + 1))
        t[1:, 1:] = self.error.cumsum(0).cumsum(1)
        y0, y1, x0, x1 = self.edges.T
        sums = t[y1, x1] - t[y0, x1] - t[y1, x0] + t[y0, x0]
        self.sums = (sums * (1.0 + 1e-9) + 1e-9 * t[-1, -1] + 1e-12) * self.weight  # above the table's rounding
        self.rise = 0.0
        return self.sums


# Candidates fitted at once when the greedy needs some: those whose bounds are highest (the ones
# it would need next), their fills evaluated together.
FIT_BATCH = 32
# A stage that asks for more than this fraction of the regions it lists needs most of them fitted
# anyway: they are fitted at once, before the first pick.
FIT_ALL_ABOVE = 0.25


def _greedy(candidates: Candidates, listed: list[_Region], canvas: np.ndarray, count: int) -> list[Proposal]:
    """Greedy by gain, each pick painted onto ``canvas (pixels, 4)`` before the next is scored.
    (Gains can rise as well as fall after a pick — a region nested in a badly painted one gains —
    so every candidate that shares pixels with the pick is re-scored, but only on those pixels.)

    A region is fitted only once its gain might beat the best fitted one: a gain is at most the
    error over the region's box (:class:`_ErrorSums`), and most of a fine cut's regions lie where
    the canvas is already close. One fitted late gets the gain the picks before brought it to,
    summed as if it had been fitted from the start (:func:`_caught_up`), so the picks are the same."""
    boxes = np.array([(r.box[0].start, r.box[0].stop, r.box[1].start, r.box[1].stop) for r in listed],
                     dtype=np.int64).reshape(-1, 4)
    gains = np.full(len(listed), -np.inf)
    if count > FIT_ALL_ABOVE * len(listed):
        candidates.fit([r for r in listed if r.fitted is None])
    fitted = np.array([r.fitted is not None for r in listed], dtype=bool)
    start = canvas.copy()
    for i in np.flatnonzero(fitted):
        gains[i] = listed[i].fitted.gain(start)
    errors = _ErrorSums(canvas, candidates.target, candidates.stride, boxes, max(1.0, candidates.hole_weight))
    taken = np.zeros(len(listed), dtype=bool)
    painted = np.zeros(canvas.shape[0], dtype=bool)
    before = np.empty_like(canvas)
    picks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # pixels, their values before and after
    pick_boxes = np.empty((count, 4), dtype=np.int64)
    chosen: list[Proposal] = []
    while len(chosen) < count and not taken.all():
        best = float(np.max(np.where(taken, -np.inf, gains)))
        open_ = ~taken & ~fitted
        if open_.any():
            bounds = np.where(open_, errors.bounds(open_, best), -np.inf)
            if np.max(bounds) >= best:
                need = np.flatnonzero(open_)
                need = need[np.argsort(-bounds[need], kind="stable")[:FIT_BATCH]]
                candidates.fit([listed[i] for i in need])
                for i in need:
                    near = _overlapping(pick_boxes[:len(picks)], boxes[i])
                    gains[i] = _caught_up(listed[i].fitted, start, picks, near)
                fitted[need] = True
                continue
        k = int(np.argmax(np.where(taken, -np.inf, gains)))
        if gains[k] <= 1e-6:
            break
        pick = listed[k].fitted
        taken[k] = True
        before[pick.pixels] = canvas[pick.pixels]
        pick.paint(canvas)
        errors.update(canvas, pick.pixels)
        pick_boxes[len(picks)] = boxes[k]
        picks.append((pick.pixels, before[pick.pixels], canvas[pick.pixels]))
        painted[pick.pixels] = True
        chosen.append(Proposal(pick.box, pick.filled, pick.fill, float(gains[k])))
        for j in np.flatnonzero(fitted & ~taken & _overlapping(boxes, boxes[k])):
            c = listed[j].fitted
            shared = np.nonzero(painted[c.pixels])[0]
            if shared.size:
                px = c.pixels[shared]
                gains[j] += c.change(canvas[px], before[px], shared)
        painted[pick.pixels] = False
    return chosen


def _overlapping(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Which of ``boxes`` (rows y0, y1, x0, x1) share pixels with ``box``."""
    y0, y1, x0, x1 = box
    return (boxes[:, 0] < y1) & (y0 < boxes[:, 1]) & (boxes[:, 2] < x1) & (x0 < boxes[:, 3])


def _caught_up(c: _Candidate, start: np.ndarray, picks: list, near: np.ndarray) -> float:
    """The gain of ``c`` on the canvas ``start`` brought up to date by each of ``picks`` (its pixels
    in order, their values before and after it) whose box overlaps its own (``near``), as the
    greedy would have brought it had ``c`` been fitted from the start."""
    gain = c.gain(start)
    for m in np.flatnonzero(near):
        pixels, old, new = picks[m]
        at = np.minimum(np.searchsorted(pixels, c.pixels), len(pixels) - 1)
        shared = np.nonzero(pixels[at] == c.pixels)[0]
        if shared.size:
            at = at[shared]
            gain += c.change(new[at], old[at], shared)
    return gain
