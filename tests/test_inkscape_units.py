"""The Inkscape side's standard-library parts, exactly: preserveAspectRatio arithmetic and the
bitmap checks (sizes read from headers must agree with Pillow's decode of the same bytes)."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess

import pytest
from PIL import Image

from layervec_ext.inkscape.bitmap import BitmapError, check, decode_data_uri, sniff
from layervec_ext.inkscape.placement import length, place
from layervec_ext.svgunits import parse_par


@pytest.mark.parametrize("par, box", [
    # 40×30 bitmap into the 100×50 viewport at (10, 20): meet scale 5/3, slice scale 5/2
    ("xMinYMin meet", (10, 20, 10 + 200 / 3, 70)),
    ("xMidYMid meet", (10 + 50 / 3, 20, 110 - 50 / 3, 70)),
    ("xMaxYMax meet", (110 - 200 / 3, 20, 110, 70)),
    (None, (10 + 50 / 3, 20, 110 - 50 / 3, 70)),
    ("none", (10, 20, 110, 70)),
    ("xMidYMax slice", (10, 20, 110, 70)),  # clipped to the viewport
    ("bogus", (10 + 50 / 3, 20, 110 - 50 / 3, 70)),  # invalid → the default
    ("xMinYMin bogus", (10 + 50 / 3, 20, 110 - 50 / 3, 70)),  # the whole value is invalid, not just its end
    ("xMaxYMax slice", (10, 20, 110, 70)),
])
def test_visible_box(par, box):
    assert place(10, 20, 100, 50, 40, 30, par).box(40, 30) == pytest.approx(box, abs=1e-9)


def test_slice_offsets_the_overflowing_axis():
    # slice scale 2.5: 100 × 75 drawn, 25 units overflow vertically
    assert place(10, 20, 100, 50, 40, 30, "xMidYMin slice").ty == pytest.approx(20)
    assert place(10, 20, 100, 50, 40, 30, "xMidYMid slice").ty == pytest.approx(7.5)
    assert place(10, 20, 100, 50, 40, 30, "xMidYMax slice").ty == pytest.approx(-5)
    assert place(10, 20, 100, 50, 40, 30, "xMidYMax slice").clip == (10, 20, 100, 50)
    assert place(0, 0, 80, 60, 40, 30, "xMidYMid slice").clip is None  # same aspect: nothing to clip


def test_par_and_lengths():
    assert parse_par("defer xMaxYMin slice") == ("xMaxYMin", "slice")
    assert length("25.4mm") == pytest.approx(96)
    assert length("12pt") == pytest.approx(16)
    assert length("auto", 7.0) == 7.0 and length(None) is None


def _encode(fmt: str, size=(37, 23), mode="RGB", color=(10, 200, 30), **kw) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt, kw", [
    ("PNG", {}), ("JPEG", {}), ("JPEG", {"progressive": True}), ("GIF", {}), ("BMP", {}),
    ("WEBP", {"lossless": True}), ("WEBP", {"quality": 80}),
])
def test_header_sizes_agree_with_pillow(fmt, kw):
    data = _encode(fmt, **kw)
    bmp = check(data, "x")
    assert (bmp.width, bmp.height) == Image.open(io.BytesIO(data)).size == (37, 23)


def test_webp_with_alpha_is_extended_format():
    data = _encode("WEBP", mode="RGBA", color=(10, 200, 30, 100), quality=80)
    assert data[12:16] == b"VP8X" and (check(data, "x").width, check(data, "x").height) == (37, 23)


def test_data_uris():
    png = _encode("PNG")
    b64 = base64.b64encode(png).decode()
    spaced = " \n".join(b64[i:i + 20] for i in range(0, len(b64), 20))
    assert decode_data_uri("data:image/png;base64," + spaced) == png
    assert sniff(decode_data_uri("data:image/jpeg;base64," + b64)) == "png"  # magic wins over MIME
    with pytest.raises(BitmapError, match="malformed"):
        decode_data_uri("data:image/png;base64")


LENGTHS = ["40", "40px", "30pt", "3pc", "10mm", "1cm", "0.5in", "+1e1mm", " 10mm ", "40Q", "40q", "10MM",
           "3 mm", "40PX", "50%", "2em"]


@pytest.mark.parametrize("text", LENGTHS)
def test_both_halves_read_a_length_alike(text):
    """The effect's lengths and the backend reader's are the same numbers, and the same refusals."""
    from layervec_ext.core.svg.paint import PaintError, parse_length

    try:
        backend = parse_length(text)
    except PaintError:
        backend = None
    assert length(text) == (None if text.endswith("%") else backend)


@pytest.mark.skipif(shutil.which("inkscape") is None, reason="Inkscape is not installed")
def test_lengths_as_inkscape_draws_them(tmp_path):
    """Each length as a rect's width, measured by Inkscape itself: what ``length`` reads is what
    Inkscape draws, and what it refuses Inkscape does not draw (em is font-relative: not placed)."""
    cases = [t for t in LENGTHS if not t.endswith(("%", "em"))]
    rects = "".join(f'<rect id="r{i}" y="{10 * i}" width="{t}" height="5"/>' for i, t in enumerate(cases))
    doc = tmp_path / "lengths.svg"
    doc.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">{rects}</svg>')
    out = subprocess.run(["inkscape", "--query-all", str(doc)], capture_output=True, text=True, timeout=120).stdout
    widths = {row.split(",")[0]: float(row.split(",")[3]) for row in out.splitlines() if row.startswith("r")}
    read = {f"r{i}": length(text) for i, text in enumerate(cases)}
    assert {k: v for k, v in read.items() if v is not None} == pytest.approx(widths, rel=1e-4)
    assert any(v is None for v in read.values())  # the cases include lengths neither can read


def test_both_halves_refuse_a_bitmap_over_the_limit_alike():
    """The effect (from the header) and the backend (before decoding) refuse the same sizes in the
    same words; the effect used to stop at 50 MP while the command line took up to 100 MP."""
    from layervec_ext.core.vectorize import ImageError, load_image

    over = _encode("PNG", size=(10_000, 5_001), mode="1", color=0)
    with pytest.raises(BitmapError) as effect:
        check(over, "pic.png")
    with pytest.raises(ImageError) as backend:
        load_image(over)
    assert str(effect.value) == "pic.png: 10000×5001 pixels is too large (limit 50 MP)"
    assert str(backend.value) == "input: 10000×5001 pixels is too large (limit 50 MP)"
    assert check(_encode("PNG", size=(10_000, 5_000), mode="1", color=0), "pic.png").width == 10_000
