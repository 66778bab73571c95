"""Running the backend (``python -m layervec_ext``) in its own interpreter.

Inkscape's Python has no torch, so the vectorizer runs in the environment install.py made. Which
interpreter: ``$LAYERVEC_PYTHON``, else ``layervec_ext/backend.json`` (``{"python": "/abs/path"}``),
else ``<repo>/.venv`` found through the package's real path (the install may symlink the package
into Inkscape's extensions folder).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

from layervec_ext.options import command_line

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


def _error_line(stderr: str) -> str:
    """The backend's one-line error among its JSON progress lines."""
    lines = []
    for line in stderr.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                json.loads(line)
                continue
            except ValueError:
                pass
        lines.append(line)
    if not lines:
        return ""
    last = lines[-1]
    return last[len("layervec: error: "):] if last.startswith("layervec: error: ") else last


def vectorize(image_path: str, settings: Mapping[str, Any], timeout: float) -> str:
    """Run the backend on ``image_path`` with these option values (``{"paths": 32, …}``); returns the
    SVG text or raises :class:`BackendError`."""
    python = find_python()
    pkg_parent = os.path.dirname(package_dirs()[-1])
    env = dict(os.environ)
    # Inkscape's PYTHONPATH points at its bundled modules; the backend needs only our package.
    env["PYTHONPATH"] = pkg_parent
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with tempfile.TemporaryDirectory(prefix="layervec-") as tmp:
        out_svg = os.path.join(tmp, "out.svg")
        args = command_line({**settings, "progress_json": True})
        cmd = [python, "-m", "layervec_ext", image_path, "-o", out_svg, *args]
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        try:
            proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, creationflags=flags, preexec_fn=_die_with_parent())
        except OSError as exc:
            raise BackendError(f"cannot start the backend {python}: {exc.strerror or exc}") from None
        stderr = _wait(proc, timeout)
        if proc.returncode != 0:
            msg = _error_line(stderr)
            if "No module named" in stderr:  # a Python without our package or its dependencies
                raise BackendError(f"{python} cannot run the LayerVec backend ({msg}): run python3 install.py")
            raise BackendError(f"backend failed: {msg}" if msg else f"backend failed (exit code {proc.returncode})")
        try:
            with open(out_svg, encoding="utf-8") as fh:
                return fh.read()
        except OSError:
            raise BackendError("backend wrote no result") from None


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


def _wait(proc: subprocess.Popen, timeout: float) -> str:
    """Collect stderr until exit; kill on timeout or when Inkscape cancels us (SIGTERM)."""
    previous = None
    if hasattr(signal, "SIGTERM"):
        def _cancel(signum, frame):  # Cancel in Inkscape: don't leave the backend running
            proc.kill()
            sys.exit(1)
        try:
            previous = signal.signal(signal.SIGTERM, _cancel)
        except ValueError:  # not the main thread
            previous = None
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BackendError(f"the backend did not finish within {timeout:g} s "
                           "(raise the time limit or use fewer paths)") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    # Progress lines arrive here only at the end; inkex has no progress bar to feed anyway.
    return err.decode("utf-8", "replace")
