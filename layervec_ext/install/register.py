"""Registering the extension: link (or copy) its .inx files (layervec.inx, layervec_refine.inx) and
layervec_ext/ into Inkscape's extensions folder and record which Python runs the backend.

What is there already: this checkout's link is kept; an earlier LayerVec install (a link into
another checkout, even one that is gone, or a copy) is replaced, with a line saying what it was;
anything else of the same name is left alone unless ``--force``.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from pathlib import Path

from layervec_ext.files import write_atomic
from layervec_ext.install.common import (
    COPY_IGNORE,
    EXTENSION_IDS,
    INX_FILES,
    PACKAGE,
    State,
    read_json,
    remove_path,
    say,
)


def is_link_to(path: Path, source: Path) -> bool:
    """Whether ``path`` is a link that ends up at ``source``."""
    return path.is_symlink() and os.path.realpath(path) == os.path.realpath(source)


def same_tree(a: Path, b: Path) -> bool:
    """Same files with the same bytes, ignoring COPY_IGNORE."""
    if a.is_file() or b.is_file():
        return a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)
    ignore = shutil.ignore_patterns(*COPY_IGNORE)
    names_a = set(os.listdir(a)) - set(ignore(str(a), os.listdir(a)))
    names_b = set(os.listdir(b)) - set(ignore(str(b), os.listdir(b)))
    return names_a == names_b and all(same_tree(a / n, b / n) for n in names_a)


def make_dirs(folder: Path, state: State) -> None:
    """mkdir -p, recording each folder we create so that --uninstall can remove it if left empty."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        state.record(path, "dir")


def is_layervec(path: Path) -> bool:
    """Whether a file or folder is some LayerVec's .inx or package (this checkout's or another's)."""
    if path.is_dir():
        return (path / "inkscape" / "layervec_effect.py").is_file()
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(65536)
        return any(f"<id>{ext_id}</id>" in head for ext_id in EXTENSION_IDS)
    except OSError:
        return False


def earlier_layervec(dest: Path, source: Path) -> str | None:
    """How ``dest`` is an earlier LayerVec install, in words for the user: a link into another
    checkout (a vanished one too: moved, deleted, cloned again elsewhere), or a copy. None when it
    is not LayerVec's."""
    if dest.is_symlink():
        target = Path(os.path.join(dest.parent, os.readlink(dest)))  # a relative link is relative to its folder
        if target.name != source.name:
            return None
        if not os.path.exists(dest):
            return f"it pointed to {target}, which is gone"
        if os.path.realpath(dest) == os.path.realpath(source):
            return "it was a link to this checkout"
        if is_layervec(Path(os.path.realpath(dest))):
            return f"it pointed to another LayerVec checkout, {target.parent}"
        return None
    return "an earlier copy of LayerVec" if is_layervec(dest) else None


def place(dest: Path, source: Path, copy: bool, force: bool, state: State) -> tuple[bool, str | None]:
    """Link (or copy) ``source`` to ``dest``, replacing an earlier LayerVec install there.
    Returns (changed, refusal message or None)."""
    ours = state.owns(dest)
    if not copy and is_link_to(dest, source):
        if not ours:
            state.record(dest, "link", source)  # a link into this checkout is ours whoever made it
        say(f"Inkscape: {dest.name} already linked → {source}")
        return False, None
    if copy and ours and ours["kind"] == "copy" and dest.exists() and same_tree(source, dest):
        say(f"Inkscape: {dest.name} already copied there and up to date")
        return False, None
    earlier = None
    if os.path.lexists(dest):
        earlier = earlier_layervec(dest, source) if dest.is_symlink() or not ours else None
        if not (ours or earlier or force):
            what = f"a link to {os.readlink(dest)}, not LayerVec's" if dest.is_symlink() else "not LayerVec's"
            return False, f"{dest} exists ({what}): left alone; --force replaces it"
        remove_path(dest)
        verb = "replaced" if ours or earlier else "replaced (--force)"
    else:
        verb = "copied" if copy else "linked"
    if copy:
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*COPY_IGNORE))
        else:
            shutil.copy2(source, dest)
        state.record(dest, "copy", source)
        say(f"Inkscape: {verb} {dest.name} (a copy of {source}{'; ' + earlier if earlier else ''})")
    else:
        os.symlink(source, dest, target_is_directory=source.is_dir())
        state.record(dest, "link", source)
        say(f"Inkscape: {verb} {dest} → {source}{f' ({earlier})' if earlier else ''}")
    return True, None


def backend_json_text(python: Path) -> str:
    """The record the effect reads to find the backend's Python."""
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
    write_atomic(path, text)
    state.record(path, "backend-json")
    was = f" (was {old['python']})" if old and old.get("python") not in (None, str(python)) else ""
    say(f"Inkscape: wrote {path}: the extension runs {python}{was}")
    return True, None


def register(python: Path, ext_dir: Path, how: str, copy: bool, force: bool, state: State) -> tuple[bool, list[str]]:
    """Make Inkscape see the .inx files and layervec_ext/, and record the backend's Python."""
    say(f"Inkscape: extensions folder {ext_dir} (from {how})")
    make_dirs(ext_dir, state)
    changed, refusals = False, []
    for source in (*INX_FILES, PACKAGE):
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
