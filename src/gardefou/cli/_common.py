"""Helpers shared by the CLI modules: consoles, guard loading, option parsing."""

from __future__ import annotations

from functools import lru_cache

from rich.console import Console

from gardefou.errors import InputError
from gardefou.guard import Guard

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

MAX_CLI_TEXT_CHARS = 1_000_000
"""A text given to ``gardefou check`` longer than this is refused (1 MB is no prompt)."""

DIRECTIONS = ("input", "output")


@lru_cache(maxsize=8)
def load_guard(policy: str) -> Guard:
    """The guard for a policy name or file (cached for the process)."""
    return Guard.from_policy(policy)


def check_direction(direction: str) -> str:
    """Validate a ``--direction`` value."""
    if direction not in DIRECTIONS:
        raise InputError(f"--direction must be 'input' or 'output', got {direction!r}")
    return direction
