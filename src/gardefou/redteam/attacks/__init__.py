"""Red-team attacks: each turns a behavior into attack prompts (see ``_base.Attack``).

``attacks.names()`` lists every registered attack; ``build_attack("base64")``,
``build_attack("dan(variants=2)")`` or ``build_attack("leetspeak+dan")`` builds one.
"""

from gardefou.redteam.attacks import _conversation, _encoding, _templates
from gardefou.redteam.attacks._base import (
    Attack,
    AttackPrompt,
    Message,
    Prompt,
    attack,
    attacks,
    build_attack,
    parse_attack_list,
)
from gardefou.redteam.attacks._encoding import EncodingAttack
from gardefou.redteam.attacks._templates import TemplateAttack

__all__ = [
    "Attack",
    "AttackPrompt",
    "EncodingAttack",
    "Message",
    "Prompt",
    "TemplateAttack",
    "attack",
    "attacks",
    "build_attack",
    "parse_attack_list",
]

del _conversation, _encoding, _templates
