"""The structure stage's per-pixel loops compiled for the CPU (numba), beside the PyTorch build in
:mod:`~layervec_ext.core.render.raster` that stays the reference and the GPU's: the same
fragments, bit for bit (``tests/test_render_compiled.py``).

The vectorised build writes buffers over every pixel of every path's box (the boxes add up to
several canvases) and passes over them a dozen times; these loops visit a box pixel once or twice
and keep a path's band buffers in a scratch the size of one box. raster keeps the small per-path
and per-edge work (boxes, areas, normals, the edges' pieces) and calls, in turn:

1. :func:`winding` — inside/outside of every box pixel (non-zero winding along each row), and the
   columns of each box row its inside pixels lie within (the next loop reads a row from there, or
   from its band, to there: a box mostly outside its path costs what its outline covers);
2. :func:`fragments` — each path's band (the nearest boundary edge of the pixels near one, and an
   opposed edge in reach), its fragments in path-major, row-major order and, when sampled, the
   band's pixels and one pixel in each ``every × every`` block elsewhere;
3. :func:`pixel_major` — the counting sort that puts each pixel's fragments back to front.

float32 only (what the optimiser draws), so that every product and comparison rounds as the
PyTorch build's; other dtypes take that build. Compiled on first use and cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

F32 = np.float32
HALF = F32(0.5)
# Coordinates are clamped to this range before rounding to pixels (as raster's).
LOW, HIGH = F32(-2.0), F32(1e9)
TINY = F32(1e-12)


@njit(cache=True, nogil=True)
def _clamp(v, lo, hi):
    return min(max(v, lo), hi)


@njit(cache=True, nogil=True)
def winding(a: np.ndarray, b: np.ndarray, owner: np.ndarray, x0: np.ndarray, x1: np.ndarray, y0: np.ndarray,
            y1: np.ndarray, stride: np.ndarray, base: np.ndarray, total: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(total,)`` bool: non-zero winding of every box pixel (keys as raster's), and per box row
    (path after path, top to bottom) the columns ``[first, end)`` its inside pixels lie within.
    An edge crossing a row's centre adds ±1 at the first pixel right of the crossing; a running
    sum along the row from its first crossing to its last (each row closes to zero in its box's
    extra column) gives the winding of the ray towards -x — the rest of the row is outside."""
    n_paths = x0.shape[0]
    row_base = np.empty(n_paths + 1, np.int64)
    row_base[0] = 0
    for p in range(n_paths):
        row_base[p + 1] = row_base[p] + max(y1[p] - y0[p], 0)
    first = np.full(row_base[n_paths], np.iinfo(np.int64).max, np.int64)
    end = np.zeros(row_base[n_paths], np.int64)
    buf = np.zeros(total, np.int32)
    for e in range(a.shape[0]):
        p = owner[e]
        ax, ay, bx, by = a[e, 0], a[e, 1], b[e, 0], b[e, 1]
        r0 = max(math.ceil(_clamp(min(ay, by), LOW, HIGH) - HALF), y0[p])
        r1 = min(math.ceil(_clamp(max(ay, by), LOW, HIGH) - HALF), y1[p])
        step = 1 if by > ay else -1
        for row in range(r0, r1):
            xc = ax + (F32(row) + HALF - ay) * (bx - ax) / (by - ay)
            col = min(max(math.ceil(_clamp(xc, LOW, HIGH) - HALF), x0[p]), x1[p])
            buf[base[p] + row * stride[p] + col] += step
            r = row_base[p] + row - y0[p]
            first[r] = min(first[r], col)
            end[r] = max(end[r], col)
    inside = np.zeros(total, np.bool_)
    for p in range(n_paths):
        for row in range(y0[p], y1[p]):
            r = row_base[p] + row - y0[p]
            key = base[p] + row * stride[p]
            running = 0
            for col in range(first[r], end[r]):
                running += buf[key + col]
                inside[key + col] = running != 0
    return inside, first, end


@njit(cache=True, nogil=True)
def _distance2(cx, cy, ax, ay, bx, by):
    """Squared distance from ``(cx, cy)`` to the segment ``a → b`` (as ``common.segment_distance2``)."""
    dx, dy = bx - ax, by - ay
    qx, qy = cx - ax, cy - ay
    t = _clamp((qx * dx + qy * dy) / max(dx * dx + dy * dy, TINY), F32(0.0), F32(1.0))
    rx, ry = qx - t * dx, qy - t * dy
    return rx * rx + ry * ry


@njit(cache=True, nogil=True)
def fragments(a: np.ndarray, b: np.ndarray, owner: np.ndarray, inside: np.ndarray, inner: np.ndarray,
              piece_edge: np.ndarray, bx0: np.ndarray, bx1: np.ndarray, by0: np.ndarray, by1: np.ndarray,
              x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray, stride: np.ndarray, offset: np.ndarray,
              first_in: np.ndarray, end_in: np.ndarray, width: int, r0: int, height: int, every: int, band2: float,
              opposed: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                       np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fragments of every path, path-major and row-major within a path (see the module
    docstring): their canvas pixel (keyed from row ``r0``), inside flag, nearest boundary edge
    (-1 off the band) and opposed edge (-1: none), the fragments per path, and the canvas masks of
    the touched and of the band's pixels (sampling, ``every > 1``); also each fragment's pixel
    centre. The pieces (``piece_edge`` and
    the pixel ranges near each) come sorted by path; ``first_in, end_in``: per box row, the columns
    its inside pixels lie within (:func:`winding`): a row is read from its first inside or band
    pixel to its last."""
    n_paths = x0.shape[0]
    largest = 0
    tallest = 0
    for p in range(n_paths):
        largest = max(largest, (y1[p] - y0[p]) * stride[p])
        tallest = max(tallest, y1[p] - y0[p])
    band_first = np.empty(tallest, np.int64)  # a path's band columns per box row, as first_in/end_in
    band_end = np.empty(tallest, np.int64)
    # a path's band buffers over its box; every pixel is read once and reset as the fragments
    # are listed, so they start clean for the next path
    best = np.full(largest, np.inf, np.float32)
    nearest = np.full(largest, -1, np.int32)
    reached = np.zeros(largest, np.int32)
    best2 = np.full(largest, np.inf, np.float32)
    nearest2 = np.full(largest, -1, np.int32)
    cap = inside.shape[0]
    pixel = np.empty(cap, np.int64)
    px, py = np.empty(cap, np.float32), np.empty(cap, np.float32)  # the pixel's centre
    is_in = np.empty(cap, np.bool_)
    edge1 = np.empty(cap, np.int32)
    edge2 = np.empty(cap, np.int32)
    per_path = np.zeros(n_paths, np.int64)
    touched = np.zeros(width * height, np.bool_)
    on_band = np.zeros(width * height, np.bool_)
    half = every // 2
    # Every piece's pixels within the band and their squared distance to it, piece after piece and
    # row-major within one: measured once, read by both passes below; when sampling, the band's
    # pixels are marked first (a sampled fragment is kept where any path's band is).
    hits = np.empty(piece_edge.shape[0] + 1, np.int64)  # piece i's are [hits[i], hits[i + 1])
    room = 0
    for i in range(piece_edge.shape[0]):
        room += max(bx1[i] - bx0[i], 0) * max(by1[i] - by0[i], 0)
    hit_key = np.empty(room, np.int64)  # the pixel's key in its path's box scratch
    hit_d2 = np.empty(room, np.float32)
    h = 0
    for i in range(piece_edge.shape[0]):
        hits[i] = h
        e = piece_edge[i]
        p = owner[e]
        ax, ay, bx, by = a[e, 0], a[e, 1], b[e, 0], b[e, 1]
        for y in range(by0[i], by1[i]):
            cy = F32(y) + HALF
            row = (y - y0[p]) * stride[p] - x0[p]
            for x in range(bx0[i], bx1[i]):
                d2 = _distance2(F32(x) + HALF, cy, ax, ay, bx, by)
                if d2 < band2:
                    hit_key[h], hit_d2[h] = row + x, d2
                    h += 1
                    if every > 1:
                        on_band[(y - r0) * width + x] = True
    hits[piece_edge.shape[0]] = h
    n = 0
    j = 0
    row_base = 0
    for p in range(n_paths):
        first = j
        band_first[:y1[p] - y0[p]] = np.iinfo(np.int64).max
        band_end[:y1[p] - y0[p]] = 0
        while j < piece_edge.shape[0] and owner[piece_edge[j]] == p:
            j += 1
        for i in range(first, j):  # the row's band lies within its pieces' ranges
            if bx1[i] > bx0[i]:
                for y in range(by0[i], by1[i]):
                    band_first[y - y0[p]] = min(band_first[y - y0[p]], bx0[i])
                    band_end[y - y0[p]] = max(band_end[y - y0[p]], bx1[i])
        # the nearest edge of each pixel within reach (the last listed of equals), then, where
        # more than one edge reaches, the nearest of those opposed to it
        for second in (False, True):
            for i in range(first, j):
                e = piece_edge[i]
                for h in range(hits[i], hits[i + 1]):
                    k = hit_key[h]
                    d2 = hit_d2[h]
                    if not second:
                        reached[k] += 1
                        if d2 <= best[k]:
                            best[k] = d2
                            nearest[k] = e
                    elif reached[k] >= 2:
                        f = nearest[k]
                        if inner[e, 0] * inner[f, 0] + inner[e, 1] * inner[f, 1] < opposed and d2 <= best2[k]:
                            best2[k] = d2
                            nearest2[k] = e
        start = n
        xs, xe, at = x0[p], x1[p], offset[p]
        for y in range(y0[p], y1[p]):
            row = (y - y0[p]) * stride[p] - xs
            q0 = (y - r0) * width
            centres = every > 1 and (y - r0) % every == half
            r = row_base + y - y0[p]
            lo = max(xs, min(first_in[r], band_first[y - y0[p]]))
            column = (lo - half) % every  # x − half modulo every, kept by counting (a division per pixel is slow)
            cy = F32(y) + HALF
            for x in range(lo, min(xe, max(end_in[r], band_end[y - y0[p]]))):
                k = row + x
                band = nearest[k] >= 0
                covered = inside[at + k]
                centre = column == 0
                column = column + 1 if column + 1 < every else 0
                if not (band or covered):
                    continue
                q = q0 + x
                touched[q] = True
                if band or every == 1 or on_band[q] or (centres and centre):
                    pixel[n] = q
                    px[n] = F32(x) + HALF
                    py[n] = cy
                    is_in[n] = covered
                    edge1[n] = nearest[k]
                    edge2[n] = nearest2[k]
                    n += 1
                if band:
                    on_band[q] = True
                    best[k], best2[k], reached[k] = np.inf, np.inf, 0
                    nearest[k] = nearest2[k] = -1
        per_path[p] = n - start
        row_base += max(y1[p] - y0[p], 0)
    band_at = np.nonzero(edge1[:n] >= 0)[0]
    return (pixel[:n].copy(), px[:n].copy(), py[:n].copy(), is_in[:n].copy(), per_path, band_at,
            edge1[band_at].astype(np.int64), edge2[band_at].astype(np.int64), touched, on_band)


@njit(cache=True, nogil=True)
def pixel_major(pixel: np.ndarray, pixels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Path-major fragments' ``pixel`` keys (each path's distinct) → ``order`` (stable by pixel:
    back to front within a pixel), ``inverse``, the sorted keys and, per pixel-major fragment, the
    index of the backmost and frontmost fragment of its pixel: a counting sort."""
    count = pixel.shape[0]
    per_pixel = np.zeros(pixels, np.int32)  # the canvas-sized tables in 32 bits: half the memory to pass over
    for i in range(count):
        per_pixel[pixel[i]] += 1
    before = np.empty(pixels, np.int32)
    running = 0
    for q in range(pixels):
        before[q] = running
        running += per_pixel[q]
    seen = before.copy()
    order = np.empty(count, np.int64)
    inverse = np.empty(count, np.int64)
    for i in range(count):
        q = pixel[i]
        inverse[i] = seen[q]
        order[seen[q]] = i
        seen[q] += 1
    ordered = np.empty(count, np.int64)
    first = np.empty(count, np.int64)
    last = np.empty(count, np.int64)
    for k in range(count):
        q = pixel[order[k]]
        ordered[k] = q
        first[k] = before[q]
        last[k] = before[q] + per_pixel[q] - 1
    return order, inverse, ordered, first, last


@njit(cache=True, nogil=True)
def on_cubics(weights: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """The points ``(S·k, 2)`` at ``weights (k, 4)`` (Bernstein weights of k parameters) on each
    cubic of ``segments (S, 4, 2)``: each a sum of four products in control-point order, rounded
    alike on every CPU (a BLAS kernel rounds a product as the CPU it picked for does)."""
    k, count = weights.shape[0], segments.shape[0]
    out = np.empty((count * k, 2), np.float32)
    for s in range(count):
        for t in range(k):
            for d in range(2):
                v = weights[t, 0] * segments[s, 0, d]
                v += weights[t, 1] * segments[s, 1, d]
                v += weights[t, 2] * segments[s, 2, d]
                v += weights[t, 3] * segments[s, 3, d]
                out[s * k + t, d] = v
    return out


@njit(cache=True, nogil=True)
def on_cubics_backward(weights: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """:func:`on_cubics`' gradient in the control points ``(S, 4, 2)`` from the points' ``grad
    (S·k, 2)``: per control point, a sum over the k parameters in order."""
    k = weights.shape[0]
    count = grad.shape[0] // k
    out = np.empty((count, 4, 2), np.float32)
    for s in range(count):
        for j in range(4):
            for d in range(2):
                acc = F32(0.0)
                for t in range(k):
                    acc += weights[t, j] * grad[s * k + t, d]
                out[s, j, d] = acc
    return out


def warm_up() -> None:
    """Compile the loops for the argument types raster passes (or load them from the disk cache):
    one square path's structure."""
    def ints(*v):
        return np.array(v, np.int64)

    a = np.array([[1, 1], [6, 1], [6, 6], [1, 6]], np.float32)
    b = np.roll(a, -1, 0)
    owner, edges, inner = np.zeros(4, np.int64), np.arange(4, dtype=np.int64), np.zeros((4, 2), np.float32)
    box = ints(0), ints(8), ints(0), ints(8)
    inside, first, end = winding(a, b, owner, *box, ints(9), ints(0), 72)
    zero, eight = ints(0, 0, 0, 0), ints(8, 8, 8, 8)
    pixel = fragments(a, b, owner, inside, inner, edges, zero, eight, zero, eight, *box, ints(9), ints(0), first, end,
                      8, 0, 8, 2, F32(0.5), F32(-0.5))[0]
    pixel_major(pixel, 64)
    w = np.full((2, 4), 0.25, np.float32)
    on_cubics_backward(w, on_cubics(w, a.reshape(1, 4, 2)))
