"""Screen fine-tuning datasets before they strip a model's safety.

    from gardefou.screen import GuardSpec, screen

    result = screen("train.jsonl", guard=GuardSpec(policy="default"), write_clean="clean.jsonl")
    print(result.decision, result.findings["identity_shifting"].count)

Per example: the guard's scores on user and assistant turns and the findings ``harmful_compliance``,
``unsafe_output``, ``identity_shifting``, ``encoded_payload``, ``privacy`` and ``duplicate``;
per dataset: counts and rates, refusal stripping, duplicate clusters, the worst examples and an
``accept``/``review``/``reject`` decision from the configured gates.
"""

from gardefou.screen._analyze import GuardSpec, analyze_batch
from gardefou.screen._config import (
    FINDINGS,
    DedupSettings,
    DetectionSettings,
    Gate,
    ScreenConfig,
    load_screen_config,
)
from gardefou.screen._engine import ENGINES, screen
from gardefou.screen._formats import RECORD_FORMATS, Example, Fields, iter_parsed
from gardefou.screen._result import ScreenResult, WorstExample, decide

__all__ = [
    "ENGINES",
    "FINDINGS",
    "RECORD_FORMATS",
    "DedupSettings",
    "DetectionSettings",
    "Example",
    "Fields",
    "Gate",
    "GuardSpec",
    "ScreenConfig",
    "ScreenResult",
    "WorstExample",
    "analyze_batch",
    "decide",
    "iter_parsed",
    "load_screen_config",
    "screen",
]
