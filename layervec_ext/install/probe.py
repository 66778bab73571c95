"""What a Python can import, asked from outside: ``python PATH/probe.py backend MODULE…`` or ``… inkex``.

Run by path, not with ``-m``, from a temporary folder: the package may not be installed in that
Python yet, and this checkout must not count as installed just because it is on ``sys.path``
(so the script first drops its own folder from it). Prints one line: JSON for ``backend`` (Python
version, the modules that fail and why, torch and CUDA, where ``layervec_ext`` comes from, pydiffvg),
``INKEX_VERSION PYTHON_VERSION`` for ``inkex`` (exit code 1 and the error when inkex does not import).
Standard library only; it imports the probed modules lazily.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys

_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _HERE]


def backend(modules: list[str]) -> dict:
    """Import each module, then every module of ``layervec_ext.core``, so that a dependency missing
    from pyproject.toml shows now rather than mid-run."""
    out: dict = {"python": sys.version.split()[0], "missing": {}}

    def attempt(name: str) -> bool:
        try:
            importlib.import_module(name)
            return True
        except Exception as exc:
            out["missing"][name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            return False

    for name in modules:
        attempt(name)
    try:
        core = importlib.import_module("layervec_ext.core")
        for info in pkgutil.walk_packages(core.__path__, "layervec_ext.core.", onerror=attempt):
            attempt(info.name)
    except Exception:
        pass
    try:  # the renderer's compiled loops, compiled now and cached so that the first picture doesn't wait
        # (without them the renderer takes its PyTorch build: slower, not missing)
        from layervec_ext.core.jit import MODULES

        for module in MODULES:
            importlib.import_module(module).warm_up()
        out["compiled"] = True
    except Exception as exc:
        out["compiled"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
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
    return out


def main(argv: list[str]) -> int:
    """Print the answer for ``backend MODULE…`` or ``inkex``."""
    if argv[:1] == ["backend"]:
        print(json.dumps(backend(argv[1:])))
        return 0
    if argv[:1] == ["inkex"]:
        try:
            import inkex
        except Exception as exc:
            print(f"{type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
            return 1
        print(inkex.__version__, sys.version.split()[0])
        return 0
    print("usage: probe.py backend MODULE... | probe.py inkex", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
