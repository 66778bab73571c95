"""The picture split at one path: what is drawn under it and what over it, for any path and any
window of the canvas, from one drawing of the scene.

Choosing between outlines for one path (the untangle repair's options) needs, around the path,
the picture of the paths under it over the background and that of the paths over it: the
option then goes between the two. Drawn per path, that is two renders per path; here one drawing
keeps every fragment's straight colour and alpha, pixel-major (back to front within a pixel), and
a window's two pictures are composited from the fragments of its pixels, those of the other side
of the path given no alpha: the renderer's own "over" (``fused.over``), only split.
"""

from __future__ import annotations

import torch

from layervec_ext.core.render.common import over_background
from layervec_ext.core.render.fused import over, shade
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.render.raster import (
    _expand,
    build_structure,
    flatten_all,
    fragment_coverage,
    paint_inputs,
    strips,
)
from layervec_ext.core.scene import Scene

Tensor = torch.Tensor
# The drawing is made in strips of rows of at most this many pixels: shading a strip holds a
# couple of dozen floats per fragment for a moment, what it keeps is five.
STRIP_PIXELS = 1 << 16


class DepthSplit:
    """One drawing of ``scene``'s fragments, for :meth:`around` to split at any of its paths."""

    @torch.no_grad()
    def __init__(self, scene: Scene):
        packed = PackedScene.pack(scene)
        self.width, self.height = packed.width, packed.height
        self.background = packed.background
        self.position = {index: pos for pos, index in enumerate(packed.order)}  # scene index → draw position
        dev = packed.device
        colors, owners, pixels = [], [], []
        if packed.num_paths:
            verts, nxt, owner = flatten_all(packed)
            for r0, r1 in strips(self.width, self.height, pixels=STRIP_PIXELS):
                s = build_structure(verts, nxt, owner, packed.num_paths, self.width, self.height, rows=(r0, r1))
                table, cov, frags = paint_inputs(s, packed, fragment_coverage(s, verts, nxt))
                rgba, alpha = shade(table, cov, frags)[5:7]
                colors.append(torch.cat([rgba[:3], alpha[None]]).index_select(1, frags.order).float())
                path_of = torch.repeat_interleave(torch.arange(packed.num_paths, device=dev),
                                                  torch.as_tensor(frags.counts, device=dev))
                owners.append(path_of.index_select(0, frags.order).int())
                pixels.append((frags.pixel + r0 * self.width).int())
        # pixel-major over the whole canvas (strips come in row order): straight RGB and alpha
        # (4, F), each fragment's draw position, and where each pixel's fragments start
        self.color = torch.cat(colors, 1) if colors else torch.zeros(4, 0, device=dev)
        self.owner = torch.cat(owners) if owners else torch.zeros(0, dtype=torch.int32, device=dev)
        pixel = torch.cat(pixels) if pixels else torch.zeros(0, dtype=torch.int32, device=dev)
        del colors, owners, pixels
        per_pixel = torch.bincount(pixel, minlength=self.width * self.height)
        self.start = torch.cat([per_pixel.new_zeros(1), torch.cumsum(per_pixel, 0)])

    @torch.no_grad()
    def around(self, index: int, x0: int, y0: int, x1: int, y1: int) -> tuple[Tensor, Tensor]:
        """Over the canvas window ``[x0, x1) × [y0, y1)``, premultiplied RGBA ``(y1 - y0, x1 - x0, 4)``
        of the paths drawn under scene path ``index`` (over the background) and of those over it."""
        if index not in self.position:
            raise ValueError(f"path {index} is not drawn (it has no segments)")
        pos = self.position[index]
        h, w = y1 - y0, x1 - x0
        dev = self.color.device
        keys = (torch.arange(y0, y1, device=dev)[:, None] * self.width + torch.arange(x0, x1, device=dev)).flatten()
        lo = self.start.index_select(0, keys)
        count = self.start.index_select(0, keys + 1) - lo
        local, rank = _expand(count)  # each fragment's window pixel, and its depth within the pixel
        frag = lo.index_select(0, local) + rank
        color, alpha = self.color[:3].index_select(1, frag), self.color[3].index_select(0, frag)
        drawn_at = self.owner.index_select(0, frag)
        last = (torch.cumsum(count, 0) - 1).index_select(0, local)  # each pixel's frontmost fragment
        under = over(color, torch.where(drawn_at < pos, alpha, 0.0), last, local, h * w)[2]
        above = over(color, torch.where(drawn_at > pos, alpha, 0.0), last, local, h * w)[2]
        return over_background(under.t().reshape(h, w, 4), self.background), above.t().reshape(h, w, 4)
