"""The document side of refine: what is selected, which bitmap it traces, and where that lies.

Coordinates: *scene pixels* are the bitmap's pixel grid; *root user space* is the document's
coordinate system inside the root ``viewBox`` (what Inkscape calls document coordinates). An
``<image>``'s placement (x, y, width, height, ``preserveAspectRatio``, its and its ancestors'
transforms) maps one onto the other, the way :mod:`layervec_ext.inkscape.placement` places the
vectorize action's result over it.
"""

from __future__ import annotations

import numpy as np
from lxml import etree

from layervec_ext.core.svg import pathdata
from layervec_ext.core.svg.read import INKSCAPE_NS, SVG_NS, XLINK_NS
from layervec_ext.inkscape.placement import Placement, length, place_image

LAYERVEC_NS = "https://layervec.org/ns/1"
SOURCE = f"{{{LAYERVEC_NS}}}source"  # on a vectorize result layer: the id of the <image> it traces
IMAGE = f"{{{SVG_NS}}}image"


class RefineError(ValueError):
    """A one-line reason the document cannot be refined as asked (nothing was changed)."""


def parse_document(data: bytes, name: str) -> etree._ElementTree:
    """The document as lxml keeps it: comments, whitespace and every attribute as they were."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        tree = etree.ElementTree(etree.fromstring(data, parser))
    except etree.XMLSyntaxError as exc:
        raise RefineError(f"{name}: not well-formed XML: {exc}") from None
    if etree.QName(tree.getroot()).localname != "svg":
        raise RefineError(f"{name}: not an SVG document")
    return tree


def selected_elements(root: etree._Element, ids: list[str]) -> list[etree._Element]:
    """The elements named by ``ids`` (document order), or the whole document when there are none."""
    if not ids:
        return [root]
    found = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id") in ids}
    missing = [i for i in ids if i not in found]
    if missing:
        raise RefineError(f"no element with id {missing[0]!r} in the document")
    return [el for el in root.iter() if isinstance(el.tag, str) and el.get("id") in found]


def is_layer(el: etree._Element) -> bool:
    return el.get(f"{{{INKSCAPE_NS}}}groupmode") == "layer"


def top_layers(root: etree._Element, selection: list[etree._Element]) -> list[etree._Element]:
    """The outermost elements under the root holding the selection (its top-level layers): the
    picture the selected paths are part of."""
    out: list[etree._Element] = []
    for el in selection:
        top = el
        while top.getparent() is not None and top.getparent() is not root:
            top = top.getparent()
        if top not in out:
            out.append(top)
    return out


def home_layer(root: etree._Element, selection: list[etree._Element]) -> etree._Element | None:
    """The layer new detail goes into: the selected layer, else the innermost layer holding the
    first selected element (None: the selection is not in a layer)."""
    first = selection[0]
    if first is not root and is_layer(first):
        return first
    return next((a for a in first.iterancestors() if is_layer(a)), None)


def find_image(root: etree._Element, selection: list[etree._Element], image_id: str | None) -> etree._Element | None:
    """The ``<image>`` the selection traces: the one named, else the one a LayerVec result layer
    around the selection records, else a selected one, else the only one in the document."""
    if image_id:
        found = [el for el in root.iter(IMAGE) if el.get("id") == image_id]
        if not found:
            raise RefineError(f"no <image> with id {image_id!r} in the document")
        return found[0]
    for el in selection:
        for node in (el, *el.iterancestors()):
            source = node.get(SOURCE)
            if source:
                match = [im for im in root.iter(IMAGE) if im.get("id") == source]
                if match:
                    return match[0]
    for el in selection:
        if el.tag == IMAGE:
            return el
        inner = next(el.iter(IMAGE), None)
        if inner is not None and el is not root:
            return inner
    images = list(root.iter(IMAGE))
    return images[0] if len(images) == 1 else None


def composed_transform(el: etree._Element) -> np.ndarray:
    """The element's user space → the root's user space (its own transform and its ancestors',
    the root's own viewBox not included)."""
    chain = [el, *el.iterancestors()][:-1]  # the root's transform is the reader's business
    m = np.eye(3)
    for node in reversed(chain):
        try:
            m = m @ pathdata.parse_transform(node.get("transform"))
        except pathdata.PathDataError as exc:
            raise RefineError(f"element {node.get('id') or etree.QName(node).localname}: {exc}") from None
    return m


def _placement(image: etree._Element, width: int, height: int) -> Placement:
    """Where a ``width × height`` bitmap's pixels land in ``image``'s user space."""
    pl = place_image(image.get, width, height)
    if pl is None:
        raise RefineError(f"image {image.get('id') or ''} has no usable size: its width and height must be "
                          "positive numbers")
    return pl


def image_matrix(image: etree._Element, width: int, height: int) -> np.ndarray:
    """Bitmap pixels → root user space for a ``width × height`` bitmap shown by ``image``."""
    pl = _placement(image, width, height)
    return composed_transform(image) @ np.array([[pl.sx, 0, pl.tx], [0, pl.sy, pl.ty], [0, 0, 1.0]])


def image_frame(image: etree._Element, width: int, height: int,
                margin: float = 0.0) -> tuple[float, float, float, float]:
    """The part of a ``width × height`` bitmap that ``image`` shows, in its pixels (x0, y0, x1, y1):
    all of it (and ``margin`` pixels around), or what a ``slice`` leaves inside the image's box."""
    return _placement(image, width, height).frame(width, height, margin)


def canvas_matrix(root: etree._Element, width: int, height: int) -> np.ndarray:
    """Bitmap pixels → root user space when no ``<image>`` says where the bitmap is: stretched
    over the document's canvas (its viewBox), as for an SVG the ``layervec`` command wrote."""
    box = pathdata.parse_numbers(root.get("viewBox") or "")
    if len(box) == 4 and box[2] > 0 and box[3] > 0:
        vx, vy, vw, vh = box
    else:
        vx, vy = 0.0, 0.0
        vw = length(root.get("width"), None) or float(width)
        vh = length(root.get("height"), None) or float(height)
    return np.array([[vw / width, 0, vx], [0, vh / height, vy], [0, 0, 1.0]])


def image_href(image: etree._Element) -> str:
    return image.get(f"{{{XLINK_NS}}}href") or image.get("href") or ""


def page_color(root: etree._Element) -> tuple[float, float, float]:
    """The page colour Inkscape shows the drawing on (``sodipodi:namedview``'s ``pagecolor``;
    white when it has none or one we cannot read)."""
    from layervec_ext.core.svg.paint import PaintError, parse_color

    view = next((el for el in root if isinstance(el.tag, str) and etree.QName(el).localname == "namedview"), None)
    try:
        r, g, b, _ = parse_color((view.get("pagecolor") if view is not None else None) or "#ffffff")
    except PaintError:
        return (1.0, 1.0, 1.0)
    return (r, g, b)


def inside(el: etree._Element, chosen: set) -> bool:
    """Whether ``el`` is one of ``chosen`` or inside one."""
    return el in chosen or any(a in chosen for a in el.iterancestors())
