"""``layervec IN -o OUT.svg``: the vectorizer as a command (also the Inkscape extension's backend).

``layervec A.png B.jpg FOLDER/ -o OUTDIR/ [--jobs N]`` vectorizes many pictures, each into
``OUTDIR/<stem>.svg``: one line per finished picture on stderr, a failing picture reported in one
line while the others finish, and an exit code that says whether all succeeded (see
:func:`run_batch`). One input with ``-o FILE.svg`` (or ``-``) is the single run, unchanged.

User mistakes (missing/corrupt file, bad option) give one line on stderr and a non-zero exit code,
and never leave a partial output file: the SVG is written to a temporary file beside the target and
renamed into place at the end. ``--progress-json`` makes stderr the JSON lines of
:mod:`layervec_ext.protocol` (progress, previews into ``--preview-dir``, the result, the error) for the
Inkscape side; a terminal gets a progress bar unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, NamedTuple

from layervec_ext import protocol
from layervec_ext.core.reporting import (
    Parser,
    TerminalBar,
    UsageError,
    fail,
    interruptible,
    output_problem,
    progress_reporter,
    raise_if_interrupted,
    run_and_write,
    say,
    start_command,
    write_output,
)
from layervec_ext.options import add_cli_arguments
from layervec_ext.protocol import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    """The command's parser: input and output here, every option from :mod:`layervec_ext.options`."""
    p = Parser(prog="layervec", description="Vectorize a bitmap into layered, gradient-filled Bézier paths.")
    p.add_argument("input", nargs="+", help="PNG, JPEG, WebP, GIF, BMP or TIFF files, or folders of them "
                   "('-' reads standard input)")
    p.add_argument("-o", "--output", required=True, help="SVG file to write ('-' writes standard output); with "
                   "several inputs, a folder, or a name ending in '/': the folder to write NAME.svg files into")
    add_cli_arguments(p)
    return p


def _read_input(name: str):
    from layervec_ext.core.vectorize import load_image

    if name == "-":
        return load_image(sys.stdin.buffer.read())
    return load_image(name)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 on success)."""
    args = start_command(build_parser, argv)
    if isinstance(args, int):
        return args
    if not args.output.strip():
        return fail("-o: an empty name; give the SVG file to write, a folder, or - for standard output", EXIT_USAGE)
    if _is_batch(args.input, args.output):
        try:
            return run_batch(args)
        except KeyboardInterrupt:  # while starting (imports); later ones are caught inside
            TerminalBar.close_last()
            return fail("interrupted", EXIT_INTERRUPTED)
    if (problem := output_problem(args.output, [args.input[0]])) is not None:
        return fail(problem, EXIT_INPUT)  # before any work, not after it
    from layervec_ext.core.vectorize import ImageError

    try:  # before importing torch: a bad file is reported at once
        image = _read_input(args.input[0])
    except ImageError as exc:
        return fail(str(exc), EXIT_INPUT)
    import torch

    torch.set_num_threads(args.threads)
    from layervec_ext.core.svg.write import scene_to_svg
    from layervec_ext.core.vectorize import Settings, vectorize
    report, snapshot, close = progress_reporter(args)
    started = time.perf_counter()

    def job():
        settings = Settings.preset(args.preset, paths=args.paths, fill=args.fill, segments=args.segments,
                                   device=args.device, seed=args.seed, max_size=args.max_size, layers=args.layers)
        scene = vectorize(image, settings, progress=interruptible(report), snapshot=snapshot)
        return scene_to_svg(scene), scene

    code, scene = run_and_write(job, close, args.output)
    if code:
        return code
    if args.progress_json:
        say(protocol.Result(args.output, scene.num_paths, time.perf_counter() - started))
    elif isinstance(report, TerminalBar) and report.stage.startswith("done"):
        # on a terminal, the bar's last word stays: how many paths, and why fewer than asked
        sys.stderr.write(f"layervec: {args.output}: {report.stage}, {time.perf_counter() - started:.1f} s\n")
    return 0


# -- many pictures at once ---------------------------------------------------------------------------


def _is_batch(inputs: list[str], output: str) -> bool:
    """Several inputs, a folder among them, or ``-o`` naming a folder; else the single run as ever."""
    if len(inputs) > 1 or any(i != "-" and Path(i).is_dir() for i in inputs):
        return True
    return output != "-" and (output.endswith(("/", os.sep)) or Path(output).is_dir())


def picture_suffixes() -> frozenset[str]:
    """File name endings (``.png``, ``.jpg`` …) of the formats :func:`load_image` reads, taken from
    its ``FORMATS`` and Pillow's registry so that a folder input follows them if they change."""
    from PIL import Image

    from layervec_ext.core.vectorize.imageio import FORMATS

    return frozenset(ext.lower() for ext, fmt in Image.registered_extensions().items() if fmt in FORMATS)


class _BatchInputError(Exception):
    """An input problem found before any work (a folder with no pictures)."""


class _Job(NamedTuple):
    name: str  # the input as the user sees it (a folder's pictures as FOLDER/NAME)
    output: Path


class _Outcome(NamedTuple):
    """What one picture's run sends back (plain values: it crosses from a worker process)."""

    svg: str | None
    seconds: float
    paths: int
    error: str = ""  # one line, starting with the picture's name
    code: int = 0


def _expand(inputs: list[str], folder: Path) -> list[_Job]:
    """Inputs → jobs in command-line order, a folder's pictures sorted by name (dot files and other
    formats skipped). Raises ``UsageError`` for a problem found before any work."""
    if "-" in inputs:
        raise UsageError("'-' (standard input) is one picture, written to -o FILE.svg or -o -, not with "
                         "other inputs or into a folder")
    suffixes = picture_suffixes()
    names: list[str] = []
    for given in inputs:
        path = Path(given)
        if not path.is_dir():
            names.append(str(path))  # a missing or unreadable file is that picture's failure, later
            continue
        found = sorted(p for p in path.iterdir()
                       if p.suffix.lower() in suffixes and not p.name.startswith(".") and not p.is_dir())
        if not found:
            raise _BatchInputError(f"{given}: a folder with no PNG, JPEG, WebP, GIF, BMP or TIFF pictures in it")
        names += [str(p) for p in found]
    jobs, seen = [], {}
    for name in names:
        stem = Path(name).stem
        key = stem.casefold()  # a.png and A.jpg are one file on a case-insensitive disk
        if key in seen and os.path.abspath(seen[key]) == os.path.abspath(name):
            raise UsageError(f"{name} is given twice")
        if key in seen:
            raise UsageError(f"{seen[key]} and {name} would both be written to {folder / (stem + '.svg')}; "
                              "rename one or vectorize them separately")
        seen[key] = name
        jobs.append(_Job(name, folder / f"{stem}.svg"))
    return jobs


_worker_threads = 0  # torch set up in this process with this many threads (0: not yet)


def _ensure_torch(threads: int) -> None:
    """The single run's set-up, once per process: ``prepare_process`` ran before, torch's threads here."""
    global _worker_threads
    if _worker_threads != threads:
        import torch

        torch.set_num_threads(threads)
        _worker_threads = threads


def _worker_init(threads: int) -> None:
    """A worker process: the parent handles Ctrl-C (and ends the workers), so it is ignored here."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from layervec_ext.core.runtime import prepare_process

    prepare_process(threads)  # before numpy/torch load
    _ensure_torch(threads)


def vectorize_file(name: str, settings: Any, threads: int = 1,
                   progress: Callable[[float, str], None] | None = None) -> _Outcome:
    """One picture to SVG text, every failure a one-line ``error`` naming it (never raised, so a
    worker process sends it back like a result). Seconds count decoding and vectorizing, not
    importing torch."""
    from layervec_ext.core.vectorize import ImageError, load_image

    start = time.perf_counter()
    try:  # before importing torch: a run of bad files never pays for it
        image = load_image(name)
    except ImageError as exc:
        msg = str(exc)
        return _Outcome(None, 0.0, 0, msg if msg.startswith(name) else f"{name}: {msg}", EXIT_INPUT)
    decoded = time.perf_counter() - start
    _ensure_torch(threads)
    from layervec_ext.core.svg.write import scene_to_svg
    from layervec_ext.core.vectorize import vectorize

    start = time.perf_counter()
    try:
        scene = vectorize(image, settings, progress=progress)
        svg = scene_to_svg(scene)
    except ValueError as exc:
        return _Outcome(None, 0.0, 0, f"{name}: {exc}".splitlines()[0], EXIT_USAGE)
    except Exception as exc:  # an internal failure of one picture; the others go on
        return _Outcome(None, 0.0, 0, f"{name}: internal error: {type(exc).__name__}: {exc}".splitlines()[0],
                        EXIT_INTERNAL)
    return _Outcome(svg, decoded + time.perf_counter() - start, scene.num_paths)


class _BatchReport:
    """stderr of a batch: a line per finished picture (JSON lines with ``--progress-json``), a bar
    under them on a terminal, error lines always, and the summary."""

    def __init__(self, args: argparse.Namespace, total: int, folder: Path):
        self.total, self.folder, self.done, self.failed = total, folder, 0, 0
        self.start = time.perf_counter()
        self.json = args.progress_json
        self.quiet = args.quiet and not self.json
        self.tty = not self.quiet and not self.json and sys.stderr.isatty()

    def bar(self, label: str = "") -> Callable[[float, str], None] | None:
        """A progress bar for the picture(s) in work (a terminal only), drawn below the finished lines."""
        if not self.tty:
            return None
        return TerminalBar(sys.stderr, width=20, label=label)

    def _line(self, text: str) -> None:
        TerminalBar.close_last()
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def finished(self, job: _Job, outcome: _Outcome) -> None:
        self.done += 1
        if self.json:  # one result or error line per picture, and how far the batch is
            TerminalBar.close_last()
            if outcome.error:
                self.failed += 1
                say(protocol.Error(outcome.error, outcome.code))
            else:
                say(protocol.Result(str(job.output), outcome.paths, outcome.seconds, job.name))
            say(protocol.Progress(self.done / self.total, f"{self.done} of {self.total} pictures",
                                   time.perf_counter() - self.start))
        elif outcome.error:
            self.failed += 1
            self._line(f"layervec: error: {outcome.error}")
        elif not self.quiet:
            self._line(f"[{self.done}/{self.total}] {job.name} → {job.output}  {outcome.seconds:.1f} s, "
                       f"{outcome.paths} paths")

    def note(self, text: str) -> None:
        """A line about the batch itself (not one picture's), on a terminal or a plain stderr."""
        if not self.json and not self.quiet:
            self._line(f"layervec: {text}")

    def summary(self) -> None:
        """The last line, with more than one picture (under ``--quiet`` only when some failed)."""
        if self.total > 1 and not self.json and (not self.quiet or self.failed):
            failed = f", {self.failed} failed" if self.failed else ""
            written = self.total - self.failed
            self._line(f"layervec: {written} of {self.total} pictures written to {self.folder}{failed}")
        TerminalBar.close_last()


def _run_here(jobs: list[_Job], settings: Any, threads: int, report: _BatchReport,
              finish: Callable[[_Job, _Outcome], None]) -> None:
    """``--jobs 1``: one picture after the other in this process (torch loads once)."""
    for i, job in enumerate(jobs):
        bar = report.bar(f"[{i + 1}/{len(jobs)}] {Path(job.name).name[:24]} ")
        outcome = vectorize_file(job.name, settings, threads, progress=interruptible(bar))
        raise_if_interrupted()  # a Ctrl-C that landed where it was dropped: this picture is not written
        finish(job, outcome)


def _run_pool(jobs: list[_Job], settings: Any, threads: int, workers: int, report: _BatchReport,
              finish: Callable[[_Job, _Outcome], None]) -> None:
    """``--jobs N``: N spawned worker processes (no fork after torch), one picture at a time each;
    results are written here as they come. A worker that dies (the out-of-memory killer, a kill)
    breaks its pool: the pictures in work then are tried again, each alone in a fresh worker, and
    the one that dies again is reported failed; the others go on in a fresh pool."""
    todo = deque(jobs)
    while todo:
        suspects = _pool_pass(todo, settings, threads, workers, report, finish)
        if suspects:
            report.note(f"a worker process died with {', '.join(j.name for j in suspects)} in work "
                        "(out of memory, or killed); trying each again alone")
        for job in suspects:
            if _pool_pass(deque([job]), settings, threads, 1, report, finish):
                finish(job, _Outcome(None, 0.0, 0, f"{job.name}: internal error: its worker process died twice "
                                     "(out of memory, or killed)", EXIT_INTERNAL))


def _pool_pass(todo: deque[_Job], settings: Any, threads: int, workers: int, report: _BatchReport,
               finish: Callable[[_Job, _Outcome], None]) -> list[_Job]:
    """Pictures from ``todo`` through a fresh pool of ``workers``, at most one in work per worker,
    until ``todo`` is empty (returns ``[]``) or a worker died (returns the pictures in work then;
    the rest stay in ``todo``). On any exception (Ctrl-C) the workers are ended."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(threads,))
    total = report.total
    try:
        running: dict[Any, _Job] = {}
        suspects: list[_Job] = []
        bar = report.bar()
        if bar is not None:
            bar(report.done / total, f"{report.done} of {total} pictures, {workers} workers")
        broken = False  # the pool broke with no picture in work: the next pass starts afresh
        while (todo or running) and not broken:
            while todo and len(running) < workers and not suspects:
                job = todo.popleft()
                try:
                    future = pool.submit(vectorize_file, job.name, settings, threads)
                except BrokenProcessPool:  # a worker died between two results: those in work say who
                    todo.appendleft(job)
                    broken = not running
                    break
                running[future] = job
            if broken:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    suspects.append(job)
                    continue
                except Exception as exc:  # could not send the picture or its result back
                    outcome = _Outcome(None, 0.0, 0, f"{job.name}: internal error: {type(exc).__name__}: {exc}"
                                       .splitlines()[0], EXIT_INTERNAL)
                finish(job, outcome)
                bar = report.bar()
                if bar is not None and report.done < total:
                    bar(report.done / total, f"{report.done} of {total} pictures, {workers} workers")
            if suspects and not running:
                break
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
        for process in processes:
            process.terminate()  # they write nothing: no partial file is left behind
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(5)
        raise
    pool.shutdown()
    return suspects


def run_batch(args: argparse.Namespace) -> int:
    """Many pictures into the folder ``args.output`` (created if missing).

    Problems found before any work (``-o`` an existing file or an unwritable folder, two inputs with
    one stem, a folder with no pictures, a bad option, no CUDA for ``--device cuda``) are one line and
    nothing is written (a folder the run made and wrote nothing into is removed again). Then each picture that fails
    gets one ``layervec: error: NAME: …`` line and the others finish. Exit code: 0 when every
    picture was written, else the largest code among the failures (1 unreadable input or unwritable
    output, 2 an option the picture can't use, 3 internal error); 130 on Ctrl-C.
    """
    if args.output == "-":
        return fail("-o -: standard output takes a single picture; give a folder for several", EXIT_USAGE)
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        return fail(f"-o {args.output}: is an existing file; with several inputs -o must be a folder", EXIT_USAGE)
    try:
        jobs = _expand(args.input, folder)
    except UsageError as exc:
        return fail(str(exc), EXIT_USAGE)
    except _BatchInputError as exc:
        return fail(str(exc), EXIT_INPUT)
    except OSError as exc:
        return fail(f"cannot read folder {exc.filename}: {exc.strerror or exc}", EXIT_INPUT)
    from layervec_ext.core.vectorize.settings import Settings  # torch-free: workers import torch, not this

    try:
        settings = Settings.preset(args.preset, paths=args.paths, fill=args.fill, segments=args.segments,
                                   device=args.device, seed=args.seed, max_size=args.max_size, layers=args.layers)
        settings.check()
        if settings.device == "cuda":  # once, not once per picture (this loads torch here)
            from layervec_ext.core.vectorize.pipeline import resolve_device

            resolve_device(settings.device)
    except ValueError as exc:
        return fail(str(exc).splitlines()[0] if str(exc) else "invalid option", EXIT_USAGE)
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return fail(f"cannot create folder {args.output}: {exc.strerror or exc}", EXIT_INPUT)
    if not os.access(folder, os.W_OK | os.X_OK):
        return fail(f"cannot write into folder {args.output}: permission denied", EXIT_INPUT)
    try:
        return _run_jobs(args, jobs, settings, folder)
    finally:
        if made and not any(folder.iterdir()):
            folder.rmdir()  # nothing written: no empty folder left behind


def _run_jobs(args: argparse.Namespace, jobs: list[_Job], settings: Any, folder: Path) -> int:
    """The batch's pictures into ``folder``, reported; the exit code (see :func:`run_batch`)."""
    report = _BatchReport(args, len(jobs), folder)
    codes: list[int] = []

    def finish(job: _Job, outcome: _Outcome) -> None:
        if outcome.svg is not None:
            try:
                write_output(outcome.svg, str(job.output))
            except OSError as exc:
                outcome = outcome._replace(error=f"{job.name}: cannot write {job.output}: {exc.strerror or exc}",
                                           code=EXIT_INPUT)
        codes.append(outcome.code)
        report.finished(job, outcome)

    workers = min(args.jobs, len(jobs))
    try:
        if workers <= 1:
            _run_here(jobs, settings, args.threads, report, finish)
        else:
            _run_pool(jobs, settings, args.threads, workers, report, finish)
    except KeyboardInterrupt:
        TerminalBar.close_last()
        written = sum(1 for c in codes if c == 0)
        return fail(f"interrupted ({written} of {len(jobs)} pictures written)", EXIT_INTERRUPTED)
    report.summary()
    return max(codes, default=0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
