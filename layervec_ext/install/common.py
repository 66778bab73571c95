"""What every part of the installer shares: where things are, how it speaks, what it made.

Standard library only, Python ≥ 3.9: it runs under whichever python3 runs install.py, before the
backend environment exists.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from layervec_ext.files import write_atomic

ROOT = Path(__file__).resolve().parents[2]  # the checkout: install.py, layervec.inx, layervec_ext/
PACKAGE = ROOT / "layervec_ext"
INX = ROOT / "layervec.inx"
REFINE_INX = ROOT / "layervec_refine.inx"
INX_FILES = (INX, REFINE_INX)  # each action's menu item: registered, checked and uninstalled alike
EXTENSION_ID = "org.layervec.vectorize"
EXTENSION_IDS = (EXTENSION_ID, "org.layervec.refine")
STATE_FILE = PACKAGE / ".install-state.json"
STAMP_NAME = "layervec-install.json"  # inside the environment: what was pip-installed, from which pyproject
DEFAULT_TORCH = "torch==2.13.0"
SAMPLE = PACKAGE / "samples" / "smiley.png"
# Never copied into Inkscape's folder: build litter and this checkout's own install records.
COPY_IGNORE = ("__pycache__", "*.pyc", ".install-state.json", "backend.json")
SVG_NS = "http://www.w3.org/2000/svg"
INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"


class InstallError(Exception):
    """A problem the user can act on; ``str()`` is the one line we print."""


def say(msg: str) -> None:
    """One line of output, prefixed so it stands out among pip's and Inkscape's."""
    print(f"[layervec] {msg}", flush=True)


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
            write_atomic(self.path, text)


def venv_python(env: Path) -> Path:
    """The interpreter inside an environment folder, on this operating system."""
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def clean_env(**extra: str) -> dict:
    """The user's environment without variables that would make another Python import the wrong code."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


def read_json(path: Path) -> dict | None:
    """A JSON object from a file, or None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_if_changed(path: Path, text: str) -> bool:
    """Write only a new text, so a second run leaves mtimes alone; returns whether it wrote."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    write_atomic(path, text)
    return True


def remove_path(path: Path) -> None:
    """Remove a link, file or folder tree (a link itself, never what it points to)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
