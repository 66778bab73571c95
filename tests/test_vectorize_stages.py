"""Unit tests of the vectorizer's stages: the hierarchy, the proposal, the clean-up and our Adam."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from layervec_ext.core.render.packed import PackedScene
from layervec_ext.core.render.raster import render_packed
from layervec_ext.core.scene import Path, Scene, circle_points, flat
from layervec_ext.core.vectorize.cleanup import drop_useless
from layervec_ext.core.vectorize.optimize import Adam
from layervec_ext.core.vectorize.propose import Candidates, _Candidate, _greedy, propose
from layervec_ext.core.vectorize.segment import build_hierarchy
from layervec_ext.core.vectorize.settings import Settings

pytestmark = pytest.mark.usefixtures("one_thread")


def two_discs(size: int = 64) -> np.ndarray:
    """Premultiplied RGBA floats: white, a red disc shaded left to right, a small blue disc."""
    y, x = np.mgrid[0:size, 0:size] + 0.5
    img = np.ones((size, size, 4))
    red = (x - 24) ** 2 + (y - 32) ** 2 < 16**2
    img[red, :3] = np.stack([0.5 + 0.4 * x[red] / size, 0.1 * np.ones(red.sum()), 0.1 * np.ones(red.sum())], 1)
    blue = (x - 50) ** 2 + (y - 14) ** 2 < 6**2
    img[blue, :3] = (0.1, 0.2, 0.9)
    return img


def test_hierarchy_cuts_keep_a_smooth_gradient_in_one_region_and_nest() -> None:
    target = two_discs()
    h = build_hierarchy(target)
    three = h.partition(3)
    assert len(np.unique(three)) == 3  # background, the shaded disc, the small disc
    y, x = np.mgrid[0:64, 0:64] + 0.5
    inside = (x - 24) ** 2 + (y - 32) ** 2 < 14**2
    assert len(np.unique(three[inside])) == 1  # its shading is one smooth colour model, not cut
    finer = h.partition(6)
    for region in np.unique(finer):  # each finer region lies within one coarser region
        assert len(np.unique(three[finer == region])) == 1
    assert len(np.unique(h.partition(1))) == 1


def test_a_big_image_is_segmented_on_a_smaller_copy_and_partitioned_at_its_own_size() -> None:
    target = two_discs(128)
    h = build_hierarchy(target, most=64)
    assert h.labels.shape == (64, 64)
    three = h.partition(3)
    assert three.shape == (128, 128) and len(np.unique(three)) == 3
    blocks = three.reshape(64, 2, 64, 2)
    assert (blocks == blocks[:, :1, :, :1]).all()  # each copy pixel's label on its 2 × 2 pixels
    y, x = np.mgrid[0:128, 0:128] + 0.5
    red = (x - 24) ** 2 + (y - 32) ** 2 < 16**2
    blue = (x - 50) ** 2 + (y - 14) ** 2 < 6**2
    for disc in (red, blue):  # each disc is one region, the background another (up to its edge pixels)
        core = three[disc & ~ndimage_edge(disc)]
        assert len(np.unique(core)) == 1 and np.mean(three[~disc] == np.unique(core)[0]) < 0.01


def ndimage_edge(mask: np.ndarray) -> np.ndarray:
    return mask & ~ndimage.binary_erosion(mask, iterations=2)


def test_proposal_picks_the_regions_that_remove_most_error_first() -> None:
    target = two_discs()
    canvas = np.zeros_like(target)
    canvas[..., :] = 1.0  # a white canvas: only the discs are wrong
    labels = build_hierarchy(target).partition(3)
    chosen = propose(Candidates(target, "radial", 6, 0.25, 3), canvas, [labels], 2)
    assert len(chosen) == 2
    areas = [int(p.mask.sum()) for p in chosen]
    assert areas[0] > areas[1] and chosen[0].gain > chosen[1].gain > 0  # the big disc first


def test_candidates_kept_from_a_coarser_stage_propose_what_fresh_ones_do() -> None:
    """Stages share a picture's candidates (the hierarchy's cuts share regions): a finer stage's
    proposals must be those a fresh fit of its regions gives, and a shared region is fitted once."""
    target = two_discs()
    canvas = np.full_like(target, 0.5)
    hierarchy = build_hierarchy(target)
    coarse, fine = [hierarchy.partition(k) for k in (2, 3)], [hierarchy.partition(k) for k in (3, 6, 12)]
    shared = Candidates(target, "radial", 6, 0.25, 3, stride=2)
    propose(shared, canvas, coarse, 2)
    fitted = {id(r.fitted) for r in shared.of(coarse) if r.fitted is not None}
    reused = propose(shared, canvas, fine, 4)
    fresh = propose(Candidates(target, "radial", 6, 0.25, 3, stride=2), canvas, fine, 4)
    assert len(reused) == len(fresh) == 4
    for a, b in zip(reused, fresh):
        assert a.box == b.box and a.gain == b.gain and np.array_equal(a.mask, b.mask)
        assert all(np.array_equal(u, v) for u, v in zip(a.fill.fields().values(), b.fill.fields().values()))
    assert fitted & {id(r.fitted) for r in shared.of(fine)}  # the regions both stages list were not fitted again


def _slow_greedy(cands: list[_Candidate], canvas: np.ndarray, count: int) -> list[tuple]:
    """The definition: every candidate re-scored on the whole canvas before each pick."""
    picks, work, left = [], canvas.copy(), list(cands)
    for _ in range(count):
        gains = [c.gain(work) for c in left]
        k = int(np.argmax(gains))
        picks.append((left[k].box, gains[k]))
        left[k].paint(work)
        left.pop(k)
    return picks


def test_greedy_picks_what_rescoring_every_fitted_candidate_picks_fitting_few() -> None:
    """The greedy re-scores a candidate only on the pixels the pick painted, and fits a region
    only once its gain could beat the best fitted one: it must pick what fitting every region and
    re-scoring each on the whole canvas picks, with the same gains — having fitted fewer regions."""
    target = two_discs(128)
    canvas = np.ones_like(target) * 0.5
    canvas[:, 80:] = target[:, 80:]  # the right part, plain white, already right: nothing to fit there
    parts = [build_hierarchy(target).partition(k) for k in (3, 6, 12, 24, 48, 96)]
    flat_canvas = canvas.reshape(-1, 4)
    lazy = Candidates(target, "radial", 6, 0.25, 3)
    listed = lazy.of(parts)
    fast = _greedy(lazy, listed, flat_canvas.copy(), 5)
    every = Candidates(target, "radial", 6, 0.25, 3)
    every.fit(every.of(parts))
    slow = _slow_greedy([r.fitted for r in every.of(parts)], flat_canvas, 5)
    assert [p.box for p in fast] == [b for b, _ in slow]
    assert [p.gain for p in fast] == pytest.approx([g for _, g in slow], rel=1e-9, abs=1e-9)
    fitted = sum(r.fitted is not None for r in listed)
    assert 5 <= fitted < len(listed)


class _Counting(Candidates):
    """Candidates that record how many regions each fit made."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.batches: list[int] = []

    def fit(self, unfitted) -> None:
        self.batches.append(len(unfitted))
        super().fit(unfitted)


def test_a_region_fitted_late_gets_the_gain_the_earlier_picks_left_it() -> None:
    """A region fitted after some picks must score as if fitted from the start and brought up to
    date pick by pick: the same picks, with the same gains to the bit, as fitting every region
    before the first pick."""
    target = two_discs(128)
    canvas = (np.ones_like(target) * 0.5).reshape(-1, 4)
    parts = [build_hierarchy(target).partition(k) for k in (3, 6, 12, 24, 48, 96)]
    eager = Candidates(target, "radial", 6, 0.25, 3)
    eager.fit(eager.of(parts))
    lazy = _Counting(target, "radial", 6, 0.25, 3)
    a = _greedy(eager, eager.of(parts), canvas.copy(), 12)
    b = _greedy(lazy, lazy.of(parts), canvas.copy(), 12)
    assert len(a) == 12 and [(p.box, p.gain) for p in a] == [(p.box, p.gain) for p in b]
    assert len(lazy.batches) > 1  # some regions were fitted after the first picks


def test_clean_up_drops_a_duplicate_and_a_hidden_path_but_keeps_the_rest() -> None:
    def disc(cx, cy, r, color):
        return Path(circle_points(cx, cy, r, 4), flat(color))

    red, blue = [0.9, 0.1, 0.1, 1.0], [0.1, 0.2, 0.9, 1.0]
    with torch.no_grad():  # the picture: one red and one blue disc
        target = render_packed(PackedScene.pack(Scene(64, 64, [disc(24, 32, 16, red), disc(50, 14, 6, blue)])))
    # the scene draws each disc twice (a doubled edge is a worse edge), and a green disc under the second red
    scene = Scene(64, 64, [disc(24, 32, 16, red), disc(50, 14, 6, blue), disc(50, 14, 6, blue),
                           disc(24, 32, 3, [0.1, 0.9, 0.1, 1.0]), disc(24, 32, 16, red)])
    kept = drop_useless(scene, target, Settings())
    assert 3 not in kept  # hidden
    assert len([i for i in kept if i in (0, 4)]) == 1  # one red: never both dropped in one round
    assert len([i for i in kept if i in (1, 2)]) == 1
    assert drop_useless(Scene(64, 64, [disc(24, 32, 16, red), disc(50, 14, 6, blue)]), target, Settings()) == [0, 1]


def test_our_adam_takes_the_steps_torch_adam_takes() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.randn(5, 2, generator=g).requires_grad_()
    b = torch.randn(7, generator=g).requires_grad_()
    a2, b2 = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    ours = Adam([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.01}])
    theirs = torch.optim.Adam([{"params": [a2], "lr": 0.1}, {"params": [b2], "lr": 0.01}])
    for step in range(25):
        for opt, (x, y) in ((ours, (a, b)), (theirs, (a2, b2))):
            opt.zero_grad()
            loss = ((x - 1) ** 2).sum() * (1 + step % 3) + (torch.sin(y) * y).sum()
            loss.backward()
            opt.step()
    assert torch.allclose(a, a2, atol=1e-6) and torch.allclose(b, b2, atol=1e-6)
    assert not torch.allclose(a, a.new_zeros(()))  # it moved
