"""``python -m layervec_ext.install.score PREVIEW.png PICTURE.png``: the demo's PSNR, both on white.

Runs in the backend environment (numpy, Pillow), unlike the rest of the installer. Prints the dB to
one decimal, or nothing when the two pictures differ in size.
"""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

from layervec_ext.core.metrics import psnr


def on_white(path: str) -> np.ndarray:
    """RGB in [0, 1] as the picture looks over a white page."""
    im = np.asarray(Image.open(path).convert("RGBA"), dtype=np.float64) / 255
    return im[..., :3] * im[..., 3:] + (1 - im[..., 3:])


def main(argv: list[str]) -> int:
    """Print the PSNR of ``argv[0]`` against ``argv[1]``."""
    a, b = on_white(argv[0]), on_white(argv[1])
    if a.shape == b.shape:
        print(f"{min(psnr(a, b, peak=1.0), 120.0):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
