"""What the backend tells the Inkscape effect while it runs: one JSON object per line on stderr.

Standard library only: the backend (``--progress-json``) writes these lines with :func:`line`, the
effect (:mod:`layervec_ext.inkscape.backend`) reads them with :func:`decode` — the one place they
are parsed. Every object has a ``kind``:

* ``progress``: ``fraction`` (0–1), ``stage`` (words for people), ``elapsed`` (s since the start);
* ``preview``: ``path`` of a PNG of the current vector result the backend wrote into its
  ``--preview-dir``, and how many ``paths`` it holds so far;
* ``result``: the SVG ``path`` written, its ``paths``, ``seconds`` spent (``input`` in batch runs);
* ``error``: ``message`` (the one line a person reads) and ``code``, the exit code that follows.

A line that is not such an object (a Python traceback, a crashed interpreter's message) decodes to
:class:`Text`, so nothing the backend says is lost. The exit codes are defined here too: the
effect reads the code, not only the words.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Union

EXIT_OK = 0
EXIT_INPUT = 1  # an input could not be read or an output not written
EXIT_USAGE = 2  # a bad option or usage
EXIT_INTERNAL = 3  # an internal error
EXIT_INTERRUPTED = 130  # Ctrl-C


@dataclass(frozen=True)
class Progress:
    fraction: float
    stage: str
    elapsed: float = 0.0

    kind = "progress"


@dataclass(frozen=True)
class Preview:
    path: str
    paths: int = 0
    elapsed: float = 0.0

    kind = "preview"


@dataclass(frozen=True)
class Result:
    path: str
    paths: int = 0
    seconds: float = 0.0
    input: str = ""

    kind = "result"


@dataclass(frozen=True)
class Error:
    message: str
    code: int = EXIT_INTERNAL

    kind = "error"


@dataclass(frozen=True)
class Text:
    """A line that is not one of the messages above, as it came."""

    text: str

    kind = "text"


Message = Union[Progress, Preview, Result, Error, Text]
KINDS: dict[str, type] = {cls.kind: cls for cls in (Progress, Preview, Result, Error)}


def line(message: Message) -> str:
    """``message`` as one JSON line (with its newline), e.g. ``{"kind": "progress", "fraction": 0.5, …}``."""
    body = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(message).items()}
    return json.dumps({"kind": message.kind, **body}, ensure_ascii=False) + "\n"


def decode(text: str) -> Message:
    """One line of the backend's stderr → its message; anything else → :class:`Text` (stripped)."""
    stripped = text.strip()
    try:
        obj = json.loads(stripped) if stripped.startswith("{") else None
    except ValueError:
        obj = None
    cls = KINDS.get(obj.get("kind")) if isinstance(obj, dict) else None
    if cls is None:
        return Text(stripped)
    names = {f.name: f.type for f in fields(cls)}
    try:
        values = {k: _typed(names[k], v) for k, v in obj.items() if k in names}
        return cls(**values)
    except (TypeError, ValueError):
        return Text(stripped)


def _typed(annotation: str, value):
    """The field's value as its declared type (JSON has one number type; a bad value raises)."""
    kind = {"float": float, "int": int, "str": str}[annotation]
    if kind is str:
        if not isinstance(value, str):
            raise TypeError("expected text")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("expected a number")
    return kind(value)
