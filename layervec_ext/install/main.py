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
import os
import subprocess
import sys
from pathlib import Path

from layervec_ext.install.backend import ensure_backend
from layervec_ext.install.check import run_check
from layervec_ext.install.common import DEFAULT_TORCH, ROOT, SAMPLE, InstallError, State, clean_env, say
from layervec_ext.install.demo import run_demo
from layervec_ext.install.inkscape import extensions_dir, find_inkscape
from layervec_ext.install.register import register
from layervec_ext.install.uninstall import run_uninstall
from layervec_ext.options import BY_NAME, PRESETS, whole_number


def parse(argv: list[str]) -> argparse.Namespace:
    """install.py's flags; what follows ``--`` goes to pytest (``--test`` only)."""
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
    setup.add_argument("--force", action="store_true", help="replace files of the same name that are not LayerVec's")
    setup.add_argument("--extensions-dir", type=Path, metavar="DIR",
                       help="Inkscape's user extensions folder (default: $INKSCAPE_PROFILE_DIR/extensions, "
                       "else what Inkscape reports, else the system default)")
    setup.add_argument("--inkscape", metavar="PATH", help="the Inkscape executable (default: found on PATH)")
    demo = parser.add_argument_group("--demo")
    demo.add_argument("--image", type=Path, default=SAMPLE, metavar="PNG", help="picture (default: the bundled smiley)")
    paths = BY_NAME["paths"]
    demo.add_argument("--paths", type=whole_number(paths.at_least), default=paths.default,
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
    args.pytest_args = extra
    return args


def run_setup(args: argparse.Namespace, extras: list[str], do_register: bool) -> tuple[Path, bool, list[str]]:
    """The backend environment, then the registration; returns (backend Python, changed, files left alone)."""
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
    """install.py's exit code: 0 when the job was done (for --demo: the demo ran), 1 when not."""
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
            code = run_demo(args, python)
            if refusals:
                say("demo: done; the extensions folder still holds the files left alone above (--force replaces them)")
            return code
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
