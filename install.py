#!/usr/bin/env python3
"""Set up LayerVec on this machine (standard library only; safe to run again).

    python3 install.py            backend environment + register with Inkscape
    python3 install.py --test     the same with the test extras, then run the test suite
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def say(msg: str) -> None:
    print(f"[layervec] {msg}", flush=True)


def venv_python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_backend(env: Path, extras: str) -> Path:
    python = venv_python(env)
    if not python.exists():
        say(f"creating the backend environment in {env}")
        venv.EnvBuilder(with_pip=True).create(env)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    has_torch = subprocess.run([str(python), "-c", "import torch"], capture_output=True).returncode == 0
    if not has_torch:
        say("installing PyTorch 2.13.0 (CPU build unless you installed another first)")
        subprocess.run(pip + ["torch==2.13.0"], check=True)
    say(f"installing the backend{' with ' + extras if extras else ''}")
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    subprocess.run(pip + ["-e", target], check=True)
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="backend environment")
    parser.add_argument("--test", action="store_true", help="install test extras and run the tests")
    args = parser.parse_args(argv)
    python = ensure_backend(args.venv, "test" if args.test else "")
    if args.test:
        say("running the test suite")
        return subprocess.run([str(python), "-m", "pytest", "-q"], cwd=ROOT).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
