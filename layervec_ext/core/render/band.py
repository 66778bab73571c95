"""Anti-aliased coverage of the boundary band as one autograd function with a hand-written backward.

A band fragment's coverage is ``common.box_coverage`` of its signed distance to the nearest edge
(``common.segment_offset``). Written with autograd that is ~35 operations forward and ~70 backward
on a few thousand fragments — small enough that each operation's fixed cost dominates: 3.2 ms of a
32-path step at 256², 8.7 ms at 128 paths. Here the forward keeps what the backward needs and the
backward is the chain rule written out on separate x and y arrays. Ties that autograd splits in
half (``min``/``max`` of equal values) are split in half here too: they are common — a pixel
centre half a pixel from an edge on integer coordinates is one.

``tests/test_render_band.py`` checks values and gradients against the autograd composition. On the
CPU (float32) the same arithmetic runs as one compiled loop each way
(:mod:`~layervec_ext.core.render.compiled_band`), tested against this one.
"""

from __future__ import annotations

import torch

from layervec_ext.core.exact import sqrt
from layervec_ext.core.jit import arrays, loops, loops_for
from layervec_ext.core.render.common import box_coverage, segment_offset

Tensor = torch.Tensor

_EPS = 1e-12
_HALF_SQRT2 = 0.70710678  # the larger |component| of a unit normal is at least this


def band_coverage(verts: Tensor, start: Tensor, end: Tensor, centres: Tensor, inside: Tensor,
                  compiled: bool | None = None) -> Tensor:
    """Coverage ``(B,)`` of pixels centred at ``centres (B, 2)`` by the inner side of their nearest
    edge ``verts[start] → verts[end]``; ``inside (B,)``: the centre is inside the path.
    Differentiable in ``verts``. ``compiled``: by the compiled loops
    (:mod:`~layervec_ext.core.render.compiled_band`; ``None``: where they can run, float32 on the
    CPU) or by PyTorch."""
    if compiled is None:
        compiled = loops_for("layervec_ext.core.render.compiled_band", verts) is not None
    return (CompiledBandCoverage if compiled else BandCoverage).apply(verts, start, end, centres, inside)


def _compiled_band():
    """:mod:`~layervec_ext.core.render.compiled_band`, or None where it cannot run."""
    return loops("layervec_ext.core.render.compiled_band")


class CompiledBandCoverage(torch.autograd.Function):
    """:class:`BandCoverage` by :mod:`~layervec_ext.core.render.compiled_band`'s loops (CPU,
    float32): one pass over the band each way."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, verts: Tensor, start: Tensor, end: Tensor, centres: Tensor,
                inside: Tensor) -> Tensor:
        args = arrays(verts[:, 0], verts[:, 1], start, end, centres[:, 0], centres[:, 1], inside)
        ctx.args = args
        return torch.from_numpy(_compiled_band().forward(*args))

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> tuple[Tensor, None, None, None, None]:
        g_vx, g_vy = _compiled_band().backward(*arrays(grad), *ctx.args)
        return torch.stack([torch.from_numpy(g_vx), torch.from_numpy(g_vy)], 1), None, None, None, None


def band_coverage_reference(verts: Tensor, start: Tensor, end: Tensor, centres: Tensor, inside: Tensor) -> Tensor:
    """The same by autograd (the definition the fast version is tested against)."""
    return box_coverage(*signed_offset(verts, start, end, centres, inside))


def signed_offset(verts: Tensor, start: Tensor, end: Tensor, centres: Tensor, inside: Tensor
                  ) -> tuple[Tensor, Tensor]:
    """By autograd: each centre's signed distance to the edge ``verts[start] → verts[end]``
    (positive inside) and its offset from the nearest point ``(B, 2)``."""
    r = segment_offset(centres, verts.index_select(0, start), verts.index_select(0, end))
    d = sqrt((r * r).sum(1) + _EPS)
    return torch.where(inside, d, -d), r


class BandCoverage(torch.autograd.Function):
    """Structure of arrays inside: ``(B, 2)`` tensors cost several times more per operation on
    the CPU than two ``(B,)`` ones (reductions over the last axis, broadcasting, ``index_add``)."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, verts: Tensor, start: Tensor, end: Tensor, centres: Tensor,
                inside: Tensor) -> Tensor:
        vx, vy = verts[:, 0].contiguous(), verts[:, 1].contiguous()
        ax, ay = vx.index_select(0, start), vy.index_select(0, start)
        dx, dy = vx.index_select(0, end) - ax, vy.index_select(0, end) - ay
        qx, qy = centres[:, 0] - ax, centres[:, 1] - ay
        len2 = torch.addcmul(dx * dx, dy, dy)
        len2c = len2.clamp_min(_EPS)
        dot = torch.addcmul(qx * dx, qy, dy)
        tt = dot / len2c
        t = tt.clamp(0.0, 1.0)
        rx, ry = qx - t * dx, qy - t * dy  # not addcmul: a fused multiply-add leaves ~1e-18 where this gives 0
        abs_x, abs_y = rx.abs(), ry.abs()
        length = sqrt(torch.addcmul(abs_x * abs_x, abs_y, abs_y).add_(_EPS))
        x_share = (abs_x > abs_y).to(verts.dtype) + 0.5 * (abs_x == abs_y)  # of max(|rx|, |ry|)'s gradient
        big, small = torch.maximum(abs_x, abs_y), torch.minimum(abs_x, abs_y)
        hi0, lo = big / length, small / length
        hi = hi0.clamp_min(_HALF_SQRT2)
        half, knee = (hi + lo).mul_(0.5), (hi - lo).mul_(0.5)
        sign = inside.to(verts.dtype).mul_(2.0).sub_(1.0)
        sd = sign * length
        s = torch.clamp(sd, min=-half, max=half)
        two_ab = (hi * lo).mul_(2.0)
        area = two_ab.clamp_min(_EPS)
        low_u, high_u = s + half, half - s
        region_low, region_high = s < -knee, s > knee
        linear = (s / hi).add_(0.5)
        raw = torch.where(region_low, low_u * low_u / area,
                          torch.where(region_high, 1.0 - high_u * high_u / area, linear))
        ctx.save_for_backward(start, end, dx, dy, qx, qy, len2, len2c, dot, tt, t, rx, ry, length, x_share, big,
                              small, hi0, lo, hi, half, sign, sd, s, two_ab, area, raw, low_u, high_u, region_low,
                              region_high)
        ctx.vertices = verts.shape[0]
        return raw.clamp(0.0, 1.0)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> tuple[Tensor, None, None, None, None]:
        (start, end, dx, dy, qx, qy, len2, len2c, dot, tt, t, rx, ry, length, x_share, big, small, hi0, lo, hi, half,
         sign, sd, s, two_ab, area, raw, low_u, high_u, region_low, region_high) = ctx.saved_tensors
        g = grad * ((raw >= 0.0) & (raw <= 1.0))
        # raw → s, half, area, hi; low: (s+half)²/area, high: 1 - (half-s)²/area, else 0.5 + s/hi
        curved = region_low | region_high
        u = torch.where(region_low, low_u, high_u)
        two_u_area = 2.0 * u / area
        g_s = torch.where(curved, g * two_u_area, g / hi)
        g_u = g * curved * two_u_area  # d/du of ±u²/area, up to the sign of the region
        g_half = torch.where(region_low, g_u, -g_u)
        g_area = torch.where(region_low, -g_u, g_u) * u * 0.5 / area
        g_hi = -g * ~curved * s / (hi * hi)
        # s = max(min(sd, half), -half); at sd = ±half autograd gives each side half
        above = (sd > half).to(g.dtype) + 0.5 * (sd == half)
        below = (sd < -half).to(g.dtype) + 0.5 * (sd == -half)
        g_sd = g_s * (1.0 - above - below)
        g_half += g_s * (above - below)
        # area = max(2 hi lo, eps); half = (hi + lo) / 2; hi = max(hi0, 1/√2)
        g_two_ab = g_area * (two_ab >= _EPS)
        g_hi += 2.0 * lo * g_two_ab + 0.5 * g_half
        g_lo = 2.0 * hi * g_two_ab + 0.5 * g_half
        g_hi0 = g_hi * (hi0 >= _HALF_SQRT2)
        # hi0 = big / length, lo = small / length, sd = sign · length, length = ‖r‖ (+eps)
        g_big, g_small = g_hi0 / length, g_lo / length
        g_length = g_sd * sign - (g_hi0 * big + g_lo * small) / (length * length)
        g_abs = g_length / length  # d length / d|r_i| = |r_i| / length
        g_rx = (g_abs * rx.abs() + x_share * g_big + (1.0 - x_share) * g_small) * torch.sign(rx)
        g_ry = (g_abs * ry.abs() + (1.0 - x_share) * g_big + x_share * g_small) * torch.sign(ry)
        # r = q - t d, t = clamp(dot / len2, 0, 1)
        g_t = -(g_rx * dx + g_ry * dy)
        g_tt = g_t * ((tt >= 0.0) & (tt <= 1.0))
        g_dot = g_tt / len2c
        g_len2 = -g_tt * dot / (len2c * len2c) * (len2 >= _EPS)
        g_qx, g_qy = g_rx + g_dot * dx, g_ry + g_dot * dy
        g_dx = -t * g_rx + g_dot * qx + 2.0 * g_len2 * dx
        g_dy = -t * g_ry + g_dot * qy + 2.0 * g_len2 * dy
        # q = centre - a, d = b - a
        both = torch.cat([start, end])
        g_vx = g_dx.new_zeros(ctx.vertices).index_add_(0, both, torch.cat([-g_qx - g_dx, g_dx]))
        g_vy = g_dy.new_zeros(ctx.vertices).index_add_(0, both, torch.cat([-g_qy - g_dy, g_dy]))
        return torch.stack([g_vx, g_vy], 1), None, None, None, None
