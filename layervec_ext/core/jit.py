"""Where the compiled loops (numba) run: one place that loads a module of them, or says it can't.

Each module of loops has a PyTorch or numpy version beside it that gives the same results (tested
against each other), so a caller that gets None here runs that version: numba missing (Inkscape's
own Python imports some of the same geometry) or unable to compile on this platform.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

# Every module of compiled loops; each has ``warm_up()``, which compiles its loops for the argument
# types their callers pass (or loads them from numba's disk cache, in ``__pycache__``).
MODULES = (
    "layervec_ext.core.render.compiled",
    "layervec_ext.core.render.compiled_band",
    "layervec_ext.core.render.compiled_shade",
    "layervec_ext.core.compiled_geometry",
    "layervec_ext.core.vectorize.compiled_loss",
)


def loops_for(module: str, *tensors) -> ModuleType | None:
    """:func:`loops` where they can take ``tensors``: float32 on the CPU (what the loops are
    written for); else None."""
    import torch  # here, not above: Inkscape's Python imports geometry, which asks loops() alone

    if not all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors):
        return None
    return loops(module)


def arrays(*tensors) -> list:
    """CPU tensors as contiguous numpy arrays (memory shared where they already are), as the
    loops take them."""
    return [t.detach().contiguous().numpy() for t in tensors]


@cache
def loops(module: str) -> ModuleType | None:
    """The module of compiled loops ``module`` (one of :data:`MODULES`), warmed up; None where
    it cannot run."""
    try:
        loaded = importlib.import_module(module)
        loaded.warm_up()
    except Exception:  # ImportError, or numba's own errors on an unsupported platform
        return None
    return loaded
