"""Gradient-aware segmentation: over-segment, then merge neighbours a smooth colour model explains.

Felzenszwalb's graph segmentation cuts the image into a few hundred small regions. Each region
keeps the sufficient statistics of a per-channel *quadratic* colour model (``1, x, y, x², xy, y²``
— what a linear or radial gradient looks like locally), so the squared error of the joint fit of
two regions is a 6×6 solve from summed moments. Neighbours are merged greedily in order of the
error the merge adds (Ward-style), which builds a hierarchy: cutting it at K regions gives the
partition for a coarse stage (small K) or a fine one (large K). A region whose colour varies
smoothly — a shaded sphere, a sky — stays one region, so one gradient path covers it.
"""

from __future__ import annotations

import heapq
import warnings
from collections.abc import Iterator

import cv2
import numpy as np
from scipy import ndimage

from layervec_ext.core.geometry import union_roots

_FEATURES = 6
_RIDGE = 1e-6


def _features(h: int, w: int) -> np.ndarray:
    """``(h*w, 6)`` quadratic monomials of pixel-centre coordinates normalised to about [-1, 1]."""
    s = max(h, w) / 2.0
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    x = (x + 0.5 - w / 2) / s
    y = (y + 0.5 - h / 2) / s
    x, y = x.ravel(), y.ravel()
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


class Hierarchy:
    """Initial labels plus the merge sequence; :meth:`partition` replays it down to K regions."""

    def __init__(self, labels: np.ndarray, merges: list[tuple[int, int]], shape: tuple[int, int] | None = None):
        self.labels = labels
        self.merges = merges
        self.count = int(labels.max()) + 1
        self.shape = shape or labels.shape  # the image's: labels of a smaller copy are scaled up to it

    def partition(self, regions: int) -> np.ndarray:
        """Label map (consecutive ids from 0) with at most ``max(regions, 1)`` regions."""
        todo = max(0, self.count - max(regions, 1))
        roots = np.array(union_roots(self.count, self.merges[:todo]))
        _, compact = np.unique(roots, return_inverse=True)
        labels = self.labels
        if labels.shape != self.shape:  # nearest: each pixel takes the label of the copy's pixel it lies in
            rows = np.arange(self.shape[0]) * labels.shape[0] // self.shape[0]
            cols = np.arange(self.shape[1]) * labels.shape[1] // self.shape[1]
            labels = labels[rows[:, None], cols[None, :]]
        return compact[labels]


def oversegment(target: np.ndarray, scale: float = 60.0, min_size: int = 6) -> np.ndarray:
    """Felzenszwalb over-segmentation of premultiplied RGBA ``(h, w, 4)`` floats in [0, 1]."""
    from skimage.segmentation import felzenszwalb

    h, w = target.shape[:2]
    if h * w < 4:
        return np.zeros((h, w), dtype=np.int64)
    img = target * 255.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "third dimension of 4": RGBA is what we mean
        labels = felzenszwalb(img, scale=scale, sigma=0.5, min_size=min_size, channel_axis=-1)
    # felzenszwalb segments are connected, but make sure (one contour per region later)
    _, labels = np.unique(labels, return_inverse=True)
    return labels.reshape(h, w).astype(np.int64)


def _sse(gram: np.ndarray, rhs: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """Residuals of K least-squares quadratic fits from their normal equations: ``gram (K, 6, 6)``,
    ``rhs (K, 6, C)``, ``energy (K,)``. Batched: one 6×6 solve costs far less than a numpy call."""
    sol = np.linalg.solve(gram + _RIDGE * np.eye(_FEATURES), rhs)
    return np.maximum(0.0, energy - np.sum(sol * rhs, axis=(1, 2)))


def _adjacent_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    pairs = set()
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])):
        diff = a != b
        lo = np.minimum(a[diff], b[diff])
        hi = np.maximum(a[diff], b[diff])
        pairs.update(zip(lo.tolist(), hi.tolist()))
    return pairs


def _moments(target: np.ndarray, labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per region: the normal equations' ``gram (n, 6, 6)`` and ``rhs (n, 6, C)`` of its quadratic
    colour fit and its colours' energy ``(n,)``. One ``bincount`` per entry: a pixel-by-entry
    temporary (``(h·w, 6, 6)`` floats) would be 290 MB at 1024² and ``np.add.at`` seconds."""
    h, w = target.shape[:2]
    feats = _features(h, w)
    colors = target.reshape(-1, target.shape[2]).astype(np.float64)
    flat = labels.ravel()
    gram = np.zeros((n, _FEATURES, _FEATURES))
    rhs = np.zeros((n, _FEATURES, colors.shape[1]))
    for i in range(_FEATURES):
        for j in range(i, _FEATURES):
            gram[:, i, j] = gram[:, j, i] = np.bincount(flat, weights=feats[:, i] * feats[:, j], minlength=n)
        for c in range(colors.shape[1]):
            rhs[:, i, c] = np.bincount(flat, weights=feats[:, i] * colors[:, c], minlength=n)
    energy = np.bincount(flat, weights=np.sum(colors**2, axis=1), minlength=n)
    return gram, rhs, energy


def build_hierarchy(target: np.ndarray, scale: float = 60.0, most: int | None = None) -> Hierarchy:
    """Over-segment ``target`` and merge neighbours cheapest-first until one region remains. With
    ``most``, on a copy of the image brought within that long side (area filter; cost grows with
    the pixels, and the stages' proposals are scored on a coarser grid anyway); the partitions come
    at the image's size."""
    shape = target.shape[:2]
    if most is not None and max(shape) > most:
        f = most / max(shape)
        size = (max(1, round(shape[1] * f)), max(1, round(shape[0] * f)))
        target = cv2.resize(target, size, interpolation=cv2.INTER_AREA)
    h, w = target.shape[:2]
    labels = oversegment(target, scale=scale)
    n = int(labels.max()) + 1
    gram, rhs, energy = _moments(target, labels, n)
    sse = _sse(gram, rhs, energy)
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for a, b in _adjacent_pairs(labels):
        neighbours[a].add(b)
        neighbours[b].add(a)

    def costs(a: np.ndarray, b: np.ndarray) -> list[float]:
        """What merging each pair (a[i], b[i]) adds to the squared error."""
        return (_sse(gram[a] + gram[b], rhs[a] + rhs[b], energy[a] + energy[b]) - sse[a] - sse[b]).tolist()

    pairs = np.array(sorted((a, b) for a in range(n) for b in neighbours[a] if a < b), dtype=np.int64).reshape(-1, 2)
    heap = list(zip(costs(pairs[:, 0], pairs[:, 1]), pairs[:, 0].tolist(), pairs[:, 1].tolist()))
    heapq.heapify(heap)
    alive = np.ones(n, dtype=bool)
    merges: list[tuple[int, int]] = []
    while heap:
        c, a, b = heapq.heappop(heap)
        if not (alive[a] and alive[b]) or b not in neighbours[a]:
            continue
        # a absorbs b
        gram[a] += gram[b]
        rhs[a] += rhs[b]
        energy[a] += energy[b]
        sse[a] = sse[a] + sse[b] + c
        alive[b] = False
        merges.append((a, b))
        nb = (neighbours[a] | neighbours[b]) - {a, b}
        for m in neighbours[b]:
            neighbours[m].discard(b)
        neighbours[a] = nb
        if not nb:
            continue
        others = sorted(nb)
        for m in others:
            neighbours[m].add(a)
        lo = [min(a, m) for m in others]
        hi = [max(a, m) for m in others]
        for c_new, i, j in zip(costs(np.array(lo), np.array(hi)), lo, hi):
            heapq.heappush(heap, (c_new, i, j))
    if n > 1 and len(merges) < n - 1:
        # disconnected pieces (never on a grid, but stay total): join the rest in label order
        roots = [i for i in range(n) if alive[i]]
        merges += [(roots[0], r) for r in roots[1:]]
    return Hierarchy(labels, merges, shape)


def regions(labels: np.ndarray) -> Iterator[tuple[int, tuple[slice, slice], np.ndarray]]:
    """Per region: id, bounding-box slices and its mask inside the box."""
    for i, box in enumerate(ndimage.find_objects(labels + 1)):
        if box is not None:
            yield i, box, labels[box] == i

