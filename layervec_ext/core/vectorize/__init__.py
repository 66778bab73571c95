"""The vectorizer: bitmap → layered scene of gradient-filled closed cubic paths.

``load_image`` decodes any supported bitmap to straight RGBA; ``vectorize(image, settings)`` turns it into a
:class:`~layervec_ext.core.scene.Scene` in the input's pixel coordinates. ``vectorize`` is imported
lazily so that decoding (and rejecting a bad file) does not pay for importing torch.
"""

from __future__ import annotations

from layervec_ext.core.vectorize.imageio import ImageError, load_image

__all__ = ["ImageError", "PRESETS", "Settings", "load_image", "vectorize"]


def __getattr__(name: str):
    if name in ("vectorize", "PRESETS", "Settings"):
        from layervec_ext.core.vectorize import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
