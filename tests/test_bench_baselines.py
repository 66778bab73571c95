"""Baselines of the quality benchmark: real vtracer / potrace SVGs, rendered by resvg, within budget."""

from __future__ import annotations

import os

import pytest

from layervec_ext.bench import QUALITY_IMAGES
from layervec_ext.bench.baselines import best_within, build_svg, count_nodes, load_rgb, sweep
from layervec_ext.core.metrics import psnr, rasterize_svg

IMAGES = str(QUALITY_IMAGES)
LOCK = os.path.normpath(os.path.join(IMAGES, "icons__lock.png"))

VTRACER_GRID = [{"color_precision": cp, "filter_speckle": fs, "layer_difference": 16, "mode": mode,
                 "corner_threshold": 60, "length_threshold": 4.0, "path_precision": 2}
                for cp in (4, 6) for fs in (4, 64) for mode in ("spline", "polygon")]
POTRACE_GRID = [{"k": k, "turdsize": t, "alphamax": 1.0, "opttolerance": 0.2} for k in (3, 6) for t in (2, 40)]


@pytest.mark.parametrize("method, grid", [("vtracer", VTRACER_GRID), ("potrace", POTRACE_GRID)])
def test_best_setting_renders_well_within_budget(method: str, grid: list[dict]) -> None:
    target = load_rgb(LOCK)
    rows = sweep(method, LOCK, grid, cache=False)
    assert len(rows) == len(grid)
    budget = 200
    best = best_within(rows, budget)
    assert best is not None
    svg = build_svg(method, LOCK, best["setting"])
    paths, nodes = count_nodes(svg)
    assert (paths, nodes) == (best["paths"], best["nodes"]) and nodes <= budget
    score = psnr(rasterize_svg(svg, 256, 256), target)
    assert score == pytest.approx(best["psnr"], abs=1e-6)
    assert score > 22.0  # a flat-colour icon: a real trace, not a blank page (~16 dB)
    # the choice is the best that fits: nothing within budget scores higher, a bigger budget never worse
    assert all(r["psnr"] <= best["psnr"] for r in rows if r["nodes"] <= budget)
    assert best_within(rows, 10**6)["psnr"] >= best["psnr"]
    assert best_within(rows, 0) is None


def test_white_page_scores_low() -> None:
    """The PSNR check above can fail: an empty SVG on this icon is far below it."""
    blank = '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"/>'
    assert psnr(rasterize_svg(blank, 256, 256), load_rgb(LOCK)) < 22.0
