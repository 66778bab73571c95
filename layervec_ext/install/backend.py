"""The backend environment: create it, install PyTorch and LayerVec into it, ask what it imports.

Standard library only (it runs before the environment exists); what the environment can import is
asked by running :mod:`layervec_ext.install.probe` in it.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from layervec_ext.install.common import (
    DEFAULT_TORCH,
    PACKAGE,
    ROOT,
    STAMP_NAME,
    InstallError,
    State,
    clean_env,
    read_json,
    say,
    venv_python,
    write_if_changed,
)

PROBE = Path(__file__).resolve().parent / "probe.py"
BACKEND_MODULES = ("numpy", "cv2", "PIL", "lxml", "torch", "layervec_ext.core.render", "layervec_ext.core.vectorize")


def probe_backend(python: Path) -> dict | None:
    """Ask the environment's Python what it can import (from outside this folder, so the checkout
    itself doesn't count as installed); None when there is no such Python or it cannot answer."""
    if not python.exists():
        return None
    try:
        proc = run_probe(python, "backend", *BACKEND_MODULES)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return None


def run_probe(python: Path | str, *args: str, env: dict | None = None, timeout: float = 300
              ) -> subprocess.CompletedProcess:
    """``python probe.py ARGS`` from a temporary folder, writing no bytecode (OSError or TimeoutExpired
    when it cannot run)."""
    env = dict(env or clean_env(), PYTHONDONTWRITEBYTECODE="1")
    with tempfile.TemporaryDirectory(prefix="layervec-probe-") as tmp:
        return subprocess.run([str(python), str(PROBE), *args], cwd=tmp, env=env, capture_output=True, text=True,
                              timeout=timeout)


def from_this_checkout(probe: dict) -> bool:
    """Whether the environment runs this checkout's code (an editable install of it), not another copy."""
    package = probe.get("package")
    return bool(package) and Path(package).resolve().parent == PACKAGE.resolve()


def describe_torch(probe: dict) -> str:
    """torch's version and where it computes, for one status line."""
    if "torch" not in probe:
        return "no torch"
    where = f"CUDA on {probe['gpu']}" if probe.get("cuda") else "the CPU, no CUDA device"
    return f"torch {probe['torch']} on {where}"


def pyproject_hash() -> str:
    """Changes when the dependencies may have: then pip runs again."""
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def run_pip(python: Path, args: list[str], what: str) -> None:
    """pip with its key lines echoed; on failure its last lines, then a one-line error."""
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *args]
    tail: collections.deque[str] = collections.deque(maxlen=25)
    try:
        proc = subprocess.Popen(cmd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace")
    except OSError as exc:
        raise InstallError(f"cannot run pip in {python}: {exc}") from None
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        tail.append(line)
        if line.startswith(("Collecting ", "Installing collected", "Successfully installed", "ERROR")):
            say(f"  pip: {line[:150]}")
    if proc.wait() != 0:
        for line in tail:
            print(f"    {line}", flush=True)
        raise InstallError(f"pip could not install {what} (its last lines are above)")


def ensure_venv(env: Path, state: State) -> tuple[Path, bool]:
    """The backend environment's Python; creates the environment when there is none."""
    python = venv_python(env)
    if python.exists():
        return python, False
    if env.exists() and (not env.is_dir() or any(env.iterdir())):
        raise InstallError(f"{env} exists but is not a Python environment: pick another --venv or remove it")
    say(f"backend: creating the environment {env}")
    existed = env.exists()
    try:
        venv.EnvBuilder(with_pip=True, symlinks=os.name != "nt").create(str(env))
    except (OSError, subprocess.CalledProcessError, SystemExit) as exc:
        if not existed:
            shutil.rmtree(env, ignore_errors=True)
        hint = " (on Debian/Ubuntu: sudo apt install python3-venv)" if sys.platform.startswith("linux") else ""
        raise InstallError(f"could not create a virtual environment in {env}: {exc}{hint}") from None
    state.record(env, "venv")
    return python, True


def ensure_backend(env: Path, extras: list[str], torch_spec: str | None, state: State) -> tuple[Path, dict, bool]:
    """Environment + torch + LayerVec (editable, so it runs this checkout's code). Skips pip when the
    environment already holds this checkout's package installed from the same pyproject.toml."""
    env = Path(os.path.abspath(env))
    python, created = ensure_venv(env, state)
    stamp_path = env / STAMP_NAME
    stamp = read_json(stamp_path) or {}
    probe = probe_backend(python) or {}
    changed = created

    want_torch = torch_spec is not None and stamp.get("torch") != torch_spec
    if want_torch or "torch" not in probe:
        spec = torch_spec or DEFAULT_TORCH
        say(f"backend: installing PyTorch ({spec}); a large download unless pip has it cached, allow minutes")
        run_pip(python, shlex.split(spec), f"PyTorch ({spec})")
        changed = True

    extras = sorted(set(extras) | set(stamp.get("extras", [])))
    up_to_date = (stamp.get("pyproject") == pyproject_hash() and stamp.get("root") == str(ROOT)
                  and set(extras) <= set(stamp.get("extras", [])) and from_this_checkout(probe)
                  and not probe.get("missing"))
    if not up_to_date or changed:
        egg_info = ROOT / "layervec.egg-info"
        egg_existed = egg_info.exists()
        target = f"{ROOT}[{','.join(extras)}]" if extras else str(ROOT)
        say(f"backend: installing LayerVec{' with ' + '+'.join(extras) if extras else ''} and its dependencies "
            f"into {env} (editable: it runs this checkout's code)")
        run_pip(python, ["-e", target], "LayerVec")
        if not egg_existed and egg_info.exists():
            state.record(egg_info, "build-dir")
        probe = probe_backend(python) or {}
        if probe.get("missing") or not from_this_checkout(probe):
            problems = "; ".join(f"{k}: {v}" for k, v in (probe.get("missing") or {}).items()) or "not importable"
            raise InstallError(f"the backend still does not import after pip ({problems}): "
                               "a dependency missing from pyproject.toml?")
        stamp_text = json.dumps({"pyproject": pyproject_hash(), "root": str(ROOT), "extras": extras,
                                 "torch": torch_spec or stamp.get("torch")}, indent=2) + "\n"
        write_if_changed(stamp_path, stamp_text)
        if not created:
            state.record(stamp_path, "stamp")
        say(f"backend: ready: layervec {probe.get('version', '?')}, {describe_torch(probe)}")
        return python, probe, True
    say(f"backend: already installed in {env} (layervec {probe.get('version', '?')}, {describe_torch(probe)})")
    return python, probe, changed
