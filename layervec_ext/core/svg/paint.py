"""CSS/SVG colours, lengths and ``style`` declarations (the small parsers the reader needs)."""

from __future__ import annotations

import math
import re

import numpy as np
from PIL import ImageColor

from layervec_ext.svgunits import UNITS, split_length

_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER_RE = re.compile(rf"^{_NUM}$")
_PERCENT_RE = re.compile(rf"^{_NUM}%$")
_FUNCTION_RE = re.compile(r"^(rgba?|hsla?)\(([^()]*)\)$")
_IMPORTANT_RE = re.compile(r"!\s*important\s*$")
# CSS Color 3 names: what resvg (svgtypes) knows. PIL adds CSS 4's rebeccapurple, which resvg draws black.
_NAMES = {name: rgb for name, rgb in ImageColor.colormap.items() if name != "rebeccapurple"}


class PaintError(ValueError):
    """A colour or length that cannot be read (the message names it)."""


def parse_length(text: str | None, *, percent_of: float | None = None, default: float = 0.0) -> float:
    """``"12"``, ``"3mm"``, ``"50%"`` → user units; percentages need ``percent_of`` (the reference
    length: the viewport's width, height or diagonal/√2, or 1 for bounding-box units)."""
    if text is None or not str(text).strip():
        return default
    parts = split_length(str(text))
    if parts is None:
        raise PaintError(f"cannot read length {text!r} (units: {', '.join(u for u in UNITS if u)}, %)")
    value, unit = parts
    if unit == "%":
        if percent_of is None:
            raise PaintError(f"a percentage is not allowed here: {text!r}")
        return value / 100.0 * percent_of
    return value * UNITS[unit]


def parse_number_or_percent(text: str | None, default: float) -> float:
    """Offsets and opacities: ``"0.4"`` or ``"40%"``."""
    if text is None or not str(text).strip():
        return default
    text = str(text).strip()
    try:
        return float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise PaintError(f"cannot read number {text!r}") from None


def parse_color(text: str) -> tuple[float, float, float, float]:
    """A CSS colour → straight RGBA in [0, 1], 8-bit exact like resvg draws it.

    Read: ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``; ``rgb()``/``rgba()`` with three
    numbers or three percentages (not mixed), comma-separated with an optional fourth alpha
    number, or space-separated without alpha; ``hsl()``/``hsla()`` likewise with a hue number and
    percentage saturation/lightness; CSS Color 3 names and ``transparent``. Out-of-range values
    are clamped, as CSS and resvg do. Everything else raises :class:`PaintError`, including forms
    resvg draws differently from CSS (mixed numbers and percentages, ``/ alpha``, a percentage
    alpha, hue units, bare saturation/lightness numbers, CSS 4 names)."""
    value = text.strip().lower()
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        if len(digits) in (6, 8) and all(c in "0123456789abcdef" for c in digits):
            channels = [int(digits[i:i + 2], 16) / 255.0 for i in range(0, len(digits), 2)]
            return tuple(channels + [1.0])[:4]  # type: ignore[return-value]
        raise PaintError(f"cannot read colour {text!r}")
    match = _FUNCTION_RE.match(value)
    if match:
        return _color_function(match.group(1), match.group(2), text)
    if value == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    if value in _NAMES:
        r, g, b = ImageColor.getrgb(value)[:3]
        return (r / 255.0, g / 255.0, b / 255.0, 1.0)
    raise PaintError(f"cannot read colour {text!r}")


def _color_function(name: str, body: str, text: str) -> tuple[float, float, float, float]:
    body = body.strip()
    parts = [p.strip() for p in body.split(",")] if "," in body else body.split()
    if len(parts) not in (3, 4) or ("," not in body and len(parts) != 3):
        raise PaintError(f"cannot read colour {text!r} (rgb()/hsl() take 3 values, or 4 with commas)")
    if "," in body and any(not p or len(p.split()) != 1 for p in parts):
        raise PaintError(f"cannot read colour {text!r}")
    alpha = 1.0
    if len(parts) == 4:
        if not _NUMBER_RE.match(parts[3]):
            raise PaintError(f"cannot read colour {text!r} (the alpha must be a number)")
        alpha = _byte(float(parts[3]) * 255.0) / 255.0
    if name.startswith("rgb"):
        if all(_NUMBER_RE.match(p) for p in parts[:3]):
            rgb = [_byte(float(p)) for p in parts[:3]]
        elif all(_PERCENT_RE.match(p) for p in parts[:3]):
            rgb = [_byte(float(p[:-1]) / 100.0 * 255.0) for p in parts[:3]]
        else:
            raise PaintError(f"cannot read colour {text!r} (rgb() takes three numbers or three percentages)")
        return (rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0, alpha)
    if not (_NUMBER_RE.match(parts[0]) and all(_PERCENT_RE.match(p) for p in parts[1:3])):
        raise PaintError(f"cannot read colour {text!r} (hsl() takes a hue number and two percentages)")
    r, g, b = _hsl_to_rgb(float(parts[0]), float(parts[1][:-1]) / 100.0, float(parts[2][:-1]) / 100.0)
    return (r / 255.0, g / 255.0, b / 255.0, alpha)


def _byte(x: float) -> int:
    """Round half away from zero and saturate to 0…255, as resvg's ``(x).round() as u8``."""
    if not math.isfinite(x):
        return 255 if x > 0 else 0
    return int(min(255.0, max(0.0, math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1))))


def _hsl_to_rgb(hue: float, saturation: float, lightness: float) -> tuple[int, int, int]:
    """CSS Color 3's HSL → RGB, in single precision like svgtypes."""
    f32 = np.float32
    hue = ((hue % 360.0) + 360.0) % 360.0
    h, s, li = f32(hue) / f32(60.0), f32(min(1.0, max(0.0, saturation))), f32(min(1.0, max(0.0, lightness)))
    t2 = li * (s + f32(1.0)) if li <= f32(0.5) else li + s - li * s
    t1 = li * f32(2.0) - t2

    def channel(x):
        if x < 0:
            x += f32(6.0)
        if x >= 6:
            x -= f32(6.0)
        if x < 1:
            return (t2 - t1) * x + t1
        if x < 3:
            return t2
        if x < 4:
            return (t2 - t1) * (f32(4.0) - x) + t1
        return t1

    return tuple(_byte(float(channel(v) * f32(255.0))) for v in (h + f32(2.0), h, h - f32(2.0)))  # type: ignore


def parse_style(text: str | None) -> dict[str, str]:
    """``"fill:#f00; opacity: .5"`` → ``{"fill": "#f00", "opacity": ".5"}`` (``!important`` dropped,
    names lowercased): a lenient look at a ``style``; the reader's cascade uses :func:`parse_declarations`."""
    out: dict[str, str] = {}
    for decl in re.sub(r"/\*.*?\*/", "", text or "", flags=re.S).split(";"):
        if ":" in decl:
            name, value = decl.split(":", 1)
            value = value.replace("!important", "").strip()
            if name.strip() and value:
                out[name.strip().lower()] = value
    return out


def parse_declarations(text: str | None) -> list[tuple[str, str, bool]]:
    """``"fill:#f00 !important; opacity: .5"`` → ``[("fill", "#f00", True), ("opacity", ".5", False)]``
    in order. Property names are kept as written: resvg ignores ``FILL`` where CSS would not, so
    the reader refuses those. A value with any ``!`` other than a final ``!important`` (lowercase,
    as resvg reads it; CSS would also take ``!IMPORTANT``) raises :class:`PaintError`."""
    out: list[tuple[str, str, bool]] = []
    for decl in re.sub(r"/\*.*?\*/", "", text or "", flags=re.S).split(";"):
        if ":" not in decl:
            continue
        name, value = (part.strip() for part in decl.split(":", 1))
        important = _IMPORTANT_RE.search(value)
        if important:
            value = value[:important.start()].strip()
        if "!" in value:
            raise PaintError(f"cannot read declaration {decl.strip()!r} (only a final lowercase !important)")
        if name and value:
            out.append((name, value, bool(important)))
    return out
