"""Two small algorithms several stages need, one copy each: the shoelace area of a polygon and
union-find over index pairs."""

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
