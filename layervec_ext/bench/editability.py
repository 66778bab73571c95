"""What an artist editing the result would notice, measured on the SVG itself.

* **Self-intersecting paths**: the outline, flattened finely, is not a simple closed curve (two of
  its edges that do not share an end cross) — a bow-tie the artist sees on selecting the path, and
  a shape that fills differently under the nonzero and even-odd rules.
* **Degenerate paths**: less than 1 px² of area, or two coincident nodes in a row.
* **PSNR per cumulative layer**: the picture with only the bottom 1, 2, … layers shown, scored
  like the whole picture — hiding the upper layers should leave a clean, coarser picture, and each
  layer shown should add to it.
* **Nodes per path**: Bézier segments per path, on average.
"""

from __future__ import annotations

import numpy as np
from lxml import etree

from layervec_ext.core.geometry import flatten, self_intersects, signed_area
from layervec_ext.core.svg.read import svg_to_scene

INKSCAPE = "http://www.inkscape.org/namespaces/inkscape"


def is_degenerate(points: np.ndarray, min_area: float = 1.0) -> bool:
    """Less than ``min_area`` px² inside, or two consecutive nodes on the same spot."""
    nodes = points[0::3]
    same = np.linalg.norm(nodes - np.roll(nodes, -1, axis=0), axis=1) < 1e-6
    return abs(float(signed_area(flatten(points)))) < min_area or bool(same.any())


def keep_bottom_layers(svg: str, k: int) -> str:
    """The SVG with only its bottom ``k`` layers (``inkscape:groupmode="layer"`` groups, in
    document order) left in."""
    root = etree.fromstring(svg.encode("utf-8"))
    layers = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get(f"{{{INKSCAPE}}}groupmode") == "layer"]
    for g in layers[k:]:
        g.getparent().remove(g)
    return etree.tostring(root, encoding="unicode")


def layer_count(svg: str) -> int:
    root = etree.fromstring(svg.encode("utf-8"))
    return sum(1 for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get(f"{{{INKSCAPE}}}groupmode") == "layer")


def report(svg: str, target: np.ndarray) -> dict:
    """The editability figures of ``svg`` against the RGB picture ``target (H, W, 3)``."""
    from layervec_ext.core.metrics import psnr, rasterize_svg

    h, w = target.shape[:2]
    scene = svg_to_scene(svg)
    outlines = [p.points.detach().cpu().double().numpy() for p in scene.paths]
    crossing = sum(self_intersects(flatten(pts)) for pts in outlines)
    degenerate = sum(is_degenerate(pts) for pts in outlines)
    layers = layer_count(svg)
    cumulative = [round(psnr(rasterize_svg(keep_bottom_layers(svg, k), w, h), target), 2) for k in range(1, layers + 1)]
    nodes = sum(len(pts) // 3 for pts in outlines)
    return {"self_intersecting": int(crossing), "degenerate": int(degenerate), "layer_psnr": cumulative,
            "nodes_per_path": round(nodes / max(len(outlines), 1), 2)}


def markdown(rows: list[dict], key: tuple[str, ...]) -> str:
    """One table row per ``key`` group (e.g. family and budget) of rows that carry an ``edit``
    report: self-intersecting and degenerate paths of all paths, nodes per path, mean PSNR with the
    bottom 1, 2, … layers shown, and the smallest gain of showing one more layer on any picture."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if r.get("edit"):
            groups.setdefault(tuple(r[k] for k in key), []).append(r)
    lines = ["| " + " | ".join(key) + " | pictures | self-intersecting / paths | degenerate | nodes per path | "
             "PSNR, bottom 1 / 2 / … layers | smallest gain of a layer |",
             "|" + "---|" * (len(key) + 6)]
    for k, rs in groups.items():
        edits = [r["edit"] for r in rs]
        paths = sum(r["paths"] for r in rs)
        depth = max(len(e["layer_psnr"]) for e in edits)
        means = []
        for i in range(depth):
            vals = [e["layer_psnr"][i] for e in edits if len(e["layer_psnr"]) > i]
            means.append(f"{sum(vals) / len(vals):.1f}")
        gains = [b - a for e in edits for a, b in zip(e["layer_psnr"], e["layer_psnr"][1:])]
        least = f"{min(gains):.2f} dB" if gains else "—"
        lines.append(f"| {' | '.join(str(v) for v in k)} | {len(rs)} | {sum(e['self_intersecting'] for e in edits)} / "
                     f"{paths} | {sum(e['degenerate'] for e in edits)} | "
                     f"{sum(e['nodes_per_path'] for e in edits) / len(edits):.2f} | {' / '.join(means)} | {least} |")
    return "\n".join(lines)
