"""Regenerate ``images/scale/`` (the ``bench scale`` pictures) from unpacked npm icon packages.

The pictures ship in the repository; this script only records how they were made, so that anyone
can check or redo it. Development time only — nothing here runs in the benchmark or the tests:

    mkdir /tmp/pk && cd /tmp/pk
    for p in noto fluent-emoji twemoji; do
        npm pack @iconify-json/$p && mkdir $p && tar xzf iconify-json-$p-*.tgz -C $p
    done
    python -m layervec_ext.bench.make_scale_images /tmp/pk    # from the repository root

Each emoji is the Iconify JSON body in an ``<svg>`` of its own view box, rendered by resvg at
``SIZE`` × ``SIZE`` and composited on white; the photo is scikit-image's bundled ``astronaut`` at
its native size (scikit-image ships no photo of 1024 px). Licences: ``images/SOURCES.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from layervec_ext.bench import SCALE_IMAGES

SIZE = 1024
# output family -> (npm package, icons); the family names are the ones images/SOURCES.md licenses
EMOJI = {
    "noto": ("@iconify-json/noto", ("hamburger", "artist-palette")),
    "fluent": ("@iconify-json/fluent-emoji", ("fox", "butterfly")),
    "twemoji": ("@iconify-json/twemoji", ("red-apple", "tropical-fish")),
}
PHOTOS = ("astronaut",)


def find_packages(root: Path) -> dict[str, Path]:
    """npm package name -> its unpacked folder, for every ``package.json`` a few levels under ``root``."""
    found: dict[str, Path] = {}
    for depth in ("*/package.json", "*/*/package.json", "package.json"):
        for meta in sorted(root.glob(depth)):
            try:
                name = json.loads(meta.read_text(encoding="utf-8")).get("name")
            except (OSError, ValueError):
                continue
            if name and name not in found:
                found[name] = meta.parent
    return found


def icon_svg(icons: dict, name: str) -> str:
    """A standalone SVG of one Iconify icon (aliases resolved to their parent)."""
    name = icons.get("aliases", {}).get(name, {}).get("parent", name)
    icon = icons["icons"][name]
    left, top = icon.get("left", icons.get("left", 0)), icon.get("top", icons.get("top", 0))
    width, height = icon.get("width", icons.get("width", 16)), icon.get("height", icons.get("height", 16))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width}" height="{height}" viewBox="{left} {top} {width} {height}">{icon["body"]}</svg>')


def save_png(rgb: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(rgb).save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m layervec_ext.bench.make_scale_images",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("packages", help="folder holding the unpacked npm packages (any layout; found by package.json)")
    ap.add_argument("--out", default=str(SCALE_IMAGES), help="where the PNGs go (default: the shipped folder)")
    args = ap.parse_args(argv)
    from layervec_ext.core.metrics import rasterize_svg

    root, out = Path(args.packages), Path(args.out)
    if not root.is_dir():
        print(f"error: no such folder: {root}", file=sys.stderr)
        return 2
    packages = find_packages(root)
    missing = [pkg for pkg, _ in EMOJI.values() if pkg not in packages]
    if missing:
        print(f"error: not unpacked under {root}: {', '.join(missing)} (npm pack, then tar xzf)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for family, (pkg, names) in EMOJI.items():
        folder = packages[pkg]
        version = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
        icons = json.loads((folder / "icons.json").read_text(encoding="utf-8"))
        for name in names:
            target = out / f"{family}__{name}.png"
            save_png(rasterize_svg(icon_svg(icons, name), SIZE, SIZE), target)
            print(f"{target.name}: {pkg} {version} icon {name}, {SIZE}x{SIZE}")
    import skimage
    from skimage import data

    for name in PHOTOS:
        rgb = np.ascontiguousarray(getattr(data, name)()[..., :3])
        target = out / f"photo__{name}.png"
        save_png(rgb, target)
        print(f"{target.name}: scikit-image {skimage.__version__} data.{name}, {rgb.shape[1]}x{rgb.shape[0]} (native)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
