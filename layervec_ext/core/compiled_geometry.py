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
def crossings(a: np.ndarray, eps: float) -> np.ndarray:
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
def winding_mask(poly: np.ndarray, x0: float, y0: float, step: float, cols: int, rows: int) -> np.ndarray:
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


@njit(cache=True, error_model="numpy")
def flatten(points: np.ndarray, k: int) -> np.ndarray:
    """:func:`geometry.flatten`: the closed path ``points (3S, 2)`` as a polyline ``(S*k, 2)``,
    each term in numpy's order (``(1 - t) ** 3`` by ``pow``, as numpy's power takes it)."""
    s = points.shape[0] // 3
    w = np.empty((k, 4))
    for i in range(k):
        t = i / k
        u = 1 - t
        w[i, 0], w[i, 1], w[i, 2], w[i, 3] = math.pow(u, 3.0), 3 * (u * u) * t, 3 * u * (t * t), math.pow(t, 3.0)
    out = np.empty((s * k, 2))
    for c in range(s):
        n = (c + 1) % s
        for i in range(k):
            for d in range(2):
                out[c * k + i, d] = (w[i, 0] * points[3 * c, d] + w[i, 1] * points[3 * c + 1, d]
                                     + w[i, 2] * points[3 * c + 2, d] + w[i, 3] * points[3 * n, d])
    return out


@njit(cache=True, error_model="numpy")
def _cubic_point(c, t, d):
    u = 1 - t
    return u**3 * c[0, d] + 3 * u**2 * t * c[1, d] + 3 * u * t**2 * c[2, d] + t**3 * c[3, d]


@njit(cache=True, error_model="numpy")
def _unit(vx, vy):
    size = max(math.sqrt(vx * vx + vy * vy), 1e-12)
    return vx / size, vy / size


@njit(cache=True, error_model="numpy")
def join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``untangle.join``: one cubic for ``a (4, 2)`` then ``b``, their outer ends and end tangents
    kept, the arm lengths fitted by least squares (to rounding, not bit for bit: the sums run in
    another order, and the 2 × 2 system is solved by Cramer's rule)."""
    pts = np.empty((17, 2))
    for i in range(9):
        for d in range(2):
            pts[i, d] = _cubic_point(a, i / 8, d)
            if i:
                pts[8 + i, d] = _cubic_point(b, i / 8, d)
    chord = np.zeros(17)
    for i in range(1, 17):
        chord[i] = chord[i - 1] + math.sqrt((pts[i, 0] - pts[i - 1, 0]) ** 2 + (pts[i, 1] - pts[i - 1, 1]) ** 2)
    out = np.empty((4, 2))
    total = chord[16]
    if total < 1e-9:
        out[0], out[1], out[2], out[3] = a[0], a[0], b[3], b[3]
        return out
    d0x, d0y = a[1, 0] - a[0, 0], a[1, 1] - a[0, 1]
    if math.sqrt(d0x * d0x + d0y * d0y) < 1e-9:
        k = 2 if math.sqrt((a[2, 0] - a[0, 0]) ** 2 + (a[2, 1] - a[0, 1]) ** 2) > 1e-9 else 3
        d0x, d0y = a[k, 0] - a[0, 0], a[k, 1] - a[0, 1]
    d3x, d3y = b[2, 0] - b[3, 0], b[2, 1] - b[3, 1]
    if math.sqrt(d3x * d3x + d3y * d3y) < 1e-9:
        k = 1 if math.sqrt((b[1, 0] - b[3, 0]) ** 2 + (b[1, 1] - b[3, 1]) ** 2) > 1e-9 else 0
        d3x, d3y = b[k, 0] - b[3, 0], b[k, 1] - b[3, 1]
    d0x, d0y = _unit(d0x, d0y)
    d3x, d3y = _unit(d3x, d3y)
    m00 = m01 = m11 = r0 = r1 = 0.0
    for i in range(17):
        u = chord[i] / total
        w1, w2 = 3 * (1 - u) ** 2 * u, 3 * (1 - u) * u**2
        e0, e3 = (1 - u) ** 3 + w1, w2 + u**3
        restx = pts[i, 0] - e0 * a[0, 0] - e3 * b[3, 0]
        resty = pts[i, 1] - e0 * a[0, 1] - e3 * b[3, 1]
        m00 += w1 * w1 * (d0x * d0x + d0y * d0y)
        m01 += w1 * w2 * (d0x * d3x + d0y * d3y)
        m11 += w2 * w2 * (d3x * d3x + d3y * d3y)
        r0 += w1 * (d0x * restx + d0y * resty)
        r1 += w2 * (d3x * restx + d3y * resty)
    length = math.sqrt((b[3, 0] - a[0, 0]) ** 2 + (b[3, 1] - a[0, 1]) ** 2)
    det = m00 * m11 - m01 * m01
    alpha = beta = length / 3
    if det != 0.0:
        alpha, beta = (r0 * m11 - m01 * r1) / det, (m00 * r1 - m01 * r0) / det
    if not (1e-3 < alpha < 3 * total and 1e-3 < beta < 3 * total):
        alpha = beta = length / 3
    out[0, 0], out[0, 1] = a[0, 0], a[0, 1]
    out[1, 0], out[1, 1] = a[0, 0] + alpha * d0x, a[0, 1] + alpha * d0y
    out[2, 0], out[2, 1] = b[3, 0] + beta * d3x, b[3, 1] + beta * d3y
    out[3, 0], out[3, 1] = b[3, 0], b[3, 1]
    return out


def warm_up() -> None:
    """Compile the loops for the argument types their callers pass (or load them from the disk cache)."""
    square = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [2.0, 5.0]])
    crossings(square, 1e-9)
    winding_mask(square, 0.0, 0.0, 1.0, 4, 4)
    flatten(square[:3].copy(), 16)
    join(square[:4].copy(), square[1:].copy())
