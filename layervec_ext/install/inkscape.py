"""Finding Inkscape, asking it where its folders are, and the Python it runs extensions with."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from layervec_ext.install.common import clean_env


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
    """Where Inkscape keeps user extensions on this operating system when nobody says otherwise."""
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


def inkscape_python(inkscape: str) -> str | None:
    """The interpreter Inkscape runs ``interpreter="python"`` scripts with: it puts its own folder first
    on PATH, then looks for python3 (pythonw/python on Windows)."""
    folder = os.path.dirname(os.path.realpath(inkscape))
    path = os.pathsep.join([folder, os.environ.get("PATH", "")])
    names = ("pythonw", "python") if os.name == "nt" else ("python3",)
    return next((found for name in names if (found := shutil.which(name, path=path))), None)
