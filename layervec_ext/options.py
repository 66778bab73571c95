"""Every user option of LayerVec, declared once. Standard library only: both halves import it.

Each option belongs to one or more actions (``Option.actions``): the vectorize action (the
``layervec`` command, ``layervec.inx``) and the refine action (``layervec refine``,
``layervec_refine.inx``). Built from :data:`OPTIONS` (vectorize) and :data:`REFINE_OPTIONS`: each
command's flags (:func:`add_cli_arguments`), each Inkscape effect's arguments
(:func:`add_effect_arguments`), what the effect forwards to the backend (:func:`forwarded`,
:func:`command_line`), the dialog's params in each .inx (written by ``python3 -m layervec_ext.inx``;
a test fails when a committed file differs) and install.py's demo flags. A new option is one more
:class:`Option` in :data:`ALL_OPTIONS`, then ``python3 -m layervec_ext.inx``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Callable

from layervec_ext.limits import MAX_SEGMENTS

CLI = frozenset({"cli"})  # a flag of the ``layervec`` command
DIALOG = frozenset({"dialog"})  # a param of the Inkscape dialog (and an argument of the effect)
BOTH = CLI | DIALOG  # in both: the effect forwards the dialog's value to the backend
KINDS = ("int", "choice", "bool", "float", "text")
DIALOG_KINDS = ("int", "choice", "bool")  # what an .inx param can be here
VECTORIZE = "vectorize"  # bitmaps → a new layer of paths (layervec.inx, the ``layervec`` command)
REFINE = "refine"  # selected paths re-optimised against their bitmap (layervec_refine.inx, ``layervec refine``)
ACTIONS = (VECTORIZE, REFINE)
ONLY_VECTORIZE = frozenset({VECTORIZE})
ONLY_REFINE = frozenset({REFINE})
SHARED = frozenset(ACTIONS)  # the same option, with the same meaning, in both actions


@dataclass(frozen=True)
class Choice:
    """One value of a choice option, and its words in the dialog."""

    value: str
    label: str  # what the dialog's drop-down shows


def whole_number(at_least: int | None, at_most: int | None = None, unit: str = "") -> Callable[[str], int]:
    """A command line's parser for an int: a one-line error for text or a value out of range."""
    if at_least is None:
        return int
    noun = f"a whole number of {unit}" if unit else "a whole number"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if at_most is not None and not at_least <= value <= at_most:
            raise argparse.ArgumentTypeError(f"must be between {at_least} and {at_most}, got {value}")
        if value < at_least:
            raise argparse.ArgumentTypeError(f"must be at least {at_least}, got {value}")
        return value

    return parse


def number(at_least: float | None) -> Callable[[str], float]:
    """A command line's parser for a number of seconds and the like: a one-line error otherwise."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value != value or (at_least is not None and value < at_least):  # NaN, or too small
            raise argparse.ArgumentTypeError(f"must be at least {at_least:g}, got {text}")
        return value

    return parse


def auto_or_positive(text: str) -> str | int:
    """``--layers``: 'auto', or how many layers (the dialog offers a few of these)."""
    if text == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a positive number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@dataclass(frozen=True)
class Option:
    """One user option, and where it applies (``where``: CLI, DIALOG or BOTH) in which actions
    (``actions``: a set of :data:`ACTIONS`; by default the vectorize action only).

    ``kind``: ``int``; ``choice`` (one of ``choices``; the dialog's drop-down lists the default
    first); ``bool`` (a dialog checkbox; on the command line a flag that turns it on); ``float``
    and ``text`` (command line only: a number, a string such as a folder).
    ``at_least``/``at_most``: the least and most value anywhere: the command line refuses others in
    one line, the effect brings them within (a script may pass what the dialog can't).
    ``dialog_range``: the dialog's spin box, which Inkscape otherwise limits to 0–10. ``parse``: the
    command line's parser when it accepts more than ``choices`` (``--layers 7``).
    """

    name: str
    kind: str
    default: Any
    help: str  # --help of the command and the effect
    where: frozenset = BOTH
    label: str = ""  # the dialog's gui-text
    description: str = ""  # the dialog's tooltip (gui-description)
    choices: tuple[Choice, ...] = ()
    at_least: int | None = None
    at_most: int | None = None
    dialog_range: tuple[int, int] | None = None
    parse: Callable[[str], Any] | None = None
    actions: frozenset = ONLY_VECTORIZE

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {', '.join(KINDS)}")
        if not self.where or not self.where <= BOTH:
            problems.append("where must be CLI, DIALOG or BOTH")
        if not self.actions or not self.actions <= SHARED:
            problems.append(f"actions must be some of {', '.join(ACTIONS)}")
        if self.kind == "choice" and self.default not in self.values:
            problems.append(f"default {self.default!r} is not among the choices")
        if self.kind == "bool" and self.in_cli and self.default is not False:
            problems.append("a command-line bool is a flag that turns it on: its default must be False")
        if self.in_dialog and self.kind not in DIALOG_KINDS:
            problems.append(f"a dialog option must be one of {', '.join(DIALOG_KINDS)}")
        if self.in_dialog and not self.label:
            problems.append("a dialog option needs a label")
        if self.in_dialog and self.kind == "int":
            low, high = self.dialog_range or (None, None)
            if low is None or not low <= self.default <= high or (self.at_least is not None and low < self.at_least) \
                    or (self.at_most is not None and high > self.at_most):
                problems.append("a dialog int needs a dialog_range holding the default, within at_least and at_most")
        if self.at_most is not None and (self.at_least is None or self.kind != "int"):
            problems.append("at_most bounds an int that has at_least")
        if problems:
            raise ValueError(f"option {self.name}: " + "; ".join(problems))

    @property
    def in_cli(self) -> bool:
        return "cli" in self.where

    @property
    def in_dialog(self) -> bool:
        return "dialog" in self.where

    @property
    def forwarded(self) -> bool:
        """The effect passes the dialog's value on to the backend's command line."""
        return self.where == BOTH

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    @property
    def cli_flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def effect_flag(self) -> str:
        """Inkscape passes each dialog param as ``--NAME=VALUE``, the name exactly as in the .inx."""
        return "--" + self.name

    def dialog_choices(self) -> tuple[Choice, ...]:
        """The choices with the default first: Inkscape's drop-down starts on its first option."""
        return tuple(sorted(self.choices, key=lambda c: c.value != self.default))

    def limit(self, value: Any) -> Any:
        """``value``, brought within ``at_least`` and ``at_most`` for a number."""
        if self.kind not in ("int", "float"):
            return value
        if self.at_least is not None:
            value = max(self.at_least, value)
        return min(self.at_most, value) if self.at_most is not None else value


ALL_OPTIONS: tuple[Option, ...] = (
    # The refine action's own options come first: its dialog shows them first, and the vectorize
    # action (which leaves them out) keeps its order.
    Option("add_paths", "int", 0, "new paths to add where the selected ones miss the bitmap, in a new sub-layer "
           "'Detail +N' (default %(default)s)", at_least=0, dialog_range=(0, 1000), actions=ONLY_REFINE,
           label="Add paths:",
           description="New paths where the selected ones miss the bitmap, in a new sub-layer \"Detail +N\"; "
           "0 only refines the selected paths."),
    Option("keep_shapes", "bool", False, "keep every outline as it is and refine only the fills", actions=ONLY_REFINE,
           label="Keep shapes (refine fills only)",
           description="The outlines stay exactly as drawn; only their colours and gradients are optimised."),
    Option("fill_kind", "choice", "keep", "how each refined path is painted: 'keep' its kind of fill, or make it "
           "radial, linear or flat (default %(default)s)", actions=ONLY_REFINE, label="Fill:",
           description="Keep each path's kind of fill (flat, linear or radial gradient), or give every one "
           "the same kind.",
           choices=(Choice("keep", "Keep each path's kind"), Choice("radial", "Radial gradients"),
                    Choice("linear", "Linear gradients"), Choice("flat", "Flat colours"))),
    Option("paths", "int", 32, "most paths in the result (default %(default)s)", at_least=1, dialog_range=(1, 1000),
           label="Paths:", description="Most Bézier paths per bitmap. More paths: more detail, longer run."),
    Option("preset", "choice", "balanced", "optimisation effort (default %(default)s)", label="Quality:",
           description="Optimisation effort: Fast for a quick look, Best for the final result.",
           choices=(Choice("fast", "Fast"), Choice("balanced", "Balanced"), Choice("best", "Best")), actions=SHARED),
    Option("fill", "choice", "radial", "how each path is painted (default %(default)s)", label="Fill:",
           description="How each path is painted: a radial gradient, a linear gradient, or one flat colour.",
           choices=(Choice("radial", "Radial gradients"), Choice("linear", "Linear gradients"),
                    Choice("flat", "Flat colours"))),
    Option("segments", "int", 4, "cubic segments per path on average (default %(default)s)", where=CLI, at_least=2,
           at_most=MAX_SEGMENTS),
    Option("layers", "choice", "auto", "'auto' (one per detail level), or how many detail levels; 1 = no grouping",
           label="Layers:", parse=auto_or_positive,
           description="Sub-layers of the result: one per detail level (coarse at the bottom), or a fixed number; "
           "1 puts all paths in one layer.",
           choices=(Choice("auto", "One per detail level"), Choice("1", "1 (no grouping)"), Choice("2", "2"),
                    Choice("3", "3"), Choice("4", "4"))),
    Option("original", "choice", "hide", "what happens to the bitmap", where=DIALOG, label="Original bitmap:",
           description="What happens to the bitmap once its vector layer is in place.",
           choices=(Choice("keep", "Keep visible"), Choice("hide", "Hide"), Choice("delete", "Delete"))),
    Option("replace", "bool", True, "replace an earlier result", where=DIALOG,
           label="Replace an earlier LayerVec result of this bitmap",
           description="Unchecked: the new result is added beside the earlier one."),
    Option("device", "choice", "auto", "where the optimisation runs (default %(default)s)", label="Compute on:",
           description="Automatic uses a CUDA GPU when the backend has one, else the CPU.",
           choices=(Choice("auto", "Automatic"), Choice("cpu", "CPU"), Choice("cuda", "CUDA GPU")), actions=SHARED),
    Option("seed", "int", 0, "same seed, same device: the same SVG, on any x86-64 CPU with AVX2 (default %(default)s)",
           at_least=0, at_most=2**31 - 1, dialog_range=(0, 1000000),
           label="Random seed:", description="Same seed and settings give the same result.", actions=SHARED),
    Option("max_size", "int", 512, "work at most at this many pixels on the long side (default %(default)s)",
           at_least=8, dialog_range=(8, 4096), label="Working size (px):",
           description="The bitmap is fitted at most this many pixels on its long side; the result keeps the "
           "bitmap's size. Larger keeps finer detail of a big bitmap, for a longer run.", actions=SHARED),
    Option("threads", "int", 1, where=CLI, at_least=1, actions=SHARED,
           help="CPU threads (default %(default)s: several threads on a busy machine can be far slower)"),
    Option("jobs", "int", 1, where=CLI, at_least=1,
           help="pictures vectorized at once, each in its own worker process with --threads threads, "
           "when there are several (default %(default)s)"),
    Option("timeout", "int", 600, "seconds per bitmap", where=DIALOG, at_least=1, dialog_range=(1, 86400),
           label="Time limit per bitmap (s):",
           description="Give up on a bitmap after this many seconds; the document is left unchanged.", actions=SHARED),
    Option("quiet", "bool", False, "no progress output", where=CLI, actions=SHARED),
    Option("progress_json", "bool", False, "report on stderr in JSON lines (layervec_ext/protocol.py): progress, "
           "previews, the result or the error", where=CLI, actions=SHARED),
    Option("preview_dir", "text", "", where=CLI, actions=SHARED,
           help="with --progress-json: write a PNG of the result so far into this folder as the work goes on"),
    Option("preview_every", "float", 1.0, "seconds at least between two previews (default %(default)s)",
           where=CLI, at_least=0.0, actions=SHARED),
    Option("window", "bool", True, "show a progress window with a live preview (when Inkscape has its window)",
           where=DIALOG, label="Show a progress window with a live preview",
           description="While the backend runs: the stage, the time left, the bitmap beside the vector result so "
           "far, and Cancel. Never in batch runs (inkscape --batch-process).", actions=SHARED),
)
BY_NAME: dict[str, Option] = {o.name: o for o in ALL_OPTIONS}
if len(BY_NAME) != len(ALL_OPTIONS):
    raise ValueError("two options share a name")


def options_of(action: str) -> tuple[Option, ...]:
    """The options of one action, in declaration order (its dialog's order too)."""
    if action not in ACTIONS:
        raise ValueError(f"no action {action!r}: one of {', '.join(ACTIONS)}")
    return tuple(o for o in ALL_OPTIONS if action in o.actions)


OPTIONS: tuple[Option, ...] = options_of(VECTORIZE)  # the vectorize action's: ``layervec``, layervec.inx
REFINE_OPTIONS: tuple[Option, ...] = options_of(REFINE)  # ``layervec refine``, layervec_refine.inx

# The vectorizer's choices, for it to validate against.
PRESETS: tuple[str, ...] = BY_NAME["preset"].values
FILLS: tuple[str, ...] = BY_NAME["fill"].values
DEVICES: tuple[str, ...] = BY_NAME["device"].values
FILL_KINDS: tuple[str, ...] = BY_NAME["fill_kind"].values  # refine's: 'keep' or one of FILLS


def add_cli_arguments(parser: argparse.ArgumentParser, options: Iterable[Option] = OPTIONS) -> None:
    """The ``layervec`` command's flags."""
    for o in options:
        if not o.in_cli:
            continue
        if o.kind == "bool":
            parser.add_argument(o.cli_flag, action="store_true", help=o.help)
        elif o.kind == "int":
            parser.add_argument(o.cli_flag, type=whole_number(o.at_least, o.at_most), default=o.default, help=o.help)
        elif o.kind == "float":
            parser.add_argument(o.cli_flag, type=number(o.at_least), default=o.default, help=o.help)
        elif o.kind == "text":
            parser.add_argument(o.cli_flag, default=o.default, help=o.help)
        elif o.parse is not None:
            parser.add_argument(o.cli_flag, type=o.parse, default=o.default, help=o.help)
        else:
            parser.add_argument(o.cli_flag, choices=o.values, default=o.default, help=o.help)


def add_effect_arguments(parser: argparse.ArgumentParser, boolean: Callable[[str], bool],
                         options: Iterable[Option] = OPTIONS) -> None:
    """The effect's arguments, one per dialog param; ``boolean`` parses Inkscape's 'true'/'false'
    (``inkex.Boolean``, which this module cannot import)."""
    for o in options:
        if not o.in_dialog:
            continue
        kind = {"int": {"type": int}, "bool": {"type": boolean}, "choice": {"choices": o.values}}[o.kind]
        parser.add_argument(o.effect_flag, default=o.default, help=o.help, **kind)


def apply_limits(namespace: argparse.Namespace, options: Iterable[Option] = OPTIONS) -> None:
    """Raise values below ``at_least`` to it, in place (the dialog can't go lower; a script can)."""
    for o in options:
        if hasattr(namespace, o.name):
            setattr(namespace, o.name, o.limit(getattr(namespace, o.name)))


def forwarded(namespace: argparse.Namespace, options: Iterable[Option] = OPTIONS) -> dict[str, Any]:
    """The effect's values of the options the backend takes too, in declaration order."""
    return {o.name: o.limit(getattr(namespace, o.name)) for o in options if o.forwarded}


def command_line(settings: Mapping[str, Any], options: Iterable[Option] = OPTIONS) -> list[str]:
    """``layervec`` flags for these values, e.g. ``{"paths": 8, "quiet": True}`` → ``--paths 8 --quiet``."""
    by_name = {o.name: o for o in options}
    args: list[str] = []
    for name, value in settings.items():
        o = by_name.get(name)
        if o is None or not o.in_cli:
            raise ValueError(f"{name!r} is not an option of the layervec command")
        if o.kind != "bool":
            args += [o.cli_flag, str(value)]
        elif value:
            args.append(o.cli_flag)
    return args
