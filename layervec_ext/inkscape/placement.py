"""Where an ``<image>``'s pixels land: the ``preserveAspectRatio`` rules of SVG 1.1 §7.8.

inkex treats an image as its x/y/width/height rectangle and ignores ``preserveAspectRatio``; the
bitmap itself is drawn in a sub-box of it (``meet``), or overflows it and is clipped (``slice``).
The rules and the units are :mod:`layervec_ext.svgunits`, shared with the backend's SVG reader.
Standard library only, so it is testable without inkex.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from layervec_ext.svgunits import UNITS, fit, split_length

# A result's sub-layers are clipped to the bitmap's frame this many bitmap pixels wider than the
# bitmap: an outline that ends at its edge (a background) would otherwise be antialiased twice
# there, by itself and by the clip, and drawn half transparent along it.
FRAME_MARGIN = 1.0


@dataclass
class Placement:
    """Pixel (u, v) of the bitmap goes to (tx + sx·u, ty + sy·v) in the image's user space;
    ``clip`` is the viewport (x, y, w, h) to clip to, or None when nothing overflows."""

    sx: float
    sy: float
    tx: float
    ty: float
    clip: tuple[float, float, float, float] | None

    def box(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The drawn (visible) box x0, y0, x1, y1 of a width×height bitmap."""
        x0, y0 = self.tx, self.ty
        x1, y1 = self.tx + self.sx * width, self.ty + self.sy * height
        if self.clip:
            cx, cy, cw, ch = self.clip
            x0, y0, x1, y1 = max(x0, cx), max(y0, cy), min(x1, cx + cw), min(y1, cy + ch)
        return x0, y0, x1, y1


    def frame(self, width: int, height: int, margin: float = 0.0) -> tuple[float, float, float, float]:
        """What of a width×height bitmap is shown, in its pixels (x0, y0, x1, y1): all of it and
        ``margin`` pixels around, but exactly up to where a ``slice`` viewport cuts it."""
        x0, y0, x1, y1 = -margin, -margin, width + margin, height + margin
        if self.clip:
            cx, cy, cw, ch = self.clip
            u0, u1 = sorted(((cx - self.tx) / self.sx, (cx + cw - self.tx) / self.sx))
            v0, v1 = sorted(((cy - self.ty) / self.sy, (cy + ch - self.ty) / self.sy))
            x0, y0, x1, y1 = max(x0, u0), max(y0, v0), min(x1, u1), min(y1, v1)
        return x0, y0, x1, y1


def place(x: float, y: float, w: float, h: float, width: int, height: int, par: str | None) -> Placement:
    """Map a width×height bitmap into the viewport (x, y, w, h) under ``preserveAspectRatio=par``."""
    sx, sy, tx, ty = fit(width, height, x, y, w, h, par)
    tol = 1e-9 * max(1.0, w, h)
    overflows = sx * width > w + tol or sy * height > h + tol  # only ``slice`` draws beyond the viewport
    return Placement(sx, sy, tx, ty, (x, y, w, h) if overflows else None)


def place_image(attribute: Callable[[str], str | None], width: int, height: int) -> Placement | None:
    """Where a width×height bitmap lands in an ``<image>``'s user space, from its ``x``, ``y``,
    ``width``, ``height`` (SVG 2 ``auto``: the intrinsic size, or the other side's ratio) and
    ``preserveAspectRatio`` as ``attribute(name)`` reads them; None when its size is not a positive
    number (zero, negative, infinite), which nothing draws."""
    x, y = length(attribute("x"), 0.0), length(attribute("y"), 0.0)
    w, h = length(attribute("width"), None), length(attribute("height"), None)
    if w is None and h is None:
        w, h = float(width), float(height)
    elif w is None:
        w = h * width / height
    elif h is None:
        h = w * height / width
    if not (0 < w < math.inf and 0 < h < math.inf):
        return None
    return place(x, y, w, h, width, height, attribute("preserveAspectRatio"))


def length(value: str | None, default: float | None = None) -> float | None:
    """An attribute length in user units; None, 'auto', percentages, font-relative units and
    lengths Inkscape cannot read either (``40Q``, ``3MM``) give ``default``."""
    if value is None:
        return default
    parts = split_length(value)
    if parts is None or parts[1] == "%":
        return default
    return parts[0] * UNITS[parts[1]]
