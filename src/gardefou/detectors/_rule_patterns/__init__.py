"""The pattern table of the ``rules`` detector: high-precision regexes, English and French.

Each pattern is written against *folded* text (accents stripped, typographic quotes made ASCII,
see ``rules.fold``) and compiled case-insensitively; ``(?-i:DAN)`` marks case-sensitive parts.
``keywords`` gate the regex (a cheap pre-filter): at least one must occur in the lowercased folded
text or the regex is not tried. A keyword made of ``[a-z0-9]`` only must occur as a whole word; one
ending in ``*`` or containing other characters is looked for as a substring (``*`` stripped). ``requires`` is an optional second regex that must also match
somewhere in the text (co-occurrence without unbounded gaps). Every quantifier is bounded so that
matching stays linear in the text length.

Keep this list precise: recall is the trained classifier's job.
"""

from __future__ import annotations

from gardefou.detectors._rule_patterns._base import BOTH, INPUT, RulePattern
from gardefou.detectors._rule_patterns.hazards import HAZARDS
from gardefou.detectors._rule_patterns.injection import INJECTION
from gardefou.detectors._rule_patterns.jailbreak import JAILBREAK

PATTERNS: tuple[RulePattern, ...] = (*JAILBREAK, *INJECTION, *HAZARDS)

__all__ = ["BOTH", "INPUT", "PATTERNS", "RulePattern"]
