"""The *Extensions ▸ Raster ▸ LayerVec Refine…* effect: re-optimise the selected paths against the
bitmap they trace (issue 12).

The artist has edited a LayerVec result (moved nodes, recoloured): the backend's ``refine`` command
optimises those same paths again — same ids, order, layers, labels, every style property but the
fill — optionally adding new paths in a sub-layer "Detail +N". The backend reads the whole document
and writes the whole document back; this effect checks the selection and finds the bitmap first (one
line and no change for any mistake), then hands the backend the document as it is, and makes the
backend's document its own. Nothing here edits the document: what the backend did not change stays
as it was, and any failure (or Cancel) leaves the document exactly as it came.
"""

from __future__ import annotations

import copy
import io
import os
import tempfile

import inkex
from lxml import etree

from layervec_ext import options
from layervec_ext.inkscape import backend, window
from layervec_ext.inkscape.effect import doc_transform
from layervec_ext.inkscape.shared import SOURCE, SVG_IMAGE, BackendEffect

SVG_PATH = inkex.addNS("path", "svg")
SVG_DEFS = inkex.addNS("defs", "svg")
INSENSITIVE = inkex.addNS("insensitive", "sodipodi")
# Elements the refine backend cannot optimise as a path: refused by name rather than skipped silently.
REFUSED = {
    inkex.addNS("text", "svg"): "text",
    inkex.addNS("flowRoot", "svg"): "flowed text",
    inkex.addNS("use", "svg"): "a clone (<use>)",
}
PAINT_EFFECTS = ("mask", "filter")  # on a path or a group inside the selection: not what the renderer draws


class LayerVecRefine(BackendEffect):
    """Refine the selected paths (or every path in the selected groups and layers) against their bitmap."""

    ACTION = options.REFINE
    PREFIX = "LayerVec Refine"

    def effect(self) -> None:
        options.apply_limits(self.options, self.option_set)
        roots = self.selected_roots()
        paths = self.paths_to_refine(roots)
        img = self.find_bitmap(roots, paths)
        bmp = self.read_bitmap(img)
        select = [elem.get_id() for elem in roots if elem.tag != SVG_IMAGE]  # a selected bitmap is not refined
        image_id = img.get_id()  # after get_id(): an element without one gets one, in what the backend reads
        shown = window.open_window(1) if self.options.window and window.wanted() else None
        try:
            with tempfile.TemporaryDirectory(prefix="layervec-refine-") as tmp:
                doc_path = os.path.join(tmp, "document.svg")
                with open(doc_path, "wb") as fh:
                    fh.write(self.svg.tostring())
                bitmap_path = os.path.join(tmp, "bitmap" + bmp.suffix)
                with open(bitmap_path, "wb") as fh:
                    fh.write(bmp.data)
                text = self.call_backend(self.name_of(img), doc_path, bitmap_path, shown, subcommand="refine",
                                         arguments=backend.refine_arguments(bitmap_path, image_id, select),
                                         verb="Refining")
        except backend.Cancelled:
            # the document as it came (not even an id get_id() gave): inkex writes nothing, Inkscape keeps its own
            self.document = self.original_document
            return
        finally:
            if shown is not None:
                shown.close()  # before any error line: the window kept GTK's stderr quiet
        self.take_document(text, img)

    # -- the selection ------------------------------------------------------------------------
    def selected_roots(self) -> list[inkex.BaseElement]:
        """The selected elements, each once, in document order; none inside another selected one."""
        if not self.svg.selection:
            raise self.abort("select the paths to refine (or their layer) first.")
        chosen = [elem for elem in self.svg.selection.values() if elem.getparent() is not None]
        ids = {id(elem) for elem in chosen}
        roots = [elem for elem in chosen if not any(id(a) in ids for a in elem.iterancestors())]
        order = {id(node): i for i, node in enumerate(self.svg.iter())}
        return sorted(roots, key=lambda elem: order.get(id(elem), 0))

    def paths_to_refine(self, roots: list) -> list[inkex.PathElement]:
        """Every ``<path>`` the backend will optimise: selected ones and those inside selected groups
        and layers, less locked or hidden ones (left as they are). Refuses, by name, what the backend
        cannot draw as it is drawn: text, clones, masks and filters."""
        paths, seen = [], set()
        for root in roots:
            if root.tag == SVG_IMAGE:
                continue  # a selected bitmap says which bitmap; it is not refined
            for node in root.iter():
                if not isinstance(node.tag, str) or id(node) in seen or self.left_alone(node, root):
                    continue
                seen.add(id(node))
                if node.tag in REFUSED:
                    raise self.abort(f"the selection holds {REFUSED[node.tag]}, {self.describe(node)}, which cannot "
                                     "be refined; leave it out of the selection (or convert it to a path).")
                if node.tag == SVG_PATH or node is root:
                    for name in PAINT_EFFECTS:
                        if node.get(name) or inkex.Style(node.attrib.get("style", "")).get(name, "none") != "none":
                            raise self.abort(f"{self.describe(node)} has a {name}, which refining cannot keep; "
                                             f"remove the {name} first.")
                if node.tag == SVG_PATH:
                    paths.append(node)
        if not paths:
            raise self.abort("the selection holds no path to refine (locked and hidden ones stay as they are); "
                             "select paths, or the layer holding them.")
        return paths

    @staticmethod
    def left_alone(node: inkex.BaseElement, root: inkex.BaseElement) -> bool:
        """Locked (``sodipodi:insensitive``) or hidden, itself or through a group up to the selected
        one: the backend leaves those unchanged, so they are neither checked nor counted here."""
        for elem in (node, *node.iterancestors()):
            style = inkex.Style(elem.attrib.get("style", ""))
            if elem.get(INSENSITIVE) == "true" or style.get("display") == "none" or elem.get("display") == "none":
                return True
            if elem is root:
                return False
        return False

    @staticmethod
    def describe(node: inkex.BaseElement) -> str:
        """``path2 ("Eye")``, or ``a <path>`` for one with neither id nor label: the element as the
        XML editor shows it."""
        label = node.get(inkex.addNS("label", "inkscape"))
        name = node.get("id") or f"a <{node.tag.split('}')[-1]}>"
        return name + (f' ("{label}")' if label else "")

    # -- the bitmap ---------------------------------------------------------------------------
    def find_bitmap(self, roots: list, paths: list) -> inkex.BaseElement:
        """The ``<image>`` the paths trace: the one the LayerVec layer holding them was made from
        (``layervec:source``); else a selected bitmap; else the bitmap under the paths."""
        sources: list[str] = []
        for root in roots:
            for elem in (root, *root.iterancestors()):
                if elem.get(SOURCE):
                    if elem.get(SOURCE) not in sources:
                        sources.append(elem.get(SOURCE))
                    break
        recorded = []
        for source in sources:
            img = self.svg.getElementById(source)
            if img is not None and img.tag == SVG_IMAGE:
                recorded.append(img)
        if len(recorded) > 1:
            raise self.abort("the selection spans the LayerVec results of several bitmaps "
                             f"({', '.join(self.name_of(i) for i in recorded)}); refine one at a time.")
        if recorded:
            return recorded[0]
        selected = [node for root in roots for node in root.iter(SVG_IMAGE)]
        if len(selected) > 1:
            raise self.abort(f"several bitmaps are selected ({', '.join(self.name_of(i) for i in selected)}); "
                             "select only the one the paths trace.")
        if selected:
            return selected[0]
        under = self.bitmap_under(paths)
        if under is None:
            gone = f" (its bitmap {sources[0]} is no longer in the document)" if sources else ""
            raise self.abort(f"found no bitmap under the selected paths{gone}; select the bitmap they trace too.")
        return under

    def bitmap_under(self, paths: list) -> inkex.BaseElement | None:
        """The ``<image>`` whose box overlaps the paths' boxes most (document coordinates); None if none does."""
        boxes = [b for b in (self.box(p) for p in paths) if b is not None]
        best, best_area = None, 0.0
        for img in self.svg.iter(SVG_IMAGE):
            ibox = self.box(img)
            if ibox is None:
                continue
            area = sum(overlap(ibox, b) for b in boxes)
            if area > best_area:
                best, best_area = img, area
        return best

    @staticmethod
    def box(elem: inkex.BaseElement) -> tuple[float, float, float, float] | None:
        """``(x0, y0, x1, y1)`` of an element in the document's user units, or None (no size, bad data)."""
        try:
            parent = elem.getparent()
            # on a copy: inkex 1.2 writes back every transform it reads, as a matrix
            bb = copy.deepcopy(elem).bounding_box(doc_transform(parent) if parent is not None else None)
        except (ValueError, TypeError, AttributeError, ZeroDivisionError):
            return None
        if bb is None:
            return None
        return bb.left, bb.top, bb.right, bb.bottom

    # -- the result ---------------------------------------------------------------------------
    def take_document(self, text: str, img: inkex.BaseElement) -> None:
        """The backend's document becomes the effect's output: what it changed lands, nothing else does.
        A document that is not SVG, or lost an element the artist drew outside the defs, is refused."""
        data = text.encode("utf-8")
        try:
            # strictly first: inkex's own parser recovers from broken XML, printing a warning Inkscape would show
            etree.fromstring(data, etree.XMLParser(huge_tree=True, resolve_entities=False))
            document = inkex.load_svg(io.BytesIO(data))
            root = document.getroot()
        except (etree.XMLSyntaxError, ValueError):
            root = None
        if root is None or root.tag != inkex.addNS("svg", "svg"):
            raise self.abort(f"{self.name_of(img)}: the backend returned an unreadable SVG.")
        kept = {str(i) for i in root.xpath("//@id")}
        lost = [node.get("id") for node in self.svg.iter() if isinstance(node.tag, str) and node.get("id")
                and node.get("id") not in kept and not any(a.tag == SVG_DEFS for a in node.iterancestors())]
        if lost:
            raise self.abort(f"{self.name_of(img)}: the backend's document lost {len(lost)} element(s) "
                             f"(e.g. {lost[0]}); the document is left unchanged.")
        self.document = document
        self.svg = root


def overlap(a: tuple, b: tuple) -> float:
    """The area two ``(x0, y0, x1, y1)`` boxes share."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
