"""The guard: normalize a text, score it with the policy's detectors, and let the policy decide."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gardefou.detectors import Detector, Direction, detectors, load_builtin_detectors
from gardefou.errors import GardefouError, InputError
from gardefou.lang import detect_language
from gardefou.normalize import NormalizeLimits, Variant, normalize
from gardefou.policy import ACTION_ORDER, Action, Policy, load_policy
from gardefou.taxonomy import UNSAFE

_EVIDENCE_MIN_SCORE = 0.5
_WINDOW_OVERLAP = 256
_MAX_WINDOWS = 64
"""Texts longer than ``max_length`` are cut in windows; past 64 windows the rest is not checked."""
SEGMENT = "segment"
_MIN_SEGMENT_WORDS = 3
_MAX_SEGMENTS = 12
_MAX_SEGMENT_CHARS = 2000


def _segments(text: str) -> list[Variant]:
    """Each line of a multi-line text on its own (the first and last ones when there are many).

    A linear classifier's score is diluted by benign text around a harmful line (a list of
    "rules" before the request, an instruction inside a long document); scoring lines alone
    undoes that.
    """
    if "\n" not in text:
        return []
    lines = [
        line.strip()
        for line in text.splitlines()
        if len(line.split()) >= _MIN_SEGMENT_WORDS and len(line) <= _MAX_SEGMENT_CHARS
    ]
    if len(lines) < 2:
        return []
    if len(lines) > _MAX_SEGMENTS:
        half = _MAX_SEGMENTS // 2
        lines = lines[:half] + lines[-half:]
    return [Variant(line, (SEGMENT,)) for line in dict.fromkeys(lines)]


class Verdict(BaseModel):
    """The guard's decision on one text (or one conversation)."""

    allowed: bool
    action: Action
    direction: Direction
    scores: dict[str, float] = Field(default_factory=dict)
    triggered: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    language: str = "en"
    policy: str = ""
    error: str | None = None

    @property
    def unsafe_score(self) -> float:
        """The highest score over every category and the detectors' overall ``unsafe`` score."""
        return max(self.scores.values(), default=0.0)


def _merge_max(into: dict[str, float], scores: Mapping[str, float]) -> None:
    for key, value in scores.items():
        v = float(value)
        if v > into.get(key, 0.0):
            into[key] = v


class Guard:
    """Checks texts against a policy. Build with ``Guard.from_policy("default")``."""

    def __init__(self, policy: Policy, detector_instances: Sequence[Detector]) -> None:
        self.policy = policy
        self.detectors = list(detector_instances)
        n = policy.normalize
        self._limits = NormalizeLimits(
            max_length=n.max_length, max_depth=n.max_depth, max_variants=n.max_variants
        )

    @classmethod
    def from_policy(
        cls,
        policy: str | Path | Policy = "default",
        *,
        detector_overrides: Mapping[str, Detector] | None = None,
    ) -> Guard:
        """Build a guard from a preset name, a YAML file or a Policy.

        ``detector_overrides`` replaces named detectors with ready instances (useful in tests).
        """
        pol = load_policy(policy)
        load_builtin_detectors()
        overrides = dict(detector_overrides or {})
        built: list[Detector] = []
        for spec in pol.detectors:
            if spec.name in overrides:
                built.append(overrides[spec.name])
            else:
                built.append(detectors.create(spec.name, **spec.options))
        return cls(pol, built)

    # -- scoring -------------------------------------------------------------------------------

    def _windows(self, text: str) -> list[str]:
        """Long texts are checked in overlapping windows so that nothing past the start hides."""
        size = self._limits.max_length
        if len(text) <= size:
            return [text]
        overlap = min(_WINDOW_OVERLAP, size // 4)
        starts = range(0, len(text) - overlap, size - overlap)
        return [text[i : i + size] for i in starts][:_MAX_WINDOWS]

    def _variants(self, text: str) -> list[Variant]:
        out: list[Variant] = []
        for window in self._windows(text):
            if self.policy.normalize.enabled:
                out.extend(normalize(window, self._limits))
            else:
                out.append(Variant(window))
        if self.policy.normalize.segments:
            out.extend(_segments(text))
        return out

    def score_many(
        self, texts: Sequence[str], direction: Direction = "input"
    ) -> list[tuple[dict[str, float], list[str], dict[str, float], str | None]]:
        """Per text: merged scores, evidence, per-detector timings (ms) and an error, if any."""
        variants = [self._variants(t) for t in texts]
        pairs = [(i, v) for i, vs in enumerate(variants) for v in vs]
        flat = [v.text for _, v in pairs]
        merged: list[dict[str, float]] = [{} for _ in texts]
        evidence: list[list[str]] = [[] for _ in texts]
        timings: dict[str, float] = {}
        error: str | None = None
        for det in self.detectors:
            start = time.perf_counter()
            try:
                results = det.score(flat, direction)
            except GardefouError as exc:
                error = f"detector {det.name!r} failed: {exc}"
                continue
            except Exception as exc:  # a detector bug must not take the guard down
                error = f"detector {det.name!r} failed: {type(exc).__name__}"
                continue
            finally:
                timings[det.name] = (time.perf_counter() - start) * 1000 / max(1, len(texts))
            for (i, variant), scores in zip(pairs, results, strict=True):
                if variant.transforms:
                    for key, value in scores.items():
                        if value >= _EVIDENCE_MIN_SCORE and value > merged[i].get(key, 0.0):
                            note = f"{variant.evidence} revealed {key} ({det.name})"
                            if note not in evidence[i]:
                                evidence[i].append(note)
                _merge_max(merged[i], scores)
        for i, vs in enumerate(variants):
            for v in vs:
                if v.transforms and v.transforms[0] != SEGMENT:
                    note = f"decoded: {v.evidence}"
                    if note not in evidence[i]:
                        evidence[i].insert(0, note)
        return [(merged[i], evidence[i], dict(timings), error) for i in range(len(texts))]

    def _decide(
        self,
        scores: dict[str, float],
        evidence: list[str],
        timings: dict[str, float],
        error: str | None,
        direction: Direction,
        language: str,
    ) -> Verdict:
        action: Action = "allow"
        triggered: list[str] = []
        for key, value in sorted(scores.items()):
            rule = self.policy.rule_for(key, direction)
            if rule.action != "allow" and value >= rule.threshold:
                triggered.append(key)
                if ACTION_ORDER[rule.action] > ACTION_ORDER[action]:
                    action = rule.action
        if error is not None:
            evidence = [*evidence, error]
            if self.policy.fail_closed:
                action = "block"
        # "unsafe" (a detector's overall score) is reported only when no named category explains it
        if UNSAFE in triggered and len(triggered) > 1:
            triggered.remove(UNSAFE)
        return Verdict(
            allowed=action != "block",
            action=action,
            direction=direction,
            scores={k: round(v, 4) for k, v in sorted(scores.items())},
            triggered=triggered,
            evidence=evidence,
            timings_ms={k: round(v, 3) for k, v in timings.items()},
            language=language,
            policy=self.policy.name,
            error=error,
        )

    # -- public checks -------------------------------------------------------------------------

    def check(self, text: str, direction: Direction = "input") -> Verdict:
        """Check one text; ``direction`` is ``input`` (a prompt) or ``output`` (a model answer)."""
        return self.check_many([text], direction)[0]

    def check_many(self, texts: Sequence[str], direction: Direction = "input") -> list[Verdict]:
        """Check a batch of texts (faster than one at a time: detectors run batched)."""
        if direction not in ("input", "output"):
            raise InputError(f"direction must be 'input' or 'output', got {direction!r}")
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise InputError(f"text #{i} must be a string, got {type(t).__name__}")
        results = self.score_many(texts, direction)
        limit = self._limits.max_length * _MAX_WINDOWS
        return [
            self._decide(
                s,
                ev
                if len(t) <= limit
                else [*ev, f"truncated: only the first {limit} characters checked"],
                tm,
                err,
                direction,
                detect_language(t),
            )
            for t, (s, ev, tm, err) in zip(texts, results, strict=True)
        ]

    def check_conversation(
        self, messages: Iterable[Mapping[str, Any]], direction: Direction = "input"
    ) -> Verdict:
        """Check a chat conversation (OpenAI-style ``{"role", "content"}`` messages).

        Input direction: each user turn and all user turns joined (attacks spread over turns);
        output direction: the last assistant turn. The worst verdict wins.
        """
        msgs = list(messages)
        role = "user" if direction == "input" else "assistant"
        turns = [_content_text(m.get("content")) for m in msgs if m.get("role") == role]
        turns = [t for t in turns if t.strip()]
        if not turns:
            return self._decide({}, [], {}, None, direction, "en")
        candidates = turns[-1:] if direction == "output" else list(turns)
        if direction == "input" and len(turns) > 1:
            candidates.append(" ".join(turns))
        verdicts = self.check_many(candidates, direction)
        worst = max(verdicts, key=lambda v: (ACTION_ORDER[v.action], v.unsafe_score))
        if direction == "input" and len(turns) > 1 and worst is verdicts[-1]:
            worst = worst.model_copy(
                update={"evidence": [*worst.evidence, "conversation: user turns combined"]}
            )
        return worst.model_copy(update={"language": detect_language(turns[-1])})


def _content_text(content: Any) -> str:
    """Text of an OpenAI message content: a string or a list of ``{"type": "text"}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""
