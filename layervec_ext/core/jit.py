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
)


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
