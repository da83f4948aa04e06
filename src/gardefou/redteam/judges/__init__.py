"""Red-team judges: score whether an answer complied (see ``_base.Judge``)."""

from gardefou.redteam.judges import _builtin
from gardefou.redteam.judges._base import (
    SUCCESS_THRESHOLD,
    Judge,
    Judgment,
    agreement,
    cohen_kappa,
    judge,
    judges,
)
from gardefou.redteam.judges._builtin import (
    RUBRIC,
    GuardJudge,
    LLMJudge,
    RefusalJudge,
    parse_rubric,
    strongreject_score,
)

__all__ = [
    "RUBRIC",
    "SUCCESS_THRESHOLD",
    "GuardJudge",
    "Judge",
    "Judgment",
    "LLMJudge",
    "RefusalJudge",
    "agreement",
    "cohen_kappa",
    "judge",
    "judges",
    "parse_rubric",
    "strongreject_score",
]

del _builtin
