"""Optimised scene paths back into the artist's elements, changing only geometry and fill.

An element keeps its id, its place, its attributes and every style property but ``fill`` (and
``fill-opacity`` where a flat colour's alpha has to change). Its outline is rewritten as the
subpaths it had, each ``M … C … Z`` in the element's own user space (the inverse of the matrix
the reader mapped it to scene pixels with); a ``<rect>``, ``<circle>``… whose outline moved
becomes a ``<path>`` with the same id, as Inkscape's *Object to Path* does. A gradient fill is a
new ``userSpaceOnUse`` gradient in ``<defs>`` whose ``gradientTransform`` maps scene pixels into
that user space, so it is exact under any transform.
"""

from __future__ import annotations

import math

import numpy as np
from lxml import etree

from layervec_ext.core.scene import FlatFill, Path
from layervec_ext.core.svg import pathdata
from layervec_ext.core.svg.paint import parse_style
from layervec_ext.core.svg.read import INKSCAPE_NS, SODIPODI_NS, SVG_NS, Origin
from layervec_ext.core.svg.write import fmt, gradient_element, hex_color, paint_attributes, path_data

# Attributes that describe a shape other than by ``d``: gone once it is a path with a new outline
# (Inkscape's shape tools rebuild ``d`` from them, undoing the refinement).
SHAPE_ATTRIBUTES = ("x", "y", "width", "height", "rx", "ry", "cx", "cy", "r", "points", "x1", "y1", "x2", "y2")
SHAPE_EXTRAS = (f"{{{SODIPODI_NS}}}type", f"{{{SODIPODI_NS}}}cx", f"{{{SODIPODI_NS}}}cy", f"{{{SODIPODI_NS}}}rx",
                f"{{{SODIPODI_NS}}}ry", f"{{{SODIPODI_NS}}}start", f"{{{SODIPODI_NS}}}end",
                f"{{{SODIPODI_NS}}}open", f"{{{SODIPODI_NS}}}arc-type", f"{{{SODIPODI_NS}}}sides",
                f"{{{SODIPODI_NS}}}r1", f"{{{SODIPODI_NS}}}r2", f"{{{SODIPODI_NS}}}arg1", f"{{{SODIPODI_NS}}}arg2",
                f"{{{INKSCAPE_NS}}}flatsided", f"{{{INKSCAPE_NS}}}rounded", f"{{{INKSCAPE_NS}}}randomized",
                f"{{{SODIPODI_NS}}}nodetypes")
SVG_PATH = f"{{{SVG_NS}}}path"


def _digits(inverse: np.ndarray) -> int:
    """Decimals that keep 1/1000 px in the element's units (a scaled-up group has tiny units)."""
    scale = math.sqrt(abs(np.linalg.det(inverse[:2, :2]))) or 1.0
    return max(3, min(8, 3 + math.ceil(math.log10(max(scale, 1e-12)))))


def outline_d(pieces: list[tuple[Path, Origin]], inverse: np.ndarray) -> str:
    """The element's subpaths, each segment from the scene path that carries it, in its user space."""
    subpaths: dict[int, dict[int, np.ndarray]] = {}
    for path, origin in pieces:
        segs = path.segments().detach().cpu().double().numpy()  # (S, 4, 2) in scene pixels
        for seg, tag in zip(segs, origin.segments):
            if tag is None:
                continue  # a bridge: not part of the artist's outline
            sub, index, reverse = tag
            subpaths.setdefault(sub, {})[index] = seg[::-1] if reverse else seg
    digits = _digits(inverse)
    parts = []
    for sub in sorted(subpaths):
        segs = [pathdata.apply(inverse, subpaths[sub][k]) for k in sorted(subpaths[sub])]
        x, y = segs[0][0]
        text = [f"M{fmt(x, digits)} {fmt(y, digits)}"]
        for seg in segs:
            text.append("C" + " ".join(f"{fmt(px, digits)} {fmt(py, digits)}" for px, py in seg[1:]))
        parts.append("".join(text) + "Z")
    return "".join(parts)


def set_outline(el: etree._Element, d: str) -> None:
    """``d`` on the element, made a ``<path>`` first when it is another shape."""
    if etree.QName(el).localname != "path" or el.get(f"{{{SODIPODI_NS}}}type"):
        for name in SHAPE_ATTRIBUTES + SHAPE_EXTRAS:
            el.attrib.pop(name, None)
        el.tag = SVG_PATH
    el.set("d", d)


def set_style_property(el: etree._Element, name: str, value: str, inline: bool = False) -> None:
    """Set one property where the element says it (``style``, else the attribute), else in ``style``;
    with ``inline`` (the document has style sheets) in ``style`` always: a sheet's rule beats the
    attribute, not the element's own ``style``."""
    style = el.get("style")
    if style is not None and name in parse_style(style):
        el.set("style", _replace_declaration(style, name, value))
    elif el.get(name) is not None and not inline:
        el.set(name, value)
    else:
        kept = style.strip().rstrip(";") if style else ""
        el.set("style", f"{kept};{name}:{value}" if kept else f"{name}:{value}")


def _replace_declaration(style: str, name: str, value: str) -> str:
    out = []
    for decl in style.split(";"):
        key, sep, _ = decl.partition(":")
        out.append(f"{key}:{value}" if sep and key.strip() == name else decl)
    return ";".join(out)


def set_fill(el: etree._Element, path: Path, origin: Origin, defs: etree._Element, gid: str,
             inverse: np.ndarray, inline: bool = False) -> None:
    """The path's fill on the element, the element's ``fill-opacity`` kept where it can be (in its
    ``style`` with ``inline``: :func:`set_style_property`)."""
    fill = path.fill
    if isinstance(fill, FlatFill):
        r, g, b, a = fill.color.detach().clamp(0, 1).tolist()
        set_style_property(el, "fill", hex_color((r, g, b)), inline)
        if abs(a - origin.fill_opacity) > 1e-3:
            set_style_property(el, "fill-opacity", fmt(a), inline)
        return
    keep = origin.fill_opacity if origin.fill_opacity > 1e-6 else 1.0
    colors = fill.colors.detach().clone()
    if float(colors[:, 3].max()) > keep + 1e-3:  # more opaque than fill-opacity lets it be
        set_style_property(el, "fill-opacity", "1", inline)
        keep = 1.0
    colors[:, 3] = (colors[:, 3] / keep).clamp(0, 1)
    shown = type(fill)(**{**fill.tensors(), "colors": colors})
    grad = _in_svg_namespace(etree.fromstring(gradient_element(shown, gid)))
    matrix = inverse @ pathdata.parse_transform(grad.get("gradientTransform"))
    grad.set("gradientTransform", "matrix(" + " ".join(fmt(v, 6) for v in (
        matrix[0, 0], matrix[1, 0], matrix[0, 1], matrix[1, 1], matrix[0, 2], matrix[1, 2])) + ")")
    replace_def(defs, grad)
    set_style_property(el, "fill", f"url(#{gid})", inline)


def _in_svg_namespace(el: etree._Element) -> etree._Element:
    for node in el.iter():
        if isinstance(node.tag, str) and not node.tag.startswith("{"):
            node.tag = f"{{{SVG_NS}}}{node.tag}"
    return el


def replace_def(defs: etree._Element, el: etree._Element) -> None:
    """Put ``el`` in ``defs``, in place of an element with its id (an earlier refine's)."""
    for old in defs:
        if isinstance(old.tag, str) and old.get("id") == el.get("id"):
            old.addnext(el)
            defs.remove(old)
            return
    defs.append(el)


def detail_layer(paths: list[Path], label: str, prefix: str, transform: np.ndarray,
                 defs: etree._Element, frame: tuple[float, float, float, float] | None = None) -> etree._Element:
    """A new sub-layer holding ``paths`` (scene pixels, mapped into its parent by ``transform``),
    clipped to ``frame`` (scene pixels x0, y0, x1, y1) when given, as the vectorize action clips its
    sub-layers: past the bitmap's edge a path has no pixel to match and may run far."""
    layer = etree.Element(f"{{{SVG_NS}}}g")
    layer.set("id", f"{prefix}layer")
    layer.set(f"{{{INKSCAPE_NS}}}groupmode", "layer")
    layer.set(f"{{{INKSCAPE_NS}}}label", label)
    if frame is not None:
        x0, y0, x1, y1 = frame
        clip = etree.SubElement(defs, f"{{{SVG_NS}}}clipPath", id=f"{prefix}clip", clipPathUnits="userSpaceOnUse")
        etree.SubElement(clip, f"{{{SVG_NS}}}rect", id=f"{prefix}cliprect", x=fmt(x0, 4), y=fmt(y0, 4),
                         width=fmt(x1 - x0, 4), height=fmt(y1 - y0, 4))
        layer.set("clip-path", f"url(#{prefix}clip)")
    m = transform
    layer.set("transform", "matrix(" + " ".join(fmt(v, 6) for v in (m[0, 0], m[1, 0], m[0, 1], m[1, 1], m[0, 2],
                                                                   m[1, 2])) + ")")
    for k, path in enumerate(paths):
        gid = f"{prefix}grad{k}"
        if not isinstance(path.fill, FlatFill):
            defs.append(_in_svg_namespace(etree.fromstring(gradient_element(path.fill, gid))))
        el = etree.fromstring(f'<path id="{prefix}path{k}" d="{path_data(path)}" {paint_attributes(path, gid)}/>')
        layer.append(_in_svg_namespace(el))
    return layer


def unused_ids(root: etree._Element, prefix: str) -> str:
    """``{prefix}N-`` such that no id in the document starts with it."""
    ids = [str(i) for i in root.xpath("//@id")]
    n = 1
    while any(i.startswith(f"{prefix}{n}-") for i in ids):
        n += 1
    return f"{prefix}{n}-"

