"""Adam over the scene through the differentiable renderer, per-group learning rates, early stop.

The optimiser works on a :class:`~layervec_ext.core.render.packed.PackedScene` — every path's
points in one tensor, every fill field stacked — so a step costs the same few dozen tensor ops
for 8 paths or 200, and writes the result back into the scene's per-path tensors at the end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch

from layervec_ext.core.exact import sqrt_each
from layervec_ext.core.jit import loops_for
from layervec_ext.core.render import render
from layervec_ext.core.render.common import over_background
from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.render.raster import STEP_STRIP_PIXELS, render_packed, render_packed_sampled, strips
from layervec_ext.core.scene import FlatFill, Scene, stop_offsets
from layervec_ext.core.vectorize.losses import drawn_error, pixel_loss, xing_loss
from layervec_ext.core.vectorize.settings import Settings

# Which learning-rate group each packed fill field belongs to.
FIELD_GROUP = {"color": "colors", "colors": "colors", "offsets": "offsets", "angle": "angle",
               "center": "geometry", "radius": "geometry", "start": "geometry", "end": "geometry"}


class Adam:
    """Adam (Kingma & Ba) with per-group learning rates, on ``torch._foreach`` ops.

    Ours rather than ``torch.optim.Adam`` because constructing that one imports ``torch._dynamo``,
    about a second of every command-line run on this hardware."""

    def __init__(self, groups: list[dict], betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.param_groups = groups
        self.b1, self.b2, self.eps = betas[0], betas[1], eps
        self.t = 0
        for g in groups:
            g["m"] = [torch.zeros_like(p) for p in g["params"]]
            g["v"] = [torch.zeros_like(p) for p in g["params"]]

    def zero_grad(self) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        c1 = 1 - self.b1**self.t
        c2 = 1 - self.b2**self.t
        for g in self.param_groups:
            params = [p for p in g["params"]]
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
            torch._foreach_mul_(g["m"], self.b1)
            torch._foreach_add_(g["m"], grads, alpha=1 - self.b1)
            torch._foreach_mul_(g["v"], self.b2)
            torch._foreach_addcmul_(g["v"], grads, grads, value=1 - self.b2)
            denom = sqrt_each(g["v"])
            torch._foreach_div_(denom, c2**0.5)
            torch._foreach_add_(denom, self.eps)
            torch._foreach_addcdiv_(params, g["m"], denom, value=-g["lr"] / c1)


@dataclass(frozen=True)
class Hold:
    """What the optimiser leaves as it is, by scene path index (refine keeps what the artist
    locked, or their shapes; the vectorizer freezes a photo's full-canvas background path)."""

    outlines: frozenset[int] = frozenset()  # the path's points
    fill_geometry: frozenset[int] = frozenset()  # a gradient's ends, centre, radii, angle
    colors: frozenset[int] = frozenset()  # colours and stop offsets
    alpha: bool = False  # every colour's alpha channel (the opacities an artist chose)
    background: bool = False  # the scene's flat background colour (refine's page colour)

    @classmethod
    def frozen(cls, paths: Iterable[int]) -> Hold:
        """Outline and gradient geometry held, colours free."""
        paths = frozenset(paths)
        return cls(outlines=paths, fill_geometry=paths)

    @classmethod
    def fixed(cls, paths: Iterable[int]) -> Hold:
        """Nothing of these paths moves."""
        paths = frozenset(paths)
        return cls(paths, paths, paths)


@dataclass(frozen=True)
class Ties:
    """Parameters that move as one: equal at the start and given the summed gradient, Adam keeps
    them equal (same moments, same steps). ``points``: groups of ``(path, point)`` (the two copies
    of a vertex where a hole is bridged into its outline, the two sides of a bridge); ``fills``:
    groups of paths painted by one element's fill."""

    points: tuple[tuple[tuple[int, int], ...], ...] = ()
    fills: tuple[tuple[int, ...], ...] = ()


class _Problem:
    """The scene as the optimiser sees it: packed leaves, learning-rate groups, held and tied
    rows, and the fixed canvas under them (the paths before ``start``, drawn once)."""

    def __init__(self, scene: Scene, hold: Hold, start: int = 0, ties: Ties = Ties(), every: int = 1):
        self.under = None
        # what lies under the paths, its weighted error per pixel and in all, while it holds still
        self.under_held: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        # a moving background colour's error from the target's moments (per pixel and in all)
        self.moments: tuple[torch.Tensor, torch.Tensor] | None = None
        self.every = every
        background = scene.background
        if start > 0:
            with torch.no_grad():
                self.under = render(Scene(scene.width, scene.height, scene.paths[:start], scene.layers,
                                          scene.background)).detach()
            background = None  # it is in the fixed canvas
        self.scene = scene
        self.hold_background = hold.background
        self.drawn = Scene(scene.width, scene.height, scene.paths[start:], scene.layers, background)
        self.packed = PackedScene.pack(self.drawn.detached()).requires_grad_()
        self.packed.opacity.requires_grad_(False)  # opacity is not optimised
        dev = self.packed.device
        position = {i + start: pos for pos, i in enumerate(self.packed.order)}  # scene index → draw position
        self.held_points = self.packed.point_rows([position[i] for i in sorted(hold.outlines) if i in position])
        self.held_fields: list[tuple[torch.Tensor, torch.Tensor]] = []
        for g in self.packed.groups:
            for name, t in g.tensors.items():
                held = hold.fill_geometry if FIELD_GROUP[name] in ("geometry", "angle") else hold.colors
                rows = [k for k, pos in enumerate(g.members) if self.packed.order[pos] + start in held]
                if rows:
                    self.held_fields.append((t, torch.as_tensor(rows, device=dev)))
        self.held_alpha = [t for g in self.packed.groups for name, t in g.tensors.items()
                           if hold.alpha and name in ("color", "colors")]
        self.tied = self._tie_rows(ties, position)

    def _tie_rows(self, ties: Ties, position: dict[int, int]) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """``(tensor, rows, group of each row)`` for every tied set of rows."""
        dev = self.packed.device
        first_row = [0]
        for c in self.packed.counts:
            first_row.append(first_row[-1] + 3 * c)
        out = []
        point_groups = [[first_row[position[p]] + k for p, k in group if p in position] for group in ties.points]
        point_groups = [g for g in point_groups if len(g) > 1]
        if point_groups:
            rows = torch.as_tensor([r for g in point_groups for r in g], device=dev)
            ids = torch.as_tensor([n for n, g in enumerate(point_groups) for _ in g], device=dev)
            out.append((self.packed.points, rows, ids))
        row_of = {pos: (g, k) for g in self.packed.groups for k, pos in enumerate(g.members)}
        for fill_group in self.packed.groups:
            groups = []
            for tie in ties.fills:
                rows = [row_of[position[p]][1] for p in tie if p in position and row_of[position[p]][0] is fill_group]
                if len(rows) > 1:
                    groups.append(rows)
            if groups:
                rows = torch.as_tensor([r for g in groups for r in g], device=dev)
                ids = torch.as_tensor([n for n, g in enumerate(groups) for _ in g], device=dev)
                out += [(t, rows, ids) for t in fill_group.tensors.values()]
        return out

    def grouped(self) -> dict[str, list[torch.Tensor]]:
        """The tensors the optimiser moves, by learning-rate group."""
        groups: dict[str, list[torch.Tensor]] = {"points": [self.packed.points]}
        for g in self.packed.groups:
            for name, t in g.tensors.items():
                groups.setdefault(FIELD_GROUP[name], []).append(t)
        if self.packed.background is not None and not self.hold_background:  # its colour (it has no outline)
            groups.setdefault("colors", []).append(self.packed.background)
        return groups

    def param_groups(self, rates: dict[str, float], scale: float) -> list[dict]:
        """Adam's groups: geometry's rates scale with the canvas."""
        return [{"params": ts, "lr": rates[name] * (scale if name in ("points", "geometry") else 1.0), "name": name}
                for name, ts in self.grouped().items()]

    def loss(self, target: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
        """:func:`~losses.pixel_loss` of the picture: the moving paths are drawn only where they
        touch (:func:`~raster.render_packed_sampled`, ``every`` as :meth:`Settings.sample_every`
        says) over what lies under them, and the error of the rest of the canvas is added as that
        of what lies under it — or, with nothing sampled out and no fixed canvas, the whole
        picture is drawn and compared (the same loss, summed in the order the numbers in the
        README's 256² tables were measured with)."""
        if self.every == 1 and self.under is None:
            return pixel_loss(render_packed(self.packed), target, weight)
        return self.touched_loss(target, weight)

    def touched_loss(self, target: torch.Tensor, weight: torch.Tensor | None,
                     rows: tuple[int, int] | None = None, whole: bool = True) -> torch.Tensor:
        """:meth:`loss` from the pixels the moving paths touch (sampled as ``every`` says); with
        ``rows``, the part of it from those canvas rows, and ``whole``: with the error of what
        lies under the paths over the whole canvas added."""
        touched, drawn, values, share = render_packed_sampled(self.packed, self.every, rows=rows)
        flat = target.reshape(-1, 4)
        if self._background_moves():
            under = over_background(flat.new_zeros(1, 4), self.packed.background)
            touched_error, under_total = self._moving_background_error(under[0], flat, weight, touched, whole)
        else:
            under, under_error, under_total = self._under(flat, weight)
            touched_error = under_error.index_select(0, touched).sum()
        total = drawn_error(values, under, flat, drawn, share, weight.reshape(-1) if weight is not None else None)
        total = total - touched_error
        if whole:
            total = total + under_total
        return total / (weight.sum().clamp_min(1e-9) if weight is not None else float(flat.shape[0]))

    def backward(self, target: torch.Tensor, weight: torch.Tensor | None, extra: torch.Tensor | None) -> float:
        """:meth:`loss`'s gradient (and ``extra``'s, a penalty) into the leaves; returns the loss.
        On a canvas of several :func:`~raster.strips` (of :data:`~raster.STEP_STRIP_PIXELS`), the
        loss is drawn and differentiated strip by strip (what it sums over, pixels, splits by
        rows), so a step holds one strip's fragments and their graph at a time."""
        rows = strips(self.scene.width, self.scene.height, self.every, STEP_STRIP_PIXELS)
        if len(rows) == 1 or (self.every == 1 and self.under is None):
            loss = self.loss(target, weight)
            (loss if extra is None else loss + extra).backward()
            return float(loss.detach())
        value = 0.0
        for n, strip in enumerate(rows):  # each part draws its own graph (a moving background's too)
            part = self.touched_loss(target, weight, strip, whole=n == len(rows) - 1)
            part.backward()
            value += float(part.detach())
        if extra is not None:
            extra.backward()
        return value

    def _background_moves(self) -> bool:
        """Whether what lies under the moving paths is the background colour being optimised."""
        return self.under is None and self.packed.background is not None and not self.hold_background

    def _under(self, flat: torch.Tensor, weight: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        """What lies under the moving paths while it holds still — the fixed canvas ``(H·W, 4)``,
        or the background's colour ``(1, 4)`` (nothing: transparent) —, its weighted error per
        pixel ``(H·W,)`` and that error's sum, worked out once."""
        if self.under_held is None:
            if self.under is not None:
                under = self.under.reshape(-1, 4).contiguous()  # the loss's loops read it row by row
            else:
                under = over_background(flat.new_zeros(1, 4), self.packed.background).detach()
            error = ((under - flat) ** 2).sum(1)
            if weight is not None:
                error = error * weight.reshape(-1)
            self.under_held = (under, error, error.sum())
        return self.under_held

    def _moving_background_error(self, colour: torch.Tensor, flat: torch.Tensor, weight: torch.Tensor | None,
                                 touched: torch.Tensor, whole: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """The weighted error of a background ``colour (4,)`` being optimised, summed over the
        ``touched`` pixels and (``whole``) over the canvas, differentiable in it. Over a set of
        pixels it is ``W‖c‖² − 2 c·M + Q`` with ``W = Σ w``, ``M = Σ w t``, ``Q = Σ w ‖t‖²`` of the
        target ``t``, weights ``w`` — sums that do not move, gathered per step instead of passes
        over the whole canvas and their gradients (float64: the terms cancel)."""
        if self.moments is None:
            t = flat.double()
            w = weight.reshape(-1, 1).double() if weight is not None else torch.ones_like(t[:, :1])
            per_pixel = torch.cat([w, w * t, w * (t * t).sum(1, keepdim=True)], 1)  # (H·W, 6)
            self.moments = (per_pixel, per_pixel.sum(0))
        per_pixel, everywhere = self.moments
        c = colour.double()
        quadratic = torch.cat([(c * c).sum()[None], -2.0 * c, c.new_ones(1)])

        def error(sums: torch.Tensor) -> torch.Tensor:
            return (quadratic * sums).sum().to(colour.dtype)

        loops = loops_for("layervec_ext.core.vectorize.compiled_loss", flat)
        if loops is not None:
            at_touched = error(torch.from_numpy(loops.row_sums(per_pixel.numpy(), touched.numpy())))
        else:
            at_touched = error(per_pixel.index_select(0, touched).sum(0))
        return at_touched, (error(everywhere) if whole else at_touched.new_zeros(()))

    @torch.no_grad()
    def hold_grads(self) -> None:
        """Tied rows get their group's summed gradient; held ones none."""
        for t, rows, ids in self.tied:
            if t.grad is not None:
                summed = torch.zeros((int(ids.max()) + 1, *t.shape[1:]), dtype=t.dtype, device=t.device)
                summed.index_add_(0, ids, t.grad.index_select(0, rows))
                t.grad.index_copy_(0, rows, summed.index_select(0, ids))
        if self.held_points.numel() and self.packed.points.grad is not None:
            self.packed.points.grad.index_fill_(0, self.held_points, 0.0)
        for t, idx in self.held_fields:
            if t.grad is not None:
                t.grad.index_fill_(0, idx, 0.0)
        for t in self.held_alpha:
            if t.grad is not None:
                t.grad[..., 3] = 0.0

    def leaves(self) -> list[torch.Tensor]:
        """Every tensor the optimiser moves."""
        return [t for ts in self.grouped().values() for t in ts]

    @torch.no_grad()
    def snapshot(self) -> list[torch.Tensor]:
        return [t.detach().clone() for t in self.leaves()]

    @torch.no_grad()
    def restore(self, saved: list[torch.Tensor]) -> None:
        for t, v in zip(self.leaves(), saved):
            t.copy_(v)

    @torch.no_grad()
    def project_(self, min_radius: float) -> None:
        self.packed.project_(min_radius)

    @torch.no_grad()
    def write_back(self) -> None:
        self.packed.write_back(self.drawn)


@torch.no_grad()
def project(scene: Scene, min_radius: float) -> None:
    """Keep the scene valid: colours in [0, 1], stops ordered in [0, 1], radii positive."""
    if scene.background is not None:
        scene.background.color.clamp_(0.0, 1.0)
    for path in scene.paths:
        fill = path.fill
        if isinstance(fill, FlatFill):
            fill.color.clamp_(0.0, 1.0)
            continue
        fill.colors.clamp_(0.0, 1.0)
        fill.offsets.copy_(stop_offsets(fill.offsets))
        if hasattr(fill, "radius"):
            fill.radius.copy_(fill.radius.abs().clamp_min(min_radius))


def optimize(scene: Scene, target: torch.Tensor, settings: Settings, *, iters: int, frozen: set[int] = frozenset(),
             weight: torch.Tensor | None = None, on_step: Callable[[int, float], None] | None = None,
             start: int = 0, lr_scale: float = 1.0, warmup: int = 0,
             show: Callable[[Scene], None] | None = None, hold: Hold | None = None, ties: Ties = Ties()) -> float:
    """Run up to ``iters`` Adam steps on ``scene`` in place; stop early when the loss has not
    improved by ``settings.tol`` (relative) for ``settings.patience`` steps. The scene keeps the
    parameters of the lowest loss seen; returns that loss.
    ``frozen``: paths whose outline and gradient geometry stay put (their colours still move);
    ``hold`` says more finely what stays put (with ``frozen``, both hold), ``ties`` what moves as one.
    The scene's background colour is optimised with the paths (unless ``start`` puts it in the
    fixed canvas).
    ``start``: the paths before it stay as they are and are drawn once, as the canvas the others
    are composited over — a step then costs what the moving paths cover, not the whole scene.
    ``lr_scale`` multiplies every learning rate; ``warmup``: the rates grow linearly over that many
    first steps (Adam's first steps move every parameter by about its rate, whatever its gradient:
    over converged paths that jolt costs more than the pass can win back).
    ``show(scene)``: every ``settings.show_every`` steps the scene is written back and shown (a
    watcher's live preview); it ends with the best parameters whatever was shown."""
    if not scene.paths or iters <= 0:
        return float("nan")
    scale = max(scene.width, scene.height) / 256.0
    if start >= len(scene.paths):
        return float("nan")
    held = hold or Hold()
    if frozen:
        more = Hold.frozen(frozen)
        held = dataclasses.replace(held, outlines=held.outlines | more.outlines,
                                   fill_geometry=held.fill_geometry | more.fill_geometry)
    problem = _Problem(scene, held, start, ties, settings.sample_every(scene.width, scene.height))
    rates = {name: lr * lr_scale for name, lr in settings.learning_rates.as_dict().items()}
    opt = Adam(problem.param_groups(rates, scale))
    patience, tol, fall = settings.patience, settings.tol, 1.0 - settings.lr_decay_to
    base = [g["lr"] for g in opt.param_groups]
    # The loss of step t is that of the parameters before its update: keep those of the best one,
    # so a stage never leaves the scene worse than it found it (a fresh Adam's first steps move
    # every point by about the learning rate, which can undo converged paths).
    best, stale, last, best_state = float("inf"), 0, float("nan"), None
    for step in range(iters):
        decay = (1.0 - fall * step / max(iters - 1, 1)) * min(1.0, (step + 1) / (warmup + 1))
        for g, lr in zip(opt.param_groups, base):
            g["lr"] = lr * decay
        opt.zero_grad()
        penalty = settings.xing_weight * xing_loss(problem.packed.segments()) if problem.packed.num_paths else None
        last = problem.backward(target, weight, penalty)
        problem.hold_grads()
        if last < best:
            best_state = problem.snapshot()
        opt.step()
        problem.project_(settings.min_radius)
        if on_step is not None:
            on_step(step, last)
        if show is not None and (step + 1) % settings.show_every == 0:
            problem.write_back()
            show(scene)
        if last < best * (1 - tol) or step < warmup:  # a warm-up's rising rates may lift the loss for a while
            stale = 0
        else:
            stale += 1
        best = min(best, last)
        if stale >= patience:
            break
    if best_state is not None:
        problem.restore(best_state)
    problem.write_back()
    return best
