"""The fast renderer: differentiable work only on fragments (pixels a path touches).

Two stages (layervec_ext/docs/DESIGN.md §4):

1. *Structure*, under ``no_grad``, from the flattened outlines: per path a pixel box (its bounding
   box, clipped to the canvas); inside/outside of every box pixel from non-zero winding numbers
   (signed edge crossings scattered per row, then one prefix sum over all boxes at once); a
   boundary band of pixels within ``BAND`` (half a pixel's diagonal) of an edge that separates
   inside from outside (each edge, cut into short pieces, pairs with the pixels near it; the
   nearest edge wins). Edges with "inside" on both sides (self-intersections) are judged from the
   winding buffer one pixel to either side of their midpoint — the reference renderer tests this
   exactly, so the two differ slightly near crossings. Paths of (almost) zero area get no box: SVG
   draws nothing for them. Fragments are the inside ∪ band pixels, kept path-major (each path's
   fragments contiguous, in draw order) with the permutation that sorts them stably by pixel
   (a counting sort on the CPU), so each pixel's fragments run back to front.
2. *Values*, differentiable, cost ∝ fragments: band coverage = the part of the pixel box on the
   inner side of the nearest edge (``common.box_coverage``, written out with its backward pass in
   :mod:`~layervec_ext.core.render.band`) — or, where an opposed edge is also
   within reach (a feature thinner than a pixel), of the two half-planes' intersection or union
   (``common.two_edge_coverage``) —; then the fill colour at the pixel centre and "over"
   compositing with the transmittance ``exp(Σ log(1 - α))`` of the fragments in front, one
   prefix sum (float64) per image, in :mod:`~layervec_ext.core.render.fused` with a hand-written
   backward pass.

No tensor is ever paths × pixels; the structure stage syncs with the device a handful of times
per image (to size its buffers), never per path. On the CPU (float32) the per-pixel loops of both
stages run compiled (:mod:`~layervec_ext.core.render.compiled`,
:mod:`~layervec_ext.core.render.compiled_shade`); the tensor versions here are their reference,
and what a GPU runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import torch

from layervec_ext.core.exact import sqrt
from layervec_ext.core.jit import arrays, loops_for
from layervec_ext.core.render.band import band_coverage, signed_offset
from layervec_ext.core.render.common import (
    BAND,
    MIN_AREA,
    OPPOSED,
    bernstein,
    chords,
    inner_normals,
    on_cubics,
    over_background,
    polygon_area,
    segment_distance2,
    segment_offset,
    two_edge_coverage,
)
from layervec_ext.core.render.fused import Fragments, shade_composite
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.scene import Scene

Tensor = torch.Tensor
# Edges are cut into pieces this long (pixels) before pairing with nearby pixels, so a long edge
# pairs with the pixels along it rather than with its whole bounding box. Flattened outlines
# rarely have longer edges, and then need no cutting.
PIECE = 8.0
# Edges reaching farther than this (pixels) off the canvas are clipped to it first.
REACH = 64.0
# A drawing that needs no gradients works on strips of the canvas of at most this many pixels,
# so its memory is one strip's fragments (a 1024² canvas with a few hundred paths would hold
# gigabytes at once); the work per strip is the paths reaching into it.
STRIP_PIXELS = 1 << 18
# A sampled step (render_packed_sampled) draws most insides in one pixel of four, so its strips
# can be twice as big for about the same memory, and fewer strips cost fewer fixed costs per step
# (256 paths at --max-size 1024: four strips 39.6-42.7 s, two 37.9 s, one 37.3-38.7 s and 1.05 GB).
STEP_STRIP_PIXELS = 1 << 19


@lru_cache(maxsize=64)
def _outline_topology(counts: tuple[int, ...], k: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """For outlines of ``counts`` cubics flattened ``k`` edges each: ``next (E,)``, the other end
    of each edge, and ``owner (E,)``, its path. Depends only on the counts, so it is cached."""
    edges = torch.as_tensor(counts, dtype=torch.long) * k
    owner = torch.repeat_interleave(torch.arange(len(counts)), edges)
    start = torch.cumsum(edges, 0) - edges
    local = torch.arange(int(edges.sum())) - start[owner]
    nxt = start[owner] + (local + 1) % edges[owner]
    return nxt.to(device), owner.to(device)


def flatten_all(packed: PackedScene, k: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """All outlines as one vertex list ``(E, 2)`` (differentiable), with ``next (E,)`` (the other end
    of each edge) and ``owner (E,)`` (draw position of its path); ``k`` segments per cubic (default:
    :func:`~layervec_ext.core.render.common.chords` of the canvas)."""
    k = k or chords(packed.width, packed.height)
    seg = packed.segments()  # (S, 4, 2)
    verts = on_cubics(bernstein(k, seg.device, seg.dtype), seg)
    nxt, owner = _outline_topology(packed.counts, k, seg.device)
    return verts, nxt, owner


def _boxes(lo: Tensor, hi: Tensor, limit: int) -> tuple[Tensor, Tensor]:
    """Integer pixel ranges ``[start, end)`` from float bounds, clamped to ``[0, limit]``."""
    start = torch.floor(lo.clamp(-1.0, limit + 1.0)).long().clamp(0, limit)
    end = torch.ceil(hi.clamp(-1.0, limit + 1.0)).long().clamp(0, limit)
    return start, torch.maximum(start, end)


def _centres_near(lo: Tensor, hi: Tensor, reach: float = BAND) -> tuple[Tensor, Tensor]:
    """Pixels ``[start, end)`` whose centre ``c + 0.5`` lies in ``[lo - reach, hi + reach]``."""
    start = torch.ceil(lo.clamp(-2.0, 1e9) - reach - 0.5).long()
    end = torch.floor(hi.clamp(-2.0, 1e9) + reach - 0.5).long() + 1
    return start, torch.maximum(start, end)


def _expand(counts: Tensor) -> tuple[Tensor, Tensor]:
    """For items with ``counts``: each output's item and its rank within the item."""
    item = torch.repeat_interleave(torch.arange(counts.shape[0], device=counts.device), counts)
    first = torch.cumsum(counts, 0) - counts
    return item, torch.arange(item.shape[0], device=counts.device) - first[item]


@dataclass
class Structure(Fragments):
    """The non-differentiable part of one render: the fragments, and how each is covered."""

    inside: Tensor  # (F,) bool: pixel centre inside (non-zero winding)
    band: Tensor  # (B,) fragment indices in the boundary band
    band_edge: Tensor  # (B,) their nearest boundary edge
    band_edge2: Tensor  # (B,) the nearest edge opposed to it within the band, or -1
    inner: Tensor  # (E, 2) inner unit normal of every edge
    touched: Tensor | None = None  # (H·W,) bool: pixels some fragment covers, when sampled (else: every drawn one)
    on_band: Tensor | None = None  # (H·W,) bool: pixels some path's boundary band reaches, when sampled
    every: int = 1  # the sampling block (1: every pixel drawn)

    def share(self, pixel: Tensor) -> Tensor:
        """How many of the touched pixels each drawn ``pixel`` (row-major keys) stands for: 1 on the
        band (and everywhere when nothing is sampled out), ``every²`` inside."""
        if self.on_band is None:
            return torch.ones(pixel.shape[0], device=pixel.device, dtype=self.px.dtype)
        return torch.where(self.on_band.index_select(0, pixel), 1.0, float(self.every**2)).to(self.px.dtype)


@torch.no_grad()
def build_structure(verts: Tensor, nxt: Tensor, owner: Tensor, n_paths: int, width: int, height: int,
                    every: int = 1, rows: tuple[int, int] | None = None, compiled: bool | None = None
                    ) -> Structure:
    """Fragments of every path (see the module docstring). ``every > 1``: only the fragments of
    the pixels :func:`_sample` keeps. ``rows = (r0, r1)``: only the canvas rows ``r0 ≤ y < r1``
    (a strip: its pixels keyed from row ``r0``, the fragments' centres where they are on the
    canvas; ``r0`` a multiple of ``every``, so a strip samples as the canvas does).
    ``compiled``: the per-pixel loops of :mod:`~layervec_ext.core.render.compiled` (the same
    structure; ``None``: where they can run, float32 on the CPU) or this module's tensors."""
    dev = verts.device
    r0, r1 = rows if rows is not None else (0, height)
    a, b = verts, verts.index_select(0, nxt)

    # Per path: pixel box = vertex bounds ± 1 px, clipped; buffers hold one extra column per row.
    big = torch.finfo(verts.dtype).max
    by_path = owner[:, None].expand(-1, 2)
    lo = torch.full((n_paths, 2), big, device=dev, dtype=verts.dtype).scatter_reduce(0, by_path, a, "amin")
    hi = torch.full((n_paths, 2), -big, device=dev, dtype=verts.dtype).scatter_reduce(0, by_path, a, "amax")
    x0, x1 = _boxes(lo[:, 0] - 1.0, hi[:, 0] + 1.0, width)
    area = polygon_area(verts, nxt, owner, n_paths)
    x1 = torch.where(area.abs() < MIN_AREA, x0, x1)  # collapsed: no box
    y0, y1 = _boxes(lo[:, 1] - 1.0, hi[:, 1] + 1.0, height)
    if rows is not None:
        y0, y1 = y0.clamp(r0, r1), y1.clamp(r0, r1)
    stride = x1 - x0 + 1
    sizes = (y1 - y0) * stride
    offset = torch.cumsum(sizes, 0) - sizes
    total = int(sizes.sum())
    base = offset - y0 * stride - x0  # key of pixel (x, y) in path p's box: base[p] + y*stride[p] + x

    box = (x0, x1, y0, y1)
    kernels = loops_for("layervec_ext.core.render.compiled", verts) if compiled is not False else None
    if compiled and kernels is None:
        raise ValueError("the compiled structure build takes float32 vertices on the CPU, with numba installed")
    if kernels is not None:
        inside, *rows_in = kernels.winding(*arrays(a, b, owner, x0, x1, y0, y1, stride, base), total)
        inside = torch.from_numpy(inside)
    else:
        inside = _inside_buffer(a, b, owner, x0, x1, y0, y1, stride, base, total)
    keep = _boundary_edges(a, b, owner, inside, box, stride, base)
    inner = inner_normals(a, b, torch.sign(area).index_select(0, owner))
    pieces = _piece_ranges(a, b, keep, owner, box, (width, height))
    if kernels is not None:
        return _compiled_structure(kernels, a, b, owner, inside, rows_in, inner, pieces, box, stride, offset, width,
                                   r0, r1, every)
    band_dist, nearest, opposite = _band_buffers(a, b, pieces, inner, owner, stride, base, total)
    band = band_dist < BAND * BAND

    # Boxes are concatenated in draw order, so the covered keys come out path-major; each box row
    # is a run of ``stride`` keys, so a fragment's pixel is its key shifted by its row's (one
    # gather, no division); its coordinates are worked out after sampling, for the kept ones only.
    covered = inside | band
    key = torch.nonzero(covered).squeeze(1)
    running = _running_count(covered)
    per_path = (running.index_select(0, offset + sizes) - running.index_select(0, offset)).long()
    row_path, row_rank = _expand(y1 - y0)
    row_stride = stride.index_select(0, row_path)
    row_key = offset.index_select(0, row_path) + row_rank * row_stride  # key of the row's first pixel
    per_row = (running.index_select(0, row_key + row_stride) - running.index_select(0, row_key)).long()
    row = torch.repeat_interleave(torch.arange(row_key.shape[0], device=dev), per_row, output_size=key.shape[0])
    row_y = y0.index_select(0, row_path) + row_rank
    pixel = key + ((row_y - r0) * width + x0.index_select(0, row_path) - row_key).index_select(0, row)
    pixels = width * (r1 - r0)
    touched = on_band = None
    if every > 1:
        key, pixel, per_path, touched, on_band = _sample(key, pixel, per_path, band, width, r1 - r0, every)
    y = torch.div(pixel, width, rounding_mode="floor")
    x = pixel - y * width
    y += r0
    counts = per_path.tolist()
    in_band = torch.nonzero(band.index_select(0, key)).squeeze(1)
    band_key = key.index_select(0, in_band)
    order, inverse, pixel, first, last = _pixel_major(pixel, counts, pixels)
    return Structure(x.to(verts.dtype) + 0.5, y.to(verts.dtype) + 0.5, counts, order, inverse, pixel, first, last,
                     pixels, None, 0, inside.index_select(0, key), in_band,
                     nearest.index_select(0, band_key).long(), _look_up(*opposite, band_key), inner, touched, on_band,
                     every)


def _compiled_structure(kernels, a, b, owner, inside, rows_in, inner, pieces, box, stride, offset, width, r0, r1,
                        every) -> Structure:
    """The fragments, sampled and ordered by the compiled loops, as :class:`Structure` (``rows_in``:
    per box row, the columns its inside pixels lie within)."""
    x0, x1, y0, y1 = box
    edge, bx0, bx1, by0, by1 = pieces
    out = kernels.fragments(*arrays(a, b, owner, inside, inner, edge, bx0, bx1, by0, by1, x0, x1, y0, y1, stride,
                                     offset), *rows_in, width, r0, r1 - r0, every, kernels.F32(BAND * BAND),
                            kernels.F32(OPPOSED))
    pixel, px, py, is_in, per_path, band, edge1, edge2, touched, on_band = (torch.from_numpy(v) for v in out)
    pixels = width * (r1 - r0)
    order, inverse, ordered, first, last = (torch.from_numpy(v) for v in kernels.pixel_major(pixel.numpy(), pixels))
    sampled = every > 1
    return Structure(px, py, per_path.tolist(), order, inverse, ordered, first,
                     last, pixels, None, 0, is_in, band, edge1, edge2, inner, touched if sampled else None,
                     on_band if sampled else None, every)


def _sample(key: Tensor, pixel: Tensor, per_path: Tensor, band: Tensor, width: int, height: int, every: int
            ) -> tuple[Tensor, ...]:
    """The fragments of the pixels some path's boundary band reaches (where the outlines' gradients
    come from), and elsewhere — where every fragment is wholly inside and only the paint's gradient
    comes from — those of one pixel in each ``every × every`` block: ``key, pixel, per_path`` of
    the kept fragments, and the canvas masks of the touched and of the band's pixels."""
    touched = torch.zeros(width * height, dtype=torch.bool, device=key.device)
    touched.index_fill_(0, pixel, True)
    on_band = torch.zeros_like(touched)
    on_band.index_fill_(0, pixel.masked_select(band.index_select(0, key)), True)
    kept = (on_band | _block_centres(height, width, every, key.device)).index_select(0, pixel)
    running = _running_count(kept)
    ends = torch.cumsum(per_path, 0)
    per_path = (running.index_select(0, ends) - running.index_select(0, ends - per_path)).long()
    kept = torch.nonzero(kept).squeeze(1)
    return key.index_select(0, kept), pixel.index_select(0, kept), per_path, touched, on_band


def _running_count(mask: Tensor) -> Tensor:
    """``(N + 1,)``: how many of ``mask (N,)`` are set before each index (int32 while that fits:
    the prefix sum over every box pixel is a good part of a structure's cost)."""
    dtype = torch.int32 if mask.shape[0] < 2**31 else torch.long
    running = torch.zeros(mask.shape[0] + 1, dtype=dtype, device=mask.device)
    torch.cumsum(mask, 0, dtype=dtype, out=running[1:])
    return running


@lru_cache(maxsize=8)
def _block_centres(height: int, width: int, every: int, device: torch.device) -> Tensor:
    """``(H·W,)`` bool: the one pixel :func:`_sample` keeps in each ``every × every`` block."""
    half = every // 2
    rows = torch.arange(height, device=device) % every == half
    cols = torch.arange(width, device=device) % every == half
    return (rows[:, None] & cols[None, :]).reshape(-1)


def _pixel_major(pixel: Tensor, counts: list[int], pixels: int) -> tuple[Tensor, ...]:
    """Path-major fragments' ``pixel`` keys → ``order`` (stable sort by pixel: back to front
    within a pixel), ``inverse``, the sorted keys and, per pixel-major fragment, the index of the
    backmost and frontmost fragment of its pixel."""
    if pixel.device.type == "cpu":
        order, inverse, per_pixel, before = _order_by_counting(pixel, counts, pixels)
    else:  # a GPU sorts fast, and a loop over paths costs a launch per path
        order, inverse, per_pixel, before = _order_by_sort(pixel, pixels)
    sorted_pixel = pixel.index_select(0, order)
    first = before.index_select(0, sorted_pixel)
    return order, inverse, sorted_pixel, first, first + per_pixel.index_select(0, sorted_pixel) - 1


def _order_by_counting(pixel: Tensor, counts: list[int], pixels: int) -> tuple[Tensor, ...]:
    """``order``, ``inverse``, the fragments per pixel and those in earlier pixels, by a counting
    sort (CPU)."""
    rank, per_pixel = _ranks_by_path(pixel, counts, pixels)
    before = torch.cumsum(per_pixel, 0) - per_pixel
    inverse = before.index_select(0, pixel) + rank
    order = torch.empty_like(inverse)
    order[inverse] = torch.arange(inverse.shape[0], device=pixel.device)
    return order, inverse, per_pixel, before


def _order_by_sort(pixel: Tensor, pixels: int) -> tuple[Tensor, ...]:
    """The same by a comparison sort (int32 keys sort twice as fast as int64)."""
    order = torch.sort(pixel.int(), stable=True).indices
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.shape[0], device=pixel.device)
    per_pixel = torch.zeros(pixels, dtype=torch.long, device=pixel.device)
    per_pixel.index_add_(0, pixel, torch.ones_like(pixel))
    return order, inverse, per_pixel, torch.cumsum(per_pixel, 0) - per_pixel


def _ranks_by_path(pixel: Tensor, counts: list[int], pixels: int) -> tuple[Tensor, Tensor]:
    """For a counting sort of path-major fragments by pixel: each fragment's rank within its pixel
    and the fragments per pixel. A path covers a pixel at most once, so the rank is the number of
    earlier paths there: one gather and one add per path, ~3× cheaper than a comparison sort."""
    seen = torch.zeros(pixels, dtype=torch.long, device=pixel.device)
    rank = torch.empty_like(pixel)
    ones = torch.ones_like(pixel)
    for keys, out, one in zip(pixel.split(counts), rank.split(counts), ones.split(counts)):
        torch.index_select(seen, 0, keys, out=out)
        seen.index_add_(0, keys, one)
    return rank, seen


def _inside_buffer(a, b, owner, x0, x1, y0, y1, stride, base, total) -> Tensor:
    """Non-zero winding of every box pixel: each edge crossing a row centre adds ±1 at the first
    pixel right of the crossing; a prefix sum along the (concatenated) rows gives the winding of
    the ray towards -x. Rows sum to zero (closed outlines; the extra column takes crossings right
    of the box), so one cumsum over all boxes is exact."""
    ymin, ymax = torch.minimum(a[:, 1], b[:, 1]), torch.maximum(a[:, 1], b[:, 1])
    p_y0, p_y1 = y0.index_select(0, owner), y1.index_select(0, owner)
    r0 = torch.ceil(ymin.clamp(-2.0, 1e9) - 0.5).clamp(min=p_y0.to(ymin.dtype)).long()
    r1 = torch.ceil(ymax.clamp(-2.0, 1e9) - 0.5).long()
    r1 = torch.minimum(r1, p_y1)
    edge, rank = _expand((r1 - r0).clamp_min(0))
    row = r0.index_select(0, edge) + rank
    ea, eb = a.index_select(0, edge), b.index_select(0, edge)
    yc = row.to(a.dtype) + 0.5
    xc = ea[:, 0] + (yc - ea[:, 1]) * (eb[:, 0] - ea[:, 0]) / (eb[:, 1] - ea[:, 1])
    p = owner.index_select(0, edge)
    col = torch.ceil(xc.clamp(-2.0, 1e9) - 0.5).long().clamp(min=x0.index_select(0, p))
    col = torch.minimum(col, x1.index_select(0, p))
    direction = torch.where(eb[:, 1] > ea[:, 1], 1, -1).to(torch.int32)
    buf = torch.zeros(total, dtype=torch.int32, device=a.device)
    buf.index_add_(0, base.index_select(0, p) + row * stride.index_select(0, p) + col, direction)
    return torch.cumsum(buf, 0, dtype=torch.int32) != 0


def _boundary_edges(a, b, owner, inside, box, stride, base) -> Tensor:
    """Edges that separate inside from outside: self-intersections leave edges with "inside" on
    both sides, and anti-aliasing against them would draw a seam. Looked up in the winding buffer
    at the pixels one pixel to either side of each edge's midpoint (the exact test,
    ``common.boundary_edges``, costs paths × edges²); off-box or off-canvas counts as outside."""
    x0, x1, y0, y1 = box
    d = b - a
    length = sqrt((d * d).sum(1, keepdim=True))
    n = torch.stack([-d[:, 1], d[:, 0]], 1) / length.clamp_min(1e-12)
    mid = 0.5 * (a + b)
    both = torch.ones(a.shape[0], dtype=torch.bool, device=a.device)
    for q in (mid + n, mid - n):
        x = torch.floor(q[:, 0].clamp(-2.0, 1e9)).long()
        y = torch.floor(q[:, 1].clamp(-2.0, 1e9)).long()
        ok = (x >= x0.index_select(0, owner)) & (x < x1.index_select(0, owner))
        ok &= (y >= y0.index_select(0, owner)) & (y < y1.index_select(0, owner))
        key = base.index_select(0, owner) + y * stride.index_select(0, owner) + x
        key = torch.where(ok, key, torch.zeros_like(key))
        hit = inside.index_select(0, key) if inside.numel() else torch.zeros_like(ok)
        both &= ok & hit
    return ~both | (length.squeeze(1) < 1e-9)


def _clip(a: Tensor, b: Tensor, lo: tuple[float, float], hi: tuple[float, float]) -> tuple[Tensor, Tensor]:
    """Liang–Barsky: the parameter range ``[t0, t1]`` of each segment inside a box (t0 > t1: none)."""
    d = b - a
    t0 = torch.zeros(a.shape[0], device=a.device, dtype=a.dtype)
    t1 = torch.ones_like(t0)
    for axis in (0, 1):
        da, aa = d[:, axis], a[:, axis]
        flat = da == 0
        safe = torch.where(flat, torch.ones_like(da), da)
        u, v = (lo[axis] - aa) / safe, (hi[axis] - aa) / safe
        t0 = torch.where(flat, t0, torch.maximum(t0, torch.minimum(u, v)))
        t1 = torch.where(flat, t1, torch.minimum(t1, torch.maximum(u, v)))
        outside = flat & ((aa < lo[axis]) | (aa > hi[axis]))
        t1 = torch.where(outside, t0 - 1.0, t1)
    return t0, t1


def _pieces(ea: Tensor, eb: Tensor, edges: Tensor, size: tuple[int, int]) -> tuple[Tensor, Tensor, Tensor]:
    """Edges ``ea → eb`` clipped to the canvas ± 1 px and cut into pieces at most ``PIECE`` long:
    each piece's ends and edge index. Outlines near the canvas with short edges (the usual case)
    pass through unchanged, which skips a few dozen small operations."""
    lo, hi = (-1.0, -1.0), (size[0] + 1.0, size[1] + 1.0)
    # Pixels are only looked for within the path's (clipped) box, so a piece reaching a little
    # way off the canvas costs nothing; clipping is for edges that reach far out.
    bounds = torch.tensor([[-REACH, -REACH], [size[0] + REACH, size[1] + REACH]], dtype=ea.dtype, device=ea.device)
    ends = torch.cat([ea, eb])
    near_canvas = bool(((ends >= bounds[0]) & (ends <= bounds[1])).all()) if ends.numel() else True
    if near_canvas:
        ca, cb = ea, eb
        visible = None
    else:
        t0, t1 = _clip(ea, eb, lo, hi)
        d = eb - ea
        ca, cb = ea + t0[:, None] * d, ea + t1[:, None] * d
        visible = t1 >= t0
    length = sqrt(((cb - ca) ** 2).sum(1))
    pieces = torch.ceil(length / PIECE).clamp(1, 1e6).long()
    if visible is None and (pieces.numel() == 0 or int(pieces.max()) == 1):
        return ca, cb, edges
    if visible is not None:
        pieces = pieces * visible
    item, rank = _expand(pieces)
    n = pieces.index_select(0, item).to(ea.dtype)
    ia, step = ca.index_select(0, item), (cb - ca).index_select(0, item)
    pa = ia + (rank.to(ea.dtype) / n)[:, None] * step
    pb = ia + ((rank + 1).to(ea.dtype) / n)[:, None] * step
    return pa, pb, edges.index_select(0, item)


def _piece_ranges(a, b, keep, owner, box, size) -> tuple[Tensor, ...]:
    """The boundary edges (``keep``) cut into pieces (:func:`_pieces`): each piece's edge and the
    pixels ``[bx0, bx1) × [by0, by1)`` of its path's box whose centre lies within the band's reach
    of the piece's bounding box."""
    edges = torch.nonzero(keep).squeeze(1)
    x0, x1, y0, y1 = box
    pa, pb, edge = _pieces(a.index_select(0, edges), b.index_select(0, edges), edges, size)
    p = owner.index_select(0, edge)
    bx0, bx1 = _centres_near(torch.minimum(pa[:, 0], pb[:, 0]), torch.maximum(pa[:, 0], pb[:, 0]))
    by0, by1 = _centres_near(torch.minimum(pa[:, 1], pb[:, 1]), torch.maximum(pa[:, 1], pb[:, 1]))
    bx0, bx1 = torch.maximum(bx0, x0.index_select(0, p)), torch.minimum(bx1, x1.index_select(0, p))
    by0, by1 = torch.maximum(by0, y0.index_select(0, p)), torch.minimum(by1, y1.index_select(0, p))
    return edge, bx0, torch.maximum(bx0, bx1), by0, torch.maximum(by0, by1)


def _band_buffers(a, b, pieces, inner, owner, stride, base, total) -> tuple[Tensor, Tensor, tuple]:
    """Squared distance from each box pixel centre to its nearest boundary edge (inf when none is
    within the band's reach) and that edge's index (int32: a box pixel buffer is the biggest thing
    a structure writes); and, for the few pixels that have one, the nearest edge opposed to it
    (``OPPOSED``) within reach, as sorted box keys and their edges (:func:`_look_up`)."""
    dev = a.device
    edge, bx0, bx1, by0, by1 = pieces
    bw, bh = bx1 - bx0, by1 - by0
    piece, rank = _expand(bw * bh)
    w = bw.index_select(0, piece)
    px, py = bx0.index_select(0, piece) + rank % w.clamp_min(1), by0.index_select(0, piece) + rank // w.clamp_min(1)
    centre = torch.stack([px, py], 1).to(a.dtype) + 0.5
    e = edge.index_select(0, piece)
    d2 = segment_distance2(centre, a.index_select(0, e), b.index_select(0, e))
    near = torch.nonzero(d2 < BAND * BAND).squeeze(1)
    d2, e, px, py = (v.index_select(0, near) for v in (d2, e, px, py))
    q = owner.index_select(0, e)
    key = base.index_select(0, q) + py * stride.index_select(0, q) + px
    best = torch.full((total,), float("inf"), device=dev, dtype=a.dtype)
    best.scatter_reduce_(0, key, d2, "amin")
    win = d2 == best.index_select(0, key)
    nearest = torch.full((total,), -1, dtype=torch.int32, device=dev)
    nearest[key[win]] = e[win].int()
    # the opposed edge: nearest among those whose inner normal turns away from the nearest one's
    first = nearest.index_select(0, key)
    opposed = torch.nonzero((inner.index_select(0, e) * inner.index_select(0, first)).sum(1) < OPPOSED).squeeze(1)
    return best, nearest, _nearest_per_key(key.index_select(0, opposed), d2.index_select(0, opposed),
                                           e.index_select(0, opposed))


def _nearest_per_key(key: Tensor, d2: Tensor, edge: Tensor) -> tuple[Tensor, Tensor]:
    """Of pairs ``(key, d2, edge)``: each key once, sorted, with the edge of its smallest ``d2``
    (the last listed of equals)."""
    order = torch.argsort(key, stable=True)
    key, d2, edge = key.index_select(0, order), d2.index_select(0, order), edge.index_select(0, order)
    starts = torch.ones_like(key, dtype=torch.bool)
    starts[1:] = key[1:] != key[:-1]
    group = torch.cumsum(starts, 0) - 1
    groups = int(starts.sum())
    least = torch.full((groups,), float("inf"), device=d2.device, dtype=d2.dtype).scatter_reduce(0, group, d2, "amin")
    win = torch.nonzero(d2 == least.index_select(0, group)).squeeze(1)
    last = torch.full((groups,), -1, dtype=torch.long, device=key.device)
    last.scatter_reduce_(0, group.index_select(0, win), win, "amax")
    return key.masked_select(starts), edge.index_select(0, last)


def _look_up(keys: Tensor, values: Tensor, query: Tensor) -> Tensor:
    """``values`` at ``query`` in the sorted ``keys`` (-1 where a query is not among them)."""
    if keys.numel() == 0:
        return torch.full_like(query, -1)
    at = torch.searchsorted(keys, query).clamp_max(keys.shape[0] - 1)
    return torch.where(keys.index_select(0, at) == query, values.index_select(0, at), -1)


def render_scene(scene: Scene, k: int | None = None) -> Tensor:
    """Premultiplied RGBA ``(H, W, 4)``, differentiable in every tensor of ``scene``."""
    return render_packed(PackedScene.pack(scene), k)


def render_packed(packed: PackedScene, k: int | None = None) -> Tensor:
    """Premultiplied RGBA ``(H, W, 4)`` over the background, differentiable in every tensor of
    ``packed``. Under ``no_grad``, a big canvas is drawn in strips of rows (:func:`strips`), so
    what a drawing holds at once is one strip's fragments."""
    h, w = packed.height, packed.width
    if packed.num_paths == 0:
        image = torch.zeros(h, w, 4, device=packed.device, dtype=packed.points.dtype)
    else:
        verts, nxt, owner = flatten_all(packed, k)
        rows = [(0, h)] if torch.is_grad_enabled() else strips(w, h)
        parts = [shade_fragments(build_structure(verts.detach(), nxt, owner, packed.num_paths, w, h,
                                                 rows=(r0, r1)), packed, verts, nxt, w, r1 - r0) for r0, r1 in rows]
        image = parts[0] if len(parts) == 1 else torch.cat(parts)
    return over_background(image, packed.background)


def strips(width: int, height: int, every: int = 1, pixels: int = STRIP_PIXELS) -> list[tuple[int, int]]:
    """Row ranges ``[r0, r1)`` covering the canvas, each of about ``pixels`` pixels at most and
    starting on a multiple of ``every`` (one strip: a canvas that small)."""
    step = max(every, (pixels // max(width, 1)) // every * every)
    return [(r0, min(height, r0 + step)) for r0 in range(0, height, step)] or [(0, height)]


def render_packed_sampled(packed: PackedScene, every: int = 1,
                          rows: tuple[int, int] | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The paths of ``packed`` (not its background) where a loss needs them: the row-major pixels
    ``(T,)`` they touch; the pixels ``(U,)`` drawn, their premultiplied RGBA ``(U, 4)`` and the
    share ``(U,)`` of the touched pixels each stands for. ``every = 1``: every touched pixel, each
    for itself. ``every > 1``: the pixels of the boundary band (each for itself) and one in each
    ``every × every`` block of the rest (each for ``every²``; see :func:`_sample`) — a step then
    shades a fraction of the fragments for an estimate of the loss that only misses the paint's
    finest detail. Differentiable in every tensor of ``packed``; over a fixed canvas (or the
    background), a step costs what the paths cover, not the canvas. ``rows = (r0, r1)``: only
    those canvas rows (:func:`strips`; the keys still the canvas's)."""
    h, w = packed.height, packed.width
    dev, dt = packed.device, packed.points.dtype
    if packed.num_paths == 0:
        none = torch.zeros(0, dtype=torch.long, device=dev)
        return none, none, torch.zeros(0, 4, device=dev, dtype=dt), torch.zeros(0, device=dev, dtype=dt)
    verts, nxt, owner = flatten_all(packed)
    s = build_structure(verts.detach(), nxt, owner, packed.num_paths, w, h, every, rows)
    table, cov, frags = paint_inputs(s, packed, fragment_coverage(s, verts, nxt))
    starts = torch.ones_like(s.pixel, dtype=torch.bool)
    starts[1:] = s.pixel[1:] != s.pixel[:-1]  # pixel-major: a pixel's fragments are contiguous
    drawn = s.pixel[starts]
    frags = replace(frags, pixel=torch.cumsum(starts, 0) - 1, pixels=int(drawn.shape[0]))
    values = shade_composite(table, cov, frags).t()
    touched = drawn if s.touched is None else torch.nonzero(s.touched).squeeze(1)
    share = s.share(drawn).to(values.dtype)
    first = 0 if rows is None else rows[0] * w
    return touched + first, drawn + first, values, share


def paint_table(packed: PackedScene) -> tuple[Tensor, Tensor, int]:
    """Per path one column of everything the colour of a fragment needs: ``u = M p + m`` (6 rows),
    ``c0`` (4), and per stop interval ``o_i``, ``1/span_i``, ``Δc_i`` (6 each); ``(D, P)``, so
    the per-fragment copy ``(D, F)`` has contiguous rows. Also the radial flags and the number of
    stops."""
    a, origin, radial, bias, offsets, colors = packed.paint()
    m = -(a * origin[:, None, :]).sum(-1)
    m = torch.stack([m[:, 0] + bias, m[:, 1]], 1)
    cols = [a.reshape(-1, 4), m, colors[:, 0]]
    n = offsets.shape[1]
    if n > 1:
        o0 = offsets[:, :-1]
        inv = 1.0 / (offsets[:, 1:] - o0).clamp_min(1e-6)
        dc = (colors[:, 1:] - colors[:, :-1]).reshape(-1, 4 * (n - 1))
        cols += [o0, inv, dc]
    return torch.cat(cols, 1).t().contiguous(), radial, n


def fragment_coverage(s: Structure, verts: Tensor, nxt: Tensor) -> Tensor:
    """Coverage of every fragment (path-major): 1 inside; in the band, the box area on the inner
    side of the nearest boundary edge — of two edges where the shape is thinner than a pixel.
    Differentiable in ``verts`` (autograd: band fragments are few)."""
    dt, dev = verts.dtype, verts.device
    bc = torch.stack([s.px.index_select(0, s.band), s.py.index_select(0, s.band)], 1)
    band_inside = s.inside.index_select(0, s.band)
    band_cov = band_coverage(verts, s.band_edge, nxt.index_select(0, s.band_edge), bc, band_inside)
    two = torch.nonzero(s.band_edge2 >= 0).squeeze(1)  # thinner than a pixel: a second edge in reach
    if two.numel():
        e1, e2 = s.band_edge.index_select(0, two), s.band_edge2.index_select(0, two)
        c2 = bc.index_select(0, two)
        sd1, r1 = signed_offset(verts, e1, nxt.index_select(0, e1), c2, band_inside.index_select(0, two))
        r2 = segment_offset(c2, verts.index_select(0, e2), verts.index_select(0, nxt.index_select(0, e2)))
        band_cov = band_cov.scatter(0, two, two_edge_coverage(sd1, r1, s.inner.index_select(0, e1), r2,
                                                              s.inner.index_select(0, e2)))
    return torch.ones(s.px.shape[0], device=dev, dtype=dt).scatter(0, s.band, band_cov)


def paint_inputs(s: Structure, packed: PackedScene, cov: Tensor) -> tuple[Tensor, Tensor, Fragments]:
    """The paint table, the coverage and the fragments in one precision, as
    :class:`~layervec_ext.core.render.fused.ShadeComposite` takes them (every fill is an affine
    gradient; flat = one stop at t = 0)."""
    table, radial, n = paint_table(packed)
    common = torch.promote_types(table.dtype, cov.dtype)  # e.g. float64 points with float32 fills
    table, cov, px, py = (v.to(common) for v in (table, cov, s.px, s.py))
    return table, cov, replace(s, px=px, py=py, radial=radial, stops=n)


def shade_fragments(s: Structure, packed: PackedScene, verts: Tensor, nxt: Tensor, width: int, height: int
                    ) -> Tensor:
    """The differentiable stage: coverage of the fragments, then colour and compositing
    (:class:`~layervec_ext.core.render.fused.ShadeComposite`)."""
    table, cov, frags = paint_inputs(s, packed, fragment_coverage(s, verts, nxt))
    image = shade_composite(table, cov, frags)
    return image.t().reshape(height, width, 4)
