"""``python3 -m layervec_ext.inx``: write the dialog's params in ``layervec.inx`` from :mod:`layervec_ext.options`.

Only the lines between the two marker comments are generated; the rest of the .inx (the help page,
the menu, the script) stays hand-written. ``--check`` changes nothing and exits 1 when the file
differs from what would be written (the test suite checks the same). Standard library only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from layervec_ext.options import OPTIONS, Option

INX = Path(__file__).resolve().parent.parent / "layervec.inx"
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


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or ``--check``) the .inx; 0 when it is up to date."""
    parser = argparse.ArgumentParser(prog="python3 -m layervec_ext.inx", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the .inx is out of date")
    parser.add_argument("inx", nargs="?", type=Path, default=INX, help="the .inx file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        text = args.inx.read_text(encoding="utf-8")
        new = render(text)
    except (OSError, InxError) as exc:
        print(f"layervec_ext.inx: error: {exc}", file=sys.stderr)
        return 2
    if new == text:
        print(f"{args.inx}: up to date")
        return 0
    if args.check:
        print(f"{args.inx}: out of date: run python3 -m layervec_ext.inx", file=sys.stderr)
        return 1
    args.inx.write_text(new, encoding="utf-8")
    print(f"{args.inx}: params written from layervec_ext/options.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
