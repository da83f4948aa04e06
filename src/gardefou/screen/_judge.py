"""The guard's verdicts as the screen needs them: batched, each distinct text scored once.

``Guard.check_many`` also detects each text's language and builds a full ``Verdict`` (rounded
scores, timings, policy name): per turn of a large dataset that costs as much as a fast detector.
The screen only needs the action, the triggered codes, the error, the highest score and whether
the guard's normalizer decoded something, so ``Judge`` scores with ``Guard.score_many`` and
applies the guard's policy the way ``Guard.check_many`` does (tested against it).
"""

from __future__ import annotations

from dataclasses import dataclass

from gardefou.detectors import Direction
from gardefou.guard import Guard
from gardefou.policy import ACTION_ORDER, Action
from gardefou.taxonomy import UNSAFE


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the screen uses of a ``Verdict``; the fields mean what they mean there."""

    action: Action
    triggered: list[str]
    error: str | None
    unsafe_score: float
    decoded: bool
    """The guard's normalizer rewrote the text (a ``decoded:`` evidence line)."""


class Judge:
    """Applies a guard's policy to its detectors' scores, without building ``Verdict`` objects."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self._rules: dict[str, dict[str, tuple[Action, float]]] = {"input": {}, "output": {}}

    def _rule(self, key: str, direction: Direction) -> tuple[Action, float]:
        rule = self.guard.policy.rule_for(key, direction)
        self._rules[direction][key] = (rule.action, rule.threshold)
        return rule.action, rule.threshold

    def _decide(
        self, scores: dict[str, float], decoded: bool, error: str | None, direction: Direction
    ) -> Judgement:
        action: Action = "allow"
        triggered: list[str] = []
        rules = self._rules[direction]
        for key, value in scores.items():
            rule_action, threshold = rules.get(key) or self._rule(key, direction)
            if rule_action != "allow" and value >= threshold:
                triggered.append(key)
                if ACTION_ORDER[rule_action] > ACTION_ORDER[action]:
                    action = rule_action
        triggered.sort()
        if error is not None and self.guard.policy.fail_closed:
            action = "block"
        if UNSAFE in triggered and len(triggered) > 1:
            triggered.remove(UNSAFE)
        unsafe = round(max(scores.values(), default=0.0), 4)
        return Judgement(action, triggered, error, unsafe, decoded)

    def judge(self, texts: list[str], direction: Direction) -> list[Judgement]:
        """One judgement per text, in order; a text repeated in the batch is scored once."""
        if not texts:
            return []
        index: dict[str, int] = {}
        order = [index.setdefault(t, len(index)) for t in texts]
        judged = [
            self._decide(scores, any(e.startswith("decoded:") for e in evidence), error, direction)
            for scores, evidence, _, error in self.guard.score_many(list(index), direction)
        ]
        return [judged[i] for i in order]
