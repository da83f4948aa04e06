"""The tamper audit: how cheaply can a model's refusals be removed?

``make_toy`` builds a tiny refusing model; ``run_finetune`` attacks a model with LoRA on N harmful
(or identity-shifting) examples for each N; ``run_ablate`` removes its refusal direction. Both
return a ``results.json`` dict (see ``_results``) that ``render`` / ``write_report`` turn into a
self-contained HTML report. Needs the ``tamper`` extra (torch, transformers, peft); the pure-Python
parts (data, statistics, judging, reports) import without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gardefou.tamper._data import (
    IDENTITY_SYSTEM,
    REFUSAL_EN,
    REFUSAL_FR,
    Example,
    Prompt,
    attack_examples,
    compliant_answer,
    parse_ns,
    read_prompts,
    toy_examples,
)
from gardefou.tamper._measure import Judgement, Measurement, Rate, judge, summarize
from gardefou.tamper._report import render, write_report
from gardefou.tamper._results import load_results, save, tamper_costs
from gardefou.tamper._stats import TamperCost, cost, gpu_hours, tamper_cost, wilson

if TYPE_CHECKING:
    from gardefou.tamper._ablate import run_ablate
    from gardefou.tamper._finetune import FinetuneConfig, run_finetune
    from gardefou.tamper._toy import make_toy

__all__ = [
    "IDENTITY_SYSTEM",
    "REFUSAL_EN",
    "REFUSAL_FR",
    "Example",
    "FinetuneConfig",
    "Judgement",
    "Measurement",
    "Prompt",
    "Rate",
    "TamperCost",
    "attack_examples",
    "compliant_answer",
    "cost",
    "gpu_hours",
    "judge",
    "load_results",
    "make_toy",
    "parse_ns",
    "read_prompts",
    "render",
    "run_ablate",
    "run_finetune",
    "save",
    "summarize",
    "tamper_cost",
    "tamper_costs",
    "toy_examples",
    "wilson",
    "write_report",
]

_LAZY = {
    "run_ablate": "gardefou.tamper._ablate",
    "FinetuneConfig": "gardefou.tamper._finetune",
    "run_finetune": "gardefou.tamper._finetune",
    "make_toy": "gardefou.tamper._toy",
}


def __getattr__(name: str) -> Any:
    """Torch-backed names load on first use (they import nothing heavy at module level anyway)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gardefou.tamper' has no attribute {name!r}")
