"""Baselines for the quality benchmark, scored at equal node budgets: vtracer and a potrace
stacked colour scan (what Inkscape's Trace Bitmap "multiple scans: colours, stacked" does).

Each baseline sweeps a grid of its own settings once per image; every setting's SVG is scored the
same way as ours (resvg on white, PSNR/SSIM against the PNG) and the quality command then picks, per
budget, the best PSNR whose node count fits. The sweeps don't depend on our code, so they are cached
per image in a temp folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import subprocess
import tempfile
import time
from itertools import product

import numpy as np

from layervec_ext.core.metrics import psnr, rasterize_svg, ssim
from layervec_ext.core.svg.pathdata import commands, end_point
from layervec_ext.files import write_atomic

# ------------------------------------------------------------------------------------ node count

_PATH_D_RE = re.compile(r"<path\b[^>]*?\sd\s*=\s*(\"[^\"]*\"|'[^']*')", re.S)


def count_segments(d: str) -> int:
    """Bézier segments an editor sees in one path's data: one per drawing command's argument group
    (C/S/Q/T/L/H/V/A, and M's implicit line-tos), plus Z's closing line where it isn't degenerate.
    Read by the SVG reader's tokenizer (:func:`~layervec_ext.core.svg.pathdata.commands`)."""
    segs = 0
    cur = start = (0.0, 0.0)
    for cmd, args in commands(d):
        end = end_point(cmd, args, cur, start)
        if cmd in "Mm":
            start = end
        elif cmd not in "Zz" or math.dist(cur, end) > 1e-9:
            segs += 1
        cur = end
    return segs


def count_nodes(svg: str) -> tuple[int, int]:
    """``(paths, segments)`` of an SVG document: ``<path>`` elements (the objects an editor selects)
    and the Bézier segments of all of them. One counter for every method, so budgets compare."""
    paths = segs = 0
    for match in _PATH_D_RE.finditer(svg):
        paths += 1
        segs += count_segments(match.group(1)[1:-1])
    return paths, segs


# ------------------------------------------------------------------------------------ scoring


def score_svg(svg: str, target: np.ndarray) -> dict:
    """Render with resvg at the target's size on white; PSNR/SSIM against the RGB target; counts."""
    h, w = target.shape[:2]
    rgb = rasterize_svg(svg, w, h)
    paths, nodes = count_nodes(svg)
    return {"psnr": psnr(rgb, target), "ssim": ssim(rgb, target), "paths": paths, "nodes": nodes}


def load_rgb(path: str) -> np.ndarray:
    """The benchmark PNG as uint8 RGB composited on white (what every SVG is compared with)."""
    from PIL import Image

    im = Image.open(path).convert("RGBA")
    base = Image.new("RGBA", im.size, "white")
    return np.asarray(Image.alpha_composite(base, im).convert("RGB"))


def png_bytes_of(rgb: np.ndarray) -> bytes:
    """PNG bytes of an RGB array: what a baseline is given, so it sees the same on-white picture we score against."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


# ------------------------------------------------------------------------------------ vtracer


def vtracer_grid() -> list[dict]:
    """Settings from the faithful to the very coarse (large speckle filter, few colours), so that
    even a 32-node budget has candidates."""
    grid = []
    for cp, fs, ld in product((2, 4, 6), (4, 16, 64, 160), (16, 48, 128)):
        for mode, corner, length in (("spline", 60, 4.0), ("spline", 120, 4.0), ("spline", 60, 10.0),
                                     ("polygon", 60, 4.0)):
            grid.append({"color_precision": cp, "filter_speckle": fs, "layer_difference": ld, "mode": mode,
                         "corner_threshold": corner, "length_threshold": length, "path_precision": 2})
    return grid


def vtracer_svg(png_bytes: bytes, setting: dict) -> str:
    import vtracer

    return vtracer.convert_raw_image_to_svg(png_bytes, img_format="png", colormode="color",
                                            hierarchical="stacked", **setting)


# ------------------------------------------------------------------------------------ potrace

POTRACE = "potrace"


def quantize(rgb: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k-means colour quantisation: ``(labels (H,W), palette (k,3) uint8)``."""
    import cv2

    data = rgb.reshape(-1, 3).astype(np.float32)
    k = max(1, min(k, len(np.unique(data, axis=0))))
    cv2.setRNGSeed(seed)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, labels, centers = cv2.kmeans(data, k, None, crit, 2, cv2.KMEANS_PP_CENTERS)
    return labels.reshape(rgb.shape[:2]), np.clip(np.rint(centers), 0, 255).astype(np.uint8)


def stack_order(labels: np.ndarray, palette: np.ndarray) -> list[int]:
    """Colours bottom to top, lightest first (Inkscape stacks its colour scans by brightness), so
    each cumulative mask (this colour and all darker ones) is a superset of the next."""
    lum = palette.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    return [int(i) for i in np.argsort(-lum, kind="stable")]


def potrace_paths(mask: np.ndarray, turdsize: int, alphamax: float, opttolerance: float) -> tuple[str, str]:
    """Trace a boolean mask with the potrace CLI: ``(path data, group transform)``."""
    h, w = mask.shape
    pbm = b"P4\n%d %d\n" % (w, h) + np.packbits(mask.astype(np.uint8), axis=1).tobytes()
    cmd = [POTRACE, "-b", "svg", "--flat", "-t", str(turdsize), "-a", str(alphamax), "-O", str(opttolerance),
           "-o", "-", "-"]
    try:
        out = subprocess.run(cmd, input=pbm, capture_output=True, check=True).stdout.decode()
    except FileNotFoundError as exc:
        raise RuntimeError("potrace is not installed (apt install potrace)") from exc
    ds = [m.group(1)[1:-1] for m in _PATH_D_RE.finditer(out)]
    tr = re.search(r"<g\s[^>]*transform=\"([^\"]*)\"", out)
    return " ".join(ds), (tr.group(1) if tr else "")


def _hex(c: np.ndarray) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in c)


def potrace_stacked_svg(labels: np.ndarray, palette: np.ndarray, turdsize: int, alphamax: float = 1.0,
                        opttolerance: float = 0.2) -> str:
    """One path per colour, stacked: layer i covers its colour and every colour above it. A colour
    scan that would be the whole white canvas is dropped (the background is white)."""
    h, w = labels.shape
    order = stack_order(labels, palette)
    parts = []
    for depth, idx in enumerate(order):
        mask = np.isin(labels, order[depth:])
        if depth == 0 and mask.all() and palette[idx].min() >= 250:
            continue
        d, tr = potrace_paths(mask, turdsize, alphamax, opttolerance)
        if d.strip():
            parts.append(f'<g transform="{tr}"><path fill="{_hex(palette[idx])}" d="{d}"/></g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
            + "".join(parts) + "</svg>")


def potrace_grid() -> list[dict]:
    return [{"k": k, "turdsize": t, "alphamax": 1.0, "opttolerance": o}
            for k, t, o in product((2, 3, 4, 6, 8, 12, 16), (2, 10, 40, 160), (0.2, 1.0))]


# ------------------------------------------------------------------------------------ sweeps

CACHE_VERSION = "1"


def _cache_dir() -> str:
    path = os.path.join(tempfile.gettempdir(), "layervec_bench_baselines")
    os.makedirs(path, exist_ok=True)
    return path


def _cache_key(method: str, png_bytes: bytes, grid: list[dict]) -> str:
    h = hashlib.sha1(png_bytes)
    h.update(json.dumps([method, CACHE_VERSION, grid], sort_keys=True).encode())
    return h.hexdigest()[:20]


def sweep(method: str, image_path: str, grid: list[dict] | None = None, cache: bool = True) -> list[dict]:
    """Score every setting of ``method`` ("vtracer" or "potrace") on one image: a list of
    ``{setting, psnr, ssim, paths, nodes, seconds}``. Cached per image (unless ``cache`` is false)."""
    with open(image_path, "rb") as fh:
        png_bytes = fh.read()
    grid = grid if grid is not None else (vtracer_grid() if method == "vtracer" else potrace_grid())
    cache_file = os.path.join(_cache_dir(), f"{method}-{_cache_key(method, png_bytes, grid)}.json")
    if cache and os.path.exists(cache_file):
        with open(cache_file) as fh:
            return json.load(fh)
    target = load_rgb(image_path)
    rows = []
    if method == "vtracer":
        flat_png = png_bytes_of(target)  # the on-white image, as for every method
        for setting in grid:
            t0 = time.perf_counter()
            svg = vtracer_svg(flat_png, setting)
            rows.append({"setting": setting, "seconds": time.perf_counter() - t0, **score_svg(svg, target)})
    elif method == "potrace":
        quantized: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
        for setting in grid:
            k = setting["k"]
            if k not in quantized:
                t0 = time.perf_counter()
                labels, palette = quantize(target, k)
                quantized[k] = (labels, palette, time.perf_counter() - t0)
            labels, palette, q_s = quantized[k]
            t0 = time.perf_counter()
            svg = potrace_stacked_svg(labels, palette, setting["turdsize"], setting["alphamax"],
                                      setting["opttolerance"])
            rows.append({"setting": setting, "seconds": q_s + time.perf_counter() - t0, **score_svg(svg, target)})
    else:
        raise ValueError(f"unknown baseline {method!r}")
    if cache:
        write_atomic(cache_file, json.dumps(rows))
    return rows


def best_within(rows: list[dict], node_budget: int) -> dict | None:
    """The best-PSNR setting whose node count fits the budget (None when none fits)."""
    fits = [r for r in rows if r["nodes"] <= node_budget]
    return max(fits, key=lambda r: (r["psnr"], -r["nodes"])) if fits else None


def build_svg(method: str, image_path: str, setting: dict) -> str:
    """Re-create one setting's SVG (for inspection and tests)."""
    target = load_rgb(image_path)
    if method == "vtracer":
        return vtracer_svg(png_bytes_of(target), setting)
    labels, palette = quantize(target, setting["k"])
    return potrace_stacked_svg(labels, palette, setting["turdsize"], setting["alphamax"], setting["opttolerance"])
