"""Initialising a path from a region: its outline as S cubics, its fill by least squares.

Everything here is numpy/OpenCV on the working image (pixel centres at ``i + 0.5``); the result is
a typed fit per fill kind (:class:`FlatFit`, :class:`LinearFit`, :class:`RadialFit`) of plain
arrays, which becomes a scene fill with ``to_fill``. Starting each path from its region
(rather than LIVE's 5-px circle) is what lets the optimiser converge in tens of steps.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Union

import cv2
import numpy as np
import torch

from layervec_ext.core.geometry import signed_area
from layervec_ext.core.scene import Fill, FlatFill, LinearGradient, RadialGradient

# Stops per gradient: three hat functions (0, ½, 1) fit a light→mid→dark ramp well and keep SVGs short.
GRADIENT_STOPS = 3


class _Fit:
    """What every fitted fill has: the scene fill's fields (same names), and ``sse``, the squared
    error on the pixels it was fitted to."""

    kind: ClassVar[str]
    scene_fill: ClassVar[type]

    def fields(self) -> dict[str, np.ndarray | float]:
        """The fill's values by the scene fill's field names (``sse`` left out)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "sse"}

    def to_fill(self, device: torch.device | str | None = None) -> Fill:
        """The scene fill (float32 tensors on ``device``) the optimiser starts from."""
        return self.scene_fill(**{k: torch.as_tensor(v, dtype=torch.float32, device=device)
                                  for k, v in self.fields().items()})

    def as_kind(self, kind: str, xy: np.ndarray) -> FillFit:
        """This fill as one of ``kind`` where the optimiser needs that kind; only a flat fill
        changes (see :meth:`FlatFit.as_kind`)."""
        return self


@dataclass(frozen=True, eq=False)
class FlatFit(_Fit):
    """One straight-RGBA colour ``(4,)``."""

    color: np.ndarray
    sse: float

    kind: ClassVar[str] = "flat"
    scene_fill: ClassVar[type] = FlatFill

    def as_kind(self, kind: str, xy: np.ndarray) -> FillFit:
        """The same colour as a gradient of ``kind`` (two equal stops) over the box of the pixels
        ``xy (n, 2)``, so that an optimiser of gradients can shade it; flat stays flat."""
        if kind == "flat":
            return self
        colors = np.stack([self.color, self.color])
        lo, hi = xy.min(0), xy.max(0)
        centre = (lo + hi) / 2
        offsets = np.array([0.0, 1.0])
        if kind == "radial":
            return RadialFit(centre, np.maximum((hi - lo) / 2, 1.0), 0.0, offsets, colors, self.sse)
        return LinearFit(np.array([lo[0], centre[1]]), np.array([max(hi[0], lo[0] + 1), centre[1]]), offsets,
                         colors, self.sse)


@dataclass(frozen=True, eq=False)
class LinearFit(_Fit):
    """Stops ``offsets (N,)``, straight ``colors (N, 4)`` along ``start → end`` (``(2,)`` each)."""

    start: np.ndarray
    end: np.ndarray
    offsets: np.ndarray
    colors: np.ndarray
    sse: float

    kind: ClassVar[str] = "linear"
    scene_fill: ClassVar[type] = LinearGradient


@dataclass(frozen=True, eq=False)
class RadialFit(_Fit):
    """Elliptical stops around ``center (2,)``: semi-axes ``radius (2,)`` turned by ``angle``
    radians (as :class:`~layervec_ext.core.scene.RadialGradient`)."""

    center: np.ndarray
    radius: np.ndarray
    angle: float
    offsets: np.ndarray
    colors: np.ndarray
    sse: float

    kind: ClassVar[str] = "radial"
    scene_fill: ClassVar[type] = RadialGradient


FillFit = Union[FlatFit, LinearFit, RadialFit]


# --------------------------------------------------------------------------- outlines

def outer_contour(mask: np.ndarray) -> np.ndarray | None:
    """The largest outer boundary of ``mask`` as a closed polyline ``(N, 2)`` on pixel *edges*
    (boundary pixel centres pushed out by half a pixel), counter-clockwise in image axes."""
    m = mask.astype(np.uint8)
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    c = max(contours, key=cv2.contourArea)[:, 0, :].astype(np.float64) + 0.5
    if len(c) < 3:
        x, y = c.mean(0)
        return np.array([[x - 0.5, y - 0.5], [x + 0.5, y - 0.5], [x + 0.5, y + 0.5], [x - 0.5, y + 0.5]])
    return _offset(c, 0.5)


def _offset(c: np.ndarray, dist: float) -> np.ndarray:
    """Move every vertex ``dist`` px along the outward normal (from a smoothed tangent)."""
    tang = np.roll(c, -2, axis=0) - np.roll(c, 2, axis=0)
    tang /= np.maximum(np.linalg.norm(tang, axis=1, keepdims=True), 1e-9)
    normal = np.stack([tang[:, 1], -tang[:, 0]], axis=1)
    if signed_area(c) < 0:
        normal = -normal
    return c + dist * normal


def _resample(c: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Closed polyline → ``n`` points equally spaced by arc length, and their arc positions."""
    closed = np.vstack([c, c[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    total = s[-1]
    u = np.linspace(0.0, total, n, endpoint=False)
    x = np.interp(u, s, closed[:, 0])
    y = np.interp(u, s, closed[:, 1])
    return np.stack([x, y], axis=1), u / max(total, 1e-9)


def _fit_cubic(q: np.ndarray, p0: np.ndarray, p3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares inner control points of one cubic through ``p0 … p3`` for samples ``q`` (chord-length t)."""
    pts = np.vstack([p0, q, p3])
    d = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    if d[-1] < 1e-9 or len(q) == 0:
        return p0 + (p3 - p0) / 3, p0 + 2 * (p3 - p0) / 3
    t = d / d[-1]
    b0, b1, b2, b3 = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    rhs = pts - np.outer(b0, p0) - np.outer(b3, p3)
    a = np.stack([b1, b2], axis=1)
    sol, *_ = np.linalg.lstsq(a.T @ a + 1e-6 * np.eye(2), a.T @ rhs, rcond=None)
    return sol[0], sol[1]


def contour_to_cubics(c: np.ndarray, segments: int) -> np.ndarray:
    """A closed polyline as ``segments`` cubics in the scene layout ``(3*S, 2)``.

    Split points are equally spaced by arc length, starting at the sharpest corner so that a
    corner lands on a node; each cubic's handles are fitted by least squares to the samples.
    """
    return _contour_fit(c, segments)[0]


def contour_fit_error(c: np.ndarray, segments: int) -> float:
    """About the area (px²) between the outline and its fit with ``segments`` cubics — the pixels
    the fit would paint wrong, what one more segment would still have to explain."""
    return _contour_fit(c, segments)[1]


def share_segments(contours: list[np.ndarray], budget: int, least: int, most: int) -> list[int]:
    """Cubic segments per outline, ``budget`` in all (each gets ``least`` to ``most``): every
    next segment goes where it removes the most fit error, so a complex silhouette gets many and
    an ellipse few."""
    n = len(contours)
    if n == 0:
        return []
    if least * n >= budget:
        return [least] * n
    counts = [least] * n
    errors = [{least: contour_fit_error(c, least)} for c in contours]
    steps = (1, 2, 4)  # a closed curve often needs segments in pairs: look a few ahead

    def gain(i: int) -> tuple[float, int]:
        best = (0.0, 1)
        for k in steps:
            s = counts[i] + k
            if s > most or sum(counts) + k > budget:
                break
            if s not in errors[i]:
                errors[i][s] = contour_fit_error(contours[i], s)
            best = max(best, ((errors[i][counts[i]] - errors[i][s]) / k, k))
        return best

    gains = [gain(i) for i in range(n)]
    while sum(counts) < budget:
        i = max(range(n), key=lambda j: gains[j][0])
        if gains[i][0] <= 0.0:
            break
        if sum(counts) + gains[i][1] > budget:  # scored when more of the budget was left
            gains[i] = gain(i)
            continue
        counts[i] += gains[i][1]
        gains[i] = gain(i)
    left = budget - sum(counts)  # error-free outlines: spread what is left evenly, up to ``most``
    for i in sorted(range(n), key=lambda j: counts[j]):
        extra = max(0, min(left, most - counts[i], budget // n - counts[i]))
        counts[i] += extra
        left -= extra
    return counts


def _contour_fit(c: np.ndarray, segments: int) -> tuple[np.ndarray, float]:
    dense, _ = _resample(c, max(16 * segments, 64))
    n = len(dense)
    v1 = dense - np.roll(dense, 3, axis=0)
    v2 = np.roll(dense, -3, axis=0) - dense
    cos = np.sum(v1 * v2, axis=1) / np.maximum(np.linalg.norm(v1, axis=1) * np.linalg.norm(v2, axis=1), 1e-9)
    start = int(np.argmin(cos))
    dense = np.roll(dense, -start, axis=0)
    idx = [round(i * n / segments) for i in range(segments)] + [n]
    out = []
    error = 0.0
    for i in range(segments):
        a, b = idx[i], idx[i + 1]
        p0 = dense[a]
        p3 = dense[b % n]
        q = dense[a + 1:b]
        c1, c2 = _fit_cubic(q, p0, p3)
        out += [p0, c1, c2]
        error += _cubic_error(q, p0, c1, c2, p3)
    length = float(np.sum(np.linalg.norm(np.diff(np.vstack([dense, dense[:1]]), axis=0), axis=1)))
    return np.asarray(out), error * length / n  # per sample → per pixel of outline


def _cubic_error(q: np.ndarray, p0, c1, c2, p3) -> float:
    """Summed distance of samples ``q`` to the cubic at their chord-length parameters."""
    if len(q) == 0:
        return 0.0
    pts = np.vstack([p0, q, p3])
    d = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    t = (d / max(d[-1], 1e-9))[1:-1, None]
    curve = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * c1 + 3 * (1 - t) * t**2 * c2 + t**3 * p3
    return float(np.sum(np.linalg.norm(curve - q, axis=1)))


# --------------------------------------------------------------------------- fills

def _hat_basis(t: np.ndarray, stops: int) -> np.ndarray:
    """Piecewise-linear interpolation weights ``(n, stops)`` at evenly spaced offsets (pad outside)."""
    t = np.clip(t, 0.0, 1.0) * (stops - 1)
    i = np.minimum(np.floor(t).astype(int), stops - 2)
    f = t - i
    basis = np.zeros((len(t), stops))
    rows = np.arange(len(t))
    basis[rows, i] = 1 - f
    basis[rows, i + 1] = f
    return basis


def _fit_stops(t: np.ndarray, colors: np.ndarray, stops: int) -> tuple[np.ndarray, float]:
    """Least-squares stop colours ``(stops, 4)`` for premultiplied pixel colours along ``t``."""
    basis = _hat_basis(t, stops)
    gram = basis.T @ basis + 1e-3 * np.eye(stops)
    sol = np.linalg.solve(gram, basis.T @ colors)
    sol = np.clip(sol, 0.0, 1.0)
    sse = float(np.sum((basis @ sol - colors) ** 2))
    return sol, sse


def _straight(premul: np.ndarray) -> np.ndarray:
    """Premultiplied stop colours → straight RGBA (what SVG stops hold)."""
    a = premul[:, 3:4]
    rgb = np.where(a > 1e-4, premul[:, :3] / np.maximum(a, 1e-4), 0.0)
    return np.clip(np.concatenate([rgb, a], axis=1), 0.0, 1.0)


def fit_flat(colors: np.ndarray) -> FlatFit:
    mean = colors.mean(0)
    sse = float(np.sum((colors - mean) ** 2))
    return FlatFit(_straight(mean[None])[0], sse)


def fit_linear(xy: np.ndarray, colors: np.ndarray, stops: int = GRADIENT_STOPS) -> LinearFit | FlatFit:
    """Direction from the colour's least-squares slope over the region, stops along it."""
    centre = xy.mean(0)
    d = xy - centre
    design = np.hstack([np.ones((len(xy), 1)), d])
    coef, *_ = np.linalg.lstsq(design, colors, rcond=None)
    slope = coef[1:].T  # (4, 2): d colour / d position
    _, _, vt = np.linalg.svd(slope)
    direction = vt[0]
    s = d @ direction
    lo, hi = float(s.min()), float(s.max())
    if hi - lo < 1.0:
        return fit_flat(colors)
    t = (s - lo) / (hi - lo)
    sol, sse = _fit_stops(t, colors, stops)
    return LinearFit(centre + lo * direction, centre + hi * direction, np.linspace(0, 1, stops), _straight(sol), sse)


def _radial_t(xy: np.ndarray, centre: np.ndarray, axes: np.ndarray, radii: np.ndarray) -> np.ndarray:
    u = (xy - centre) @ axes  # coordinates along the ellipse axes
    return np.sqrt(np.sum((u / radii) ** 2, axis=1))


def fit_radial(xy: np.ndarray, colors: np.ndarray, stops: int = GRADIENT_STOPS) -> RadialFit | FlatFit:
    """Ellipse shape from the region's second moments; centre chosen among the centroid and the
    stationary point of a quadratic fit of luminance (where a highlight or shadow sits); stops by
    least squares. Radii are scaled so the farthest region pixel sits at t = 1."""
    centroid = xy.mean(0)
    d = xy - centroid
    cov = d.T @ d / max(len(xy) - 1, 1) + 0.25 * np.eye(2)
    evals, evecs = np.linalg.eigh(cov)
    shape = np.sqrt(np.maximum(evals, 1e-6))
    candidates = [centroid]
    lum = colors[:, :3].mean(1)
    if len(xy) >= 12:
        x, y = d[:, 0], d[:, 1]
        design = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)
        c, *_ = np.linalg.lstsq(design, lum, rcond=None)
        hess = np.array([[2 * c[3], c[4]], [c[4], 2 * c[5]]])
        if abs(np.linalg.det(hess)) > 1e-12:
            stat = centroid + np.linalg.solve(hess, -c[1:3])
            lo, hi = xy.min(0), xy.max(0)
            candidates.append(np.clip(stat, lo, hi))
        # the brightest and darkest pixels are natural centres for highlights/shadows
        candidates.append(xy[int(np.argmax(lum))])
        candidates.append(xy[int(np.argmin(lum))])
    best: RadialFit | None = None
    for centre in candidates:
        t = _radial_t(xy, centre, evecs, shape)
        scale = float(t.max())
        if scale < 1e-6:
            continue
        sol, sse = _fit_stops(t / scale, colors, stops)
        if best is None or sse < best.sse:
            angle = float(np.arctan2(evecs[1, 0], evecs[0, 0]))
            best = RadialFit(np.asarray(centre, dtype=np.float64), shape * scale, angle, np.linspace(0, 1, stops),
                             _straight(sol), sse)
    return best if best is not None else fit_flat(colors)


def fit_fill(kind: str, xy: np.ndarray, colors: np.ndarray, stops: int = GRADIENT_STOPS) -> FillFit:
    """The fill of ``kind`` (radial/linear/flat) that best explains premultiplied ``colors`` at ``xy``."""
    if len(xy) < 6 or kind == "flat":
        return fit_flat(colors)
    return fit_radial(xy, colors, stops) if kind == "radial" else fit_linear(xy, colors, stops)
