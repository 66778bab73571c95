"""The editability report: crossings, degenerate paths and per-layer PSNR, on real SVGs drawn by resvg."""

from __future__ import annotations

import numpy as np

from layervec_ext.bench import editability
from layervec_ext.core.geometry import FLATTEN
from layervec_ext.core.metrics import psnr, rasterize_svg

SQUARE = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
BOW_TIE = np.array([[0, 0], [1, 1], [1, 0], [0, 0.5]], dtype=float)  # two lobes of unequal area


def cubic_path(corners: np.ndarray) -> np.ndarray:
    """Straight cubics through ``corners`` in the scene's point layout."""
    out = []
    for a, b in zip(corners, np.roll(corners, -1, axis=0)):
        out += [a, a + (b - a) / 3, a + 2 * (b - a) / 3]
    return np.asarray(out)


def d_of(corners) -> str:
    return "M " + " L ".join(f"{x} {y}" for x, y in corners) + " Z"


SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
 width="40" height="40" viewBox="0 0 40 40">
<g inkscape:groupmode="layer" inkscape:label="Coarse"><path d="{d_of(SQUARE * 30 + 5)}" fill="#ff0000"/></g>
<g inkscape:groupmode="layer" inkscape:label="Detail 1"><path d="{d_of(BOW_TIE * 20 + 10)}" fill="#0000ff"/>
<path d="M 2 2 L 2.5 2 L 2.5 2.5 Z" fill="#00ff00"/></g>
</svg>"""


def test_crossing_outlines_are_found_and_simple_ones_are_not() -> None:
    assert editability.self_intersects(SQUARE) is False
    assert editability.self_intersects(BOW_TIE) is True
    flower = editability.flatten(cubic_path(SQUARE * 10))
    assert len(flower) == 4 * FLATTEN and editability.self_intersects(flower) is False


def test_degenerate_means_tiny_or_repeated_nodes() -> None:
    assert editability.is_degenerate(cubic_path(SQUARE * 0.5))  # 0.25 px²
    assert not editability.is_degenerate(cubic_path(SQUARE * 10))
    assert editability.is_degenerate(cubic_path(np.array([[0, 0], [10, 0], [10, 0], [0, 10]], dtype=float)))


def test_report_counts_paths_and_scores_each_cumulative_layer() -> None:
    target = rasterize_svg(SVG, 40, 40)
    rep = editability.report(SVG, target)
    assert rep["self_intersecting"] == 1 and rep["degenerate"] == 1 and rep["nodes_per_path"] == 3.67
    bottom = rasterize_svg(editability.keep_bottom_layers(SVG, 1), 40, 40)
    assert rep["layer_psnr"][0] == round(psnr(bottom, target), 2) < 40
    assert rep["layer_psnr"][1] == 100.0 or rep["layer_psnr"][1] > 60  # all layers: the picture itself
    rows = [{"family": "x", "paths_budget": 3, "paths": 3, "edit": rep}]
    table = editability.markdown(rows, ("family", "paths_budget"))
    assert "| x | 3 | 1 | 1 / 3 | 1 | 3.67 |" in table
