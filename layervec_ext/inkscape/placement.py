"""Where an ``<image>``'s pixels land: the ``preserveAspectRatio`` rules of SVG 1.1 §7.8.

inkex treats an image as its x/y/width/height rectangle and ignores ``preserveAspectRatio``; the
bitmap itself is drawn in a sub-box of it (``meet``), or overflows it and is clipped (``slice``).
Standard library only, so it is testable without inkex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ALIGNS = {"none"} | {f"x{x}Y{y}" for x in ("Min", "Mid", "Max") for y in ("Min", "Mid", "Max")}
_FRACTION = {"Min": 0.0, "Mid": 0.5, "Max": 1.0}


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


def parse_par(value: str | None) -> tuple[str, str]:
    """``[defer] <align> [meet|slice]`` → (align, meet_or_slice); bad values mean the default."""
    words = (value or "").split()
    if words and words[0] == "defer":
        words = words[1:]
    align = words[0] if words and words[0] in _ALIGNS else "xMidYMid"
    mode = words[1] if len(words) > 1 and words[1] in ("meet", "slice") else "meet"
    if words and words[0] not in _ALIGNS:
        mode = "meet"
    return align, mode


def place(x: float, y: float, w: float, h: float, width: int, height: int, par: str | None) -> Placement:
    """Map a width×height bitmap into the viewport (x, y, w, h) under ``preserveAspectRatio=par``."""
    align, mode = parse_par(par)
    if align == "none":
        return Placement(w / width, h / height, x, y, None)
    sx, sy = w / width, h / height
    s = min(sx, sy) if mode == "meet" else max(sx, sy)
    fx, fy = _FRACTION[align[1:4]], _FRACTION[align[5:8]]
    tx = x + fx * (w - s * width)
    ty = y + fy * (h - s * height)
    tol = 1e-9 * max(1.0, w, h)
    overflows = mode == "slice" and (abs(s * width - w) > tol or abs(s * height - h) > tol)
    return Placement(s, s, tx, ty, (x, y, w, h) if overflows else None)


_LENGTH = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-z%]*)\s*$")
# CSS absolute units in px, as SVG uses them inside a user coordinate system.
_UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0, "q": 24 / 25.4}


def length(value: str | None, default: float | None = None) -> float | None:
    """An attribute length in user units; None/'auto'/unknown units give ``default``."""
    if value is None:
        return default
    m = _LENGTH.match(value)
    if not m or m.group(2).lower() not in _UNITS:
        return default
    return float(m.group(1)) * _UNITS[m.group(2).lower()]
