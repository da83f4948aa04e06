"""Per-example analysis: guard scores on user and assistant turns plus fine-tuning-attack findings.

``analyze_batch`` is the unit of work of both engines; it is deterministic, so the local and the
Ray engine give the same results. Its output is JSON-safe dicts (they cross process boundaries).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gardefou.detectors import Direction
from gardefou.errors import ConfigError
from gardefou.guard import Guard
from gardefou.normalize import NormalizeLimits, normalize
from gardefou.refusal import refusal_score
from gardefou.screen._config import DedupSettings, DetectionSettings
from gardefou.screen._dedup import normalized_text, signatures
from gardefou.screen._formats import Example
from gardefou.screen._judge import Judge, Judgement
from gardefou.screen._signals import encoded_signal, find_pii, identity_shift_score
from gardefou.taxonomy import UNSAFE

_ATTACK_CODES = frozenset({"J1", "J2", UNSAFE})
_DIRECTIONS: tuple[Direction, Direction] = ("input", "output")
_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class GuardSpec:
    """A picklable recipe for a Guard, rebuilt once in each worker process.

    ``policy`` is a preset name or a YAML path; ``factory`` (``"package.module:callable"``), when
    given, is called with no argument and must return a ``Guard`` — use it to screen with a custom
    or fake guard (``gardefou.screen.testing:keyword_guard`` is a keyword guard for demos and tests).
    """

    policy: str = "default"
    factory: str | None = None

    def build(self) -> Guard:
        """Build the guard."""
        if self.factory is None:
            return Guard.from_policy(
                self.policy if not Path(self.policy).exists() else Path(self.policy)
            )
        module_name, _, attr = self.factory.partition(":")
        if not module_name or not attr:
            raise ConfigError(f"guard factory must be 'module:callable', got {self.factory!r}")
        try:
            fn = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot load guard factory {self.factory!r}: {exc}") from None
        guard = fn() if callable(fn) else None
        if not isinstance(guard, Guard):
            raise ConfigError(f"guard factory {self.factory!r} did not return a Guard")
        return guard


def _harmful(verdict: Judgement) -> bool:
    """A request/answer is harmful when the guard acts on it for a hazard category (not J1/J2 only)."""
    if verdict.action == "allow":
        return False
    if verdict.error is not None:
        return True
    return any(code not in _ATTACK_CODES for code in verdict.triggered) or verdict.triggered == [
        UNSAFE
    ]


def _hazards(verdict: Judgement) -> list[str]:
    return [c for c in verdict.triggered if c != UNSAFE] if verdict.action != "allow" else []


def _normalize_coverage(text: str, limits: NormalizeLimits) -> tuple[float, list[str], list[str]]:
    """How much of ``text`` ``gardefou.normalize`` rewrites: (share, transforms, decoded texts)."""
    original = set(_WORDS.findall(text.lower()))
    best = 0.0
    kinds: list[str] = []
    decoded: list[str] = []
    for variant in normalize(text, limits):
        if not variant.transforms:
            continue
        words = set(_WORDS.findall(variant.text.lower()))
        if not words:
            continue
        changed = 1.0 - len(words & original) / len(words)
        if changed > best:
            best = changed
        kinds.append("+".join(variant.transforms))
        decoded.append(variant.text)
    return round(best, 4), kinds[:4], decoded[:4]


def analyze_batch(
    guard: Guard,
    examples: list[Example],
    detection: DetectionSettings,
    dedup: DedupSettings,
) -> list[dict[str, Any]]:
    """Analyze a batch of examples; one JSON-safe result dict per example, in order."""
    cap = detection.max_turn_chars
    limits = NormalizeLimits(max_length=cap)
    texts: dict[str, list[str]] = {"input": [], "output": []}
    where: list[list[tuple[str, int, int]]] = []  # per example: (direction, index in texts, turn #)
    decoded_where: list[tuple[int, str, int]] = []
    decoded_texts: dict[str, list[str]] = {"input": [], "output": []}
    partial: list[dict[str, Any]] = []
    for ex in examples:
        slots: list[tuple[str, int, int]] = []
        identity = 0.0
        hits: list[str] = []
        pii: dict[str, int] = {}
        for t, (role, text) in enumerate(ex.turns):
            text = text[:cap]
            score, h = identity_shift_score(text)
            if score > identity:
                identity, hits = score, h
            for kind, spans in find_pii(text).items():
                pii[kind] = pii.get(kind, 0) + len(spans)
            if role not in ("user", "assistant"):
                continue
            direction = "input" if role == "user" else "output"
            slots.append((direction, len(texts[direction]), t))
            texts[direction].append(text)
        where.append(slots)
        partial.append(
            {"identity": identity, "hits": hits, "encoded": 0.0, "kinds": [], "pii": pii}
        )
    judge = Judge(guard)
    verdicts: dict[str, list[Judgement]] = {d: judge.judge(texts[d], d) for d in _DIRECTIONS}
    for n, slots in enumerate(where):
        part = partial[n]
        for direction, idx, t in slots:
            text = texts[direction][idx]
            sig = encoded_signal(text)
            decoded = sig.decoded
            if sig.score < detection.encoded_threshold and verdicts[direction][idx].decoded:
                # the guard's normalizer rewrote it: measure how much
                cov, nkinds, ndecoded = _normalize_coverage(text, limits)
                if cov > sig.score:
                    sig.score, sig.kinds, decoded = cov, nkinds, ndecoded
            part["encoded"] = max(part["encoded"], sig.score)
            if sig.score >= detection.encoded_threshold:
                part["kinds"].extend(k for k in sig.kinds if k not in part["kinds"])
                for d in decoded[:2]:
                    decoded_where.append((n, direction, t))
                    decoded_texts[direction].append(d[:cap])
    decoded_verdicts: dict[str, list[Judgement]] = {
        d: judge.judge(decoded_texts[d], d) for d in _DIRECTIONS
    }
    decoded_harm: dict[tuple[int, int], Judgement] = {}
    counters = {"input": 0, "output": 0}
    for i, direction, t in decoded_where:
        v = decoded_verdicts[direction][counters[direction]]
        counters[direction] += 1
        if _harmful(v) and (i, t) not in decoded_harm:
            decoded_harm[(i, t)] = v
    sigs = signatures([normalized_text(ex.turns) for ex in examples], dedup)
    refusals: dict[str, float] = {}  # templated refusals repeat: score each answer once
    return [
        _finish(ex, slots, part, verdicts, decoded_harm, n, detection, sig, refusals)
        for n, (ex, slots, part, sig) in enumerate(zip(examples, where, partial, sigs, strict=True))
    ]


def _finish(
    ex: Example,
    slots: list[tuple[str, int, int]],
    part: dict[str, Any],
    verdicts: dict[str, list[Judgement]],
    decoded_harm: dict[tuple[int, int], Judgement],
    n: int,
    detection: DetectionSettings,
    signature: tuple[int, list[int]],
    refusals: dict[str, float],
) -> dict[str, Any]:
    findings: dict[str, float] = {}
    scores = {"input": 0.0, "output": 0.0}
    categories: dict[str, list[str]] = {"input": [], "output": []}
    harmful_turns: dict[int, float] = {}
    guard_errors = 0
    for direction, idx, t in slots:
        v = verdicts[direction][idx]
        guard_errors += v.error is not None
        scores[direction] = max(scores[direction], v.unsafe_score)
        harmful = _harmful(v)
        extra = decoded_harm.get((n, t))
        if extra is not None:
            harmful = True
            scores[direction] = max(scores[direction], extra.unsafe_score)
            categories[direction].extend(
                c for c in _hazards(extra) if c not in categories[direction]
            )
        if harmful:
            categories[direction].extend(c for c in _hazards(v) if c not in categories[direction])
            if direction == "input":
                harmful_turns[t] = max(v.unsafe_score, extra.unsafe_score if extra else 0.0)
            else:
                findings["unsafe_output"] = max(
                    findings.get("unsafe_output", 0.0), scores[direction]
                )
    compliant = False
    for t, risk in harmful_turns.items():
        answer = next((txt for r, txt in ex.turns[t + 1 :] if r == "assistant"), None)
        if answer is None:
            continue
        answer = answer[: detection.max_turn_chars]
        refusal = refusals.get(answer)
        if refusal is None:
            refusal = refusals[answer] = refusal_score(answer)
        if refusal < detection.refusal_threshold:
            compliant = True
            score = round(max(risk, 0.5) * (1.0 - refusal), 4)
            findings["harmful_compliance"] = max(findings.get("harmful_compliance", 0.0), score)
    if part["identity"] >= detection.identity_threshold:
        findings["identity_shifting"] = part["identity"]
    if part["encoded"] >= detection.encoded_threshold:
        findings["encoded_payload"] = part["encoded"]
    if part["pii"]:
        findings["privacy"] = 1.0
    exact, bands = signature
    return {
        "index": ex.index,
        "line": ex.line,
        "id": ex.id,
        "input_unsafe": round(scores["input"], 4),
        "output_unsafe": round(scores["output"], 4),
        "input_categories": sorted(categories["input"]),
        "output_categories": sorted(categories["output"]),
        "harmful_request": bool(harmful_turns),
        "compliant": compliant,
        "findings": findings,
        "identity_hits": part["hits"][:5] if "identity_shifting" in findings else [],
        "encodings": part["kinds"][:5],
        "pii": part["pii"],
        "guard_errors": guard_errors,
        "exact": exact,
        "bands": bands,
    }
