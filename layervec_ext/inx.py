"""``python3 -m layervec_ext.inx``: write the dialogs' params in ``layervec.inx`` (the vectorize action) and
``layervec_refine.inx`` (the refine action) from :mod:`layervec_ext.options`.

Only the lines between the two marker comments are generated; the rest of each .inx (the help page,
the menu, the script) stays hand-written. Which action's options a file gets follows from its
``<id>`` (``org.layervec.ACTION``). ``--check`` changes nothing and exits 1 when a file differs from
what would be written (the test suite checks the same). Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from layervec_ext.options import ACTIONS, OPTIONS, REFINE, VECTORIZE, Option, options_of

ROOT = Path(__file__).resolve().parent.parent
INX = ROOT / "layervec.inx"  # the vectorize action's
INX_FILES: dict[str, Path] = {VECTORIZE: INX, REFINE: ROOT / "layervec_refine.inx"}
ID_PREFIX = "org.layervec."  # each .inx's <id> is this and its action's name
_ID = re.compile(r"<id>\s*([^<\s]+)\s*</id>")
BEGIN = "<!-- params generated from layervec_ext/options.py (python3 -m layervec_ext.inx): edit there, not here -->"
END = "<!-- end of the generated params -->"


class InxError(ValueError):
    """``str()`` is the one line to print."""


def _attr(value: object) -> str:
    return '"' + escape(str(value), {'"': "&quot;"}) + '"'


def param_lines(option: Option, indent: str) -> list[str]:
    """One dialog param as .inx lines: attributes, then the tooltip on an aligned second line."""
    types = {"int": 'type="int"', "bool": 'type="bool"', "choice": 'type="optiongroup" appearance="combo"'}
    head = f"<param name={_attr(option.name)} {types[option.kind]}"
    if option.kind == "int":
        low, high = option.dialog_range
        head += f" min={_attr(low)} max={_attr(high)}"
    head += f" gui-text={_attr(option.label)}"
    lines = [indent + head]
    if option.description:
        lines.append(indent + " " * len("<param ") + f"gui-description={_attr(option.description)}")
    if option.kind == "choice":
        lines[-1] += ">"
        lines += [f"{indent}  <option value={_attr(c.value)}>{escape(c.label)}</option>"
                  for c in option.dialog_choices()]
        lines.append(f"{indent}</param>")
    else:
        value = str(option.default).lower() if option.kind == "bool" else str(option.default)
        lines[-1] += f">{escape(value)}</param>"
    return lines


def render(text: str, options: Iterable[Option] = OPTIONS) -> str:
    """``text`` (an .inx) with the lines between the markers replaced by the dialog options' params."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise InxError(f"the .inx needs the two marker lines once each, in order: {BEGIN} … {END}")
    begin, end = starts[0], ends[0]
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    params = [line for o in options if o.in_dialog for line in param_lines(o, indent)]
    return "\n".join(lines[: begin + 1] + params + lines[end:])


def action_of(text: str) -> str:
    """The action an .inx is for, from its ``<id>org.layervec.ACTION</id>``."""
    found = _ID.search(text)
    action = found.group(1)[len(ID_PREFIX):] if found and found.group(1).startswith(ID_PREFIX) else None
    if action not in ACTIONS:
        names = ", ".join(ID_PREFIX + a for a in ACTIONS)
        raise InxError(f"the .inx's <id> must be one of {names}" + (f", not {found.group(1)}" if found else ""))
    return action


def render_file(text: str) -> str:
    """``text`` with the params of the action its ``<id>`` names."""
    render(text, ())  # the marker lines first: the commoner mistake, and its message says what to add
    return render(text, options_of(action_of(text)))


def update(path: Path, check: bool) -> int:
    """Rewrite (or ``--check``) one .inx: 0 up to date (or now written), 1 out of date, 2 unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
        new = render_file(text)
    except (OSError, InxError) as exc:
        print(f"layervec_ext.inx: error: {exc}", file=sys.stderr)
        return 2
    if new == text:
        print(f"{path}: up to date")
        return 0
    if check:
        print(f"{path}: out of date: run python3 -m layervec_ext.inx", file=sys.stderr)
        return 1
    path.write_text(new, encoding="utf-8")
    print(f"{path}: params written from layervec_ext/options.py")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or ``--check``) the .inx files; 0 when they are up to date."""
    parser = argparse.ArgumentParser(prog="python3 -m layervec_ext.inx", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if an .inx is out of date")
    parser.add_argument("inx", nargs="*", type=Path, default=list(INX_FILES.values()),
                        help="the .inx files (default: layervec.inx and layervec_refine.inx)")
    args = parser.parse_args(argv)
    return max(update(path, args.check) for path in args.inx)


if __name__ == "__main__":
    sys.exit(main())
