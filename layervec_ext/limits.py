"""The largest bitmap LayerVec takes: one limit for both halves (standard library only).

The effect checks it from the file's header before starting the backend, the backend before
decoding, so a picture the command line refuses is refused in Inkscape too, with the same words.
"""

from __future__ import annotations

# The backend decodes the whole bitmap before shrinking it to the working size: about 38 bytes a
# pixel at the peak (8-bit RGBA, then a float32 premultiplied copy and its temporaries), measured
# as 3.8 GB for 100 MP. 50 MP keeps that under 2 GB beside a running Inkscape, and is more detail
# than any working size uses (a 45 MP camera's 8256×5504 still fits).
MAX_PIXELS = 50_000_000


def size_problem(width: int, height: int) -> str | None:
    """Why a ``width × height`` bitmap is refused (one line for the user), or None when it is not."""
    if width * height > MAX_PIXELS:
        return f"{width}×{height} pixels is too large (limit {MAX_PIXELS // 1_000_000} MP)"
    return None
