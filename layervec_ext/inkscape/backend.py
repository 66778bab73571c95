"""Running the backend (``python -m layervec_ext``, or a subcommand of it such as ``refine``) in its own
interpreter.

Inkscape's Python has no torch, so the vectorizer runs in the environment install.py made. Which
interpreter: ``$LAYERVEC_PYTHON``, else ``layervec_ext/backend.json`` (``{"python": "/abs/path"}``),
else ``<repo>/.venv`` found through the package's real path (the install may symlink the package
into Inkscape's extensions folder). It reports in :mod:`layervec_ext.protocol` lines on stderr, read
here (:class:`BackendRun`) and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from layervec_ext import protocol
from layervec_ext.options import OPTIONS, Option, command_line

NOT_INSTALLED = "LayerVec backend not installed: run python3 install.py"


class BackendError(RuntimeError):
    """``str(err)`` is one line for the user."""


def package_dirs() -> list[str]:
    """The ``layervec_ext`` folder as Inkscape sees it and, if that is a link, where it really is."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    real = os.path.realpath(here)
    return [here] if real == here else [here, real]


def _venv_python(root: str) -> str:
    sub = ("Scripts", "python.exe") if os.name == "nt" else ("bin", "python")
    return os.path.join(root, ".venv", *sub)


def find_python() -> str:
    """The backend interpreter, or :class:`BackendError` saying how to install it."""
    env = os.environ.get("LAYERVEC_PYTHON", "").strip()
    if env:
        if not os.path.isfile(env):
            raise BackendError(f"LAYERVEC_PYTHON points to {env}, which does not exist")
        return env
    for folder in package_dirs():
        record = os.path.join(folder, "backend.json")
        if os.path.isfile(record):
            try:
                with open(record, encoding="utf-8") as fh:
                    python = json.load(fh)["python"]
            except (OSError, ValueError, KeyError, TypeError):
                raise BackendError(f"{record} is unreadable: run python3 install.py again") from None
            if os.path.isfile(python):
                return python
            raise BackendError(f"the backend Python {python} is gone: run python3 install.py again")
    for folder in package_dirs():
        python = _venv_python(os.path.dirname(folder))
        if os.path.isfile(python):
            return python
    raise BackendError(NOT_INSTALLED)


class Cancelled(Exception):
    """The artist cancelled (the window's Cancel, Escape, closing it) or Inkscape ended us."""


class BackendRun:
    """One backend process on one input: started at once; its stderr read on a thread, line by line,
    into :mod:`layervec_ext.protocol` messages, for :meth:`poll` from the main thread (the window's
    timer) while :meth:`wait` or a window waits. :meth:`result` reads the exit code and the messages.

    ``preview_dir``: the backend writes PNGs of the result so far there (``--preview-dir``).
    ``subcommand`` (e.g. ``"refine"``), its own ``arguments`` and the ``option_set`` that ``settings``
    are flags of: the command is ``python -m layervec_ext [SUBCOMMAND] INPUT -o OUT ARGUMENTS FLAGS``.
    """

    def __init__(self, image_path: str, settings: Mapping[str, Any], preview_dir: str | None = None,
                 preview_every: float = 1.0, subcommand: str | None = None, arguments: Sequence[str] = (),
                 option_set: Iterable[Option] = OPTIONS):
        self.python = find_python()
        pkg_parent = os.path.dirname(package_dirs()[-1])
        env = dict(os.environ)
        # Inkscape's PYTHONPATH points at its bundled modules; the backend needs only our package.
        env["PYTHONPATH"] = pkg_parent
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.tmp = tempfile.mkdtemp(prefix="layervec-")
        self.out_svg = os.path.join(self.tmp, "out.svg")
        sent = {**settings, "progress_json": True}
        if preview_dir:
            sent.update(preview_dir=preview_dir, preview_every=preview_every)
        cmd = [self.python, "-m", "layervec_ext", *([subcommand] if subcommand else []), image_path,
               "-o", self.out_svg, *arguments, *command_line(sent, option_set)]
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        self.cancelled = False
        self.messages: queue.Queue = queue.Queue()
        self.seen: list[protocol.Message] = []
        try:  # from this (the main) thread: the death signal follows the thread that started the child
            self.proc = subprocess.Popen(cmd, cwd=self.tmp, env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, creationflags=flags,
                                         preexec_fn=_die_with_parent())
        except OSError as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise BackendError(f"cannot start the backend {self.python}: {exc.strerror or exc}") from None
        self.reader = threading.Thread(target=self._read, name="layervec-backend-stderr", daemon=True)
        self.reader.start()

    def __enter__(self) -> BackendRun:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read(self) -> None:
        for raw in self.proc.stderr:
            message = protocol.decode(raw.decode("utf-8", "replace"))
            if isinstance(message, protocol.Text) and not message.text:
                continue
            self.seen.append(message)
            self.messages.put(message)

    def poll(self) -> list[protocol.Message]:
        """The messages that came since the last call."""
        out = []
        while True:
            try:
                out.append(self.messages.get_nowait())
            except queue.Empty:
                return out

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """End the backend now (SIGKILL: it writes nothing half-way that anyone reads)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def cancel(self) -> None:
        """The artist's Cancel: the process is gone when this returns."""
        self.cancelled = True
        self.kill()

    def wait(self, timeout: float) -> None:
        """Until the backend exits; :class:`BackendError` (and the process killed) past ``timeout``."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise BackendError(timeout_message(timeout)) from None

    def result(self) -> str:
        """The SVG text, after the process exited; or :class:`Cancelled` / :class:`BackendError`
        from the exit code and what the backend said."""
        code = self.proc.wait()
        self.reader.join(5)
        if self.cancelled:
            raise Cancelled()
        errors = [m for m in self.seen if isinstance(m, protocol.Error)]
        if code != protocol.EXIT_OK or errors:
            raise BackendError(failure(code, errors, [m.text for m in self.seen if isinstance(m, protocol.Text)],
                                       self.python))
        try:
            with open(self.out_svg, encoding="utf-8") as fh:
                return fh.read()
        except OSError:
            raise BackendError("backend wrote no result") from None

    def close(self) -> None:
        """Kill the backend if it still runs; remove its folder."""
        self.kill()
        if self.proc.stderr is not None:
            self.reader.join(5)
            self.proc.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def timeout_message(timeout: float) -> str:
    return f"the backend did not finish within {timeout:g} s (raise the time limit or use fewer paths)"


def failure(code: int, errors: list[protocol.Error], texts: list[str], python: str) -> str:
    """The one line for a failed run: the backend's own error when it said one, else what the exit
    code and its last words tell (a crash before our code ran, a kill by the system). What the
    backend refused as the input's or the settings' fault is said as it is: nothing failed."""
    if errors:
        error = errors[-1]
        return error.message if error.code in (protocol.EXIT_INPUT, protocol.EXIT_USAGE) \
            else f"backend failed: {error.message}"
    last = texts[-1] if texts else ""
    for prog in ("layervec refine: error: ", "layervec: error: "):  # argparse's prefix, by command
        last = last[len(prog):] if last.startswith(prog) else last
    if any("No module named" in t for t in texts):  # a Python without our package or its dependencies
        return f"{python} cannot run the LayerVec backend ({last}): run python3 install.py"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return f"backend was stopped by signal {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    return f"backend failed: {last}" if last else f"backend failed (exit code {code})"


def run_quietly(input_path: str, settings: Mapping[str, Any], timeout: float, **how: Any) -> str:
    """Run the backend on ``input_path`` with these option values and no window (``how``: the
    subcommand, its arguments and option set, as :class:`BackendRun` takes them); returns the SVG
    text or raises :class:`BackendError` (:class:`Cancelled` when Inkscape ends us)."""
    with BackendRun(input_path, settings, **how) as run, cancel_on_sigterm(run):
        run.wait(timeout)
        return run.result()


def vectorize(image_path: str, settings: Mapping[str, Any], timeout: float) -> str:
    """Vectorize ``image_path`` with these option values (``{"paths": 32, …}``) and no window."""
    return run_quietly(image_path, settings, timeout)


def refine_arguments(bitmap_path: str, image_id: str, select: Sequence[str]) -> list[str]:
    """The ``refine`` subcommand's own arguments: the bitmap's pixels, the ``<image>`` that places
    them in the document, the ids of the selected elements."""
    return ["--image", bitmap_path, "--image-id", image_id, "--select", ",".join(select)]


def _die_with_parent():
    """On Linux, have the kernel kill the backend when this script dies (Cancel in Inkscape may
    SIGKILL us, which no handler sees); elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except (OSError, AttributeError):
        return None

    def set_death_signal() -> None:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return set_death_signal


@contextlib.contextmanager
def cancel_on_sigterm(run: BackendRun) -> Iterator[BackendRun]:
    """While in the block, SIGTERM (Inkscape, or anyone, ending us) ends the backend too; the run then
    counts as cancelled. (Where SIGTERM can't be caught — not the main thread — nothing changes.)"""
    previous = None
    if hasattr(signal, "SIGTERM"):
        def _cancel(signum, frame):
            run.cancelled = True
            if run.proc.poll() is None:
                run.proc.kill()
        try:
            previous = signal.signal(signal.SIGTERM, _cancel)
        except ValueError:  # not the main thread
            previous = None
    try:
        yield run
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
