"""The pixel error of a step compiled for the CPU (numba), forward and backward:
:func:`~layervec_ext.core.vectorize.losses.drawn_error`'s sum as one loop over the drawn pixels
each way, where the PyTorch version makes a dozen passes over ``(U, 4)`` tensors and gathers the
target and the weights into more of them. The same to float32 rounding (the sum is kept in
float64; ``tests/test_vectorize_losses.py``). float32 only; compiled on first use and cached on
disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def forward(values: np.ndarray, below: np.ndarray, target: np.ndarray, drawn: np.ndarray, share: np.ndarray,
            weight: np.ndarray) -> float:
    """``Σ_i share_i · weight[drawn_i] · ‖values_i + (1 − α_i)·below[drawn_i] − target[drawn_i]‖²``;
    ``values (4, U)`` channel-major (as the shading writes them); ``below`` the canvas, or one
    row under every pixel; ``weight`` empty: every weight 1."""
    total = 0.0
    one = below.shape[0] == 1
    for i in range(values.shape[1]):
        q = drawn[i]
        b = 0 if one else q
        clear = np.float32(1.0) - values[3, i]
        s = np.float32(0.0)
        for c in range(4):
            e = values[c, i] + clear * below[b, c] - target[q, c]
            s += e * e
        total += float(s * share[i] * (weight[q] if weight.shape[0] else np.float32(1.0)))
    return total


@njit(cache=True, nogil=True)
def backward(grad: float, values: np.ndarray, below: np.ndarray, target: np.ndarray, drawn: np.ndarray,
             share: np.ndarray, weight: np.ndarray, want_below: bool) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of :func:`forward` times ``grad`` in ``values (4, U)`` and (``want_below``)
    in ``below`` (its shape; summed over the pixels when it is one row)."""
    n = values.shape[1]
    one = below.shape[0] == 1
    d_values = np.empty((4, n), np.float32)
    d_below = np.zeros(below.shape if want_below else (1, 4), np.float64)  # a canvas is big
    for i in range(n):
        q = drawn[i]
        b = 0 if one else q
        clear = np.float32(1.0) - values[3, i]
        k = np.float32(2.0) * grad * share[i] * (weight[q] if weight.shape[0] else np.float32(1.0))
        d_alpha = np.float32(0.0)
        for c in range(4):
            g = k * (values[c, i] + clear * below[b, c] - target[q, c])
            d_values[c, i] = g
            d_alpha -= g * below[b, c]
            if want_below:
                d_below[b, c] += g * clear
        d_values[3, i] += d_alpha
    return d_values, d_below.astype(np.float32)


@njit(cache=True, nogil=True)
def row_sums(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[index].sum(0)`` without the gathered copy: the sums of a moving background's error
    over a step's touched pixels (``optimize._Problem``), ``table (N, K)`` float64."""
    out = np.zeros(table.shape[1])
    for i in range(index.shape[0]):
        for k in range(table.shape[1]):
            out[k] += table[index[i], k]
    return out


def warm_up() -> None:
    """Compile the loops for the argument types their callers pass (or load them from the disk cache)."""
    values = np.full((4, 2), 0.5, np.float32)
    target = np.zeros((3, 4), np.float32)
    drawn, share = np.array([0, 2], np.int64), np.ones(2, np.float32)
    for below, weight in ((target[:1].copy(), np.zeros(0, np.float32)), (target.copy(), np.ones(3, np.float32))):
        forward(values, below, target, drawn, share, weight)
        backward(np.float32(1.0), values, below, target, drawn, share, weight, True)
    row_sums(np.ones((3, 6)), drawn)
