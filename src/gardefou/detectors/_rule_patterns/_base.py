"""The rule-pattern record and regex fragments shared by the pattern tables."""

from __future__ import annotations

from dataclasses import dataclass

BOTH: tuple[str, ...] = ("input", "output")
INPUT: tuple[str, ...] = ("input",)


@dataclass(frozen=True)
class RulePattern:
    """One rule: an id for evidence, the category it scores, its score and its regex."""

    id: str
    category: str
    score: float
    regex: str
    keywords: tuple[str, ...]
    directions: tuple[str, ...] = BOTH
    requires: str | None = None


# -- shared fragments ------------------------------------------------------------------------------
W2 = r"(?:\S+\s+){0,2}?"  # up to two filler words
W3 = r"(?:\S+\s+){0,3}?"
# words that show a text is about an AI's rules (used as co-occurrence context)
JB_CONTEXT = (
    r"\b(?:restrictions?|filter(?:s|ed)?|unfiltered|censor\w*|uncensored|polic(?:y|ies)|guidelines"
    r"|ethic\w*|moral\w*|refus\w*|jailbr\w+|openai|chatgpt|(?-i:DAN)|tokens?|regles|politique"
    r"|consignes|directives|limites)\b"
)
AI_CONTEXT = (
    r"\b(?:ai|ia|assistant|model|modele|chatbot|llm|gpt|chatgpt|system\s+prompt|prompt\s+systeme"
    r"|ignore\w*|disregard|previous|prior|precedentes|from\s+now\s+on|desormais|dorenavant)\b"
)
ANSWER_CONTEXT = (
    r"\b(?:answer\w*|respon\w+|reply|request\w*|questions?|ai|assistant|model|chatgpt|repon\w+"
    r"|demandes?|ia)\b"
)
