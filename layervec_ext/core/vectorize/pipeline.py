"""``vectorize(image) -> Scene``: coarse to fine, region-initialised paths, optimised in stages.

1. Work image: premultiplied RGBA floats, resized so the long side is ≤ ``max_size`` (area
   filter) — tiny images are enlarged (nearest) so contours have room; coordinates are scaled
   back to the input's pixel grid at the end.
2. Background decision (:mod:`background`): nothing, the scene's flat ``background`` colour, or
   (a gradient) a full-canvas path in the bottom layer.
3. Gradient-aware hierarchy (:mod:`segment`), cut finer at each stage.
4. Each stage adds several paths where the residual is largest (:mod:`propose`): contour → S
   cubics, fill fitted by least squares (:mod:`fit`); then Adam over all paths (:mod:`optimize`)
   with the loss weighted towards what the canvas still got wrong (:func:`focus_weight`) — on a
   big picture at half the working size or less (:func:`_stage_scale`), and past
   ``Settings.joint_area`` moving only the stage's own paths.
5. Clean-up (:mod:`cleanup`) drops the paths that add nothing; what they leave of the path budget
   (more than ``Settings.refill_above`` of it) goes once more to a detail stage at the full working
   size, unless the picture already reached ``Settings.enough_db``. Layers = stages (detail
   levels; bottom = coarse). The node budget left then halves the cubics along which the picture
   misses most (:mod:`nodes`) before a last pass over every path.
6. Untangle (:mod:`untangle`): every outline a simple closed curve — tangled ones repaired, a short
   pass over every path, what it tangled repaired again. A picture bigger than the working size
   then gets a short pass at its own size (twice the working size at most, :func:`_detail_pass`)
   and its tangles repaired. On the output's grid with the points as the SVG writes them, every
   outline is checked once more. A detail layer whose showing adds less than
   :data:`LAYER_GAIN` dB joins the one below (the picture is unchanged).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from layervec_ext.core.geometry import flatten, rectangle_cubics, signed_area
from layervec_ext.core.render import composite, render
from layervec_ext.core.render.common import chords
from layervec_ext.core.render.raster import render_scene
from layervec_ext.core.render.split import DepthSplit
from layervec_ext.core.scene import Path, Scene
from layervec_ext.core.vectorize.background import decide_background
from layervec_ext.core.vectorize.cleanup import drop_useless
from layervec_ext.core.vectorize.fit import contour_to_cubics, outer_contour, share_segments
from layervec_ext.core.vectorize.losses import crossing_penalty
from layervec_ext.core.vectorize.nodes import error_map, join_least_needed, split_by_need
from layervec_ext.core.vectorize.optimize import optimize
from layervec_ext.core.vectorize.propose import Candidates, Proposal, propose
from layervec_ext.core.vectorize.segment import build_hierarchy
from layervec_ext.core.vectorize.settings import PRESETS, Settings
from layervec_ext.core.vectorize.untangle import tangled, untangle_scene

__all__ = ["PRESETS", "Progress", "Settings", "vectorize"]

Progress = Callable[[float, str], None]

# After the repair of tangled outlines, every path moves together for at most this many steps, at
# this fraction of the stages' learning rates (up to UNTANGLE_LR_UPTO paths; see untangle_rate) and
# at half of it, warmed up over the first few.
UNTANGLE_ITERS = 24
UNTANGLE_LR = 0.5
UNTANGLE_LR_UPTO = 32
UNTANGLE_WARMUP = 4
# The decimals of a point the SVG writer keeps: the final outline check is on those.
SVG_DECIMALS = 3
# Showing one more detail layer must add this many dB (on white, at the working size) or it joins
# the one below: 0.1 dB over the 0.5 dB the editability report asks, for resvg at the input size.
LAYER_GAIN = 0.6
# A layer's gain is scored as if every picture erred by this much more (mean squared, 0-1 scale:
# 47 dB, about what our render and resvg's of a finished icon agree to): past it the two renderers'
# edge antialiasing differ by more than an upper layer adds, so the artist may never see that gain.
# (At 50 dB, the grid icon's top layer at 64 paths took ours from 50.2 to 51.7 dB and was kept;
# resvg drew both at 51.0.)
LAYER_ERROR_FLOOR = 2e-5
# The summary line compares the picture with the input at its size, or within this long side.
SUMMARY_SIZE = 1024
# A picture this many dB better at the working size than at its own lost detail to the working size
# (the hamburger at 256 paths and 512 px: 50.1 and 45.0 dB by our renderer, 44.0 by resvg; at
# --max-size 1024, 46.2 by resvg; python -m layervec_ext.bench scale): the summary says so.
DETAIL_GAP = 3.0
# The untangle score draws its windows on a grid this long at most (an integer fraction of the
# working size past it).
SCORE_SIZE = 512
# The detail pass fits a picture bigger than the working size at its own size, or at this many
# times the working size at most (a step there costs about DETAIL_SCALE² a working-size one).
DETAIL_SCALE = 2


def hierarchy_cuts(regions: int, levels: int) -> list[int]:
    """The partitions a stage draws candidates from: ``regions``, twice as many, …"""
    return [regions * 2**i for i in range(levels)]


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda requested but no CUDA device is available")
    return torch.device(device)


def _check(image: np.ndarray, settings: Settings) -> None:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
        raise ValueError("image must be an (H, W, 4) uint8 RGBA array (use load_image)")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError("image has no pixels")
    settings.check()


def work_image(image: np.ndarray, max_size: int, min_work: int = 32) -> np.ndarray:
    """Premultiplied float RGBA at the working size (long side ≤ max_size, ≥ min_work)."""
    h, w = image.shape[:2]
    premul = image.astype(np.float32)
    premul /= 255.0  # in place: a big photo's float copy is four times its bytes, and one is enough
    premul[..., :3] *= premul[..., 3:4]
    long_side = max(h, w)
    if long_side > max_size:
        s = max_size / long_side
        size = (max(1, round(w * s)), max(1, round(h * s)))
        premul = cv2.resize(premul, size, interpolation=cv2.INTER_AREA)
    elif long_side < min_work:
        f = math.ceil(min_work / long_side)
        premul = cv2.resize(premul, (w * f, h * f), interpolation=cv2.INTER_NEAREST)
    return np.ascontiguousarray(premul.astype(np.float64))


def stage_sizes(budget: int, most: int = 4) -> list[int]:
    """Paths per stage, doubling from coarse to fine (few big regions first, then detail): one
    stage more per doubling of the budget past 40, up to ``most`` stages."""
    if budget <= 0:
        return []
    stages = 1 if budget <= 3 else 2 if budget <= 12 else 3 if budget <= 40 else 4
    while stages < most and budget > 40 * 2 ** (stages - 3):
        stages += 1
    weights = [2.0**i for i in range(stages)]
    sizes = [max(1, int(budget * w / sum(weights))) for w in weights]
    sizes[-1] += budget - sum(sizes)
    return sizes


class _Bar:
    """The run's progress fraction. Each phase gets its share up front, in units of about one
    step of a stage (which works at half the working size or less on a big picture), and moves the
    bar through it as it goes: the fraction only grows, and it moves through the passes over every
    path at the end too, which take more than half of a big budget's run (python -m
    layervec_ext.bench scale)."""

    def __init__(self, report: Progress, shares: list[float]):
        self.report, self.total, self.done = report, max(sum(shares), 1.0), 0.0

    def show(self, label: str, within: float = 0.0) -> None:
        """Say ``label`` at ``within`` units into the phase under way."""
        self.report(min(0.99, (self.done + within) / self.total), label)

    def on_step(self, label: str, units: float = 1.0) -> Callable[[int, float], None]:
        """An optimiser's ``on_step``: each step ``units`` further into the phase."""
        return lambda step, loss: self.show(label, (step + 1) * units)

    def passed(self, units: float) -> None:
        """A phase of ``units`` is over (all of it, however much it said on the way)."""
        self.done += units


def _canvas(scene: Scene) -> np.ndarray:
    if not scene.paths and scene.background is None:
        return np.zeros((scene.height, scene.width, 4))
    with torch.no_grad():
        return render(scene).detach().cpu().double().numpy()


def focus_weight(canvas: np.ndarray, target: np.ndarray, focus: float, cap: float) -> np.ndarray:
    """Per-pixel loss weight (H, W) ≥ 1, larger where ``canvas`` misses ``target``."""
    residual = cv2.GaussianBlur(((canvas - target) ** 2).sum(-1), (0, 0), 2.0)
    return 1.0 + focus * np.minimum(residual / max(float(residual.mean()), 1e-12), cap)


def _layer_of(stage: int, stages: int, layers) -> int:
    if layers == "auto":
        return stage
    return min(int(layers) - 1, stage * int(layers) // max(stages, 1))


def scale_scene(scene: Scene, width: int, height: int) -> Scene:
    """Map working-size coordinates onto the input's pixel grid (viewBox = original size)."""
    sx, sy = width / scene.width, height / scene.height
    return Scene(width, height, [map_path(p, (sx, sy)) for p in scene.paths], list(scene.layers), scene.background)


def map_path(path: Path, scale: tuple[float, float] = (1.0, 1.0), offset: tuple[float, float] = (0.0, 0.0)) -> Path:
    """The path with every point ``p`` at ``p * scale + offset``, its fill's geometry with it (a
    radial gradient's radii by the mean scale)."""
    dev = path.points.device
    v = torch.tensor(scale, dtype=torch.float32, device=dev)
    o = torch.tensor(offset, dtype=torch.float32, device=dev)
    f = path.fill
    if f.kind == "linear":
        fill = type(f)(f.start * v + o, f.end * v + o, f.offsets, f.colors)
    elif f.kind == "radial":
        fill = type(f)(f.center * v + o, f.radius.abs() * ((scale[0] + scale[1]) / 2), f.angle, f.offsets, f.colors)
    else:
        fill = f
    return Path(path.points * v + o, fill, path.opacity, path.layer, path.id)


def vectorize(image: np.ndarray, settings: Settings | None = None, progress: Progress | None = None,
              snapshot: Callable[[Scene], None] | None = None) -> Scene:
    """Vectorize straight RGBA ``image (H, W, 4) uint8`` into at most ``settings.paths`` closed
    cubic paths (default: the balanced preset).

    The scene is in the input's pixel coordinates; ``scene.layers`` are detail levels (bottom =
    coarse). Same image, settings and device → the same scene. ``snapshot(scene)``, when given, is
    shown the scene so far (working pixels; to read, not to keep or change) each time it changed.
    """
    cfg = settings or PRESETS["balanced"]
    _check(image, cfg)
    dev = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    report = progress or (lambda frac, stage: None)
    show = snapshot or (lambda scene: None)
    H, W = image.shape[:2]
    target_np = work_image(image, cfg.max_size, cfg.min_work)
    h, w = target_np.shape[:2]
    target = torch.as_tensor(target_np, dtype=torch.float32, device=dev)

    report(0.0, "segment")
    bg = decide_background(target_np, cfg.fill, cfg.transparent_alpha, cfg.uniform_rms, cfg.gradient_stops)
    budget = max(0, cfg.paths - (1 if bg is not None else 0))  # one path and a background: that is the picture
    sizes = stage_sizes(budget, cfg.max_stages)
    n_stages = max(len(sizes), 1)
    layer_names = _layer_names(n_stages if cfg.layers == "auto" else min(int(cfg.layers), n_stages))
    scene = Scene(w, h, [], layer_names)
    frozen: set[int] = set()
    if bg is not None and bg.kind == "flat":
        scene.background = bg.to_fill(dev)
    elif bg is not None:  # a gradient (a photo's): a frozen full-canvas path in the bottom layer
        rect = rectangle_cubics(0.0, 0.0, float(w), float(h), cfg.segments)
        scene.add(Path(torch.as_tensor(rect, dtype=torch.float32, device=dev), bg.to_fill(dev),
                       torch.tensor(1.0, device=dev), 0, None))
        frozen.add(0)
    hierarchy = build_hierarchy(target_np, most=cfg.segment_size) if sizes else None
    candidates = Candidates.for_picture(target_np, cfg, cfg.fill)
    final_steps = cfg.final_steps(max(w, h))
    big = detail_size(image.shape, w, h, cfg)
    # the passes at the end: a final-pass step costs about two of a stage's, the untangle step
    # (repairs and its pass) about as much as the final pass and half again, the detail pass as
    # much as the final pass (a preset with no final pass: as if it had the untangle pass's steps)
    late = 2 * (final_steps or UNTANGLE_ITERS)
    bar = _Bar(report, [cfg.stage_iters] * (len(sizes) + 1) + [late, 1.5 * late, late if big else 0])

    def add_stage(count: int, stage: int, regions: int, label: str, scale: float) -> None:
        """Propose ``count`` paths over what the scene draws now, then optimise them."""
        bar.show(f"{label}: placing {count} paths")
        levels = [hierarchy.partition(r) for r in hierarchy_cuts(regions, cfg.levels)]
        canvas = _canvas(scene)
        chosen = propose(candidates, canvas, levels, count)
        first_new = len(scene.paths)
        outlines = [(prop, c) for prop in chosen if (c := proposal_outline(prop)) is not None]
        shares = share_segments([c for _, c in outlines], len(outlines) * cfg.segments,
                                min(cfg.least_segments, cfg.segments), max(cfg.most_segments, cfg.segments))
        for (prop, contour), segments in zip(outlines, shares):
            add_proposal(scene, prop, contour_to_cubics(contour, segments), cfg.fill,
                      _layer_of(stage, n_stages, cfg.layers), dev)
        show(scene)

        _optimize_stage(scene, target_np, focus_weight(canvas, target_np, cfg.focus, cfg.focus_cap), cfg, scale,
                        frozen=frozen, on_step=bar.on_step(f"{label}: optimising"),
                        start=first_new if _boxes_area(scene) > cfg.joint_area else 0, show=snapshot)
        show(scene)

    for stage, count in enumerate(sizes):
        add_stage(count, stage, max(count * cfg.regions_per_path, 8 * (stage + 1)), f"stage {stage + 1}/{len(sizes)}",
                  _stage_scale(stage, len(sizes), max(w, h), cfg.coarse_size, cfg.coarse_above))
        bar.passed(cfg.stage_iters)

    if scene.num_paths > 1:
        bar.show("clean-up")
        frozen = _drop_useless(scene, target, cfg, frozen)
        # Clean-up drops paths that turned out to add nothing (hidden, or doing what another does):
        # spend what they leave of the budget on the largest errors that remain, once.
        missing = budget - (len(scene.paths) - len(frozen))
        if sizes and missing > cfg.refill_above * budget and _psnr(scene, target) < cfg.enough_db:
            add_stage(missing, len(sizes) - 1, (sizes[-1] + missing) * cfg.regions_per_path * 2, "detail", 1.0)
            frozen = _drop_useless(scene, target, cfg, frozen)
        bar.passed(cfg.stage_iters)
        if final_steps:
            _spend_spare_nodes(scene, target_np, cfg, frozen)
        # the stages' float64 picture, regions and fills let go: the passes reuse the room (a big
        # picture's peak memory: python -m layervec_ext.bench scale, and the benchmark log)
        hierarchy = candidates = target_np = None
        if final_steps:
            bar.show("final pass")
            optimize(scene, target, cfg, iters=final_steps, frozen=frozen, lr_scale=cfg.final_lr,
                     warmup=cfg.final_warmup, show=snapshot, start=_frozen_below(frozen),
                     on_step=bar.on_step("final pass", late / final_steps))
            show(scene)
    bar.passed(late)
    if scene.paths:
        bar.show("untangle")
        frozen = _untangle(scene, target, cfg, frozen, both_rates=big is None,
                           progress=lambda part: bar.show("untangle", part * 1.5 * late))
        show(scene)
        bar.passed(1.5 * late)
        if big is not None:
            bar.show("detail pass")
            frozen = _detail_pass(scene, image, big, cfg, frozen,
                         on_step=bar.on_step("detail pass", late / 2 / cfg.detail_iters))  # the repair: the rest
            show(scene)
    scene = scene.detached().to("cpu")
    if cfg.layers == "auto":
        _merge_layers(scene, target.cpu())
    _compact_layers(scene)
    out = scale_scene(scene, W, H)
    _final_outlines(out, _spare(out, cfg))
    report(1.0, _summary(out, image, cfg, lambda: _psnr(scene, target.cpu())))
    return out


def detail_size(shape: tuple[int, ...], w: int, h: int, cfg: Settings) -> int | None:
    """The long side the detail pass (:func:`_detail_pass`) fits a ``w × h`` working image's scene
    at, for an input of ``shape``: the input's own, at most :data:`DETAIL_SCALE` times the working
    size; None where that is no bigger than the working size, or the preset has no detail pass."""
    work = max(w, h)
    size = min(max(shape[:2]), DETAIL_SCALE * work)
    return size if cfg.detail_iters and size > work else None


def _detail_pass(scene: Scene, image: np.ndarray, size: int, cfg: Settings, frozen: set[int],
                 on_step: Callable[[int, float], None] | None = None) -> set[int]:
    """Fit a picture bigger than the working size once more at the long side ``size``
    (:func:`detail_size`), in place; returns the ``frozen`` paths' indices after it.
    :attr:`Settings.detail_iters` steps over every path at the untangle pass's rate
    (:func:`untangle_rate`) with the crossing penalty on, the paths' inside sampled as densely per
    working pixel as in the stages; then what the pass tangled repaired (:func:`repair_tangled`; a
    path cut in two must gain :attr:`Settings.drop_below`, which is absolute: what a run working at
    that size asks).
    Kept if that picture is the better at ``size``; where the memory for it runs out, the scene
    stays as the working size finished it. The working size draws an edge and any detail a pixel
    wide there as a blur, which a converged scene reproduces with soft edges and translucent paint;
    at the input's size the picture is sharp (python -m layervec_ext.bench scale: see the README's
    table). ``on_step``: the optimiser's, for progress."""
    try:
        target = torch.as_tensor(work_image(image, size, cfg.min_work), dtype=torch.float32, device=scene.device)
        h, w = target.shape[:2]
        big, still = scale_scene(scene.detached(), w, h), set(frozen)
        before = _psnr(big, target)
        block = max(1, round(cfg.sample_block * size / max(scene.width, scene.height)))
        better = _pass_then_repair(big, target, dataclasses.replace(cfg, sample_block=block), still,
                                   iters=cfg.detail_iters, lr_scale=untangle_rate(cfg.paths), on_step=on_step) > before
    except (MemoryError, torch.cuda.OutOfMemoryError):  # a finishing touch: never worth the finished picture
        return frozen
    if not better:
        return frozen
    back = scale_scene(big, scene.width, scene.height)
    scene.paths, scene.background = back.paths, back.background
    return still


def _untangle(scene: Scene, target: torch.Tensor, cfg: Settings, frozen: set[int],
              both_rates: bool = True, progress: Callable[[float], None] = lambda part: None) -> set[int]:
    """Every outline simple (:mod:`untangle`), in place; returns the ``frozen`` paths' indices
    after the repairs. Repair the tangled ones, then give every path a short pass to win back what
    the repair cost (the crossing penalty of :func:`~losses.xing_loss` keeps them apart) and repair
    again what that pass tangled — at two rates (:func:`untangle_rate`), from the same start; at the
    lower only where ``both_rates`` is False (the detail pass follows and wins back more: python -m
    layervec_ext.bench scale, the benchmark log's table). Every end is simple; the better
    pass is kept only if its end is the better picture (a path the picture pulls back into its loop
    loses more to the second repair than the pass won). While the path budget has room, a repair
    may cut a path in two (:func:`~untangle.in_two`) where the second path gains what clean-up asks
    of a path (:attr:`Settings.drop_below`). Each repair is made two ways (:func:`repair_tangled`),
    the better picture kept: within the cubics the node budget has left, or with up to two more a
    path (a 2-opt adds two) and the nodes the picture needs least given back after it. Where the
    nodes split for the final pass spent the budget, the first way joins a repaired outline down to
    its own cubics: on the 1024² butterfly at 256 paths that cost 2.9 dB at the working size, the
    second 0.1; at 8 paths the nodes given back can cost more than the repair gained.
    ``progress(part)`` hears the part of the work done as the repair goes and after each pass."""
    frozen = set(frozen)  # the repairs shift it
    rate = untangle_rate(cfg.paths)
    rates = (rate, rate / 2) if both_rates else (rate / 2,)
    repaired = repair_tangled(scene, target, cfg, [i for i in range(len(scene.paths)) if i not in frozen], frozen,
                              progress=lambda part: progress(part / (1 + len(rates))))
    if repaired is None or not UNTANGLE_ITERS or len(scene.paths) == len(frozen):
        return frozen
    tries = []
    progress(1 / (1 + len(rates)))
    for lr_scale in rates:
        trial, still = scene.detached(), set(frozen)
        tries.append((_pass_then_repair(trial, target, cfg, still, iters=UNTANGLE_ITERS, lr_scale=lr_scale),
                      trial, still))
        progress((1 + len(tries)) / (1 + len(rates)))
    db, best, still = max(tries, key=lambda t: t[0])
    if db >= repaired:
        scene.paths, scene.background = best.paths, best.background
        return still
    return frozen


def _pass_then_repair(scene: Scene, target: torch.Tensor, cfg: Settings, frozen: set[int], *, iters: int,
                      lr_scale: float, on_step: Callable[[int, float], None] | None = None) -> float:
    """In place: ``iters`` steps over every path but the ``frozen`` ones at ``lr_scale`` of the
    stages' rates, warmed up, with the crossing penalty on; then what they tangled repaired
    (:func:`repair_tangled`, which updates ``frozen``). The picture's PSNR after (:func:`_psnr`)."""
    with crossing_penalty():
        optimize(scene, target, cfg, iters=iters, frozen=frozen, lr_scale=lr_scale, warmup=UNTANGLE_WARMUP,
                 start=_frozen_below(frozen), on_step=on_step)
    db = repair_tangled(scene, target, cfg, tangled(scene), frozen)
    return _psnr(scene, target) if db is None else db


def repair_tangled(scene: Scene, target: torch.Tensor, cfg: Settings, paths: list[int],
                   frozen: set[int], progress: Callable[[float], None] = lambda part: None) -> float | None:
    """Make ``paths`` simple (:func:`~untangle.untangle_scene`), in place, within the node budget,
    the better picture of two ways (both scored on the scene as it is now): within the cubics the
    budget has left, or with up to :data:`~untangle.EXTRA` more a path and then, of every path but
    the ``frozen`` ones, the nodes the picture needs least given back
    (:func:`~nodes.join_least_needed`). ``frozen`` is updated in place where a path cut in two
    (:func:`~untangle.in_two`) shifts them. The repaired picture's PSNR (:func:`_psnr`), or None
    where nothing was tangled. ``progress(part)`` hears the part done as each way goes: the first
    way's repairs, the second's, and its joins, a third each (at a few hundred paths each takes
    seconds)."""
    score, room = _window_score(scene, target), _room(scene, cfg)
    within = scene.detached()
    held = {id(s.paths[i]) for s in (scene, within) for i in frozen}

    def refreeze() -> None:
        frozen.clear()
        frozen.update(i for i, p in enumerate(scene.paths) if id(p) in held)

    if not untangle_scene(within, paths, spare=_spare(within, cfg), score=score, room=room, worth=cfg.drop_below,
                          progress=lambda part: progress(part / 3)):
        return None
    untangle_scene(scene, paths, score=score, room=room, worth=cfg.drop_below,
                   progress=lambda part: progress((1 + part) / 3))
    del score  # its drawing and windows (at 1024² a hundred MB): the joins draw the repaired scene
    refreeze()
    over = scene.num_segments - cfg.node_budget
    if over > 0:
        join_least_needed(scene, [i for i in range(len(scene.paths)) if i not in frozen], over,
                          _window_score(scene, target), progress=lambda part: progress((2 + part) / 3))
    kept, other = _psnr(scene, target), _psnr(within, target)
    if other > kept:
        scene.paths = within.paths
        refreeze()
    return max(kept, other)


def untangle_rate(paths: int) -> float:
    """The learning rates of the pass after the repair, as a fraction of the stages': smaller past
    :data:`UNTANGLE_LR_UPTO` paths, in proportion (the pass also runs at half of it, and the better
    end is kept). A scene of many fitted paths is converged finely and the pass's first steps move
    every point by about its rate: at UNTANGLE_LR the pass never got back below the repaired
    picture's error at 128 and 256 paths (it ended where it began), at this rate it wins the
    repair's loss back (python -m layervec_ext.bench scale). Which of the two rates ends better
    differs from picture to picture (python -m layervec_ext.bench quality: at 32 paths the higher
    rate is 0.3 dB worse on one Fluent 3D emoji, the lower 0.02 dB worse on two photos)."""
    return UNTANGLE_LR * min(1.0, UNTANGLE_LR_UPTO / max(paths, 1))


def _spend_spare_nodes(scene: Scene, target: np.ndarray, cfg: Settings, frozen: set[int]) -> None:
    """Nodes by need (:mod:`nodes`): of the node budget clean-up left, up to ``cfg.split_share`` of
    the scene's cubics go to halving those along which the picture misses most, for the final pass
    to fit (a path keeps at most ``cfg.most_segments``). A flat background took one path's share
    of the budget: a scene that kept every other path has none left."""
    left = _spare(scene, cfg) - (cfg.segments if scene.background is not None else 0)
    count = int(min(left, cfg.split_share * scene.num_segments))
    if count > 0:
        split_by_need(scene, [i for i in range(len(scene.paths)) if i not in frozen],
                      error_map(_canvas(scene), target), count, cfg.most_segments)


def _frozen_below(frozen: set[int]) -> int:
    """How many paths at the bottom are frozen (a photo's full-canvas background): the passes over
    every path draw them once as a fixed canvas, so a step costs what the others cover (their
    colours, which the stages before held too, stay)."""
    below = 0
    while below in frozen:
        below += 1
    return below


def _window_score(scene: Scene, target: torch.Tensor) -> Callable[[int, list[list[np.ndarray]]], list[float]]:
    """``score(index, options)``: for each option of ``options`` (one outline, or two of the path's
    paint), the squared error of the picture with path ``index`` drawn so, over a window around
    where it is now (what a repair can change): the option composited between what the scene draws
    under the path and over it there (:class:`~layervec_ext.core.render.split.DepthSplit`, of one
    drawing made at the first score: the paths a repair changes after it are seen as they were),
    the options drawn side by side in one more drawing — on a canvas bigger than
    :data:`SCORE_SIZE`, at an integer fraction of the size that brings it within it (the options
    differ by whole loops, which that size shows as well), the error scaled back to the full size's
    (what :attr:`Settings.drop_below` is in)."""
    f = math.ceil(max(scene.width, scene.height) / SCORE_SIZE)
    k = 1.0 / f
    if f > 1:
        target = F.avg_pool2d(target.permute(2, 0, 1)[None], f, ceil_mode=True)[0].permute(1, 2, 0)
    width, height = target.shape[1], target.shape[0]
    per_cubic = chords(width, height)
    windows: dict[int, tuple[tuple[int, int, int, int], tuple[float, float], torch.Tensor, torch.Tensor]] = {}
    split: list[DepthSplit] = []  # the drawing the windows are cut from, once one is needed

    def window(index: int) -> tuple[tuple[int, int, int, int], tuple[float, float], torch.Tensor, torch.Tensor]:
        if not split:
            split.append(DepthSplit(Scene(width, height, [map_path(p, (k, k)) for p in scene.paths], scene.layers,
                                          scene.background) if f > 1 else scene))
        q = scene.paths[index].points.detach()
        lo, hi = q.min(0).values.double().cpu().numpy() * k, q.max(0).values.double().cpu().numpy() * k
        pad = 0.25 * (hi - lo) + 3.0
        x0, y0 = (int(max(0.0, float(v))) for v in lo - pad)
        x1, y1 = int(min(width, float(hi[0] + pad[0]) + 1)), int(min(height, float(hi[1] + pad[1]) + 1))
        x0, y0 = min(x0, width - 1), min(y0, height - 1)
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
        under, over = split[0].around(index, x0, y0, x1, y1)
        return (x0, y0, x1, y1), (-float(x0), -float(y0)), under, over

    def score(index: int, options: list[list[np.ndarray]]) -> list[float]:
        if index not in windows:
            windows[index] = window(index)
        (x0, y0, x1, y1), offset, under, over = windows[index]
        size = x1 - x0
        p = scene.paths[index]
        # side by side, each far enough from the next that no drawing reaches into another's window
        xs = np.concatenate([o[:, 0] for option in options for o in option]) * k + offset[0]
        stride = math.ceil(max(float(size), float(xs.max())) + 2.0 - min(0.0, float(xs.min())) + 2.0)
        tiles = [map_path(Path(torch.as_tensor(o, dtype=p.points.dtype, device=p.points.device), p.fill, p.opacity,
                               p.layer, p.id), (k, k), (offset[0] + t * stride, offset[1]))
                 for t, option in enumerate(options) for o in option]
        with torch.no_grad():  # flattened as the score's canvas is, however long the row of options
            drawn = render_scene(Scene((len(options) - 1) * stride + size, y1 - y0, tiles, scene.layers), per_cubic)
        want = target[y0:y1, x0:x1]
        errors = []
        for t in range(len(options)):
            path = drawn[:, t * stride:t * stride + size]
            picture = over + (1.0 - over[..., 3:4]) * (path + (1.0 - path[..., 3:4]) * under)
            errors.append(float(((picture - want) ** 2).sum()) * f * f)  # about what it is at the full size
        return errors

    return score


def _spare(scene: Scene, cfg: Settings) -> int:
    """Cubics the node budget (paths × segments) has left."""
    return max(0, cfg.node_budget - scene.num_segments)


def _room(scene: Scene, cfg: Settings) -> int:
    """Paths the budget has left (the background counts, as in the SVG)."""
    return max(0, cfg.paths - scene.num_paths)


def _final_outlines(scene: Scene, spare: int) -> None:
    """On the output's grid, with the points rounded as the SVG writes them: every outline simple
    and none degenerate — nodes on one spot merged, and a path enclosing less than a pixel (it draws
    next to nothing) left out."""
    untangle_scene(scene, decimals=SVG_DECIMALS, spare=spare)
    small = {i for i, p in enumerate(scene.paths)
             if abs(float(signed_area(flatten(p.points.detach().double().numpy())))) < 1.0}
    if len(small) < len(scene.paths):
        scene.paths = [p for i, p in enumerate(scene.paths) if i not in small]


def _layer_error(scene: Scene, target: torch.Tensor, layers: int) -> float:
    """Mean squared error of the picture of the bottom ``layers`` layers, on white, against the target."""
    part = Scene(scene.width, scene.height, [p for p in scene.paths if p.layer < layers], scene.layers,
                 scene.background)
    with torch.no_grad():
        return float(((composite(render(part)) - composite(target)) ** 2).mean())


def layer_gain(below: float, above: float) -> float:
    """The dB that showing more layers adds, from the error ``below`` to the error ``above``, each
    raised by :data:`LAYER_ERROR_FLOOR` (a gain past what the renderers agree on does not count)."""
    return 10.0 * math.log10((below + LAYER_ERROR_FLOOR) / (above + LAYER_ERROR_FLOOR))


def _merge_layers(scene: Scene, target: torch.Tensor) -> None:
    """Detail layers that each add at least :data:`LAYER_GAIN` dB: a layer whose showing adds less
    goes into the one below (layers are consecutive in the drawing order, so the picture stays the
    same). Of the ways to merge, the one keeping the most layers (and then the best coarse ones)."""
    used = sorted({p.layer for p in scene.paths})
    if len(used) < 2:
        return
    errors = [_layer_error(scene, target, layer + 1) for layer in used]
    # longest chain of layer boundaries ending at the top, each LAYER_GAIN above the previous
    best: list[list[int]] = [[k] for k in range(len(used))]
    for k in range(len(used)):
        for m in range(k):
            if layer_gain(errors[m], errors[k]) >= LAYER_GAIN and len(best[m]) + 1 > len(best[k]):
                best[k] = best[m] + [k]
    kept = best[-1]
    top_of = {}
    for k, layer in enumerate(used):
        top_of[layer] = used[next(b for b in kept if b >= k)]
    for p in scene.paths:
        p.layer = top_of[p.layer]


def proposal_outline(prop: Proposal) -> np.ndarray | None:
    """A proposed region's outer contour in working-image pixels."""
    contour = outer_contour(prop.mask)
    if contour is not None:
        contour += np.array([prop.box[1].start, prop.box[0].start], dtype=np.float64)
    return contour


def add_proposal(scene: Scene, prop: Proposal, points: np.ndarray, fill: str, layer: int, dev: torch.device) -> None:
    """A proposed region as a path: its outline's cubics and its fitted fill."""
    ys, xs = np.nonzero(prop.mask)
    hint = np.stack([xs + prop.box[1].start, ys + prop.box[0].start], 1).astype(np.float64)
    scene.add(Path(torch.as_tensor(points, dtype=torch.float32, device=dev),
                   prop.fill.as_kind(fill, hint).to_fill(dev), torch.tensor(1.0, device=dev), layer, None))


def _drop_useless(scene: Scene, target: torch.Tensor, cfg: Settings, frozen: set[int]) -> set[int]:
    """Clean-up in place; returns the frozen paths' new indices."""
    kept = drop_useless(scene, target, cfg, keep=frozen)
    if len(kept) < len(scene.paths):
        scene.paths = [scene.paths[i] for i in kept]
    return {kept.index(i) for i in frozen if i in kept}


def _psnr(scene: Scene, target: torch.Tensor) -> float:
    """The picture's PSNR (dB) against the target, premultiplied RGBA."""
    with torch.no_grad():
        mse = float(((render(scene) - target) ** 2).mean())
    return 10.0 * math.log10(1.0 / max(mse, 1e-12))


def _summary(scene: Scene, image: np.ndarray, cfg: Settings, working_db: Callable[[], float]) -> str:
    """The last progress line: what was made and, when it is less than 90 % of what was asked,
    why — the picture reached :attr:`Settings.enough_db` as the SVG shows it (at the input's size,
    :func:`input_psnr`), or at the working size (``working_db()``; where the stages stop adding
    paths), or clean-up left out paths that added nothing. A picture fitted smaller than it is
    that shows :data:`DETAIL_GAP` dB less at its own size than at the working size (both on white, as
    :func:`input_psnr` scores) lost detail to the working size, not to the budget: the line says so."""
    made = scene.num_paths
    if made and made < 0.9 * cfg.paths:
        db = input_psnr(scene, image)
        if db >= cfg.enough_db:
            return f"done: {made} of {cfg.paths} paths (the picture reached {db:.1f} dB; more would add nothing)"
        if working_db() >= cfg.enough_db:
            return (f"done: {made} of {cfg.paths} paths ({db:.1f} dB; it reached {cfg.enough_db:g} dB at the working "
                    f"size: a larger working size keeps finer detail)")
        return f"done: {made} of {cfg.paths} paths ({db:.1f} dB; the others added nothing and were left out)"
    if made and max(image.shape[:2]) > cfg.max_size:
        db, work = input_psnr(scene, image), input_psnr(scene, image, cfg.max_size)
        if work - db >= DETAIL_GAP:
            return (f"done: {made} paths ({db:.1f} dB; {work:.1f} dB at the working size, {cfg.max_size} px: a larger "
                    f"working size keeps finer detail)")
    return f"done: {made} paths"


def input_psnr(scene: Scene, image: np.ndarray, size: int = SUMMARY_SIZE) -> float:
    """The PSNR (dB) of ``scene`` (on the input's pixel grid) against the input ``image``, both on
    white, RGB, in 8-bit levels — as the benchmarks score an SVG drawn by a real renderer — at the
    input's size (a bigger one brought within ``size`` by an area filter, the scene with it). The
    working size can score higher: a picture fitted at half the input's size matches its
    downsampled copy more closely."""
    target = torch.from_numpy(work_image(image, size, 1).astype(np.float32))
    h, w = target.shape[:2]
    with torch.no_grad():
        drawn = composite(render(scale_scene(scene.detached().to("cpu"), w, h))).clamp_(0.0, 1.0).mul_(255.0).round_()
        error = drawn.sub_(composite(target).mul_(255.0).round_()).square_()
    return 10.0 * math.log10(255.0**2 / max(float(error.sum(dtype=torch.float64)) / error.numel(), 1e-12))


def _boxes_area(scene: Scene) -> float:
    """The paths' bounding boxes added up, in pixels (the flat background, not a path, is free)."""
    area = 0.0
    for p in scene.paths:
        size = p.points.max(0).values - p.points.min(0).values
        area += float(size[0] * size[1])
    return area


def _stage_scale(stage: int, stages: int, long_side: int, coarse_size: int, coarse_above: int) -> float:
    """The fraction of the working size a stage optimises at: on a picture bigger than
    ``coarse_above``, half the working size at most, and each stage before the last half the next's,
    down to ``coarse_size`` — the stages place shapes, which a smaller picture shows as well at a
    quarter of the cost per halving; the passes over every path after them work at the full size."""
    if long_side <= coarse_above:
        return 1.0
    size = min(long_side // 2, max(coarse_size, long_side >> (stages - 1 - stage)))
    return min(1.0, size / long_side)


def _optimize_stage(scene: Scene, target: np.ndarray, weight: np.ndarray, cfg: Settings, scale: float, *,
                    frozen: set[int], on_step, start: int, show: Callable[[Scene], None] | None = None) -> None:
    """One stage's optimisation of ``scene`` in place, on a copy of everything ``scale`` times the
    working size when ``scale < 1`` (the moved paths are scaled back)."""
    dev = scene.device
    h, w = target.shape[:2]
    small = scene
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        target = cv2.resize(target, size, interpolation=cv2.INTER_AREA)
        weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
        small = scale_scene(scene, *size)
    optimize(small, torch.as_tensor(target, dtype=torch.float32, device=dev), cfg, iters=cfg.stage_iters,
             frozen=frozen, weight=torch.as_tensor(weight, dtype=torch.float32, device=dev), on_step=on_step,
             start=start, show=show)
    if small is not scene:
        scene.paths[start:] = scale_scene(small, w, h).paths[start:]


def _layer_names(n: int) -> list[str]:
    if n <= 1:
        return ["Shapes"]
    return ["Coarse" if i == 0 else f"Detail {i}" for i in range(n)]


def _compact_layers(scene: Scene) -> None:
    """Renumber layers so none is empty (clean-up may have emptied one)."""
    used = sorted({p.layer for p in scene.paths} | ({0} if scene.background is not None else set()))
    if not used:
        scene.layers = scene.layers[:1]
        return
    remap = {old: new for new, old in enumerate(used)}
    names = _layer_names(len(used))
    for p in scene.paths:
        p.layer = remap[p.layer]
    scene.layers = names
