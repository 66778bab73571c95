"""Shading and compositing compiled for the CPU (numba), forward and backward: the arithmetic of
:class:`~layervec_ext.core.render.fused.ShadeComposite` (whose module docstring has the formulas)
as one pass over the fragments each way, where the PyTorch version makes a dozen passes over
fragment-sized tensors and a per-path copy of the paint table.

The two agree to float32 rounding, not bit for bit: the transmittance here is a running product
(there an exponential of a running sum of logarithms) and the per-path sums of the paint's
gradient are accumulated in float64 (there small float32 matrix products).
``tests/test_render_compiled.py`` compares them. float32 only; compiled on first use and cached
on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from layervec_ext.core.render.fused import AFFINE_ROWS, DEEP, HEAD_ROWS, OPAQUE

F32 = np.float32
# The smallest transmittance (fully hidden), as the PyTorch version's clamp of its logarithm.
FLOOR = math.exp(DEEP)
# Added under the square root of a radial gradient's coordinate (as fused.shade).
EPS = F32(1e-12)


@njit(cache=True, nogil=True)
def _coordinate(col, x, y, radial):
    """``t`` (the gradient's coordinate), ``u0``, ``u1`` (the mapped point) of a path's paint
    ``col`` (its column of the table) at ``(x, y)``."""
    u0 = col[4] + col[0] * x + col[1] * y
    if not radial:
        return u0, u0, F32(0.0)
    u1 = col[5] + col[2] * x + col[3] * y
    return F32(math.sqrt(u0 * u0 + u1 * u1 + EPS)), u0, u1


@njit(cache=True, nogil=True)
def _paint(col, t, k, out, f):
    """The straight RGBA at gradient coordinate ``t`` into row ``f`` of ``out (F, 4)`` (an index,
    not a view: a view per fragment would cost a reference count)."""
    r, g, b, a = col[AFFINE_ROWS], col[AFFINE_ROWS + 1], col[AFFINE_ROWS + 2], col[AFFINE_ROWS + 3]
    for i in range(k):
        w = min(max((t - col[HEAD_ROWS + i]) * col[HEAD_ROWS + k + i], F32(0.0)), F32(1.0))
        row = HEAD_ROWS + 2 * k + 4 * i
        r += w * col[row]
        g += w * col[row + 1]
        b += w * col[row + 2]
        a += w * col[row + 3]
    out[f, 0], out[f, 1], out[f, 2], out[f, 3] = r, g, b, a


@njit(cache=True, nogil=True)
def forward(table: np.ndarray, coverage: np.ndarray, px: np.ndarray, py: np.ndarray, counts: np.ndarray,
            radial: np.ndarray, k: int, order: np.ndarray, pixel: np.ndarray, last: np.ndarray,
            pixels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The premultiplied image ``(4, pixels)``, with what :func:`backward` needs: the straight
    colour ``(F, 4)`` path-major and the transmittance ``(F,)`` pixel-major."""
    n = coverage.shape[0]
    rgba = np.empty((n, 4), np.float32)  # a fragment's four in one cache line: compositing reads them out of order
    columns = table.T.copy()  # a path's paint contiguous
    f = 0
    for p in range(counts.shape[0]):
        col = columns[p]
        for _ in range(counts[p]):
            t, _, _ = _coordinate(col, px[f], py[f], radial[p])
            _paint(col, t, k, rgba, f)
            f += 1
    image = np.zeros((4, pixels), np.float32)
    trans = np.empty(n, np.float32)
    j = 0
    while j < n:  # each pixel's fragments, front (last) to back
        end = last[j]
        through = 1.0
        for i in range(end, j - 1, -1):
            f = order[i]
            a = rgba[f, 3] * coverage[f]
            t = F32(max(through, FLOOR))
            trans[i] = t
            w = a * t
            q = pixel[i]
            image[0, q] += rgba[f, 0] * w
            image[1, q] += rgba[f, 1] * w
            image[2, q] += rgba[f, 2] * w
            image[3, q] += w
            through *= 1.0 - OPAQUE * a
        j = end + 1
    return image, rgba, trans


@njit(cache=True, nogil=True)
def backward(grad: np.ndarray, table: np.ndarray, coverage: np.ndarray, px: np.ndarray, py: np.ndarray,
             counts: np.ndarray, radial: np.ndarray, k: int, order: np.ndarray, pixel: np.ndarray, last: np.ndarray,
             rgba: np.ndarray, trans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of the paint table ``(D, P)`` and of the coverage ``(F,)`` from the image's."""
    n = coverage.shape[0]
    d_rgba = np.empty((n, 4), np.float32)
    j = 0
    while j < n:  # back to front: what lies behind each fragment, weighted
        end = last[j]
        behind = 0.0
        for i in range(j, end + 1):
            f = order[i]
            q = pixel[i]
            a = rgba[f, 3] * coverage[f]
            w = a * trans[i]
            g_weight = grad[0, q] * rgba[f, 0] + grad[1, q] * rgba[f, 1] + grad[2, q] * rgba[f, 2] + grad[3, q]
            d_rgba[f, 0] = grad[0, q] * w
            d_rgba[f, 1] = grad[1, q] * w
            d_rgba[f, 2] = grad[2, q] * w
            d_rgba[f, 3] = g_weight * trans[i] - behind * OPAQUE / (1.0 - OPAQUE * a)
            behind += g_weight * w
        j = end + 1
    columns = table.T.copy()
    d_columns = np.zeros(columns.shape, np.float32)
    d_coverage = np.empty(n, np.float32)
    stops = np.empty(6 * k, np.float64)  # per interval: Σ g, Σ g·t, Σ d rgba · w (4)
    f = 0
    for p in range(counts.shape[0]):
        col, rad = columns[p], radial[p]
        m00 = m01 = m10 = m11 = m0 = m1 = c0 = c1 = c2 = c3 = 0.0
        stops[:] = 0.0
        for _ in range(counts[p]):
            x, y = px[f], py[f]
            t, u0, u1 = _coordinate(col, x, y, rad)
            dr, dg, db, d_alpha = d_rgba[f, 0], d_rgba[f, 1], d_rgba[f, 2], d_rgba[f, 3]
            d_coverage[f] = d_alpha * rgba[f, 3]
            da = d_alpha * coverage[f]  # d alpha → d c_alpha
            dt = 0.0
            for i in range(k):
                z = (t - col[HEAD_ROWS + i]) * col[HEAD_ROWS + k + i]
                row = HEAD_ROWS + 2 * k + 4 * i
                w = min(max(z, F32(0.0)), F32(1.0))
                stops[6 * i + 2] += dr * w
                stops[6 * i + 3] += dg * w
                stops[6 * i + 4] += db * w
                stops[6 * i + 5] += da * w
                if 0.0 <= z <= 1.0:  # where the clamp passes the gradient
                    g = dr * col[row] + dg * col[row + 1] + db * col[row + 2] + da * col[row + 3]
                    dt += g * col[HEAD_ROWS + k + i]
                    stops[6 * i] += g
                    stops[6 * i + 1] += g * t
            du0, du1 = dt, 0.0
            if rad:
                du0, du1 = dt * u0 / t, dt * u1 / t
            m00 += du0 * x
            m01 += du0 * y
            m10 += du1 * x
            m11 += du1 * y
            m0 += du0
            m1 += du1
            c0 += dr
            c1 += dg
            c2 += db
            c3 += da
            f += 1
        d = d_columns[p]
        d[0], d[1], d[2], d[3], d[4], d[5] = m00, m01, m10, m11, m0, m1
        d[6], d[7], d[8], d[9] = c0, c1, c2, c3
        for i in range(k):  # z_i = (t - o_i) · inv_i
            g_sum = stops[6 * i]
            d[HEAD_ROWS + i] = -col[HEAD_ROWS + k + i] * g_sum
            d[HEAD_ROWS + k + i] = stops[6 * i + 1] - col[HEAD_ROWS + i] * g_sum
            for c in range(4):
                d[HEAD_ROWS + 2 * k + 4 * i + c] = stops[6 * i + 2 + c]
    return np.ascontiguousarray(d_columns.T), d_coverage


def warm_up() -> None:
    """Compile both passes for the argument types fused passes (or load them from the disk cache):
    one radial path of two stops over two pixels."""
    table = np.zeros((HEAD_ROWS + 6, 1), np.float32)
    table[[0, 3, AFFINE_ROWS + 3, HEAD_ROWS + 1], 0] = 1.0
    ints = np.arange(2, dtype=np.int64)
    frags = (np.ones(2, np.float32), np.full(2, 0.5, np.float32), np.full(2, 0.5, np.float32),
             np.array([2], np.int64), np.array([True]), 1, ints, ints, ints)
    image, rgba, trans = forward(table, *frags, 2)
    backward(np.ones((4, 2), np.float32), table, *frags, rgba, trans)
