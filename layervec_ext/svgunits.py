"""SVG lengths and ``preserveAspectRatio``: one copy for both halves (standard library only).

The backend's SVG reader sizes documents with them and the effect places its result over an
``<image>`` with them, so both must read a value the way the renderers the user sees do. They
follow Inkscape 1.2 and resvg (the tests check against both): absolute units ``px pt pc mm cm in``,
lower case, written right after the number — ``40Q`` (a CSS 3 unit), ``3MM`` and ``3 mm`` are
invalid lengths to both; an invalid ``preserveAspectRatio`` is the default ``xMidYMid meet``, as
SVG 2 says for any invalid attribute.
"""

from __future__ import annotations

import re

# CSS absolute units in user units (px) at 96 px per inch.
UNITS = {"": 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
_LENGTH_RE = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-z%]*)\s*$")

ALIGNS = frozenset({"none"} | {f"x{x}Y{y}" for x in ("Min", "Mid", "Max") for y in ("Min", "Mid", "Max")})
_FRACTION = {"Min": 0.0, "Mid": 0.5, "Max": 1.0}
DEFAULT_PAR = ("xMidYMid", "meet")


def split_length(text: str) -> tuple[float, str] | None:
    """``"3mm"`` → ``(3.0, "mm")``, ``"50%"`` → ``(50.0, "%")``, ``"7"`` → ``(7.0, "")``; None for
    anything else (no number, or a unit outside :data:`UNITS` and ``%``), which each half reports
    its own way: the reader refuses the document, the effect falls back like Inkscape."""
    match = _LENGTH_RE.match(text)
    if match is None or (match.group(2) not in UNITS and match.group(2) != "%"):
        return None
    return float(match.group(1)), match.group(2)


def parse_par(value: str | None) -> tuple[str, str]:
    """``[defer] <align> [meet|slice]`` → ``(align, "meet" | "slice")``; a missing or invalid value
    (unknown words, anything extra) is :data:`DEFAULT_PAR`. ``defer`` only matters for an image
    that is itself SVG, which neither half draws, so it is skipped."""
    words = (value or "").split()
    if words[:1] == ["defer"]:
        words = words[1:]
    if not 1 <= len(words) <= 2 or words[0] not in ALIGNS or words[1:] not in ([], ["meet"], ["slice"]):
        return DEFAULT_PAR
    return words[0], words[1] if len(words) == 2 else "meet"


def fit(width: float, height: float, x: float, y: float, w: float, h: float,
        par: str | None) -> tuple[float, float, float, float]:
    """``(sx, sy, tx, ty)``: the box ``0..width × 0..height`` (a viewBox's size, a bitmap's pixels)
    drawn in the viewport ``(x, y, w, h)`` under ``preserveAspectRatio=par`` — point (u, v) lands at
    (tx + sx·u, ty + sy·v). With ``slice`` the drawing overflows the viewport; clipping is the caller's."""
    align, mode = parse_par(par)
    sx, sy = w / width, h / height
    if align == "none":
        return sx, sy, x, y
    s = min(sx, sy) if mode == "meet" else max(sx, sy)
    tx = x + _FRACTION[align[1:4]] * (w - s * width)
    ty = y + _FRACTION[align[5:8]] * (h - s * height)
    return s, s, tx, ty
