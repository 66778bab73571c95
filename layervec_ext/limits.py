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

# The most cubic segments one path may have for refine: a step's cost grows with every segment
# (a 10 000-node path from Trace Bitmap's detailed mode would take minutes for one outline), and
# past a few hundred nodes per path an artist edits it with Path ▸ Simplify first anyway.
MAX_PATH_SEGMENTS = 2000


def nodes_problem(segments: int) -> str | None:
    """Why a path of that many cubic segments is refused (one line), or None."""
    if segments > MAX_PATH_SEGMENTS:
        return f"has {segments} nodes (limit {MAX_PATH_SEGMENTS}); simplify it first (Path ▸ Simplify)"
    return None

# The most cubic segments a vectorized path may have on average (``--segments``): every step's cost
# grows with them, and past a few dozen a path holds more nodes than the working image has pixels
# along its outline.
MAX_SEGMENTS = 64
