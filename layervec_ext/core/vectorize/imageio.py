"""Decoding any bitmap an artist drops in into one shape: ``(H, W, 4)`` uint8 straight RGBA.

Pillow does the decoding; this module only normalises modes (grey, palette, 16-bit, CMYK, alpha)
and turns every failure into an :class:`ImageError` with a one-line message, so the CLI and the
Inkscape side can show it without a traceback.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from layervec_ext.limits import MAX_PIXELS, size_problem

FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")


class ImageError(ValueError):
    """The input is not a bitmap we can read; ``str(err)`` is one line meant for the user."""


def _open(src: str | Path | bytes):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses twice this at open; up to there, size_problem words it
    if isinstance(src, (bytes, bytearray, memoryview)):
        return Image.open(io.BytesIO(bytes(src)), formats=FORMATS), "input"
    path = Path(src)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image")
    return Image.open(path, formats=FORMATS), str(path)


def _to_rgba(img) -> np.ndarray:
    """Any Pillow mode → straight RGBA uint8; 16-bit and float greys are scaled, not clipped (floats
    up to 1 as 0–1, up to 255 as 8-bit levels, more as 16-bit ones)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.nan_to_num(np.asarray(img, dtype=np.float64))
        if img.mode.startswith("I;16") or arr.max() > 255:
            top = 65535.0
        elif img.mode == "F" and arr.max() <= 1.0:  # floats in 0–1, as scientific TIFFs store them
            top = 1.0
        else:
            top = 255.0
        grey = np.clip(np.round(arr / top * 255.0), 0, 255).astype(np.uint8)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    return np.asarray(img.convert("RGBA"), dtype=np.uint8).copy()


# Pillow's transposition for each EXIF orientation (2–8), as ImageOps.exif_transpose applies them.
_TURNS = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
          7: "TRANSVERSE", 8: "ROTATE_90"}


def _upright(img):
    """A JPEG (or a phone's multi-picture JPEG, MPO) turned as its EXIF orientation says, as Inkscape
    and viewers show it; other formats as stored (Inkscape ignores their tags). The tag is read by
    the one parser the Inkscape side places the result with (not Pillow's, which also reads XMP)."""
    from PIL import Image

    from layervec_ext.inkscape.bitmap import exif_orientation

    if img.format not in ("JPEG", "MPO"):
        return img
    turn = _TURNS.get(exif_orientation(img.info.get("exif") or b""))
    return img.transpose(getattr(Image.Transpose, turn)) if turn else img


def load_image(src: str | Path | bytes) -> np.ndarray:
    """Read PNG/JPEG/WebP/GIF/BMP/TIFF (file path or bytes) as ``(H, W, 4)`` uint8 straight RGBA.

    Raises :class:`ImageError` for missing, corrupt, unsupported or oversized (decompression bomb)
    input. Multi-frame files (GIF, TIFF) give their first frame; a JPEG comes upright (its EXIF
    orientation applied).
    """
    from PIL import Image, UnidentifiedImageError

    label = "input" if isinstance(src, (bytes, bytearray, memoryview)) else str(src)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # what ``size_problem`` words better
            img, name = _open(src)
            with img:
                if (problem := size_problem(*img.size)) is not None:
                    raise ImageError(f"{name}: {problem}")
                img.seek(0)
                img.load()
                arr = _to_rgba(_upright(img))
    except ImageError:
        raise
    except Image.DecompressionBombError:  # Pillow's own guard: more than twice its limit, refused at open
        raise ImageError(f"{label}: more than {2 * MAX_PIXELS:,} pixels is too large "
                         f"(limit {MAX_PIXELS // 1_000_000} MP)") from None
    except UnidentifiedImageError:
        raise ImageError(f"{label}: not a supported image (PNG, JPEG, WebP, GIF, BMP or TIFF)") from None
    except PermissionError:
        raise ImageError(f"{src}: permission denied") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageError(f"{label}: corrupt or unreadable image ({msg})") from None
    if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageError("image has no pixels")
    return arr
