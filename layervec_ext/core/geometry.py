"""Small algorithms several stages need, one copy each: the shoelace area of a polygon, union-find
over index pairs, and a rectangle as cubics."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def edge_cross(a, b):
    """``a × b`` of each edge ``a → b`` (``(E, 2)`` numpy arrays or torch tensors): the shoelace
    terms, summing to twice the signed area of the closed polylines the edges make up."""
    return a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]


def signed_area(points):
    """Shoelace area of the closed polygon ``points (N, 2)`` (the last vertex joins the first):
    positive counter-clockwise in math axes. A numpy array or a torch tensor, on any device; a 0-d
    one of the same kind comes back."""
    nxt = np.r_[1:len(points), 0]
    return 0.5 * edge_cross(points, points[nxt]).sum()


def union_roots(count: int, pairs: Iterable[tuple[int, int]]) -> list[int]:
    """Union-find over ``0..count-1``: for each pair ``(a, b)`` b's set joins a's (a's root stays the
    root); returns every item's root. Path halving keeps the trees flat."""
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[find(int(b))] = find(int(a))
    return [find(i) for i in range(count)]


def rectangle_cubics(x0: float, y0: float, x1: float, y1: float, segments: int = 4) -> np.ndarray:
    """An axis-aligned rectangle as straight cubics (controls at thirds), ``segments`` ≥ 4 split on its sides."""
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    per_side = [segments // 4 + (1 if i < segments % 4 else 0) for i in range(4)]
    per_side = [max(1, k) for k in per_side]
    out = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        k = per_side[i]
        for j in range(k):
            p0 = a + (b - a) * j / k
            p3 = a + (b - a) * (j + 1) / k
            out += [p0, p0 + (p3 - p0) / 3, p0 + 2 * (p3 - p0) / 3]
    return np.asarray(out)
