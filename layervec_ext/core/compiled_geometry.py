"""The outline tests the untangle repair runs thousands of times, compiled (numba): the same
answers as the numpy versions in :mod:`~layervec_ext.core.geometry` and
:mod:`~layervec_ext.core.vectorize.untangle`, bit for bit (``tests/test_compiled_geometry.py``),
without an ``n × n`` table and a dozen array operations per call — on outlines of a few dozen
edges, each of those costs more than the arithmetic.

float64, as the numpy versions; no fused multiply-adds, and ``error_model="numpy"`` so that a
division by zero gives inf or NaN as numpy's does. Compiled on first use and cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def _orient(px, py, qx, qy, rx, ry):
    return (qx - px) * (ry - py) - (qy - py) * (rx - px)


@njit(cache=True, error_model="numpy")
def _on(px, py, qx, qy, rx, ry, d, eps):
    """``r`` on the segment ``p–q``: collinear and inside its box (a touch is a crossing too)."""
    return (abs(d) <= eps and min(px, qx) - eps <= rx <= max(px, qx) + eps
            and min(py, qy) - eps <= ry <= max(py, qy) + eps)


@njit(cache=True, error_model="numpy")
def _fraction(d, other):
    """``d / (d - other)`` clipped to [0, 1], 0.5 where it is not finite (as numpy's version)."""
    f = d / (d - other)
    if not math.isfinite(f):
        return 0.5
    return min(max(f, 0.0), 1.0)


@njit(cache=True, error_model="numpy")
def crossings(a, eps):
    """:func:`geometry.crossings` of the closed polyline ``a (N, 2)``: rows ``i, j, u, v``."""
    n = a.shape[0]
    out = np.empty((16, 4))
    m = 0
    if n < 4:
        return out[:0]
    for i in range(n):
        a1x, a1y = a[i, 0], a[i, 1]
        b1x, b1y = a[(i + 1) % n, 0], a[(i + 1) % n, 1]
        lo1x, hi1x, lo1y, hi1y = min(a1x, b1x), max(a1x, b1x), min(a1y, b1y), max(a1y, b1y)
        for j in range(i + 2, n - 1 if i == 0 else n):
            a2x, a2y = a[j, 0], a[j, 1]
            b2x, b2y = a[(j + 1) % n, 0], a[(j + 1) % n, 1]
            lo2x, hi2x, lo2y, hi2y = min(a2x, b2x), max(a2x, b2x), min(a2y, b2y), max(a2y, b2y)
            if not (lo1x <= hi2x + eps and lo1y <= hi2y + eps and lo2x <= hi1x + eps and lo2y <= hi1y + eps):
                continue
            d1 = _orient(a2x, a2y, b2x, b2y, a1x, a1y)
            d2 = _orient(a2x, a2y, b2x, b2y, b1x, b1y)
            d3 = _orient(a1x, a1y, b1x, b1y, a2x, a2y)
            d4 = _orient(a1x, a1y, b1x, b1y, b2x, b2y)
            hit = (d1 * d2 < -eps and d3 * d4 < -eps) or _on(a2x, a2y, b2x, b2y, a1x, a1y, d1, eps) \
                or _on(a2x, a2y, b2x, b2y, b1x, b1y, d2, eps) or _on(a1x, a1y, b1x, b1y, a2x, a2y, d3, eps) \
                or _on(a1x, a1y, b1x, b1y, b2x, b2y, d4, eps)
            if not hit:
                continue
            if m == out.shape[0]:
                grown = np.empty((2 * m, 4))
                grown[:m] = out
                out = grown
            out[m, 0], out[m, 1], out[m, 2], out[m, 3] = i, j, _fraction(d1, d2), _fraction(d3, d4)
            m += 1
    return out[:m].copy()


@njit(cache=True, error_model="numpy")
def winding_mask(poly, x0, y0, step, cols, rows):
    """``untangle._winding_mask``'s grid: the non-zero fill of the closed polyline ``poly`` at the
    cell centres, ``(rows, cols)`` booleans."""
    n = poly.shape[0]
    diff = np.zeros((rows, cols + 1), np.int64)
    for e in range(n):
        ax, ay = poly[e, 0], poly[e, 1]
        bx, by = poly[(e + 1) % n, 0], poly[(e + 1) % n, 1]
        lo = math.ceil((min(ay, by) - y0) / step - 0.5) - 1.0
        hi = math.floor((max(ay, by) - y0) / step - 0.5) + 1.0
        if math.isnan(lo) or math.isnan(hi):  # a NaN point crosses no row
            continue
        first = int(min(max(lo, 0.0), float(rows)))
        last = int(min(max(hi, -1.0), float(rows - 1)))
        for row in range(first, last + 1):
            yy = y0 + (row + 0.5) * step
            d = int(ay <= yy < by) - int(by <= yy < ay)
            if d == 0:
                continue
            dy = 1.0 if by == ay else by - ay
            xs = ax + (yy - ay) * (bx - ax) / dy
            q = int(min(max(math.ceil((xs - x0) / step - 0.5), 0.0), float(cols)))  # cells left of x
            diff[row, 0] += d
            diff[row, q] -= d
    mask = np.empty((rows, cols), np.bool_)
    for row in range(rows):
        running = 0
        for c in range(cols):
            running += diff[row, c]
            mask[row, c] = running != 0
    return mask


def warm_up() -> None:
    """Compile both for the argument types their callers pass (or load them from the disk cache)."""
    square = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [2.0, 5.0]])
    crossings(square, 1e-9)
    winding_mask(square, 0.0, 0.0, 1.0, 4, 4)
