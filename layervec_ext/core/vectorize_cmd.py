"""``layervec IN -o OUT.svg``: the vectorizer as a command (also the Inkscape extension's backend).

User mistakes (missing/corrupt file, bad option) give one line on stderr and a non-zero exit code,
and never leave a partial output file: the SVG is written to a temporary file beside the target and
renamed into place at the end. ``--progress-json`` prints ``{"progress": f, "stage": s}`` lines on
stderr for the Inkscape side; a terminal gets a progress bar unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from layervec_ext.options import add_cli_arguments

EXIT_USAGE = 2
EXIT_INPUT = 1
EXIT_INTERNAL = 3


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The command's parser: input and output here, every option from :mod:`layervec_ext.options`."""
    p = _Parser(prog="layervec", description="Vectorize a bitmap into layered, gradient-filled Bézier paths.")
    p.add_argument("input", help="PNG, JPEG, WebP, GIF, BMP or TIFF file ('-' reads standard input)")
    p.add_argument("-o", "--output", required=True, help="SVG file to write ('-' writes standard output)")
    add_cli_arguments(p)
    return p


def _progress_reporter(args):
    """A ``progress(fraction, stage)`` callable and a ``close()`` for it."""
    if args.progress_json:
        last = [-1.0]

        def report(frac: float, stage: str) -> None:
            if frac - last[0] >= 0.01 or frac >= 1.0 or frac == 0.0:
                last[0] = frac
                sys.stderr.write(json.dumps({"progress": round(float(frac), 3), "stage": stage}) + "\n")
                sys.stderr.flush()

        return report, lambda: None
    if args.quiet or not sys.stderr.isatty():
        return None, lambda: None
    return _TerminalBar(sys.stderr), _TerminalBar.close_last


class _TerminalBar:
    """A one-line progress bar redrawn with ``\r`` (no tqdm dependency)."""

    last: _TerminalBar | None = None

    def __init__(self, stream, width: int = 30):
        self.stream, self.width, self.shown = stream, width, ""
        _TerminalBar.last = self

    def __call__(self, frac: float, stage: str) -> None:
        filled = int(round(frac * self.width))
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {frac * 100:3.0f}% {stage[:40]:<40}"
        if line != self.shown:
            self.stream.write(line)
            self.stream.flush()
            self.shown = line

    @staticmethod
    def close_last() -> None:
        bar = _TerminalBar.last
        if bar is not None and bar.shown:
            bar.stream.write("\r" + " " * (len(bar.shown) - 1) + "\r")
            bar.stream.flush()
        _TerminalBar.last = None


def _read_input(name: str):
    from layervec_ext.core.vectorize import load_image

    if name == "-":
        return load_image(sys.stdin.buffer.read())
    return load_image(name)


def _write_atomic(text: str, output: str) -> None:
    """Write beside the target and rename, so a failure never leaves a partial SVG."""
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OSError(f"{output}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it private; a normal file is what users expect
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"layervec: error: {message}\n")
    sys.stderr.flush()
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 on success)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    from layervec_ext.core.runtime import prepare_process

    prepare_process(args.threads)  # before numpy/torch load
    from layervec_ext.core.vectorize import ImageError

    try:  # before importing torch: a bad file is reported at once
        image = _read_input(args.input)
    except ImageError as exc:
        return _fail(str(exc), EXIT_INPUT)
    import torch

    torch.set_num_threads(args.threads)
    from layervec_ext.core.svg.write import scene_to_svg
    from layervec_ext.core.vectorize import Settings, vectorize
    report, close = _progress_reporter(args)
    try:
        settings = Settings.preset(args.preset, paths=args.paths, fill=args.fill, segments=args.segments,
                                   device=args.device, seed=args.seed, max_size=args.max_size, layers=args.layers)
        scene = vectorize(image, settings, progress=report)
        svg = scene_to_svg(scene)
    except ValueError as exc:
        close()
        return _fail(str(exc).splitlines()[0] if str(exc) else "invalid option", EXIT_USAGE)
    except KeyboardInterrupt:
        close()
        return _fail("interrupted", 130)
    except Exception as exc:  # an internal failure still gets one line, not a traceback
        close()
        return _fail(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], EXIT_INTERNAL)
    close()
    try:
        _write_atomic(svg, args.output)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}", EXIT_INPUT)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
