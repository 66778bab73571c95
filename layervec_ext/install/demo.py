"""``install.py --demo``: vectorize a picture the way a user would, through Inkscape's menu item run
headless (a private profile, under xvfb-run where there is no display), else the command line;
leaves the SVG and a PNG preview and says how close the preview is to the picture."""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from layervec_ext.install.common import (
    EXTENSION_ID,
    INKSCAPE_NS,
    INX,
    PACKAGE,
    ROOT,
    SVG_NS,
    InstallError,
    clean_env,
    say,
)
from layervec_ext.install.inkscape import find_inkscape, inkscape_output, inkscape_python
from layervec_ext.options import BY_NAME, command_line


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (the demo document needs them; no imaging library here)."""
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
           *(f"{BY_NAME[k].effect_flag}={v}" for k, v in params.items()), str(doc)]
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
    """The demo through the ``layervec`` command and its own renderer for the PNG preview."""
    say(f"demo: running the command line: layervec {image.name} -o {svg.name} --paths {params['paths']}")
    cmd = [str(python), "-m", "layervec_ext", str(image), "-o", str(svg),
           *command_line({k: v for k, v in params.items() if BY_NAME[k].in_cli})]
    if subprocess.run(cmd, env=clean_env(), cwd=ROOT).returncode != 0 or not svg.exists():
        raise InstallError("the backend failed on the sample (its message is above)")
    if subprocess.run([str(python), "-m", "layervec_ext", "render", str(svg), "-o", str(png)], env=clean_env(),
                      cwd=ROOT).returncode != 0:
        raise InstallError("could not render the PNG preview (the message is above)")


def run_demo(args: argparse.Namespace, python: Path) -> int:
    """Vectorize the picture through Inkscape's menu item (else, or when that fails, the command line).
    0 once the SVG and its PNG preview are written, whichever way; InstallError when neither way worked."""
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
    score = subprocess.run([str(python), "-m", "layervec_ext.install.score", str(png), str(image)],
                           capture_output=True, text=True, env=clean_env(), cwd=ROOT).stdout.strip()
    say(f"demo: {counts['paths']} paths in {counts['layers']} layers, {counts['gradients']} gradients"
        + (f", {score} dB PSNR of the preview against the picture" if score else "")
        + f", {time.monotonic() - start:.0f} s")
    say(f"demo: SVG  {svg}")
    say(f"demo: PNG  {png}")
    if inkscape and not failed:
        say(f"demo: {out / (image.stem + '-input.svg')} is the document it started from: open it in Inkscape to try "
            "the menu yourself")
    if failed:
        say("demo: the Inkscape route failed (see above), the command line did the demo; "
            "`python3 install.py --check` helps find why")
    return 0
