"""``install.py --uninstall``: remove exactly what install.py made, and only while it is still that."""

from __future__ import annotations

import os
from pathlib import Path

from layervec_ext.install.common import STATE_FILE, State, read_json, remove_path, say, venv_python
from layervec_ext.install.register import is_link_to


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
