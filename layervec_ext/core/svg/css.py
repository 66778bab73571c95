"""The small part of CSS that SVG exporters write in ``<style>``: ``.cls-1 { fill: #2f9ec2 }``.

Illustrator, icon themes and Inkscape's own icons style shapes through class rules, so the reader
supports simple selectors — ``*``, ``tag``, ``.class``, ``#id`` and compounds of them
(``path.cls-1``), comma lists — with CSS specificity and document order, as resvg applies them
(type selectors match the element's local name, case-sensitively). Declarations keep their
``!important`` (the reader's cascade ranks them; a value with any other ``!`` is refused).
Anything that needs a real selector engine (descendant/child combinators, pseudo-classes,
attribute selectors, namespaces, ``@media``) raises :class:`CSSUnsupported` naming the selector
rather than silently drawing something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from layervec_ext.core.svg.paint import PaintError, parse_declarations

_COMPOUND_RE = re.compile(r"^(\*|[A-Za-z][\w-]*)?((?:[.#][\w-]+)*)$")
_IGNORED_AT_RULES = ("@charset", "@font-face", "@namespace")


class CSSUnsupported(ValueError):
    """A style sheet construct we cannot apply faithfully (the message quotes it)."""


@dataclass(frozen=True)
class Rule:
    tag: str | None
    id: str | None
    classes: frozenset[str]
    specificity: tuple[int, int, int]
    order: int
    declarations: tuple[tuple[str, str, bool], ...]  # (name, value, !important)

    def matches(self, tag: str, el_id: str | None, classes: set[str]) -> bool:
        return ((self.tag is None or self.tag == tag) and (self.id is None or self.id == el_id)
                and self.classes <= classes)


def parse_stylesheet(text: str, start_order: int = 0) -> list[Rule]:
    """``<style>`` text → rules (raises :class:`CSSUnsupported`)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = text.replace("<![CDATA[", "").replace("]]>", "")
    rules: list[Rule] = []
    pos = 0
    while True:
        pos = _skip_statements(text, pos)
        open_at = text.find("{", pos)
        if open_at < 0:
            if text[pos:].strip():
                raise CSSUnsupported(f"cannot read style sheet near {text[pos:pos + 30].strip()!r}")
            return rules
        close_at = text.find("}", open_at)
        if close_at < 0:
            raise CSSUnsupported(f"unclosed rule {text[pos:open_at].strip()!r}")
        selectors, body = text[pos:open_at].strip(), text[open_at + 1:close_at]
        pos = close_at + 1
        if selectors.startswith("@"):
            if selectors.split()[0].lower() in _IGNORED_AT_RULES:
                continue
            raise CSSUnsupported(f"CSS {selectors.split()[0]} rules are not supported")
        if "{" in body:
            raise CSSUnsupported(f"nested CSS rules are not supported ({selectors!r})")
        try:
            declarations = tuple(parse_declarations(body))
        except PaintError as exc:
            raise CSSUnsupported(f"{selectors!r}: {exc}") from None
        for selector in selectors.split(","):
            rules.append(_rule(selector.strip(), declarations, start_order + len(rules)))


def _skip_statements(text: str, pos: int) -> int:
    """Skip ``@charset "…";``-style statements; ``@import`` needs a file we will not fetch."""
    while True:
        rest = text[pos:].lstrip()
        if not rest.startswith("@"):
            return pos
        semi, brace = rest.find(";"), rest.find("{")
        if semi < 0 or (0 <= brace < semi):
            return pos
        keyword = rest.split(None, 1)[0].split("(", 1)[0].lower()
        if keyword not in _IGNORED_AT_RULES:
            raise CSSUnsupported(f"CSS {keyword} is not supported")
        pos = len(text) - len(rest) + semi + 1


def _rule(selector: str, declarations, order: int) -> Rule:
    match = _COMPOUND_RE.match(selector)
    if not selector or match is None:
        raise CSSUnsupported(f"CSS selector {selector!r} is not supported (only tag, .class, #id and compounds)")
    tag = None if match.group(1) in (None, "*") else match.group(1)
    parts = re.findall(r"[.#][\w-]+", match.group(2))
    ids = [p[1:] for p in parts if p[0] == "#"]
    classes = frozenset(p[1:] for p in parts if p[0] == ".")
    if len(set(ids)) > 1:
        ids = ["\0"]  # "#a#b" matches nothing
    spec = (len(ids), len(classes), 0 if tag is None else 1)
    return Rule(tag, ids[0] if ids else None, classes, spec, order, declarations)


def matching_declarations(rules: list[Rule], tag: str, el_id: str | None, class_attr: str | None
                          ) -> list[tuple[str, str, bool]]:
    """The declarations of the rules that match one element, least specific first and in document
    order within one specificity (later ones win unless an earlier one is ``!important``)."""
    if not rules:
        return []
    classes = set((class_attr or "").split())
    matching = sorted((r for r in rules if r.matches(tag, el_id, classes)), key=lambda r: (r.specificity, r.order))
    return [decl for rule in matching for decl in rule.declarations]


def declarations_for(rules: list[Rule], tag: str, el_id: str | None, class_attr: str | None) -> dict[str, str]:
    """The declarations that apply to one element, later/more specific ones winning (``!important``
    ignored; the reader's cascade uses :func:`matching_declarations`)."""
    return {name: value for name, value, _ in matching_declarations(rules, tag, el_id, class_attr)}
