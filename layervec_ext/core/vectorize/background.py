"""The background decision: a transparent border gets nothing (no invented background); an opaque
one gets a full-canvas path in the bottom layer — flat when the border is one colour, otherwise a
gradient fitted to the whole image (the coarsest possible picture of a photo)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from layervec_ext.core.vectorize.fit import FillFit, fit_fill, fit_flat


def border_pixels(target: np.ndarray) -> np.ndarray:
    h, w = target.shape[:2]
    if h <= 2 or w <= 2:
        return target.reshape(-1, target.shape[2])
    return np.concatenate([target[0], target[-1], target[1:-1, 0], target[1:-1, -1]])


def decide_background(target: np.ndarray, fill_kind: str, transparent_alpha: float, uniform_rms: float,
                      stops: int) -> FillFit | None:
    """The background fill for premultiplied ``target (h, w, 4)``, or ``None`` for no background:
    a border with median alpha below ``transparent_alpha`` is transparent, one whose colours spread
    less than ``uniform_rms`` is one colour."""
    border = border_pixels(target)
    if float(np.median(border[:, 3])) < transparent_alpha:
        return None
    mean = border.mean(0)
    if float(np.sqrt(np.mean(np.sum((border - mean) ** 2, axis=1)))) < uniform_rms:
        # One colour: the fill of the border pixels, but fitted by their median (robust to a touching shape)
        return replace(fit_flat(border), color=np.clip(np.median(border, axis=0), 0.0, 1.0))
    h, w = target.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    xy = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1).astype(np.float64)
    return fit_fill(fill_kind, xy, target.reshape(-1, target.shape[2]).astype(np.float64), stops)
