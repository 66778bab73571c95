"""A scene as a handful of flat tensors: what the fast renderer draws and the optimiser updates.

With one tensor per path and field, every step pays per path: a ``stack`` forward, an ``unbind``
and an accumulate-grad node per tensor backward — about 0.6 ms a path on one CPU thread, more than
the drawing itself below a few hundred thousand fragments. Packed, the same step is a few dozen
ops whatever the number of paths:

* ``points (N, 2)``: every path's points in draw order (bottom layer first, scene order within a
  layer), path ``i`` owning ``3 * counts[i]`` rows;
* ``opacity (P,)``;
* fills in groups of one kind and stop count, each field stacked (``FillGroup``);
* ``background``: the scene's flat background colour ``(4,)``, or ``None``.

``PackedScene.pack(scene)`` is differentiable (``cat``/``stack`` of the scene's tensors), so
``render(scene)`` keeps gradients for per-path tensors; an optimiser instead packs once, makes the
packed tensors its leaves, and writes the result back with :meth:`PackedScene.write_back`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import torch

from layervec_ext.core.render.common import MIN_RADIUS, Paint, draw_indices, fill_paint, with_opacity
from layervec_ext.core.scene import Scene, stop_offsets

Tensor = torch.Tensor

FIELDS = {
    "flat": ("color",),
    "linear": ("start", "end", "offsets", "colors"),
    "radial": ("center", "radius", "angle", "offsets", "colors"),
}


@dataclass
class FillGroup:
    """Fills of one kind and stop count, every field stacked along a first axis of paths."""

    kind: str
    stops: int
    members: list[int]  # draw positions of the paths in this group
    tensors: dict[str, Tensor]


@dataclass
class PackedScene:
    width: int
    height: int
    points: Tensor  # (N, 2)
    counts: tuple[int, ...]  # cubic segments of each drawn path
    opacity: Tensor  # (P,)
    groups: list[FillGroup]
    order: list[int] = field(default_factory=list)  # scene index of each draw position
    background: Tensor | None = None  # (4,) straight RGBA under every path

    @classmethod
    def pack(cls, scene: Scene) -> PackedScene:
        """The scene's drawable paths (at least one segment) in draw order."""
        order = [i for i in draw_indices(scene) if scene.paths[i].num_segments > 0]
        paths = [scene.paths[i] for i in order]
        dev = scene.device
        background = None if scene.background is None else scene.background.color
        if not paths:
            return cls(scene.width, scene.height, torch.zeros(0, 2, device=dev), (), torch.zeros(0, device=dev), [],
                       [], background)
        keyed: dict[tuple[str, int], list[int]] = {}
        for pos, p in enumerate(paths):
            stops = 1 if p.fill.kind == "flat" else int(p.fill.offsets.shape[0])
            keyed.setdefault((p.fill.kind, stops), []).append(pos)
        groups = [FillGroup(kind, stops, members,
                            {name: torch.stack([getattr(paths[m].fill, name) for m in members])
                             for name in FIELDS[kind]})
                  for (kind, stops), members in keyed.items()]
        return cls(scene.width, scene.height, torch.cat([p.points for p in paths]),
                   tuple(p.num_segments for p in paths), torch.stack([p.opacity.reshape(()) for p in paths]),
                   groups, order, background)

    # -------------------------------------------------------------------------------- access

    @property
    def device(self) -> torch.device:
        return self.points.device

    @property
    def num_paths(self) -> int:
        return len(self.counts)

    def named_tensors(self) -> Iterator[tuple[str, Tensor]]:
        yield "points", self.points
        yield "opacity", self.opacity
        for gi, g in enumerate(self.groups):
            for name, t in g.tensors.items():
                yield f"groups.{gi}.{name}", t
        if self.background is not None:
            yield "background", self.background

    def requires_grad_(self, flag: bool = True) -> PackedScene:
        for _, t in self.named_tensors():
            t.requires_grad_(flag)
        return self

    def point_rows(self, positions: list[int]) -> Tensor:
        """Row indices into ``points`` of the paths at these draw positions."""
        start = [0]
        for c in self.counts:
            start.append(start[-1] + 3 * c)
        rows = [torch.arange(start[p], start[p + 1]) for p in positions]
        return torch.cat(rows).to(self.device) if rows else torch.zeros(0, dtype=torch.long, device=self.device)

    def segment_index(self) -> Tensor:
        """``(S, 4)`` rows of ``points`` for each cubic's start, two controls and end."""
        return _segment_index(self.counts, self.device)

    def segments(self) -> Tensor:
        """All cubics as ``(S, 4, 2)``."""
        return self.points[self.segment_index()]

    # -------------------------------------------------------------------------------- paint

    def paint(self) -> Paint:
        """Every fill as one affine gradient, in draw order: ``t = ‖A (p - origin)‖`` when
        ``radial`` else ``(A (p - origin))_x + bias``, then stops. Returns ``A (P, 2, 2)``,
        ``origin (P, 2)``, ``radial (P,)``, ``bias (P,)``, ``offsets (P, N)``, straight
        ``colors (P, N, 4)`` with the path opacity folded into alpha. Shorter stop lists are padded
        by repeating their last stop (which changes nothing)."""
        nmax = max(g.stops for g in self.groups)
        parts, members = [], []
        for g in self.groups:
            a, origin, radial, bias, offsets, colors = fill_paint(g.kind, g.tensors)
            if g.stops < nmax:
                offsets = torch.cat([offsets, offsets[:, -1:].expand(-1, nmax - g.stops)], dim=1)
                colors = torch.cat([colors, colors[:, -1:].expand(-1, nmax - g.stops, -1)], dim=1)
            parts.append((a, origin, radial, bias, offsets, colors))
            members += g.members
        if len(parts) == 1:
            out = parts[0]
        else:
            inverse = torch.empty(len(members), dtype=torch.long)
            inverse[torch.as_tensor(members)] = torch.arange(len(members))
            inverse = inverse.to(self.device)
            out = tuple(torch.cat(f).index_select(0, inverse) for f in zip(*parts))
        a, origin, radial, bias, offsets, colors = out
        return a, origin, radial, bias, offsets, with_opacity(colors, self.opacity.clamp(0.0, 1.0)[:, None, None])

    # -------------------------------------------------------------------------------- back to a scene

    @torch.no_grad()
    def write_back(self, scene: Scene) -> None:
        """Copy the packed values into the per-path tensors of ``scene`` (the scene this was packed
        from: same paths, same order, same shapes)."""
        rows = 0
        for pos, i in enumerate(self.order):
            p = scene.paths[i]
            n = 3 * self.counts[pos]
            p.points.copy_(self.points[rows:rows + n])
            p.opacity.copy_(self.opacity[pos].reshape(p.opacity.shape))
            rows += n
        for g in self.groups:
            for k, pos in enumerate(g.members):
                fill = scene.paths[self.order[pos]].fill
                for name, t in g.tensors.items():
                    getattr(fill, name).copy_(t[k])
        if self.background is not None:
            scene.background.color.copy_(self.background)

    @torch.no_grad()
    def project_(self, min_radius: float = MIN_RADIUS) -> None:
        """Keep the fills valid after an optimiser step: colours in [0, 1], stops ordered in
        [0, 1], radii at least ``min_radius``."""
        for g in self.groups:
            t = g.tensors
            if g.kind == "flat":
                t["color"].clamp_(0.0, 1.0)
                continue
            t["colors"].clamp_(0.0, 1.0)
            t["offsets"].copy_(stop_offsets(t["offsets"]))
            if g.kind == "radial":
                t["radius"].copy_(t["radius"].abs().clamp_min(min_radius))
        self.opacity.clamp_(0.0, 1.0)
        if self.background is not None:
            self.background.clamp_(0.0, 1.0)


@lru_cache(maxsize=64)
def _segment_index(counts: tuple[int, ...], device: torch.device) -> Tensor:
    segs = torch.as_tensor(counts, dtype=torch.long)
    path = torch.repeat_interleave(torch.arange(len(counts)), segs)
    first = torch.cumsum(segs, 0) - segs  # first segment of each path
    local = torch.arange(int(segs.sum())) - first[path]
    base = 3 * first[path]
    nxt = (local + 1) % segs[path]
    i = base + 3 * local
    return torch.stack([i, i + 1, i + 2, base + 3 * nxt], dim=1).to(device)
