"""Square roots rounded alike on every CPU.

On the CPU, ``torch.sqrt`` (and ``exp``, ``log``, ``tanh``…) of more than a few numbers calls
MKL's vector maths in its high-accuracy mode: within an ulp, but which ulp follows the code path
MKL picks for the CPU, and the fit follows every last bit (DESIGN §4, "The same SVG on every x86-64
machine"). numpy's square root is the processor's instruction, correctly rounded everywhere. The
renderer and the optimiser take their roots from here; their other maths (``log1p``, ``expm1``,
``sin``, ``cos``, norms) PyTorch computes itself, alike whatever vector width it picks.
"""

from __future__ import annotations

import numpy as np
import torch

Tensor = torch.Tensor


def sqrt(x: Tensor) -> Tensor:
    """``√x``, differentiable: correctly rounded on the CPU; ``torch.sqrt`` elsewhere (a GPU)."""
    if x.device.type != "cpu":
        return torch.sqrt(x)
    return _Sqrt.apply(x)


def sqrt_each(tensors: list[Tensor]) -> list[Tensor]:
    """``√t`` of each tensor (no gradient), as :func:`sqrt` rounds it."""
    return [torch.from_numpy(np.sqrt(t.numpy())) if t.device.type == "cpu" else torch.sqrt(t) for t in tensors]


class _Sqrt(torch.autograd.Function):
    """numpy's square root, with ``torch.sqrt``'s gradient ``g / (2√x)``."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        root = torch.from_numpy(np.asarray(np.sqrt(x.detach().numpy())))
        ctx.save_for_backward(root)
        return root

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (root,) = ctx.saved_tensors
        return grad / (2 * root)
