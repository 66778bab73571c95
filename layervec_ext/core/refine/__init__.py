"""Refine: an SVG's own paths re-optimised against the bitmap they trace (``layervec refine``)."""

from layervec_ext.core.refine.document import RefineError
from layervec_ext.core.refine.run import Report, refine

__all__ = ["RefineError", "Report", "refine"]
