"""``layervec render IN.svg -o OUT.png``: rasterise an SVG with our own renderer.

Useful to see what the optimiser "sees" for a given SVG, and to check our renderer against any
other one. Reads with :func:`~layervec_ext.core.svg.read.svg_to_scene`, so the SVG subset is the
reader's; anything outside it is a one-line error, never a traceback (exit code 1 for a file that
cannot be read or written, 2 for an SVG the reader refuses or a bad option).
"""

from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np

from layervec_ext.core.render import RENDERERS
from layervec_ext.core.scene import Scene
from layervec_ext.files import write_atomic
from layervec_ext.options import whole_number
from layervec_ext.protocol import EXIT_INPUT, EXIT_USAGE

_PIXELS = whole_number(1, 16384, "pixels")


class CommandError(Exception):
    """A user mistake: printed as one line; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise CommandError(f"{message} (see layervec render --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="layervec render",
        description="Rasterise an SVG (the subset LayerVec reads) to PNG with LayerVec's renderer.",
    )
    parser.add_argument("input", metavar="IN.svg", help="SVG file to draw")
    parser.add_argument("-o", "--output", metavar="OUT.png", required=True,
                        help="PNG file to write ('-' writes standard output)")
    parser.add_argument("--width", type=_PIXELS, help="output width in pixels (default: the SVG's width)")
    parser.add_argument("--height", type=_PIXELS, help="output height in pixels (default: the SVG's height)")
    parser.add_argument("--background", default="white",
                        help="white (default), none (transparent PNG) or a colour such as '#202020'")
    parser.add_argument("--renderer", choices=RENDERERS, default="torch", help="rasteriser (default: torch)")
    parser.add_argument("--ignore-strokes", action="store_true",
                        help="drop stroked outlines instead of refusing the SVG (LayerVec draws fills only)")
    return parser


def parse_background(text: str) -> tuple[float, float, float] | None:
    """``none`` → transparent, anything else must be an opaque colour."""
    from layervec_ext.core.svg.paint import PaintError, parse_color

    if text.strip().lower() in ("none", "transparent"):
        return None
    try:
        r, g, b, _ = parse_color(text)
    except PaintError:
        raise CommandError(f"--background: cannot read colour {text!r} (try white, none or '#rrggbb')") from None
    return (r, g, b)


def read_scene(path: str, width: int | None, height: int | None, ignore_strokes: bool) -> Scene:
    from layervec_ext.core.svg.read import svg_to_scene

    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file", EXIT_INPUT) from None
    except IsADirectoryError:
        raise CommandError(f"{path}: is a directory, expected an SVG file", EXIT_INPUT) from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror or exc}", EXIT_INPUT) from None
    try:
        return svg_to_scene(data, path_name=path, width=width, height=height,
                            strokes="ignore" if ignore_strokes else "error")
    except ValueError as exc:  # SVGUnsupported / SVGError carry the file name already
        hint = " (--ignore-strokes drops them)" if "strokes are not supported" in str(exc) else ""
        raise CommandError(f"{exc}{hint}") from None


def draw(scene: Scene, renderer: str, background: tuple[float, float, float] | None) -> np.ndarray:
    """``uint8`` RGB over ``background``, or straight-alpha RGBA when it is ``None``."""
    import torch

    from layervec_ext.core.render import composite, render

    with torch.no_grad():
        try:
            image = render(scene, renderer=renderer)
        except (RuntimeError, ImportError) as exc:
            if renderer == "diffvg":
                raise CommandError(str(exc).splitlines()[0] if str(exc) else "diffvg is not available") from None
            raise
        image = image.detach().float().cpu().clamp(0, 1)
        if background is None:
            alpha = image[..., 3:4]
            rgb = torch.where(alpha > 0, image[..., :3] / alpha.clamp_min(1e-12), torch.zeros_like(image[..., :3]))
            out = torch.cat([rgb.clamp(0, 1), alpha], dim=-1)
        else:
            out = composite(image, background)
    return (out * 255).round().to(torch.uint8).numpy()


def write_png(pixels: np.ndarray, path: str) -> None:
    """Write next to the target and rename, so a failure never leaves half a PNG behind."""
    from PIL import Image

    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    if path == "-":
        sys.stdout.buffer.write(png.getvalue())
        sys.stdout.flush()
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"{path}: folder {folder} does not exist", EXIT_INPUT)
    try:
        write_atomic(path, png.getvalue())
    except OSError as exc:
        raise CommandError(f"{path}: cannot write: {exc.strerror or exc}", EXIT_INPUT) from None


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status (0 ok, 1 a file not read or written, 2 a bad option
    or an SVG the reader refuses)."""
    from layervec_ext.core.reporting import output_problem

    try:
        args = build_parser().parse_args(argv)
        if not args.output.strip():
            raise CommandError("-o: an empty name; give the PNG file to write, or - for standard output")
        if (problem := output_problem(args.output, [args.input])) is not None:
            raise CommandError(problem, EXIT_INPUT)
        background = parse_background(args.background)
        scene = read_scene(args.input, args.width, args.height, args.ignore_strokes)
        write_png(draw(scene, args.renderer, background), args.output)
    except CommandError as exc:
        print(f"layervec render: error: {exc}", file=sys.stderr)
        return exc.code
    return 0
