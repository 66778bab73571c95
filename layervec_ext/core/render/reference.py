"""The reference renderer: dense, slow, obviously correct; the fast one is tested against it.

For each path, for every pixel centre: non-zero winding of the flattened outline (inside or not),
the distance to the nearest boundary edge, coverage = the part of the pixel box on the inner side
of that edge's line, the fill colour at
the centre; then "over" onto the image, back to front. Gradients flow through the nearest edge
(the derivative of a minimum is the derivative of its argmin), the fill and the opacity.
"""

from __future__ import annotations

import torch

from layervec_ext.core.render.common import (
    DEFAULT_K,
    MIN_AREA,
    boundary_edges,
    box_coverage,
    draw_order,
    flatten,
    gradient_t,
    paint_params,
    polygon_area,
    segment_distance2,
    segment_offset,
    shade,
    winding_at,
)
from layervec_ext.core.scene import Scene

Tensor = torch.Tensor
_CHUNK = 1 << 14  # pixels per no-grad distance chunk (bounds memory at pixels × edges)


def pixel_centres(width: int, height: int, device=None) -> Tensor:
    """``(H*W, 2)`` pixel centres ``(x + 0.5, y + 0.5)``, row-major."""
    ys, xs = torch.meshgrid(torch.arange(height, device=device, dtype=torch.float32) + 0.5,
                            torch.arange(width, device=device, dtype=torch.float32) + 0.5, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)


@torch.no_grad()
def _nearest_edge(p: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """Index of the nearest edge to each point, chunked so pixels × edges stays small."""
    out = []
    for chunk in p.split(_CHUNK):
        out.append(segment_distance2(chunk[:, None, :], a[None], b[None]).argmin(dim=1))
    return torch.cat(out)


@torch.no_grad()
def _winding(p: Tensor, a: Tensor, b: Tensor) -> Tensor:
    return torch.cat([winding_at(chunk, a, b) for chunk in p.split(_CHUNK)])


def coverage(p: Tensor, poly: Tensor) -> Tensor:
    """Anti-aliased coverage in [0, 1] of the closed polyline ``poly (M, 2)`` at points ``p``."""
    a, b = poly, torch.roll(poly, -1, dims=0)
    inside = _winding(p, a.detach(), b.detach()) != 0
    keep = boundary_edges(a.detach(), b.detach())
    if not bool(keep.any()):
        return inside.to(p.dtype)
    ka, kb = a[keep], b[keep]
    nearest = _nearest_edge(p, ka.detach(), kb.detach())
    r = segment_offset(p, ka[nearest], kb[nearest])
    d = torch.sqrt((r * r).sum(-1) + 1e-12)
    return box_coverage(torch.where(inside, d, -d), r)


def render_scene(scene: Scene, k: int = DEFAULT_K) -> Tensor:
    """Premultiplied RGBA ``(H, W, 4)`` float32, differentiable in every tensor of ``scene``."""
    h, w = scene.height, scene.width
    p = pixel_centres(w, h, scene.device)
    image = torch.zeros(h * w, 4, device=scene.device)
    for path in draw_order(scene):
        poly = flatten(path, k)
        m = poly.shape[0]
        nxt = (torch.arange(m, device=poly.device) + 1) % m
        if abs(float(polygon_area(poly.detach(), nxt, torch.zeros_like(nxt), 1))) < MIN_AREA:
            continue  # collapsed: SVG draws nothing
        cov = coverage(p, poly)
        a, origin, radial, bias, offsets, colors = paint_params(path)
        rgba = shade(gradient_t(p, a, origin, radial, bias), offsets, colors)
        alpha = rgba[:, 3] * cov
        src = torch.cat([rgba[:, :3] * alpha[:, None], alpha[:, None]], dim=1)
        image = src + (1.0 - alpha[:, None]) * image
    return image.reshape(h, w, 4)
