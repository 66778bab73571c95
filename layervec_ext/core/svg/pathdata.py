"""SVG path data and transform lists → cubic Bézier subpaths and affine matrices.

Everything LayerVec draws is a closed cubic path, so every command is turned into cubics here:
lines and quadratics exactly (degree elevation), elliptical arcs as at most 90° cubic pieces
(the usual 4/3·tan(θ/4) handles; radial error below 3e-4 of the radius). A subpath is a list of
``(p0, c1, c2, p3)`` segments, implicitly closed because fills close every subpath.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import numpy as np

Point = tuple[float, float]
Segment = tuple[Point, Point, Point, Point]
Subpath = list[Segment]

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER_RE = re.compile(_NUMBER)
_SEPARATOR_RE = re.compile(r"[\s,]*")
_ARGS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}


class PathDataError(ValueError):
    """Malformed path data or transform (the message says where)."""


# --------------------------------------------------------------------------------------- scanning


class _Scanner:
    """Reads numbers, arc flags and command letters from path data, skipping separators."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self) -> None:
        self.pos = _SEPARATOR_RE.match(self.text, self.pos).end()

    def done(self) -> bool:
        self.skip()
        return self.pos >= len(self.text)

    def peek_command(self) -> str | None:
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos].upper() in _ARGS:
            return self.text[self.pos]
        return None

    def command(self) -> str:
        cmd = self.peek_command()
        if cmd is None:
            raise PathDataError(f"path data: expected a command at {self._where()}")
        self.pos += 1
        return cmd

    def number(self) -> float:
        self.skip()
        match = _NUMBER_RE.match(self.text, self.pos)
        if match is None:
            raise PathDataError(f"path data: expected a number at {self._where()}")
        self.pos = match.end()
        return float(match.group())

    def flag(self) -> float:
        """Arc flags are single characters and may be written without separators ("a1 1 0 01 5 5")."""
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in "01":
            self.pos += 1
            return float(self.text[self.pos - 1])
        raise PathDataError(f"path data: expected an arc flag (0 or 1) at {self._where()}")

    def at_number(self) -> bool:
        self.skip()
        return _NUMBER_RE.match(self.text, self.pos) is not None

    def _where(self) -> str:
        return f"character {self.pos}: {self.text[self.pos:self.pos + 20]!r}"


# --------------------------------------------------------------------------------------- segments


def line_segment(p: Point, q: Point) -> Segment:
    """A straight line as a cubic with controls at thirds (so its speed is uniform)."""
    return (p, (p[0] + (q[0] - p[0]) / 3, p[1] + (q[1] - p[1]) / 3),
            (p[0] + 2 * (q[0] - p[0]) / 3, p[1] + 2 * (q[1] - p[1]) / 3), q)


def quad_segment(p: Point, c: Point, q: Point) -> Segment:
    """Exact degree elevation of a quadratic."""
    return (p, (p[0] + 2 / 3 * (c[0] - p[0]), p[1] + 2 / 3 * (c[1] - p[1])),
            (q[0] + 2 / 3 * (c[0] - q[0]), q[1] + 2 / 3 * (c[1] - q[1])), q)


def arc_segments(p: Point, rx: float, ry: float, phi_deg: float, large: bool, sweep: bool, q: Point
                 ) -> list[Segment]:
    """SVG's endpoint arc (implementation notes F.6.5/F.6.6) as cubics of at most 90° each."""
    if p == q:
        return []
    rx, ry = abs(rx), abs(ry)
    if rx == 0 or ry == 0:
        return [line_segment(p, q)]
    phi = math.radians(phi_deg % 360)
    cos, sin = math.cos(phi), math.sin(phi)
    dx, dy = (p[0] - q[0]) / 2, (p[1] - q[1]) / 2
    x1, y1 = cos * dx + sin * dy, -sin * dx + cos * dy
    scale = (x1 / rx) ** 2 + (y1 / ry) ** 2
    if scale > 1:  # radii too small: scale them up just enough (F.6.6)
        rx, ry = rx * math.sqrt(scale), ry * math.sqrt(scale)
    num = rx * rx * ry * ry - rx * rx * y1 * y1 - ry * ry * x1 * x1
    den = rx * rx * y1 * y1 + ry * ry * x1 * x1
    coef = math.sqrt(max(0.0, num / den)) if den else 0.0
    if large == sweep:
        coef = -coef
    cxp, cyp = coef * rx * y1 / ry, -coef * ry * x1 / rx
    cx = cos * cxp - sin * cyp + (p[0] + q[0]) / 2
    cy = sin * cxp + cos * cyp + (p[1] + q[1]) / 2
    theta1 = math.atan2((y1 - cyp) / ry, (x1 - cxp) / rx)
    theta2 = math.atan2((-y1 - cyp) / ry, (-x1 - cxp) / rx)
    delta = theta2 - theta1
    if sweep and delta < 0:
        delta += 2 * math.pi
    elif not sweep and delta > 0:
        delta -= 2 * math.pi
    pieces = max(1, math.ceil(abs(delta) / (math.pi / 2) - 1e-9))
    step = delta / pieces
    k = 4 / 3 * math.tan(step / 4)

    def at(theta: float) -> tuple[Point, Point]:
        """Point and derivative direction (scaled by the radii) on the rotated ellipse."""
        ex, ey = rx * math.cos(theta), ry * math.sin(theta)
        tx, ty = -rx * math.sin(theta), ry * math.cos(theta)
        return ((cx + cos * ex - sin * ey, cy + sin * ex + cos * ey), (cos * tx - sin * ty, sin * tx + cos * ty))

    out: list[Segment] = []
    start = p
    for i in range(pieces):
        a0, a1 = theta1 + i * step, theta1 + (i + 1) * step
        (_, d0), (e1, d1) = at(a0), at(a1)
        end = q if i == pieces - 1 else e1
        out.append((start, (start[0] + k * d0[0], start[1] + k * d0[1]), (end[0] - k * d1[0], end[1] - k * d1[1]), end))
        start = end
    return out


# --------------------------------------------------------------------------------------- path data


def commands(d: str) -> Iterator[tuple[str, list[float]]]:
    """Path data → ``(command, numbers)`` per argument group, as written (relative stays relative):
    a repeated group repeats its command, pairs after a moveto are line-tos (``l``/``L``), arc flags
    may be glued to what follows ("a1 1 0 01 5 5"). The one tokenizer for the reader and the node
    count of the benchmarks. Raises :class:`PathDataError`."""
    scan = _Scanner(d or "")
    cmd: str | None = None
    while not scan.done():
        if scan.peek_command() is not None:
            cmd = scan.command()
        elif cmd is None:
            raise PathDataError(f"path data must start with a moveto (M or m), got {d[:20]!r}")
        elif cmd in "Zz":
            raise PathDataError(f"path data: numbers after Z at {scan._where()}")
        upper = cmd.upper()
        if upper == "A":
            args = [scan.number(), scan.number(), scan.number(), scan.flag(), scan.flag(), scan.number(),
                    scan.number()]
        else:
            args = [scan.number() for _ in range(_ARGS[upper])]
        yield cmd, args
        if upper == "M":
            cmd = "l" if cmd == "m" else "L"  # further pairs are implicit linetos
        if upper != "Z" and not scan.at_number() and scan.peek_command() is None and not scan.done():
            raise PathDataError(f"path data: unexpected text at {scan._where()}")


def end_point(cmd: str, args: list[float], cur: Point, start: Point) -> Point:
    """Where a command from :func:`commands` leaves the pen (``start``: the subpath's first point)."""
    upper = cmd.upper()
    if upper == "Z":
        return start
    ox, oy = cur if cmd.islower() else (0.0, 0.0)
    if upper == "H":
        return (ox + args[0], cur[1])
    if upper == "V":
        return (cur[0], oy + args[0])
    return (ox + args[-2], oy + args[-1])


def parse_path(d: str) -> list[Subpath]:
    """Path data → subpaths of cubic segments, absolute coordinates. Every subpath is closed
    (a closing line is appended when it does not end at its start) because fills close them.
    Subpaths without segments (a lone ``M``) are dropped. Raises :class:`PathDataError`."""
    subpaths: list[Subpath] = []
    current: Subpath = []
    start = cur = (0.0, 0.0)
    last_cubic_ctrl: Point | None = None
    last_quad_ctrl: Point | None = None

    def finish() -> None:
        if current:
            if math.dist(cur, start) > 1e-9:
                current.append(line_segment(cur, start))
            subpaths.append(list(current))
        current.clear()

    for cmd, args in commands(d):
        upper = cmd.upper()
        ox, oy = cur if cmd.islower() else (0.0, 0.0)
        end = end_point(cmd, args, cur, start)
        cubic_ctrl = quad_ctrl = None
        if upper in "ZM":
            finish()
            if upper == "M":
                start = end
        elif upper in "LHV":
            current.append(line_segment(cur, end))
        elif upper == "T":
            quad_ctrl = _reflect(last_quad_ctrl, cur)
            current.append(quad_segment(cur, quad_ctrl, end))
        elif upper in "CS":
            c1 = (ox + args[0], oy + args[1]) if upper == "C" else _reflect(last_cubic_ctrl, cur)
            cubic_ctrl = (ox + args[-4], oy + args[-3])
            current.append((cur, c1, cubic_ctrl, end))
        elif upper == "Q":
            quad_ctrl = (ox + args[0], oy + args[1])
            current.append(quad_segment(cur, quad_ctrl, end))
        else:  # A
            rx, ry, phi, large, sweep = args[:5]
            current.extend(arc_segments(cur, rx, ry, phi, bool(large), bool(sweep), end))
        cur = end
        last_cubic_ctrl, last_quad_ctrl = cubic_ctrl, quad_ctrl
    finish()
    return subpaths


def _reflect(ctrl: Point | None, cur: Point) -> Point:
    """S/T's first control: the previous control mirrored through the current point (or the point)."""
    if ctrl is None:
        return cur
    return (2 * cur[0] - ctrl[0], 2 * cur[1] - ctrl[1])


def polygon_subpath(coords: list[float]) -> Subpath:
    """``points="x y x y …"`` as one closed polygon of line cubics (an odd count drops the last)."""
    pts = [(coords[i], coords[i + 1]) for i in range(0, len(coords) - 1, 2)]
    if len(pts) < 2:
        return []
    closed = pts + [pts[0]] if math.dist(pts[-1], pts[0]) > 1e-9 else pts
    return [line_segment(a, b) for a, b in zip(closed[:-1], closed[1:])]


def parse_numbers(text: str) -> list[float]:
    return [float(x) for x in _NUMBER_RE.findall(text or "")]


# --------------------------------------------------------------------------------------- transforms

_TRANSFORM_RE = re.compile(r"\s*(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)\s*,?")


def parse_transform(text: str | None) -> np.ndarray:
    """A transform list → ``3×3`` affine matrix (SVG's ``matrix(a b c d e f)`` layout)."""
    m = np.eye(3)
    if not text or not text.strip():
        return m
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TRANSFORM_RE.match(text, pos)
        if match is None:
            raise PathDataError(f"cannot parse transform {text!r} at {text[pos:pos + 20]!r}")
        m = m @ _transform_matrix(match.group(1), parse_numbers(match.group(2)), text)
        pos = match.end()
    return m


def _transform_matrix(name: str, args: list[float], text: str) -> np.ndarray:
    def need(*counts: int) -> None:
        if len(args) not in counts:
            raise PathDataError(f"transform {name}() takes {' or '.join(map(str, counts))} numbers: {text!r}")

    if name == "matrix":
        need(6)
        a, b, c, d, e, f = args
        return np.array([[a, c, e], [b, d, f], [0, 0, 1.0]])
    if name == "translate":
        need(1, 2)
        tx, ty = args[0], args[1] if len(args) > 1 else 0.0
        return np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1.0]])
    if name == "scale":
        need(1, 2)
        sx, sy = args[0], args[1] if len(args) > 1 else args[0]
        return np.diag([sx, sy, 1.0])
    if name == "rotate":
        need(1, 3)
        a = math.radians(args[0])
        rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1.0]])
        if len(args) == 3:
            cx, cy = args[1], args[2]
            return _translation(cx, cy) @ rot @ _translation(-cx, -cy)
        return rot
    need(1)
    t = math.tan(math.radians(args[0]))
    if name == "skewX":
        return np.array([[1, t, 0], [0, 1, 0], [0, 0, 1.0]])
    return np.array([[1, 0, 0], [t, 1, 0], [0, 0, 1.0]])


def _translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1.0]])


def apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``(..., 2)`` points through the affine ``m``."""
    return points @ m[:2, :2].T + m[:2, 2]
