"""Scene → standalone SVG that resvg, Inkscape and browsers draw alike.

One ``<g inkscape:groupmode="layer">`` per non-empty layer (bottom = coarse), gradients in
``<defs>`` with ``gradientUnits="userSpaceOnUse"``, ``viewBox`` in image pixels. Output is a pure
function of the tensors' values, so the same scene always gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

import torch

from layervec_ext.core.scene import MIN_RADIUS, FlatFill, LinearGradient, Path, RadialGradient, Scene, stop_offsets

SVG_NS = "http://www.w3.org/2000/svg"
INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"


def fmt(value: float, digits: int = 3) -> str:
    """Shortest decimal with at most ``digits`` decimals (``-0`` printed as ``0``)."""
    if not math.isfinite(value):
        raise ValueError(f"cannot write a non-finite number ({value}) to SVG")
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def hex_color(rgb: Iterable[float]) -> str:
    r, g, b = (min(255, max(0, int(round(float(c) * 255)))) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def path_data(path: Path) -> str:
    """``M p0 C c c p1 … Z``: one cubic per segment, the last one closing back to ``p0``."""
    seg = path.segments().detach().cpu().tolist()
    parts = [f"M{fmt(seg[0][0][0])} {fmt(seg[0][0][1])}"]
    for _, c1, c2, p1 in seg:
        parts.append("C" + " ".join(f"{fmt(x)} {fmt(y)}" for x, y in (c1, c2, p1)))
    return "".join(parts) + "Z"


def _stops(offsets: torch.Tensor, colors: torch.Tensor) -> list[str]:
    offs = stop_offsets(offsets.detach()).cpu().tolist()
    cols = colors.detach().clamp(0, 1).cpu().tolist()
    out = []
    for off, col in zip(offs, cols):
        opacity = "" if col[3] >= 0.9995 else f' stop-opacity="{fmt(col[3])}"'
        out.append(f'<stop offset="{fmt(off, 4)}" stop-color="{hex_color(col[:3])}"{opacity}/>')
    return out


def gradient_element(fill: LinearGradient | RadialGradient, gid: str) -> str:
    """The ``<linearGradient>``/``<radialGradient>`` for ``fill``, user-space coordinates."""
    stops = "".join(_stops(fill.offsets, fill.colors))
    if isinstance(fill, LinearGradient):
        (x1, y1), (x2, y2) = fill.start.detach().tolist(), fill.end.detach().tolist()
        return (f'<linearGradient id="{gid}" gradientUnits="userSpaceOnUse" x1="{fmt(x1)}" y1="{fmt(y1)}" '
                f'x2="{fmt(x2)}" y2="{fmt(y2)}">{stops}</linearGradient>')
    cx, cy = fill.center.detach().tolist()
    rx, ry = (max(MIN_RADIUS, abs(v)) for v in fill.radius.detach().tolist())
    angle = float(fill.angle.detach())
    cos, sin = math.cos(angle), math.sin(angle)
    # unit circle at the origin → translate(c) rotate(angle) scale(rx, ry)
    matrix = " ".join(fmt(v, 4) for v in (rx * cos, rx * sin, -ry * sin, ry * cos, cx, cy))
    return (f'<radialGradient id="{gid}" gradientUnits="userSpaceOnUse" cx="0" cy="0" r="1" '
            f'gradientTransform="matrix({matrix})">{stops}</radialGradient>')


def paint_attributes(path: Path, gid: str) -> str:
    fill = path.fill
    if isinstance(fill, FlatFill):
        r, g, b, a = fill.color.detach().clamp(0, 1).tolist()
        attrs = f'fill="{hex_color((r, g, b))}"'
        if a < 0.9995:
            attrs += f' fill-opacity="{fmt(a)}"'
    else:
        attrs = f'fill="url(#{gid})"'
    opacity = float(path.opacity.detach().clamp(0, 1))
    if opacity < 0.9995:
        attrs += f' opacity="{fmt(opacity)}"'
    return attrs


def scene_to_svg(scene: Scene, *, id_prefix: str = "lv") -> str:
    """The whole document as text. Ids are ``{id_prefix}layerK``, ``{id_prefix}pathN``,
    ``{id_prefix}gradN`` (N = the path's index in ``scene.drawn_paths()``: the background's
    rectangle, when the scene has one, is path 0, first in the bottom layer)."""
    defs: list[str] = []
    layers: dict[int, list[str]] = {}
    for index, path in enumerate(scene.drawn_paths()):
        gid = f"{id_prefix}grad{index}"
        if not isinstance(path.fill, FlatFill):
            defs.append(gradient_element(path.fill, gid))
        pid = quoteattr(path.id or f"{id_prefix}path{index}")
        layers.setdefault(path.layer, []).append(
            f'<path id={pid} d="{path_data(path)}" {paint_attributes(path, gid)}/>'
        )
    w, h = scene.width, scene.height
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="{SVG_NS}" xmlns:inkscape="{INKSCAPE_NS}" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
    ]
    if defs:
        lines += ["<defs>", *defs, "</defs>"]
    for layer in sorted(layers):
        name = scene.layers[layer] if layer < len(scene.layers) else f"Layer {layer + 1}"
        lines.append(f'<g id="{id_prefix}layer{layer}" inkscape:groupmode="layer" inkscape:label={quoteattr(name)}>')
        lines += layers[layer]
        lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"
