"""Fill fitting: a typed fit per kind, which becomes the scene fill the renderer draws as fitted."""

import numpy as np
import pytest
import torch

from layervec_ext.core.render.common import paint_at, paint_params
from layervec_ext.core.scene import FlatFill, LinearGradient, RadialGradient, path
from layervec_ext.core.vectorize import propose
from layervec_ext.core.vectorize.fit import FlatFit, LinearFit, RadialFit, fit_fill
from layervec_ext.core.vectorize.propose import eval_fill, eval_fills


def _grid(n: int = 24) -> np.ndarray:
    ys, xs = np.mgrid[0:n, 0:n]
    return np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], 1).astype(np.float64)


def _ramp(xy: np.ndarray) -> np.ndarray:
    """Opaque premultiplied colours: red rising along x, blue falling."""
    t = xy[:, 0] / 24.0
    return np.stack([t, 0.2 * np.ones_like(t), 1.0 - t, np.ones_like(t)], 1)


def _renderer_colors(fit, xy: np.ndarray) -> np.ndarray:
    """Premultiplied colours the renderer paints with ``fit.to_fill()`` at ``xy`` (float64)."""
    fill = fit.to_fill()
    fill = type(fill)(**{k: v.double() for k, v in fill.tensors().items()})
    p = path([[0, 0]] * 3, fill)
    rgba = paint_at(torch.as_tensor(xy), paint_params(p))
    return torch.cat([rgba[:, :3] * rgba[:, 3:], rgba[:, 3:]], 1).numpy()


@pytest.mark.parametrize("kind, cls, scene_cls", [("flat", FlatFit, FlatFill), ("linear", LinearFit, LinearGradient),
                                                   ("radial", RadialFit, RadialGradient)])
def test_each_kind_fits_its_own_type_and_becomes_that_scene_fill(kind, cls, scene_cls):
    xy = _grid()
    fit = fit_fill(kind, xy, _ramp(xy))
    assert isinstance(fit, cls) and fit.kind == kind and fit.sse >= 0.0
    fill = fit.to_fill()
    assert isinstance(fill, scene_cls)
    for name, value in fit.fields().items():
        assert torch.equal(fill.tensors()[name], torch.as_tensor(value, dtype=torch.float32))


def test_a_fitted_gradient_is_painted_as_the_proposal_scored_it():
    """The proposal's colours of a fit are the renderer's colours of the fill it becomes."""
    xy = _grid()
    for kind in ("linear", "radial"):
        fit = fit_fill(kind, xy, _ramp(xy))
        np.testing.assert_allclose(eval_fill(fit, xy), _renderer_colors(fit, xy), atol=1e-6)
    linear = fit_fill("linear", xy, _ramp(xy))
    assert np.sqrt(np.mean((eval_fill(linear, xy) - _ramp(xy)) ** 2)) < 0.02  # a ramp is a linear gradient


def test_fills_evaluated_a_slice_at_a_time_paint_every_point_as_at_once(monkeypatch):
    """A big region's paint is evaluated a slice of points at a time (its peak memory at 1024²
    was a hundred MiB); slices that cut through one fill and across two give the same colours,
    to the bit, as one evaluation of every point."""
    xy = _grid()
    fits = [fit_fill(kind, xy, _ramp(xy)) for kind in ("linear", "linear", "radial")]
    points = [xy, xy[:100] + 3.0, xy[::-1]]
    whole = eval_fills(fits, points)
    monkeypatch.setattr(propose, "EVAL_POINTS", 7)  # not a divisor of any region's count
    for one, sliced in zip(whole, eval_fills(fits, points)):
        np.testing.assert_array_equal(one, sliced)
    assert [len(p) for p in eval_fills(fits, [xy, xy[:0], xy])] == [len(xy), 0, len(xy)]
    assert eval_fills(fits[2:], [xy[:0]])[0].shape == (0, 4)  # a kind with no point at all


@pytest.mark.parametrize("kind, cls", [("linear", LinearFit), ("radial", RadialFit)])
def test_a_flat_fit_as_a_gradient_paints_the_same_colour(kind, cls):
    xy = _grid()
    flat = FlatFit(np.array([0.2, 0.4, 0.6, 0.5]), 1.5)
    grad = flat.as_kind(kind, xy)
    assert isinstance(grad, cls) and grad.sse == flat.sse
    np.testing.assert_allclose(_renderer_colors(grad, xy), eval_fill(flat, xy), atol=1e-7)
    assert flat.as_kind("flat", xy) is flat
    assert grad.as_kind("flat", xy) is grad  # a gradient is never flattened


def test_fits_are_values():
    fit = FlatFit(np.zeros(4), 0.0)
    with pytest.raises(AttributeError):
        fit.sse = 1.0
