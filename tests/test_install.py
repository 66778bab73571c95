"""install.py as a user meets it: real runs of the script on a copy of this checkout.

Nothing here touches the checkout or the environment the suite runs in: install.py runs on a
copy in a temp folder, Inkscape's profile is a temp folder (``INKSCAPE_PROFILE_DIR``), and the
backend environment is a temp venv that reuses this interpreter's packages through a ``.pth``
line, so torch is not reinstalled (pip still installs LayerVec itself into it, editable).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from PIL import Image

from layervec_ext.core.metrics import psnr, rasterize_svg

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "layervec_ext" / "samples" / "smiley.png"
NS = {"svg": "http://www.w3.org/2000/svg", "inkscape": "http://www.inkscape.org/namespaces/inkscape"}
HAS_INKSCAPE = bool(shutil.which("inkscape"))
HAS_HEADLESS_INKSCAPE = HAS_INKSCAPE and bool(shutil.which("xvfb-run"))


def copy_checkout(dest: Path) -> Path:
    """What a clone holds of the parts install.py uses, without this checkout's install records."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "backend.json", ".install-state.json")
    for name in ("install.py", "layervec.inx", "layervec_refine.inx", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "layervec_ext", dest / "layervec_ext", ignore=ignore)
    return dest


def reusing_venv(folder: Path) -> Path:
    """A venv that sees this interpreter's packages (torch...) without copying them."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(folder)
    site = Path(sysconfig.get_paths(vars={"base": str(folder), "platbase": str(folder)})["purelib"])
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz-layervec-test-reuse.pth").write_text("\n".join(sorted(paths)) + "\n")
    return folder


def snapshot(*folders: Path, dir_times: bool = True) -> dict:
    """Every path under the folders with its kind, size, mtime (and link target); Python's bytecode
    and pytest's caches, by-products of running the code, left out."""
    out = {}
    for folder in folders:
        if not os.path.lexists(folder):
            continue
        for base, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d not in ("__pycache__", ".pytest_cache")]
            for name in dirs + files:
                path = os.path.join(base, name)
                st = os.lstat(path)
                if os.path.islink(path):
                    out[path] = ("link", os.readlink(path))
                elif os.path.isdir(path):
                    out[path] = ("dir", st.st_mtime_ns if dir_times else None)
                else:
                    out[path] = ("file", st.st_size, st.st_mtime_ns)
    return out


class Setup:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.repo = copy_checkout(tmp / "repo")
        self.venv = reusing_venv(tmp / "venv")
        self.profile = tmp / "profile"
        self.python = self.venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INKSCAPE_PROFILE_DIR")}
        self.env["INKSCAPE_PROFILE_DIR"] = str(self.profile)

    def run(self, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        cmd = [sys.executable, str(self.repo / "install.py"), "--venv", str(self.venv), *args]
        proc = subprocess.run(cmd, env=env or self.env, capture_output=True, text=True, timeout=timeout)
        print(proc.stdout, proc.stderr)
        return proc


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Setup:
    """One install into a temp profile; ``before`` is the file trees as they were just before it."""
    s = Setup(tmp_path_factory.mktemp("install"))
    s.before = snapshot(s.repo, s.venv, s.profile, dir_times=False)
    s.first = s.run()
    return s


def test_install_links_the_extension_and_records_the_backend(setup):
    assert setup.first.returncode == 0, setup.first.stdout + setup.first.stderr
    ext = setup.profile / "extensions"
    assert os.path.realpath(ext / "layervec.inx") == str((setup.repo / "layervec.inx").resolve())
    assert os.path.realpath(ext / "layervec_refine.inx") == str((setup.repo / "layervec_refine.inx").resolve()), \
        "the refine action's menu item too"
    assert os.path.realpath(ext / "layervec_ext") == str((setup.repo / "layervec_ext").resolve())
    # Seen through the link, as the effect reads it.
    record = (ext / "layervec_ext" / "backend.json").read_text()
    assert f'"python": "{setup.python}"' in record
    out = setup.first.stdout
    assert "linked" in out and "wrote" in out and "installing LayerVec" in out
    assert all(line.startswith("[layervec] ") for line in out.splitlines() if not line.startswith("    "))
    # The environment runs this copy's code.
    proc = subprocess.run([str(setup.python), "-c", "import layervec_ext; print(layervec_ext.__file__)"],
                          capture_output=True, text=True, cwd=setup.tmp, env=setup.env)
    assert Path(proc.stdout.strip()).parent == (setup.repo / "layervec_ext").resolve()


def test_second_run_changes_nothing(setup):
    before = snapshot(setup.repo, setup.venv, setup.profile)
    second = setup.run()
    assert second.returncode == 0
    assert snapshot(setup.repo, setup.venv, setup.profile) == before
    out = second.stdout
    assert "backend: already installed" in out
    assert "layervec.inx already linked" in out and "layervec_ext already linked" in out
    assert "layervec_refine.inx already linked" in out
    assert "backend.json already points" in out
    assert "nothing changed" in out
    assert "pip:" not in out


def test_existing_files_of_another_origin_are_left_alone_without_force(setup):
    other = setup.tmp / "other-profile" / "extensions"
    other.mkdir(parents=True)
    (other / "layervec.inx").write_text("someone else's extension\n")
    args = ("--extensions-dir", str(other))
    refused = setup.run(*args)
    assert refused.returncode == 1
    assert "left alone; --force replaces it" in refused.stdout
    assert (other / "layervec.inx").read_text() == "someone else's extension\n"
    assert (other / "layervec_ext").is_symlink(), "what did not clash is still installed"
    forced = setup.run(*args, "--force")
    assert forced.returncode == 0 and "replaced (--force)" in forced.stdout
    assert os.path.realpath(other / "layervec.inx") == str((setup.repo / "layervec.inx").resolve())


def test_links_into_another_checkout_are_replaced_even_when_it_is_gone(setup):
    """A checkout cloned again elsewhere, and one moved away: Inkscape must run this one now."""
    ext = setup.tmp / "reclone-profile" / "extensions"
    ext.mkdir(parents=True)
    second = copy_checkout(setup.tmp / "second-clone").resolve()
    (ext / "layervec.inx").symlink_to(second / "layervec.inx")
    moved = copy_checkout(setup.tmp / "moved-away").resolve()
    (ext / "layervec_ext").symlink_to(moved / "layervec_ext", target_is_directory=True)
    moved.rename(setup.tmp / "moved-here")
    assert not (ext / "layervec_ext").exists(), "a dangling link"
    proc = setup.run("--extensions-dir", str(ext))
    assert proc.returncode == 0, proc.stdout
    repo = setup.repo.resolve()
    assert (f"replaced {ext / 'layervec.inx'} → {repo / 'layervec.inx'} "
            f"(it pointed to another LayerVec checkout, {second})") in proc.stdout
    assert f"(it pointed to {moved / 'layervec_ext'}, which is gone)" in proc.stdout
    assert "left alone" not in proc.stdout
    for name in ("layervec.inx", "layervec_ext"):
        assert os.path.realpath(ext / name) == str(repo / name)
    assert (second / "layervec.inx").is_file(), "the other checkout itself is not touched"


def test_an_earlier_copy_of_layervec_is_replaced(setup):
    ext = setup.tmp / "copied-profile" / "extensions"
    ext.mkdir(parents=True)
    shutil.copy2(ROOT / "layervec.inx", ext / "layervec.inx")
    shutil.copytree(ROOT / "layervec_ext" / "inkscape", ext / "layervec_ext" / "inkscape")
    proc = setup.run("--extensions-dir", str(ext))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.count("(an earlier copy of LayerVec)") == 2
    assert os.path.realpath(ext / "layervec_ext") == str((setup.repo / "layervec_ext").resolve())


@pytest.mark.skipif(not shutil.which("false"), reason="needs false(1) as an Inkscape that fails")
def test_demo_exit_code_says_the_demo_ran_despite_foreign_files_and_a_failing_inkscape(setup):
    """Files that are not LayerVec's stay (a link, a folder), and an Inkscape that fails hands the
    demo to the command line: the demo still runs, and the exit code says so."""
    ext = setup.tmp / "foreign-profile" / "extensions"
    (ext / "layervec_ext").mkdir(parents=True)
    (ext / "layervec_ext" / "notes.txt").write_text("someone else's folder\n")
    notes = setup.tmp / "notes.inx"
    notes.write_text("<inkscape-extension><id>org.example.other</id></inkscape-extension>\n")
    (ext / "layervec.inx").symlink_to(notes)
    out_dir = setup.tmp / "demo-foreign"
    demo = setup.run("--demo", "--inkscape", shutil.which("false"), "--extensions-dir", str(ext), "--paths", "4",
                     "--preset", "fast", "--out", str(out_dir), timeout=400)
    assert demo.returncode == 0, demo.stdout
    assert demo.stdout.count("left alone; --force replaces it") == 2
    assert "running the command line instead" in demo.stdout and "the command line did the demo" in demo.stdout
    assert (out_dir / "smiley-layervec.svg").is_file() and (out_dir / "smiley-layervec.png").is_file()
    assert os.readlink(ext / "layervec.inx") == str(notes) and (ext / "layervec_ext" / "notes.txt").is_file()


@pytest.mark.skipif(not HAS_INKSCAPE, reason="needs Inkscape")
def test_check_passes_when_everything_is_there(setup):
    before = snapshot(setup.repo, setup.venv, setup.profile)
    check = setup.run("--check")
    assert check.returncode == 0, check.stdout
    out = check.stdout
    assert "inkex         ok      inkex 1." in out and "the effects load" in out
    assert "torch         ok" in out and "CUDA:" in out
    assert "pydiffvg: " in out
    assert ("layervec.inx → this checkout; layervec_refine.inx → this checkout; layervec_ext → this checkout; "
            "backend.json → this environment") in out
    assert snapshot(setup.repo, setup.venv, setup.profile) == before, "--check changes nothing"


def test_check_is_honest_without_inkscape(setup):
    empty_bin = setup.tmp / "bin-without-inkscape"
    empty_bin.mkdir(exist_ok=True)
    env = dict(setup.env, PATH=str(empty_bin))
    check = setup.run("--check", env=env)
    assert check.returncode == 1
    assert "Inkscape      PROBLEM not found" in check.stdout
    assert "backend       ok" in check.stdout, "the rest is still diagnosed"


def test_check_is_honest_without_backend(setup):
    env_dir = setup.tmp / "no-such-venv"
    cmd = [sys.executable, str(setup.repo / "install.py"), "--check", "--venv", str(env_dir)]
    check = subprocess.run(cmd, env=setup.env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 1
    assert f"backend       PROBLEM no environment at {env_dir}" in check.stdout
    assert "backend.json points at" in check.stdout, "registered for another environment"
    assert not env_dir.exists()


def test_probe_does_not_count_the_checkout_it_lives_in(tmp_path):
    """The probe lives inside the package, yet asking a Python without LayerVec must not find it there."""
    from layervec_ext.install.backend import BACKEND_MODULES, probe_backend

    bare = tmp_path / "bare"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(bare)
    found = probe_backend(bare / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    assert found is not None and "package" not in found and "torch" not in found
    assert set(found["missing"]) == set(BACKEND_MODULES)
    assert found["missing"]["numpy"] == "ModuleNotFoundError: No module named 'numpy'"


def result_layers(svg: Path) -> tuple[list, list]:
    root = etree.parse(str(svg)).getroot()
    layers = root.xpath("//svg:g[@inkscape:groupmode='layer']", namespaces=NS)
    gradients = root.xpath("//svg:defs//svg:radialGradient", namespaces=NS)
    return layers, gradients


def assert_looks_like_sample(svg: Path, png: Path) -> None:
    """The SVG drawn by resvg, and the PNG preview, both resemble the sample picture."""
    sample = np.asarray(Image.open(SAMPLE).convert("RGB"))
    drawn = rasterize_svg(svg.read_text(), sample.shape[1], sample.shape[0])
    assert psnr(drawn, sample) > 18
    preview = np.asarray(Image.open(io.BytesIO(png.read_bytes())).convert("RGB"))
    assert preview.shape == sample.shape and psnr(preview, sample) > 18


@pytest.mark.skipif(not HAS_HEADLESS_INKSCAPE, reason="needs Inkscape and xvfb-run")
def test_demo_runs_the_menu_item_in_inkscape(setup):
    out_dir = setup.tmp / "demo-inkscape"
    demo = setup.run("--demo", "--paths", "6", "--preset", "fast", "--out", str(out_dir), timeout=400)
    assert demo.returncode == 0, demo.stdout
    assert "demo: running Inkscape under xvfb-run" in demo.stdout
    svg, png = out_dir / "smiley-layervec.svg", out_dir / "smiley-layervec.png"
    assert f"demo: SVG  {svg}" in demo.stdout and f"demo: PNG  {png}" in demo.stdout
    layers, gradients = result_layers(svg)
    top = [g for g in layers if g.get(f"{{{NS['inkscape']}}}label", "").startswith("LayerVec")]
    assert top and len(layers) >= 2, "a LayerVec layer with detail sub-layers"
    paths = top[0].xpath(".//svg:path", namespaces=NS)
    assert 2 <= len(paths) <= 6
    assert gradients and any("url(#" in (p.get("fill", "") + p.get("style", "")) for p in paths)
    assert_looks_like_sample(svg, png)


def test_demo_through_the_command_line(setup):
    out_dir = setup.tmp / "demo-cli"
    demo = setup.run("--demo", "--cli", "--paths", "6", "--preset", "fast", "--out", str(out_dir), timeout=400)
    assert demo.returncode == 0, demo.stdout
    assert "demo: running the command line" in demo.stdout
    svg, png = out_dir / "smiley-layervec.svg", out_dir / "smiley-layervec.png"
    layers, gradients = result_layers(svg)
    assert layers and len(gradients) >= 2
    assert_looks_like_sample(svg, png)


def test_test_mode_passes_pytest_arguments_and_exit_code(setup):
    proc = setup.run("--test", "--", "-q", "no_such_test_file.py")
    assert "running the test suite: python -m pytest -q no_such_test_file.py" in proc.stdout
    assert proc.returncode == 4, "pytest's own exit code (4: file not found)"


def test_uninstall_removes_exactly_what_was_added(setup):
    proc = setup.run("--uninstall")
    assert proc.returncode == 0, proc.stdout
    assert "removed" in proc.stdout
    after = snapshot(setup.repo, setup.venv, setup.profile, dir_times=False)
    before = setup.before
    # The venv was there before install.py: it stays, with the package pip put into it (said so).
    venv_prefix = str(setup.venv) + os.sep
    added_to_venv = {p for p in set(after) - set(before) if p.startswith(venv_prefix)}
    assert added_to_venv and all("site-packages" in p or Path(p).stem == "layervec" for p in added_to_venv)
    assert "stays in" in proc.stdout
    assert {p: v for p, v in after.items() if p not in added_to_venv} == before
    again = setup.run("--uninstall")
    assert again.returncode == 0 and "nothing to remove" in again.stdout


def test_uninstall_removes_the_environment_it_created(tmp_path):
    repo = copy_checkout(tmp_path / "repo")
    env_dir = tmp_path / "new-venv"
    cmd = [sys.executable, str(repo / "install.py"), "--venv", str(env_dir), "--no-register"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # A torch that cannot be installed stops set-up right after the environment is made.
    failed = subprocess.run(cmd + ["--torch", str(tmp_path / "missing-torch.whl")], env=env, capture_output=True,
                            text=True, timeout=300)
    assert failed.returncode == 1
    assert "[layervec] error: pip could not install PyTorch" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
    assert (env_dir / "pyvenv.cfg").is_file()
    removed = subprocess.run([sys.executable, str(repo / "install.py"), "--uninstall"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert removed.returncode == 0
    assert "the backend environment install.py created" in removed.stdout
    assert not env_dir.exists()
    assert not (repo / "layervec_ext" / ".install-state.json").exists()
