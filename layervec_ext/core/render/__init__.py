"""Differentiable rasterisation of a :class:`~layervec_ext.core.scene.Scene`.

``render(scene)`` returns a ``(height, width, 4)`` float32 tensor of **premultiplied** RGBA in
``[0, 1]`` on the scene's device, differentiable in every tensor of the scene. ``composite``
puts it over a background colour. ``renderer`` picks the implementation:

* ``"torch"`` (default): our fragment rasteriser in PyTorch, CPU and CUDA; on the CPU its
  per-pixel loops run compiled (numba, ``compiled*.py``), the PyTorch versions beside them;
* ``"reference"``: a dense, slow, obviously-correct PyTorch version used to test the fast one;
* ``"diffvg"``: the optional pydiffvg adapter, only when pydiffvg imports.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from layervec_ext.core.scene import Scene

RENDERERS = ("torch", "reference", "diffvg")


def render(scene: Scene, *, renderer: str = "torch") -> torch.Tensor:
    """Rasterise ``scene`` to premultiplied RGBA ``(H, W, 4)``."""
    if renderer == "torch":
        from layervec_ext.core.render.raster import render_scene
    elif renderer == "reference":
        from layervec_ext.core.render.reference import render_scene
    elif renderer == "diffvg":
        from layervec_ext.core.render.diffvg import render_scene
    else:
        raise ValueError(f"unknown renderer {renderer!r}; choose one of {', '.join(RENDERERS)}")
    return render_scene(scene)


def composite(image: torch.Tensor, background: Sequence[float] = (1.0, 1.0, 1.0)) -> torch.Tensor:
    """Premultiplied RGBA ``(H, W, 4)`` over an opaque background colour → RGB ``(H, W, 3)``."""
    bg = torch.as_tensor(background, dtype=image.dtype, device=image.device).reshape(-1)[:3].expand(3)
    # rgb + (1 − α)·bg, elementwise: rounded alike on every CPU, where a matrix product rounds as
    # the BLAS kernel picked for the CPU does (DESIGN §4). Our renderer's image is a channel-last
    # view of channel planes: worked on the planes, each operation is one pass over memory.
    planes = image.movedim(-1, 0)
    if planes.is_contiguous():
        return (planes[:3] + (1.0 - planes[3:]) * bg.reshape(3, *[1] * (image.dim() - 1))).movedim(0, -1)
    return image[..., :3] + (1.0 - image[..., 3:]) * bg
