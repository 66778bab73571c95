"""What the ``layervec`` commands share: one-line usage errors, progress on a terminal bar or in
:mod:`layervec_ext.protocol` JSON lines (with previews), and writing the output file atomically.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from layervec_ext import protocol
from layervec_ext.files import write_atomic
from layervec_ext.protocol import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE

if TYPE_CHECKING:
    from layervec_ext.core.scene import Scene


class _State:
    json_lines = False  # --progress-json: errors too are protocol lines (set by a main before anything can fail)
    interrupted = False  # Ctrl-C came (see catch_interrupts)


state = _State()


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line instead of usage + message
        raise UsageError(message)


def start_command(build_parser: Callable[[], argparse.ArgumentParser],
                  argv: list[str] | None) -> argparse.Namespace | int:
    """What a command does first: its arguments parsed (a usage error is one line, in JSON with
    ``--progress-json``), the thread pools pinned before numpy or torch load, Ctrl-C caught. The
    arguments, or the exit code to return at once (a usage error, or 0 after ``--help``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    state.json_lines = "--progress-json" in argv
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return fail(str(exc), EXIT_USAGE)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    from layervec_ext.core.runtime import prepare_process

    prepare_process(args.threads)
    catch_interrupts()
    return args


def catch_interrupts() -> None:
    """Make Ctrl-C stick: Python raises KeyboardInterrupt wherever the signal lands, and where that
    is a finaliser or a callback the exception is printed and dropped and the run would go on;
    the flag set here lets :func:`raise_if_interrupted` raise it again at the next progress call."""
    import signal

    def handler(signum, frame):
        state.interrupted = True
        raise KeyboardInterrupt

    state.interrupted = False
    signal.signal(signal.SIGINT, handler)


def raise_if_interrupted() -> None:
    if state.interrupted:
        raise KeyboardInterrupt


def interruptible(progress: Callable[[float, str], None] | None) -> Callable[[float, str], None]:
    """``progress`` that first raises a Ctrl-C that came but was lost (see :func:`catch_interrupts`)."""

    def report(frac: float, stage: str) -> None:
        raise_if_interrupted()
        if progress is not None:
            progress(frac, stage)

    return report


def say(message: protocol.Message) -> None:
    sys.stderr.write(protocol.line(message))
    sys.stderr.flush()


class JsonReport:
    """``--progress-json``: progress lines (each 1 % or a new stage), and with ``--preview-dir`` a PNG
    of the scene so far whenever the vectorizer shows one — at most one per ``--preview-every``
    seconds; one shown sooner is drawn at the first progress call after that."""

    def __init__(self, preview_dir: str, every: float):
        self.start = time.perf_counter()
        self.last_frac, self.last_stage = -1.0, ""
        self.preview_dir, self.every = preview_dir, every
        self.shown_at, self.pending = -float("inf"), None

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, frac: float, stage: str) -> None:
        frac = max(float(frac), self.last_frac)  # the bar never goes back (a refill stage starts at 1.0)
        if frac - self.last_frac >= 0.01 or frac >= 1.0 or frac == 0.0 or stage != self.last_stage:
            self.last_frac, self.last_stage = frac, stage
            say(protocol.Progress(frac, stage, self.elapsed()))
        if self.pending is not None and self.elapsed() - self.shown_at >= self.every:
            self._draw(self.pending)

    def snapshot(self, scene: Scene) -> None:
        """The vectorizer's scene now (working pixels): drawn now, or kept until it is time."""
        if not self.preview_dir:
            return
        if self.elapsed() - self.shown_at >= self.every:
            self._draw(scene)
        else:
            self.pending = scene

    def _draw(self, scene) -> None:
        from layervec_ext.core.render_cmd import draw, write_png

        self.pending, self.shown_at = None, self.elapsed()
        path = os.path.join(self.preview_dir, "preview.png")
        try:
            write_png(draw(scene, "torch", None), path)  # written beside and renamed: never half a PNG
        except Exception:  # a preview is a courtesy: it never stops the run
            self.preview_dir = ""
            return
        say(protocol.Preview(os.path.abspath(path), scene.num_paths, self.elapsed()))


def progress_reporter(args: argparse.Namespace) -> tuple[Callable[[float, str], None] | None,
                                                         Callable[[Scene], None] | None, Callable[[], None]]:
    """A ``progress(fraction, stage)`` callable (or None), a ``snapshot(scene)`` one (or None) and a
    ``close()`` for them."""
    if args.progress_json:
        report = JsonReport(args.preview_dir, args.preview_every)
        return report, report.snapshot, lambda: None
    if args.quiet or not sys.stderr.isatty():
        return None, None, lambda: None
    return TerminalBar(sys.stderr), None, TerminalBar.close_last


class TerminalBar:
    """A one-line progress bar redrawn with ``\r`` (no tqdm dependency)."""

    last: TerminalBar | None = None

    def __init__(self, stream, width: int = 30, label: str = ""):
        self.stream, self.width, self.shown, self.label = stream, width, "", label
        self.stage = ""
        TerminalBar.last = self

    def __call__(self, frac: float, stage: str) -> None:
        self.stage = stage
        filled = int(round(frac * self.width))
        line = f"\r{self.label}[{'#' * filled}{'.' * (self.width - filled)}] {frac * 100:3.0f}% {stage[:40]:<40}"
        if line != self.shown:
            self.stream.write(line)
            self.stream.flush()
            self.shown = line

    @staticmethod
    def close_last() -> None:
        bar = TerminalBar.last
        if bar is not None and bar.shown:
            bar.stream.write("\r" + " " * (len(bar.shown) - 1) + "\r")
            bar.stream.flush()
        TerminalBar.last = None


def output_problem(output: str, inputs: list[str]) -> str | None:
    """Why a command could not write ``output`` (one line), found before its work: a missing or
    unwritable folder, or one of its ``inputs`` itself (which it would overwrite); None when it can
    (``-`` is standard output)."""
    if output == "-":
        return None
    target = Path(output)
    folder = target.parent
    if target.is_dir():
        return f"cannot write {output}: it is a folder"
    if not folder.is_dir():
        return f"cannot write {output}: folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write {output}: folder {folder} is not writable"
    for given in inputs:
        if given and given != "-" and target.exists() and Path(given).exists() and os.path.samefile(given, target):
            return f"-o {output} is the input {given} itself; give the output another name"
    return None


def write_output(text: str, output: str) -> None:
    """Write beside the target and rename, so a failure never leaves a partial SVG."""
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OSError(f"{output}: folder {folder} does not exist")
    write_atomic(target, text)


def fail(message: str, code: int) -> int:
    if state.json_lines:
        say(protocol.Error(message, code))
        return code
    sys.stderr.write(f"layervec: error: {message}\n")
    sys.stderr.flush()
    return code




def run_and_write(job: Callable[[], tuple[str, Any]], close: Callable[[], None], output: str,
                  input_errors: tuple[type[Exception], ...] = ()) -> tuple[int, Any]:
    """Run ``job`` (it returns the SVG text and what the caller reports), then write the text to
    ``output`` atomically: ``(0, value)``, or ``(exit code, None)`` after one line for the user — an
    ``input_errors`` exception is the input's fault, a ``ValueError`` a bad option, anything else
    internal; never a traceback. ``close`` ends the progress display first."""
    try:
        text, value = job()
        raise_if_interrupted()  # a Ctrl-C that landed where it was dropped: nothing is written
    except input_errors as exc:
        close()
        return fail(str(exc), EXIT_INPUT), None
    except ValueError as exc:
        close()
        return fail(str(exc).splitlines()[0] if str(exc) else "invalid option", EXIT_USAGE), None
    except KeyboardInterrupt:
        close()
        return fail("interrupted", EXIT_INTERRUPTED), None
    except Exception as exc:  # an internal failure still gets one line, not a traceback
        close()
        return fail(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], EXIT_INTERNAL), None
    close()
    try:
        write_output(text, output)
    except OSError as exc:
        return fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_INPUT), None
    return 0, value
