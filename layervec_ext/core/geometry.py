"""Small algorithms several stages need, one copy each: the shoelace area of a polygon, union-find
over index pairs, a polygon or a rectangle as straight cubics, and whether (and where) a closed
outline crosses itself."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt
    import torch


def edge_cross(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """``a × b`` of each edge ``a → b`` (``(E, 2)`` numpy arrays or torch tensors): the shoelace
    terms, summing to twice the signed area of the closed polylines the edges make up."""
    return a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]


def signed_area(points: np.ndarray | torch.Tensor) -> np.floating | torch.Tensor:
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


def polygon_cubics(corners: npt.ArrayLike) -> np.ndarray:
    """A closed polygon through ``corners (N, 2)`` as N straight cubics (controls at thirds), in the
    scene's point layout ``(3N, 2)``."""
    corners = np.asarray(corners, dtype=np.float64)
    out = []
    for a, b in zip(corners, np.roll(corners, -1, axis=0)):
        out += [a, a + (b - a) / 3, a + 2 * (b - a) / 3]
    return np.asarray(out)


def rectangle_cubics(x0: float, y0: float, x1: float, y1: float, segments: int = 4) -> np.ndarray:
    """An axis-aligned rectangle as straight cubics, ``segments`` ≥ 4 split evenly on its sides."""
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    per_side = [max(1, segments // 4 + (1 if i < segments % 4 else 0)) for i in range(4)]
    return polygon_cubics([a + (b - a) * j / k
                           for i, k in enumerate(per_side)
                           for a, b in [(corners[i], corners[(i + 1) % 4])]
                           for j in range(k)])


# Line segments per cubic when flattening an outline for the crossing test.
FLATTEN = 16


def flatten(points: np.ndarray, k: int = FLATTEN, compiled: bool | None = None) -> np.ndarray:
    """A closed path's points ``(3*S, 2)`` (scene layout) as a closed polyline ``(S*k, 2)``.
    ``compiled``: as :func:`crossings` (float64 points; the same polyline)."""
    loops = compiled_loops() if compiled is not False and getattr(points, "dtype", None) == np.float64 else None
    if loops is not None and len(points) >= 3 and len(points) % 3 == 0:
        return loops.flatten(np.ascontiguousarray(points), k)
    p0, c1, c2 = points[0::3], points[1::3], points[2::3]
    p3 = np.roll(p0, -1, axis=0)
    t = (np.arange(k) / k)[None, :, None]
    curve = ((1 - t) ** 3 * p0[:, None] + 3 * (1 - t) ** 2 * t * c1[:, None] + 3 * (1 - t) * t**2 * c2[:, None]
             + t**3 * p3[:, None])
    return curve.reshape(-1, 2)


@lru_cache(maxsize=64)
def _pair_mask(n: int) -> np.ndarray:
    """``(n, n)`` bool: the pairs of :func:`edge_pairs` (read-only)."""
    mask = np.zeros((n, n), dtype=bool)
    mask[edge_pairs(n)] = True
    mask.flags.writeable = False
    return mask


@lru_cache(maxsize=64)
def edge_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``i < j`` of edges of a closed ``n``-gon that share no vertex (read-only)."""
    i, j = np.triu_indices(n, k=2)
    keep = ~((i == 0) & (j == n - 1))  # the first and last edges share a vertex
    i, j = i[keep], j[keep]
    i.flags.writeable = j.flags.writeable = False
    return i, j


def crossings(poly: np.ndarray, eps: float = 1e-9, compiled: bool | None = None) -> np.ndarray:
    """Pairs of non-adjacent edges of the closed polyline ``poly (N, 2)`` (edge ``e`` runs from
    vertex ``e`` to ``e + 1``) that cross or touch, exactly for straight edges (the signs of the four
    orientation tests, and an end on the other edge): ``(M, 4)`` rows ``i, j, u, v`` with ``i < j``
    and the crossing at fraction ``u`` along edge ``i`` and ``v`` along edge ``j``. ``compiled``: by
    :mod:`~layervec_ext.core.compiled_geometry`'s loop (``None``: when numba is there; the same
    rows) or by numpy."""
    a = np.ascontiguousarray(poly, dtype=np.float64)
    loops = compiled_loops() if compiled is not False else None
    if loops is not None:
        return loops.crossings(a, eps)
    n = len(a)
    if n < 4:
        return np.zeros((0, 4))
    b = np.roll(a, -1, axis=0)
    lo, hi = np.minimum(a, b), np.maximum(a, b)

    def orient(p, q, r):
        return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])

    # boxes first: only edges whose boxes overlap can meet (an n × n table: cheaper than
    # gathering both boxes of every pair; np.nonzero keeps edge_pairs' row-major order)
    below = np.all(lo[:, None] <= hi[None] + eps, axis=2)
    i, j = np.nonzero(below & below.T & _pair_mask(n))
    a1, b1, a2, b2 = a[i], b[i], a[j], b[j]
    d1, d2 = orient(a2, b2, a1), orient(a2, b2, b1)
    d3, d4 = orient(a1, b1, a2), orient(a1, b1, b2)
    proper = (d1 * d2 < -eps) & (d3 * d4 < -eps)

    def on(p, q, r, d):  # r on segment p–q (collinear and inside its box): a touch is a crossing too
        lo, hi = np.minimum(p, q) - eps, np.maximum(p, q) + eps
        return (np.abs(d) <= eps) & np.all((r >= lo) & (r <= hi), axis=-1)

    touch = on(a2, b2, a1, d1) | on(a2, b2, b1, d2) | on(a1, b1, a2, d3) | on(a1, b1, b2, d4)
    hit = proper | touch
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.clip(np.nan_to_num(d1 / (d1 - d2), nan=0.5, posinf=0.5, neginf=0.5), 0.0, 1.0)
        v = np.clip(np.nan_to_num(d3 / (d3 - d4), nan=0.5, posinf=0.5, neginf=0.5), 0.0, 1.0)
    return np.stack([i[hit], j[hit], u[hit], v[hit]], axis=1).astype(np.float64)


def compiled_loops() -> ModuleType | None:
    """:mod:`~layervec_ext.core.compiled_geometry`, or None where it cannot run (numba missing, as
    in Inkscape's Python): the numpy versions then run."""
    from layervec_ext.core.jit import loops

    return loops("layervec_ext.core.compiled_geometry")


def self_intersects(poly: np.ndarray, eps: float = 1e-9) -> bool:
    """Whether two non-adjacent edges of the closed polyline cross or touch (exact for straight
    edges: see :func:`crossings`)."""
    return bool(len(crossings(poly, eps)))
