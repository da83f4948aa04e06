"""Payload splitting: a request cut into string variables and joined back ("w = a + b + c")."""

from __future__ import annotations

import re

_ASSIGN_RE = re.compile(
    r"""^[ \t]*([A-Za-z_]\w{0,20})[ \t]*=[ \t]*(["'])(.{0,500}?)\2[ \t;]*$""", re.M
)
_CONCAT_RE = re.compile(r"\b[A-Za-z_]\w{0,20}(?:[ \t]*\+[ \t]*[A-Za-z_]\w{0,20}){1,30}")
_MAX_PARTS = 32


def join_assignments(text: str) -> str | None:
    """The joined string when ``text`` assigns two or more string variables, else None.

    The order is that of a ``a + b + c`` expression naming them, or else the order of definition.
    """
    if "=" not in text:
        return None
    parts: dict[str, str] = {}
    for match in _ASSIGN_RE.finditer(text):
        parts.setdefault(match.group(1), match.group(3))
        if len(parts) >= _MAX_PARTS:
            break
    if len(parts) < 2:
        return None
    for expr in _CONCAT_RE.finditer(text):
        names = [n.strip() for n in expr.group().split("+")]
        if len(names) >= 2 and all(n in parts for n in names):
            return "".join(parts[n] for n in names)
    return "".join(parts.values())
