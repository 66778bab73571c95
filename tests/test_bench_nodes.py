"""count_nodes: the one node counter every method in the quality benchmark is measured with."""

from __future__ import annotations

import pytest

from layervec_ext.bench.baselines import count_nodes, count_segments


@pytest.mark.parametrize("d, segments", [
    ("M0 0 L10 0 L10 10 Z", 3),                     # closing line from (10,10) back to (0,0) counts
    ("M0 0 L10 0 L10 10 L0 0 Z", 3),                # Z already at the start: degenerate, not counted
    ("m5 5 l10 0 l0 10 z", 3),                      # relative
    ("M0 0 H10 V10 H0 Z", 4),                       # H/V absolute, Z closes (0,10) → (0,0)
    ("M0 0 h10 v10 h-10 v-10 z", 4),                # relative H/V, Z degenerate
    ("M0 0 C1 1 2 2 3 3 S5 5 6 6 Z", 3),
    ("M0 0 c1 1 2 2 3 3 4 4 5 5 6 6 z", 3),         # repeated argument groups: two cubics
    ("M0 0 Q5 5 10 0 T20 0 z", 3),
    ("M0 0 q5 5 10 0 t10 0 10 0 z", 4),
    ("M0 0 10 0 10 10z", 3),                        # implicit line-tos after M
    ("M0 0L.5.5-1e1 2e0Z", 3),                      # packed numbers, exponents
    ("M0 0 a5 5 0 1110 0z", 2),                     # compact arc flags
    ("M0 0 L1 0 L1 1 Z M5 5 l1 0 l0 1 z", 6),       # two subpaths
    ("M0 0 L10 0 L10 10 Z m10 0 L20 0 L10 0 z", 2 + 3),  # after Z, m is relative to the subpath start
    ("M3 3", 0),
])
def test_segments_per_command(d: str, segments: int) -> None:
    assert count_segments(d) == segments


def test_svg_document_paths_and_segments() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g><path fill="red" d="M0 0 L1 0 L1 1 Z"/>'
           "<path id='b' d='M0 0 C1 0 1 1 0 1 C-1 1 -1 0 0 0 Z' fill='blue'/></g><rect width='3' height='3'/></svg>")
    assert count_nodes(svg) == (2, 3 + 2)


def test_our_closed_cubic_path_is_four_nodes() -> None:
    """A 4-cubic closed path as our writer emits it: 4 nodes, its Z adds none."""
    from layervec_ext.core.scene import Scene, circle_points, flat, path
    from layervec_ext.core.svg.write import scene_to_svg

    scene = Scene(64, 64)
    scene.add(path(circle_points(32.0, 32.0, 20.0), flat([1.0, 0.0, 0.0, 1.0])))
    scene.add(path(circle_points(20.0, 20.0, 8.0), flat([0.0, 0.0, 1.0, 1.0])))
    assert count_nodes(scene_to_svg(scene)) == (2, 8)


def test_potrace_output_counted() -> None:
    """potrace's relative c/l data with a closing z: every curve and line counts."""
    import numpy as np

    from layervec_ext.bench.baselines import potrace_paths

    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    d, transform = potrace_paths(mask, turdsize=2, alphamax=0.0, opttolerance=0.2)
    assert "scale" in transform
    # alphamax 0: all corners; potrace writes each corner as two lines meeting at it, from and to
    # the sides' midpoints, so a square is 8 line segments (its z lands on the start: no extra)
    assert count_segments(d) == 8


@pytest.mark.parametrize("d", ["M0 0 L10 0 x L10 10 Z", "M0 0 L10", "M0 0 a5 5 0 2 1 10 0"])
def test_data_the_reader_refuses_is_not_counted(d: str) -> None:
    """One tokenizer: the counter once skipped what it could not read ("x", an arc flag 2)."""
    from layervec_ext.core.svg.pathdata import PathDataError, parse_path

    with pytest.raises(PathDataError):
        parse_path(d)
    with pytest.raises(PathDataError):
        count_segments(d)
