"""The boundary band's anti-aliased coverage compiled for the CPU (numba), forward and backward:
:class:`~layervec_ext.core.render.band.BandCoverage`'s arithmetic (its docstring and
``common.box_coverage`` have the formulas) as one loop over the band's fragments each way, where
the PyTorch version makes ~35 operations forward and ~70 backward, each a pass over the band.
The same to float32 rounding (``tests/test_render_compiled.py``); ties that autograd splits in half
are split in half here too. float32 only; compiled on first use and cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

F32 = np.float32
EPS = F32(1e-12)
HALF_SQRT2 = F32(0.70710678)  # the larger |component| of a unit normal is at least this


@njit(cache=True, nogil=True)
def forward(vx: np.ndarray, vy: np.ndarray, start: np.ndarray, end: np.ndarray, cx: np.ndarray, cy: np.ndarray,
            inside: np.ndarray) -> np.ndarray:
    """Coverage ``(B,)`` of the band pixels centred at ``(cx, cy)`` by the inner side of their
    nearest edge ``start → end``."""
    n = start.shape[0]
    out = np.empty(n, np.float32)
    for i in range(n):
        out[i] = _coverage(vx, vy, start[i], end[i], cx[i], cy[i], inside[i])[0]
    return out


@njit(cache=True, nogil=True, inline="always")
def _coverage(vx, vy, a, b, cx, cy, inside):
    """The coverage of one pixel and the intermediate values its gradient needs."""
    ax, ay = vx[a], vy[a]
    dx, dy = vx[b] - ax, vy[b] - ay
    qx, qy = cx - ax, cy - ay
    len2 = dx * dx + dy * dy
    len2c = max(len2, EPS)
    dot = qx * dx + qy * dy
    tt = dot / len2c
    t = min(max(tt, F32(0.0)), F32(1.0))
    rx, ry = qx - t * dx, qy - t * dy
    abs_x, abs_y = abs(rx), abs(ry)
    length = F32(math.sqrt(abs_x * abs_x + abs_y * abs_y + EPS))
    big, small = max(abs_x, abs_y), min(abs_x, abs_y)
    hi0, lo = big / length, small / length
    hi = max(hi0, HALF_SQRT2)
    half, knee = (hi + lo) * F32(0.5), (hi - lo) * F32(0.5)
    sign = F32(1.0) if inside else F32(-1.0)
    sd = sign * length
    s = min(max(sd, -half), half)
    two_ab = hi * lo * F32(2.0)
    area = max(two_ab, EPS)
    if s < -knee:
        raw = (s + half) * (s + half) / area
    elif s > knee:
        raw = F32(1.0) - (half - s) * (half - s) / area
    else:
        raw = s / hi + F32(0.5)
    return (min(max(raw, F32(0.0)), F32(1.0)), raw, dx, dy, qx, qy, len2, len2c, dot, tt, t, rx, ry, length, big,
            small, hi0, lo, hi, half, knee, sign, sd, s, two_ab, area)


@njit(cache=True, nogil=True)
def backward(grad: np.ndarray, vx: np.ndarray, vy: np.ndarray, start: np.ndarray, end: np.ndarray, cx: np.ndarray,
             cy: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vertices' gradients ``(V,)`` in x and in y from the coverage's."""
    g_vx = np.zeros(vx.shape[0], np.float32)
    g_vy = np.zeros(vx.shape[0], np.float32)
    for i in range(start.shape[0]):
        a, b = start[i], end[i]
        (_, raw, dx, dy, qx, qy, len2, len2c, dot, tt, t, rx, ry, length, big, small, hi0, lo, hi, half, knee, sign,
         sd, s, two_ab, area) = _coverage(vx, vy, a, b, cx[i], cy[i], inside[i])
        g = grad[i] if 0.0 <= raw <= 1.0 else F32(0.0)
        if g == 0.0:
            continue
        low, high = s < -knee, s > knee
        g_half = g_area = g_hi = F32(0.0)
        if low or high:
            u = (s + half) if low else (half - s)
            two_u_area = F32(2.0) * u / area
            g_s = g * two_u_area
            g_u = g * two_u_area
            g_half = g_u if low else -g_u
            g_area = (-g_u if low else g_u) * u * F32(0.5) / area
        else:
            g_s = g / hi
            g_hi = -g * s / (hi * hi)
        # s = max(min(sd, half), -half); at sd = ±half autograd gives each side half
        above = (F32(1.0) if sd > half else F32(0.0)) + (F32(0.5) if sd == half else F32(0.0))
        below = (F32(1.0) if sd < -half else F32(0.0)) + (F32(0.5) if sd == -half else F32(0.0))
        g_sd = g_s * (F32(1.0) - above - below)
        g_half += g_s * (above - below)
        g_two_ab = g_area if two_ab >= EPS else F32(0.0)
        g_hi += F32(2.0) * lo * g_two_ab + F32(0.5) * g_half
        g_lo = F32(2.0) * hi * g_two_ab + F32(0.5) * g_half
        g_hi0 = g_hi if hi0 >= HALF_SQRT2 else F32(0.0)
        g_big, g_small = g_hi0 / length, g_lo / length
        g_length = g_sd * sign - (g_hi0 * big + g_lo * small) / (length * length)
        g_abs = g_length / length
        abs_x, abs_y = abs(rx), abs(ry)
        x_share = (F32(1.0) if abs_x > abs_y else F32(0.0)) + (F32(0.5) if abs_x == abs_y else F32(0.0))
        g_rx = (g_abs * abs_x + x_share * g_big + (F32(1.0) - x_share) * g_small) * np.sign(rx)
        g_ry = (g_abs * abs_y + (F32(1.0) - x_share) * g_big + x_share * g_small) * np.sign(ry)
        g_t = -(g_rx * dx + g_ry * dy)
        g_tt = g_t if 0.0 <= tt <= 1.0 else F32(0.0)
        g_dot = g_tt / len2c
        g_len2 = -g_tt * dot / (len2c * len2c) if len2 >= EPS else F32(0.0)
        g_qx, g_qy = g_rx + g_dot * dx, g_ry + g_dot * dy
        g_dx = -t * g_rx + g_dot * qx + F32(2.0) * g_len2 * dx
        g_dy = -t * g_ry + g_dot * qy + F32(2.0) * g_len2 * dy
        g_vx[a] += -g_qx - g_dx
        g_vy[a] += -g_qy - g_dy
        g_vx[b] += g_dx
        g_vy[b] += g_dy
    return g_vx, g_vy


def warm_up() -> None:
    """Compile both passes for the argument types band passes (or load them from the disk cache)."""
    vx, vy = np.array([0, 4], np.float32), np.array([0, 1], np.float32)
    ends = np.array([0], np.int64), np.array([1], np.int64)
    centre = np.array([2.5], np.float32), np.array([0.5], np.float32)
    forward(vx, vy, *ends, *centre, np.array([True]))
    backward(np.ones(1, np.float32), vx, vy, *ends, *centre, np.array([True]))
