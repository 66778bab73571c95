"""What each path is worth: the squared error the picture gains without it, for every path at once.

Leave-one-out by rendering the scene once per path costs paths × a render. From one render's
fragments the same answer is exact and costs about one render: within a pixel, with ``B`` the
premultiplied composite of everything behind fragment ``k`` (the canvas under the scene
included), ``T`` the transmittance of everything in front of it and ``α``, ``c`` its alpha and
straight colour, the pixel without ``k`` is ``C − T·α·([c, 1] − B)``. ``B`` comes from one pass
over the fragments by depth (back to front), a few vector operations per depth level.
"""

from __future__ import annotations

import torch

from layervec_ext.core.render.common import over_background
from layervec_ext.core.render.fused import _composite, shade
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.render.raster import build_structure, flatten_all, fragment_coverage, paint_inputs, strips

Tensor = torch.Tensor


@torch.no_grad()
def removal_errors(packed: PackedScene, target: Tensor, under: Tensor | None = None, every: int = 1
                   ) -> tuple[Tensor, Tensor]:
    """Premultiplied RGBA image ``(H, W, 4)`` of ``packed`` over ``under`` (premultiplied, or
    nothing) over the packed scene's background, and per drawn path (draw order, ``(P,)``) how
    much the summed squared error against ``target (H, W, 4)`` grows when that path alone is left
    out (negative: the picture is better without it). ``every > 1``: the errors estimated from the
    pixels :func:`~layervec_ext.core.render.raster.render_packed_sampled` draws (each standing for
    its share), and the image right on those pixels only. A big canvas is worked through in strips
    of rows (:func:`~layervec_ext.core.render.raster.strips`): the errors add up over them."""
    h, w = packed.height, packed.width
    dev = packed.points.device
    base = under.reshape(h, w, 4) if under is not None else torch.zeros(h, w, 4, device=dev)
    base = over_background(base, packed.background)  # the scene's background under everything
    if packed.num_paths == 0:
        return base, torch.zeros(0, device=dev)
    verts, nxt, owner = flatten_all(packed)
    parts = [_strip_errors(packed, verts, nxt, owner, target[r0:r1], base[r0:r1], (r0, r1), every)
             for r0, r1 in strips(w, h, every)]
    if len(parts) == 1:
        return parts[0]
    return torch.cat([p for p, _ in parts]), torch.stack([e for _, e in parts]).sum(0)


def _strip_errors(packed: PackedScene, verts: Tensor, nxt: Tensor, owner: Tensor, target: Tensor, base: Tensor,
                  rows: tuple[int, int], every: int) -> tuple[Tensor, Tensor]:
    """:func:`removal_errors` on the canvas rows ``rows``: their picture and each path's gain there."""
    h, w = rows[1] - rows[0], packed.width
    dev = verts.device
    base = base.reshape(-1, 4).t()
    s = build_structure(verts, nxt, owner, packed.num_paths, w, packed.height, every, rows)
    table, cov, frags = paint_inputs(s, packed, fragment_coverage(s, verts, nxt))
    *_, rgba, alpha, _ = shade(table, cov, frags)
    color, a, trans, weight, image = _composite(rgba[:3], alpha, frags)
    base = base.to(image.dtype)
    total_t = torch.ones(h * w, dtype=image.dtype, device=dev)  # what of the canvas shows through
    if frags.pixel.numel():
        backmost = frags.first == torch.arange(frags.pixel.shape[0], device=dev)
        total_t.index_copy_(0, frags.pixel[backmost], (trans * (1.0 - a))[backmost])
    picture = image + total_t * base
    behind = _behind(color, a, frags, base)
    paint = torch.cat([color, torch.ones_like(a)[None]])
    delta = -weight[None] * (paint - behind)  # (4, F): how the pixel changes without the fragment
    residual = (picture - target.reshape(-1, 4).t().to(picture.dtype)).index_select(1, frags.pixel)
    gain = (2.0 * delta * residual + delta * delta).sum(0)
    if every > 1:  # sampled: an inside pixel stands for its block
        gain = gain * s.share(frags.pixel).to(gain.dtype)
    path_major_owner = torch.repeat_interleave(torch.arange(packed.num_paths, device=dev),
                                               torch.as_tensor(s.counts, device=dev))
    owner_pm = path_major_owner.index_select(0, frags.order)
    errors = torch.zeros(packed.num_paths, dtype=gain.dtype, device=dev).index_add_(0, owner_pm, gain)
    return picture.t().reshape(h, w, 4), errors


def _behind(color: Tensor, a: Tensor, frags, base: Tensor) -> Tensor:
    """Premultiplied composite ``(4, F)`` of everything behind each pixel-major fragment: the
    canvas for the backmost, then ``B_k = α_{k-1}·[c_{k-1}, 1] + (1 − α_{k-1})·B_{k-1}``."""
    n = a.shape[0]
    dev = a.device
    rank = torch.arange(n, device=dev) - frags.first
    out = base.index_select(1, frags.pixel)
    if n == 0:
        return out
    depth = int(rank.max()) + 1
    by_rank = torch.argsort(rank, stable=True)
    per_rank = torch.bincount(rank, minlength=depth).tolist()
    premul = torch.cat([color * a, a[None]])
    for idx in by_rank.split(per_rank)[1:]:
        prev = idx - 1
        out[:, idx] = premul[:, prev] + (1.0 - a.index_select(0, prev)) * out[:, prev]
    return out
