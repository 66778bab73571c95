"""The optional pydiffvg adapter: a clear message where pydiffvg is missing, the same picture
as ours where it is installed."""

import sys

import pytest
import torch

from layervec_ext.bench.render import random_scene
from layervec_ext.core.metrics import psnr
from layervec_ext.core.render import composite, render


def test_missing_pydiffvg_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydiffvg", None)  # what `import pydiffvg` sees when it is absent
    scene = random_scene(2, 32, seed=0)
    with pytest.raises(RuntimeError) as info:
        render(scene, renderer="diffvg")
    message = str(info.value)
    assert message.startswith("pydiffvg is not installed:") and "\n" not in message


def test_unknown_renderer_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown renderer 'cairo'"):
        render(random_scene(1, 16), renderer="cairo")


def test_diffvg_draws_what_we_draw():
    pytest.importorskip("pydiffvg", reason="pydiffvg (optional, built from source) is not installed here")
    scene = random_scene(16, 128, seed=4, fills="mixed")
    for p in scene.paths:  # diffvg's radial gradients are axis-aligned
        if p.fill.kind == "radial":
            p.fill.angle = torch.zeros(())
    ours = composite(render(scene)).numpy() * 255
    theirs = composite(render(scene, renderer="diffvg")).numpy() * 255
    assert psnr(ours, theirs) >= 35.0
