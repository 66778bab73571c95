"""The *Extensions ▸ Raster ▸ LayerVec…* effect: selected bitmaps → layers of gradient-filled paths.

Order of work: find the images, read and check every bitmap, run the backend for each, and only
then touch the document, so any failure leaves it exactly as it was (an AbortExtension also makes
Inkscape discard the output). While the backend runs, LayerVec's progress window shows it
(:mod:`layervec_ext.inkscape.window`) when Inkscape has its own window; a Cancel there leaves the
document untouched and says nothing: no output at all, which Inkscape takes as "no change".
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile

import inkex
from lxml import etree

from layervec_ext import options
from layervec_ext.inkscape import backend, window
from layervec_ext.inkscape.bitmap import Bitmap
from layervec_ext.inkscape.placement import FRAME_MARGIN, Placement, place_image
from layervec_ext.inkscape.shared import LAYERVEC_NS, SETTINGS, SOURCE, SVG_IMAGE, XLINK_HREF, BackendEffect

SVG_GROUP = inkex.addNS("g", "svg")
NOT_DRAWN = {inkex.addNS(t, "svg") for t in ("defs", "pattern", "clipPath", "mask", "symbol", "marker")}

__all__ = ["LAYERVEC_NS", "SETTINGS", "SOURCE", "SVG_IMAGE", "XLINK_HREF", "LayerVec", "doc_transform", "rename_ids"]

_URL_REF = re.compile(r"url\(\s*#([^)\s]+)\s*\)")


class LayerVec(BackendEffect):
    """Vectorize each selected bitmap into its own layer, placed exactly over it."""

    ACTION = options.VECTORIZE
    PREFIX = "LayerVec"

    # -- stages -------------------------------------------------------------------------------
    def effect(self) -> None:
        options.apply_limits(self.options)
        images = self.selected_images()
        bitmaps = [self.read_bitmap(img) for img in images]
        placements = [self.placement(img, bmp) for img, bmp in zip(images, bitmaps)]
        todo: dict[str, tuple] = {}
        for img, bmp in zip(images, bitmaps):  # the same bitmap pasted twice is vectorized once
            todo.setdefault(hashlib.sha1(bmp.data).hexdigest(), (img, bmp))
        shown = window.open_window(len(todo)) if self.options.window and window.wanted() else None
        results: dict[str, str] = {}
        try:
            for index, (key, (img, bmp)) in enumerate(todo.items()):
                results[key] = self.run_backend(img, bmp, shown, index)
        except backend.Cancelled:
            return  # the document as it came: inkex writes nothing, Inkscape keeps it unchanged
        finally:
            if shown is not None:
                shown.close()  # before any error line: the window kept GTK's stderr quiet
        parsed = [self.parse_result(img, results[hashlib.sha1(b.data).hexdigest()]) for img, b in zip(images, bitmaps)]
        for img, bmp, pl, result in zip(images, bitmaps, placements, parsed):
            self.insert_result(img, bmp, pl, result)

    def selected_images(self) -> list[inkex.BaseElement]:
        """Selected ``<image>`` elements, also those inside selected groups, each once, in order."""
        if not self.svg.selection:
            raise inkex.AbortExtension("LayerVec: select a bitmap (an imported image) first.")
        found, seen = [], set()
        for elem in self.svg.selection.values():
            for node in elem.iter(SVG_IMAGE):
                if id(node) not in seen and node.getparent() is not None:
                    seen.add(id(node))
                    found.append(node)
        if not found and any(el.tag == inkex.addNS("use", "svg") for el in self.svg.selection.values()):
            raise inkex.AbortExtension("LayerVec: the selection holds a clone of a bitmap, not the bitmap itself; "
                                       "select the original (Edit ▸ Clone ▸ Select Original).")
        if not found:
            raise inkex.AbortExtension("LayerVec: the selection holds no bitmap; select an imported image.")
        return found

    def settings_text(self) -> str:
        """``paths=32;preset=balanced;…``: recorded on the result layer."""
        return ";".join(f"{k}={v}" for k, v in self.backend_settings().items())

    def run_backend(self, img: inkex.BaseElement, bmp: Bitmap, shown: window.ProgressWindow | None = None,
                    index: int = 0) -> str:
        """The backend's SVG for this bitmap, followed in ``shown`` when there is a window."""
        with tempfile.TemporaryDirectory(prefix="layervec-in-") as tmp:
            path = os.path.join(tmp, "bitmap" + bmp.suffix)
            with open(path, "wb") as fh:
                fh.write(bmp.data)
            return self.call_backend(self.name_of(img), path, path, shown, index)

    def parse_result(self, img: inkex.BaseElement, text: str) -> tuple[inkex.SvgDocumentElement, list[float]]:
        try:
            root = inkex.load_svg(io.BytesIO(text.encode("utf-8"))).getroot()
            view = [float(v) for v in root.get("viewBox", "").replace(",", " ").split()]
        except (etree.XMLSyntaxError, ValueError):
            view = []
        if len(view) != 4 or view[2] <= 0 or view[3] <= 0:
            raise self.abort(f"{self.name_of(img)}: the backend returned an unreadable SVG.")
        return root, view

    # -- document changes ---------------------------------------------------------------------
    def insert_result(self, img: inkex.BaseElement, bmp: Bitmap, pl: Placement,
                      result: tuple[inkex.SvgDocumentElement, list[float]]) -> None:
        root, (vx, vy, vw, vh) = result
        prefix = self.unique_prefix()
        rename_ids(root, prefix)
        layer = inkex.Layer.new(f"LayerVec: {self.name_of(img)}")
        layer.set("id", prefix + "result")
        layer.set(SOURCE, img.get_id())
        layer.set(SETTINGS, self.settings_text())
        # The layer lives in the image's user space (its own clip/mask apply there unchanged);
        # each detail sub-layer maps bitmap pixels onto the image's place, clipped to its frame.
        layer.transform = doc_transform(img)
        style = inkex.Style(img.attrib.get("style", ""))
        for attr in ("clip-path", "mask"):
            value = style.get(attr) if attr in style else img.attrib.get(attr)  # the style wins, as in CSS
            if value and value.strip() != "none":
                layer.set(attr, value.strip())
        sx, sy = pl.sx * bmp.width / vw, pl.sy * bmp.height / vh
        local = inkex.Transform((sx, 0, 0, sy, pl.tx - sx * vx, pl.ty - sy * vy))
        clip = f"url(#{self.frame_clip(prefix, pl, bmp, (vx, vy, vw, vh))})"
        loose = None
        for child in list(root):
            if child.tag == inkex.addNS("defs", "svg"):
                for item in list(child):
                    self.svg.defs.append(item)
            elif isinstance(child, inkex.Layer) or (isinstance(child, inkex.Group) and child.groupmode == "layer"):
                layer.append(place_sublayer(child, local, clip))
            elif isinstance(child, inkex.ShapeElement):  # paths outside any layer: gather them in one
                if loose is None:
                    loose = inkex.Layer.new("Shapes")
                    loose.set("id", prefix + "shapes")
                    layer.append(place_sublayer(loose, local, clip))
                loose.append(child)
        self.put_in_place(img, layer)
        self.handle_original(img)

    def placement(self, img: inkex.BaseElement, bmp: Bitmap) -> Placement:
        nested = img.getparent()
        while nested is not None and nested.getparent() is not None:
            if nested.tag == inkex.addNS("svg", "svg"):  # its own viewport: not mapped here
                raise inkex.AbortExtension(f"LayerVec: image {self.name_of(img)} sits inside a nested <svg>; "
                                           "move it out (Ungroup) first.")
            nested = nested.getparent()
        pl = place_image(img.attrib.get, bmp.width, bmp.height)
        if pl is None:
            raise inkex.AbortExtension(f"LayerVec: image {self.name_of(img)} has no usable size: its width and "
                                       "height must be positive numbers.")
        return pl

    def frame_clip(self, prefix: str, pl: Placement, bmp: Bitmap, view: tuple[float, float, float, float]) -> str:
        """A clipPath around what the bitmap shows, in the sub-layers' units (the backend's viewBox
        ``view`` over the bitmap). Past the bitmap's edge the fit had no pixel to match, and an
        outline may reach far beyond it: the command's SVG hides that at its viewBox, the layer at
        this frame (:data:`FRAME_MARGIN` pixels wider, exact where a ``slice`` cuts the bitmap)."""
        vx, vy, vw, vh = view
        fx0, fy0, fx1, fy1 = pl.frame(bmp.width, bmp.height, FRAME_MARGIN)
        x0, x1 = vx + fx0 * vw / bmp.width, vx + fx1 * vw / bmp.width
        y0, y1 = vy + fy0 * vh / bmp.height, vy + fy1 * vh / bmp.height
        clip = inkex.ClipPath()
        clip.set("id", prefix + "clip")
        clip.set("clipPathUnits", "userSpaceOnUse")
        rect = inkex.Rectangle.new(x0, y0, x1 - x0, y1 - y0)
        rect.set("id", prefix + "cliprect")
        clip.append(rect)
        self.svg.defs.append(clip)
        return prefix + "clip"

    def put_in_place(self, img: inkex.BaseElement, layer: inkex.Layer) -> None:
        """Where an earlier result for this image was (replacing it; also where the artist moved it,
        into another layer), else right above the image's top-level layer, so the result draws over
        the bitmap."""
        earlier = [g for g in self.svg.iter(SVG_GROUP) if g.get(SOURCE) == img.get_id()
                   and not any(a.tag in NOT_DRAWN for a in g.iterancestors())]  # not a copy in a pattern
        earlier = [g for g in earlier if not any(a in earlier for a in g.iterancestors())]
        if earlier and self.options.replace:
            earlier[-1].addnext(layer)
            if layer.getparent() is not self.svg:  # ``layer.transform`` maps to the root's user space
                layer.transform = -doc_transform(layer.getparent()) @ layer.transform
            for old in earlier:
                self.drop_with_defs(old)
            return
        top = img
        while top.getparent() is not None and top.getparent() is not self.svg:
            top = top.getparent()
        top.addnext(layer)

    def drop_with_defs(self, old: inkex.BaseElement) -> None:
        """Remove an earlier result and the gradients/clips only it used."""
        refs = set()
        for node in old.iter():
            for value in node.attrib.values():
                refs.update(_URL_REF.findall(value))
        old.getparent().remove(old)
        for rid in refs:
            target = self.svg.getElementById(rid)
            if target is not None and target.getparent() is self.svg.defs:
                if not self.svg.xpath(f'//*[@*[contains(., "url(#{rid})")]]'):
                    target.getparent().remove(target)

    def handle_original(self, img: inkex.BaseElement) -> None:
        if self.options.original == "delete":
            img.getparent().remove(img)
        elif self.options.original == "hide":
            style = inkex.Style(img.attrib.get("style", ""))
            style["display"] = "none"
            img.set("style", str(style))

    def unique_prefix(self) -> str:
        """``lvN-``: no id in the document (or from an earlier run) starts with it."""
        ids = [str(i) for i in self.svg.xpath("//@id")]
        n = 1
        while any(i.startswith(f"lv{n}-") for i in ids):
            n += 1
        return f"lv{n}-"



def place_sublayer(sub: inkex.Group, local: inkex.Transform, clip: str) -> inkex.Group:
    """Pixel → image-space transform and the bitmap's frame (in pixels) on one detail sub-layer."""
    sub.transform = local @ sub.transform
    sub.set("clip-path", clip)
    return sub


def doc_transform(elem: inkex.BaseElement) -> inkex.Transform:
    """The element's transform composed with its ancestors', up to (not including) the root;
    the root's viewBox applies to our top-level layer just as it does to the image."""
    chain = []
    node = elem
    while node is not None and node.getparent() is not None:
        chain.append(node)
        node = node.getparent()
    total = inkex.Transform()
    for node in reversed(chain):
        total = total @ inkex.Transform(node.attrib.get("transform"))  # not .get(): inkex 1.2 rewrites it
    return total


def rename_ids(root: inkex.BaseElement, prefix: str) -> None:
    """Prefix every id in the backend's SVG and every reference to one (``url(#…)``, ``#…`` hrefs)."""
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.get("id"):
            node.set("id", prefix + node.get("id"))
        for name, value in node.attrib.items():
            if name == "id":
                continue
            new = _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(1)})", value)
            if name in (XLINK_HREF, "href") and new.startswith("#"):
                new = "#" + prefix + new[1:]
            if new != value:
                node.set(name, new)
