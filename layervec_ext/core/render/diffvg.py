"""Optional adapter to pydiffvg (Li et al. 2020) for users who have it built: same scene in, same
``(H, W, 4)`` premultiplied image out, so results can be compared renderer against renderer.

pydiffvg has no PyPI package; it is imported only when this renderer is asked for. Differences it
cannot express are refused rather than silently drawn otherwise: rotated radial gradients (diffvg's
are axis-aligned). Stops, colours, opacity and draw order follow the same rules as our renderers
(``common.py``), so the images agree up to anti-aliasing.
"""

from __future__ import annotations

from types import ModuleType

import torch

from layervec_ext.core.render.common import draw_order, over_background, radial_radius, with_opacity
from layervec_ext.core.scene import FlatFill, LinearGradient, Path, Scene, stop_offsets

Tensor = torch.Tensor
# Samples per pixel along each axis (LIVE/SGLIVE render with 2×2).
SAMPLES = 2


def require_pydiffvg() -> ModuleType:
    """The pydiffvg module, or a one-line ``RuntimeError`` saying how to get it."""
    try:
        import pydiffvg
    except ImportError as exc:
        raise RuntimeError(
            "pydiffvg is not installed: build it from https://github.com/BachiLi/diffvg "
            "(no PyPI package), or use renderer='torch'"
        ) from exc
    return pydiffvg


def _paint(pydiffvg, path: Path):
    """The diffvg fill of one path, path opacity folded into the stops' alpha."""
    fill = path.fill
    opacity = path.opacity.clamp(0.0, 1.0)
    if isinstance(fill, FlatFill):
        return with_opacity(fill.color, opacity)
    offsets, colors = stop_offsets(fill.offsets), with_opacity(fill.colors, opacity)
    if isinstance(fill, LinearGradient):
        return pydiffvg.LinearGradient(begin=fill.start, end=fill.end, offsets=offsets, stop_colors=colors)
    if abs(float(fill.angle)) > 1e-6:
        raise ValueError("diffvg draws only axis-aligned radial gradients; this scene has a rotated one "
                         "(use renderer='torch')")
    return pydiffvg.RadialGradient(center=fill.center, radius=radial_radius(fill.radius),
                                   offsets=offsets, stop_colors=colors)


def render_scene(scene: Scene, samples: int = SAMPLES) -> Tensor:
    """Premultiplied RGBA ``(H, W, 4)`` float32 through pydiffvg, on the scene's device."""
    pydiffvg = require_pydiffvg()
    device = scene.device
    pydiffvg.set_use_gpu(device.type == "cuda")
    if device.type == "cuda":
        pydiffvg.set_device(device)
    shapes, groups = [], []
    for index, path in enumerate(draw_order(scene)):
        shapes.append(pydiffvg.Path(
            num_control_points=torch.full((path.num_segments,), 2, dtype=torch.int32),
            points=path.points, is_closed=True, stroke_width=torch.tensor(0.0)))
        groups.append(pydiffvg.ShapeGroup(shape_ids=torch.tensor([index]), fill_color=_paint(pydiffvg, path),
                                          use_even_odd_rule=False))
    background = None if scene.background is None else scene.background.color
    if not shapes:
        return over_background(torch.zeros(scene.height, scene.width, 4, device=device), background)
    args = pydiffvg.RenderFunction.serialize_scene(scene.width, scene.height, shapes, groups)
    image = pydiffvg.RenderFunction.apply(scene.width, scene.height, samples, samples, 0, None, *args)
    image = image.to(device=device, dtype=torch.float32)
    # diffvg returns straight (non-premultiplied) colour
    return over_background(torch.cat([image[..., :3] * image[..., 3:4], image[..., 3:4]], dim=-1), background)
