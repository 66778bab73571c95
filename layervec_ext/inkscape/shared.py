"""What both LayerVec effects (vectorize, refine) share: reading a bitmap the way Inkscape links or
embeds it, and running the backend — quietly, or followed in the progress window — with every
failure turned into one line for the artist (:class:`inkex.AbortExtension`).

inkex + standard library only, like the rest of :mod:`layervec_ext.inkscape`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

import inkex
from lxml import etree

from layervec_ext import options
from layervec_ext.inkscape import backend, window
from layervec_ext.inkscape.bitmap import Bitmap, BitmapError, load_href

LAYERVEC_NS = "https://layervec.org/ns/1"
SOURCE = f"{{{LAYERVEC_NS}}}source"  # on a result layer: the id of the <image> it was made from
SETTINGS = f"{{{LAYERVEC_NS}}}settings"
SVG_IMAGE = inkex.addNS("image", "svg")
XLINK_HREF = inkex.addNS("href", "xlink")
etree.register_namespace("layervec", LAYERVEC_NS)
etree.register_namespace("inkscape", inkex.NSS["inkscape"])
inkex.NSS.setdefault("layervec", LAYERVEC_NS)


class BackendEffect(inkex.EffectExtension):
    """An effect whose work is done by the backend. Subclasses set :attr:`ACTION` (whose options,
    from :mod:`layervec_ext.options`, are its arguments) and :attr:`PREFIX` (how its lines begin)."""

    ACTION = options.VECTORIZE
    PREFIX = "LayerVec"

    @property
    def option_set(self) -> tuple[options.Option, ...]:
        return options.options_of(self.ACTION)

    def add_arguments(self, pars: argparse.ArgumentParser) -> None:
        pars.add_argument("--tab", default="options", help="dialog tab (ignored)")
        options.add_effect_arguments(pars, boolean=inkex.Boolean, options=self.option_set)

    def abort(self, message: str) -> inkex.AbortExtension:
        """The one line the artist sees, e.g. ``LayerVec Refine: select the paths …``."""
        return inkex.AbortExtension(f"{self.PREFIX}: {message}")

    def backend_settings(self) -> dict[str, Any]:
        """The dialog's values the backend takes too (declared in :mod:`layervec_ext.options`)."""
        return options.forwarded(self.options, self.option_set)

    # -- bitmaps ------------------------------------------------------------------------------
    def read_bitmap(self, img: inkex.BaseElement) -> Bitmap:
        """The pixels of an ``<image>``: embedded (``data:``) or linked (relative to the saved document)."""
        href = img.get(XLINK_HREF) or img.get("href") or ""
        if not href.strip():
            raise self.abort(f"image {self.name_of(img)} has no picture data.")
        absref = img.get(inkex.addNS("absref", "sodipodi"))
        try:
            try:
                return load_href(href, self.search_folders(img))
            except BitmapError as exc:
                # Inkscape records the absolute path of a linked file it imported: last resort
                if not (str(exc).startswith("linked file not found") and absref and os.path.isfile(absref)):
                    raise
                return load_href(absref, [])
        except BitmapError as exc:
            raise self.abort(f"{self.name_of(img)}: {exc}") from None

    def search_folders(self, img: inkex.BaseElement) -> list[str]:
        """Folders a relative link may be relative to, the original document's first.

        Inkscape gives the effect a temporary copy; ``DOCUMENT_PATH`` names the saved original.
        """
        folders = []
        doc = os.environ.get("DOCUMENT_PATH") or ""
        if doc:
            folders.append(os.path.dirname(os.path.abspath(doc)))
        if isinstance(self.options.input_file, str):
            folders.append(os.path.dirname(os.path.abspath(self.options.input_file)))
        folders.append(os.getcwd())
        return folders

    @staticmethod
    def name_of(elem: inkex.BaseElement) -> str:
        return elem.get(inkex.addNS("label", "inkscape")) or elem.get("id") or "image"

    # -- the backend --------------------------------------------------------------------------
    def call_backend(self, name: str, input_path: str, bitmap_path: str, shown: window.ProgressWindow | None = None,
                     index: int = 0, subcommand: str | None = None, arguments: Sequence[str] = (),
                     verb: str = "Vectorizing") -> str:
        """The backend's SVG for ``input_path``, followed in ``shown`` when there is a window.

        :class:`backend.Cancelled` passes through (the caller leaves the document as it came);
        any other failure becomes this effect's one line about ``name``."""
        settings: Mapping[str, Any] = self.backend_settings()
        how = {"subcommand": subcommand, "arguments": arguments, "option_set": self.option_set}
        timeout = self.options.timeout
        try:
            if shown is None:
                return backend.run_quietly(input_path, settings, timeout, **how)
            previews = os.path.join(os.path.dirname(os.path.abspath(input_path)), "previews")
            os.makedirs(previews, exist_ok=True)
            with backend.BackendRun(input_path, settings, previews, **how) as run, backend.cancel_on_sigterm(run):
                try:
                    shown.follow(run, name, index, bitmap_path, timeout, verb=verb)
                except TimeoutError:
                    raise backend.BackendError(backend.timeout_message(timeout)) from None
                return run.result()
        except backend.BackendError as exc:
            raise self.abort(f"{name}: {exc}") from None
