"""``python -m layervec_ext.bench scale``: time, memory and quality of the real command on big pictures.

For every picture (default: ``images/scale/``), working size S (the CLI's ``--max-size``) and path
budget N, the bench runs the command a user runs — ``python -m layervec_ext IN -o OUT.svg --paths N
--max-size S --threads 1 --quiet`` — as a child process, so its seconds are the whole command, start-up
included, its CPU seconds (user + system) and peak memory the child's own (``os.wait4``; MB = 10⁶
bytes; host memory only, a GPU's is not in it). On a shared virtual machine the seconds also count
the time the host gave the CPU to others (a run's seconds were 1.2–2 × its CPU seconds on
2026-12-06's machine); the CPU seconds do not, so they compare across busy hours — across machines
neither does.
The SVG is scored exactly as ``bench quality`` scores every method (``baselines.score_svg``: resvg on
white at the picture's size, PSNR/SSIM, paths and nodes). Beside each picture: vtracer with its default
settings, run in this process on the same on-white picture (its seconds are the conversion alone).
``--inkscape`` also scores every SVG as Inkscape's exporter draws it, what the artist sees (a column
beside resvg's; layervec_ext/docs/DESIGN.md §6 says where the two differ).

A run that fails or passes ``--timeout`` is a row that says so, and the bench goes on; the exit status
is then 1 (0 when every run succeeded). ``--json`` is rewritten after every row, so a long run that is
stopped keeps what it measured; ``--merge`` prints one table (and plot) from several such files: shards
split by ``--pictures`` or ``--sizes`` (run on one kind of machine, or the seconds don't compare).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from layervec_ext.bench import SCALE_IMAGES
from layervec_ext.files import write_atomic

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding the layervec_ext package
DEFAULT_PATHS = "32,64,128,256,512,1024"
DEFAULT_SIZES = "256,512,1024"
DEFAULT_TIMEOUT = 1800.0


# ------------------------------------------------------------------------------------ one run


def work_size(width: int, height: int, max_size: int) -> tuple[int, int]:
    """The working image's size for ``--max-size``: the long side shrunk to ``max_size``, never
    enlarged (the rule of ``core.vectorize.pipeline.work_image``, without importing torch here)."""
    long_side = max(width, height)
    if long_side <= max_size:
        return width, height
    s = max_size / long_side
    return max(1, round(width * s)), max(1, round(height * s))


def run_command(cmd: list[str], timeout: float, env: dict | None = None) -> dict:
    """Run ``cmd`` to the end or to ``timeout`` seconds: ``{exit, timed_out, seconds, cpu_seconds,
    peak_mb, error, summary}`` (``summary``: the command's last progress line, where it reports
    progress in JSON lines). The rusage is the child's own (``os.wait4``), not this process's."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: leave no child behind
            proc.kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
        err.seek(0)
        lines = [ln.strip() for ln in err.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    error = None
    said = [json.loads(ln) for ln in lines if ln.startswith('{"kind": ')]  # the command's JSON lines
    stages = [m.get("stage", "") for m in said if m["kind"] == "progress"]
    errors = [m.get("message", "") for m in said if m["kind"] == "error"]
    if fired.is_set():
        error = f"timed out after {timeout:g} s"
    elif proc.returncode != 0:
        error = f"exit {proc.returncode}: {errors[-1] if errors else lines[-1] if lines else 'no message'}"
    return {"exit": proc.returncode, "timed_out": fired.is_set(), "seconds": seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss * scale / 1e6, "error": error,
            "summary": stages[-1] if stages and stages[-1].startswith("done") else None}


def cli_command(image: str, out_svg: str, n_paths: int, size: int, device: str) -> list[str]:
    """The command line a user types, with this interpreter (its progress in JSON lines, for the
    summary line it ends with)."""
    return [sys.executable, "-m", "layervec_ext", image, "-o", out_svg, "--paths", str(n_paths),
            "--max-size", str(size), "--threads", "1", "--device", device, "--progress-json"]


def child_env() -> dict:
    """This environment, with this checkout first on the import path (the child runs the code the
    bench was started from) and one thread for every pool, as the CLI sets them by default."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


def _blank(row: dict) -> dict:
    row.update({"seconds": None, "cpu_seconds": None, "peak_mb": None, "psnr": None, "ssim": None,
                "paths": None, "nodes": None})
    return row


def run_ours(path: str, target: np.ndarray, n_paths: int, size: int, timeout: float, device: str, svg_dir: str,
             inkscape: bool = False) -> dict:
    """One whole command on one picture, scored like every SVG of ``bench quality`` (and by Inkscape
    when asked: :func:`score_by_inkscape`)."""
    from layervec_ext.bench.baselines import score_svg

    h, w = target.shape[:2]
    stem = Path(path).stem
    out_svg = os.path.join(svg_dir, f"{stem}.s{size}.n{n_paths}.svg")
    row = {"picture": stem, "method": "ours", "width": w, "height": h, "size": size,
           "work": list(work_size(w, h, size)), "paths_asked": n_paths, "svg": out_svg}
    if os.path.exists(out_svg):
        os.unlink(out_svg)  # never score an SVG an earlier run left
    res = run_command(cli_command(path, out_svg, n_paths, size, device), timeout, child_env())
    if res["error"] is None and not os.path.exists(out_svg):
        res["error"] = "exit 0 but no SVG written"
    if res["error"] is not None:
        row.update({"ok": False, "error": res["error"]})
        return {**_blank(row), "seconds": res["seconds"], "peak_mb": res["peak_mb"]}
    with open(out_svg, encoding="utf-8") as fh:
        svg = fh.read()
    from layervec_ext.bench import editability

    row.update({"ok": True, "error": None, "seconds": res["seconds"], "cpu_seconds": res["cpu_seconds"],
                "peak_mb": res["peak_mb"], **score_svg(svg, target), "edit": editability.report(svg, target),
                "summary": res["summary"]})
    return score_by_inkscape(row, svg, target) if inkscape else row


def score_by_inkscape(row: dict, svg: str, target: np.ndarray) -> dict:
    """``row`` with ``psnr_inkscape``: the SVG drawn by Inkscape's exporter at the picture's size on
    white (what the artist sees; resvg composites translucent paths a little lighter, DESIGN §6)
    against the picture — or ``None`` and the reason in ``inkscape_error``."""
    from layervec_ext.core.metrics import psnr, rasterize_svg_inkscape

    h, w = target.shape[:2]
    try:
        row["psnr_inkscape"] = psnr(rasterize_svg_inkscape(svg, w, h), target)
    except RuntimeError as exc:
        row.update({"psnr_inkscape": None, "inkscape_error": str(exc)})
    return row


def run_vtracer(path: str, target: np.ndarray, inkscape: bool = False) -> dict:
    """vtracer with its default settings on the on-white picture, scored alike."""
    from layervec_ext.bench.baselines import png_bytes_of, score_svg, vtracer_svg

    h, w = target.shape[:2]
    row = {"picture": Path(path).stem, "method": "vtracer", "width": w, "height": h, "size": None,
           "work": [w, h], "paths_asked": None, "svg": None}
    try:
        import vtracer  # noqa: F401 - import before the clock starts
    except ImportError:
        return {**_blank(row), "ok": False, "error": "vtracer is not installed (pip install vtracer)"}
    png = png_bytes_of(target)
    t0 = time.perf_counter()
    try:
        svg = vtracer_svg(png, {})
    except Exception as exc:  # a baseline's failure is a row, like ours
        return {**_blank(row), "ok": False, "error": f"vtracer failed: {type(exc).__name__}: {exc}".splitlines()[0]}
    seconds = time.perf_counter() - t0
    row.update({"ok": True, "error": None, "seconds": seconds, "cpu_seconds": None, "peak_mb": None,
                **score_svg(svg, target)})
    return score_by_inkscape(row, svg, target) if inkscape else row


# ------------------------------------------------------------------------------------ tables


def _num(v: float | None, digits: int) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    return f"{v:.{digits}f}"


def _secs(v: float | None) -> str:
    return "—" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.1f}")


def _by_inkscape(rows: list[dict]) -> bool:
    """Whether the runs were scored by Inkscape too (``--inkscape``): the tables then show its column."""
    return any("psnr_inkscape" in r for r in rows)


def _header(head: str, inkscape: bool) -> list[str]:
    """A table's header and rule, with the Inkscape column when ``inkscape``."""
    rule = "|---" * head.count(" | ") + "|---|"
    return [head + (" PSNR by Inkscape |" if inkscape else ""), rule + ("---|" if inkscape else "")]


def _inkscape_cell(values: dict, inkscape: bool) -> str:
    """The Inkscape column's cell of a row or a mean (nothing when the table has no such column)."""
    return f" {_num(values.get('psnr_inkscape'), 2)} |" if inkscape else ""


def rows_table(rows: list[dict]) -> str:
    """One line per run: picture, method, working size, N, and what it cost and gave (with the PSNR
    by Inkscape when the runs have it)."""
    shown = _by_inkscape(rows)
    lines = _header("| picture | method | max-size | work px | N | seconds | CPU s | peak MB | PSNR | SSIM | paths | "
                    "nodes |", shown)
    for r in rows:
        work = f"{r['work'][0]}×{r['work'][1]}"
        if r["method"] == "vtracer":
            head = f"| {r['picture']} | vtracer default | — | {work} | — |"
        else:
            head = f"| {r['picture']} | ours | {r['size']} | {work} | {r['paths_asked']} |"
        tail = _inkscape_cell(r, shown)
        if not r["ok"]:
            lines.append(f"{head} {r['error']} | — | {_num(r['peak_mb'], 0)} | — | — | — | — |{tail}")
            continue
        paths = str(r["paths"]) if r["method"] == "vtracer" else f"{r['paths']} / {r['paths_asked']}"
        lines.append(f"{head} {_secs(r['seconds'])} | {_secs(r.get('cpu_seconds'))} | {_num(r['peak_mb'], 0)} | "
                     f"{_num(r['psnr'], 2)} | {_num(r['ssim'], 3)} | {paths} | {r['nodes']} |{tail}")
    return "\n".join(lines)


def _mean(vals: list[float]) -> float | None:
    vals = [v for v in vals if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else None


def means(rows: list[dict]) -> list[dict]:
    """Per (working size, N) of our runs: means over the pictures whose run succeeded (a failed run
    leaves its picture out of that mean; ``ok`` says how many stayed), and the largest peak."""
    groups: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for r in rows:
        if r["method"] == "ours":
            groups[(r["size"], r["paths_asked"])].append(r)
    out = []
    for (size, n), rs in sorted(groups.items()):
        ok = [r for r in rs if r["ok"]]
        out.append({"size": size, "paths_asked": n, "pictures": len(rs), "ok": len(ok),
                    "seconds": _mean([r["seconds"] for r in ok]),
                    "cpu_seconds": _mean([r.get("cpu_seconds") for r in ok]),
                    "peak_mb_max": max((r["peak_mb"] for r in ok), default=None),
                    "psnr": _mean([r["psnr"] for r in ok]), "ssim": _mean([r["ssim"] for r in ok]),
                    "paths": _mean([r["paths"] for r in ok]), "nodes": _mean([r["nodes"] for r in ok]),
                    "work_pixels": _mean([r["work"][0] * r["work"][1] for r in ok]),
                    "psnr_inkscape": _mean([r.get("psnr_inkscape") for r in ok])})
    return out


def vtracer_mean(rows: list[dict]) -> dict | None:
    ok = [r for r in rows if r["method"] == "vtracer" and r["ok"]]
    if not ok:
        return None
    return {"pictures": len(ok), **{k: _mean([r.get(k) for r in ok]) for k in ("seconds", "psnr", "ssim", "paths",
                                                                                "nodes", "psnr_inkscape")}}


def means_table(rows: list[dict]) -> str:
    """Means over pictures per (working size, N), and vtracer's default for comparison (and the
    mean PSNR by Inkscape when the runs have it)."""
    shown = _by_inkscape(rows)
    lines = _header("| max-size | N | pictures ok | seconds | CPU s | peak MB (max) | PSNR | SSIM | paths | nodes |",
                    shown)
    for m in means(rows):
        lines.append(f"| {m['size']} | {m['paths_asked']} | {m['ok']} / {m['pictures']} | {_secs(m['seconds'])} | "
                     f"{_secs(m['cpu_seconds'])} | {_num(m['peak_mb_max'], 0)} | {_num(m['psnr'], 2)} | "
                     f"{_num(m['ssim'], 3)} | "
                     f"{_num(m['paths'], 1)} | {_num(m['nodes'], 0)} |{_inkscape_cell(m, shown)}")
    v = vtracer_mean(rows)
    if v is not None:
        lines.append(f"| vtracer default | — | {v['pictures']} | {_secs(v['seconds'])} | — | — | "
                     f"{_num(v['psnr'], 2)} | {_num(v['ssim'], 3)} | {_num(v['paths'], 1)} | {_num(v['nodes'], 0)} |"
                     f"{_inkscape_cell(v, shown)}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ plot

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
PANEL_W, PANEL_H, LEFT, TOP, GAP = 300, 220, 64, 46, 86


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks inside [lo, hi] (positive values); every decade when the range is wide."""
    ticks = []
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0**e
            if lo <= v <= hi:
                ticks.append(v)
    if len(ticks) > 7:
        ticks = [t for t in ticks if abs(math.log10(t) - round(math.log10(t))) < 1e-9] or ticks
    if len(ticks) < 2:  # a narrow range: plain steps read better than one lonely decade
        ticks = [t for t in _nice_ticks(lo, hi, 3) if t > 0]
    return ticks


def _short(v: float) -> str:
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


class _Panel:
    """One chart: data to pixels, axes with ticks, polylines. ``fx``/``fy`` map data to axis units
    (log for log axes) so the maths is linear."""

    def __init__(self, ident: str, index: int, title: str, xlabel: str, ylabel: str, xs: list[float],
                 ys: list[float], xlog: float | None, ylog: bool, pad_y: float = 0.06):
        self.ident, self.title, self.xlabel, self.ylabel = ident, title, xlabel, ylabel
        self.x0 = LEFT + index * (PANEL_W + GAP)
        self.xlog, self.ylog = xlog, ylog
        self.fx = (lambda v: math.log(v, xlog)) if xlog else (lambda v: v)
        self.fy = math.log10 if ylog else (lambda v: v)
        self.xr = self._range([self.fx(v) for v in xs], 0.06)
        self.yr = self._range([self.fy(v) for v in ys], pad_y)
        self.parts: list[str] = []

    @staticmethod
    def _range(vals: list[float], pad: float) -> tuple[float, float]:
        lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        span = hi - lo
        return lo - pad * span, hi + pad * span

    def px(self, x: float) -> float:
        return self.x0 + (self.fx(x) - self.xr[0]) / (self.xr[1] - self.xr[0]) * PANEL_W

    def py(self, y: float) -> float:
        return TOP + PANEL_H - (self.fy(y) - self.yr[0]) / (self.yr[1] - self.yr[0]) * PANEL_H

    def data_range(self, axis: str) -> tuple[float, float]:
        lo, hi = self.xr if axis == "x" else self.yr
        log = self.xlog if axis == "x" else (10 if self.ylog else None)
        return (log**lo, log**hi) if log else (lo, hi)

    def axes(self, xticks: list[float], yticks: list[float], xfmt, yfmt) -> None:
        x1, y1 = self.x0 + PANEL_W, TOP + PANEL_H
        p = self.parts
        p.append(f'<rect x="{self.x0}" y="{TOP}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#444"/>')
        for t in xticks:
            x = self.px(t)
            p.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{y1}" stroke="#e4e4e4"/>')
            p.append(f'<text x="{x:.1f}" y="{y1 + 15}" text-anchor="middle">{xfmt(t)}</text>')
        for t in yticks:
            y = self.py(t)
            p.append(f'<line x1="{self.x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e4e4e4"/>')
            p.append(f'<text x="{self.x0 - 5}" y="{y + 4:.1f}" text-anchor="end">{yfmt(t)}</text>')
        p.append(f'<text x="{self.x0 + PANEL_W / 2}" y="{TOP - 10}" text-anchor="middle" font-weight="bold">'
                 f'{self.title}</text>')
        p.append(f'<text x="{self.x0 + PANEL_W / 2}" y="{y1 + 33}" text-anchor="middle">{self.xlabel}</text>')
        p.append(f'<text transform="translate({self.x0 - 44} {TOP + PANEL_H / 2}) rotate(-90)" '
                 f'text-anchor="middle">{self.ylabel}</text>')

    def line(self, pts: list[tuple[float, float]], colour: str, size: int) -> None:
        coords = " ".join(f"{self.px(x):.1f},{self.py(y):.1f}" for x, y in pts)
        self.parts.append(f'<polyline class="size" data-size="{size}" points="{coords}" fill="none" '
                          f'stroke="{colour}" stroke-width="2"/>')
        for x, y in pts:
            self.parts.append(f'<circle cx="{self.px(x):.1f}" cy="{self.py(y):.1f}" r="3" fill="{colour}"/>')

    def dashed(self, a: tuple[float, float], b: tuple[float, float], cls: str, label: str) -> None:
        """A dashed reference line, explained by a note under the panel."""
        (xa, ya), (xb, yb) = a, b
        dash = 'stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"'
        self.parts.append(f'<line class="{cls}" x1="{self.px(xa):.1f}" y1="{self.py(ya):.1f}" x2="{self.px(xb):.1f}" '
                          f'y2="{self.py(yb):.1f}" {dash}/>')
        y = TOP + PANEL_H + 50
        self.parts.append(f'<line x1="{self.x0}" y1="{y - 4}" x2="{self.x0 + 24}" y2="{y - 4}" {dash}/>'
                          f'<text x="{self.x0 + 30}" y="{y}" fill="#555">{label}</text>')

    def svg(self) -> str:
        return f'<g id="{self.ident}">' + "".join(self.parts) + "</g>"


def plot_svg(rows: list[dict]) -> str:
    """Three panels over our runs' means per (working size, N): seconds and PSNR against paths (log2
    x, one line per working size; vtracer's default PSNR as a dashed line), and seconds against paths
    × working pixels (log-log) with a dashed slope-1 line through the smallest run: a curve that stays
    on or under it costs at most linearly in paths × pixels."""
    ms = [m for m in means(rows) if m["seconds"] is not None]
    sizes = sorted({m["size"] for m in ms})
    ns = sorted({m["paths_asked"] for m in ms})
    vt = vtracer_mean(rows)
    secs = [m["seconds"] for m in ms]
    psnrs = [m["psnr"] for m in ms if m["psnr"] is not None] + ([vt["psnr"]] if vt and vt["psnr"] else [])
    cost = [m["paths_asked"] * m["work_pixels"] for m in ms]

    def fmt_s(v: float) -> str:
        return f"{v:g}"

    t_panel = _Panel("seconds", 0, "whole command, seconds", "paths N", "seconds (log)", ns, secs, 2, True)
    q_panel = _Panel("psnr", 1, "PSNR against the picture", "paths N", "PSNR dB", ns, psnrs, 2, False, 0.1)
    c_panel = _Panel("cost", 2, "seconds against paths × pixels", "paths × working pixels (log)", "seconds (log)",
                     cost, secs, 10, True)
    t_panel.axes(ns, _log_ticks(*t_panel.data_range("y")), fmt_s, fmt_s)
    q_panel.axes(ns, _nice_ticks(*q_panel.data_range("y")), fmt_s, fmt_s)
    c_panel.axes(_log_ticks(*c_panel.data_range("x")), _log_ticks(*c_panel.data_range("y")), _short, fmt_s)
    for i, size in enumerate(sizes):
        colour = COLOURS[i % len(COLOURS)]
        own = [m for m in ms if m["size"] == size]
        t_panel.line([(m["paths_asked"], m["seconds"]) for m in own], colour, size)
        q_panel.line([(m["paths_asked"], m["psnr"]) for m in own if m["psnr"] is not None], colour, size)
        c_panel.line([(m["paths_asked"] * m["work_pixels"], m["seconds"]) for m in own], colour, size)
    if vt and vt["psnr"] is not None and ns:
        q_panel.dashed((ns[0], vt["psnr"]), (ns[-1], vt["psnr"]), "vtracer", "vtracer, default settings (mean)")
    if ms:
        x0, t0 = min(zip(cost, secs))
        xmax = c_panel.data_range("x")[1]
        ymax = c_panel.data_range("y")[1]
        x_end = min(xmax, x0 * ymax / t0)  # where t = t0·x/x0 leaves the panel
        c_panel.dashed((x0, t0), (x_end, t0 * x_end / x0), "reference",
                       "∝ paths × pixels from the cheapest run")
    width = LEFT + 3 * PANEL_W + 2 * GAP + 20
    height = TOP + PANEL_H + 90
    legend = []
    for i, size in enumerate(sizes):
        x = LEFT + i * 150
        legend.append(f'<line x1="{x}" y1="{height - 14}" x2="{x + 24}" y2="{height - 14}" '
                      f'stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2"/>'
                      f'<text x="{x + 30}" y="{height - 10}">--max-size {size}</text>')
    n_pics = len({r["picture"] for r in rows})
    legend.append(f'<text x="{width - 20}" y="{height - 10}" text-anchor="end" fill="#555">means over {n_pics} '
                  f'picture(s), one CPU thread; a failed run leaves its picture out of its point</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" font-size="11">'
            f'<rect width="{width}" height="{height}" fill="white"/>'
            + t_panel.svg() + q_panel.svg() + c_panel.svg() + '<g id="legend">' + "".join(legend) + "</g></svg>\n")


def write_png(svg: str, path: str, zoom: int = 2) -> None:
    """The plot as a PNG (resvg), for the README."""
    import re

    import resvg_py

    w, h = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
    png = resvg_py.svg_to_bytes(svg_string=svg, width=w * zoom, height=h * zoom, background="#ffffff")
    with open(path, "wb") as fh:
        fh.write(bytes(png))


# ------------------------------------------------------------------------------------ command


def pick_pictures(folder: str, names: list[str] | None, limit: int | None) -> list[str]:
    """``FAMILY__NAME.png`` files of ``folder`` (the order of ``bench quality``), the named ones only
    (stem or file name), the first ``limit``. Raises ValueError naming a picture that isn't there."""
    from layervec_ext.bench.quality import find_images

    paths = [p for group in find_images(folder, None, None).values() for p in group]
    if names:
        by_name = {Path(p).stem: p for p in paths}
        missing = [n for n in names if Path(n).stem not in by_name]
        if missing:
            raise ValueError(f"no picture {missing[0]!r} in {folder}")
        paths = [by_name[Path(n).stem] for n in names]
    return paths[:limit] if limit else paths


def _write_json(path: str, meta: dict, rows: list[dict]) -> None:
    write_atomic(path, json.dumps({**meta, "rows": rows, "means": means(rows)}, indent=1))


def report(rows: list[dict], meta: dict, args: argparse.Namespace) -> None:
    """Print both tables; write the JSON and the plot when asked."""
    print(f"whole command, {meta['threads']} thread, device {meta['device']}; seconds include start-up; "
          f"peak MB = the child's max RSS; PSNR/SSIM by resvg on white at the picture's size; "
          f"vtracer: default settings, conversion time only")
    print(rows_table(rows))
    print()
    print(means_table(rows))
    from layervec_ext.bench import editability

    print("\neditability of ours (bench/editability.py):")
    print(editability.markdown([r for r in rows if r["method"] == "ours" and r.get("ok")], ("size", "paths_asked")))
    if args.json:
        _write_json(args.json, meta, rows)
    if args.plot or args.plot_png:
        svg = plot_svg(rows)
        if args.plot:
            with open(args.plot, "w", encoding="utf-8") as fh:
                fh.write(svg)
        if args.plot_png:
            write_png(svg, args.plot_png)


def merge(paths: list[str]) -> tuple[list[dict], dict] | str:
    """Rows of several ``--json`` files (same device); a row repeated across files — vtracer's, when
    shards split the sizes — is kept once. Returns an error line instead when they don't fit."""
    runs = []
    for path in paths:
        try:
            with open(path) as fh:
                run = json.load(fh)
            keys = [(row["picture"], row["method"], row["size"], row["paths_asked"]) for row in run["rows"]]
        except (OSError, ValueError) as exc:
            return f"cannot read {path}: {exc}"
        except (KeyError, TypeError):
            return f"{path} is not a bench scale --json file"
        runs.append((run, keys))
    devices = {run.get("device") for run, _ in runs}
    if len(devices) > 1:
        return f"the runs used different devices: {sorted(map(str, devices))}"
    seen, rows = set(), []
    for run, keys in runs:
        for key, row in zip(keys, run["rows"]):
            if key not in seen:
                seen.add(key)
                rows.append(row)
    first = runs[0][0]
    return rows, {"threads": first.get("threads", 1), "device": first.get("device"), "merged": paths}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m layervec_ext.bench scale", description=__doc__.split("\n")[0])
    ap.add_argument("--images", default=str(SCALE_IMAGES), help="folder of FAMILY__NAME.png (default: the scale set)")
    ap.add_argument("--paths", default=DEFAULT_PATHS, help=f"path budgets N, comma-separated (default {DEFAULT_PATHS})")
    ap.add_argument("--sizes", default=DEFAULT_SIZES,
                    help=f"working sizes, the CLI's --max-size, comma-separated (default {DEFAULT_SIZES})")
    ap.add_argument("--pictures", default=None, help="pictures to run, comma-separated stems (default: all)")
    ap.add_argument("--limit", type=int, default=None, help="only the first K pictures")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help=f"seconds one run may take before it is stopped and reported (default {DEFAULT_TIMEOUT:g})")
    ap.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                    help="the CLI's --device (default cpu: the one-thread CPU figures)")
    ap.add_argument("--inkscape", action="store_true",
                    help="also score every SVG as Inkscape draws it (its exporter; resvg's PSNR stays the table's)")
    ap.add_argument("--json", metavar="FILE", help="write every row (rewritten after each run) and the means")
    ap.add_argument("--save-svg", metavar="DIR", help="keep our SVGs there (NAME.sS.nN.svg); else a temp folder")
    ap.add_argument("--plot", metavar="FILE.svg", help="seconds and PSNR against paths, one line per size")
    ap.add_argument("--plot-png", metavar="FILE.png", help="the same plot rendered by resvg")
    ap.add_argument("--merge", nargs="+", metavar="JSON", help="run nothing: one table (and plot) from --json files")
    args = ap.parse_args(argv)

    if args.merge:
        merged = merge(args.merge)
        if isinstance(merged, str):
            print(f"error: {merged}", file=sys.stderr)
            return 2
        rows, meta = merged
        report(rows, meta, args)
        return 0
    from layervec_ext.bench.quality import positive_ints

    try:
        budgets = positive_ints(args.paths)
        sizes = positive_ints(args.sizes)
    except ValueError:
        print(f"error: --paths and --sizes want positive integers separated by commas, got {args.paths!r} and "
              f"{args.sizes!r}", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print(f"error: --limit must be at least 1, got {args.limit}", file=sys.stderr)
        return 2
    if not args.timeout > 0:
        print(f"error: --timeout must be positive, got {args.timeout:g}", file=sys.stderr)
        return 2
    if not os.path.isdir(args.images):
        print(f"error: no such image folder: {args.images}", file=sys.stderr)
        return 2
    names = [n for n in args.pictures.split(",") if n] if args.pictures else None
    try:
        pictures = pick_pictures(args.images, names, args.limit)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not pictures:
        print(f"error: no FAMILY__NAME.png pictures in {args.images}", file=sys.stderr)
        return 2
    for out in (args.json, args.plot, args.plot_png):  # before hours of work, not after
        folder = os.path.dirname(out or "")
        if folder and not os.path.isdir(folder):
            print(f"error: no such folder for {out}: {folder}", file=sys.stderr)
            return 2
    if args.save_svg:
        os.makedirs(args.save_svg, exist_ok=True)
    from layervec_ext.bench.baselines import load_rgb

    meta = {"threads": 1, "device": args.device, "paths": budgets, "sizes": sizes, "timeout": args.timeout,
            "python": sys.version.split()[0], "cpus": os.cpu_count()}
    rows: list[dict] = []
    unreadable = 0
    with tempfile.TemporaryDirectory(prefix="layervec-scale-") as tmp:
        svg_dir = args.save_svg or tmp
        try:
            for path in pictures:
                try:
                    target = load_rgb(path)
                except (OSError, ValueError) as exc:  # PIL's UnidentifiedImageError is an OSError
                    print(f"error: cannot read {path}: {exc}", file=sys.stderr)
                    unreadable += 1
                    continue
                runs = [("vtracer", None, None)] + [("ours", s, n) for s in sizes for n in budgets]
                for method, size, n in runs:
                    row = (run_vtracer(path, target, args.inkscape) if method == "vtracer"
                           else run_ours(path, target, n, size, args.timeout, args.device, svg_dir, args.inkscape))
                    if not args.save_svg:
                        row["svg"] = None  # the temp folder goes away
                    rows.append(row)
                    what = "vtracer default" if method == "vtracer" else f"S={size} N={n}"
                    said = (f"{row['seconds']:.1f} s, {row['psnr']:.2f} dB, {row['paths']} paths, {row['nodes']} nodes"
                            if row["ok"] else row["error"])
                    if row.get("psnr_inkscape") is not None:
                        said += f", Inkscape {row['psnr_inkscape']:.2f} dB"
                    if row.get("summary") and " of " in row["summary"]:  # fewer paths than asked: why
                        said += f" ({row['summary']})"
                    print(f"{Path(path).stem} {what}: {said}", file=sys.stderr, flush=True)
                    if args.json:
                        _write_json(args.json, meta, rows)
        except KeyboardInterrupt:
            print("interrupted: the table of the runs so far", file=sys.stderr)
            report(rows, meta, args)
            return 130
    report(rows, meta, args)
    return 0 if not unreadable and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
