"""The pixel error of a step, compiled, is PyTorch's: the same sum and gradients to rounding."""

from __future__ import annotations

import pytest
import torch

from layervec_ext.core.jit import loops
from layervec_ext.core.vectorize.losses import drawn_error


def case(under: str, weighted: bool, seed: int = 0):
    """A step's drawn pixels: translucent and opaque values over one background colour (being
    optimised) or a fixed canvas, some pixels standing for a 2×2 block, maybe weighted."""
    g = torch.Generator().manual_seed(seed)
    pixels, drawn_count = 40 * 30, 500
    target = torch.rand(pixels, 4, generator=g)
    drawn = torch.randperm(pixels, generator=g)[:drawn_count].sort().values
    values = torch.rand(drawn_count, 4, generator=g)
    values[::3, 3] = 1.0
    values[:, :3] *= values[:, 3:]
    share = torch.where(torch.rand(drawn_count, generator=g) < 0.3, 4.0, 1.0)
    below = torch.rand(1, 4, generator=g) if under == "colour" else torch.rand(pixels, 4, generator=g)
    weight = 1 + 3 * torch.rand(pixels, generator=g) if weighted else None
    return values, below, target, drawn, share, weight


@pytest.mark.parametrize("under", ["colour", "canvas"])
@pytest.mark.parametrize("weighted", [False, True])
def test_compiled_drawn_error_is_pytorchs(under, weighted):
    values, below, target, drawn, share, weight = case(under, weighted)
    results = []
    for compiled in (True, False):
        v, b = values.clone().requires_grad_(), below.clone().requires_grad_(under == "colour")
        total = drawn_error(v, b, target, drawn, share, weight, compiled=compiled)
        (3.0 * total).backward()
        results.append((total.detach(), v.grad, b.grad))
    (fast, fast_v, fast_b), (ref, ref_v, ref_b) = results
    assert float(ref) > 1.0
    assert torch.allclose(fast, ref, rtol=1e-5)
    assert torch.allclose(fast_v, ref_v, rtol=1e-4, atol=1e-5)
    if under == "colour":
        assert torch.allclose(fast_b, ref_b, rtol=1e-4, atol=1e-4)
    else:
        assert fast_b is None and ref_b is None


@pytest.mark.parametrize("compiled", [True, False])
def test_a_canvas_below_is_read_at_the_drawn_pixels(compiled):
    values, canvas, target, drawn, share, weight = case("canvas", True)
    results = []
    for by_hand in (True, False):
        v = values.clone().requires_grad_()
        if by_hand:  # the definition, with the canvas gathered at the drawn pixels' keys
            below, picked = canvas.index_select(0, drawn), target.index_select(0, drawn)
            total = (((v + (1.0 - v[:, 3:4]) * below - picked) ** 2).sum(1) * share * weight[drawn]).sum()
        else:
            total = drawn_error(v, canvas, target, drawn, share, weight, compiled=compiled)
        total.backward()
        results.append((total.detach(), v.grad))
    (ref, ref_v), (got, got_v) = results
    assert float(ref) > 1.0
    assert torch.allclose(got, ref, rtol=1e-5)
    assert torch.allclose(got_v, ref_v, rtol=1e-4, atol=1e-5)


def test_numba_compiles_the_pixel_error_here():
    assert loops("layervec_ext.core.vectorize.compiled_loss") is not None


def test_compiled_row_sums_are_the_gathered_rows_summed():
    g = torch.Generator().manual_seed(1)
    table = torch.rand(1000, 6, generator=g, dtype=torch.float64)
    index = torch.randperm(1000, generator=g)[:700].sort().values
    fast = loops("layervec_ext.core.vectorize.compiled_loss").row_sums(table.numpy(), index.numpy())
    assert torch.allclose(torch.from_numpy(fast), table.index_select(0, index).sum(0), rtol=1e-12)


def test_drawn_error_refuses_what_the_loops_cannot_check():
    values, below, target, drawn, share, _ = case("colour", False)
    with pytest.raises(ValueError, match="one row or one per canvas pixel"):
        drawn_error(values, below.expand(3, 4), target, drawn, share)
    with pytest.raises(ValueError, match="on the target"):
        drawn_error(values, below, target, drawn + target.shape[0], share, compiled=True)
