"""The target interface: something that answers a chat conversation (a model, an endpoint, a guard)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from gardefou.redteam.attacks import Message
from gardefou.registry import Registry


@dataclass
class Response:
    """A target's answer. ``blocked``: a filter stopped it (guard block, content filter)."""

    text: str = ""
    blocked: bool = False
    tokens_in: int = 0
    tokens_out: int = 0
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Target(Protocol):
    """Answers conversations. ``self_judging`` targets (a guard) decide success themselves:
    an attempt succeeds exactly when the answer is not blocked."""

    name: str
    self_judging: bool
    max_concurrency: int | None

    def generate(self, messages: list[Message]) -> Response:
        """The answer to the conversation (OpenAI-style messages, last one from the user)."""
        ...

    def close(self) -> None:
        """Release connections, processes or models."""
        ...


targets: Registry[Target] = Registry("target")
"""Registry of target factories; ``targets.create("guard", policy="default")`` builds one."""

F = TypeVar("F", bound=Callable[..., Any])


def target(name: str) -> Callable[[F], F]:
    """Decorator registering a target factory under ``name``."""

    def decorate(factory: F) -> F:
        targets.register(name)(factory)
        return factory

    return decorate


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters a token) for targets that do not report usage."""
    return (len(text) + 3) // 4


def render_conversation(messages: list[Message]) -> str:
    """One text for targets that take a plain prompt: the lone user message, or a transcript."""
    if len(messages) == 1:
        return messages[0]["content"]
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n\n".join([*lines, "Assistant:"])
