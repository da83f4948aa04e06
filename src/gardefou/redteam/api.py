"""Run a red-team campaign from a ``RedteamConfig`` (what the CLI calls)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gardefou
from gardefou.errors import ConfigError
from gardefou.redteam.attacks import Attack, build_attack, parse_attack_list
from gardefou.redteam.behaviors import Behavior, load_behaviors, select
from gardefou.redteam.config import RedteamConfig
from gardefou.redteam.gate import check_gates, parse_gate
from gardefou.redteam.judges import Judge, judges
from gardefou.redteam.report import build_report
from gardefou.redteam.runner import ProgressHook, run
from gardefou.redteam.targets import Target, targets

_SECRET_WORDS = ("key", "token", "secret", "password")


def parse_options(items: Sequence[str]) -> dict[str, Any]:
    """``["k=v", ...]`` → a dict, values coerced to bool/int/float when they look like one."""
    from gardefou.redteam.attacks._base import _coerce

    out: dict[str, Any] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"option {item!r}: expected key=value")
        out[key.strip()] = _coerce(value.strip())
    return out


def build_target(config: RedteamConfig) -> Target:
    """The target named by the config, built with its options."""
    try:
        return targets.create(config.target, **config.target_options)
    except TypeError as exc:
        raise ConfigError(f"target {config.target!r}: bad option: {exc}") from None


def build_judges(config: RedteamConfig) -> list[Judge]:
    """The judges named by the config (the first decides success), with their options."""
    out = []
    for name in config.judges:
        try:
            out.append(judges.create(name, **config.judge_options.get(name, {})))
        except TypeError as exc:
            raise ConfigError(f"judge {name!r}: bad option: {exc}") from None
    return out


def build_attacks(config: RedteamConfig) -> list[Attack]:
    """The attacks named by the config (``all`` expands to every registered attack)."""
    built = [build_attack(spec) for spec in parse_attack_list(config.attacks)]
    labels = [a.label for a in built]
    dupes = {x for x in labels if labels.count(x) > 1}
    if dupes:
        raise ConfigError(f"attack(s) listed twice: {', '.join(sorted(dupes))}")
    return built


def load_sets(config: RedteamConfig) -> tuple[list[Behavior], list[Behavior]]:
    """The behaviors and the benign prompts, filtered by the config."""
    behaviors = select(
        load_behaviors(config.behaviors),
        categories=config.categories or None,
        languages=config.languages or None,
        limit=config.limit,
    )
    if not behaviors:
        raise ConfigError("no behaviors left after filtering by category/language")
    benign: list[Behavior] = []
    if config.benign:
        benign = select(
            load_behaviors(config.benign), languages=config.languages or None, limit=config.limit
        )
    return behaviors, benign


def _public_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if not any(w in k.lower() for w in _SECRET_WORDS)}


def run_campaign(
    config: RedteamConfig,
    *,
    resume: bool = False,
    target: Target | None = None,
    judge_list: list[Judge] | None = None,
    on_progress: ProgressHook | None = None,
    report: bool = True,
) -> tuple[dict[str, Any], list[str]]:
    """Run the campaign; returns the summary and the tripped ``fail_if`` gates."""
    gates = [parse_gate(g) for g in config.fail_if]
    attack_list = build_attacks(config)
    behaviors, benign = load_sets(config)
    tgt = target if target is not None else build_target(config)
    for name in config.judges:
        judges.get(name)  # unknown names fail early, even when the target judges itself
    if tgt.self_judging:
        jl: list[Judge] = []  # the target decides: success = not blocked
    else:
        jl = judge_list if judge_list is not None else build_judges(config)
    meta = {
        "gardefou": gardefou.__version__,
        "target": config.target,
        "target_options": _public_options(config.target_options),
        "attacks": [a.label for a in attack_list],
        "judges": [j.name for j in jl] or ["(target: success = not blocked)"],
        "behaviors": config.behaviors,
        "n_behaviors": len(behaviors),
        "benign": config.benign,
        "n_benign": len(benign),
    }
    try:
        summary = run(
            tgt,
            attack_list,
            jl,
            behaviors,
            config.out,
            benign=benign,
            seed=config.seed,
            concurrency=config.concurrency,
            resume=resume,
            meta=meta,
            on_progress=on_progress,
        )
    except KeyboardInterrupt:
        if report:
            build_report(config.out)
        raise
    finally:
        if target is None:
            tgt.close()
    if report:
        build_report(Path(config.out))
    return summary, check_gates(gates, summary)
