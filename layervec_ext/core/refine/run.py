"""``refine(document, bitmap)``: the artist's own paths fitted back to the bitmap they trace.

1. Read the selected shapes and the rest of their top-level layers (:func:`read_selection`) in
   the bitmap's pixels; what is locked, or outside the selection, is drawn but held still.
2. Optionally repaint each path with another kind of fill (least squares over its pixels), and
   add ``add_paths`` new ones where the picture misses the bitmap most (the vectorizer's proposal).
3. One Adam pass over everything that may move, at the working size; tied rows keep bridged
   holes closed and split elements one fill (:class:`~layervec_ext.core.vectorize.optimize.Ties`).
4. Write geometry and fills back into the same elements (:mod:`.writeback`); new paths go into
   a sub-layer "Detail +k". Nothing is written until everything above succeeded.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from lxml import etree

from layervec_ext.core.refine.document import (
    RefineError,
    canvas_matrix,
    composed_transform,
    find_image,
    home_layer,
    image_frame,
    image_matrix,
    inside,
    page_color,
    selected_elements,
    top_layers,
)
from layervec_ext.core.refine.writeback import detail_layer, outline_d, set_fill, set_outline, unused_ids
from layervec_ext.core.render import render
from layervec_ext.core.scene import FlatFill, Path, Scene
from layervec_ext.core.svg.read import INKSCAPE_NS, SVG_NS, XLINK_NS, Origin, SVGError, read_selection
from layervec_ext.core.vectorize.fit import contour_to_cubics, fit_fill
from layervec_ext.core.vectorize.optimize import Hold, Ties, optimize
from layervec_ext.core.vectorize.pipeline import (
    add_proposal,
    hierarchy_cuts,
    proposal_outline,
    resolve_device,
    scale_scene,
    work_image,
)
from layervec_ext.core.vectorize.propose import Candidates, propose
from layervec_ext.core.vectorize.segment import build_hierarchy
from layervec_ext.core.vectorize.settings import Settings
from layervec_ext.inkscape.placement import FRAME_MARGIN
from layervec_ext.limits import nodes_problem

Progress = Callable[[float, str], None]
_URL = re.compile(r"url\(\s*#([^)\s]+)\s*\)")


@dataclass
class Report:
    """What a refine did: elements rewritten, paths added, and the picture's PSNR (dB, working
    size) over the bitmap before and after."""

    refined: int
    added: int
    psnr_before: float
    psnr_after: float


@dataclass
class _Piece:
    """One scene path and where it came from (``origin`` None: a new detail path)."""

    path: Path
    origin: Origin | None
    moves: bool


def refine(root: etree._Element, image: np.ndarray, settings: Settings, *, ids: list[str] | None = None,
           image_id: str | None = None, add_paths: int = 0, keep_shapes: bool = False, fill_kind: str = "keep",
           progress: Progress | None = None, snapshot: Callable[[Scene], None] | None = None) -> Report:
    """Refine the shapes ``ids`` name (all of the document's when empty) of the document ``root``
    against ``image`` ``(H, W, 4)`` uint8 RGBA, in place. Raises :class:`RefineError` (one line)
    before changing anything when it cannot."""
    report = progress or (lambda frac, stage: None)
    settings.check()
    dev = resolve_device(settings.device)
    torch.manual_seed(settings.seed)
    H, W = image.shape[:2]
    selection = selected_elements(root, list(ids or []))
    img = find_image(root, selection, image_id)
    to_root = image_matrix(img, W, H) if img is not None else canvas_matrix(root, W, H)
    to_scene = np.linalg.inv(to_root)
    frame = image_frame(img, W, H) if img is not None else None
    pieces = _read(root, selection, to_scene, (W, H), frame)
    report(0.0, "reading the paths")

    # Compared as the artist sees them: the bitmap and the paths both over the page colour (a
    # tracer leaves a white background out; LayerVec's paths leave a transparent one empty).
    page = page_color(root)
    target_np = work_image(image, settings.max_size, settings.min_work)
    target_np = target_np + (1.0 - target_np[..., 3:4]) * np.array([*page, 1.0])
    h, w = target_np.shape[:2]
    target = torch.as_tensor(target_np, dtype=torch.float32, device=dev)
    backdrop = FlatFill(torch.tensor([*page, 1.0], dtype=torch.float32))
    scene = scale_scene(Scene(W, H, [p.path for p in pieces], ["Selection"], backdrop), w, h).to(dev)
    for piece, path in zip(pieces, scene.paths):
        piece.path = path
    if fill_kind != "keep":
        _repaint(pieces, target_np, fill_kind, settings.gradient_stops, dev)
    before = _psnr(scene, target)
    keep = frozenset(i for i, p in enumerate(pieces) if p.moves) if keep_shapes else frozenset()
    passes = 2 if add_paths else 1
    pass_settings = dataclasses.replace(settings, patience=settings.refine_patience)
    done = [0]

    steps = passes * len(settings.refine_scales) * settings.refine_iters

    def on_step(step: int, loss: float) -> None:
        report(min(0.99, (done[0] + step + 1) / steps), "refining")

    def optimise(warmup: int = 0) -> None:
        fixed = frozenset(i for i, p in enumerate(pieces) if not p.moves)
        hold = Hold(outlines=fixed | keep, fill_geometry=fixed, colors=fixed, alpha=True, background=True)
        for scale in settings.refine_scales:
            # coarse first: a path moved by many pixels is a few at a quarter of the size, where
            # a step also costs a sixteenth — but what is best at a quarter of the size need not
            # be at the full one: a size's work is kept only if the full-size picture got better
            kept, error = _state(scene), _psnr(scene, target)
            size = (max(8, round(w * scale)), max(8, round(h * scale)))
            small, small_target = scene, target
            if size != (w, h):
                small = scale_scene(scene, *size)
                small_target = torch.as_tensor(cv2.resize(target_np, size, interpolation=cv2.INTER_AREA),
                                               dtype=torch.float32, device=dev)
            optimize(small, small_target, pass_settings, iters=settings.refine_iters, hold=hold,
                     ties=_ties_of(pieces, small), on_step=on_step, show=snapshot, warmup=warmup,
                     lr_scale=settings.refine_lr)
            if small is not scene:
                scene.paths = scale_scene(small, w, h).paths
            if _psnr(scene, target) < error:
                scene.paths = kept
            for piece, path in zip(pieces, scene.paths):
                piece.path = path
            done[0] += settings.refine_iters

    if snapshot is not None:
        snapshot(scene)
    optimise(settings.final_warmup)
    added: list[_Piece] = []
    if add_paths:
        # where the refined paths still miss the bitmap: then everything together once more
        report(done[0] / steps, f"placing {add_paths} paths")
        added = _detail(pieces, scene, target_np, add_paths, settings, "radial" if fill_kind == "keep" else fill_kind,
                        dev)
        at = _insertion_index(pieces, home_layer(root, selection), selection)
        pieces[at:at] = added
        scene.paths = [p.path for p in pieces]
        if snapshot is not None:
            snapshot(scene)
        optimise(settings.final_warmup)  # over converged paths, a cold start's first steps undo them
    after = _psnr(scene, target)
    out = scale_scene(scene.detached().to("cpu"), W, H)  # its background is the page: not written
    for piece, path in zip(pieces, out.paths):
        piece.path = path
    clip = image_frame(img, W, H, FRAME_MARGIN) if img is not None else None  # the command's SVG: its viewBox
    refined = _write(root, pieces, added, to_root, selection, keep_shapes, clip)
    report(1.0, f"done: {refined} paths refined" + (f", {len(added)} added" if added else ""))
    return Report(refined, len(added), before, after)


# -- reading -------------------------------------------------------------------------------------


def _read(root: etree._Element, selection: list[etree._Element], to_scene: np.ndarray,
          size: tuple[int, int], frame: tuple[float, float, float, float] | None) -> list[_Piece]:
    """The selection's paths (they move unless locked) among their layers' others (held); ``frame``:
    the part of the bitmap the document shows."""
    name = "document"
    try:
        own = read_selection(root, selection, to_scene=to_scene, size=size, name=name, frame=frame)
    except SVGError as exc:
        raise RefineError(_one_line(exc, name)) from None
    if own.stroke_only:
        el = own.stroke_only[0]
        raise RefineError(f"{_describe(el)} has a stroke but no fill; LayerVec refines filled paths "
                          "(lock it, or leave it out of the selection)")
    for origin in own.origins:  # its geometry is written back through the inverse
        m = origin.ctm
        if not np.isfinite(m).all() or abs(m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]) < 1e-12:
            raise RefineError(f"{_describe(origin.element)} is drawn through a transform that flattens it to "
                              "nothing or is not finite; fix its transform (or its group's) first")
    chosen = set(selection)
    moving = [o for o in own.origins if not o.locked]
    if not moving:
        raise RefineError("the selection holds no filled path to refine" if not own.origins
                          else "every path in the selection is locked")
    counts: dict[etree._Element, int] = {}
    for o in own.origins:
        counts[o.element] = counts.get(o.element, 0) + sum(1 for t in o.segments if t is not None)
    for el, n in counts.items():
        if (problem := nodes_problem(n)) is not None:
            raise RefineError(f"{_describe(el)} {problem}")
    context = own
    layers = top_layers(root, selection)
    if layers != selection:
        try:
            context = read_selection(root, layers, to_scene=to_scene, size=size, name=name, frame=frame)
        except SVGError:
            context = own  # the rest of the layer has what we cannot draw: the selection alone
    return [_Piece(path, origin, inside(origin.element, chosen) and not origin.locked)
            for path, origin in zip(context.scene.paths, context.origins)]


def _one_line(exc: Exception, name: str) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[len(name) + 2:] if text.startswith(name + ": ") else text


def _describe(el: etree._Element) -> str:
    tag = etree.QName(el).localname
    return f'<{tag} id="{el.get("id")}">' if el.get("id") else f"<{tag}>"


# -- preparing -----------------------------------------------------------------------------------


@torch.no_grad()
def _coverage(path: Path, width: int, height: int) -> np.ndarray:
    """``(H, W)`` in [0, 1]: how much of each pixel the path alone covers."""
    solid = Path(path.points, type(path.fill)(**path.fill.tensors()), torch.ones((), device=path.points.device),
                 0, None)
    return render(Scene(width, height, [solid], ["x"]))[..., 3].cpu().double().numpy()


def _repaint(pieces: list[_Piece], target: np.ndarray, kind: str, stops: int, dev: torch.device) -> None:
    """Each moving path's fill becomes ``kind``, fitted by least squares to the bitmap it covers."""
    h, w = target.shape[:2]
    for piece in pieces:
        if not piece.moves:
            continue
        ys, xs = np.nonzero(_coverage(piece.path, w, h) > 0.5)
        if len(xs) < 3:
            continue
        xy = np.stack([xs + 0.5, ys + 0.5], 1)
        alpha = float(piece.path.fill.tensors().get("color", piece.path.fill.tensors().get("colors"))[..., 3].max())
        fill = fit_fill(kind, xy, target[ys, xs], stops).to_fill(dev)
        for t in fill.tensors().values():
            if t.shape[-1:] == (4,):
                t[..., 3] = alpha  # the artist's opacity stays
        piece.path.fill = fill


def _detail(pieces: list[_Piece], scene: Scene, target: np.ndarray, count: int, settings: Settings, kind: str,
            dev: torch.device) -> list[_Piece]:
    """``count`` new paths where the picture misses the bitmap most (fewer only when the bitmap has
    fewer regions than that)."""
    h, w = target.shape[:2]
    with torch.no_grad():
        canvas = render(scene).cpu().double().numpy()
    hierarchy = build_hierarchy(target, most=settings.segment_size)
    regions = max((len(pieces) + count) * settings.regions_per_path, 16)
    candidates = Candidates.for_picture(target, settings, kind)
    chosen: list = []
    for _ in range(4):  # a finer cut when the first offers too few regions
        levels = [hierarchy.partition(r) for r in hierarchy_cuts(regions, settings.levels)]
        chosen = propose(candidates, canvas, levels, count)
        chosen = [(prop, c) for prop in chosen if (c := proposal_outline(prop)) is not None]
        if len(chosen) >= count:
            break
        regions *= 2
    holder = Scene(w, h, [], ["Detail"])
    for prop, contour in chosen[:count]:
        add_proposal(holder, prop, contour_to_cubics(contour, settings.segments), kind, 0, dev)
    return [_Piece(p, None, True) for p in holder.paths]


def _insertion_index(pieces: list[_Piece], layer: etree._Element | None, selection: list[etree._Element]) -> int:
    """Where the new paths go in drawing order: after the last path of the layer they go into
    (after the selection's last when it is in no layer)."""
    holder = {layer} if layer is not None else set(selection)
    last = [i for i, p in enumerate(pieces) if p.origin is not None and inside(p.origin.element, holder)]
    return last[-1] + 1 if last else len(pieces)


def _ties_of(pieces: list[_Piece], scene: Scene) -> Ties:
    """:func:`_ties` for ``scene``'s copy of the pieces' paths (same order)."""
    return _ties([_Piece(path, p.origin, p.moves) for p, path in zip(pieces, scene.paths)])


def _ties(pieces: list[_Piece]) -> Ties:
    """Bridged copies of one vertex and both sides of each bridge move as one; so do the fills of
    the scene paths one element became."""
    points: list[tuple[tuple[int, int], ...]] = []
    by_element: dict[etree._Element, list[int]] = {}
    for i, piece in enumerate(pieces):
        if piece.origin is None:
            continue
        by_element.setdefault(piece.origin.element, []).append(i)
        if all(t is not None for t in piece.origin.segments):
            continue  # one subpath: no bridge, nothing doubled
        pts = piece.path.points.detach().cpu().double().numpy()
        bridges = {k for k, t in enumerate(piece.origin.segments) if t is None}
        rows = [3 * k for k in range(len(piece.origin.segments))]
        rows += [3 * k + j for k in bridges for j in (1, 2)]
        groups: dict[tuple[int, int, bool], list[int]] = {}
        for r in rows:
            key = (round(pts[r, 0] * 1e3), round(pts[r, 1] * 1e3), r % 3 == 0)
            groups.setdefault(key, []).append(r)
        for members in groups.values():
            if len(members) > 1:
                with torch.no_grad():
                    piece.path.points[members] = piece.path.points[members[0]].clone()
                points.append(tuple((i, r) for r in members))
    fills = tuple(tuple(v) for v in by_element.values() if len(v) > 1)
    return Ties(tuple(points), fills)


# -- writing -------------------------------------------------------------------------------------


def _write(root: etree._Element, pieces: list[_Piece], added: list[_Piece], to_root: np.ndarray,
           selection: list[etree._Element], keep_shapes: bool, clip: tuple[float, float, float, float] | None) -> int:
    """Every moved element rewritten; the new paths in their sub-layer, clipped to ``clip`` (scene
    pixels) when given. Returns elements rewritten."""
    defs = _defs(root)
    by_element: dict[etree._Element, list[_Piece]] = {}
    for piece in pieces:
        if piece.moves and piece.origin is not None:
            by_element.setdefault(piece.origin.element, []).append(piece)
    replaced: list[str] = []
    sheets = next(root.iter(f"{{{SVG_NS}}}style", "style"), None) is not None  # fills then go in ``style``
    for el, own in by_element.items():
        inverse = np.linalg.inv(own[0].origin.ctm)
        if not keep_shapes:
            set_outline(el, outline_d([(p.path, p.origin) for p in own], inverse))
        gid = f"{el.get('id') or 'path'}-refined"
        replaced += _URL.findall((el.get("style") or "") + ";" + (el.get("fill") or ""))
        set_fill(el, own[0].path, own[0].origin, defs, _free_id(root, gid, el), inverse, sheets)
    _drop_unused(root, replaced)
    if added:
        layer = home_layer(root, selection)
        after = None if layer is not None or selection[-1] is root else selection[-1]
        parent = layer if layer is not None else root if after is None else after.getparent()
        to_parent = np.linalg.inv(composed_transform(parent) if parent is not root else np.eye(3)) @ to_root
        sub = detail_layer([p.path for p in added], f"Detail +{len(added)}", unused_ids(root, "lvd"), to_parent,
                           defs, clip)  # as many as the picture had room for: at most --add-paths
        if after is None:
            parent.append(sub)
        else:
            after.addnext(sub)
    return len(by_element)


def _drop_unused(root: etree._Element, ids: list[str]) -> None:
    """Gradients the refined paths no longer use and nothing else refers to go, and so do the
    ones they took stops from when Inkscape marked those collectable (``inkscape:collect``)."""
    todo, first = list(dict.fromkeys(ids)), set(ids)
    while todo:
        gid = todo.pop(0)
        el = next((e for e in root.iter() if isinstance(e.tag, str) and e.get("id") == gid), None)
        if el is None or not etree.QName(el).localname.endswith("Gradient"):
            continue
        if gid not in first and el.get(f"{{{INKSCAPE_NS}}}collect") != "always":
            continue
        used = f"url(#{gid})"
        if any(used in v or v == f"#{gid}" for e in root.iter() if isinstance(e.tag, str) and e is not el
               for v in e.attrib.values()):
            continue
        if any(used in (e.text or "") for e in root.iter(f"{{{SVG_NS}}}style", "style")):
            continue  # a style sheet's rule paints with it
        href = el.get(f"{{{XLINK_NS}}}href") or el.get("href") or ""
        el.getparent().remove(el)
        if href.startswith("#"):
            todo.append(href[1:])


def _free_id(root: etree._Element, wanted: str, owner: etree._Element) -> str:
    """``wanted`` unless another element than an earlier refine's gradient of ``owner`` has it."""
    users = [el for el in root.iter() if isinstance(el.tag, str) and el.get("id") == wanted]
    ours = f"url(#{wanted})"
    if not users or all(etree.QName(u).localname.endswith("Gradient") and ours in (owner.get("style", "") +
                                                                                  (owner.get("fill") or ""))
                        for u in users):
        return wanted
    n = 2
    while any(el.get("id") == f"{wanted}{n}" for el in root.iter() if isinstance(el.tag, str)):
        n += 1
    return f"{wanted}{n}"


def _defs(root: etree._Element) -> etree._Element:
    defs = root.find(f"{{{SVG_NS}}}defs")
    if defs is None:
        defs = etree.Element(f"{{{SVG_NS}}}defs")
        root.insert(0, defs)
    return defs


@torch.no_grad()
def _state(scene: Scene) -> list[Path]:
    """A copy of the scene's paths to go back to."""
    return scene.detached().paths


@torch.no_grad()
def _psnr(scene: Scene, target: torch.Tensor) -> float:
    mse = float(((render(scene) - target) ** 2).mean())
    return 10.0 * math.log10(1.0 / max(mse, 1e-12))
