"""``python -m layervec_ext.bench refine``: how far refine brings edited paths back, and what it adds.

For each picture: LayerVec's own result (``--paths``), the same edited the way an artist edits
(:func:`edit_document`: paths moved, gradients recoloured), that edit refined (``--preset``),
refined with ``--add-paths``; and potrace's stacked colour scans, what Inkscape's Trace Bitmap
makes (:func:`traced_stack`), before and after refining, at the same node count. PSNR is the SVG drawn
by resvg over the bitmap on white, as in ``bench quality``; seconds are the whole ``layervec
refine`` command. The README's refine table is this command's output.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from lxml import etree

from layervec_ext.bench.baselines import count_nodes, load_rgb, potrace_stacked_svg, quantize, score_svg
from layervec_ext.core.metrics import rasterize_svg

HERE = Path(__file__).resolve().parent
DEFAULT_IMAGES = [HERE.parent / "samples" / "smiley.png", HERE / "images" / "quality" / "noto__crown.png",
                  HERE / "images" / "quality" / "fluent__snail.png", HERE / "images" / "quality" / "photo__coffee.png"]
SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def score(svg: str | bytes, target: np.ndarray) -> float:
    """PSNR (dB) of the SVG drawn by resvg on white against ``target`` (:func:`load_rgb`);
    ``<image>``s are left out (the paths are scored, not the bitmap under them)."""
    text = svg.decode() if isinstance(svg, bytes) else svg
    return score_svg(re.sub(r"<image\b[^>]*/>", "", text), target)["psnr"]


def shifted(d: str, dx: float, dy: float) -> str:
    """Path data with absolute coordinates only (LayerVec's ``M``/``C``) moved by ``(dx, dy)``."""
    count = iter(range(10**9))
    return NUMBER.sub(lambda m: f"{float(m.group()) + (dx if next(count) % 2 == 0 else dy):.3f}", d)


def edit_document(svg: str, recolour: str = "#3060c0") -> str:
    """An artist's edit of LayerVec's SVG: every other path (not the first) moved 6–9 px, every
    third one's fill (its gradient's stops, or its flat colour) made ``recolour``."""
    root = etree.fromstring(svg.encode())
    for k, p in enumerate(root.findall(f".//{SVG}path")[1:], start=1):
        if k % 2 == 0:
            p.set("d", shifted(p.get("d"), 6.0 + k % 4, -7.0 + k % 3))
        if k % 3 == 1:
            ref = re.search(r"url\(#([^)]+)\)", p.get("fill", ""))
            if ref:
                for stop in root.xpath(f'//*[@id="{ref.group(1)}"]/*'):
                    stop.set("stop-color", recolour)
            else:
                p.set("fill", recolour)
    return etree.tostring(root, encoding="unicode")


def traced_stack(image: np.ndarray, href: str, colors: int = 4, turdsize: int = 10) -> tuple[str, int]:
    """What Inkscape's Trace Bitmap (multiple colour scans, stacked) makes of ``image`` (RGB on
    white, :func:`load_rgb`): potrace's flat-colour paths with holes, under its own transforms, in
    a group ``<g id="trace">`` over an ``<image id="bitmap">`` of the picture (``href``) — and its
    node count. The same tracer ``bench quality`` compares with; refine it against the picture on
    white (:func:`opaque_png`), the bitmap it traced."""
    labels, palette = quantize(image, colors)
    stacked = potrace_stacked_svg(labels, palette, turdsize)
    h, w = image.shape[:2]
    body = stacked.split(">", 1)[1].rsplit("</svg>", 1)[0]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
           f'<image id="bitmap" x="0" y="0" width="{w}" height="{h}" xlink:href="{href}"/>'
           f'<g id="trace">{body}</g></svg>')
    return svg, node_count(stacked)


def opaque_png(rgb: np.ndarray, path: Path) -> Path:
    """The picture on white as an opaque PNG: what a tracer of it (and refining its trace) sees."""
    from PIL import Image

    Image.fromarray(rgb).save(path)
    return path


def node_count(svg: str) -> int:
    """Bézier segments of every path, counted as ``bench quality`` counts them."""
    return count_nodes(svg)[1]


def run_refine(src: str, out: Path, image: Path, *extra: str) -> tuple[str, float]:
    """The ``layervec refine`` command as a user runs it; its SVG and whole-command seconds."""
    doc = out.with_suffix(".in.svg")
    doc.write_text(src)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "layervec_ext", "refine", str(doc), "--image", str(image), "-o", str(out),
                    "--quiet", *extra], check=True)
    return out.read_text(), time.perf_counter() - start


def measure(image_path: Path, paths: int, preset: str, add: int, folder: Path) -> dict:
    image = load_rgb(str(image_path))
    vec = folder / f"{image_path.stem}.svg"
    subprocess.run([sys.executable, "-m", "layervec_ext", str(image_path), "-o", str(vec), "--paths", str(paths),
                    "--quiet"], check=True)
    original = vec.read_text()
    edited = edit_document(original)
    refined, seconds = run_refine(edited, folder / "refined.svg", image_path, "--preset", preset)
    more, more_seconds = run_refine(edited, folder / "more.svg", image_path, "--preset", preset,
                                    "--add-paths", str(add))
    opaque = opaque_png(image, folder / f"{image_path.stem}.on-white.png")
    stack, _ = traced_stack(image, opaque.as_uri())
    traced, traced_seconds = run_refine(stack, folder / "traced.svg", opaque, "--preset", preset,
                                        "--image-id", "bitmap", "--select", "trace")
    svgs = {"original": original, "edited": edited, "refined": refined}
    return {"svgs": svgs, "image": image_path.name, "original": score(original, image), "edited": score(edited, image),
            "refined": score(refined, image), "seconds": seconds, "added": score(more, image),
            "added_seconds": more_seconds, "traced": score(stack, image), "traced_refined": score(traced, image),
            "traced_nodes": node_count(stack), "traced_refined_nodes": node_count(traced),
            "traced_seconds": traced_seconds}


def figure(image_path: Path, row: dict, path: Path) -> None:
    """The bitmap, LayerVec's result, the artist's edit and its refinement side by side, each with
    its PSNR: the README's picture of what refine does."""
    from PIL import Image, ImageDraw

    target = load_rgb(str(image_path))
    h, w = target.shape[:2]
    tiles = [(target, "bitmap")] + [(rasterize_svg(row["svgs"][k], w, h), f"{label}: {row[k]:.1f} dB")
                                    for k, label in (("original", "LayerVec"), ("edited", "edited"),
                                                     ("refined", "refined"))]
    out = Image.new("RGB", (len(tiles) * (w + 10) - 10, h + 24), "white")
    draw = ImageDraw.Draw(out)
    for k, (tile, label) in enumerate(tiles):
        out.paste(Image.fromarray(np.asarray(tile, dtype=np.uint8)), (k * (w + 10), 0))
        draw.text((k * (w + 10) + 4, h + 6), label, fill="black")
    out.save(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m layervec_ext.bench refine", description=__doc__.splitlines()[0])
    p.add_argument("images", nargs="*", type=Path, help="pictures (default: the smiley and three of bench quality)")
    p.add_argument("--paths", type=int, default=16, help="paths of the vectorized result (default %(default)s)")
    p.add_argument("--preset", default="balanced", help="refine's preset (default %(default)s)")
    p.add_argument("--add", type=int, default=8, help="--add-paths of the second refine (default %(default)s)")
    p.add_argument("--json", action="store_true", help="one JSON object per picture instead of the table")
    p.add_argument("--figure", type=Path, help="also draw the first picture's bitmap, result, edit and refinement "
                   "into this PNG")
    args = p.parse_args(argv)
    missing = [str(image) for image in args.images if not image.is_file()]
    if missing:
        p.error(f"no such picture: {', '.join(missing)}")  # one line and exit code 2, before any work
    rows = []
    with tempfile.TemporaryDirectory(prefix="layervec-bench-refine-") as tmp:
        images = args.images or DEFAULT_IMAGES
        for image in images:
            rows.append(measure(image, args.paths, args.preset, args.add, Path(tmp)))
            if args.figure is not None and len(rows) == 1:
                figure(image, rows[0], args.figure)
            if args.json:
                print(json.dumps({k: v for k, v in rows[-1].items() if k != "svgs"}), flush=True)
    if not args.json:
        print(f"| picture | original {args.paths} paths | edited | refined (s) | +{args.add} paths (s) "
              "| traced stack → refined (nodes) |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['image']} | {r['original']:.1f} | {r['edited']:.1f} | {r['refined']:.1f} ({r['seconds']:.1f}) "
                  f"| {r['added']:.1f} ({r['added_seconds']:.1f}) | {r['traced']:.1f} → {r['traced_refined']:.1f} "
                  f"({r['traced_nodes']} → {r['traced_refined_nodes']}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
