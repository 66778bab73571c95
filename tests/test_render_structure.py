"""The fast renderer's structure stage: its CPU shortcuts give exactly what the plain versions give
(the comparison sort a GPU uses, integer division), so the fragments composite in the right order."""

import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.render import raster
from layervec_ext.core.render.packed import PackedScene


def structure(n_paths: int, size: int, seed: int = 0) -> raster.Structure:
    packed = PackedScene.pack(random_scene(n_paths, size, seed=seed, fills="mixed").detached())
    verts, nxt, owner = raster.flatten_all(packed, raster.DEFAULT_K)
    return raster.build_structure(verts, nxt, owner, packed.num_paths, size, size)


def test_counting_sort_orders_fragments_like_a_stable_sort():
    for n_paths, size in ((1, 40), (8, 64), (60, 96)):
        s = structure(n_paths, size, seed=n_paths)
        pixel = (s.py.long() * size + s.px.long())
        expected_pixel, expected_order = torch.sort(pixel, stable=True)
        assert torch.equal(s.order, expected_order)
        assert torch.equal(s.pixel, expected_pixel)
        assert torch.equal(s.inverse[s.order], torch.arange(pixel.shape[0]))
        _, per_pixel = torch.unique_consecutive(expected_pixel, return_counts=True)
        ends = torch.cumsum(per_pixel, 0)
        assert torch.equal(s.first, torch.repeat_interleave(ends - per_pixel, per_pixel))
        assert torch.equal(s.last, torch.repeat_interleave(ends - 1, per_pixel))
        # the branch a GPU takes gives the same arrays
        by_sort = raster._order_by_sort(pixel, size * size)
        by_counting = raster._order_by_counting(pixel, s.counts, size * size)
        assert torch.equal(by_sort[0], s.order) and torch.equal(by_sort[1], s.inverse)
        for got, want in zip(by_sort, by_counting):
            assert torch.equal(got, want)
        assert torch.equal(by_sort[2], torch.bincount(pixel, minlength=size * size))


def test_overlapping_paths_composite_back_to_front():
    s = structure(60, 96, seed=3)
    same_pixel = s.pixel[1:] == s.pixel[:-1]
    assert same_pixel.any()  # the scene does overlap
    # within a pixel, fragments follow draw order: path-major index increases
    assert bool((s.order[1:][same_pixel] > s.order[:-1][same_pixel]).all())


def test_row_split_is_exact_for_every_stride_up_to_huge_boxes():
    """Boxes of up to 4 million rows and 2³⁰ pixels (the float32 quotient is then off by one at
    most, which the split corrects)."""
    g = torch.Generator().manual_seed(0)
    for stride_max in (2, 300, 5000, 40000):
        stride = torch.randint(1, stride_max + 1, (20000,), generator=g)
        rows = torch.randint(0, min(2**22, 2**30 // stride_max), (20000,), generator=g)
        col = (torch.rand(20000, generator=g) * stride).long()
        local = rows * stride + col
        got_col, got_row = raster._box_xy(local, stride)
        assert torch.equal(got_row, local // stride)
        assert torch.equal(got_col, local % stride)


def test_row_split_near_two_to_the_31_pixels():
    local, stride = torch.tensor([2147393688, 2**31 - 1]), torch.tensor([322545, 46341])
    col, row = raster._box_xy(local, stride)
    assert torch.equal(row, local // stride)
    assert torch.equal(col, local % stride)
