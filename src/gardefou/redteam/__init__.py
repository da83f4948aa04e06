"""The red team: run attacks against a target (model, endpoint, gateway or the guard itself),
judge the answers, and report success rates with confidence intervals.

    from gardefou.redteam import RedteamConfig, run_campaign
    summary, tripped = run_campaign(RedteamConfig(target="guard", attacks=["base64"], out="out"))
"""

from gardefou.redteam.api import (
    build_attacks,
    build_judges,
    build_target,
    parse_options,
    run_campaign,
)
from gardefou.redteam.attacks import Attack, AttackPrompt, attacks, build_attack
from gardefou.redteam.behaviors import Behavior, load_behaviors
from gardefou.redteam.config import RedteamConfig, load_config
from gardefou.redteam.gate import Gate, check_gates, parse_gate
from gardefou.redteam.judges import Judge, Judgment, judges
from gardefou.redteam.metrics import summarize, wilson
from gardefou.redteam.report import build_report, compare
from gardefou.redteam.runner import run
from gardefou.redteam.targets import Response, Target, targets

__all__ = [
    "Attack",
    "AttackPrompt",
    "Behavior",
    "Gate",
    "Judge",
    "Judgment",
    "RedteamConfig",
    "Response",
    "Target",
    "attacks",
    "build_attack",
    "build_attacks",
    "build_judges",
    "build_report",
    "build_target",
    "check_gates",
    "compare",
    "judges",
    "load_behaviors",
    "load_config",
    "parse_gate",
    "parse_options",
    "run",
    "run_campaign",
    "summarize",
    "targets",
    "wilson",
]
