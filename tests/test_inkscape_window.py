"""LayerVec's progress window, seen as an artist sees it: real Inkscape 1.2 with its window on a
private X server (Xvfb), the window found by ``xdotool`` and photographed; Escape pressed on it.
Also the quiet fallbacks (batch run, no display, no PyGObject) and the effect on inkex 1.4.

Needs what CI's apt line installs (xvfb, xdotool, dbus, python3-gi, gir1.2-gtk-3.0): with Inkscape
present, a missing one fails the test with the package to install; only Inkscape's absence skips.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from PIL import Image
from test_inkscape_e2e import EXT, SOURCE, inkscape_env, make_profile

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "layervec_ext" / "inkscape" / "layervec_effect.py"
SMILEY = ROOT / "layervec_ext" / "samples" / "smiley.png"
PIC = ROOT / "tests" / "data" / "inkscape" / "pic.png"
SYSTEM_PYTHON = "/usr/bin/python3"  # Inkscape's Python on Debian: the one with python3-gi
INKEX_12 = "/usr/share/inkscape/extensions"
INKEX_14 = "inkex==1.4.1"
SHOT = ("import sys, gi; gi.require_version('Gdk', '3.0'); from gi.repository import Gdk; "
        "r = Gdk.get_default_root_window(); "
        "Gdk.pixbuf_get_from_window(r, 0, 0, r.get_width(), r.get_height()).savev(sys.argv[1], 'png', [], [])")

pytestmark = pytest.mark.skipif(not shutil.which("inkscape"), reason="needs Inkscape")


def need(program: str, package: str) -> str:
    path = shutil.which(program)
    if not path:
        pytest.fail(f"{program} missing: apt-get install {package} (CI's apt line has it)")
    return path


@pytest.fixture(scope="module")
def display():
    """A private X server; no window manager (windows stay where GTK puts them)."""
    need("Xvfb", "xvfb")
    need("xdotool", "xdotool")
    need("dbus-run-session", "dbus")
    gi = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('Gtk', '3.0')"], capture_output=True)
    if gi.returncode:
        pytest.fail("PyGObject with GTK 3 missing: apt-get install python3-gi gir1.2-gtk-3.0")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    assert number.isdigit(), "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(10)


def windows(display: str) -> dict[int, str]:
    """The visible windows whose name holds "LayerVec": id → name."""
    env = {**os.environ, "DISPLAY": display}
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "LayerVec"], env=env,
                           capture_output=True, text=True).stdout.split()
    names = {}
    for wid in found:
        name = subprocess.run(["xdotool", "getwindowname", wid], env=env, capture_output=True, text=True).stdout
        names[int(wid)] = name.strip()
    return names


def photograph(display: str, wid: int, folder: Path) -> np.ndarray | None:
    """The window's pixels (RGB), cut from a photograph of the screen; None once it is gone."""
    env = {**os.environ, "DISPLAY": display}
    geometry = subprocess.run(["xdotool", "getwindowgeometry", "--shell", str(wid)], env=env, capture_output=True,
                              text=True).stdout
    box = dict(line.split("=", 1) for line in geometry.split() if "=" in line)
    if not {"X", "Y", "WIDTH", "HEIGHT"} <= set(box):
        return None
    shot = folder / "screen.png"
    subprocess.run([SYSTEM_PYTHON, "-c", SHOT, str(shot)], env=env, check=True, capture_output=True, timeout=30)
    x, y, w, h = (int(box[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    return np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("RGB"))[y:y + h, x:x + w]


def halves(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bitmap's square (left) and the preview's (right), inside their frames."""
    h, w = window.shape[:2]
    rows = slice(60, min(h, 300))
    return window[rows, 24:w // 2 - 24], window[rows, w // 2 + 24:w - 24]


def yellow(pixels: np.ndarray) -> float:
    """The share of the smiley's yellow: what a vector smiley shows, and a blank square doesn't."""
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    return float(((r > 200) & (g > 150) & (b < 130)).mean())


def backend_pids(marker: str) -> list[int]:
    """The backend processes (``python -m layervec_ext``) whose command line names ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"layervec_ext" in argv and any(marker.encode() in a for a in argv):
            pids.append(int(entry.name))
    return pids


def two_bitmaps(folder: Path) -> Path:
    """A document with the 256 px smiley (labelled) and the small test picture, both embedded."""
    def data(path: Path) -> str:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()

    doc = folder / "two.svg"
    doc.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="200" height="100" viewBox="0 0 200 100">'
        '<g id="layer1" inkscape:groupmode="layer" inkscape:label="Layer 1">'
        f'<image id="smiley" inkscape:label="smiley" width="100" height="100" xlink:href="{data(SMILEY)}"/>'
        f'<image id="pic" x="110" y="10" width="80" height="60" xlink:href="{data(PIC)}"/></g></svg>')
    return doc


def start_inkscape(folder: Path, display: str, gui: bool, **params: str) -> tuple[subprocess.Popen, Path]:
    """Inkscape on ``two.svg``: both bitmaps selected, LayerVec run, the document exported, quit."""
    doc = two_bitmaps(folder)
    env = inkscape_env(make_profile(folder, **params))
    env.update(DISPLAY=display, TMPDIR=str(folder))  # the backend's command line names its input under here
    out = folder / "out.svg"
    actions = f"select-by-id:smiley,pic;{EXT}.noprefs;export-filename:{out};export-plain-svg;export-do"
    mode = ["--with-gui", f"--actions={actions};quit-immediate"] if gui else ["--batch-process", f"--actions={actions}"]
    proc = subprocess.Popen(["timeout", "300", "dbus-run-session", "--", "inkscape", *mode, str(doc)], env=env,
                            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, out


def finish(proc: subprocess.Popen) -> None:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]  # 124: Inkscape hung (a dialog?)


def result_sources(out: Path) -> list[str]:
    return [g.get(SOURCE) for g in etree.parse(str(out)).getroot() if g.get(SOURCE)]


def test_the_window_shows_progress_and_a_live_preview_beside_the_bitmap(tmp_path, display):
    proc, out = start_inkscape(tmp_path, display, gui=True, paths="16", preset="fast", original="keep")
    names, previews, stamps, best = set(), [], [], None
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        shown = windows(display)
        names |= set(shown.values())
        for wid, name in shown.items():
            picture = photograph(display, wid, tmp_path) if "smiley" in name else None
            if picture is None:
                continue
            bitmap, preview = halves(picture)
            if yellow(preview) > 0.2:
                if not previews or not np.array_equal(previews[-1], preview):
                    previews.append(preview)
                    stamps.append(time.monotonic())
                best = picture
        time.sleep(0.3)
    finish(proc)
    assert "LayerVec — smiley (1 of 2)" in names, names
    assert best is not None, "no preview of the smiley was ever shown"
    Image.fromarray(best).save(tmp_path / "window.png")
    bitmap, preview = halves(best)
    assert yellow(bitmap) > 0.2, "the bitmap is shown beside the preview"
    assert len(previews) >= 2, "the preview is redrawn as the vector result grows"
    assert sorted(result_sources(out)) == ["pic", "smiley"]
    assert not windows(display), "the window is gone when the run is over"


def test_escape_ends_the_backend_within_a_second_and_leaves_the_document_unchanged(tmp_path, display):
    proc, out = start_inkscape(tmp_path, display, gui=True, paths="64", preset="best")
    deadline, wid = time.monotonic() + 120, None
    while proc.poll() is None and time.monotonic() < deadline and wid is None:
        for candidate, name in windows(display).items():
            picture = photograph(display, candidate, tmp_path)
            if "smiley" in name and picture is not None and yellow(halves(picture)[1]) > 0.2:
                wid = candidate  # mid-run: the first preview is up
        time.sleep(0.3)
    assert wid is not None, "the window with a preview never appeared"
    assert backend_pids(str(tmp_path)), "the backend should be running"
    env = {**os.environ, "DISPLAY": display}
    subprocess.run(["xdotool", "windowfocus", "--sync", str(wid)], env=env, check=True, timeout=10)
    pressed = time.monotonic()
    subprocess.run(["xdotool", "key", "Escape"], env=env, check=True, timeout=10)
    while backend_pids(str(tmp_path)) and time.monotonic() - pressed < 5:
        time.sleep(0.02)
    gone = time.monotonic() - pressed
    assert not backend_pids(str(tmp_path)) and gone < 1.0, f"backend still there {gone:.2f} s after Escape"
    finish(proc)  # and Inkscape was not stopped by an error dialog
    root = etree.parse(str(out)).getroot()
    assert result_sources(out) == []
    images = {img.get("id"): img.get("style") for img in root.iter("{http://www.w3.org/2000/svg}image")}
    assert images == {"smiley": None, "pic": None}, "the bitmaps are untouched (not hidden)"
    assert not windows(display)


def test_a_batch_run_opens_no_window(tmp_path, display):
    proc, out = start_inkscape(tmp_path, display, gui=False, paths="6", preset="fast")
    seen = set()
    while proc.poll() is None:
        seen |= set(windows(display).values())
        time.sleep(0.2)
    finish(proc)
    assert not seen, seen
    assert sorted(result_sources(out)) == ["pic", "smiley"]


# --- the effect run directly, as Inkscape runs it ------------------------------------------------
def effect_env(inkex_dir: str, **env: str) -> dict:
    drop = ("DOCUMENT_PATH", "PYTHONPATH", "DISPLAY", "WAYLAND_DISPLAY")
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update(PYTHONPATH=inkex_dir, LAYERVEC_PYTHON=sys.executable, LAYERVEC_WINDOW="1", **env)
    return full


def assert_vectorized(returncode: int, stdout: bytes, stderr: bytes) -> None:
    assert returncode == 0, stderr.decode()
    assert stderr == b"", "any stderr output opens a dialog in Inkscape"
    root = etree.fromstring(stdout)
    assert [g.get(SOURCE) for g in root if g.get(SOURCE)] == ["smiley"]


@pytest.fixture(scope="module")
def no_gi_path(tmp_path_factory) -> str:
    """For ``python3 -S`` (no dist-packages): a path with only inkex 1.2 and its dependencies, as on
    a system without python3-gi."""
    folder = tmp_path_factory.mktemp("no-gi")
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import lxml, numpy, tinycss2, cssselect, webencodings, os; "
                            "print(*[os.path.dirname(m.__file__) for m in (lxml, numpy, tinycss2, cssselect, "
                            "webencodings)])"], capture_output=True, text=True, check=True)
    for package in probe.stdout.split():
        (folder / os.path.basename(package)).symlink_to(package, target_is_directory=True)
    path = f"{folder}{os.pathsep}{INKEX_12}"
    check = subprocess.run([SYSTEM_PYTHON, "-S", "-c", "import inkex\ntry:\n import gi\nexcept ImportError: pass\n"
                            "else: raise SystemExit('gi')"], env={"PYTHONPATH": path}, capture_output=True)
    assert check.returncode == 0, "this Python must run inkex and not see PyGObject"
    return path


@pytest.mark.parametrize("case", ["no display", "a display GTK cannot open", "no PyGObject"])
def test_without_gtk_or_a_display_the_run_goes_on_quietly(tmp_path, display, no_gi_path, case):
    python, env = [SYSTEM_PYTHON], effect_env(INKEX_12)
    if case == "a display GTK cannot open":
        env["DISPLAY"] = ":987"
    elif case == "no PyGObject":
        python, env = [SYSTEM_PYTHON, "-S"], effect_env(no_gi_path, DISPLAY=display)
    proc = subprocess.run([*python, str(SCRIPT), "--id=smiley", "--paths=8", "--preset=fast",
                           str(two_bitmaps(tmp_path))], env=env, capture_output=True, timeout=300, cwd=tmp_path)
    assert_vectorized(proc.returncode, proc.stdout, proc.stderr)
    assert not windows(display)


@pytest.fixture(scope="module")
def inkex_14(tmp_path_factory) -> tuple[str, str]:
    """A Python like Inkscape 1.4's: the system one (lxml, numpy, PyGObject from apt) with PyPI's
    inkex 1.4.1 (``--no-deps``: its PyGObject would need cairo's headers to build)."""
    venv = tmp_path_factory.mktemp("inkex14") / "venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", INKEX_14], check=True, timeout=300)
    where = subprocess.run([python, "-c", "import inkex, os; print(inkex.__version__, "
                            "os.path.dirname(os.path.dirname(inkex.__file__)))"], capture_output=True, text=True,
                           check=True).stdout.split()
    assert where[0] == "1.4.1", where
    return python, where[1]


def test_the_window_opens_with_inkex_1_4_too(tmp_path, display, inkex_14):
    python, site = inkex_14
    folder = tmp_path / "run"
    folder.mkdir()
    seen: set[str] = set()
    proc = subprocess.Popen([python, str(SCRIPT), "--id=smiley", "--paths=8", "--preset=fast",
                             str(two_bitmaps(folder))], env=effect_env(site, DISPLAY=display),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder)
    while proc.poll() is None:  # (stdout is one SVG of a few kB: the pipe does not fill)
        seen |= set(windows(display).values())
        time.sleep(0.2)
    stdout, stderr = proc.communicate()
    assert_vectorized(proc.returncode, stdout, stderr)
    assert "LayerVec — smiley" in seen, seen


def test_the_effects_direct_run_tests_pass_on_inkex_1_4(inkex_14):
    """tests/test_inkscape_effect.py and test_inkscape_refine.py again (both actions' direct runs),
    with inkex 1.4.1 in place of Inkscape 1.2's inkex."""
    python, site = inkex_14
    env = {**os.environ, "INKSCAPE_PYTHON": python, "INKSCAPE_EXTENSIONS_DIR": site}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_inkscape_effect.py"),
                           str(ROOT / "tests" / "test_inkscape_refine.py")],
                          env=env, capture_output=True, text=True, timeout=1800, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-500:]


def test_ci_and_the_readme_install_what_these_tests_need():
    """The packages above, in the README's apt line and in .ci/run's (a fresh machine gets them)."""
    needed = {"xvfb", "xdotool", "dbus", "python3-gi", "gir1.2-gtk-3.0", "inkscape"}
    readme = next(line for line in (ROOT / "README.md").read_text().splitlines() if "apt-get install" in line)
    ci = (ROOT / ".ci" / "run").read_text().split("apt-get install", 1)[1].split(">/dev/null", 1)[0]
    assert needed <= set(readme.split()), needed - set(readme.split())
    assert needed <= set(ci.replace("\\", " ").split()), needed - set(ci.split())
