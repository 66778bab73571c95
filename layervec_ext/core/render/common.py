"""Pieces both PyTorch renderers share: draw order, flattening, paint (fills) and edge tests.

They encode the SVG semantics the writer emits (``scene_to_svg``) so that ``render(scene)`` matches
resvg drawing that SVG: layers in ascending order, paths in scene order within a layer; colours,
opacity and stop offsets clamped like the writer clamps them; radial radius ``|r| ≥ MIN_RADIUS``;
stops interpolated in straight sRGB then premultiplied; pad spread.
"""

from __future__ import annotations

import torch

from layervec_ext.core.exact import sqrt
from layervec_ext.core.geometry import edge_cross
from layervec_ext.core.jit import arrays, loops, loops_for
from layervec_ext.core.scene import MIN_RADIUS, Path, Scene, stop_offsets

Tensor = torch.Tensor

# Line segments per cubic on a canvas up to CHORD_CANVAS pixels long: 16 is within 0.1 dB of 32
# against resvg there (layervec_ext/docs/DESIGN.md §4); past it, see chords().
DEFAULT_K = 16
CHORD_CANVAS = 256
MOST_K = 64
# Below this squared length a linear gradient is degenerate: SVG paints its last stop.
_DEGENERATE2 = 1e-12
# Paths of smaller area (px²) are skipped: signed-distance anti-aliasing would draw a collapsed path
# as a half-transparent line or dot, while SVG renderers draw nothing.
MIN_AREA = 1e-2
# Paths whose own edge is an SVG no-op: t beyond the last stop (pad) for degenerate linear gradients.
_PAST_END = 2.0


def draw_indices(scene: Scene) -> list[int]:
    """Indices of the scene's paths back to front, as the SVG writer emits them: by layer, then
    scene order."""
    return sorted(range(len(scene.paths)), key=lambda i: (scene.paths[i].layer, i))


def draw_order(scene: Scene) -> list[Path]:
    """The scene's paths back to front (see :func:`draw_indices`)."""
    return [scene.paths[i] for i in draw_indices(scene)]


def bernstein(k: int, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
    """``(k, 4)`` cubic Bernstein weights at ``t = 0, 1/k, …, (k-1)/k`` (the end point belongs to
    the next segment)."""
    t = torch.arange(k, device=device, dtype=dtype) / k
    s = 1.0 - t
    return torch.stack([s * s * s, 3 * s * s * t, 3 * s * t * t, t * t * t], dim=1)


def on_cubics(weights: Tensor, segments: Tensor) -> Tensor:
    """The points ``(S·k, 2)`` at ``weights (k, 4)`` (:func:`bernstein`) on each cubic of
    ``segments (S, 4, 2)``, differentiable in ``segments``. On the CPU (float32) by compiled loops
    that round alike on every CPU, where a BLAS product rounds as the kernel MKL picks for the CPU
    (DESIGN §4, "The same SVG on every x86-64 machine"); elsewhere (a GPU) as one product."""
    if loops_for("layervec_ext.core.render.compiled", weights, segments) is not None:
        return _OnCubics.apply(weights, segments)
    return torch.einsum("kj,sjd->skd", weights, segments).reshape(-1, 2)


class _OnCubics(torch.autograd.Function):
    """:func:`on_cubics` by :mod:`~layervec_ext.core.render.compiled`'s loops."""

    @staticmethod
    def forward(ctx, weights: Tensor, segments: Tensor) -> Tensor:
        ctx.weights = weights
        return torch.from_numpy(loops("layervec_ext.core.render.compiled").on_cubics(*arrays(weights, segments)))

    @staticmethod
    def backward(ctx, grad: Tensor):
        compiled = loops("layervec_ext.core.render.compiled")
        return None, torch.from_numpy(compiled.on_cubics_backward(*arrays(ctx.weights, grad)))


def chords(width: int, height: int) -> int:
    """Line segments per cubic on a ``width × height`` canvas: :data:`DEFAULT_K` up to
    :data:`CHORD_CANVAS` pixels, doubled for each doubling past it (up to :data:`MOST_K`), so that
    a chord is about as long in pixels as there. A curve drawn at 4× the size with as many chords
    strays from them by 4× the pixels: the outline fitted would not be the curve the SVG draws
    (python -m layervec_ext.bench scale; DESIGN §4)."""
    k = DEFAULT_K
    while k < MOST_K and max(width, height) > CHORD_CANVAS * k // DEFAULT_K:
        k *= 2
    return k


def flatten(path: Path, k: int = DEFAULT_K) -> Tensor:
    """The closed polyline approximating ``path``: ``(S*k, 2)`` vertices; the edge from the last
    vertex back to the first closes it."""
    seg = path.segments()  # (S, 4, 2)
    return on_cubics(bernstein(k, seg.device, seg.dtype), seg)


@torch.no_grad()
def polygon_area(verts: Tensor, nxt: Tensor, owner: Tensor, n_paths: int) -> Tensor:
    """Signed shoelace area of each closed polyline: ``verts (E, 2)``, ``nxt (E,)`` the other end of
    each edge, ``owner (E,)`` the path of each edge."""
    cross = edge_cross(verts, verts.index_select(0, nxt))
    return 0.5 * torch.zeros(n_paths, device=verts.device, dtype=verts.dtype).index_add(0, owner, cross)


Paint = tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]


def fill_paint(kind: str, fields: dict[str, Tensor]) -> Paint:
    """Fills of one ``kind`` as affine gradients: the one mapping from a fill to the colour it puts
    at a point, that every renderer (and the vectorizer's proposal) goes through.

    ``fields``: the fill's tensors by name (``FlatFill``/``LinearGradient``/``RadialGradient``
    fields), each with a first axis of ``n`` fills. Then ``u = A (p - origin)``; ``t = ‖u‖`` when
    ``radial`` else ``u_x + bias``; then stops. Returns ``A (n, 2, 2)``, ``origin (n, 2)``,
    ``radial (n,)``, ``bias (n,)``, ``offsets (n, N)``, straight ``colors (n, N, 4)``, as given
    (not clamped; no opacity: :func:`with_opacity`). A flat fill is one stop at ``t = 0``.
    """
    ref = next(iter(fields.values()))
    n = ref.shape[0]
    dev, dt = ref.device, ref.dtype
    zeros = torch.zeros(n, device=dev, dtype=dt)
    if kind == "flat":
        a = torch.zeros(n, 2, 2, device=dev, dtype=dt)
        origin, bias = torch.zeros(n, 2, device=dev, dtype=dt), zeros
        radial = torch.zeros(n, dtype=torch.bool, device=dev)
        return a, origin, radial, bias, torch.zeros(n, 1, device=dev, dtype=dt), fields["color"].reshape(n, 1, 4)
    if kind == "linear":
        start = fields["start"]
        d = fields["end"] - start
        len2 = (d * d).sum(-1, keepdim=True)
        degenerate = len2 < _DEGENERATE2
        row = torch.where(degenerate, torch.zeros_like(d), d / len2.clamp_min(_DEGENERATE2))
        a = torch.stack([row, torch.zeros_like(row)], dim=1)
        bias = torch.where(degenerate.squeeze(-1), torch.full_like(zeros, _PAST_END), zeros)
        radial = torch.zeros(n, dtype=torch.bool, device=dev)
        return a, start, radial, bias, stop_offsets(fields["offsets"]), fields["colors"]
    if kind != "radial":  # pragma: no cover - the scene model has only these three
        raise TypeError(f"unknown fill kind {kind!r}")
    r = radial_radius(fields["radius"])
    c, s = torch.cos(fields["angle"]), torch.sin(fields["angle"])
    rot = torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], dim=1)  # R(-angle)
    a = rot / r[:, :, None]
    radial = torch.ones(n, dtype=torch.bool, device=dev)
    return a, fields["center"], radial, zeros, stop_offsets(fields["offsets"]), fields["colors"]


def radial_radius(radius: Tensor) -> Tensor:
    """The semi-axes a radial gradient is drawn with: ``|radius|``, at least ``MIN_RADIUS``."""
    return radius.abs().clamp_min(MIN_RADIUS)


def with_opacity(colors: Tensor, opacity: Tensor) -> Tensor:
    """Straight stop colours ``(..., 4)`` clamped to [0, 1] as the writer clamps them, the path's
    opacity (clamped by the caller, broadcast against ``colors[..., 3:4]``) folded into alpha."""
    colors = colors.clamp(0.0, 1.0)
    return torch.cat([colors[..., :3], colors[..., 3:4] * opacity], dim=-1)


def over_background(image: Tensor, color: Tensor | None) -> Tensor:
    """Premultiplied ``image (..., 4)`` over a scene's flat background (straight RGBA ``(4,)``,
    clamped like the writer clamps it; ``None``: nothing under the image). Every renderer draws the
    background this way, analytically: as a path it would be every pixel's fragment."""
    if color is None:
        return image
    color = color.clamp(0.0, 1.0)
    alpha = color[3:]
    return image + (1.0 - image[..., 3:4]) * torch.cat([color[:3] * alpha, alpha])


def paint_params(path: Path) -> Paint:
    """One path's fill as :func:`fill_paint` gives it (without the first axis), the colours
    already carrying the path opacity in their alpha."""
    fill = path.fill
    a, origin, radial, bias, offsets, colors = (
        v[0] for v in fill_paint(fill.kind, {k: t[None] for k, t in fill.tensors().items()}))
    return a, origin, radial, bias, offsets, with_opacity(colors, path.opacity.clamp(0.0, 1.0))


def paint_at(p: Tensor, paint: Paint) -> Tensor:
    """Straight RGBA ``(..., 4)`` of one fill's ``paint`` (:func:`paint_params`) at points ``p (..., 2)``."""
    a, origin, radial, bias, offsets, colors = paint
    return shade(gradient_t(p, a, origin, radial, bias), offsets, colors)


def gradient_t(p: Tensor, a: Tensor, origin: Tensor, radial: Tensor, bias: Tensor) -> Tensor:
    """Gradient parameter at points ``p (..., 2)``; ``a (..., 2, 2)`` etc. broadcast against ``p``."""
    q = p - origin
    u = (a * q.unsqueeze(-2)).sum(-1)  # (..., 2) = A @ q
    # the epsilon keeps d‖u‖/du finite at the centre (‖u‖ is off by 1e-6 there: invisible)
    norm = sqrt((u * u).sum(-1) + 1e-12)
    return torch.where(radial, norm, u[..., 0] + bias)


def shade(t: Tensor, offsets: Tensor, colors: Tensor) -> Tensor:
    """Straight RGBA ``(..., 4)`` of piecewise-linear stops at ``t`` with pad spread.

    ``offsets (..., N)`` must be non-decreasing (``stop_offsets``); equal offsets make a hard step.
    Written as ``c0 + Σ (c_{i+1} - c_i)·clamp((t - o_i)/(o_{i+1} - o_i), 0, 1)`` so it is
    differentiable in ``t``, every offset and every colour.
    """
    c0 = colors[..., 0, :]
    if offsets.shape[-1] == 1:
        return c0.expand(*t.shape, 4) if c0.dim() == 1 else c0
    o0, o1 = offsets[..., :-1], offsets[..., 1:]
    span = (o1 - o0).clamp_min(1e-6)
    w = ((t.unsqueeze(-1) - o0) / span).clamp(0.0, 1.0)  # (..., N-1)
    dc = colors[..., 1:, :] - colors[..., :-1, :]  # (..., N-1, 4)
    return c0 + (w.unsqueeze(-1) * dc).sum(-2)


@torch.no_grad()
def winding_at(q: Tensor, a: Tensor, b: Tensor, valid: Tensor | None = None) -> Tensor:
    """Non-zero-rule winding numbers of points ``q (..., Q, 2)`` for closed polylines whose edges
    are ``a → b (..., E, 2)``: signed crossings of the ray from ``q`` towards -x. Half-open in y so
    a vertex on the ray counts once. ``valid (..., E)`` masks padding edges."""
    qx, qy = q[..., :, None, 0], q[..., :, None, 1]
    ax, ay, bx, by = (v.unsqueeze(-2) for v in (a[..., 0], a[..., 1], b[..., 0], b[..., 1]))
    up = (ay <= qy) & (qy < by)
    down = (by <= qy) & (qy < ay)
    dy = torch.where(by == ay, torch.ones_like(by), by - ay)
    x_cross = ax + (qy - ay) * (bx - ax) / dy
    left = x_cross < qx
    contrib = (up & left).to(torch.int32) - (down & left).to(torch.int32)
    if valid is not None:
        contrib = contrib * valid.unsqueeze(-2).to(torch.int32)
    return contrib.sum(-1)


@torch.no_grad()
def boundary_edges(a: Tensor, b: Tensor, valid: Tensor | None = None, eps: float = 0.02) -> Tensor:
    """Which edges separate inside from outside (self-intersections leave edges with "inside" on
    both sides: anti-aliasing against them would draw a seam). Tested at each edge's midpoint,
    ``eps`` pixels to either side. Shapes ``(..., E, 2)`` → ``(..., E)`` bool."""
    d = b - a
    length = sqrt((d * d).sum(-1, keepdim=True))
    n = torch.stack([-d[..., 1], d[..., 0]], dim=-1) / length.clamp_min(1e-12) * eps
    mid = 0.5 * (a + b)
    q = torch.cat([mid + n, mid - n], dim=-2)
    w = winding_at(q, a, b, valid)
    e = a.shape[-2]
    both_inside = (w[..., :e] != 0) & (w[..., e:] != 0)
    return ~both_inside | (length.squeeze(-1) < 1e-9)


# A pixel centre farther than this from the outline is fully in or out (half the pixel's diagonal).
BAND = 0.7072


def box_coverage(sd: Tensor, r: Tensor) -> Tensor:
    """Area of the unit pixel box on the inner side of the line through the nearest outline point,
    perpendicular to ``r`` (centre minus that point), the centre at signed distance ``sd``
    (positive: inside). For a straight edge this is exact at any angle (``clamp(0.5 + sd)`` is
    exact only for axis-aligned ones): linear in the middle, quadratic where the line cuts a box
    corner. Taking the normal from ``r`` rather than from the edge keeps coverage continuous where
    the nearest point is a vertex shared by two edges."""
    rx, ry = r[..., 0].abs(), r[..., 1].abs()
    length = sqrt(rx * rx + ry * ry + 1e-12)
    hi = torch.maximum(rx, ry) / length
    lo = torch.minimum(rx, ry) / length
    hi = hi.clamp_min(0.70710678)  # |normal| components: max ≥ 1/√2 (also for r ≈ 0)
    half = 0.5 * (hi + lo)
    knee = 0.5 * (hi - lo)
    s = torch.maximum(torch.minimum(sd, half), -half)
    two_ab = (2.0 * hi * lo).clamp_min(1e-12)
    linear = 0.5 + s / hi
    low = (s + half) ** 2 / two_ab
    high = 1.0 - (half - s) ** 2 / two_ab
    return torch.where(s < -knee, low, torch.where(s > knee, high, linear)).clamp(0.0, 1.0)


# Inner normals at more than 120° to each other: two edges that face each other (the two sides of a
# sliver, the flanks of a spike) or back to back (the two sides of a gap).
OPPOSED = -0.5


@torch.no_grad()
def inner_normals(a: Tensor, b: Tensor, orientation: Tensor) -> Tensor:
    """Unit normal of each edge ``a → b`` pointing into its path, ``orientation`` being the sign of
    the path's signed area (exact for simple outlines; a guess inside self-intersecting ones)."""
    d = b - a
    length = sqrt((d * d).sum(-1, keepdim=True))
    n = torch.stack([-d[..., 1], d[..., 0]], -1) / length.clamp_min(1e-12)
    # a (nearly) zero-length edge, e.g. from coincident control points, has no direction: opposes nothing
    return torch.where(length > 1e-3, n, torch.zeros_like(n)) * orientation.unsqueeze(-1)


def two_edge_coverage(sd1: Tensor, r1: Tensor, m1: Tensor, r2: Tensor, m2: Tensor) -> Tensor:
    """Coverage when a second, opposed edge is within reach of the pixel too (features thinner than
    a pixel): the box area of the intersection of the two inner half-planes where the edges face
    each other (a sliver: one edge on the other's inner side), of their union where they are back
    to back (a gap). ``sd1, r1, m1``: signed distance, offset and inner normal of the nearest edge;
    ``r2, m2``: offset and inner normal of the opposed one. One edge alone would draw a 0.2 px
    sliver at half opacity; SVG renderers draw it at 0.2."""
    box1 = box_coverage(sd1, r1)
    d2 = sqrt((r2 * r2).sum(-1) + 1e-12)
    with torch.no_grad():
        inside2 = (m2 * r2).sum(-1) > 0
        # a shared vertex lies on both lines (a wedge): within 0.05 px counts as facing
        gap = r1 - r2
        facing = (m1 * gap).sum(-1) > -0.05
        # two coincident, antiparallel edges are a zero-width slit (e.g. the bridge an SVG reader
        # draws from an outline to its hole): SVG draws nothing there, so the nearest edge decides
        slit = ((gap * gap).sum(-1) < 0.0025) & ((m1 * m2).sum(-1) < -0.99)
    box2 = box_coverage(torch.where(inside2, d2, -d2), r2)
    both = torch.where(facing, box1 + box2 - 1.0, box1 + box2).clamp(0.0, 1.0)
    return torch.where(slit, box1, both)


def segment_offset(p: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """``p`` minus its nearest point on the segment ``a → b`` (all broadcast, last dim 2)."""
    d = b - a
    q = p - a
    len2 = (d * d).sum(-1)
    t = ((q * d).sum(-1) / len2.clamp_min(1e-12)).clamp(0.0, 1.0)
    return q - t.unsqueeze(-1) * d


def segment_distance2(p: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """Squared distance from points ``p`` to segments ``a → b`` (all broadcast, last dim 2)."""
    d = b - a
    q = p - a
    len2 = (d * d).sum(-1)
    t = ((q * d).sum(-1) / len2.clamp_min(1e-12)).clamp(0.0, 1.0)
    r = q - t.unsqueeze(-1) * d
    return (r * r).sum(-1)
