"""Bitmap bytes from an ``<image>`` href, checked with the standard library only.

Why check here when the backend decodes with Pillow: the effect must refuse bad input (corrupt,
truncated, unsupported, huge) with a short message *before* paying for a backend start, and it
needs the pixel size to place the result (``preserveAspectRatio`` works on the intrinsic size).
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from layervec_ext.limits import size_problem


class BitmapError(ValueError):
    """``str(err)`` is one short line for the user."""


@dataclass
class Bitmap:
    data: bytes
    fmt: str  # "png", "jpeg", "gif", "webp", "bmp"
    width: int
    height: int
    origin: str  # where it came from, for messages: "embedded" or the file path

    @property
    def suffix(self) -> str:
        return ".jpg" if self.fmt == "jpeg" else "." + self.fmt


def sniff(data: bytes) -> str | None:
    """Format from the magic bytes (the MIME type in a data URI is often wrong)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:2] == b"BM":
        return "bmp"
    return None


def _png(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise BitmapError("corrupt or truncated PNG data")
    return struct.unpack(">II", data[16:24])


def _png_verify(data: bytes) -> None:
    """Walk every chunk: CRCs, IEND present, IDAT inflates completely (streamed, so a big
    bitmap is never held inflated)."""
    pos, idat = 8, []
    while True:
        if pos + 12 > len(data):
            raise BitmapError("truncated PNG data")
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        if pos + 12 + length > len(data):
            raise BitmapError("truncated PNG data")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise BitmapError("corrupt PNG data (checksum mismatch)")
        if ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
        pos += 12 + length
    if not idat:
        raise BitmapError("corrupt PNG data (no pixels)")
    inflater = zlib.decompressobj()
    try:
        for part in idat:
            inflater.decompress(part, 1 << 20)
            while inflater.unconsumed_tail:
                inflater.decompress(inflater.unconsumed_tail, 1 << 20)
    except zlib.error:
        raise BitmapError("corrupt PNG data (bad compressed stream)") from None
    if not inflater.eof:
        raise BitmapError("truncated PNG data")


def _jpeg(data: bytes) -> tuple[int, int]:
    """The size a JPEG is shown at: Inkscape turns it as its EXIF orientation says, and so does
    the backend (a phone's photo stored sideways)."""
    pos = 2
    size = None
    orientation, exif_seen = None, False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise BitmapError("corrupt JPEG data")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker == 0xE1 and not exif_seen and data[pos + 4:pos + 10] == b"Exif\x00\x00":
            exif_seen, orientation = True, exif_orientation(data[pos + 4:pos + 2 + length])  # the first, as Pillow
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 9 > len(data):
                break
            h, w = struct.unpack(">HH", data[pos + 5:pos + 9])
            size = (w, h)
        if marker == 0xDA:  # start of scan: entropy-coded data follows up to EOI
            break
        pos += 2 + length
    if size is None:
        raise BitmapError("corrupt or truncated JPEG data")
    if data.rstrip(b"\x00")[-2:] != b"\xff\xd9":
        raise BitmapError("truncated JPEG data")
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size  # turned a quarter


def exif_orientation(app1: bytes) -> int | None:
    """The orientation tag (1–8) of IFD0 in a JPEG's Exif APP1 segment (``Exif\\0\\0`` and a TIFF
    header: what Pillow keeps as ``info["exif"]``), or None (not Exif, unreadable). The one reading
    both halves use, so that what the effect places and what the backend traces agree."""
    if not app1.startswith(b"Exif\x00\x00") or len(app1) < 14:
        return None
    tiff = app1[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    try:
        (ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[ifd:ifd + 2])
        for k in range(count):
            entry = tiff[ifd + 2 + 12 * k:ifd + 14 + 12 * k]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag == 0x0112 and kind == 3:  # Orientation, a SHORT
                return struct.unpack(order + "H", entry[8:10])[0]
    except struct.error:
        return None
    return None


def _gif(data: bytes) -> tuple[int, int]:
    if len(data) < 14:
        raise BitmapError("truncated GIF data")
    if data.rstrip(b"\x00")[-1:] != b"\x3b":
        raise BitmapError("truncated GIF data")
    return struct.unpack("<HH", data[6:10])


def _webp(data: bytes) -> tuple[int, int]:
    (riff_size,) = struct.unpack("<I", data[4:8])
    if len(data) < riff_size + 8 or len(data) < 30:
        raise BitmapError("truncated WebP data")
    chunk = data[12:16]
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        b = data[21:25]
        w = 1 + (((b[1] & 0x3F) << 8) | b[0])
        h = 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
        return w, h
    if chunk == b"VP8X":
        w = 1 + int.from_bytes(data[24:27], "little")
        h = 1 + int.from_bytes(data[27:30], "little")
        return w, h
    raise BitmapError("unsupported WebP variant")


def _bmp(data: bytes) -> tuple[int, int]:
    if len(data) < 26:
        raise BitmapError("truncated BMP data")
    (file_size,) = struct.unpack("<I", data[2:6])
    (offset, header) = struct.unpack("<II", data[10:18])
    if header == 12:
        w, h = struct.unpack("<HH", data[18:22])
    else:
        w, h = struct.unpack("<ii", data[18:26])
    if offset >= len(data) or len(data) < file_size:
        raise BitmapError("truncated BMP data")
    return abs(w), abs(h)


_READERS = {"png": _png, "jpeg": _jpeg, "gif": _gif, "webp": _webp, "bmp": _bmp}


def check(data: bytes, origin: str) -> Bitmap:
    """Identify, size-check and integrity-check bitmap bytes."""
    if not data:
        raise BitmapError(f"{origin}: empty image data")
    fmt = sniff(data)
    if fmt is None:
        raise BitmapError(f"{origin}: not a supported bitmap (PNG, JPEG, GIF, WebP or BMP)")
    try:
        width, height = _READERS[fmt](data)
    except BitmapError as exc:
        raise BitmapError(f"{origin}: {exc}") from None
    except (struct.error, IndexError):
        raise BitmapError(f"{origin}: corrupt or truncated {fmt.upper()} data") from None
    if width < 1 or height < 1:
        raise BitmapError(f"{origin}: the bitmap has no pixels")
    if (problem := size_problem(width, height)) is not None:
        raise BitmapError(f"{origin}: {problem}")
    if fmt == "png":  # the format where a cut-off file still has an intact header
        try:
            _png_verify(data)
        except BitmapError as exc:
            raise BitmapError(f"{origin}: {exc}") from None
    return Bitmap(data, fmt, width, height, origin)


def decode_data_uri(href: str) -> bytes:
    """``data:[mime][;base64],payload`` → bytes (whitespace in base64 is allowed by SVG)."""
    head, sep, payload = href.partition(",")
    if not sep:
        raise BitmapError("embedded image: malformed data URI")
    if head.lower().endswith(";base64"):
        try:
            return base64.b64decode("".join(urllib.parse.unquote(payload).split()), validate=True)
        except (binascii.Error, ValueError):
            raise BitmapError("embedded image: corrupt base64 data") from None
    return urllib.parse.unquote_to_bytes(payload)


def candidate_paths(href: str, folders: Iterable[str]) -> list[str]:
    """Where a linked href may live: file URIs and absolute paths as they are, relative ones
    against each folder in turn (the original document's folder first)."""
    if href.lower().startswith("file:"):
        return [urllib.request.url2pathname(urllib.parse.urlparse(href).path)]
    path = os.path.expanduser(urllib.parse.unquote(href) if "%" in href else href)
    if os.path.isabs(path):
        return [path]
    return [os.path.join(folder, path) for folder in folders if folder]


def load_href(href: str, folders: Iterable[str]) -> Bitmap:
    """The bitmap behind an href: a data URI or a linked local file."""
    href = href.strip()
    if href.lower().startswith("data:"):
        return check(decode_data_uri(href), "embedded image")
    scheme = urllib.parse.urlparse(href).scheme.lower()
    if scheme and scheme != "file" and len(scheme) > 1:  # one letter: a Windows drive
        raise BitmapError(f"{href}: only embedded images and local files are supported")
    for path in candidate_paths(href, folders):
        if os.path.isfile(path):
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise BitmapError(f"{path}: {exc.strerror or exc}") from None
            return check(data, os.path.basename(path))
    raise BitmapError(f"linked file not found: {href}")
