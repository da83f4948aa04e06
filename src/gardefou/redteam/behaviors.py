"""Behaviors: the harmful requests an attack wraps, and benign prompts for over-refusal.

A behavior file is CSV, JSONL, JSON or TXT read with ``gardefou.io.read_records``: a ``text`` field,
optional ``id``, ``category`` (S1–S14), ``language`` (``en``/``fr``, guessed when absent) and ``pair``
(the same key on the English and French versions of one request, used by the language-switch attack).
``builtin`` and ``builtin-benign`` name the sets shipped in ``gardefou/redteam/data``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from gardefou.errors import InputError
from gardefou.io import read_records
from gardefou.lang import detect_language
from gardefou.taxonomy import CATEGORY_CODES

BUILTIN = "builtin"
BUILTIN_BENIGN = "builtin-benign"
LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Behavior:
    """One request to attack with. ``parallel`` maps another language to the same request."""

    id: str
    text: str
    category: str | None = None
    language: str = "en"
    pair: str | None = None
    parallel: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description (the text included)."""
        return {
            "id": self.id,
            "text": self.text,
            "category": self.category,
            "language": self.language,
            "pair": self.pair,
        }


def _builtin_path(name: str) -> Path:
    ref = resources.files("gardefou").joinpath("redteam", "data", f"{name}.jsonl")
    return Path(str(ref))


def _optional_str(record: dict[str, Any], key: str, path: str, line: int) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int):
        raise InputError(f"field {key!r} must be a string", path=path, line=line)
    return str(value).strip()


def load_behaviors(source: str | Path, *, text_field: str = "text") -> list[Behavior]:
    """Behaviors from a file, or the built-in sets (``builtin``, ``builtin-benign``).

    Raises ``InputError`` naming the file and line for a missing text, an unknown category or
    language, or a duplicate id.
    """
    s = str(source)
    if s == BUILTIN:
        path = _builtin_path("behaviors")
    elif s == BUILTIN_BENIGN:
        path = _builtin_path("benign")
    else:
        path = Path(s)
    spath = s if s in (BUILTIN, BUILTIN_BENIGN) else str(path)
    out: list[Behavior] = []
    seen: set[str] = set()
    for line, record in read_records(path, text_field):
        text = str(record[text_field]).strip()
        if not text:
            raise InputError(f"empty field {text_field!r}", path=spath, line=line)
        bid = _optional_str(record, "id", spath, line) or f"{path.stem}-{line}"
        if bid in seen:
            raise InputError(f"duplicate id {bid!r}", path=spath, line=line)
        seen.add(bid)
        category = _optional_str(record, "category", spath, line)
        if category is not None:
            category = category.upper()
            if category not in CATEGORY_CODES:
                raise InputError(
                    f"unknown category {category!r}; known: {', '.join(CATEGORY_CODES)}",
                    path=spath,
                    line=line,
                )
        language = (_optional_str(record, "language", spath, line) or detect_language(text)).lower()
        if language not in LANGUAGES:
            raise InputError(
                f"unknown language {language!r}; known: {', '.join(LANGUAGES)}",
                path=spath,
                line=line,
            )
        pair = _optional_str(record, "pair", spath, line)
        out.append(Behavior(bid, text, category, language, pair))
    if not out:
        raise InputError("no behaviors in file", path=spath)
    return _link_pairs(out)


def _link_pairs(behaviors: list[Behavior]) -> list[Behavior]:
    groups: dict[str, dict[str, str]] = defaultdict(dict)
    for b in behaviors:
        if b.pair is not None:
            groups[b.pair].setdefault(b.language, b.text)
    linked = []
    for b in behaviors:
        others = (
            {} if b.pair is None else {k: v for k, v in groups[b.pair].items() if k != b.language}
        )
        linked.append(Behavior(b.id, b.text, b.category, b.language, b.pair, others))
    return linked


def select(
    behaviors: list[Behavior],
    *,
    categories: list[str] | None = None,
    languages: list[str] | None = None,
    limit: int | None = None,
) -> list[Behavior]:
    """Filter behaviors by category and language, then keep the first ``limit``."""
    out = behaviors
    if categories:
        wanted = {c.upper() for c in categories}
        out = [b for b in out if b.category in wanted]
    if languages:
        out = [b for b in out if b.language in set(languages)]
    return out[:limit] if limit is not None else out
