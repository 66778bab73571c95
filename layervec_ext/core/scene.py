"""The scene model: closed cubic Bézier paths with flat or gradient fills, back to front.

Everything an optimiser tunes is a ``torch.Tensor`` (float32, one device); structure (how many
segments, which fill kind, which layer) is plain Python. Coordinates are image pixels with the
origin at the top-left corner of the top-left pixel, y down — the SVG user space of a
``viewBox="0 0 width height"`` document.

Conventions shared by the renderer, the SVG reader/writer and the vectorizer:

* A path with ``S`` segments has ``points`` of shape ``(3*S, 2)``:
  ``[P0, C0a, C0b, P1, C1a, C1b, …, P(S-1), C(S-1)a, C(S-1)b]``; segment ``i`` runs
  ``P_i → P_(i+1)`` with controls ``C_ia, C_ib`` and the last one closes back to ``P0``
  (the layout pydiffvg uses for closed paths with two control points per segment).
* Colours are straight (not premultiplied) RGBA in ``[0, 1]``, as SVG's ``stop-color`` +
  ``stop-opacity``. Gradient stops are interpolated in sRGB, spread is ``pad``.
* Fill rule is non-zero.
* ``Path.layer`` indexes ``Scene.layers`` (names); lower layers are drawn first and hold the
  coarse shapes, so hiding the upper layers leaves a clean, coarser picture.
* ``Scene.background``, when set, is one flat colour over the whole canvas under every path
  (what a uniform border becomes). Renderers composite it analytically (a full-canvas path would
  be every pixel's fragment); the writer writes it as a full-canvas rectangle, the first path of
  the bottom layer (:meth:`Scene.background_path`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

import torch

from layervec_ext.core.geometry import rectangle_cubics

if TYPE_CHECKING:
    import numpy.typing as npt

Tensor = torch.Tensor
# A radial gradient's semi-axes are at least this (px): SVG renderers refuse a radius of 0, and
# below it the gradient is visually a point. Renderers and the writer clamp alike.
MIN_RADIUS = 1e-3


def _t(value, device=None) -> Tensor:
    return torch.as_tensor(value, dtype=torch.float32, device=device)


@dataclass
class FlatFill:
    """One colour: ``color`` is ``(4,)`` straight RGBA."""

    color: Tensor

    kind = "flat"

    def tensors(self) -> dict[str, Tensor]:
        return {"color": self.color}


@dataclass
class LinearGradient:
    """Colour varies along ``start → end`` (``(2,)`` each); ``offsets (N,)``, ``colors (N, 4)``."""

    start: Tensor
    end: Tensor
    offsets: Tensor
    colors: Tensor

    kind = "linear"

    def tensors(self) -> dict[str, Tensor]:
        return {"start": self.start, "end": self.end, "offsets": self.offsets, "colors": self.colors}


@dataclass
class RadialGradient:
    """Elliptical radial gradient, focus at the centre.

    ``center (2,)``; ``radius (2,)`` holds the ellipse's semi-axes ``(rx, ry)`` before rotation;
    ``angle ()`` rotates the ellipse by that many radians in SVG's ``rotate()`` sense (positive
    turns the x axis towards the y axis: clockwise on screen).
    ``t = ‖R(-angle)(p - center) / radius‖`` is the gradient parameter; ``offsets (N,)`` and
    ``colors (N, 4)`` are the stops.
    """

    center: Tensor
    radius: Tensor
    angle: Tensor
    offsets: Tensor
    colors: Tensor

    kind = "radial"

    def tensors(self) -> dict[str, Tensor]:
        return {
            "center": self.center,
            "radius": self.radius,
            "angle": self.angle,
            "offsets": self.offsets,
            "colors": self.colors,
        }


Fill = Union[FlatFill, LinearGradient, RadialGradient]


def map_fill(fill: Fill, fn: Callable[[Tensor], Tensor]) -> Fill:
    """A fill of the same kind whose every tensor is ``fn(tensor)`` (e.g. a clone: a path that owns
    its paint, which optimisers treat apart from any other's)."""
    return type(fill)(**{k: fn(v) for k, v in fill.tensors().items()})

# Which optimiser group each fill tensor belongs to (they want different learning rates).
PARAM_GROUP = {
    "color": "colors",
    "colors": "colors",
    "offsets": "offsets",
    "start": "geometry",
    "end": "geometry",
    "center": "geometry",
    "radius": "geometry",
    "angle": "geometry",
}


@dataclass
class Path:
    """A closed path of cubic Bézier segments with one fill."""

    points: Tensor
    fill: Fill
    opacity: Tensor = field(default_factory=lambda: _t(1.0))
    layer: int = 0
    id: str | None = None

    @property
    def num_segments(self) -> int:
        return int(self.points.shape[0]) // 3

    def segments(self) -> Tensor:
        """The cubics as ``(S, 4, 2)``: start, control, control, end."""
        pts = self.points
        nxt = torch.roll(pts[0::3], shifts=-1, dims=0)
        return torch.stack([pts[0::3], pts[1::3], pts[2::3], nxt], dim=1)

    def tensors(self) -> dict[str, Tensor]:
        out = {"points": self.points, "opacity": self.opacity}
        out.update({f"fill.{k}": v for k, v in self.fill.tensors().items()})
        return out


@dataclass
class Scene:
    """A canvas of ``width × height`` pixels and its paths, drawn back to front over the
    ``background`` colour (none: transparent)."""

    width: int
    height: int
    paths: list[Path] = field(default_factory=list)
    layers: list[str] = field(default_factory=lambda: ["Layer 1"])
    background: FlatFill | None = None

    @property
    def device(self) -> torch.device:
        if self.paths:
            return self.paths[0].points.device
        return self.background.color.device if self.background is not None else torch.device("cpu")

    def background_path(self) -> Path | None:
        """The background as the path an SVG shows: a full-canvas rectangle of 4 cubics in the
        bottom layer (``None`` without a background)."""
        if self.background is None:
            return None
        dev = self.background.color.device
        return Path(_t(rectangle_cubics(0.0, 0.0, float(self.width), float(self.height)), dev), self.background,
                    _t(1.0, dev), 0, None)

    def drawn_paths(self) -> list[Path]:
        """What an SVG of the scene holds: the background's rectangle (when set), then the paths."""
        bg = self.background_path()
        return self.paths if bg is None else [bg, *self.paths]

    @property
    def num_paths(self) -> int:
        """Paths an editor sees: the background's rectangle counts."""
        return len(self.paths) + (self.background is not None)

    @property
    def num_segments(self) -> int:
        """Bézier segments in the whole scene: the "nodes" an editor sees."""
        return sum(p.num_segments for p in self.drawn_paths())

    def add(self, path: Path) -> Path:
        self.paths.append(path)
        return path

    def named_tensors(self) -> Iterator[tuple[str, Tensor]]:
        """``("paths.3.fill.colors", tensor)``-style pairs, for optimisers and checks."""
        for i, path in enumerate(self.paths):
            for name, tensor in path.tensors().items():
                yield f"paths.{i}.{name}", tensor
        if self.background is not None:
            yield "background.color", self.background.color

    def param_groups(self) -> dict[str, list[Tensor]]:
        """Tensors grouped by kind: ``points``, ``colors``, ``offsets``, ``geometry``, ``opacity``."""
        groups: dict[str, list[Tensor]] = {
            "points": [], "colors": [], "offsets": [], "geometry": [], "opacity": []
        }
        for path in self.paths:
            groups["points"].append(path.points)
            groups["opacity"].append(path.opacity)
            for name, tensor in path.fill.tensors().items():
                groups[PARAM_GROUP[name]].append(tensor)
        if self.background is not None:
            groups["colors"].append(self.background.color)
        return groups

    def requires_grad_(self, flag: bool = True) -> Scene:
        for _, tensor in self.named_tensors():
            tensor.requires_grad_(flag)
        return self

    def map_tensors(self, fn: Callable[[Tensor], Tensor]) -> Scene:
        """A new scene whose every tensor is ``fn(tensor)`` (e.g. detach, clone, move)."""

        return Scene(
            self.width,
            self.height,
            [
                Path(fn(p.points), map_fill(p.fill, fn), fn(p.opacity), p.layer, p.id)
                for p in self.paths
            ],
            list(self.layers),
            None if self.background is None else map_fill(self.background, fn),
        )

    def detached(self) -> Scene:
        return self.map_tensors(lambda t: t.detach().clone())

    def to(self, device: torch.device | str) -> Scene:
        return self.map_tensors(lambda t: t.to(device))


def stop_offsets(offsets: Tensor) -> Tensor:
    """Offsets as SVG uses them: clamped to [0, 1] and made non-decreasing (SVG raises an offset
    smaller than the previous one to it). Renderer and writer both go through this, so an optimiser
    that pushes stops out of order still gets ``render(scene) == resvg(scene_to_svg(scene))``."""
    return torch.cummax(offsets.clamp(0.0, 1.0), dim=-1).values


def flat(color: npt.ArrayLike, device: torch.device | str | None = None) -> FlatFill:
    return FlatFill(_t(color, device))


def linear(start: npt.ArrayLike, end: npt.ArrayLike, offsets: npt.ArrayLike, colors: npt.ArrayLike,
           device: torch.device | str | None = None) -> LinearGradient:
    return LinearGradient(_t(start, device), _t(end, device), _t(offsets, device), _t(colors, device))


def radial(center: npt.ArrayLike, radius: npt.ArrayLike, offsets: npt.ArrayLike, colors: npt.ArrayLike,
           angle: npt.ArrayLike = 0.0, device: torch.device | str | None = None) -> RadialGradient:
    return RadialGradient(
        _t(center, device), _t(radius, device), _t(angle, device), _t(offsets, device),
        _t(colors, device),
    )


def path(points: npt.ArrayLike, fill: Fill, opacity: float = 1.0, layer: int = 0, id: str | None = None,
         device: torch.device | str | None = None) -> Path:
    """Build a :class:`Path` from nested lists/arrays (``(3*S, 2)`` points)."""
    return Path(_t(points, device), fill, _t(opacity, device), layer, id)


def circle_points(cx: float, cy: float, r: float, segments: int = 4,
                  device: torch.device | str | None = None) -> Tensor:
    """A circle as ``segments`` cubics (the usual 4·tan(θ/4)/3 handle length)."""
    import math

    theta = 2 * math.pi / segments
    k = 4.0 / 3.0 * math.tan(theta / 4)
    pts = []
    for i in range(segments):
        a0, a1 = i * theta, (i + 1) * theta
        p0 = (cx + r * math.cos(a0), cy + r * math.sin(a0))
        p1 = (cx + r * math.cos(a1), cy + r * math.sin(a1))
        c0 = (p0[0] - k * r * math.sin(a0), p0[1] + k * r * math.cos(a0))
        c1 = (p1[0] + k * r * math.sin(a1), p1[1] - k * r * math.cos(a1))
        pts += [p0, c0, c1]
    return _t(pts, device)
