"""The fast renderer's structure stage: its CPU shortcuts give exactly what the plain versions give
(the comparison sort a GPU uses, integer division), so the fragments composite in the right order."""

import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.render import raster
from layervec_ext.core.render.packed import PackedScene


def structure(n_paths: int, size: int, seed: int = 0) -> raster.Structure:
    packed = PackedScene.pack(random_scene(n_paths, size, seed=seed, fills="mixed").detached())
    verts, nxt, owner = raster.flatten_all(packed)
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


def test_each_path_covers_its_fragments_once_inside_its_box_in_row_order():
    for n_paths, size in ((1, 40), (8, 64), (60, 96)):
        packed = PackedScene.pack(random_scene(n_paths, size, seed=n_paths, fills="mixed").detached())
        verts, nxt, owner = raster.flatten_all(packed)
        s = raster.build_structure(verts, nxt, owner, packed.num_paths, size, size)
        start = 0
        for p, n in enumerate(s.counts):
            x, y = s.px[start:start + n] - 0.5, s.py[start:start + n] - 0.5
            start += n
            assert bool((x == x.round()).all() and (y == y.round()).all())
            key = y.long() * size + x.long()
            assert bool((key[1:] > key[:-1]).all())  # distinct pixels, row after row
            mine = verts[owner == p]
            if n:
                assert float(x.min()) >= float(mine[:, 0].min()) - 2 and float(x.max()) <= float(mine[:, 0].max()) + 1
                assert float(y.min()) >= float(mine[:, 1].min()) - 2 and float(y.max()) <= float(mine[:, 1].max()) + 1


def test_the_opposed_edge_of_a_pixel_is_the_one_a_dense_buffer_keeps():
    """The opposed edges are few, so they are kept sparse (sorted keys): per key the edge of the
    smallest distance, the last listed of equals — what writing every pair into a buffer over all
    box pixels keeps; keys without one read -1."""
    gen = torch.Generator().manual_seed(0)
    total = 500
    key = torch.randint(0, total, (2000,), generator=gen)
    d2 = torch.randint(0, 4, (2000,), generator=gen).float() / 4  # many ties
    edge = torch.randint(0, 100, (2000,), generator=gen)
    best = torch.full((total,), float("inf")).scatter_reduce(0, key, d2, "amin")
    win = d2 == best[key]
    dense = torch.full((total,), -1, dtype=torch.long)
    for k, e in zip(key[win].tolist(), edge[win].tolist()):  # one write after another: the last stays
        dense[k] = e
    keys, edges = raster._nearest_per_key(key, d2, edge)
    assert torch.equal(keys, torch.unique(key))
    query = torch.arange(total)
    assert torch.equal(raster._look_up(keys, edges, query), dense)
    empty = torch.zeros(0, dtype=torch.long)
    assert torch.equal(raster._look_up(*raster._nearest_per_key(empty, empty.float(), empty), query),
                       torch.full((total,), -1))
