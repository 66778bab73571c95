"""The two memory-bound steps of the fast renderer, with hand-written backward passes.

Fragments are shaded in *path-major* order (each path's fragments contiguous) and composited in
*pixel-major* order (each pixel's fragments contiguous, back to front). In between is one
permutation.

* :class:`ExpandPaths` gives every fragment its path's paint parameters. Because a path's fragments
  are contiguous, that is one broadcast copy per path forward and one sum per path backward:
  about 5× cheaper on the CPU than ``index_select`` by fragment and its scatter-add backward,
  which cost a fifth of a whole step at 512², 128 paths.
* :class:`Composite` permutes colour and alpha to pixel order and composites back to front with
  "over": each fragment's weight is ``α · T`` where the transmittance ``T`` is the product of
  ``1 - α`` of the fragments in front of it, computed as the exponential of a prefix sum of
  ``log(1 - α)`` (float64, over the whole image at once). The backward pass is written out —
  ``∂L/∂α_f = g_f T_f − Σ_{b behind f} g_b α_b T_b / (1 − α_f)`` with ``g`` the gradient of a
  fragment's weight — which is one more prefix sum instead of autograd's half-dozen
  image-sized intermediates, and it returns gradients in path order by gathering through the
  inverse permutation rather than scattering.

Both are checked against central finite differences (``tests/test_render_gradients.py``) and
against the dense reference renderer.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor

# Opaque fragments hide what is behind them up to this leak; keeps log(1 - α) finite and the
# gradient of α through the transmittance alive.
OPAQUE = 1.0 - 1e-6
# Transmittance below exp(DEEP) ≈ 1e-26 counts as fully hidden: behind ~5 opaque layers it would
# underflow into denormal floats, which make every later multiply an order of magnitude slower.
DEEP = -60.0


class ExpandPaths(torch.autograd.Function):
    """``table (D, P)`` → ``(D, F)``: column ``p`` repeated ``counts[p]`` times (path-major)."""

    @staticmethod
    def forward(ctx, table: Tensor, counts: list[int]) -> Tensor:
        ctx.counts = counts
        out = table.new_empty(table.shape[0], sum(counts))
        start = 0
        for p, n in enumerate(counts):
            if n:
                out[:, start:start + n].copy_(table[:, p:p + 1].expand(-1, n))
                start += n
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        sums = [part.sum(1) for part in grad.split(ctx.counts, dim=1)]
        return torch.stack(sums, 1), None


class Composite(torch.autograd.Function):
    """Path-major ``rgb (3, F)`` (straight colour) and ``alpha (F,)`` → premultiplied image
    ``(4, H*W)``. ``order`` lists the fragments pixel-major (back to front within a pixel),
    ``inverse`` is its inverse permutation, ``pixel`` the pixel of each pixel-major fragment,
    ``first``/``last`` the first/last pixel-major index of the same pixel."""

    @staticmethod
    def forward(ctx, rgb: Tensor, alpha: Tensor, order: Tensor, inverse: Tensor, pixel: Tensor, first: Tensor,
                last: Tensor, pixels: int) -> Tensor:
        vals = torch.cat([rgb, alpha[None]]).index_select(1, order)
        color, a = vals[:3], vals[3]
        acc = torch.cumsum(torch.log1p(a * -OPAQUE).double(), 0)
        log_t = (acc.index_select(0, last) - acc).to(a.dtype)
        trans = torch.exp(log_t).masked_fill_(log_t <= DEEP, 0.0)
        weight = a * trans
        image = a.new_zeros(4, pixels).index_add_(1, pixel, torch.cat([color * weight, weight[None]]))
        ctx.save_for_backward(color, a, trans, weight, inverse, pixel, first)
        return image

    @staticmethod
    def backward(ctx, grad: Tensor):
        color, a, trans, weight, inverse, pixel, first = ctx.saved_tensors
        g = grad.index_select(1, pixel)
        g_color, g_a = g[:3], g[3]
        g_weight = (g_color * color).sum(0) + g_a
        # Σ over the fragments behind each one (earlier in its pixel) of g_weight · weight
        s = g_weight * weight
        before = torch.cumsum(s.double(), 0) - s.double()
        behind = (before - before.index_select(0, first)).to(a.dtype)
        d_alpha = g_weight * trans - behind * OPAQUE / (1.0 - OPAQUE * a)
        d = torch.cat([g_color * weight, d_alpha[None]]).index_select(1, inverse)
        return d[:3], d[3], None, None, None, None, None, None
