"""The vectorizer: bitmap → layered scene of gradient-filled closed cubic paths.

``load_image`` decodes any supported bitmap to straight RGBA; ``vectorize`` turns it into a
:class:`~layervec_ext.core.scene.Scene` in the input's pixel coordinates.
"""

from __future__ import annotations

from layervec_ext.core.vectorize.imageio import ImageError, load_image
from layervec_ext.core.vectorize.pipeline import PRESETS, vectorize

__all__ = ["ImageError", "PRESETS", "load_image", "vectorize"]
