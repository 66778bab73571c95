"""Losses: pixel error against the target, LIVE's self-intersection ("Xing") penalty and a penalty
against an outline crossing itself between different cubics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from layervec_ext.core.geometry import edge_pairs
from layervec_ext.core.jit import arrays, loops, loops_for
from layervec_ext.core.render.common import bernstein, on_cubics

Tensor = torch.Tensor

# Lines per cubic of the outline the crossing penalty looks at.
CROSSING_LINES = 4
# The crossing penalty's weight inside :func:`xing_loss` while :func:`crossing_penalty` is on, per
# pixel of crossing depth (the optimiser multiplies the whole by ``Settings.xing_weight``, 0.002):
# enough that Adam, which scales each point's step by its own gradients, moves the points of a
# crossing apart.
CROSSING = 0.05
_crossing_weight = [0.0]  # the weight in force: 0 outside crossing_penalty()


@contextmanager
def crossing_penalty(weight: float = CROSSING) -> Iterator[None]:
    """Within it, :func:`xing_loss` also penalises outlines crossing themselves between cubics
    (:func:`crossing_loss`, times ``weight``). Off by default: during the stages it cost 0.9 dB on
    an icon at 64 paths (``icons__lock``, 46.3 → 45.4 dB) and left crossings all the same, and in
    the final pass, a sum over every crossing, it outweighed the picture at 256 paths (the 1024²
    hamburger 41 → 35 dB); after the repair (:mod:`untangle`) it keeps the repaired outlines apart."""
    before = _crossing_weight[0]
    _crossing_weight[0] = weight
    try:
        yield
    finally:
        _crossing_weight[0] = before


def pixel_loss(rendered: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    """Mean squared error over premultiplied RGBA (alpha is matched too, so transparent stays
    transparent); ``weight (H, W)`` focuses it where the new paths should explain the image. The
    definition, on a whole picture: over a fixed canvas, or sampled, the optimiser computes it from
    the pixels the paths touch (``optimize._Problem.loss``, tested against this)."""
    if weight is None:
        return F.mse_loss(rendered, target, reduction="sum") / rendered[..., 0].numel()
    err = F.mse_loss(rendered, target, reduction="none").sum(-1)
    return (err * weight).sum() / weight.sum().clamp_min(1e-9)


def drawn_error(values: Tensor, below: Tensor, target: Tensor, drawn: Tensor, share: Tensor,
                weight: Tensor | None = None, compiled: bool | None = None) -> Tensor:
    """The squared error of the pixels a step draws: ``Σ_i share_i · w_i · ‖v_i + (1 − α_i)·b_i −
    t_i‖²`` over the drawn pixels ``drawn (U,)`` (canvas keys) of premultiplied ``values (U, 4)``
    over ``below`` (the canvas ``(H·W, 4)`` under them, read at the keys, or one row under all of
    them), against the flat ``target (H·W, 4)`` and ``weight (H·W,)`` at those keys.
    Differentiable in ``values`` and ``below``. ``compiled``: by
    :mod:`~layervec_ext.core.vectorize.compiled_loss` (``None``: where it can run, float32 on the
    CPU) or by PyTorch — the definition it is tested against."""
    if below.shape[0] not in (1, target.shape[0]) or share.shape[0] != values.shape[0]:
        raise ValueError("below must have one row or one per canvas pixel, and share one value per drawn pixel")
    if compiled is None:
        checked = (values, below, target) + ((weight,) if weight is not None else ())
        compiled = loops_for("layervec_ext.core.vectorize.compiled_loss", *checked) is not None
    if compiled:
        if drawn.numel() and not 0 <= int(drawn.min()) <= int(drawn.max()) < target.shape[0]:
            raise ValueError("drawn pixel keys must lie on the target")  # the loops do not check
        return _CompiledDrawnError.apply(values, below, target, drawn, share,
                                         weight if weight is not None else target.new_zeros(0))
    if below.shape[0] > 1:
        below = below.index_select(0, drawn)
    err = ((values + (1.0 - values[:, 3:4]) * below - target.index_select(0, drawn)) ** 2).sum(1) * share
    if weight is not None:
        err = err * weight.index_select(0, drawn)
    return err.sum()


class _CompiledDrawnError(torch.autograd.Function):
    """:func:`drawn_error` by the compiled loops: one pass over the drawn pixels each way."""

    @staticmethod
    def forward(ctx, values: Tensor, below: Tensor, target: Tensor, drawn: Tensor, share: Tensor,
                weight: Tensor) -> Tensor:
        # the loops take values channel-major: the shading's own layout (values = its (4, U) image
        # transposed), so neither they nor their gradient are copied between the two
        args = arrays(values.t(), below, target, drawn, share.to(values.dtype), weight)
        ctx.args = args
        return values.new_tensor(loops("layervec_ext.core.vectorize.compiled_loss").forward(*args))

    @staticmethod
    def backward(ctx, grad: Tensor):
        d_values, d_below = loops("layervec_ext.core.vectorize.compiled_loss").backward(
            np.float32(grad), *ctx.args, ctx.needs_input_grad[1])
        return (torch.from_numpy(d_values).t(), torch.from_numpy(d_below) if ctx.needs_input_grad[1] else None,
                None, None, None, None)


def live_xing_loss(segments: Tensor) -> Tensor:
    """LIVE's Xing loss over cubics ``(S, 4, 2)``: for each cubic A B C D, when the turn A→B→C is
    one way, the angle between AB and CD must turn the same way; penalise sin(angle) of the wrong
    sign (a looped cubic)."""
    if segments.shape[0] == 0:
        return segments.new_zeros(())
    a, b, c, d = segments.unbind(1)
    ab, bc, cd = b - a, c - b, d - c

    def cross(u: Tensor, v: Tensor) -> Tensor:
        return u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]

    d1 = (cross(ab, bc) > 0).to(segments.dtype)
    d2 = cross(ab, cd) / (ab.norm(dim=1) * cd.norm(dim=1) + 1e-6)
    return (d1 * torch.relu(-d2) + (1 - d1) * torch.relu(d2)).mean()


def path_counts(segments: Tensor) -> tuple[int, ...]:
    """Cubics per path of ``segments (S, 4, 2)`` laid out path after path (each path's cubics in
    order, the last ending where its first starts): a path starts where a cubic does not begin at
    the previous one's end."""
    if segments.shape[0] == 0:
        return ()
    with torch.no_grad():
        starts = (segments[:, 0] != torch.roll(segments[:, 3], 1, dims=0)).any(1)
        starts[0] = True
        first = torch.nonzero(starts).flatten().tolist()
    return tuple(int(b - a) for a, b in zip(first, first[1:] + [segments.shape[0]]))


@lru_cache(maxsize=64)
def _edge_pairs(counts: tuple[int, ...], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For outlines of ``counts`` cubics flattened into ``k`` lines each: every line's next vertex,
    and the pairs of lines of one outline that share no vertex."""
    nxt, first, second = [], [], []
    start = 0
    for c in counts:
        n = c * k
        idx = np.arange(n)
        nxt.append(start + (idx + 1) % n)
        i, j = edge_pairs(n)
        first.append(start + i)
        second.append(start + j)
        start += n
    return np.concatenate(nxt), np.concatenate(first), np.concatenate(second)


def crossing_loss(segments: Tensor, k: int = CROSSING_LINES) -> Tensor:
    """How deep the outlines of ``segments (S, 4, 2)`` (path after path, see :func:`path_counts`)
    cross themselves: over every pair of lines of one outline (flattened into ``k`` lines per
    cubic) that cross, the shortest distance one of their ends has to move to undo it, summed."""
    counts = path_counts(segments)
    if not counts:
        return segments.new_zeros(())
    verts = on_cubics(bernstein(k, segments.device, segments.dtype), segments)
    nxt, first, second = (torch.as_tensor(a, device=segments.device) for a in _edge_pairs(counts, k))

    def dist(p: Tensor, q: Tensor, r: Tensor) -> Tensor:  # signed distance of r from the line p→q
        e = q - p
        return (e[:, 0] * (r[:, 1] - p[:, 1]) - e[:, 1] * (r[:, 0] - p[:, 0])) / (e.norm(dim=1) + 1e-6)

    def tests(v: Tensor, first: Tensor, second: Tensor) -> tuple[Tensor, ...]:
        a1, b1, a2, b2 = v[first], v[nxt[first]], v[second], v[nxt[second]]
        return dist(a2, b2, a1), dist(a2, b2, b1), dist(a1, b1, a2), dist(a1, b1, b2)

    with torch.no_grad():  # which pairs cross: on every pair, without a graph
        d1, d2, d3, d4 = tests(verts, first, second)
        hit = torch.nonzero((d1 * d2 < 0) & (d3 * d4 < 0)).flatten()
    if hit.numel() == 0:
        return segments.new_zeros(())
    d1, d2, d3, d4 = tests(verts, first[hit], second[hit])  # how deep: on those, differentiably
    return torch.stack([d1.abs(), d2.abs(), d3.abs(), d4.abs()], 1).min(1).values.sum()


def xing_loss(segments: Tensor) -> Tensor:
    """The self-intersection penalty the optimiser adds (times ``Settings.xing_weight``): LIVE's
    per-cubic Xing loss, and within :func:`crossing_penalty` its weight × :func:`crossing_loss`
    (outlines crossing themselves between cubics — loops at a node, bow-ties)."""
    if segments.shape[0] == 0:
        return segments.new_zeros(())
    live = live_xing_loss(segments)
    weight = _crossing_weight[0]
    return live + weight * crossing_loss(segments) if weight else live
