"""The compiled outline tests (numba) give what the numpy versions give, bit for bit — so the
untangle repair finds the same crossings and regions either way — and its joins of two cubics
the same to rounding (where a rounding tips a choice between joins, a repair may differ)."""

import numpy as np
import pytest

from layervec_ext.core import geometry
from layervec_ext.core.geometry import crossings, flatten
from layervec_ext.core.vectorize.untangle import _winding_mask, join, points_of, segments_of


def outlines(count: int = 60, seed: int = 0):
    """Closed outlines of 3–8 cubics, wild enough to loop and cross, some with coincident points,
    a straight run along a grid line (touches and collinear edges) and a NaN point."""
    rng = np.random.default_rng(seed)
    for n in range(count):
        s = 3 + n % 6
        points = rng.normal(20, 6 + n % 4 * 4, (3 * s, 2))
        if n % 5 == 0:
            points[1] = points[0]  # a handle on its node
        if n % 7 == 0:
            points[:4, 1] = 20.0  # edges along one line
            points[:4, 0] = np.round(points[:4, 0])
        yield segments_of(points)
    square = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [3, 1], [3, 2], [3, 3], [2, 3], [1, 3], [0, 3], [0, 2],
                       [0, 1.0]])
    yield segments_of(square)  # collinear neighbours
    bad = square.copy()
    bad[4] = np.nan
    yield segments_of(bad)


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_crossings_are_numpys_row_for_row(seed):
    found = 0
    for segs in outlines(seed=seed):
        poly = flatten(points_of(segs))
        fast, reference = crossings(poly, compiled=True), crossings(poly, compiled=False)
        assert fast.shape == reference.shape and fast.dtype == reference.dtype
        assert np.array_equal(fast, reference, equal_nan=True)
        found += len(reference)
    assert found > 100  # the outlines do cross


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_winding_masks_are_numpys(seed):
    filled = 0
    for segs in outlines(seed=seed):
        pts = points_of(segs)
        if not np.isfinite(pts).all():
            continue
        lo, hi = np.nanmin(pts, 0) - 2, np.nanmax(pts, 0) + 2
        for cells in (7, 40, 96):
            step = float(max(hi - lo)) / cells
            grid = (float(lo[0]), float(lo[1]), step, int(np.ceil((hi[0] - lo[0]) / step)),
                    int(np.ceil((hi[1] - lo[1]) / step)))
            fast, reference = _winding_mask(segs, *grid, compiled=True), _winding_mask(segs, *grid, compiled=False)
            assert fast.shape == reference.shape and np.array_equal(fast, reference)
            filled += int(reference.sum())
    assert filled > 10000


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_flattening_is_numpys(seed):
    for segs in outlines(seed=seed):
        pts = points_of(segs)
        for k in (4, 16):
            fast, reference = flatten(pts, k, compiled=True), flatten(pts, k, compiled=False)
            assert fast.shape == reference.shape == (len(segs) * k, 2)
            assert np.array_equal(fast, reference, equal_nan=True)


def test_compiled_joins_are_numpys_to_rounding():
    rng = np.random.default_rng(3)
    for n in range(400):
        a, b = rng.normal(50, 20, (4, 2)), rng.normal(50, 20, (4, 2))
        b[0] = a[3]
        if n % 5 == 0:
            a[1] = a[0]  # no arm at the start: the tangent from the next control point
        if n % 7 == 0:
            b[2] = b[3]
        if n % 11 == 0:  # all on one spot
            a[:], b[:] = a[0], a[0]
        fast, reference = join(a, b, compiled=True), join(a, b, compiled=False)
        assert np.allclose(fast, reference, rtol=1e-12, atol=1e-9)


def test_numba_compiles_the_outline_tests_here():
    assert geometry.compiled_loops() is not None  # numba is a dependency of the backend
