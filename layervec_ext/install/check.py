"""``install.py --check``: diagnose Inkscape, its inkex, the backend, torch/CUDA and the registration;
changes nothing."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from layervec_ext.install.backend import from_this_checkout, probe_backend, run_probe
from layervec_ext.install.common import INX_FILES, PACKAGE, ROOT, clean_env, read_json, say, venv_python
from layervec_ext.install.inkscape import extensions_dir, find_inkscape, inkscape_output, inkscape_python
from layervec_ext.install.register import is_link_to, same_tree


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
        proc = run_probe(python, "inkex", env=env, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{python} did not run: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"inkex does not import under {python}: {last}"
    inkex_version, py_version = (proc.stdout.split() + ["?", "?"])[:2]
    for name in ("layervec_effect.py", "refine_effect.py"):  # each .inx's script
        script = ext_dir / PACKAGE.name / "inkscape" / name
        if not script.exists():
            script = PACKAGE / "inkscape" / name
        try:
            proc = subprocess.run([python, str(script), "--help"], capture_output=True, text=True, timeout=60,
                                  env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"the effect {name} did not start: {exc}"
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            return False, f"inkex {inkex_version} under {python}, but the effect {name} fails to load: {last}"
    return True, f"inkex {inkex_version} under {python} (Python {py_version}); the effects load"


def check_registration(ext_dir: Path, python: Path) -> tuple[bool, str]:
    """Whether Inkscape's folder holds this checkout (linked, or an up-to-date copy) and the record
    names this environment."""
    parts, ok = [], True
    for source in (*INX_FILES, PACKAGE):
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
        compiled = probe.get("compiled")
        line("ok", "renderers", "ours (PyTorch): yes, its CPU loops "
             + ("compiled" if compiled is True else f"not compiled ({compiled}: slower)")
             + "; pydiffvg: " + ("yes (--renderer diffvg)" if probe.get("diffvg") else "no (optional, not needed)"))

    ok, text = check_registration(ext_dir, python)
    line("ok" if ok else "PROBLEM", "registered", f"{ext_dir} (from {how}): {text}"
         + ("" if ok else ": run python3 install.py"))
    say("everything LayerVec needs is in place" if not problems else f"{problems} problem(s) found")
    return 0 if not problems else 1
