"""Regenerate the Inkscape-side fixtures: ``.venv/bin/python tests/data/inkscape/make_fixtures.py``."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
HEAD = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" {size}>\n')


def picture() -> Image.Image:
    """40×30, opaque, asymmetric (a flipped or mis-scaled result would show)."""
    im = Image.new("RGB", (40, 30), (30, 90, 200))
    d = ImageDraw.Draw(im)
    d.ellipse((8, 5, 30, 25), fill=(240, 200, 40))
    d.rectangle((31, 2, 38, 9), fill=(220, 40, 40))
    return im


def encoded(im: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return buf.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def placement_svg() -> str:
    """Every preserveAspectRatio value in a wide and a tall box, transforms, nested groups,
    units; mm document with a viewBox. All images link pic.png (one backend run)."""
    rows = []
    x = y = 0.0
    for mode in ("meet", "slice"):
        for box in ("wide", "tall"):
            w, h = (24, 12) if box == "wide" else (12, 24)
            for ay in ("Min", "Mid", "Max"):
                for ax in ("Min", "Mid", "Max"):
                    align = f"x{ax}Y{ay}"
                    rows.append(f'<image id="{align}-{mode}-{box}" x="{x}" y="{y}" width="{w}" height="{h}" '
                                f'preserveAspectRatio="{align} {mode}" xlink:href="pic.png"/>')
                    x += 26
                    if x > 170:
                        x, y = 0.0, y + 26
    rows += [
        '<image id="none" x="2" y="120" width="30" height="12" preserveAspectRatio="none" xlink:href="pic.png"/>',
        '<image id="default" x="40" y="118" width="30" height="30" xlink:href="pic.png"/>',
        '<image id="units" x="75" y="120" width="20mm" height="3mm" preserveAspectRatio="none" xlink:href="pic.png"/>',
        '<image id="rotated" x="100" y="100" width="40" height="30" transform="rotate(30 120 115)" '
        'xlink:href="pic.png"/>',
        '<image id="skewed" x="150" y="110" width="30" height="20" transform="skewX(20)" preserveAspectRatio="none" '
        'xlink:href="pic.png"/>',
        '<g transform="translate(10 5) scale(0.8)"><g transform="rotate(-15)">'
        '<image id="nested" x="60" y="140" width="36" height="20" preserveAspectRatio="xMaxYMid slice" '
        'transform="matrix(1 0.2 -0.1 0.9 5 -3)" xlink:href="pic.png"/></g></g>',
    ]
    # the image's own clip (Object ▸ Clip ▸ Set puts it on the image), also with a slice
    rows += [
        '<image id="clipped" x="150" y="60" width="40" height="30" transform="rotate(-10 170 75)" '
        'clip-path="url(#roundclip)" xlink:href="pic.png"/>',
        '<image id="clipped-slice" x="140" y="5" width="50" height="20" preserveAspectRatio="xMidYMid slice" '
        'clip-path="url(#roundclip2)" xlink:href="pic.png"/>',
    ]
    body = "\n".join(rows)
    return (HEAD.format(size='width="200mm" height="150mm" viewBox="0 0 200 150"')
            + '<defs><clipPath id="roundclip" clipPathUnits="userSpaceOnUse"><circle cx="165" cy="72" r="13"/>'
            '</clipPath><clipPath id="roundclip2" clipPathUnits="userSpaceOnUse"><ellipse cx="170" cy="15" rx="28" '
            'ry="8"/></clipPath></defs>\n'
            + '<rect id="paper" x="0" y="0" width="200" height="150" fill="#ffffff"/>\n'
            + '<g id="layer1" inkscape:groupmode="layer" inkscape:label="Pictures" transform="translate(3 2)">\n'
            + f'<g id="all">\n{body}\n</g>\n</g>\n</svg>\n')


def formats_svg(im: Image.Image) -> str:
    """One image per decoder path: embedded PNG/JPEG/GIF/WebP/BMP, linked relative/absolute/file://."""
    kinds = [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
             ("BMP", "image/bmp")]
    rows = []
    for i, (fmt, mime) in enumerate(kinds):
        rows.append(f'<image id="emb-{fmt.lower()}" x="{i * 45}" y="0" width="40" height="30" '
                    f'xlink:href="{data_uri(encoded(im, fmt), mime)}"/>')
    for i, href in enumerate(("pic.png", "@DIR@/pic.png", "file://@DIR@/pic.png")):
        rows.append(f'<image id="link-{i}" x="{i * 45}" y="40" width="40" height="30" xlink:href="{href}"/>')
    # a link that no longer resolves, but Inkscape recorded where the file was when imported
    rows.append('<image id="link-absref" x="135" y="40" width="40" height="30" xlink:href="moved/pic.png" '
                'sodipodi:absref="@DIR@/pic.png"/>')
    return (HEAD.format(size='width="240" height="80" viewBox="0 0 240 80"')
            + '<g id="layer1" inkscape:groupmode="layer" inkscape:label="Layer 1">\n'
            + "\n".join(rows) + "\n</g>\n</svg>\n")


def huge_png(width: int, height: int) -> bytes:
    """A well-formed PNG header for a bitmap too big to accept (the pixels need not follow)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def errors_svg(im: Image.Image) -> str:
    png = encoded(im, "PNG")
    jpeg = encoded(im, "JPEG")
    bad_crc = bytearray(png)
    bad_crc[40] ^= 0xFF
    tiff = encoded(im, "TIFF")
    cases = {
        "missing-link": "no-such-picture.png",
        "truncated-png": data_uri(png[: len(png) // 2], "image/png"),
        "corrupt-png": data_uri(bytes(bad_crc), "image/png"),
        "truncated-jpeg": data_uri(jpeg[: len(jpeg) // 2], "image/jpeg"),
        "bad-base64": "data:image/png;base64,iVBORw0KGgo!!!notbase64",
        "unsupported": data_uri(tiff, "image/tiff"),
        "text": data_uri(b"<svg/>", "image/svg+xml"),
        "huge": data_uri(huge_png(10000, 8000), "image/png"),
        "empty": "data:image/png;base64,",
    }
    rows = [f'<image id="{k}" x="0" y="0" width="40" height="30" xlink:href="{v}"/>' for k, v in cases.items()]
    rows.append('<image id="good" x="50" y="0" width="40" height="30" xlink:href="pic.png"/>')
    rows.append('<rect id="rect1" x="0" y="40" width="20" height="20" fill="red"/>')
    rows.append('<image id="zero-size" x="0" y="0" width="0" height="30" xlink:href="pic.png"/>')
    rows.append('<image id="negative-size" x="0" y="0" width="-40" height="30" xlink:href="pic.png"/>')
    rows.append('<image id="endless-size" x="0" y="0" width="1e400" height="30" xlink:href="pic.png"/>')
    rows.append('<use id="clone" x="0" y="40" xlink:href="#good"/>')
    rows.append('<svg x="60" y="40" width="20" height="20" viewBox="0 0 4 4">'
                '<image id="in-nested-svg" width="4" height="3" xlink:href="pic.png"/></svg>')
    return (HEAD.format(size='width="100" height="70" viewBox="0 0 100 70"')
            + '<g id="layer1" inkscape:groupmode="layer" inkscape:label="Layer 1">\n'
            + "\n".join(rows) + "\n</g>\n</svg>\n")


def main() -> None:
    im = picture()
    im.save(HERE / "pic.png")
    (HERE / "placement.svg").write_text(placement_svg())
    (HERE / "formats.svg").write_text(formats_svg(im))
    (HERE / "errors.svg").write_text(errors_svg(im))


if __name__ == "__main__":
    main()
