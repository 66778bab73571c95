"""``layervec refine IN.svg --image BITMAP -o OUT.svg``: an SVG's paths refitted to their bitmap.

The Inkscape action *LayerVec Refine* runs exactly this: it hands over the whole document, the
selection's ids and the ``<image>`` the paths trace, and takes the whole document back. Only the
selected elements (and ``<defs>``, and the new "Detail +N" sub-layer) change; every other byte
of the document is lxml's round trip of it. Errors are one line, and no output file is left.
"""

from __future__ import annotations

import sys
import time

from layervec_ext import protocol
from layervec_ext.core.reporting import (
    Parser,
    fail,
    interruptible,
    output_problem,
    progress_reporter,
    run_and_write,
    say,
    start_command,
)
from layervec_ext.options import REFINE_OPTIONS, add_cli_arguments
from layervec_ext.protocol import EXIT_INPUT, EXIT_USAGE


def build_parser() -> Parser:
    p = Parser(prog="layervec refine", description="Refine an SVG's own filled paths against the bitmap they "
               "trace: same elements, ids and layers; new geometry and fills; optionally new detail paths.")
    p.add_argument("input", help="the SVG document")
    p.add_argument("-o", "--output", required=True, help="SVG file to write ('-' writes standard output)")
    p.add_argument("--image", help="the bitmap's pixels (PNG, JPEG, …); default: the <image> the paths trace, "
                   "from its link or embedded data")
    p.add_argument("--image-id", help="the <image> whose place in the document is the bitmap's (default: the one a "
                   "LayerVec layer records, else the only <image>, else the bitmap covers the whole canvas)")
    p.add_argument("--select", default="", help="comma-separated ids of the paths, groups or layers to refine "
                   "(default: every filled shape of the document)")
    add_cli_arguments(p, REFINE_OPTIONS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 on success)."""
    args = start_command(build_parser, argv)
    if isinstance(args, int):
        return args
    from layervec_ext.core.refine import RefineError
    from layervec_ext.core.refine.document import parse_document
    from layervec_ext.core.vectorize import ImageError

    if not args.output.strip():
        return fail("-o: an empty name; give the SVG file to write, or - for standard output", EXIT_USAGE)
    if (problem := output_problem(args.output, [args.input, args.image or ""])) is not None:
        return fail(problem, EXIT_INPUT)  # before any work, not after it
    ids = [i.strip() for i in args.select.split(",") if i.strip()]
    try:
        with open(args.input, "rb") as fh:
            tree = parse_document(fh.read(), args.input)
        image = _bitmap(args, tree, ids)
    except OSError as exc:
        return fail(f"cannot read {args.input}: {exc.strerror or exc}", EXIT_INPUT)
    except (RefineError, ImageError) as exc:
        return fail(str(exc), EXIT_INPUT)
    import torch

    torch.set_num_threads(args.threads)
    from layervec_ext.core.refine import refine
    from layervec_ext.core.vectorize import Settings

    report, snapshot, close = progress_reporter(args)
    started = time.perf_counter()

    def job():
        settings = Settings.preset(args.preset, device=args.device, seed=args.seed, max_size=args.max_size)
        result = refine(tree.getroot(), image, settings, ids=ids, image_id=args.image_id, add_paths=args.add_paths,
                        keep_shapes=args.keep_shapes, fill_kind=args.fill_kind, progress=interruptible(report),
                        snapshot=snapshot)
        return _serialise(tree), result

    code, result = run_and_write(job, close, args.output, input_errors=(RefineError,))
    if code:
        return code
    seconds = time.perf_counter() - started
    if args.progress_json:
        say(protocol.Result(args.output, result.refined + result.added, seconds))
    elif not args.quiet:
        added = f", {result.added} added" if result.added else ""
        sys.stderr.write(f"layervec refine: {args.output}: {result.refined} paths refined{added}, "
                         f"{result.psnr_before:.1f} → {result.psnr_after:.1f} dB, {seconds:.1f} s\n")
    return 0


def _bitmap(args, tree, ids: list[str]):
    """The bitmap's pixels: ``--image``, else the ``<image>``'s own link or data."""
    from layervec_ext.core.refine import RefineError
    from layervec_ext.core.refine.document import find_image, image_href, selected_elements
    from layervec_ext.core.vectorize import load_image

    if args.image:
        return load_image(args.image)
    import os

    from layervec_ext.inkscape.bitmap import BitmapError, load_href

    root = tree.getroot()
    img = find_image(root, selected_elements(root, ids), args.image_id)
    if img is None:
        raise RefineError("no bitmap: give --image, or --image-id naming the <image> the paths trace")
    try:
        bitmap = load_href(image_href(img), [os.path.dirname(os.path.abspath(args.input)), os.getcwd()])
    except BitmapError as exc:
        raise RefineError(f"image {img.get('id') or ''}: {exc}") from None
    return load_image(bitmap.data)


def _serialise(tree) -> str:
    from lxml import etree

    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8").decode("utf-8")
