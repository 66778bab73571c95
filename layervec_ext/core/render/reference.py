"""The reference renderer: dense, slow, obviously correct; the fast one is tested against it.

For each path, for every pixel centre: non-zero winding of the flattened outline (inside or not),
the distance to the nearest boundary edge, coverage = the part of the pixel box on the inner side
of that edge's line (with a second, opposed edge for features thinner than a pixel), the fill
colour at the centre; then "over" onto the image, back to front. Gradients flow through the nearest edge
(the derivative of a minimum is the derivative of its argmin), the fill and the opacity.
"""

from __future__ import annotations

import torch

from layervec_ext.core.exact import sqrt
from layervec_ext.core.render.common import (
    BAND,
    MIN_AREA,
    OPPOSED,
    boundary_edges,
    box_coverage,
    chords,
    draw_order,
    flatten,
    inner_normals,
    over_background,
    paint_at,
    paint_params,
    polygon_area,
    segment_distance2,
    segment_offset,
    two_edge_coverage,
    winding_at,
)
from layervec_ext.core.scene import Scene

Tensor = torch.Tensor
_CHUNK = 1 << 14  # pixels per no-grad distance chunk (bounds memory at pixels × edges)


def pixel_centres(width: int, height: int, device: torch.device | str | None = None) -> Tensor:
    """``(H*W, 2)`` pixel centres ``(x + 0.5, y + 0.5)``, row-major."""
    ys, xs = torch.meshgrid(torch.arange(height, device=device, dtype=torch.float32) + 0.5,
                            torch.arange(width, device=device, dtype=torch.float32) + 0.5, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)


@torch.no_grad()
def _nearest_edges(p: Tensor, a: Tensor, b: Tensor, inner: Tensor) -> tuple[Tensor, Tensor]:
    """Per point: the nearest edge, and the nearest edge opposed to it within the band (-1 if
    none); chunked so points × edges stays small."""
    first, second = [], []
    for chunk in p.split(_CHUNK):
        d2 = segment_distance2(chunk[:, None, :], a[None], b[None])
        e1 = d2.argmin(dim=1)
        opposed = (inner[e1] @ inner.t()) < OPPOSED
        d2 = torch.where(opposed & (d2 < BAND * BAND), d2, torch.full_like(d2, float("inf")))
        best, e2 = d2.min(dim=1)
        first.append(e1)
        second.append(torch.where(torch.isfinite(best), e2, torch.full_like(e2, -1)))
    return torch.cat(first), torch.cat(second)


@torch.no_grad()
def _winding(p: Tensor, a: Tensor, b: Tensor) -> Tensor:
    return torch.cat([winding_at(chunk, a, b) for chunk in p.split(_CHUNK)])


def coverage(p: Tensor, poly: Tensor, orientation: Tensor) -> Tensor:
    """Anti-aliased coverage in [0, 1] of the closed polyline ``poly (M, 2)`` at points ``p``;
    ``orientation``: the sign of its area (which side of an edge is inside)."""
    a, b = poly, torch.roll(poly, -1, dims=0)
    inside = _winding(p, a.detach(), b.detach()) != 0
    keep = boundary_edges(a.detach(), b.detach())
    if not bool(keep.any()):
        return inside.to(p.dtype)
    ka, kb = a[keep], b[keep]
    inner = inner_normals(ka.detach(), kb.detach(), orientation)
    e1, e2 = _nearest_edges(p, ka.detach(), kb.detach(), inner)
    r1 = segment_offset(p, ka[e1], kb[e1])
    d1 = sqrt((r1 * r1).sum(-1) + 1e-12)
    sd1 = torch.where(inside, d1, -d1)
    cov = box_coverage(sd1, r1)
    two = torch.nonzero(e2 >= 0).squeeze(1)
    if two.numel():
        f, g = e1[two], e2[two]
        r2 = segment_offset(p[two], ka[g], kb[g])
        cov = cov.scatter(0, two, two_edge_coverage(sd1[two], r1[two], inner[f], r2, inner[g]))
    return cov


def render_scene(scene: Scene, k: int | None = None) -> Tensor:
    """Premultiplied RGBA ``(H, W, 4)`` float32, differentiable in every tensor of ``scene``; ``k``
    segments per cubic (default: :func:`~layervec_ext.core.render.common.chords` of the canvas)."""
    h, w = scene.height, scene.width
    k = k or chords(w, h)
    p = pixel_centres(w, h, scene.device)
    image = torch.zeros(h * w, 4, device=scene.device)
    for path in draw_order(scene):
        poly = flatten(path, k)
        m = poly.shape[0]
        nxt = (torch.arange(m, device=poly.device) + 1) % m
        area = polygon_area(poly.detach(), nxt, torch.zeros_like(nxt), 1)
        if abs(float(area)) < MIN_AREA:
            continue  # collapsed: SVG draws nothing
        cov = coverage(p, poly, torch.sign(area))
        rgba = paint_at(p, paint_params(path))
        alpha = rgba[:, 3] * cov
        src = torch.cat([rgba[:, :3] * alpha[:, None], alpha[:, None]], dim=1)
        image = src + (1.0 - alpha[:, None]) * image
    return over_background(image.reshape(h, w, 4), None if scene.background is None else scene.background.color)
