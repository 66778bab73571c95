#!/usr/bin/env python3
"""Set up LayerVec on this machine: the backend environment and the Inkscape extension.

Standard library only, and safe to run again: a second run finds everything in place and changes
nothing.

  python3 install.py               backend environment (.venv here) + register the extension with Inkscape
  python3 install.py --check       diagnose: Inkscape, its inkex, the backend, torch/CUDA, the registration
  python3 install.py --demo        set up, then vectorize the bundled sample (through Inkscape when it can)
  python3 install.py --test [-- PYTEST-ARGS]   set up with the test extras, then run the test suite
  python3 install.py --uninstall   remove exactly what install.py added

PyTorch: torch==2.13.0 is installed when the environment has no torch. For a CUDA build, install
your own torch into the environment first, or pass e.g.
  --torch "torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126"
"""

from __future__ import annotations

import argparse
import base64
import collections
import filecmp
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import venv
import xml.etree.ElementTree as ET
from pathlib import Path

from layervec_ext.options import BY_NAME, PRESETS

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "layervec_ext"
INX = ROOT / "layervec.inx"
EXTENSION_ID = "org.layervec.vectorize"
STATE_FILE = PACKAGE / ".install-state.json"
STAMP_NAME = "layervec-install.json"  # inside the environment: what was pip-installed, from which pyproject
DEFAULT_TORCH = "torch==2.13.0"
SAMPLE = PACKAGE / "samples" / "smiley.png"
# Never copied into Inkscape's folder: build litter and this checkout's own install records.
COPY_IGNORE = ("__pycache__", "*.pyc", ".install-state.json", "backend.json")
BACKEND_MODULES = ("numpy", "cv2", "PIL", "lxml", "torch", "layervec_ext.core.render", "layervec_ext.core.vectorize")
SVG_NS = "http://www.w3.org/2000/svg"
INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"


class InstallError(Exception):
    """A problem the user can act on; ``str()`` is the one line we print."""


def say(msg: str) -> None:
    print(f"[layervec] {msg}", flush=True)


# --------------------------------------------------------------------------------------------- state


class State:
    """What install.py made, so that ``--uninstall`` removes exactly that and nothing else.

    Kept in ``layervec_ext/.install-state.json`` (git-ignored); written only when it changes, so a
    second run leaves every file's mtime alone.
    """

    def __init__(self, path: Path = STATE_FILE):
        self.path = path
        self.made: list[dict] = []
        if path.is_file():
            try:
                self.made = list(json.loads(path.read_text(encoding="utf-8")).get("made", []))
            except (OSError, ValueError, AttributeError):
                raise InstallError(f"{path} is unreadable: delete it and run install.py again") from None

    def owns(self, path: Path) -> dict | None:
        key = os.path.abspath(path)
        return next((e for e in self.made if e["path"] == key), None)

    def record(self, path: Path, kind: str, source: Path | None = None) -> None:
        entry = {"path": os.path.abspath(path), "kind": kind}
        if source is not None:
            entry["source"] = os.path.abspath(source)
        self.made = [e for e in self.made if e["path"] != entry["path"]] + [entry]
        self.save()

    def forget(self, path: Path) -> None:
        key = os.path.abspath(path)
        self.made = [e for e in self.made if e["path"] != key]
        self.save()

    def save(self) -> None:
        if not self.made:
            if self.path.exists():
                self.path.unlink()
            return
        text = json.dumps({"made": self.made}, indent=2) + "\n"
        if not self.path.is_file() or self.path.read_text(encoding="utf-8") != text:
            self.path.write_text(text, encoding="utf-8")


# ------------------------------------------------------------------------------------------- backend


def venv_python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def clean_env(**extra: str) -> dict:
    """The user's environment without variables that would make another Python import the wrong code."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


PROBE = r"""
import importlib, json, sys
out = {"python": sys.version.split()[0], "missing": {}}
def attempt(name):
    try:
        importlib.import_module(name)
        return True
    except Exception as exc:
        out["missing"][name] = (type(exc).__name__ + ": " + str(exc)).splitlines()[0][:200]
        return False
for name in MODULES:
    attempt(name)
try:  # every backend module, so that a dependency missing from pyproject.toml shows now, not mid-run
    import pkgutil
    import layervec_ext.core as core
    for info in pkgutil.walk_packages(core.__path__, "layervec_ext.core.", onerror=attempt):
        attempt(info.name)
except Exception:
    pass
try:
    import torch
    out["torch"] = torch.__version__
    out["cuda"] = bool(torch.cuda.is_available())
    if out["cuda"]:
        out["gpu"] = torch.cuda.get_device_name(0)
except Exception:
    pass
try:
    import layervec_ext
    out["package"] = layervec_ext.__file__
except Exception:
    pass
try:
    from importlib.metadata import version
    out["version"] = version("layervec")
except Exception:
    pass
try:
    import pydiffvg  # noqa: F401
    out["diffvg"] = True
except Exception:
    out["diffvg"] = False
print(json.dumps(out))
"""


def probe_backend(python: Path) -> dict | None:
    """Ask the environment's Python what it can import (outside this folder, so the checkout itself
    doesn't count as installed)."""
    if not python.exists():
        return None
    code = f"MODULES = {BACKEND_MODULES!r}\n{PROBE}"
    with tempfile.TemporaryDirectory(prefix="layervec-probe-") as tmp:
        try:
            proc = subprocess.run([str(python), "-c", code], cwd=tmp, env=clean_env(PYTHONDONTWRITEBYTECODE="1"),
                                  capture_output=True,
                                  text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired):
            return None
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def from_this_checkout(probe: dict) -> bool:
    package = probe.get("package")
    return bool(package) and Path(package).resolve().parent == PACKAGE.resolve()


def describe_torch(probe: dict) -> str:
    if "torch" not in probe:
        return "no torch"
    where = f"CUDA on {probe['gpu']}" if probe.get("cuda") else "the CPU, no CUDA device"
    return f"torch {probe['torch']} on {where}"


def pyproject_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


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


# ------------------------------------------------------------------------------------------ Inkscape


def find_inkscape(explicit: str | None = None) -> str | None:
    """The Inkscape executable: --inkscape, PATH, or where the official installers put it."""
    if explicit:
        return explicit if os.path.isfile(explicit) else shutil.which(explicit)
    found = shutil.which("inkscape")
    if found:
        return found
    candidates = {
        "darwin": ["/Applications/Inkscape.app/Contents/MacOS/inkscape"],
        "win32": [os.path.join(os.environ.get(v, ""), "Inkscape", "bin", "inkscape.exe")
                  for v in ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA") if os.environ.get(v)],
    }.get(sys.platform, [])
    return next((c for c in candidates if os.path.isfile(c)), None)


def inkscape_output(inkscape: str, *args: str, own_profile: bool = False) -> str | None:
    """Last non-empty stdout line of a quick Inkscape query (GTK warnings go to stderr).

    Every Inkscape start fills its profile folder; unless the answer is about that profile
    (``own_profile``), it gets a throwaway one, so asking changes nothing of the user's."""
    with tempfile.TemporaryDirectory(prefix="layervec-profile-") as tmp:
        env = clean_env() if own_profile else clean_env(INKSCAPE_PROFILE_DIR=tmp)
        try:
            proc = subprocess.run([inkscape, *args], capture_output=True, text=True, timeout=120,
                                  stdin=subprocess.DEVNULL, env=env)
        except (OSError, subprocess.TimeoutExpired):
            return None
    lines = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    return lines[-1] if proc.returncode == 0 and lines else None


def default_extensions_dir() -> Path:
    home = Path.home()
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", home / "AppData" / "Roaming")) / "inkscape" / "extensions"
    if sys.platform == "darwin":
        return home / "Library/Application Support/org.inkscape.Inkscape/config/inkscape/extensions"
    config = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config) / "inkscape" / "extensions"


def extensions_dir(explicit: Path | None, inkscape: str | None) -> tuple[Path, str]:
    """Inkscape's user extensions folder and how we know it."""
    if explicit:
        return Path(os.path.abspath(explicit)), "--extensions-dir"
    profile = os.environ.get("INKSCAPE_PROFILE_DIR")
    if profile:
        return Path(os.path.abspath(profile)) / "extensions", "INKSCAPE_PROFILE_DIR"
    if inkscape:
        data = inkscape_output(inkscape, "--user-data-directory", own_profile=True)
        if data:
            return Path(data) / "extensions", "inkscape --user-data-directory"
    return default_extensions_dir(), "this system's default (Inkscape not found to ask)"


def is_link_to(path: Path, source: Path) -> bool:
    return path.is_symlink() and os.path.realpath(path) == os.path.realpath(source)


def same_tree(a: Path, b: Path) -> bool:
    """Same files with the same bytes, ignoring COPY_IGNORE."""
    if a.is_file() or b.is_file():
        return a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)
    ignore = shutil.ignore_patterns(*COPY_IGNORE)
    names_a = set(os.listdir(a)) - set(ignore(str(a), os.listdir(a)))
    names_b = set(os.listdir(b)) - set(ignore(str(b), os.listdir(b)))
    return names_a == names_b and all(same_tree(a / n, b / n) for n in names_a)


def remove_path(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def make_dirs(folder: Path, state: State) -> None:
    """mkdir -p, recording each folder we create so that --uninstall can remove it if left empty."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        state.record(path, "dir")


def place(dest: Path, source: Path, copy: bool, force: bool, state: State) -> tuple[bool, str | None]:
    """Link (or copy) ``source`` to ``dest``. Returns (changed, refusal message or None)."""
    ours = state.owns(dest)
    if not copy and is_link_to(dest, source):
        if not ours:
            state.record(dest, "link", source)  # a link into this checkout is ours whoever made it
        say(f"Inkscape: {dest.name} already linked → {source}")
        return False, None
    if copy and ours and ours["kind"] == "copy" and dest.exists() and same_tree(source, dest):
        say(f"Inkscape: {dest.name} already copied there and up to date")
        return False, None
    if os.path.lexists(dest):
        if not ours and not force:
            what = f"a link to {os.readlink(dest)}" if dest.is_symlink() else "not made by install.py"
            return False, f"{dest} exists ({what}): left alone; --force replaces it"
        remove_path(dest)
        verb = "replaced" if ours else "replaced (--force)"
    else:
        verb = "copied" if copy else "linked"
    if copy:
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*COPY_IGNORE))
        else:
            shutil.copy2(source, dest)
        state.record(dest, "copy", source)
        say(f"Inkscape: {verb} {dest.name} (a copy of {source})")
    else:
        os.symlink(source, dest, target_is_directory=source.is_dir())
        state.record(dest, "link", source)
        say(f"Inkscape: {verb} {dest} → {source}")
    return True, None


def backend_json_text(python: Path) -> str:
    return json.dumps({"python": str(python)}, indent=2) + "\n"


def write_backend_json(path: Path, python: Path, force: bool, state: State) -> tuple[bool, str | None]:
    """Tell the extension which Python runs the backend. An earlier install's record is ours to update;
    anything else of that name is left alone without --force."""
    text = backend_json_text(python)
    if path.is_file() and path.read_text(encoding="utf-8", errors="replace") == text:
        if not state.owns(path):
            state.record(path, "backend-json")
        say(f"Inkscape: backend.json already points at {python}")
        return False, None
    old = read_json(path) if path.exists() else None
    ours = state.owns(path) or (old is not None and set(old) == {"python"})
    if path.exists() and not ours and not force:
        return False, f"{path} exists and is not a LayerVec backend record: left alone; --force replaces it"
    path.write_text(text, encoding="utf-8")
    state.record(path, "backend-json")
    was = f" (was {old['python']})" if old and old.get("python") not in (None, str(python)) else ""
    say(f"Inkscape: wrote {path}: the extension runs {python}{was}")
    return True, None


def register(python: Path, ext_dir: Path, how: str, copy: bool, force: bool, state: State) -> tuple[bool, list[str]]:
    """Make Inkscape see layervec.inx and layervec_ext/, and record the backend's Python."""
    say(f"Inkscape: extensions folder {ext_dir} (from {how})")
    make_dirs(ext_dir, state)
    changed, refusals = False, []
    for source in (INX, PACKAGE):
        did, refused = place(ext_dir / source.name, source, copy, force, state)
        changed |= did
        if refused:
            refusals.append(refused)
    installed_pkg = ext_dir / PACKAGE.name
    record_dir = installed_pkg if copy and installed_pkg.is_dir() and not installed_pkg.is_symlink() else PACKAGE
    did, refused = write_backend_json(record_dir / "backend.json", python, force, state)
    changed |= did
    if refused:
        refusals.append(refused)
    return changed, refusals


# -------------------------------------------------------------------------------------------- check


def inkscape_python(inkscape: str) -> str | None:
    """The interpreter Inkscape runs ``interpreter="python"`` scripts with: it puts its own folder first
    on PATH, then looks for python3 (pythonw/python on Windows)."""
    folder = os.path.dirname(os.path.realpath(inkscape))
    path = os.pathsep.join([folder, os.environ.get("PATH", "")])
    names = ("pythonw", "python") if os.name == "nt" else ("python3",)
    return next((found for name in names if (found := shutil.which(name, path=path))), None)


def check_inkex(inkscape: str, ext_dir: Path) -> tuple[bool, str]:
    """Import inkex and run our effect's argument parser the way Inkscape would."""
    python = inkscape_python(inkscape)
    if not python:
        return False, "no python3 beside Inkscape or on PATH: Inkscape cannot run Python extensions"
    system_data = inkscape_output(inkscape, "--system-data-directory")
    env = clean_env(PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (system_data and os.path.join(system_data, "extensions"),
                                                    str(ext_dir)) if p)
    try:
        proc = subprocess.run([python, "-c", "import sys, inkex; print(inkex.__version__, sys.version.split()[0])"],
                              capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{python} did not run: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"inkex does not import under {python}: {last}"
    inkex_version, py_version = (proc.stdout.split() + ["?", "?"])[:2]
    script = ext_dir / PACKAGE.name / "inkscape" / "layervec_effect.py"
    if not script.exists():
        script = PACKAGE / "inkscape" / "layervec_effect.py"
    try:
        proc = subprocess.run([python, str(script), "--help"], capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"the effect did not start: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"inkex {inkex_version} under {python}, but the effect fails to load: {last}"
    return True, f"inkex {inkex_version} under {python} (Python {py_version}); the effect loads"


def check_registration(ext_dir: Path, python: Path) -> tuple[bool, str]:
    parts, ok = [], True
    for source in (INX, PACKAGE):
        dest = ext_dir / source.name
        if is_link_to(dest, source):
            parts.append(f"{source.name} → this checkout")
        elif dest.is_symlink():
            ok = False
            parts.append(f"{source.name} links to {os.readlink(dest)}, not this checkout")
        elif dest.exists():
            fresh = same_tree(source, dest)
            ok &= fresh
            stale = "" if fresh else " that differs from this checkout (run install.py)"
            parts.append(f"{source.name} is a copy{stale}")
        else:
            ok = False
            parts.append(f"{source.name} missing")
    installed_pkg = ext_dir / PACKAGE.name
    record = (installed_pkg if installed_pkg.exists() else PACKAGE) / "backend.json"
    data = read_json(record) if record.exists() else None
    if data is None:
        ok = False
        parts.append("no backend.json")
    elif os.path.abspath(str(data.get("python"))) != str(python):
        ok = False
        parts.append(f"backend.json points at {data.get('python')}, not {python}")
    else:
        parts.append("backend.json → this environment")
    return ok, "; ".join(parts)


def run_check(args: argparse.Namespace) -> int:
    """Diagnosis only: changes nothing. 0 when everything LayerVec needs is there, 1 otherwise."""
    problems = 0

    def line(status: str, topic: str, text: str) -> None:
        nonlocal problems
        problems += status == "PROBLEM"
        say(f"{topic:<13} {status:<7} {text}")

    line("info", "python", f"{sys.executable} (Python {sys.version.split()[0]}) runs install.py; LayerVec at {ROOT}")
    inkscape = find_inkscape(args.inkscape)
    version = inkscape and inkscape_output(inkscape, "--version")
    if not inkscape:
        line("PROBLEM", "Inkscape", "not found on PATH (install Inkscape ≥ 1.2, or pass --inkscape PATH); "
             "the command line `layervec` works without it")
    elif not version:
        line("PROBLEM", "Inkscape", f"{inkscape} does not answer --version")
    else:
        match = re.search(r"Inkscape (\d+)\.(\d+)", version)
        old = match and (int(match[1]), int(match[2])) < (1, 2)
        line("warning" if old else "ok", "Inkscape",
             f"{version.split('(')[0].strip()} ({inkscape}){'; LayerVec is made for 1.2 or newer' if old else ''}")
    ext_dir, how = extensions_dir(args.extensions_dir, inkscape)
    if inkscape and version:
        ok, text = check_inkex(inkscape, ext_dir)
        line("ok" if ok else "PROBLEM", "inkex", text)

    env = Path(os.path.abspath(args.venv))
    python = venv_python(env)
    probe = probe_backend(python)
    if probe is None:
        line("PROBLEM", "backend", f"no environment at {env}: run python3 install.py")
    elif probe.get("missing") or not probe.get("package"):
        missing = ", ".join(f"{k} ({v})" for k, v in (probe.get("missing") or {}).items())
        line("PROBLEM", "backend", f"{python} cannot import {missing or 'layervec_ext'}: run python3 install.py")
    else:
        where = "this checkout" if from_this_checkout(probe) else f"another copy ({probe['package']})"
        line("ok" if from_this_checkout(probe) else "PROBLEM", "backend",
             f"{python} (Python {probe['python']}): layervec {probe.get('version', '?')} from {where}")
    if probe and "torch" in probe:
        line("ok", "torch", f"{probe['torch']}; CUDA: "
             + (f"yes, {probe['gpu']}" if probe.get("cuda") else "not available (runs on the CPU)"))
    elif probe is not None:
        line("PROBLEM", "torch", "not importable in the backend environment: run python3 install.py")
    if probe and not probe.get("missing"):
        line("ok", "renderers", "ours (PyTorch): yes; pydiffvg: "
             + ("yes (--renderer diffvg)" if probe.get("diffvg") else "no (optional, not needed)"))

    ok, text = check_registration(ext_dir, python)
    line("ok" if ok else "PROBLEM", "registered", f"{ext_dir} (from {how}): {text}"
         + ("" if ok else ": run python3 install.py"))
    say("everything LayerVec needs is in place" if not problems else f"{problems} problem(s) found")
    return 0 if not problems else 1


# ---------------------------------------------------------------------------------------- uninstall


def run_uninstall() -> int:
    """Remove what the state file says install.py made, newest first, and only while it is still that."""
    state = State()
    if not state.made:
        say(f"nothing to remove: no record of an install from this checkout ({STATE_FILE.name} is absent)")
        return 0
    for entry in reversed(list(state.made)):
        path, kind = Path(entry["path"]), entry["kind"]
        if not os.path.lexists(path):
            say(f"already gone: {path}")
        elif kind == "link" and not is_link_to(path, Path(entry["source"])):
            say(f"left {path}: it is no longer the link install.py made")
        elif kind == "dir" and any(path.iterdir()):
            say(f"left {path}: not empty")
        elif kind == "venv" and not (path / "pyvenv.cfg").is_file():
            say(f"left {path}: it no longer looks like the environment install.py made")
        elif kind == "backend-json" and set(read_json(path) or {}) != {"python"}:
            say(f"left {path}: no longer a LayerVec backend record")
        else:
            remove_path(path)
            say(f"removed {path}" + (" (the backend environment install.py created)" if kind == "venv" else ""))
            if kind == "stamp":
                python = venv_python(path.parent)
                say(f"the layervec package stays in {path.parent} (install.py did not create that environment); "
                    f"`{python} -m pip uninstall layervec` removes it")
        state.forget(path)
    say("uninstalled")
    return 0


# --------------------------------------------------------------------------------------------- demo


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise InstallError(f"{path} is not a PNG file (the demo embeds PNG; the CLI reads other formats)")
    return struct.unpack(">II", head[16:24])


def demo_document(image: Path, doc: Path) -> str:
    """An Inkscape document with the picture embedded as <image id="layervec-sample">."""
    width, height = png_size(image)
    data = base64.b64encode(image.read_bytes()).decode("ascii")
    doc.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:inkscape="{INKSCAPE_NS}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">\n'
        f'  <image id="layervec-sample" x="0" y="0" width="{width}" height="{height}" '
        f'xlink:href="data:image/png;base64,{data}"/>\n</svg>\n', encoding="utf-8")
    return "layervec-sample"


def demo_profile(folder: Path, params: dict) -> Path:
    """A private Inkscape profile with LayerVec in it and the dialog's values preset (layervec_ext/docs/DESIGN.md §5:
    parameters can't go through the action)."""
    profile = folder / "profile"
    (profile / "extensions").mkdir(parents=True)
    for source in (INX, PACKAGE):
        dest = profile / "extensions" / source.name
        if os.name == "nt":
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, dest)
        else:
            os.symlink(source, dest, target_is_directory=source.is_dir())
    attrs = " ".join(f'{EXTENSION_ID}.{k}="{v}"' for k, v in params.items())
    (profile / "preferences.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<inkscape xmlns:inkscape="{INKSCAPE_NS}" version="1">\n  <group id="extensions" {attrs}/>\n</inkscape>\n',
        encoding="utf-8")
    return profile


def session_runs(session: int, needle: str) -> bool:
    """Whether a process of this session (Linux /proc) has ``needle`` in its command line."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            if int(stat[stat.rfind(")") + 2:].split()[3]) != session:
                continue
            if needle in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def run_killable(cmd: list[str], env: dict, timeout: float, cwd: Path,
                 watch: str | None = None) -> tuple[int | None, str]:
    """Run with a hard time limit that also ends the children (xvfb-run's Xvfb and Inkscape).

    ``watch``: a script Inkscape runs. When it has ended and Inkscape hasn't within a minute, Inkscape
    is showing the script's error in a modal dialog that batch mode never closes: stop waiting."""
    posix = os.name != "nt"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=posix)
        deadline, seen, last_seen = time.monotonic() + timeout, False, 0.0
        watching = watch and os.path.isdir("/proc")
        while proc.poll() is None:
            now = time.monotonic()
            if watching and session_runs(proc.pid, watch):
                seen, last_seen = True, now
            if now > deadline or (seen and now - last_seen > 60):
                if posix:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
                proc.wait()
                log.seek(0)
                return None, log.read().decode(errors="replace")
            time.sleep(0.5)
        log.seek(0)
        return proc.returncode, log.read().decode(errors="replace")


def effect_error(inkscape: str, python: Path, doc: Path, image_id: str, params: dict) -> str:
    """The extension's own message, by running its script the way Inkscape does (Inkscape only
    shows it in a dialog)."""
    interpreter = inkscape_python(inkscape)
    system_data = inkscape_output(inkscape, "--system-data-directory")
    if not interpreter:
        return ""
    env = clean_env(LAYERVEC_PYTHON=str(python))
    if system_data:
        env["PYTHONPATH"] = os.path.join(system_data, "extensions")
    cmd = [interpreter, str(PACKAGE / "inkscape" / "layervec_effect.py"), f"--id={image_id}",
           *(f"--{k}={v}" for k, v in params.items()), str(doc)]
    try:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              timeout=float(params["timeout"]) + 60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stderr.strip()


def count_result(svg: Path) -> dict:
    """Layers, paths and gradients in a result SVG, as an editor would see them."""
    try:
        root = ET.parse(svg).getroot()
    except (OSError, ET.ParseError):
        return {"layers": 0, "paths": 0, "gradients": 0}
    groupmode = f"{{{INKSCAPE_NS}}}groupmode"
    return {
        "layers": sum(1 for g in root.iter(f"{{{SVG_NS}}}g") if g.get(groupmode) == "layer"),
        "paths": sum(1 for _ in root.iter(f"{{{SVG_NS}}}path")),
        "gradients": sum(1 for el in root.iter() if el.tag in (f"{{{SVG_NS}}}radialGradient",
                                                             f"{{{SVG_NS}}}linearGradient")),
    }


def demo_inkscape(inkscape: str, python: Path, image: Path, doc: Path, svg: Path, png: Path,
                  params: dict) -> str | None:
    """The menu item, run by a real Inkscape headless. Returns None on success, else why not."""
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("win32", "darwin")
    xvfb = shutil.which("xvfb-run") if sys.platform.startswith(("linux", "freebsd")) else None
    if not xvfb and not display:
        return "no display and no xvfb-run (apt install xvfb xauth)"
    with tempfile.TemporaryDirectory(prefix="layervec-demo-") as tmp:
        folder = Path(tmp)
        image_id = demo_document(image, doc)
        env = clean_env()
        env.pop("DOCUMENT_PATH", None)
        env["INKSCAPE_PROFILE_DIR"] = str(demo_profile(folder, params))
        env["LAYERVEC_PYTHON"] = str(python)
        actions = f"select-by-id:{image_id};{EXTENSION_ID}.noprefs;export-filename:{svg};export-do"
        cmd = ([xvfb, "-a"] if xvfb else []) + [inkscape, "--batch-process", f"--actions={actions}", str(doc)]
        say(f"demo: running Inkscape{' under xvfb-run' if xvfb else ''}: select the picture, "
            f"Extensions ▸ Raster ▸ LayerVec ({params['paths']} paths), save")
        if svg.exists():
            svg.unlink()
        # Inkscape hangs on a modal dialog if the extension writes to stderr: the time limit ends that.
        rc, out = run_killable(cmd, env, float(params["timeout"]) + 120, folder, watch="layervec_effect.py")
        result = count_result(svg)
        if rc is None or not svg.exists() or not result["paths"]:
            message = effect_error(inkscape, python, doc, image_id, params)
            for text in (message or out.strip()).splitlines()[-15:]:
                print(f"    {text}", flush=True)
            why = "was stopped (the extension failed: its message is above)" if rc is None else \
                "saved no LayerVec layer"
            return f"the Inkscape run {why}"
        rc, out = run_killable([inkscape, str(svg), "--export-type=png", f"--export-filename={png}",
                                "--export-background=white", "--export-background-opacity=1"], env, 120, folder)
        if rc != 0 or not png.exists():
            return "Inkscape could not export the PNG preview"
    return None


def demo_cli(python: Path, image: Path, svg: Path, png: Path, params: dict) -> None:
    say(f"demo: running the command line: layervec {image.name} -o {svg.name} --paths {params['paths']}")
    cmd = [str(python), "-m", "layervec_ext", str(image), "-o", str(svg), "--paths", str(params["paths"])]
    if "preset" in params:
        cmd += ["--preset", params["preset"]]
    if subprocess.run(cmd, env=clean_env(), cwd=ROOT).returncode != 0 or not svg.exists():
        raise InstallError("the backend failed on the sample (its message is above)")
    if subprocess.run([str(python), "-m", "layervec_ext", "render", str(svg), "-o", str(png)], env=clean_env(),
                      cwd=ROOT).returncode != 0:
        raise InstallError("could not render the PNG preview (the message is above)")


SCORE = r"""
import sys
import numpy as np
from PIL import Image
def on_white(path):
    im = np.asarray(Image.open(path).convert("RGBA"), dtype=np.float64) / 255
    return im[..., :3] * im[..., 3:] + (1 - im[..., 3:])
a, b = on_white(sys.argv[1]), on_white(sys.argv[2])
if a.shape != b.shape:
    sys.exit(0)
mse = float(((a - b) ** 2).mean())
print(f"{10 * np.log10(1 / max(mse, 1e-12)):.1f}")
"""


def run_demo(args: argparse.Namespace, python: Path) -> int:
    image = Path(os.path.abspath(args.image))
    if not image.is_file():
        raise InstallError(f"no such picture: {image}")
    out = Path(os.path.abspath(args.out))
    out.mkdir(parents=True, exist_ok=True)
    svg, png = out / f"{image.stem}-layervec.svg", out / f"{image.stem}-layervec.png"
    params = {"paths": args.paths, "original": "hide", "timeout": 1800}
    if args.preset:
        params["preset"] = args.preset
    start = time.monotonic()
    inkscape = None if args.cli else find_inkscape(args.inkscape)
    failed = None
    if inkscape:
        failed = demo_inkscape(inkscape, python, image, out / f"{image.stem}-input.svg", svg, png, params)
        if failed:
            say(f"demo: {failed}; running the command line instead")
    else:
        say("demo: " + ("--cli given" if args.cli else "Inkscape not found") + ": using the command line")
    if not inkscape or failed:
        demo_cli(python, image, svg, png, params)
    counts = count_result(svg)
    score = subprocess.run([str(python), "-c", SCORE, str(png), str(image)], capture_output=True, text=True,
                           env=clean_env()).stdout.strip()
    say(f"demo: {counts['paths']} paths in {counts['layers']} layers, {counts['gradients']} gradients"
        + (f", {score} dB PSNR of the preview against the picture" if score else "")
        + f", {time.monotonic() - start:.0f} s")
    say(f"demo: SVG  {svg}")
    say(f"demo: PNG  {png}")
    if inkscape and not failed:
        say(f"demo: {out / (image.stem + '-input.svg')} is the document it started from: open it in Inkscape to try "
            "the menu yourself")
    if failed:
        say("demo: the Inkscape route failed (see above); `python3 install.py --check` helps find why")
        return 1
    return 0


# --------------------------------------------------------------------------------------------- main


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="install.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="diagnose the installation; changes nothing")
    mode.add_argument("--demo", action="store_true", help="set up, then vectorize the sample picture")
    mode.add_argument("--test", action="store_true",
                      help="set up with the test extras and run the test suite (pytest args after --)")
    mode.add_argument("--uninstall", action="store_true", help="remove exactly what install.py added")
    setup = parser.add_argument_group("set-up")
    setup.add_argument("--venv", type=Path, default=ROOT / ".venv", metavar="DIR",
                       help="backend environment (default: .venv beside install.py); an existing one is reused")
    setup.add_argument("--torch", metavar="SPEC",
                       help=f"pip arguments installing PyTorch (default: {DEFAULT_TORCH}, only when there is no torch)")
    setup.add_argument("--no-register", action="store_true", help="backend only; leave Inkscape alone")
    setup.add_argument("--copy", action="store_true", help="copy into Inkscape's folder instead of linking "
                       "(always on Windows); run install.py again after updating this checkout")
    setup.add_argument("--force", action="store_true", help="replace files of the same name not made by install.py")
    setup.add_argument("--extensions-dir", type=Path, metavar="DIR",
                       help="Inkscape's user extensions folder (default: $INKSCAPE_PROFILE_DIR/extensions, "
                       "else what Inkscape reports, else the system default)")
    setup.add_argument("--inkscape", metavar="PATH", help="the Inkscape executable (default: found on PATH)")
    demo = parser.add_argument_group("--demo")
    demo.add_argument("--image", type=Path, default=SAMPLE, metavar="PNG", help="picture (default: the bundled smiley)")
    demo.add_argument("--paths", type=int, default=BY_NAME["paths"].default,
                      help="paths in the result (default %(default)s)")
    demo.add_argument("--preset", choices=PRESETS, help="optimisation effort")
    demo.add_argument("--out", type=Path, default=ROOT / "out", metavar="DIR",
                      help="where the SVG and PNG go (default: out/ beside install.py)")
    demo.add_argument("--cli", action="store_true", help="use the command line even when Inkscape is installed")
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    args = parser.parse_args(argv)
    if extra and not args.test:
        parser.error("arguments after -- go to pytest and need --test")
    if args.paths < 1:
        parser.error("--paths must be at least 1")
    args.pytest_args = extra
    return args


def run_setup(args: argparse.Namespace, extras: list[str], do_register: bool) -> tuple[Path, bool, list[str]]:
    state = State()
    say(f"LayerVec at {ROOT} (install.py run by Python {sys.version.split()[0]})")
    python, _, changed = ensure_backend(args.venv, extras, args.torch, state)
    refusals: list[str] = []
    if do_register:
        inkscape = find_inkscape(args.inkscape)
        ext_dir, how = extensions_dir(args.extensions_dir, inkscape)
        if not inkscape:
            say("Inkscape: not found on PATH; registering in its default folder for when it is installed")
        did, refusals = register(python, ext_dir, how, args.copy or os.name == "nt", args.force, state)
        changed |= did
    for refusal in refusals:
        say(f"Inkscape: {refusal}")
    return python, changed, refusals


def main(argv: list[str] | None = None) -> int:
    if sys.version_info < (3, 9):  # noqa: UP036 - install.py may be run by any python3
        say(f"needs Python 3.9 or newer; this is {sys.version.split()[0]}")
        return 1
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        if args.check:
            return run_check(args)
        if args.uninstall:
            return run_uninstall()
        python, changed, refusals = run_setup(args, ["test"] if args.test else [], not (args.test or args.no_register))
        if args.test:
            say("running the test suite: python -m pytest " + " ".join(args.pytest_args))
            return subprocess.run([str(python), "-m", "pytest", *args.pytest_args], cwd=ROOT,
                                  env=clean_env()).returncode
        if args.demo:
            return run_demo(args, python) or (1 if refusals else 0)
        if refusals:
            say("done, except for the files left alone above")
            return 1
        say("done: everything was already in place; nothing changed" if not changed else
            "done. Restart Inkscape, select a bitmap, then Extensions ▸ Raster ▸ LayerVec…")
        return 0
    except InstallError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
