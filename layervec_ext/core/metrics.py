"""Judging a result the way a person sees it: render the SVG with a real renderer, compare pixels.

resvg (the ``resvg-py`` wheel) is the reference SVG renderer for tests and benchmarks; it is an
optional dependency (``pip install layervec[test]``), imported only here and only when asked.
Inkscape's own exporter (Cairo) is what the artist looks at: the benchmarks can score with it too
(its compositing rounds differently from resvg's: layervec_ext/docs/DESIGN.md §6).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np


def rasterize_svg(svg: str | bytes, width: int, height: int, background: str | None = "white"
                  ) -> np.ndarray:
    """Render SVG text with resvg at ``width × height``: ``uint8`` RGB on ``background``, or RGBA
    (straight alpha) when ``background`` is ``None``."""
    try:
        import resvg_py
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("resvg is not installed: pip install 'layervec[test]'") from exc
    from PIL import Image

    from layervec_ext.svgunits import UNITS

    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    # resvg-py's default dpi is 0, which makes every mm, pt or in length zero; CSS says 96 px per inch
    png = resvg_py.svg_to_bytes(svg_string=text, width=width, height=height, dpi=UNITS["in"])
    image = Image.open(io.BytesIO(bytes(png))).convert("RGBA")
    if image.size != (width, height):
        image = image.resize((width, height))
    if background is None:
        return np.asarray(image)
    base = Image.new("RGBA", image.size, background)
    return np.asarray(Image.alpha_composite(base, image).convert("RGB"))


def rasterize_svg_inkscape(svg: str | bytes, width: int, height: int) -> np.ndarray:
    """Render SVG text with Inkscape's command-line exporter at ``width × height`` on white:
    ``uint8`` RGB. A one-line ``RuntimeError`` when Inkscape is missing or fails."""
    inkscape = shutil.which("inkscape")
    if inkscape is None:
        raise RuntimeError("Inkscape is not installed (apt-get install inkscape)")
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="layervec-inkscape-") as tmp:
        src, out = Path(tmp) / "in.svg", Path(tmp) / "out.png"
        src.write_bytes(svg if isinstance(svg, bytes) else svg.encode("utf-8"))
        cmd = [inkscape, str(src), "--export-type=png", f"--export-filename={out}", f"--export-width={width}",
               f"--export-height={height}", "--export-background=white", "--export-background-opacity=1"]
        try:
            subprocess.run(cmd, capture_output=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError("Inkscape took more than 300 s to export the SVG") from None
        if not out.exists():
            raise RuntimeError("Inkscape exported no PNG of the SVG")
        image = Image.open(out).convert("RGB")
        return np.asarray(image if image.size == (width, height) else image.resize((width, height)))


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB of two same-shaped images (uint8 or float on ``peak``)."""
    err = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    if err == 0:
        return float("inf")
    return float(10.0 * np.log10(peak * peak / err))


def ssim(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """Mean structural similarity (Wang et al. 2004: Gaussian window σ = 1.5, K1 = 0.01,
    K2 = 0.03), averaged over colour channels."""
    import cv2

    a = a.astype(np.float64)
    b = b.astype(np.float64)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    scores = []
    for ch in range(a.shape[2]):
        x, y = a[..., ch], b[..., ch]
        mx, my = blur(x), blur(y)
        sxx = blur(x * x) - mx * mx
        syy = blur(y * y) - my * my
        sxy = blur(x * y) - mx * my
        num = (2 * mx * my + c1) * (2 * sxy + c2)
        den = (mx * mx + my * my + c1) * (sxx + syy + c2)
        scores.append(np.mean(num / den))
    return float(np.mean(scores))
