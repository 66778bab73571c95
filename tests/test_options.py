"""Options declared once (``layervec_ext/options.py``): the .inx dialog, the command line, the
effect's arguments and what it forwards are all that one declaration, and drift is caught."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from layervec_ext import inx, options
from layervec_ext.core.vectorize_cmd import build_parser, main
from layervec_ext.options import BOTH, CLI, DIALOG, OPTIONS, REFINE, REFINE_OPTIONS, VECTORIZE, Choice, Option

ROOT = Path(__file__).resolve().parent.parent
INX_NS = "{http://www.inkscape.org/namespace/inkscape/extension}"


def dialog_params(path: Path) -> dict[str, ET.Element]:
    """The params of the .inx's Options page, by name, as Inkscape reads them."""
    root = ET.parse(path).getroot()
    page = root.find(f"{INX_NS}param[@type='notebook']/{INX_NS}page[@name='options']")
    return {p.get("name"): p for p in page.findall(f"{INX_NS}param")}


ACTION_INX = [(VECTORIZE, "layervec.inx", OPTIONS), (REFINE, "layervec_refine.inx", REFINE_OPTIONS)]


@pytest.mark.parametrize("action, name, opts", ACTION_INX)
def test_committed_inx_is_what_the_options_generate(action, name, opts):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert inx.INX_FILES[action] == ROOT / name
    assert inx.action_of(text) == action and f"<id>org.layervec.{action}</id>" in text
    assert inx.render(text, opts) == text, f"{name} drifted from options.py: run python3 -m layervec_ext.inx"
    assert inx.render_file(text) == text


def test_inx_command_checks_both_files_by_default():
    proc = subprocess.run([sys.executable, "-m", "layervec_ext.inx", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("up to date") == 2 and "layervec_refine.inx" in proc.stdout


@pytest.mark.parametrize("action, name, opts", ACTION_INX)
def test_inx_params_say_what_the_options_say(action, name, opts):
    """The check inkex.tester does for an .inx against its code, plus choices, labels and ranges."""
    params = dialog_params(ROOT / name)
    dialog = [o for o in opts if o.in_dialog]
    assert list(params) == [o.name for o in dialog], "the dialog shows the options in declaration order"
    for o in dialog:
        p = params[o.name]
        assert p.get("gui-text") == o.label and p.get("gui-description", "") == o.description, o.name
        if o.kind == "choice":
            assert p.get("type") == "optiongroup"
            shown = [Choice(e.get("value"), e.text) for e in p.findall(f"{INX_NS}option")]
            assert shown[0].value == o.default, "Inkscape starts on the first option: the default"
            assert sorted(shown, key=lambda c: c.value) == sorted(o.choices, key=lambda c: c.value), o.name
        elif o.kind == "int":
            assert p.get("type") == "int" and int(p.text) == o.default, o.name
            assert (int(p.get("min")), int(p.get("max"))) == o.dialog_range, o.name
        else:
            assert p.get("type") == "bool" and p.text == str(o.default).lower(), o.name


def test_inx_command_finds_and_fixes_drift(tmp_path):
    """``python3 -m layervec_ext.inx`` as a developer runs it, on a copy with a hand-edited default."""
    copy = tmp_path / "layervec.inx"
    shutil.copy(ROOT / "layervec.inx", copy)
    copy.write_text(copy.read_text(encoding="utf-8").replace(">600</param>", ">60</param>"), encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "layervec_ext.inx", *args, str(copy)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    check = run("--check")
    assert check.returncode == 1 and "out of date: run python3 -m layervec_ext.inx" in check.stderr
    assert ">60</param>" in copy.read_text(encoding="utf-8"), "--check changes nothing"
    assert run().returncode == 0
    assert copy.read_text(encoding="utf-8") == (ROOT / "layervec.inx").read_text(encoding="utf-8")
    assert run("--check").returncode == 0
    copy.write_text("<inkscape-extension/>\n", encoding="utf-8")
    broken = run()
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1 and "marker lines" in broken.stderr
    assert copy.read_text(encoding="utf-8") == "<inkscape-extension/>\n"


def test_command_line_flags_and_defaults_come_from_the_options():
    parser = build_parser()
    flags = {s for a in parser._actions for s in a.option_strings} - {"-h", "--help", "-o", "--output"}
    assert flags == {o.cli_flag for o in OPTIONS if o.in_cli}
    args = parser.parse_args(["in.png", "-o", "out.svg"])
    for o in OPTIONS:
        if o.in_cli:
            assert getattr(args, o.name) == o.default, o.name
    assert parser.parse_args(["in.png", "-o", "x", "--layers", "7", "--max-size", "64"]).layers == 7


@pytest.mark.parametrize("args, message", [
    (["--paths", "0"], "argument --paths: must be at least 1, got 0"),
    (["--threads", "two"], "argument --threads: expected a whole number, got 'two'"),
    (["--layers", "0"], "argument --layers: must be at least 1"),
    (["--preset", "slow"], "argument --preset: invalid choice: 'slow'"),
])
def test_bad_values_get_one_line_before_any_work(capsys, args, message):
    assert main(["no-such.png", "-o", "out.svg", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"layervec: error: {message}") and err.count("\n") == 1


def test_effect_forwards_exactly_the_options_both_sides_have():
    parser = argparse.ArgumentParser()
    options.add_effect_arguments(parser, boolean=lambda text: text == "true")
    values = parser.parse_args(["--paths=0", "--seed=5", "--layers=2", "--replace=false", "--timeout=0",
                                "--max_size=1024"])
    assert values.replace is False
    options.apply_limits(values)
    assert values.timeout == 1, "what a script passes below the dialog's range is raised to it"
    sent = options.forwarded(values)
    assert sent == {"paths": 1, "preset": "balanced", "fill": "radial", "layers": "2", "device": "auto", "seed": 5,
                    "max_size": 1024}
    assert options.command_line({**sent, "progress_json": True}) == [
        "--paths", "1", "--preset", "balanced", "--fill", "radial", "--layers", "2", "--device", "auto",
        "--seed", "5", "--max-size", "1024", "--progress-json"]
    parsed = build_parser().parse_args(["in.png", "-o", "x", *options.command_line(sent)])
    assert (parsed.paths, parsed.layers, parsed.seed, parsed.max_size) == (1, 2, 5, 1024), \
        "the backend reads what the effect sends: the dialog's working size too"
    with pytest.raises(ValueError, match="'timeout' is not an option of the layervec command"):
        options.command_line({"timeout": 5})


def test_a_new_option_is_declared_in_one_place():
    """A refine action's ``add_paths`` and a progress-window switch: one declaration each reaches the
    dialog, the effect, the command line and the forwarded flags."""
    new = OPTIONS + (
        Option("add_paths", "int", 8, "paths to add (default %(default)s)", at_least=1, dialog_range=(1, 500),
               label="Paths to add:"),
        Option("progress_window", "bool", False, "show a progress window", where=DIALOG, label="Progress window"),
    )
    text = inx.render((ROOT / "layervec.inx").read_text(encoding="utf-8"), new)
    assert '<param name="add_paths" type="int" min="1" max="500" gui-text="Paths to add:">8</param>' in text
    assert '<param name="progress_window" type="bool" gui-text="Progress window">false</param>' in text
    cli = argparse.ArgumentParser()
    options.add_cli_arguments(cli, new)
    assert cli.parse_args(["--add-paths", "3"]).add_paths == 3
    effect = argparse.ArgumentParser()
    options.add_effect_arguments(effect, boolean=lambda text: text == "true", options=new)
    values = effect.parse_args(["--add_paths=3", "--progress_window=true"])
    sent = options.forwarded(values, new)
    assert sent["add_paths"] == 3 and "progress_window" not in sent
    assert options.command_line({"add_paths": 3}, new) == ["--add-paths", "3"]


def test_the_refine_action_has_its_own_options_and_shares_the_common_ones():
    """Declared once: refine's dialog and flags, vectorize's untouched by them."""
    names = [o.name for o in REFINE_OPTIONS]
    assert names[:3] == ["add_paths", "keep_shapes", "fill_kind"], "refine's own options come first in its dialog"
    assert {"preset", "device", "seed", "timeout", "window", "max_size", "threads", "quiet", "progress_json",
            "preview_dir", "preview_every"} <= set(names)
    assert not {"paths", "fill", "layers", "original", "replace", "jobs", "segments"} & set(names)
    assert not {"add_paths", "keep_shapes", "fill_kind"} & {o.name for o in OPTIONS}
    assert options.FILL_KINDS == ("keep", *options.FILLS)
    cli = argparse.ArgumentParser()
    options.add_cli_arguments(cli, REFINE_OPTIONS)
    args = cli.parse_args([])
    assert (args.add_paths, args.keep_shapes, args.fill_kind, args.preset) == (0, False, "keep", "balanced")
    args = cli.parse_args(["--add-paths", "8", "--keep-shapes", "--fill-kind", "flat", "--preset", "fast"])
    assert (args.add_paths, args.keep_shapes, args.fill_kind, args.preset) == (8, True, "flat", "fast")
    with pytest.raises(SystemExit):
        cli.parse_args(["--add-paths", "-1"])
    effect = argparse.ArgumentParser()
    options.add_effect_arguments(effect, boolean=lambda text: text == "true", options=REFINE_OPTIONS)
    values = effect.parse_args(["--add_paths=8", "--keep_shapes=true", "--timeout=0", "--window=false"])
    options.apply_limits(values, REFINE_OPTIONS)
    sent = options.forwarded(values, REFINE_OPTIONS)
    assert sent == {"add_paths": 8, "keep_shapes": True, "fill_kind": "keep", "preset": "balanced", "device": "auto",
                    "seed": 0, "max_size": 512}
    assert values.timeout == 1 and values.window is False
    again = cli.parse_args(options.command_line(sent, REFINE_OPTIONS))
    assert (again.add_paths, again.keep_shapes) == (8, True), "the backend reads what the effect sends"
    with pytest.raises(ValueError, match="no action"):
        options.options_of("trace")
    with pytest.raises(ValueError, match="actions must be some of"):
        Option("x", "int", 1, "x", where=CLI, actions=frozenset({"trace"}))


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "choice", "default": "x", "choices": (Choice("a", "A"),)}, "default 'x' is not among the choices"),
    ({"kind": "int", "default": 3}, "needs a dialog_range"),
    ({"kind": "int", "default": 3, "dialog_range": (0, 9), "at_least": 1}, "within at_least"),
    ({"kind": "bool", "default": True, "where": BOTH}, "its default must be False"),
    ({"kind": "complex", "default": 1j, "where": CLI}, "kind must be one of"),
    ({"kind": "float", "default": 1.0}, "a dialog option must be one of int, choice, bool"),
])
def test_a_wrong_declaration_fails_at_import(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Option("x", help="x", label="X:", **kwargs)


def test_the_vectorizer_has_every_preset_the_options_offer():
    from layervec_ext.core.vectorize import PRESETS

    assert set(PRESETS) == set(options.PRESETS)


@pytest.mark.skipif(not (shutil.which("inkscape") and shutil.which("xvfb-run")), reason="needs Inkscape and xvfb-run")
def test_inkscape_reads_the_generated_inx_without_a_warning(tmp_path):
    ext = tmp_path / "profile" / "extensions"
    ext.mkdir(parents=True)
    (ext / "layervec.inx").symlink_to(ROOT / "layervec.inx")
    (ext / "layervec_refine.inx").symlink_to(ROOT / "layervec_refine.inx")
    (ext / "layervec_ext").symlink_to(ROOT / "layervec_ext", target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["INKSCAPE_PROFILE_DIR"] = str(tmp_path / "profile")
    proc = subprocess.run(["xvfb-run", "-a", "inkscape", "--action-list"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert "org.layervec.vectorize:" in proc.stdout
    assert re.search(r"^org\.layervec\.refine\s*:", proc.stdout, re.M), "the refine action's menu item too"
    assert "layervec" not in proc.stderr.lower(), proc.stderr


def test_the_final_pass_grows_with_the_budget_but_not_its_cost_past_the_working_size():
    from layervec_ext.core.vectorize import Settings

    steps = [Settings(paths=n).final_steps(512) for n in (8, 32, 64, 256, 1024)]
    assert steps == [32, 32, 48, 80, 112]
    # on a 1024-px working image each step draws four times the pixels: a quarter of the extra steps
    assert Settings(paths=256).final_steps(1024) == 32 + 12
    assert Settings.preset("fast", paths=256).final_steps(512) == 0  # the pass is off
