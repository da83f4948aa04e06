"""The attack interface, its registry and the attack-spec syntax.

An attack turns one behavior into one or more ``AttackPrompt`` (a text, or a list of chat messages),
deterministically for a given ``random.Random``. Text attacks implement ``transform(text, rng)``;
any attack may override ``generate`` to fan out or to produce conversations.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from gardefou.errors import ConfigError
from gardefou.redteam.behaviors import Behavior
from gardefou.registry import Registry

Message = dict[str, str]
Prompt = str | list[Message]


@dataclass(frozen=True)
class AttackPrompt:
    """One prompt produced by an attack, with where it came from.

    ``interactive`` conversations are played turn by turn: the target answers each user turn and the
    answer is appended before the next one (crescendo-style escalation).
    """

    prompt: Prompt
    variant: str = "0"
    notes: dict[str, Any] = field(default_factory=dict)
    interactive: bool = False

    def prompt_text(self) -> str:
        """The prompt as one text (user turns joined) for guards and token counts."""
        if isinstance(self.prompt, str):
            return self.prompt
        return "\n".join(m["content"] for m in self.prompt if m.get("role") == "user")


class Attack:
    """Base class of attacks. Subclasses set ``id``, ``family`` and ``description`` via ``@attack``.

    The constructor only stores keyword parameters (see ``params``).
    """

    id: ClassVar[str] = ""
    family: ClassVar[str] = ""
    description: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            allowed = ", ".join(sorted(self.defaults)) or "(none)"
            raise ConfigError(
                f"attack {self.id!r}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                f"allowed: {allowed}"
            )
        self.params: dict[str, Any] = {**self.defaults, **params}
        self._explicit = dict(params)

    @property
    def label(self) -> str:
        """The attack's name in results: its id, with explicitly set parameters."""
        if not self._explicit:
            return self.id
        args = ",".join(f"{k}={v}" for k, v in sorted(self._explicit.items()))
        return f"{self.id}({args})"

    def spec(self) -> dict[str, Any]:
        """``{"name", "args"}``: enough to rebuild this attack."""
        return {"name": self.id, "args": dict(self._explicit)}

    def transform(self, text: str, rng: random.Random) -> str:
        """The attacked text (text attacks override this)."""
        raise NotImplementedError

    def generate(self, behavior: Behavior, rng: random.Random) -> list[AttackPrompt]:
        """The prompts for one behavior; default: one prompt from ``transform``."""
        return [AttackPrompt(self.transform(behavior.text, rng))]


attacks: Registry[Attack] = Registry("attack")
"""Registry of attack classes; ``attacks.create("base64")`` builds one."""

A = TypeVar("A", bound=type[Attack])


def attack(name: str, *, family: str, description: str, **defaults: Any) -> Callable[[A], A]:
    """Class decorator: register an attack with its family, description and default parameters."""

    def decorate(cls: A) -> A:
        cls.id = name
        cls.family = family
        cls.description = description
        cls.defaults = dict(defaults)
        attacks.register(name)(cls)
        return cls

    return decorate


def _split_top(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _coerce(value: str) -> Any:
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def parse_attack_list(spec: str | list[str]) -> list[str]:
    """Split ``"base64,dan(variants=2),leetspeak+dan"`` into attack specs; ``all`` = every attack."""
    items = spec if isinstance(spec, list) else _split_top(spec, ",")
    out: list[str] = []
    for item in items:
        if item.strip() == "all":
            out.extend(n for n in attacks.names() if n not in out)
        elif item.strip() not in out:
            out.append(item.strip())
    return out


def build_attack(spec: str) -> Attack:
    """Build an attack from ``name``, ``name(k=v,k=v)`` or ``first+second`` (composition)."""
    spec = spec.strip()
    if "+" in spec and not spec.startswith("compose("):
        first, _, second = spec.partition("+")
        return attacks.create("compose", first=first.strip(), second=second.strip())
    name, _, rest = spec.partition("(")
    params: dict[str, Any] = {}
    if rest:
        if not rest.endswith(")"):
            raise ConfigError(f"attack spec {spec!r}: missing closing parenthesis")
        for arg in _split_top(rest[:-1], ","):
            key, eq, value = arg.partition("=")
            if not eq:
                raise ConfigError(f"attack spec {spec!r}: expected key=value, got {arg!r}")
            params[key.strip()] = _coerce(value.strip())
    return attacks.create(name.strip(), **params)
