"""The guard as the gateway uses it: one Guard per policy, run off the event loop, failing closed.

Guard calls are CPU-bound; they run in a worker thread so that the event loop keeps relaying other
requests. A guard that raises or exceeds ``guard.timeout_s`` yields a blocking verdict, unless the
key's tier says ``fail_open: true``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import anyio.to_thread

from gardefou.detectors import Direction
from gardefou.guard import Guard, Verdict
from gardefou.policy import Policy

log = logging.getLogger("gardefou.gateway")

GuardFactory = Callable[[str], Guard]
"""Builds the guard for a policy name or path (``Guard.from_policy`` by default)."""


def default_guard_factory(policy: str) -> Guard:
    """The production factory: ``Guard.from_policy``."""
    return Guard.from_policy(policy)


class GuardPool:
    """One Guard per policy, built once, shared by every request."""

    def __init__(self, factory: GuardFactory | None = None, timeout_s: float = 5.0) -> None:
        self.factory = factory or default_guard_factory
        self.timeout_s = timeout_s
        self._guards: dict[str, Guard] = {}

    def get(self, policy: str) -> Guard:
        """The guard for ``policy`` (built on first use)."""
        guard = self._guards.get(policy)
        if guard is None:
            guard = self.factory(policy)
            self._guards[policy] = guard
        return guard

    async def _run(
        self, policy: str, fail_open: bool, direction: Direction, fn: Callable[[Guard], Verdict]
    ) -> tuple[Verdict, float]:
        start = time.perf_counter()
        try:
            guard = self.get(policy)
            with anyio.fail_after(self.timeout_s):
                verdict = await anyio.to_thread.run_sync(fn, guard, abandon_on_cancel=True)
        except TimeoutError:
            verdict = _failure_verdict(policy, direction, "guard timed out", fail_open)
        except Exception as exc:  # the guard must never take a request down with it
            log.error("guard failed (%s, policy %s)", type(exc).__name__, policy)
            verdict = _failure_verdict(
                policy, direction, f"guard failed: {type(exc).__name__}", fail_open
            )
        else:
            if verdict.error is not None and fail_open and not verdict.triggered:
                verdict = verdict.model_copy(update={"allowed": True, "action": "allow"})
        return verdict, (time.perf_counter() - start) * 1000

    async def check_messages(
        self, policy: str, messages: Sequence[Mapping[str, Any]], fail_open: bool = False
    ) -> tuple[Verdict, float]:
        """Check a conversation's user turns (each one and all together). Returns (verdict, ms)."""
        msgs = list(messages)
        return await self._run(policy, fail_open, "input", lambda g: g.check_conversation(msgs))

    async def check_texts(
        self, policy: str, texts: Sequence[str], direction: Direction, fail_open: bool = False
    ) -> tuple[list[Verdict], float]:
        """Check several texts in one batch. Returns (verdicts, ms)."""
        items = list(texts)
        if not items:
            return [], 0.0
        start = time.perf_counter()
        try:
            guard = self.get(policy)
            with anyio.fail_after(self.timeout_s):
                verdicts = await anyio.to_thread.run_sync(
                    lambda: guard.check_many(items, direction), abandon_on_cancel=True
                )
        except TimeoutError:
            verdicts = [_failure_verdict(policy, direction, "guard timed out", fail_open)] * len(
                items
            )
        except Exception as exc:
            log.error("guard failed (%s, policy %s)", type(exc).__name__, policy)
            failed = _failure_verdict(
                policy, direction, f"guard failed: {type(exc).__name__}", fail_open
            )
            verdicts = [failed] * len(items)
        else:
            if fail_open:
                verdicts = [
                    v.model_copy(update={"allowed": True, "action": "allow"})
                    if v.error is not None and not v.triggered
                    else v
                    for v in verdicts
                ]
        return verdicts, (time.perf_counter() - start) * 1000

    async def check_text(
        self, policy: str, text: str, direction: Direction, fail_open: bool = False
    ) -> tuple[Verdict, float]:
        """Check one text. Returns (verdict, ms)."""
        return await self._run(policy, fail_open, direction, lambda g: g.check(text, direction))


def _failure_verdict(policy: str, direction: Direction, error: str, fail_open: bool) -> Verdict:
    action = "allow" if fail_open else "block"
    return Verdict(
        allowed=fail_open,
        action=action,
        direction=direction,
        evidence=[error],
        policy=policy,
        error=error,
    )


def policy_of(guard: Guard) -> Policy:
    """The policy a guard applies (used for refusal messages)."""
    return guard.policy
