"""The guard as the gateway uses it: one Guard per policy, run off the event loop, failing closed.

Short checks run inline on the event loop (cheaper than a thread hop); long ones run in a worker
thread so that the event loop keeps relaying other requests. A guard that raises or exceeds ``guard.timeout_s`` yields a blocking verdict, unless the
key's tier says ``fail_open: true``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from gardefou.detectors import Direction
from gardefou.guard import Guard, Verdict
from gardefou.policy import Policy

log = logging.getLogger("gardefou.gateway")

_T = TypeVar("_T")

GuardFactory = Callable[[str], Guard]
"""Builds the guard for a policy name or path (``Guard.from_policy`` by default)."""


def default_guard_factory(policy: str) -> Guard:
    """The production factory: ``Guard.from_policy``."""
    return Guard.from_policy(policy)


class GuardPool:
    """One Guard per policy, built once, shared by every request.

    Checks of at most ``inline_max_chars`` characters (all texts together) run directly on the
    event loop: for short texts the guard takes well under a millisecond, less than a hop to a
    worker thread and back (and no fight over the GIL with the loop). Longer checks run in a
    worker thread so that the loop keeps relaying other requests. Either way, a check that takes
    longer than ``timeout_s`` yields a failure verdict (an inline check cannot be interrupted, so
    it is judged when it returns).
    """

    def __init__(
        self, factory: GuardFactory | None = None, timeout_s: float = 5.0, inline_max_chars: int = 0
    ) -> None:
        self.factory = factory or default_guard_factory
        self.timeout_s = timeout_s
        self.inline_max_chars = inline_max_chars
        self._guards: dict[str, Guard] = {}

    def get(self, policy: str) -> Guard:
        """The guard for ``policy`` (built on first use)."""
        guard = self._guards.get(policy)
        if guard is None:
            guard = self.factory(policy)
            self._guards[policy] = guard
        return guard

    async def _call(self, fn: Callable[[], _T], size: int) -> _T:
        """Run ``fn`` inline (short texts) or in a worker thread; TimeoutError past the limit."""
        if size <= self.inline_max_chars:
            start = time.perf_counter()
            result = fn()
            if time.perf_counter() - start > self.timeout_s:
                raise TimeoutError
            return result
        with anyio.fail_after(self.timeout_s):
            return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)

    async def check_messages(
        self, policy: str, messages: Sequence[Mapping[str, Any]], fail_open: bool = False
    ) -> tuple[Verdict, float]:
        """Check a conversation's user turns (each one and all together). Returns (verdict, ms)."""
        msgs = list(messages)
        turns = [len(str(m.get("content") or "")) for m in msgs if m.get("role") == "user"]
        size = sum(turns) * (2 if len(turns) > 1 else 1)  # each turn, then all turns joined
        start = time.perf_counter()
        try:
            guard = self.get(policy)
            verdict = await self._call(lambda: guard.check_conversation(msgs), size)
        except TimeoutError:
            verdict = _failure_verdict(policy, "input", "guard timed out", fail_open)
        except Exception as exc:  # the guard must never take a request down with it
            log.error("guard failed (%s, policy %s)", type(exc).__name__, policy)
            verdict = _failure_verdict(
                policy, "input", f"guard failed: {type(exc).__name__}", fail_open
            )
        else:
            verdict = _apply_fail_open(verdict, fail_open)
        return verdict, (time.perf_counter() - start) * 1000

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
            verdicts = await self._call(
                lambda: guard.check_many(items, direction), sum(map(len, items))
            )
        except TimeoutError:
            failed = _failure_verdict(policy, direction, "guard timed out", fail_open)
            verdicts = [failed] * len(items)
        except Exception as exc:
            log.error("guard failed (%s, policy %s)", type(exc).__name__, policy)
            failed = _failure_verdict(
                policy, direction, f"guard failed: {type(exc).__name__}", fail_open
            )
            verdicts = [failed] * len(items)
        else:
            verdicts = [_apply_fail_open(v, fail_open) for v in verdicts]
        return verdicts, (time.perf_counter() - start) * 1000

    async def check_text(
        self, policy: str, text: str, direction: Direction, fail_open: bool = False
    ) -> tuple[Verdict, float]:
        """Check one text. Returns (verdict, ms)."""
        verdicts, ms = await self.check_texts(policy, [text], direction, fail_open)
        return verdicts[0], ms


def _apply_fail_open(verdict: Verdict, fail_open: bool) -> Verdict:
    """Under ``fail_open``, a verdict blocked only by a guard error is let through."""
    if fail_open and verdict.error is not None and not verdict.triggered:
        return verdict.model_copy(update={"allowed": True, "action": "allow"})
    return verdict


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
