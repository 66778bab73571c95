"""SVG → :class:`~layervec_ext.core.scene.Scene`: what our writer emits and ordinary filled SVG.

What is read is drawn the way resvg draws it (``tests/test_svg_fidelity.py`` compares pixels case
by case); what is not is refused in one line naming the element and why — never guessed.

Supported: ``<path>`` (all commands; arcs as cubics, out-of-range radii scaled up, a zero radius a
line, flags written without separators), ``<rect>`` (rounded too), ``<circle>``, ``<ellipse>``
(``rx``/``ry`` as SVG 2 and resvg resolve them: a missing, ``auto`` or negative one takes the
other's value), ``<polygon>``/``<polyline>``; ``<g>``/``<a>`` with nested transforms; ``fill``,
``fill-opacity``, ``fill-rule``, ``opacity``, ``display``, ``visibility``, ``color`` as attributes,
in ``style`` or through simple ``<style>`` rules (``css.py``), with CSS specificity, document
order, ``!important`` and ``inherit`` (the parent's value; for non-inherited properties the
direct parent's, as resvg); colours as ``paint.parse_color`` reads them (hex, ``rgb()``/``hsl()``
in the forms CSS and resvg agree on, CSS 3 names); linear and radial gradients
(``userSpaceOnUse`` and ``objectBoundingBox``, ``gradientTransform``, stops with ``currentColor``
and ``inherit`` resolved through the gradient's own ancestors as resvg does, attributes
inherited through ``href``, which wins over ``xlink:href``, with resvg's rules: coordinates only
from gradients of the same kind; an invalid ``gradientUnits`` or ``spreadMethod`` is the default,
a negative ``fr`` is 0, ``r`` ≤ 0 paints the last stop); ``viewBox``/``width``/``height``/
``preserveAspectRatio``; Inkscape layers → ``Scene.layers``.

Where the model is narrower than SVG, the choice made (all exact):

* **Subpaths.** A scene path is one closed contour filled non-zero. Subpaths of one element whose
  control boxes overlap no other subpath become separate paths (same fill, no overlap, so the
  picture is the same). Overlapping subpaths (holes, nested shapes) are joined into one closed
  path by zero-width "bridges" (out-and-back lines between the closest vertices of neighbouring
  subpaths), which add nothing to any winding number, so non-zero filling is unchanged. Under
  ``fill-rule="evenodd"`` the subpaths are first re-oriented by nesting depth (outer +, hole −,
  island +, …), exact because subpaths that cross themselves or each other are refused. Bridges
  are exact in resvg/browsers; our distance-based anti-aliasing draws a long one as a faint
  hairline, hence the shortest ones; an optimiser moving their points would open them.
* **Group opacity** (``<g>``, ``<a>``, the root ``<svg>``) is multiplied into each of its paths'
  opacity, exact because a group whose paths' control boxes overlap is refused (SVG composites the
  group first). **Radial gradients** under any affine map are exactly an ellipse with rotation
  (skew included: an affine image of a circle is an ellipse).
* Refused (:class:`SVGUnsupported`, naming the element): text, images, ``<use>``, nested
  ``<svg>``, ``<switch>``, ``<foreignObject>``, filters, masks, markers, blend modes, clip paths
  (but one rectangle around all that is seen, LayerVec's frame around a result in a document:
  it hides nothing, so it is read as none),
  patterns, ``spreadMethod`` ``reflect``/``repeat``, a focal point (``fx``/``fy`` away from the
  centre) or focal radius (``fr`` > 0), a ``gradientTransform`` inherited through ``href`` (SVG
  inherits it, resvg does not) or singular (resvg draws it as none), ``transform-origin`` and CSS
  ``transform``, CSS that resvg and CSS read differently (two ``!important`` values for one
  property, ``!IMPORTANT``, upper-case property names), CSS beyond simple selectors (``css.py``),
  ``fill-rule="evenodd"`` on crossing subpaths, ``opacity`` on a group of overlapping shapes, and
  visible strokes (LayerVec draws fills only; ``strokes="ignore"`` drops them instead).
  :class:`SVGError`: malformed XML, numbers, lengths (``rx="bad"``), path data (an arc flag other
  than 0/1) or colours (``rgb(1 2 3 / 50%)``, a percentage alpha, numbers mixed with percentages,
  hue units, CSS 4 names: resvg draws these black). Titles, metadata, ``<defs>`` content that is
  not referenced and foreign-namespace elements (Inkscape's ``sodipodi:namedview``…) are skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import torch
from lxml import etree

from layervec_ext.core.geometry import signed_area, union_roots
from layervec_ext.core.scene import FlatFill, LinearGradient, Path, RadialGradient, Scene, map_fill
from layervec_ext.core.svg import pathdata
from layervec_ext.core.svg.css import CSSUnsupported, Rule, matching_declarations, parse_stylesheet
from layervec_ext.core.svg.paint import (
    PaintError,
    parse_color,
    parse_declarations,
    parse_length,
    parse_number_or_percent,
)
from layervec_ext.core.svg.pathdata import PathDataError, Subpath
from layervec_ext.limits import size_problem
from layervec_ext.svgunits import fit

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"
SODIPODI_NS = "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
KAPPA = 4 / 3 * (math.sqrt(2) - 1)  # quarter-circle handle length

# Properties children inherit (SVG 1.1 "Inherited: yes") and the ones that apply to one element.
INHERITED = ("fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "visibility", "color",
             "marker-start", "marker-mid", "marker-end")
OWN = ("opacity", "display", "filter", "mask", "clip-path", "mix-blend-mode", "stop-color", "stop-opacity")
INITIAL = {"fill": "black", "fill-opacity": "1", "fill-rule": "nonzero", "stroke": "none", "stroke-width": "1",
           "stroke-opacity": "1", "visibility": "visible", "color": "black"}
SHAPES = ("path", "rect", "circle", "ellipse", "polygon", "polyline", "line")
GROUPS = ("g", "a")
# How far (scene pixels) a clip may fall inside the frame and still be read as hiding nothing: the
# document's numbers are rounded (inkex writes transforms to 6 significant digits), and a slice's
# cut has no margin; half a pixel of the bitmap is what a renderer's antialiasing blurs anyway.
FRAME_SLACK = 0.5
PAINT_SERVERS = ("linearGradient", "radialGradient", "pattern")  # what ``fill: url(#…)`` may name
# Never drawn where they stand (only through references, which we either resolve or reject).
NOT_RENDERED = ("defs", "title", "desc", "metadata", "script", "style", "linearGradient", "radialGradient", "stop",
                "clipPath", "mask", "filter", "pattern", "marker", "symbol")


class SVGError(ValueError):
    """The SVG cannot be read (malformed XML, bad number); the message says where."""


class SVGUnsupported(SVGError):
    """The SVG uses something LayerVec's scene cannot represent; the message names the element."""


@dataclass
class _Context:
    """What an element inherits from its ancestors."""

    ctm: np.ndarray
    props: dict[str, str]
    opacity: float = 1.0
    layer: int | None = None
    selected: bool = True  # inside what is being read (a selection reads only part of the tree)
    locked: bool = False  # inside an element Inkscape locks (``sodipodi:insensitive``)
    own: dict[str, str] | None = None  # the parent's non-inherited properties (``OWN``), for ``inherit``


@dataclass
class Origin:
    """Where a scene path came from: what writing optimised geometry back to the document needs."""

    element: etree._Element
    ctm: np.ndarray  # the element's user space → scene pixels
    subpaths: int  # how many (non-empty) subpaths the element's outline has
    segments: list  # per scene segment: (subpath, segment, reversed), or None for a bridge
    locked: bool  # Inkscape locks it: it is drawn but must stay as it is
    fill_opacity: float  # its ``fill-opacity`` (the scene's colours have it multiplied in)


@dataclass
class _Reader:
    name: str
    strokes: str
    viewport: tuple[float, float]
    gradients: dict[str, etree._Element]
    rules: list[Rule] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    layer_of: list[int | None] = field(default_factory=list)
    # Reading a selection (refine): only these subtrees; their ancestors are walked for what
    # they pass down. ``origins`` then records each path's element; bitmaps are skipped.
    selection: set | None = None
    ancestors: set = field(default_factory=set)
    origins: list[Origin] | None = None
    stroke_only: list[etree._Element] = field(default_factory=list)
    # What is seen, in scene pixels (x0, y0, x1, y1): a clip that hides nothing of it is no clip
    # (LayerVec's frame around its result in a document: :meth:`hides_nothing`).
    frame: tuple[float, float, float, float] | None = None
    clips: dict[str, etree._Element] = field(default_factory=dict)

    # ----------------------------------------------------------------------------------- walking

    def walk(self, el: etree._Element, ctx: _Context) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            ns, tag = _split(child.tag)
            if ns not in (SVG_NS, None):
                continue  # sodipodi:namedview, metadata of other tools
            selected = ctx.selected or child in self.selection
            if not selected and child not in self.ancestors:
                continue
            props = self.properties(child, ctx.props, self.parent_own(el, ctx))
            if props.get("display", "inline").strip() == "none" or tag in NOT_RENDERED:
                continue
            if tag == "image" and self.origins is not None:
                continue  # refine: the bitmap traced may sit among the paths
            if tag not in GROUPS and tag not in SHAPES:
                raise self.unsupported(child)
            for prop in ("filter", "mask", "clip-path", "marker-start", "marker-mid", "marker-end"):
                if props.get(prop, "none").strip() != "none":
                    if prop == "clip-path" and self.hides_nothing(props[prop], ctx.ctm @ self.transform(child)):
                        continue
                    raise self.unsupported(child, f"{prop} is not supported")
            if props.get("mix-blend-mode", "normal").strip() != "normal":
                raise self.unsupported(child, f"mix-blend-mode {props['mix-blend-mode']} is not supported")
            sub = _Context(
                ctm=ctx.ctm @ self.transform(child),
                props={k: props[k] for k in INHERITED if k in props},
                opacity=ctx.opacity * _clamp01(self.number(child, props.get("opacity"), 1.0)),
                layer=ctx.layer,
                selected=selected,
                locked=ctx.locked or child.get(f"{{{SODIPODI_NS}}}insensitive") == "true",
                own={k: props[k] for k in OWN if k in props},
            )
            if not selected:  # an ancestor of the selection: only what it passes down counts
                if tag not in GROUPS:
                    raise self.unsupported(child)
                start = len(self.paths)
                self.walk(child, sub)
                self.check_group_opacity(child, props, start)
            elif tag in GROUPS:
                if child.get(f"{{{INKSCAPE_NS}}}groupmode") == "layer":
                    label = child.get(f"{{{INKSCAPE_NS}}}label") or child.get("id") or f"Layer {len(self.layers) + 1}"
                    self.layers.append(label)
                    sub.layer = len(self.layers) - 1
                start = len(self.paths)
                self.walk(child, sub)
                self.check_group_opacity(child, props, start)
            else:
                self.shape(child, tag, sub)
        if ctx.own is None:  # the root <svg>: its opacity applies to everything as a group's does
            self.check_group_opacity(el, self.parent_own(el, ctx), 0)

    def properties(self, el: etree._Element, inherited: dict[str, str],
                   parent_own: dict[str, str] | None = None) -> dict[str, str]:
        """The element's properties: ``inherited`` (the parent's inherited ones), overridden by
        presentation attributes, then the style sheet's rules (specificity, then document order),
        then ``style``; an ``!important`` declaration beats every normal one. ``inherit`` takes the
        parent's value (``parent_own`` for the non-inherited ``OWN`` ones; none: the initial value)."""
        try:
            declared = [*matching_declarations(self.rules, _split(el.tag)[1], el.get("id"), el.get("class")),
                        *parse_declarations(el.get("style"))]
        except PaintError as exc:
            raise SVGError(f"{self.name}: {_describe(el)}: {exc}") from None
        cascade: dict[str, str] = {}
        for name in INHERITED + OWN + ("marker",):
            value = el.get(name)
            if value is not None and value.strip():
                cascade[name] = value.strip()
        if el.get("transform-origin") is not None:
            raise self.unsupported(el, "transform-origin is not supported")
        important: dict[str, str] = {}
        for name, value, is_important in declared:
            self.check_declaration(el, name)
            if not is_important:
                cascade[name] = value
            elif important.setdefault(name, value) != value:
                # CSS: the later/more specific one wins; resvg keeps the first: refuse rather than pick
                raise self.unsupported(el, f"two !important values for {name} ({important[name]!r}, {value!r})")
        cascade.update(important)
        props = dict(inherited)
        for name, value in cascade.items():
            if value != "inherit":
                props[name] = value
            elif name not in INHERITED:
                source = parent_own or {}
                if name in source:
                    props[name] = source[name]
                else:
                    props.pop(name, None)
        if props.get("marker", "none") != "none":  # the shorthand sets all three
            props.update({k: props["marker"] for k in ("marker-start", "marker-mid", "marker-end")})
        return props

    def check_declaration(self, el: etree._Element, name: str) -> None:
        """CSS declarations resvg and CSS read differently, refused: ``FILL`` (CSS names are
        case-insensitive; resvg ignores it) and ``transform``/``transform-origin`` in CSS (CSS needs
        units where the attribute has none; resvg reads unitless ones)."""
        if name.lower() != name and name.lower() in INHERITED + OWN + ("marker",):
            raise self.unsupported(el, f"CSS property name {name!r} is not lowercase")
        if name.lower() in ("transform", "transform-origin"):
            raise self.unsupported(el, f"CSS {name.lower()} is not supported (use the transform attribute)")

    def parent_own(self, parent: etree._Element, ctx: _Context) -> dict[str, str]:
        """The non-inherited properties of the element whose children are walked (``inherit``'s source)."""
        if ctx.own is not None:
            return ctx.own
        return {k: v for k, v in self.properties(parent, {}).items() if k in OWN}  # the root

    def computed(self, el: etree._Element) -> tuple[dict[str, str], dict[str, str]]:
        """``(inherited, own)`` properties of an element outside the walk (a gradient, whose stops
        inherit ``color`` and take ``inherit`` from it), from the document root down."""
        props, own = dict(INITIAL), {}
        for node in [*reversed(list(el.iterancestors())), el]:
            full = self.properties(node, props, own)
            props = {k: full[k] for k in INHERITED if k in full}
            own = {k: full[k] for k in OWN if k in full}
        return props, own

    # ----------------------------------------------------------------------------------- shapes

    def shape(self, el: etree._Element, tag: str, ctx: _Context) -> None:
        props = ctx.props
        if props.get("visibility", "visible") in ("hidden", "collapse"):
            return
        self.check_stroke(el, props)
        subpaths = self.geometry(el, tag)
        fill_value = props.get("fill", "black")
        if fill_value == "none" and props.get("stroke", "none") != "none" and not ctx.locked:
            self.stroke_only.append(el)
        if not subpaths or fill_value == "none":
            return
        local = [np.asarray(s, dtype=np.float64) for s in subpaths]
        fill_opacity = _clamp01(self.number(el, props.get("fill-opacity"), 1.0))
        fill = self.paint(el, fill_value, props, fill_opacity, local, ctx.ctm)
        if fill is None:
            return
        if not all(np.isfinite(s).all() for s in local) or not np.isfinite(ctx.ctm).all():
            raise SVGError(f"{self.name}: {_describe(el)}: coordinates are not finite")
        placed = [pathdata.apply(ctx.ctm, s) for s in local]
        self.check_evenodd(el, props, placed)
        contours = join_subpaths_tagged(placed, evenodd=props.get("fill-rule", "nonzero") == "evenodd")
        base_id = el.get("id")
        for k, (segs, tags) in enumerate(contours):
            points = segs[:, :3, :].reshape(-1, 2)
            pid = base_id if k == 0 or base_id is None else f"{base_id}-{k}"
            self.paths.append(Path(_f32(points), map_fill(fill, torch.clone), _f32(ctx.opacity), 0, pid))
            self.layer_of.append(ctx.layer)
            if self.origins is not None:
                self.origins.append(Origin(el, ctx.ctm, sum(1 for s in placed if len(s)), tags, ctx.locked,
                                           fill_opacity))

    def geometry(self, el: etree._Element, tag: str) -> list[Subpath]:
        """The element's outline in its own user space."""
        vw, vh = self.viewport
        try:
            if tag == "path":
                return pathdata.parse_path(el.get("d", ""))
            if tag in ("polygon", "polyline"):
                sub = pathdata.polygon_subpath(pathdata.parse_numbers(el.get("points", "")))
                return [sub] if sub else []
            if tag == "line":
                return []
            if tag == "rect":
                x, y = self.length(el, "x", vw), self.length(el, "y", vh)
                w, h = self.length(el, "width", vw), self.length(el, "height", vh)
                rx, ry = self.radii(el)
                if w <= 0 or h <= 0:
                    return []
                return [rect_subpath(x, y, w, h, min(rx, w / 2), min(ry, h / 2))]
            cx, cy = self.length(el, "cx", vw), self.length(el, "cy", vh)
            if tag == "circle":
                rx = ry = self.length(el, "r", math.hypot(vw, vh) / math.sqrt(2))
            else:
                rx, ry = self.radii(el)
            if rx <= 0 or ry <= 0:
                return []
            return [ellipse_subpath(cx, cy, rx, ry)]
        except PathDataError as exc:
            raise SVGError(f"{self.name}: {_describe(el)}: {exc}") from None

    def radii(self, el: etree._Element) -> tuple[float, float]:
        """``rx``/``ry`` of a rect or ellipse as SVG 2 and resvg resolve them: a missing, ``auto`` or
        negative one takes the other's value, both missing are 0 (a text that is not a length is an error)."""
        vw, vh = self.viewport

        def read(name: str, ref: float) -> float | None:
            text = el.get(name)
            if text is None or text.strip() == "auto":
                return None
            value = self.length(el, name, ref)
            return None if math.copysign(1.0, value) < 0 else value  # resvg: "-0" is negative too

        rx, ry = read("rx", vw), read("ry", vh)
        rx = ry if rx is None else rx
        ry = rx if ry is None else ry
        return (rx or 0.0, ry or 0.0)

    def check_evenodd(self, el: etree._Element, props: dict[str, str], placed: list[np.ndarray]) -> None:
        """``fill-rule="evenodd"`` becomes non-zero by orienting subpaths by nesting depth, exact for
        subpaths that do not cross; subpaths that cross themselves or each other are refused (a
        pentagram, overlapping rings; even a figure 8, whose ±1 windings our renderer's
        anti-aliasing, keyed to the sign of the path's area, does not draw right)."""
        if props.get("fill-rule", "nonzero").strip() != "evenodd":
            return
        if _crosses([s for s in placed if len(s)]):
            raise self.unsupported(el, 'fill-rule="evenodd" on subpaths that cross (themselves or each other) '
                                       "is not supported")

    def check_group_opacity(self, group: etree._Element, props: dict[str, str], start: int) -> None:
        """SVG draws a group with ``opacity`` below 1 as one layer, we multiply it into each of its
        paths (``self.paths[start:]``): the same picture only where they do not overlap, so a group
        whose paths' control boxes overlap is refused."""
        opacity = _clamp01(self.number(group, props.get("opacity"), 1.0))
        if not 0.0 < opacity < 1.0 or len(self.paths) - start < 2:
            return
        points = [p.points.detach().cpu().numpy().astype(np.float64) for p in self.paths[start:]]
        if _boxes_overlap(np.stack([p.min(axis=0) for p in points]), np.stack([p.max(axis=0) for p in points])):
            raise self.unsupported(group, f"opacity={opacity:g} on a group whose shapes overlap is not supported "
                                          "(SVG composites the group first)")

    def check_stroke(self, el: etree._Element, props: dict[str, str]) -> None:
        stroke = props.get("stroke", "none")
        if stroke == "none" or self.strokes == "ignore":
            return
        width = self.length_value(el, props.get("stroke-width"), 1.0)
        if width <= 0 or self.number(el, props.get("stroke-opacity"), 1.0) <= 0:
            return
        raise self.unsupported(el, f"strokes are not supported (stroke={stroke!r}); LayerVec draws fills only")

    # ----------------------------------------------------------------------------------- paint

    def paint(self, el: etree._Element, value: str, props: dict[str, str], fill_opacity: float,
              local: list[np.ndarray], ctm: np.ndarray):
        """The fill, or ``None`` when nothing is painted."""
        if value.startswith("url("):
            ref, _, fallback = value[4:].partition(")")
            ref = ref.strip().strip("'\"")
            gradient = self.gradients.get(ref[1:]) if ref.startswith("#") else None
            if gradient is not None:
                return self.gradient(el, gradient, fill_opacity, local, ctm)
            value = fallback.strip() or "none"  # a missing reference paints its fallback, else nothing
            if value == "none":
                return None
        if value == "currentColor":
            value = props.get("color", "black")
        try:
            r, g, b, a = parse_color(value)
        except PaintError as exc:
            raise SVGError(f"{self.name}: {_describe(el)}: {exc}") from None
        return FlatFill(_f32([r, g, b, a * fill_opacity]))

    def gradient(self, el: etree._Element, grad: etree._Element, fill_opacity: float, local: list[np.ndarray],
                 ctm: np.ndarray):
        chain = self.href_chain(grad)
        tag = _split(grad.tag)[1]
        if tag not in ("linearGradient", "radialGradient"):
            raise self.unsupported(grad, "only linear and radial gradients can fill a path")

        def attr(name: str) -> str | None:
            return _gradient_attr(chain, name)

        spread = attr("spreadMethod")
        if spread in ("reflect", "repeat"):  # any other value is pad, as resvg and Inkscape read it
            raise self.unsupported(grad, f'spreadMethod="{spread}" is not supported (only pad)')
        offsets, colors = self.stops(chain, fill_opacity)
        if not offsets:
            return None
        if len(offsets) == 1:
            return FlatFill(_f32(colors[0]))
        bbox_units = attr("gradientUnits") != "userSpaceOnUse"  # an invalid value is the default, as in resvg
        g = ctm.copy()
        vw, vh = self.viewport
        if bbox_units:
            x0, y0, x1, y1 = tight_bbox(local)
            if x1 - x0 <= 0 or y1 - y0 <= 0:
                return None  # SVG: bounding-box units on a zero-size box paint nothing
            g = g @ np.array([[x1 - x0, 0, x0], [0, y1 - y0, y0], [0, 0, 1.0]])
            ref_w = ref_h = ref_d = 1.0
        else:
            ref_w, ref_h, ref_d = vw, vh, math.hypot(vw, vh) / math.sqrt(2)
        try:
            g = g @ self.gradient_transform(grad, chain)

            def length(name: str, default: str, ref: float) -> float:
                return parse_length(attr(name) or default, percent_of=ref)

            if tag == "linearGradient":
                p1 = (length("x1", "0%", ref_w), length("y1", "0%", ref_h))
                p2 = (length("x2", "100%", ref_w), length("y2", "0%", ref_h))
                return linear_fill(g, p1, p2, offsets, colors)
            center = (length("cx", "50%", ref_w), length("cy", "50%", ref_h))
            r = length("r", "50%", ref_d)
            if r > 0:
                focus = (length("fx", str(center[0]), ref_w), length("fy", str(center[1]), ref_h))
                self.check_focus(grad, center, r, focus, length("fr", "0", ref_d))
            return radial_fill(g, center, r, offsets, colors)
        except (PathDataError, PaintError) as exc:
            raise SVGError(f"{self.name}: {_describe(grad)}: {exc}") from None

    def gradient_transform(self, grad: etree._Element, chain: list[etree._Element]) -> np.ndarray:
        """The gradient's own ``gradientTransform``. One inherited through ``href`` is refused: SVG
        inherits it, resvg does not. A singular one is refused too: resvg draws it as no transform."""
        own = grad.get("gradientTransform")
        text = own if own is not None else _gradient_attr(chain, "gradientTransform")
        m = pathdata.parse_transform(text)
        if own is None and not np.allclose(m, np.eye(3), rtol=0, atol=1e-12):
            raise self.unsupported(grad, f'gradientTransform="{text}" inherited through href is not supported '
                                         "(renderers disagree)")
        sx, sy = math.hypot(m[0, 0], m[1, 0]), math.hypot(m[0, 1], m[1, 1])
        if min(sx, sy) <= 1e-6 or abs(np.linalg.det(m[:2, :2])) <= 1e-6 * sx * sy:
            raise self.unsupported(grad, f'gradientTransform="{text}" is singular')
        return m

    def check_focus(self, grad: etree._Element, center, r: float, focus, fr: float) -> None:
        """Our radial gradients are centred circles: a focal point away from the centre or a focal
        radius (``fx``/``fy``/``fr``, which resvg draws) is refused; a negative ``fr`` is 0, as in resvg."""
        tol = 1e-9 * max(1.0, r, abs(center[0]), abs(center[1]))
        if fr > tol:
            raise self.unsupported(grad, f"a focal radius (fr={fr:g}) is not supported")
        if abs(focus[0] - center[0]) > tol or abs(focus[1] - center[1]) > tol:
            raise self.unsupported(grad, "a focal point (fx/fy) away from the centre is not supported")

    def href_chain(self, grad: etree._Element) -> list[etree._Element]:
        """The gradient and those it references; ``href`` wins over ``xlink:href`` (SVG 2, resvg)."""
        chain, seen = [grad], {id(grad)}
        while True:
            ref = chain[-1].get("href")
            ref = (chain[-1].get(f"{{{XLINK_NS}}}href") if ref is None else ref) or ""
            ref = ref.strip()
            target = self.gradients.get(ref[1:]) if ref.startswith("#") else None
            if target is None or id(target) in seen:
                return chain
            chain.append(target)
            seen.add(id(target))

    def stops(self, chain: list[etree._Element], fill_opacity: float) -> tuple[list[float], list[list[float]]]:
        """Stops of the first gradient in the ``href`` chain that has any, SVG-normalised offsets. A
        stop inherits ``color`` (for ``currentColor``) through its gradient and that one's ancestors,
        and ``inherit`` takes the gradient's value, as resvg does."""
        for grad in chain:
            if _split(grad.tag)[1] not in _GRADIENT_COORDS:
                return [], []  # a pattern in the chain: no stops (resvg paints nothing)
            stops = [s for s in grad if isinstance(s.tag, str) and _split(s.tag)[1] == "stop"]
            if stops:
                break
        else:
            return [], []
        inherited, own = self.computed(grad)
        offsets: list[float] = []
        colors: list[list[float]] = []
        for stop in stops:
            props = self.properties(stop, inherited, own)
            try:
                offset = _clamp01(parse_number_or_percent(stop.get("offset"), 0.0))
                color_text = props.get("stop-color", "black")
                if color_text == "currentColor":
                    color_text = props.get("color", "black")
                r, g, b, a = parse_color(color_text)
                a *= _clamp01(parse_number_or_percent(props.get("stop-opacity"), 1.0))
            except PaintError as exc:
                raise SVGError(f"{self.name}: {_describe(stop)}: {exc}") from None
            offsets.append(max(offset, offsets[-1]) if offsets else offset)
            colors.append([r, g, b, a * fill_opacity])
        return offsets, colors

    # ----------------------------------------------------------------------------------- helpers

    def hides_nothing(self, value: str, ctm: np.ndarray) -> bool:
        """Whether ``clip-path: value`` on an element whose user space ``ctm`` maps to scene pixels
        leaves all of :attr:`frame` visible: one plain, visible rectangle (user-space units, no
        corners rounded, no clip or transform of its own by CSS) that holds the frame's corners,
        to within :data:`FRAME_SLACK` pixels. Such a clip changes no pixel the scene has, so reading it
        as none is exact; any other clip is refused."""
        ref = value.strip()
        if self.frame is None or not (ref.startswith("url(") and ref.endswith(")")):
            return False
        ref = ref[4:-1].strip().strip("'\"")
        clip = self.clips.get(ref[1:]) if ref.startswith("#") else None
        if clip is None or clip.get("clipPathUnits", "userSpaceOnUse").strip() != "userSpaceOnUse":
            return False
        shapes = [c for c in clip if isinstance(c.tag, str) and _split(c.tag)[1] not in ("title", "desc")]
        if len(shapes) != 1 or _split(shapes[0].tag) not in ((SVG_NS, "rect"), (None, "rect")):
            return False
        rect = shapes[0]
        own = self.properties(clip, INITIAL)  # a clipPath's children inherit from it, not from the user
        props = self.properties(rect, {k: own[k] for k in INHERITED if k in own})
        if any(p.get("clip-path", "none").strip() != "none" for p in (own, props)) or rect.get("rx") \
                or rect.get("ry") or props.get("display", "inline").strip() == "none" \
                or props.get("visibility", "visible").strip() != "visible":
            return False
        vw, vh = self.viewport
        x, y = self.length(rect, "x", vw), self.length(rect, "y", vh)
        w, h = self.length(rect, "width", vw), self.length(rect, "height", vh)
        m = ctm @ self.transform(clip) @ self.transform(rect)
        if w <= 0 or h <= 0 or abs(np.linalg.det(m[:2, :2])) < 1e-12:
            return False
        inverse = np.linalg.inv(m)
        slack = FRAME_SLACK * float(np.abs(inverse[:2, :2]).sum(axis=1).max())  # scene pixels, in the rect's units
        fx0, fy0, fx1, fy1 = self.frame
        corners = inverse @ np.array([[fx0, fx1, fx1, fx0], [fy0, fy0, fy1, fy1], [1.0, 1.0, 1.0, 1.0]])
        return bool(((corners[0] >= x - slack) & (corners[0] <= x + w + slack)
                     & (corners[1] >= y - slack) & (corners[1] <= y + h + slack)).all())

    def transform(self, el: etree._Element) -> np.ndarray:
        try:
            return pathdata.parse_transform(el.get("transform"))
        except PathDataError as exc:
            raise SVGError(f"{self.name}: {_describe(el)}: {exc}") from None

    def number(self, el: etree._Element, text: str | None, default: float) -> float:
        try:
            return parse_number_or_percent(text, default)
        except PaintError as exc:
            raise SVGError(f"{self.name}: {_describe(el)}: {exc}") from None

    def length(self, el: etree._Element, name: str, percent_of: float) -> float:
        try:
            return parse_length(el.get(name), percent_of=percent_of)
        except PaintError as exc:
            raise SVGError(f"{self.name}: {_describe(el)}: {name}: {exc}") from None

    def length_value(self, el: etree._Element, text: str | None, default: float) -> float:
        try:
            return parse_length(text, percent_of=math.hypot(*self.viewport) / math.sqrt(2), default=default)
        except PaintError as exc:
            raise SVGError(f"{self.name}: {_describe(el)}: {exc}") from None

    def unsupported(self, el: etree._Element, why: str | None = None) -> SVGUnsupported:
        if why is None:
            return SVGUnsupported(f"{self.name}: unsupported SVG element {_describe(el)}")
        return SVGUnsupported(f"{self.name}: unsupported SVG in {_describe(el)}: {why}")


# --------------------------------------------------------------------------------------- entry point


def svg_to_scene(svg: str | bytes, *, path_name: str = "<svg>", width: int | None = None,
                 height: int | None = None, strokes: str = "error") -> Scene:
    """Read SVG text into a scene whose coordinates are output pixels.

    The canvas is the document's ``width × height`` (``viewBox`` size when those are missing or
    relative); ``width``/``height`` override it (one alone keeps the aspect ratio), the way a
    renderer is asked for another size. ``strokes="ignore"`` drops visible strokes instead of
    raising. Raises :class:`SVGUnsupported` / :class:`SVGError` (both ``ValueError``) with
    ``path_name`` in the message."""
    if strokes not in ("error", "ignore"):
        raise ValueError(f"strokes must be 'error' or 'ignore', not {strokes!r}")
    root = _parse_xml(svg, path_name)
    if _split(root.tag)[1] != "svg":
        raise SVGError(f"{path_name}: not an SVG document (root element <{_split(root.tag)[1]}>)")
    view_box, doc_w, doc_h = _document_size(root, path_name)
    # Like resvg: the canvas is the document size rounded to whole pixels, without stretching the
    # drawing to it (a 15.7 px document is 16 px with an empty sliver); other sizes scale that canvas.
    base_w, base_h = max(1, round(doc_w)), max(1, round(doc_h))
    out_w, out_h = _output_size(base_w, base_h, width, height)
    if (problem := size_problem(out_w, out_h)) is not None:
        raise SVGError(f"{path_name}: a canvas of {problem}")
    root_ctm = np.diag([out_w / base_w, out_h / base_h, 1.0]) @ _viewbox_matrix(
        view_box, doc_w, doc_h, root.get("preserveAspectRatio"))
    viewport = (view_box[2], view_box[3])
    reader = _Reader(path_name, strokes, viewport, _by_id(root, *PAINT_SERVERS), _stylesheets(root, path_name),
                     frame=(0.0, 0.0, float(out_w), float(out_h)), clips=_by_id(root, "clipPath"))
    props = {k: v for k, v in reader.properties(root, INITIAL).items() if k in INHERITED}
    opacity = _clamp01(reader.number(root, reader.properties(root, {}).get("opacity"), 1.0))
    reader.walk(root, _Context(ctm=root_ctm @ reader.transform(root), props=props, opacity=opacity))
    return _assemble(reader, out_w, out_h)


@dataclass
class Selection:
    """Part of a document read for refining: the scene (one layer, document order), each path's
    :class:`Origin`, and the selected shapes that have a stroke but no fill (nothing to refine)."""

    scene: Scene
    origins: list[Origin]
    stroke_only: list[etree._Element]


def read_selection(root: etree._Element, selection: list[etree._Element], *, to_scene: np.ndarray,
                   size: tuple[int, int], name: str = "<svg>",
                   frame: tuple[float, float, float, float] | None = None) -> Selection:
    """The shapes inside ``selection`` (elements of the document ``root``), in scene pixels:
    ``to_scene`` maps the root's user space (inside its viewBox) onto the ``size`` canvas. Strokes
    are left out (they stay as they are); bitmaps among the shapes are skipped; hidden shapes are
    not read; locked ones are, flagged in their origin. ``frame`` (scene pixels x0, y0, x1, y1; the
    whole canvas by default) is what is seen of it: a rectangular clip around it is read as none.
    Raises like :func:`svg_to_scene`."""
    view_box, _, _ = _document_size(root, name)
    chosen = set(selection)
    ancestors = {a for el in selection for a in el.iterancestors()}
    reader = _Reader(name, "ignore", (view_box[2], view_box[3]), _by_id(root, *PAINT_SERVERS),
                     _stylesheets(root, name), selection=chosen, ancestors=ancestors, origins=[],
                     frame=frame or (0.0, 0.0, float(size[0]), float(size[1])), clips=_by_id(root, "clipPath"))
    props = {k: v for k, v in reader.properties(root, INITIAL).items() if k in INHERITED}
    opacity = _clamp01(reader.number(root, reader.properties(root, {}).get("opacity"), 1.0))
    reader.walk(root, _Context(ctm=np.asarray(to_scene, dtype=np.float64) @ reader.transform(root), props=props,
                               opacity=opacity, selected=root in chosen))
    scene = Scene(size[0], size[1], reader.paths, ["Selection"])
    for path in scene.paths:
        path.layer = 0
    return Selection(scene, reader.origins, reader.stroke_only)


def _by_id(root: etree._Element, *tags: str) -> dict[str, etree._Element]:
    """The document's ``tags`` elements (SVG namespace or none) by id."""
    names = [f"{{{SVG_NS}}}{tag}" for tag in tags] + list(tags)
    return {el.get("id"): el for el in root.iter(*names) if el.get("id")}


def _stylesheets(root: etree._Element, name: str) -> list[Rule]:
    rules: list[Rule] = []
    for style in root.iter(f"{{{SVG_NS}}}style", "style"):
        if style.get("type", "text/css").strip() not in ("text/css", ""):
            raise SVGUnsupported(f'{name}: unsupported SVG in <style type="{style.get("type")}">')
        try:
            rules += parse_stylesheet(style.text or "", start_order=len(rules))
        except CSSUnsupported as exc:
            raise SVGUnsupported(f"{name}: unsupported SVG in <style>: {exc}") from None
    return rules


def _assemble(reader: _Reader, width: int, height: int) -> Scene:
    """Give paths outside every layer a layer of their own (``Layer 1`` when there are no layers)."""
    layers = list(reader.layers)
    loose = None
    if any(layer is None for layer in reader.layer_of):
        layers.append("Layer 1" if not layers else "Unlayered")
        loose = len(layers) - 1
    highest = 0
    for path, layer in zip(reader.paths, reader.layer_of):
        # Renderers draw by layer, then scene order: a path after a nested layer (or a loose one
        # before a layer) goes into the highest layer seen so far, so the picture keeps SVG's order.
        highest = max(highest, loose if layer is None else layer)
        path.layer = highest
    return Scene(width, height, reader.paths, layers or ["Layer 1"])


def _parse_xml(svg: str | bytes, name: str) -> etree._Element:
    data = svg.encode("utf-8") if isinstance(svg, str) else bytes(svg)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SVGError(f"{name}: not well-formed XML: {exc}") from None
    if root is None:
        raise SVGError(f"{name}: empty document")
    return root


def _document_size(root: etree._Element, name: str) -> tuple[tuple[float, float, float, float], float, float]:
    """``(viewBox, width, height)``; a missing viewBox is ``0 0 width height``."""
    view_box = None
    if root.get("viewBox"):
        numbers = pathdata.parse_numbers(root.get("viewBox"))
        if len(numbers) != 4 or numbers[2] <= 0 or numbers[3] <= 0 or not all(map(math.isfinite, numbers)):
            raise SVGError(f'{name}: bad viewBox="{root.get("viewBox")}"')
        view_box = tuple(numbers)

    def size(attr: str, index: int) -> float | None:
        text = root.get(attr)
        if text is None or text.strip().endswith("%"):
            return None
        try:
            value = parse_length(text)
        except PaintError as exc:
            raise SVGError(f"{name}: <svg> {attr}: {exc}") from None
        if not 0 < value < math.inf:
            raise SVGError(f'{name}: <svg {attr}="{text}"> must be a positive number')
        return value

    w, h = size("width", 2), size("height", 3)
    if view_box is None:
        if w is None or h is None:
            raise SVGError(f"{name}: the <svg> element needs width and height or a viewBox")
        view_box = (0.0, 0.0, w, h)
    if w is None and h is None:
        w, h = view_box[2], view_box[3]
    elif w is None:
        w = h * view_box[2] / view_box[3]
    elif h is None:
        h = w * view_box[3] / view_box[2]
    return view_box, w, h  # type: ignore[return-value]


def _output_size(doc_w: float, doc_h: float, width: int | None, height: int | None) -> tuple[int, int]:
    if width is not None and height is None:
        height = width * doc_h / doc_w
    elif height is not None and width is None:
        width = height * doc_w / doc_h
    elif width is None:
        width, height = doc_w, doc_h
    return max(1, int(round(width))), max(1, int(round(height)))


def _viewbox_matrix(view_box, width: float, height: float, aspect: str | None) -> np.ndarray:
    """viewBox → ``width × height`` pixels under ``preserveAspectRatio`` (an invalid one is the
    default ``xMidYMid meet``, as resvg and Inkscape draw it)."""
    vx, vy, vw, vh = view_box
    sx, sy, tx, ty = fit(vw, vh, 0.0, 0.0, width, height, aspect)
    return np.array([[sx, 0, tx - vx * sx], [0, sy, ty - vy * sy], [0, 0, 1.0]])


# --------------------------------------------------------------------------------------- geometry


def rect_subpath(x: float, y: float, w: float, h: float, rx: float, ry: float) -> Subpath:
    """A (rounded) rectangle, clockwise on screen like SVG's own rect outline."""
    line = pathdata.line_segment
    if rx <= 0 or ry <= 0:
        corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
        return [line(a, b) for a, b in zip(corners[:-1], corners[1:])]
    kx, ky = KAPPA * rx, KAPPA * ry
    r, b = x + w, y + h
    segs: Subpath = []

    def edge(p, q):
        if math.dist(p, q) > 1e-12:
            segs.append(line(p, q))

    edge((x + rx, y), (r - rx, y))
    segs.append(((r - rx, y), (r - rx + kx, y), (r, y + ry - ky), (r, y + ry)))
    edge((r, y + ry), (r, b - ry))
    segs.append(((r, b - ry), (r, b - ry + ky), (r - rx + kx, b), (r - rx, b)))
    edge((r - rx, b), (x + rx, b))
    segs.append(((x + rx, b), (x + rx - kx, b), (x, b - ry + ky), (x, b - ry)))
    edge((x, b - ry), (x, y + ry))
    segs.append(((x, y + ry), (x, y + ry - ky), (x + rx - kx, y), (x + rx, y)))
    return segs


def ellipse_subpath(cx: float, cy: float, rx: float, ry: float) -> Subpath:
    """Four quarter-ellipse cubics starting at the rightmost point, clockwise on screen."""
    kx, ky = KAPPA * rx, KAPPA * ry
    e, s, w, n = (cx + rx, cy), (cx, cy + ry), (cx - rx, cy), (cx, cy - ry)
    return [
        (e, (cx + rx, cy + ky), (cx + kx, cy + ry), s),
        (s, (cx - kx, cy + ry), (cx - rx, cy + ky), w),
        (w, (cx - rx, cy - ky), (cx - kx, cy - ry), n),
        (n, (cx + kx, cy - ry), (cx + rx, cy - ky), e),
    ]


def tight_bbox(subpaths: list[np.ndarray]) -> tuple[float, float, float, float]:
    """Exact bounding box of cubic segments ``(S, 4, 2)`` (endpoints plus derivative roots), the
    box ``objectBoundingBox`` gradients are relative to."""
    segs = np.concatenate([s for s in subpaths if len(s)], axis=0)
    p0, p1, p2, p3 = segs[:, 0], segs[:, 1], segs[:, 2], segs[:, 3]
    a = 3 * (-p0 + 3 * p1 - 3 * p2 + p3)
    b = 6 * (p0 - 2 * p1 + p2)
    c = 3 * (p1 - p0)
    candidates = [np.concatenate([p0, p3])]
    for axis in range(2):
        aa, bb, cc = a[:, axis], b[:, axis], c[:, axis]
        disc = np.maximum(bb * bb - 4 * aa * cc, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            quad = np.abs(aa) > 1e-12
            roots = [np.where(quad, (-bb + np.sqrt(disc)) / (2 * aa), -cc / bb),
                     np.where(quad, (-bb - np.sqrt(disc)) / (2 * aa), -cc / bb)]
        for t in roots:
            t = np.where(np.isfinite(t), np.clip(t, 0.0, 1.0), 0.0)[:, None]
            mt = 1 - t
            candidates.append(mt ** 3 * p0 + 3 * mt * mt * t * p1 + 3 * mt * t * t * p2 + t ** 3 * p3)
    pts = np.concatenate(candidates)
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def join_subpaths(subpaths: list[np.ndarray], *, evenodd: bool) -> list[np.ndarray]:
    """Closed subpaths ``(S, 4, 2)`` → contours our non-zero model fills the same way SVG fills
    the element (see the module docstring): separate when their control boxes are disjoint,
    bridged into one contour when they overlap."""
    return [contour for contour, _ in join_subpaths_tagged(subpaths, evenodd=evenodd)]


# Where one segment of a joined contour came from: (subpath, segment, reversed), or None for a bridge.
SegmentTag = Union[tuple[int, int, bool], None]


def join_subpaths_tagged(subpaths: list[np.ndarray], *, evenodd: bool) -> list[tuple[np.ndarray, list[SegmentTag]]]:
    """:func:`join_subpaths`, each contour with its segments' tags (what writing it back needs)."""
    indexed = [(i, s) for i, s in enumerate(subpaths) if len(s)]
    tags_of = [[(i, k, False) for k in range(len(s))] for i, s in indexed]
    subpaths = [s for _, s in indexed]
    if len(subpaths) <= 1:
        return list(zip(subpaths, tags_of))
    lo = np.stack([s.reshape(-1, 2).min(axis=0) for s in subpaths])
    hi = np.stack([s.reshape(-1, 2).max(axis=0) for s in subpaths])
    overlap = np.all((lo[:, None, :] <= hi[None, :, :]) & (lo[None, :, :] <= hi[:, None, :]), axis=-1)
    roots = union_roots(len(subpaths), ((j, i) for i, j in zip(*np.nonzero(np.triu(overlap, k=1)))))
    groups: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        groups.setdefault(root, []).append(i)
    out = []
    for members in sorted(groups.values()):
        parts = [subpaths[i] for i in members]
        tags = [tags_of[i] for i in members]
        if len(parts) > 1 and evenodd:
            parts, tags = _orient_by_depth(parts, tags)
        out.append(_bridge(parts, tags))
    return out


def _polyline(segs: np.ndarray, n: int = 16) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n, endpoint=False)[:, None, None]
    p0, p1, p2, p3 = segs[None, :, 0], segs[None, :, 1], segs[None, :, 2], segs[None, :, 3]
    pts = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t * t * p2 + t ** 3 * p3
    return pts.transpose(1, 0, 2).reshape(-1, 2)


def _flatten(segs: np.ndarray, n: int = 16) -> np.ndarray:
    """``(S, 4, 2)`` cubics → ``(S, n + 1, 2)`` points, both ends exact (so neighbours share them)."""
    t = np.linspace(0.0, 1.0, n + 1)[None, :, None]
    p0, p1, p2, p3 = (segs[:, None, k] for k in range(4))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t * t * p2 + t ** 3 * p3


def _boxes_overlap(lo: np.ndarray, hi: np.ndarray) -> bool:
    """Whether any two of the boxes ``lo[i]…hi[i]`` overlap with positive area (touching is fine)."""
    order = np.argsort(lo[:, 0], kind="stable")
    lo, hi = lo[order], hi[order]
    for i in range(len(lo) - 1):
        end = int(np.searchsorted(lo[:, 0], hi[i, 0], side="left"))  # boxes starting before this one ends
        if end > i + 1 and np.any((lo[i + 1:end, 1] < hi[i, 1]) & (lo[i, 1] < hi[i + 1:end, 1])
                                  & (lo[i + 1:end, 0] < hi[i, 0])):
            return True
    return False


def _crosses(subpaths: list[np.ndarray]) -> bool:
    """Whether the flattened subpaths cross themselves or each other. Edges that only touch or
    overlap along a line do not count; a crossing through a vertex does (an orientation within
    rounding of 0 counts as positive, as if the vertex were moved off the line, so touching from
    one side may count too: a refusal, never a miss). Edges are paired by box in a sweep over x."""
    rings = []
    for segs in subpaths:
        ring = _flatten(segs)[:, :-1].reshape(-1, 2)
        ring = ring[np.any(ring != np.roll(ring, 1, axis=0), axis=1)]  # no zero-length edges
        if len(ring) >= 3:
            rings.append(ring)
    if not rings:
        return False
    a = np.concatenate(rings)
    b = np.concatenate([np.roll(r, -1, axis=0) for r in rings])
    ring_of = np.concatenate([np.full(len(r), k) for k, r in enumerate(rings)])
    pos = np.concatenate([np.arange(len(r)) for r in rings])
    size = np.concatenate([np.full(len(r), len(r)) for r in rings])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.argsort(lo[:, 0], kind="stable")
    a, b, ring_of, pos, size, lo, hi = (x[order] for x in (a, b, ring_of, pos, size, lo, hi))
    for first in range(0, len(a), 256):
        i = np.arange(first, min(first + 256, len(a)))
        last = int(np.searchsorted(lo[:, 0], hi[i, 0].max(), side="right"))
        j = np.arange(first, last)
        ii, jj = np.nonzero((j[None, :] > i[:, None]) & (lo[j][None, :, 0] <= hi[i][:, None, 0])
                            & (lo[j][None, :, 1] <= hi[i][:, None, 1]) & (lo[i][:, None, 1] <= hi[j][None, :, 1]))
        ii, jj = i[ii], j[jj]
        gap = np.abs(pos[ii] - pos[jj])
        keep = (ring_of[ii] != ring_of[jj]) | ((gap != 1) & (gap != size[ii] - 1))  # not neighbours
        ii, jj = ii[keep], jj[keep]
        if not len(ii):
            continue
        a0, a1, b0, b1 = a[ii], b[ii], a[jj], b[jj]
        tol = 1e-9 * np.hypot(*(a1 - a0).T) * np.hypot(*(b1 - b0).T)
        neg = [_orient(p, q, r) < -tol for p, q, r in ((b0, b1, a0), (b0, b1, a1), (a0, a1, b0), (a0, a1, b1))]
        if np.any((neg[0] != neg[1]) & (neg[2] != neg[3])):
            return True
    return False


def _orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Twice the signed area of the triangles ``p q r`` (which side of ``p→q`` each ``r`` is)."""
    return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])


def _winding(point: np.ndarray, poly: np.ndarray) -> int:
    a, b = poly, np.roll(poly, -1, axis=0)
    up = (a[:, 1] <= point[1]) & (b[:, 1] > point[1])
    down = (a[:, 1] > point[1]) & (b[:, 1] <= point[1])
    cross = (b[:, 0] - a[:, 0]) * (point[1] - a[:, 1]) - (point[0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    return int(np.sum(up & (cross > 0)) - np.sum(down & (cross < 0)))


def _orient_by_depth(parts: list[np.ndarray], tags: list[list[SegmentTag]]):
    """Even-odd → non-zero for nested, non-crossing subpaths: even depth counter-clockwise in the
    math sense (positive shoelace), odd depth the other way, so windings are only 0 and ±1."""
    polys = [_polyline(p) for p in parts]
    out, out_tags = [], []
    for i, (part, tag) in enumerate(zip(parts, tags)):
        probe = _polyline(part[:1], 2)[1]  # a point on the subpath's first segment
        depth = sum(1 for j, poly in enumerate(polys) if j != i and _winding(probe, poly) != 0)
        area = float(signed_area(polys[i]))
        if (area > 0) != (depth % 2 == 0):
            part = part[::-1, ::-1, :].copy()
            tag = [(sub, seg, not rev) for sub, seg, rev in tag[::-1]]
        out.append(part)
        out_tags.append(tag)
    return out, out_tags


def _bridge(parts: list[np.ndarray], tags: list[list[SegmentTag]]) -> tuple[np.ndarray, list[SegmentTag]]:
    """One closed contour from several: each subpath hangs off its nearest already-placed one by a
    line out and the same line back (zero net winding), between their closest vertices, so the
    bridges are as short as they can be (zero for subpaths that touch) — renderers that
    anti-alias by distance to any edge draw a bridge as a faint hairline."""
    if len(parts) == 1:
        return parts[0], list(tags[0])
    verts = [p[:, 0, :] for p in parts]
    n = len(parts)
    # Prim's tree over subpaths with the closest-vertex distance as edge weight
    best = np.full(n, np.inf)
    link: list[tuple[int, int, int] | None] = [None] * n  # (parent, parent vertex, own vertex)
    in_tree = np.zeros(n, dtype=bool)
    children: dict[int, list[tuple[int, int, int]]] = {i: [] for i in range(n)}
    current = 0
    for _ in range(n - 1):
        in_tree[current] = True
        for j in np.nonzero(~in_tree)[0]:
            d = np.linalg.norm(verts[current][:, None, :] - verts[j][None, :, :], axis=-1)
            k = int(np.argmin(d))
            if d.flat[k] < best[j]:
                best[j] = d.flat[k]
                link[j] = (current, k // d.shape[1], k % d.shape[1])
        candidates = np.where(in_tree, np.inf, best)
        current = int(np.argmin(candidates))
        parent, at, own = link[current]
        children[parent].append((at, current, own))
    segs, seg_tags = [], []
    for piece, tag in _hang(parts, tags, children, 0, 0):
        segs.append(piece)
        seg_tags.append(tag)
    return np.stack(segs), seg_tags


def _hang(parts: list[np.ndarray], tags: list[list[SegmentTag]], children, node: int, start: int):
    """Segments of ``node`` (with their tags) from vertex ``start``, each child inserted at its vertex."""
    segs = parts[node]
    count = len(segs)
    for step in range(count):
        vertex = (start + step) % count
        here = tuple(segs[vertex, 0])
        for at, child, own in children[node]:
            if at != vertex:
                continue
            there = tuple(parts[child][own, 0])
            gap = math.dist(here, there) > 1e-9
            if gap:
                yield np.asarray(pathdata.line_segment(here, there)), None
            yield from _hang(parts, tags, children, child, own)
            if gap:
                yield np.asarray(pathdata.line_segment(there, here)), None
        yield segs[vertex], tags[node][vertex]


# --------------------------------------------------------------------------------------- gradients


def linear_fill(g: np.ndarray, p1: tuple[float, float], p2: tuple[float, float], offsets: list[float],
                colors: list[list[float]]) -> FlatFill | LinearGradient | None:
    """A linear gradient in gradient space mapped by the affine ``g``: ``t`` is an affine function
    of the position, ``t = a·p + b``, whatever ``g`` is; our start/end is the one segment along
    ``a`` with the same ``t`` (exact under skew and non-uniform scale)."""
    d = np.asarray(p2, dtype=np.float64) - np.asarray(p1, dtype=np.float64)
    dd = float(d @ d)
    if dd <= 0:
        return FlatFill(_f32(colors[-1]))  # SVG: a zero-length vector paints the last stop
    try:
        inv = np.linalg.inv(g)
    except np.linalg.LinAlgError:
        return None
    a = inv[:2, :2].T @ d / dd
    aa = float(a @ a)
    if aa <= 0:
        return FlatFill(_f32(colors[-1]))
    start = pathdata.apply(g, np.asarray(p1, dtype=np.float64))  # t = 0 there, as in gradient space
    end = start + a / aa
    return LinearGradient(_f32(start), _f32(end), _f32(offsets), _f32(colors))


def radial_fill(g: np.ndarray, center: tuple[float, float], r: float, offsets: list[float],
                colors: list[list[float]]) -> FlatFill | RadialGradient | None:
    """A circle of radius ``r`` mapped by ``g`` is an ellipse: its axes are the left singular
    vectors of ``g·r`` and its semi-axes the singular values (exact for any affine map)."""
    if r <= 0:
        return FlatFill(_f32(colors[-1]))
    m = g[:2, :2] * r
    c = pathdata.apply(g, np.asarray(center, dtype=np.float64))
    u, s, _ = np.linalg.svd(m)
    if s[1] <= 0:
        return None
    # (rx, ry, θ), (rx, ry, θ+π), (ry, rx, θ±π/2) are the same ellipse: take the one whose angle is
    # nearest the image of the gradient's x axis, so a writer's rotate·scale matrix reads back as written.
    x_axis = math.atan2(m[1, 0], m[0, 0])
    theta = math.atan2(u[1, 0], u[0, 0])
    options = [((s[0], s[1]), theta + k * math.pi) for k in (0, 1)]
    options += [((s[1], s[0]), theta + math.pi / 2 + k * math.pi) for k in (0, 1)]

    def distance(option) -> float:
        return abs(math.remainder(option[1] - x_axis, 2 * math.pi))

    radius, angle = min(options, key=distance)
    angle = x_axis + math.remainder(angle - x_axis, 2 * math.pi)
    return RadialGradient(_f32(c), _f32(radius), _f32(angle), _f32(offsets), _f32(colors))


# --------------------------------------------------------------------------------------- small things


def _split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


def _describe(el: etree._Element) -> str:
    tag = _split(el.tag)[1] if isinstance(el.tag, str) else "?"
    return f'<{tag} id="{el.get("id")}">' if el.get("id") else f"<{tag}> (line {el.sourceline})"


_GRADIENT_COORDS = {"linearGradient": ("x1", "y1", "x2", "y2"), "radialGradient": ("cx", "cy", "r", "fx", "fy", "fr")}


def _gradient_attr(chain: list[etree._Element], name: str) -> str | None:
    """An attribute of the first gradient in the ``href`` chain that has it, as resvg resolves
    them: coordinates only from gradients of the first one's kind, the walk stopping at the first
    element of another kind (units, spread and transform come from either kind)."""
    kind = _split(chain[0].tag)[1]
    for el in chain:
        tag = _split(el.tag)[1]
        if tag not in _GRADIENT_COORDS or (name in _GRADIENT_COORDS[kind] and tag != kind):
            return None
        if el.get(name) is not None:
            return el.get(name)
    return None


def _clamp01(x: float) -> float:
    return min(1.0, max(0.0, float(x)))


def _f32(value) -> torch.Tensor:
    return torch.as_tensor(np.asarray(value, dtype=np.float64), dtype=torch.float32)


__all__ = ["Origin", "SVGError", "SVGUnsupported", "Selection", "read_selection", "svg_to_scene"]
