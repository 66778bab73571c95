"""Colour and compositing of the fragments as one autograd function with a hand-written backward.

Fragments are shaded in *path-major* order (each path's fragments contiguous) and composited in
*pixel-major* order (each pixel's fragments contiguous, back to front); in between is one
permutation. Autograd over the same arithmetic allocates an image-sized intermediate per
operation in both directions; written out, the backward pass is a few passes over the fragments:

* **Paint parameters per fragment.** A path's fragments are contiguous, so giving each one its
  path's column of the paint table is one broadcast copy per path. Every entry of the table's
  gradient is a per-path sum of (a per-fragment gradient) × (px, py, 1, a stop weight or t), so
  one small matrix product per path gives them all.
* **Colour.** ``u = M p + m``; ``t = ‖u‖`` (radial) or ``u_x`` (linear); stops
  ``c(t) = c₀ + Σᵢ clamp((t − oᵢ)·invᵢ, 0, 1)·Δcᵢ``; ``α = c_α · coverage``.
* **Compositing** ("over"). A fragment's weight is ``α·T``, ``T`` the product of ``1 − α`` over
  the fragments in front of it, computed as the exponential of a prefix sum of ``log(1 − α)``
  (float64, whole image at once). Backward:
  ``∂L/∂α_f = g_f T_f − Σ_{b behind f} g_b α_b T_b / (1 − α_f)`` with ``g`` the gradient of a
  fragment's weight — one more prefix sum; gradients go back to path order by gathering
  through the inverse permutation rather than scattering.

Checked against central finite differences and against the dense reference renderer
(``tests/test_render_gradients.py``, ``tests/test_render_robust.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from layervec_ext.core.exact import sqrt
from layervec_ext.core.jit import arrays, loops, loops_for

Tensor = torch.Tensor

# Opaque fragments hide what is behind them up to this leak; keeps log(1 - α) finite and the
# gradient of α through the transmittance alive.
OPAQUE = 1.0 - 1e-6
# Transmittance stops falling at exp(DEEP) ≈ 1e-26 (fully hidden): behind ~5 opaque layers it
# would underflow into denormal floats, which make every later multiply an order of magnitude slower.
DEEP = -60.0
LOG2_E = 1.0 / math.log(2.0)  # exp(x) = 2^(x·log₂e)
# Rows of the paint table before the stop intervals: M (4), m (2), c₀ (4).
AFFINE_ROWS = 6
HEAD_ROWS = 10


def expand_paths(table: Tensor, counts: list[int]) -> Tensor:
    """``table (D, P)`` → ``(D, F)``: column ``p`` repeated ``counts[p]`` times."""
    out = table.new_empty(table.shape[0], sum(counts))
    start = 0
    for p, n in enumerate(counts):
        if n:
            out[:, start:start + n].copy_(table[:, p:p + 1].expand(-1, n))
            start += n
    return out


@dataclass
class Fragments:
    """Who covers which pixel, in the two orders the renderer needs (no gradients): what
    :class:`ShadeComposite` takes besides the differentiable inputs.

    ``px, py (F,)``: pixel centres, path-major (each path's fragments contiguous, in draw order);
    ``counts``: fragments per path; ``order (F,)``: the fragments pixel-major (back to front within
    a pixel), ``inverse``: its inverse permutation; ``pixel (F,)``: the pixel (output column) of
    each pixel-major fragment, of ``pixels``; ``first``/``last``: pixel-major index of the
    backmost/frontmost fragment of the same pixel. ``radial (P,)`` and ``stops`` describe the
    paint table the fragments are shaded with (set with it)."""

    px: Tensor
    py: Tensor
    counts: list[int]
    order: Tensor
    inverse: Tensor
    pixel: Tensor
    first: Tensor
    last: Tensor
    pixels: int
    radial: Tensor | None
    stops: int


class ShadeComposite(torch.autograd.Function):
    """``table (D, P)`` (see ``raster.paint_table``) and ``coverage (F,)`` → premultiplied image
    ``(4, pixels)``."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, table: Tensor, coverage: Tensor, frags: Fragments) -> Tensor:
        rows, basis, u0, u1, z, rgba, alpha, mixed = shade(table, coverage, frags)
        color, alpha, trans, weight, image = _composite(rgba[:3], alpha, frags)
        ctx.frags = frags
        ctx.save_for_backward(table, rows, basis, coverage, u0, u1 if u1 is not None else u0,
                              z if z is not None else basis[-1], rgba, color, alpha, trans, weight)
        ctx.has_u1, ctx.has_z, ctx.mixed = u1 is not None, z is not None, mixed
        return image

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> tuple[Tensor, Tensor, None]:
        table, rows, basis, coverage, u0, u1, z, rgba, color, alpha, trans, weight = ctx.saved_tensors
        frags, n = ctx.frags, ctx.frags.stops
        k = n - 1
        # Per fragment, path-major: d u₀, d u₁, d rgba (4), and per stop interval g_i = dL/dz_i · dz_i/dt.
        grads = rows.new_empty(6 + k, rows.shape[1])
        d_rgba = grads[2:6]
        _composite_backward(grad, color, alpha, trans, weight, frags, out=d_rgba)
        d_coverage = d_rgba[3] * rgba[3]
        d_rgba[3].mul_(coverage)  # d alpha → d c_α
        t = basis[3 + k]
        dt = torch.zeros_like(t)
        if ctx.has_z:
            _, inv, dc = _intervals(rows, n)
            inside = (z >= 0.0) & (z <= 1.0)  # where clamp passes the gradient (as autograd's clamp)
            for i in range(k):
                g = torch.sum(d_rgba * dc[4 * i:4 * i + 4], 0, out=grads[6 + i]).mul_(inside[i])
                dt.addcmul_(g, inv[i])
        if ctx.has_u1:
            torch.mul(dt, u0 / t, out=grads[0])
            torch.mul(dt, u1 / t, out=grads[1])
            if ctx.mixed is not None:
                grads[0].copy_(torch.where(ctx.mixed, grads[0], dt))
                grads[1].masked_fill_(~ctx.mixed, 0.0)
        else:
            grads[0].copy_(dt)
            grads[1].zero_()
        return _paint_gradient(table, grads, basis, frags.counts, k), d_coverage, None


class CompiledShadeComposite(torch.autograd.Function):
    """:class:`ShadeComposite` by :mod:`~layervec_ext.core.render.compiled_shade`'s loops (CPU,
    float32): the same image and gradients to float32 rounding, in one pass each way."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, table: Tensor, coverage: Tensor, frags: Fragments) -> Tensor:
        kernels = _compiled_shading()
        shape = _shape_args(frags)
        table_np, coverage_np = arrays(table, coverage)
        image, rgba, trans = kernels.forward(table_np, coverage_np, *shape, frags.pixels)
        ctx.saved = (table_np, coverage_np, shape, rgba, trans)
        return torch.from_numpy(image)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: Tensor) -> tuple[Tensor, Tensor, None]:
        table, coverage, shape, rgba, trans = ctx.saved
        d_table, d_coverage = _compiled_shading().backward(*arrays(grad), table, coverage, *shape, rgba, trans)
        return torch.from_numpy(d_table), torch.from_numpy(d_coverage), None


def _shape_args(frags: Fragments) -> tuple:
    """What the compiled loops take of the fragments, as numpy arrays."""
    px, py, radial, order, pixel, last = arrays(frags.px, frags.py, frags.radial, frags.order, frags.pixel, frags.last)
    return px, py, np.asarray(frags.counts, dtype=np.int64), radial, frags.stops - 1, order, pixel, last


def _compiled_shading():
    """:mod:`~layervec_ext.core.render.compiled_shade`, or None where it cannot run."""
    return loops("layervec_ext.core.render.compiled_shade")


def shade_composite(table: Tensor, coverage: Tensor, frags: Fragments, compiled: bool | None = None) -> Tensor:
    """The premultiplied image ``(4, pixels)`` (:class:`ShadeComposite`); ``compiled``: by the
    compiled loops (``None``: where they can run, float32 on the CPU) or by PyTorch."""
    if compiled is None:
        compiled = loops_for("layervec_ext.core.render.compiled_shade", table, coverage) is not None
    return (CompiledShadeComposite if compiled else ShadeComposite).apply(table, coverage, frags)


def _paint_gradient(table: Tensor, grads: Tensor, basis: Tensor, counts: list[int], k: int) -> Tensor:
    """d table ``(D, P)`` from per-fragment gradients ``grads`` (du₀, du₁, d rgba, g_i) and
    ``basis`` (px, py, 1, w_i, t): every entry is a per-path sum of a product of one row of each,
    so one small matrix product per path gives them all — instead of a product row per entry and
    a sum per row and path."""
    sums = table.new_empty(len(counts), grads.shape[0], basis.shape[0])
    start = 0
    for p, count in enumerate(counts):
        if count:
            torch.mm(grads[:, start:start + count], basis[:, start:start + count].t(), out=sums[p])
            start += count
        else:
            sums[p].zero_()
    one, t = 2, 3 + k
    parts = [sums[:, 0, :2], sums[:, 1, :2], sums[:, :2, one], sums[:, 2:6, one]]  # M, m, c₀
    if k:
        o, inv, _ = (rows.t() for rows in _intervals(table, k + 1))
        g_sum, g_t = sums[:, 6:6 + k, one], sums[:, 6:6 + k, t]
        parts += [-inv * g_sum, g_t - o * g_sum,  # z_i = (t - o_i) · inv_i
                  sums[:, 2:6, 3:3 + k].transpose(1, 2).reshape(len(counts), 4 * k)]  # Δc_i: Σ d rgba · w_i
    return torch.cat(parts, 1).t()


def shade(table: Tensor, coverage: Tensor, frags: Fragments) -> tuple:
    """Each fragment's paint, path-major: ``rgba (4, F)`` straight and ``alpha = rgba[3] · coverage``,
    with what the backward pass needs (the per-fragment table rows, the basis, ``u₀``, ``u₁``,
    the stop coordinates ``z`` and the radial/linear mix mask)."""
    n = frags.stops
    k = n - 1
    rows = expand_paths(table, frags.counts)
    m00, m01, m10, m11, m0, m1 = rows[:AFFINE_ROWS]
    # The factors each paint gradient is a per-path sum of products with: px, py, 1, w₁…w_k, t.
    basis = table.new_empty(4 + k, rows.shape[1])
    basis[0], basis[1], basis[2] = frags.px, frags.py, 1.0
    px, py, t = basis[0], basis[1], basis[3 + k]
    u0 = torch.addcmul(torch.addcmul(m0, m00, px), m01, py)
    u1 = None
    mixed = None
    if bool(frags.radial.any()):
        u1 = torch.addcmul(torch.addcmul(m1, m10, px), m11, py)
        t.copy_(sqrt(torch.addcmul(u0 * u0, u1, u1).add_(1e-12)))
        if not bool(frags.radial.all()):
            mixed = expand_paths(frags.radial[None].to(table.dtype), frags.counts)[0] > 0.5
            t.copy_(torch.where(mixed, t, u0))
    else:
        t.copy_(u0)
    rgba = rows[AFFINE_ROWS:HEAD_ROWS].clone()
    z = None
    if k:
        o, inv, dc = _intervals(rows, n)
        z = (t - o).mul_(inv)  # (k, F)
        w = torch.clamp(z, 0.0, 1.0, out=basis[3:3 + k])
        for i in range(k):
            rgba.addcmul_(w[i:i + 1], dc[4 * i:4 * i + 4])
    return rows, basis, u0, u1, z, rgba, rgba[3] * coverage, mixed


def _intervals(rows: Tensor, n: int) -> tuple[Tensor, Tensor, Tensor]:
    """The stop-interval rows: offsets ``o (n-1, F)``, ``1/span (n-1, F)``, ``Δc (4(n-1), F)``."""
    k = n - 1
    return rows[HEAD_ROWS:HEAD_ROWS + k], rows[HEAD_ROWS + k:HEAD_ROWS + 2 * k], rows[HEAD_ROWS + 2 * k:]


def _composite(rgb: Tensor, alpha: Tensor, frags: Fragments) -> tuple[Tensor, ...]:
    """Path-major straight ``rgb (3, F)`` and ``alpha (F,)`` → pixel-major colour, alpha,
    transmittance and weight, and the premultiplied image ``(4, pixels)``."""
    vals = torch.cat([rgb, alpha[None]]).index_select(1, frags.order)
    color, a = vals[:3], vals[3]
    trans, weight, image = over(color, a, frags.last, frags.pixel, frags.pixels)
    return color, a, trans, weight, image


def over(color: Tensor, alpha: Tensor, last: Tensor, pixel: Tensor, pixels: int) -> tuple[Tensor, Tensor, Tensor]:
    """"Over" of each pixel's fragments, back to front: pixel-major straight ``color (3, F)`` and
    ``alpha (F,)``, each fragment's pixel (of ``pixels``) and the index of its pixel's frontmost
    fragment → each fragment's transmittance (of the fragments in front of it) and weight, and the
    premultiplied image ``(4, pixels)``."""
    # log1p and exp2, not log and exp: on the CPU, PyTorch's log and exp call MKL, whose last bit
    # follows the CPU (core/exact.py); a clamp rather than a mask, several times faster on the CPU
    acc = torch.cumsum(torch.log1p(alpha * -OPAQUE).double(), 0)
    log_t = (acc.index_select(0, last) - acc).to(alpha.dtype)
    trans = torch.exp2(log_t.clamp_min_(DEEP) * LOG2_E)
    weight = alpha * trans
    image = alpha.new_zeros(4, pixels).index_add_(1, pixel, torch.cat([color * weight, weight[None]]))
    return trans, weight, image


def _composite_backward(grad: Tensor, color: Tensor, alpha: Tensor, trans: Tensor, weight: Tensor,
                        frags: Fragments, out: Tensor) -> None:
    """Gradients of the path-major ``rgb`` and ``alpha`` given that of the image (the other
    arguments pixel-major, from :func:`_composite`), written into ``out (4, F)``."""
    g = grad.index_select(1, frags.pixel)
    g_color, g_a = g[:3], g[3]
    a = alpha
    g_weight = (g_color * color).sum(0) + g_a
    # Σ over the fragments behind each one (earlier in its pixel) of g_weight · weight
    s = (g_weight * weight).double()
    before = torch.cumsum(s, 0) - s
    behind = (before - before.index_select(0, frags.first)).to(a.dtype)
    d_alpha = g_weight * trans - behind * OPAQUE / (1.0 - OPAQUE * a)
    torch.index_select(torch.cat([g_color * weight, d_alpha[None]]), 1, frags.inverse, out=out)
