"""load_image: every input kind an artist may drop in comes back as (H, W, 4) uint8 straight RGBA."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from layervec_ext.bench import QUALITY_IMAGES
from layervec_ext.core.metrics import psnr
from layervec_ext.core.vectorize import ImageError, load_image

BENCH = QUALITY_IMAGES / "noto__automobile.png"
HERE = Path(__file__).parent


def source() -> Image.Image:
    """A real picture (a bench emoji shipped in the repository), 64×64 RGB."""
    return Image.open(BENCH).convert("RGB").resize((64, 64), Image.LANCZOS)


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt,kw,min_psnr", [
    ("PNG", {}, None), ("BMP", {}, None), ("TIFF", {}, None), ("WEBP", {"lossless": True}, None),
    ("JPEG", {"quality": 95}, 28.0), ("GIF", {}, 24.0),
])
def test_formats_decode_to_the_same_picture(tmp_path, fmt, kw, min_psnr):
    img = source()
    path = tmp_path / f"x.{fmt.lower()}"
    path.write_bytes(encode(img, fmt, **kw))
    got = load_image(path)
    assert got.shape == (64, 64, 4) and got.dtype == np.uint8
    assert (got[..., 3] == 255).all()
    if min_psnr is None:  # lossless: the very pixels
        assert (got[..., :3] == np.asarray(img)).all()
    else:
        assert psnr(got[..., :3], np.asarray(img)) >= min_psnr


def _oriented(img: Image.Image, fmt: str, orientation: int) -> bytes:
    exif = img.getexif()
    exif[0x0112] = orientation
    return encode(img, fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "JPEG" else {}))


@pytest.mark.parametrize("orientation, upright", [
    (1, lambda a: a), (3, lambda a: a[::-1, ::-1]), (6, lambda a: np.rot90(a, -1)), (8, lambda a: np.rot90(a, 1)),
    (5, lambda a: np.swapaxes(a, 0, 1)),
])
def test_a_jpeg_comes_upright_as_its_exif_orientation_says(orientation, upright):
    """A phone's photo is stored sideways with an orientation tag; Inkscape and viewers show it
    turned, and so must the picture we trace (else the SVG lies across the photo)."""
    img = source().crop((0, 0, 64, 40))  # not square: a quarter turn changes the shape
    got = load_image(_oriented(img, "JPEG", orientation))
    want = upright(np.asarray(img))
    assert got.shape[:2] == want.shape[:2]
    assert psnr(got[..., :3], np.ascontiguousarray(want)) >= 25.0  # JPEG noise; turned wrong: under 15


def test_a_phones_multi_picture_jpeg_is_turned_and_placed_alike():
    """Phones write MPO (a JPEG with more pictures after it; Pillow names it so): it is turned too,
    and the Inkscape side, which places the result, reads the same size from the same tag."""
    from layervec_ext.inkscape.bitmap import check

    img = source().crop((0, 0, 64, 40))
    exif = img.getexif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, "MPO", save_all=True, append_images=[img], exif=exif.tobytes(), quality=95)
    got = load_image(buf.getvalue())
    assert got.shape[:2] == (64, 40)
    assert psnr(got[..., :3], np.ascontiguousarray(np.rot90(np.asarray(img), -1))) >= 25.0
    placed = check(buf.getvalue(), "phone.jpg")
    assert (placed.height, placed.width) == got.shape[:2]


def test_only_a_jpeg_is_turned_by_its_orientation_tag():
    """Inkscape turns JPEGs only; a PNG with the tag is traced as stored, as Inkscape draws it."""
    img = source().crop((0, 0, 64, 40))
    assert (load_image(_oriented(img, "PNG", 6))[..., :3] == np.asarray(img)).all()


def test_bytes_grey_palette_16bit_and_alpha():
    img = source()
    grey = load_image(encode(img.convert("L"), "PNG"))
    assert grey.shape == (64, 64, 4)
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    pal = load_image(encode(img.convert("P", palette=Image.ADAPTIVE, colors=32), "PNG"))
    assert np.mean(np.abs(pal[..., :3].astype(int) - np.asarray(img).astype(int))) < 12
    wide = (np.asarray(img.convert("L")).astype(np.uint16) * 257)
    sixteen = load_image(encode(Image.fromarray(wide), "PNG"))
    assert np.abs(sixteen[..., 0].astype(int) - np.asarray(img.convert("L")).astype(int)).max() <= 1
    rgba = np.dstack([np.asarray(img), np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1))])
    got = load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert (got == rgba).all()
    # palette with a transparent index keeps its transparency
    p = Image.new("P", (4, 4), 0)
    p.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    p.putpixel((1, 1), 1)
    got = load_image(encode(p, "PNG", transparency=0))
    assert got[0, 0, 3] == 0 and got[1, 1, 3] == 255 and tuple(got[1, 1, :3]) == (0, 0, 255)


@pytest.mark.parametrize("content,needle", [
    (b"", "not a supported image"),
    (b"hello, not an image", "not a supported image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a supported image"),
])
def test_unsupported_input_is_one_line_error(tmp_path, content, needle):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ImageError) as err:
        load_image(path)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_truncated_png_missing_file_and_bomb(tmp_path):
    data = encode(source(), "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="corrupt"):
        load_image(path)
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "missing.png")
    # a 20000×20000 PNG header: rejected from its size before decoding 400 MP
    bomb = Image.new("1", (20000, 20000))
    with pytest.raises(ImageError, match="too large"):
        load_image(encode(bomb, "PNG"))


@pytest.mark.parametrize("scale", [1.0, 255.0, 65535.0])
def test_a_float_tiff_keeps_its_levels_whatever_its_range(scale):
    """Scientific TIFFs store floats in 0–1 (or 8- or 16-bit levels): the grey comes back, not black."""
    grey = np.asarray(source().convert("L"), dtype=np.float64) / 255.0
    got = load_image(encode(Image.fromarray((grey * scale).astype(np.float32), "F"), "TIFF"))
    assert np.abs(got[..., 0].astype(int) - np.round(grey * 255).astype(int)).max() <= 1
