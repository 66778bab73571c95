"""CSS/SVG colours, lengths and ``style`` declarations (the small parsers the reader needs)."""

from __future__ import annotations

import re

from PIL import ImageColor

from layervec_ext.svgunits import UNITS, split_length

_RGB_RE = re.compile(r"^rgba?\(\s*([^)]*)\)$")


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
    """``#rgb``, ``#rrggbb``, ``#rgba``, ``#rrggbbaa``, ``rgb()``/``rgba()`` (numbers or
    percentages) and CSS named colours → straight RGBA in [0, 1]."""
    value = text.strip().lower()
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        if len(digits) in (6, 8) and all(c in "0123456789abcdef" for c in digits):
            channels = [int(digits[i:i + 2], 16) / 255.0 for i in range(0, len(digits), 2)]
            return tuple(channels + [1.0])[:4]  # type: ignore[return-value]
        raise PaintError(f"cannot read colour {text!r}")
    match = _RGB_RE.match(value)
    if match:
        parts = [p for p in re.split(r"[\s,/]+", match.group(1).strip()) if p]
        if len(parts) not in (3, 4):
            raise PaintError(f"cannot read colour {text!r}")
        try:
            rgb = [float(p[:-1]) / 100.0 if p.endswith("%") else float(p) / 255.0 for p in parts[:3]]
            alpha = parse_number_or_percent(parts[3], 1.0) if len(parts) == 4 else 1.0
        except (ValueError, PaintError):
            raise PaintError(f"cannot read colour {text!r}") from None
        r, g, b = (min(1.0, max(0.0, c)) for c in rgb)
        return (r, g, b, min(1.0, max(0.0, alpha)))
    if value == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    if value in ImageColor.colormap:
        r, g, b = ImageColor.getrgb(value)[:3]
        return (r / 255.0, g / 255.0, b / 255.0, 1.0)
    raise PaintError(f"cannot read colour {text!r}")


def parse_style(text: str | None) -> dict[str, str]:
    """``"fill:#f00; opacity: .5"`` → ``{"fill": "#f00", "opacity": ".5"}`` (``!important`` dropped)."""
    out: dict[str, str] = {}
    for decl in re.sub(r"/\*.*?\*/", "", text or "", flags=re.S).split(";"):
        if ":" in decl:
            name, value = decl.split(":", 1)
            value = value.replace("!important", "").strip()
            if name.strip() and value:
                out[name.strip().lower()] = value
    return out
