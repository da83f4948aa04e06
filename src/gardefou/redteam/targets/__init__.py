"""Red-team targets: what the attacks are sent to (see ``_base.Target``).

``targets.create("guard")``, ``targets.create("openai", base_url=..., model=...)``,
``targets.create("hf", model=DIR)``, ``targets.create("command", command="my-model --stdin")``.
"""

from gardefou.redteam.targets import _local, _openai
from gardefou.redteam.targets._base import (
    Response,
    Target,
    estimate_tokens,
    render_conversation,
    target,
    targets,
)
from gardefou.redteam.targets._local import CommandTarget, GuardTarget, HFTarget
from gardefou.redteam.targets._openai import OpenAITarget, retry_after_seconds

__all__ = [
    "CommandTarget",
    "GuardTarget",
    "HFTarget",
    "OpenAITarget",
    "Response",
    "Target",
    "estimate_tokens",
    "render_conversation",
    "retry_after_seconds",
    "target",
    "targets",
]

del _local, _openai
