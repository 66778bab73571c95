"""Untangle: every path's outline a simple closed curve, without dropping the path.

An optimised path can cross itself — most often a small loop at one node (the two cubics meeting
there cross just before and after it), sometimes two cubics far apart along the outline (a
bow-tie) or one cubic looping on itself. The renderer fills by the non-zero rule, so what a
tangled path shows is its non-zero region; an artist selecting it sees the loops.

:func:`untangle_points` repairs one outline by local moves, each chosen, among a few candidates
for the first crossing found, as the one that removes crossings while changing the path's
non-zero region least (measured on a grid over the path's box, against the region before any
move):

* **cut a loop**: split the two crossing cubics at the crossing (de Casteljau: the rest of the
  outline stays exactly where it was) and leave out either of the two loops the crossing closes —
  the one at a node for a small loop there, the inner one of a curl;
* **2-opt**: reverse the loop between the crossing points (the cubics in it reversed, their
  control points swapped) and reconnect the two crossing cubics, each now the join of its half and
  the other's: a bow-tie becomes one outline around both lobes, which is what non-zero filling
  showed, with the same number of cubics;
* **shrink a cubic's arms** (its control points towards its ends) for a loop inside one cubic;
* **nudge a node** by a pixel or so, where two loops of one outline meet at it and their ends
  tangle (a ring drawn as one outline: a cut or a 2-opt would fill its hole).

The search keeps going from outlines with more cubics than the path may keep (each 2-opt adds
two) and joins them down only once they are simple, so several crossings can be undone exactly
first. Cubics a cut left out are given back by halving the longest ones (exactly, so the node
count is what it was and the shape unchanged). Consecutive nodes on one spot become one (one
cubic less).

With a picture to judge by and room in the path budget, :func:`untangle_scene` also weighs the
path cut in two at its first crossing (:func:`in_two`): both loops kept, as two paths of one paint.
The crossing test is the one the editability report uses (:func:`~layervec_ext.core.geometry.crossings`
on the outline flattened into :data:`~layervec_ext.core.geometry.FLATTEN` lines per cubic).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from layervec_ext.core.geometry import FLATTEN, compiled_loops, crossings, flatten
from layervec_ext.core.scene import Path, Scene, map_fill

# Consecutive nodes closer than this (pixels) are one node.
SAME_NODE = 1e-2
# Moves per path at most: a handful per crossing is what the pictures need.
MAX_MOVES = 40
# How far (pixels) a 2-opt moves each copy of the crossing point into its corner.
NUDGE = 0.1
# A repaired outline may keep up to EXTRA more cubics than it had (a 2-opt adds two) when that
# saves more than EXTRA_COST px² of its region per cubic.
EXTRA = 2
EXTRA_COST = 25.0
# While the search goes on, an outline may carry this many cubics more than it had (each 2-opt adds
# two): undoing several crossings exactly and joining cubics only once it is simple keeps what a
# join at every step would lose.
HEADROOM = 6
# How far (pixels) a node may be shifted to undo crossings at it, smallest first.
NUDGES = (0.5, 1.0, 2.0, 4.0)
# Nudges are tried for a crossing this near (in t) to a node on both cubics.
NEAR_NODE = 0.1
# With a picture to score them on, this many repairs (the nearest in region) are drawn and the best kept.
CHOICES = 4
# A repair changing the region by at most this many px² is taken without drawing the others.
CLEAR = 1.0
# The grid the non-zero regions are compared on: at most this many cells along the box's long side.
GRID = 96


def segments_of(points: np.ndarray) -> np.ndarray:
    """A closed path's points ``(3S, 2)`` (scene layout) as cubics ``(S, 4, 2)``."""
    pts = np.asarray(points, dtype=np.float64)
    return np.stack([pts[0::3], pts[1::3], pts[2::3], np.roll(pts[0::3], -1, axis=0)], axis=1)


def points_of(segs: np.ndarray) -> np.ndarray:
    """Cubics ``(S, 4, 2)`` (each ending where the next starts) back to the scene layout."""
    return np.ascontiguousarray(np.asarray(segs)[:, :3].reshape(-1, 2))


def split(c: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """De Casteljau: the cubic ``c (4, 2)`` as its parts over ``[0, t]`` and ``[t, 1]``."""
    p01, p12, p23 = c[0] + (c[1] - c[0]) * t, c[1] + (c[2] - c[1]) * t, c[2] + (c[3] - c[2]) * t
    p012, p123 = p01 + (p12 - p01) * t, p12 + (p23 - p12) * t
    m = p012 + (p123 - p012) * t
    return np.array([c[0], p01, p012, m]), np.array([m, p123, p23, c[3]])


def join(a: np.ndarray, b: np.ndarray, compiled: bool | None = None) -> np.ndarray:
    """One cubic for ``a`` then ``b`` (where ``a`` ends, ``b`` starts): their outer ends and end
    tangent directions kept, the two arm lengths fitted by least squares to points along both
    (Schneider's fit, parametrised by chord length). ``compiled``: by
    :mod:`~layervec_ext.core.compiled_geometry`'s loop (``None``: when numba is there; the same
    cubic to rounding) or by numpy."""
    loops = compiled_loops() if compiled is not False else None
    if loops is not None:
        return loops.join(np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64))
    t = np.linspace(0.0, 1.0, 9)[:, None]
    pts = np.concatenate([cubic_at(a, t), cubic_at(b, t)[1:]])
    chord = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))]
    if chord[-1] < 1e-9:
        return np.array([a[0], a[0], b[3], b[3]])
    u = (chord / chord[-1])[:, None]
    p0, p3 = a[0], b[3]
    d0, d3 = a[1] - a[0], b[2] - b[3]
    if np.linalg.norm(d0) < 1e-9:
        d0 = a[2] - a[0] if np.linalg.norm(a[2] - a[0]) > 1e-9 else a[3] - a[0]
    if np.linalg.norm(d3) < 1e-9:
        d3 = b[1] - b[3] if np.linalg.norm(b[1] - b[3]) > 1e-9 else b[0] - b[3]
    d0 = d0 / max(np.linalg.norm(d0), 1e-12)
    d3 = d3 / max(np.linalg.norm(d3), 1e-12)
    w1, w2 = 3 * (1 - u) ** 2 * u, 3 * (1 - u) * u**2
    c0, c1 = w1 * d0, w2 * d3  # the fit's columns: moving each arm along its tangent
    rest = pts - ((1 - u) ** 3 + w1) * p0 - (w2 + u**3) * p3
    m = np.array([[np.sum(c0 * c0), np.sum(c0 * c1)], [np.sum(c0 * c1), np.sum(c1 * c1)]])
    r = np.array([np.sum(c0 * rest), np.sum(c1 * rest)])
    length = float(np.linalg.norm(p3 - p0))
    try:
        alpha, beta = np.linalg.solve(m, r)
    except np.linalg.LinAlgError:
        alpha = beta = length / 3
    if not (1e-3 < alpha < 3 * chord[-1] and 1e-3 < beta < 3 * chord[-1]):
        alpha = beta = length / 3  # a fit with an arm backwards or huge: thirds of the chord
    return np.array([p0, p0 + alpha * d0, p3 + beta * d3, p3])


def cubic_at(c: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points of the cubic ``c (4, 2)`` at parameters ``t (T, 1)``."""
    return (1 - t) ** 3 * c[0] + 3 * (1 - t) ** 2 * t * c[1] + 3 * (1 - t) * t**2 * c[2] + t**3 * c[3]


def crossing_pairs(segs: np.ndarray, k: int = FLATTEN) -> np.ndarray:
    """The outline's crossings as rows ``cubic i, t on it, cubic j, t on it`` (``i ≤ j``)."""
    cr = crossings(flatten(points_of(segs), k))
    if not len(cr):
        return np.zeros((0, 4))
    e1, e2 = cr[:, 0].astype(int), cr[:, 1].astype(int)
    return np.stack([e1 // k, (e1 % k + cr[:, 2]) / k, e2 // k, (e2 % k + cr[:, 3]) / k], axis=1)


def simple(points: np.ndarray, k: int = FLATTEN) -> bool:
    """Whether the path's flattened outline is a simple closed curve."""
    return not len(crossings(flatten(np.asarray(points, dtype=np.float64), k)))


def _restore(segs: list[np.ndarray], count: int) -> np.ndarray:
    """Halve the longest cubics (exactly) until there are ``count``."""
    segs = list(segs)
    if len(segs) >= count:
        return np.asarray(segs)
    lengths = list(np.linalg.norm(np.diff(np.asarray(segs), axis=1), axis=2).sum(1))
    while len(segs) < count:
        s = int(np.argmax(lengths))
        halves = split(segs[s], 0.5)
        segs[s:s + 1] = list(halves)
        lengths[s:s + 1] = [float(np.linalg.norm(np.diff(c, axis=0), axis=1).sum()) for c in halves]
    return np.asarray(segs)


def merge_coincident(segs: np.ndarray, tol: float = SAME_NODE) -> np.ndarray:
    """Consecutive nodes on one spot become one: the cubic between them goes (at least 2 stay)."""
    segs = np.asarray(segs, dtype=np.float64)
    while len(segs) > 2:
        short = np.linalg.norm(segs[:, 3] - segs[:, 0], axis=1) < tol
        if not short.any():
            break
        s = int(np.argmax(short))
        prev = (s - 1) % len(segs)
        segs = segs.copy()
        segs[prev, 3] = segs[s, 3]  # the cubic before now ends where the dropped one ended
        segs = np.delete(segs, s, axis=0)
    return segs


def _moves(segs: np.ndarray, i: int, ti: float, j: int, tj: float) -> list[np.ndarray]:
    """Candidate outlines with the crossing between cubic ``i`` at ``ti`` and cubic ``j`` at ``tj``
    (``i ≤ j``) undone."""
    n = len(segs)
    out = []
    if i == j:  # a loop inside one cubic: shorter arms
        for f in (0.75, 0.5, 0.25, 0.0):
            c = segs.copy()
            c[i, 1] = c[i, 0] + (c[i, 1] - c[i, 0]) * f
            c[i, 2] = c[i, 3] + (c[i, 2] - c[i, 3]) * f
            out.append(c)
        lo, hi = sorted((ti, tj))
        if hi - lo > 1e-3:  # or leave the loop out: the cubic's parts before and after it
            left, rest = split(segs[i], lo)
            right = split(rest, (hi - lo) / (1 - lo))[1] if lo < 1 else rest
            m = (left[3] + right[0]) / 2
            left[3], right[0] = m, m
            out.append(_restore(list(np.roll(segs, -i, axis=0)[1:]) + [left, right], n))
        return out
    rolled, j, (a0, a1), (b0, b1) = cut = _cut(segs, i, ti, j, tj)
    outer, inner_loop = _loops(*cut)
    out.append(_restore(outer, n))  # leave out the loop from the crossing through cubics i+1..j-1
    out.append(_restore(inner_loop, n))  # leave out the rest: keep that loop
    # 2-opt: the loop reversed, the crossing cubics reconnected — exactly (the crossing point
    # visited twice, each copy moved a little into its own corner so the two do not touch), then
    # as many cubics as before by joining the pairs whose join changes the region least
    inner = [c[::-1].copy() for c in rolled[j - 1:0:-1]]
    into, back, out_b, d1 = a0.copy(), b0[::-1].copy(), a1[::-1].copy(), b1.copy()
    for first, second in ((into, back), (out_b, d1)):
        arms = [first[2] - first[3], second[1] - second[0]]
        lengths = [float(np.linalg.norm(v)) for v in arms]
        if min(lengths) < 1e-9:
            arms = [first[0] - first[3], second[3] - second[0]]
            lengths = [float(np.linalg.norm(v)) for v in arms]
        bisector = sum(v / max(n, 1e-12) for v, n in zip(arms, lengths))
        size = float(np.linalg.norm(bisector))
        if size > 1e-9:
            shift = bisector / size * min(NUDGE, 0.2 * min(lengths))
            first[2:] += shift
            second[:2] += shift
    out.append(np.asarray([into, back, *inner, out_b, d1, *rolled[j + 1:]]))
    return out


def _cut(segs: np.ndarray, i: int, ti: float, j: int, tj: float) -> tuple:
    """The outline rolled so that cubic ``i`` comes first, ``j``'s place in it, and the two crossing
    cubics each split at the crossing (``i < j``; de Casteljau: exactly)."""
    rolled = np.roll(segs, -i, axis=0)
    j -= i
    return rolled, j, split(rolled[0], ti), split(rolled[j], tj)


def _loops(rolled: np.ndarray, j: int, a: tuple, b: tuple) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The two closed outlines a crossing (:func:`_cut`) closes, both ends on the crossing point:
    the outline from the crossing round through the cubics after ``j``, and the loop through
    cubics ``1 … j-1``."""
    (a0, a1), (b0, b1) = a, b
    x = (a0[3] + b1[0]) / 2
    head, tail = a0.copy(), b1.copy()
    head[3], tail[0] = x, x
    first, last = a1.copy(), b0.copy()
    first[0], last[3] = x, x
    return [head, tail, *rolled[j + 1:]], [first, *rolled[1:j], last]


def _nudges(segs: np.ndarray, i: int, ti: float, j: int, tj: float, k: int = FLATTEN) -> list[np.ndarray]:
    """Outlines with the node nearest the crossing on either cubic moved a little (its two control
    points with it: the tangents stay), the ones with fewer crossings: where two loops of one path
    meet at a point (a ring drawn as one outline, its hole a loop the other way round), their ends
    tangle there, and what undoes that is a shift of a pixel or two, not a cut or a 2-opt (which
    would fill the hole)."""
    if min(ti, 1 - ti) > NEAR_NODE or min(tj, 1 - tj) > NEAR_NODE:
        return []
    n = len(segs)
    now = len(crossing_pairs(segs, k))
    nodes = {(i if ti < 0.5 else i + 1) % n, (j if tj < 0.5 else j + 1) % n}
    out = []
    for node in nodes:
        for radius in NUDGES:
            for angle in np.arange(8) * np.pi / 4:
                cand = segs.copy()
                shift = radius * np.array([np.cos(angle), np.sin(angle)])
                cand[node, :2] += shift  # the node and the control point after it
                cand[node - 1, 2:] += shift  # the control point before it, and the node again
                if len(crossing_pairs(cand, k)) < now:
                    out.append(cand)
            if out:  # the smallest shift that helps
                return out
    return out


def _reduce(segs: np.ndarray, count: int, region: Region, k: int = FLATTEN) -> np.ndarray:
    """Join consecutive cubics (the pair whose join changes ``region`` least and adds no crossing)
    until there are ``count``. The joins are tried nearest first, so only the crossings of those
    nearer than the first that adds none are counted."""
    while len(segs) > count:
        now = len(crossing_pairs(segs, k))
        cands = []
        for s in range(len(segs)):
            cand = joined(segs, s)
            cands.append((region.change(cand), s, cand))
        cands.sort(key=lambda item: (item[0], item[1]))
        segs = next((cand for _, _, cand in cands if len(crossing_pairs(cand, k)) <= now), cands[0][2])
    return segs


def joined(segs: np.ndarray, s: int) -> np.ndarray:
    """The outline ``segs (S, 4, 2)`` with cubic ``s`` and the next (round the end) made one
    (:func:`join`): one node less."""
    t = (s + 1) % len(segs)
    cand = np.delete(segs, t, axis=0) if t else segs[1:].copy()
    cand[s if t else len(cand) - 1] = join(segs[s], segs[t])
    return cand


def _winding_mask(segs: np.ndarray, x0: float, y0: float, step: float, cols: int, rows: int,
                  compiled: bool | None = None) -> np.ndarray:
    """Non-zero fill of the outline at the cell centres of a grid: ``(rows, cols)`` booleans.

    Each edge is paired only with the rows whose centre line it may cross (a row more on either
    side, then the exact half-open test), not with every row: an outline's edges are short, so
    this is a few pairs per edge instead of ``rows`` (the same crossings, so the same mask).
    ``compiled``: as :func:`~layervec_ext.core.geometry.crossings` (the same mask)."""
    poly = flatten(points_of(segs), compiled=compiled)
    loops = compiled_loops() if compiled is not False else None
    if loops is not None:
        return loops.winding_mask(np.ascontiguousarray(poly), float(x0), float(y0), float(step), int(cols), int(rows))
    a, b = poly, np.roll(poly, -1, axis=0)
    ay, by = a[:, 1], b[:, 1]
    lo = np.ceil((np.minimum(ay, by) - y0) / step - 0.5) - 1
    hi = np.floor((np.maximum(ay, by) - y0) / step - 0.5) + 1
    known = ~(np.isnan(lo) | np.isnan(hi))  # a NaN point crosses no row (as the half-open test says)
    first = np.clip(np.where(known, lo, 0), 0, rows).astype(np.int64)
    last = np.clip(np.where(known, hi, -1), -1, rows - 1).astype(np.int64)
    spans = np.maximum(last - first + 1, 0)
    edge = np.repeat(np.arange(len(poly)), spans)
    row = first[edge] + np.arange(len(edge)) - np.repeat(np.cumsum(spans) - spans, spans)
    yy = y0 + (row + 0.5) * step
    ay, by = ay[edge], by[edge]
    direction = ((ay <= yy) & (yy < by)).astype(np.int32) - ((by <= yy) & (yy < ay)).astype(np.int32)
    dy = np.where(by == ay, 1.0, by - ay)
    ax, bx = a[edge, 0], b[edge, 0]
    xs = np.where(direction != 0, ax + (yy - ay) * (bx - ax) / dy, x0)
    q = np.clip(np.ceil((xs - x0) / step - 0.5), 0, cols).astype(np.int64)  # cells left of x
    start = row * (cols + 1)  # each row's crossings: +d at its first cell, -d right of x
    diff = (np.bincount(start, direction, rows * (cols + 1))
            - np.bincount(start + q, direction, rows * (cols + 1)))
    return np.cumsum(diff.reshape(rows, cols + 1), axis=1)[:, :cols] != 0


class Region:
    """An outline's non-zero region, to measure others against (:meth:`change`): its grid mask is
    kept for the next outline measured on the same grid (one inside its box: most repairs)."""

    def __init__(self, segs: np.ndarray):
        self.segs = segs
        self.points = segs.reshape(-1, 2)
        self.grid: tuple | None = None
        self.mask: np.ndarray | None = None

    def change(self, other: np.ndarray) -> float:
        """The area (px²) in this region and not ``other``'s, or in ``other``'s and not this."""
        pts = np.concatenate([self.points, other.reshape(-1, 2)])
        lo, hi = pts.min(0), pts.max(0)
        step = max(float((hi - lo).max()) / GRID, 1e-3)
        cols, rows = int((hi[0] - lo[0]) / step) + 1, int((hi[1] - lo[1]) / step) + 1
        grid = (float(lo[0]), float(lo[1]), step, cols, rows)
        if grid != self.grid:
            self.grid, self.mask = grid, _winding_mask(self.segs, *grid)
        return float((self.mask ^ _winding_mask(other, *grid)).sum()) * step * step


def untangle_points(points: np.ndarray, k: int = FLATTEN, extra: int = EXTRA) -> np.ndarray:
    """A simple outline for the closed path ``points (3S, 2)`` (scene layout) with as many cubics
    (fewer where nodes coincided, up to ``extra`` more where that pays: see :data:`EXTRA_COST`), as
    near its non-zero region as the moves allow; the points themselves when the outline is simple
    already. The first of :func:`untangle_candidates`."""
    return untangle_candidates(points, k, extra)[0]


def untangle_candidates(points: np.ndarray, k: int = FLATTEN, extra: int = EXTRA) -> list[np.ndarray]:
    """Up to :data:`CHOICES` simple outlines for the closed path ``points (3S, 2)``, nearest its
    non-zero region first (see :func:`untangle_points` and :func:`_repairs`)."""
    return [pts for _, pts in _repairs(points, k, extra)]


def _repairs(points: np.ndarray, k: int = FLATTEN, extra: int = EXTRA) -> list[tuple[float, np.ndarray]]:
    """:func:`untangle_candidates` with each one's cost: the area (px²) its region differs by from
    the original's, and :data:`EXTRA_COST` per cubic more (infinite for the last resort).

    A best-first search over the moves of :func:`_moves` applied to the first crossing left: the
    outline whose region differs least from the original's is taken up next; the simple ones taken
    up are the answers. The way to the nearest can pass through outlines farther than others (one
    crossing of two undone), so the search goes on until it has them all."""
    original = merge_coincident(segments_of(points))
    count = len(original)
    if not len(crossing_pairs(original, k)):
        return [(0.0, points_of(original))]

    region = Region(original)

    def cost(segs: np.ndarray) -> float:
        return region.change(segs) + EXTRA_COST * max(0, len(segs) - count)

    def reduce(segs: np.ndarray) -> np.ndarray:
        return _reduce(segs, count + extra, region, k)

    frontier = [(0.0, 0, original)]
    tie, found = 1, []

    def push(segs: np.ndarray) -> None:
        nonlocal tie
        frontier.append((cost(segs), tie, segs))
        tie += 1

    for _ in range(MAX_MOVES):
        if not frontier or len(found) >= CHOICES:
            break
        frontier.sort(key=lambda item: (item[0], item[1]))
        item = frontier.pop(0)
        segs = item[2]
        cross = crossing_pairs(segs, k)
        if not len(cross):
            if len(segs) <= count + extra:
                found.append(item)
            else:  # simple, with more cubics than it may keep: joined down to what it may
                push(reduce(segs))
            continue
        # more cubics than it may keep, for now: the next moves may need them, and once simple
        # it is joined down (above)
        for cand in _undoings(segs, cross[0], count + HEADROOM, reduce, k):
            push(cand)
    if len(found) < CHOICES:  # the moves ran out first: a dozen crossings are too many to search
        descended = _descent(original, cost, reduce, count + HEADROOM, k)
        found += [(descended[0], tie, descended[1])] if descended is not None else []
        found += [item for item in sorted(frontier, key=lambda item: (item[0], item[1]))
                  if len(item[2]) <= count + extra and not len(crossing_pairs(item[2], k))][:CHOICES - len(found)]
    if found:
        return [(c, points_of(segs)) for c, _, segs in sorted(found, key=lambda item: (item[0], item[1]))]
    # what the moves could not undo: shorter arms everywhere, down to the nodes' polygon
    segs = min(frontier, key=lambda item: (len(crossing_pairs(item[2], k)), item[0]))[2] if frontier else original
    for f in (0.5, 0.25, 0.0):
        cand = segs.copy()
        cand[:, 1] = cand[:, 0] + (cand[:, 1] - cand[:, 0]) * f
        cand[:, 2] = cand[:, 3] + (cand[:, 2] - cand[:, 3]) * f
        if not len(crossing_pairs(cand, k)):
            return [(float("inf"), points_of(cand))]
    return [(float("inf"), points_of(segs))]


def _descent(segs: np.ndarray, cost: Callable[[np.ndarray], float], reduce: Callable[[np.ndarray], np.ndarray],
             most: int, k: int = FLATTEN) -> tuple[float, np.ndarray] | None:
    """For an outline with more crossings than the search's moves can undo (the final pass can
    twist a path of eight cubics into ten crossings): step by step, of the moves for the first
    crossing left, the one changing the region least (``cost``) among those leaving fewer
    crossings — as many steps as crossings, where the search spreads its moves over every near
    outline and can end with only far ones simple (a path's whole region given up for a loop of a
    pixel). An outline of more than ``most`` cubics on the way, and the end, are joined down by
    ``reduce``. Its cost and the outline, or None where no move leaves fewer crossings."""
    cross = crossing_pairs(segs, k)
    while len(cross):
        best = None
        for cand in _undoings(segs, cross[0], most, reduce, k):
            left = crossing_pairs(cand, k)
            if len(left) < len(cross):
                change = cost(cand)
                if best is None or change < best[0]:
                    best = (change, cand, left)
        if best is None:
            return None
        _, segs, cross = best
    segs = reduce(segs)
    return (cost(segs), segs) if not len(crossing_pairs(segs, k)) else None


def _undoings(segs: np.ndarray, crossing: np.ndarray, most: int, reduce: Callable[[np.ndarray], np.ndarray],
              k: int = FLATTEN) -> list[np.ndarray]:
    """The outlines one move (:func:`_moves`, :func:`_nudges`) makes of ``segs`` at ``crossing``
    (``i, ti, j, tj``), nodes on one spot merged, and one of more than ``most`` cubics joined down
    by ``reduce``."""
    i, ti, j, tj = crossing
    out = []
    for cand in _moves(segs, int(i), float(ti), int(j), float(tj)) + _nudges(segs, int(i), ti, int(j), tj, k):
        cand = merge_coincident(cand)
        out.append(cand if len(cand) <= most else reduce(cand))
    return out


def in_two(points: np.ndarray, k: int = FLATTEN, extra: int = 0) -> list[np.ndarray] | None:
    """Two simple outlines for the closed path ``points (3S, 2)`` that together draw nearly its
    non-zero region: cut at its first crossing between two cubics into the two loops that crossing
    closes (:func:`_loops`), each made simple (its nearest repair), with as many cubics in all
    as the path had (up to ``extra`` more; the ones over joined down). Where every single outline
    has to give up a lobe or fill a gap (a thin shape twisted into a figure of eight), two paths of
    the same paint keep it. None when the outline has no such crossing or the loops cannot be
    made simple in that many cubics."""
    segs = merge_coincident(segments_of(points))
    cross = crossing_pairs(segs, k)
    if not len(cross) or int(cross[0][0]) == int(cross[0][2]):
        return None
    i, ti, j, tj = cross[0]
    pieces = []
    for loop in _loops(*_cut(segs, int(i), float(ti), int(j), float(tj))):
        loop = merge_coincident(np.asarray(loop))
        if len(crossing_pairs(loop, k)):
            loop = segments_of(_repairs(points_of(loop), k, 0)[0][1])
        pieces.append(loop)
    while sum(len(p) for p in pieces) > len(segs) + extra:
        longer = max(range(2), key=lambda t: len(pieces[t]))
        if len(pieces[longer]) <= 2:
            return None
        pieces[longer] = _reduce(pieces[longer], len(pieces[longer]) - 1, Region(pieces[longer]), k)
    if any(len(crossing_pairs(p, k)) for p in pieces):
        return None
    return [points_of(p) for p in pieces]


@torch.no_grad()
def untangle_scene(scene: Scene, paths: list[int] | None = None, decimals: int | None = None,
                   spare: int | None = None, score: Callable[[int, list[list[np.ndarray]]], list[float]] | None = None,
                   room: int = 0, worth: float = 0.0,
                   progress: Callable[[float], None] = lambda part: None) -> list[int]:
    """Make every path (or those of ``paths``) of ``scene`` simple, in place; returns the indices
    (in the scene as it is after) of the paths that changed or were added. ``decimals``: the points
    rounded to that many decimals first (what the SVG writer keeps), and the outline checked and
    repaired as it will be written. ``spare``: the cubics the repairs may add in all (none past the
    node budget); no limit when ``None``. ``score(index, options)``: the picture's error with that
    path drawn as each option's outlines (one, or two of its paint); given it, the repair is the
    one scoring least of the :data:`CHOICES` nearest the region and, while ``room`` paths may still
    be added, the path cut in two (:func:`in_two`; the second part added right above the first)
    where that errs less by more than ``worth`` (in the score's units) than the best single outline.
    ``progress(part)`` hears the part of the paths looked at after each (scored repairs of a few
    hundred paths take seconds)."""
    changed, added = [], {}
    indices = list(range(len(scene.paths)) if paths is None else paths)
    for looked, index in enumerate(indices, 1):
        path = scene.paths[index]
        dtype, device = path.points.dtype, path.points.device
        pts = path.points.detach().cpu().double().numpy()
        for _ in range(3):  # rounding a repaired outline may touch again: repair that too
            if decimals is not None:
                pts = np.asarray(torch.as_tensor(np.round(pts, decimals), dtype=dtype).double())
            segs = segments_of(pts)
            if not len(crossing_pairs(segs)) and len(merge_coincident(segs)) == len(segs):
                break
            before = len(pts)
            extra = EXTRA if spare is None else max(0, min(EXTRA, spare))
            repairs = _repairs(pts, extra=extra)
            options = [[o] for _, o in repairs]
            if score is not None and repairs[0][0] > CLEAR:  # the picture decides
                two = in_two(pts, extra=extra) if len(added) < room and index not in added else None
                options += [two] if two is not None else []
                errors = score(index, options) if len(options) > 1 else [0.0]
                if two is not None and errors[-1] + worth > min(errors[:-1]):
                    errors.pop()  # the second path would not gain what a path must be worth
                chosen = options[errors.index(min(errors))]
            else:
                chosen = options[0]
            pts = chosen[0]
            if len(chosen) > 1:
                added[index] = chosen[1]
            if spare is not None:
                spare -= max(0, (sum(len(o) for o in chosen) - before) // 3)
            changed.append(index)
        path.points = torch.as_tensor(pts, dtype=dtype, device=device)
        progress(looked / len(indices))
    touched = {id(scene.paths[index]) for index in changed}
    for index in sorted(added, reverse=True):
        part = _part(scene.paths[index], added[index])
        scene.paths.insert(index + 1, part)
        touched.add(id(part))
    return [i for i, p in enumerate(scene.paths) if id(p) in touched]


def _part(path: Path, points: np.ndarray) -> Path:
    """A new path of ``path``'s paint (its own copy: the two are optimised apart) along ``points``."""
    return Path(torch.as_tensor(points, dtype=path.points.dtype, device=path.points.device),
                map_fill(path.fill, torch.clone), path.opacity.clone(), path.layer, None)


def tangled(scene: Scene, paths: list[int] | None = None) -> list[int]:
    """Indices of the paths whose outline crosses itself."""
    return [i for i in (range(len(scene.paths)) if paths is None else paths)
            if not simple(scene.paths[i].points.detach().cpu().double().numpy())]
