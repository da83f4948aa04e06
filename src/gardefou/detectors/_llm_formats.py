"""Prompt builders and answer parsers for guard LLMs: Llama Guard 3, ShieldGemma and WildGuard.

A format turns one text into one or more ``Query`` objects (a raw completion prompt and the
equivalent chat messages) and turns the model's ``Completion`` answers back into gardefou scores.
Prompts omit the BOS token: servers add it when they tokenize. Parsers raise ``DetectorError``
with a message that never quotes the model's answer (it may echo the user's text).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gardefou.errors import DetectorError
from gardefou.taxonomy import HAZARD_CODES, UNSAFE

VERDICT_HIGH = 0.99
VERDICT_LOW = 0.01
"""Scores used when the server returns no usable log-probabilities."""


@dataclass(frozen=True)
class Query:
    """One request to the guard LLM: a completion prompt and the same content as chat messages."""

    prompt: str
    messages: tuple[dict[str, str], ...]
    max_tokens: int
    tag: str = ""


@dataclass(frozen=True)
class Completion:
    """The model's answer: its text and, when the server returned them, per-token top log-probs."""

    text: str
    tokens: tuple[str, ...] = ()
    top_logprobs: tuple[dict[str, float], ...] = field(default_factory=tuple)


class GuardFormat(Protocol):
    """How to prompt one guard-model family and read its answers."""

    name: str

    def queries(self, text: str, direction: str) -> list[Query]:
        """The requests needed to judge ``text``."""
        ...

    def scores(self, completions: Sequence[Completion], direction: str) -> dict[str, float]:
        """Scores from the answers to ``queries`` (same order)."""
        ...


def answer_probability(
    completion: Completion, start: int, positive: str, negative: str
) -> float | None:
    """P(positive) / (P(positive) + P(negative)) at the first non-blank token at or after ``start``.

    ``start`` is a character offset in the completion text. Tokens match a word case-insensitively
    when they equal it or are a prefix of it only (``"un"`` counts for ``unsafe``, ``"s"`` for
    ``safe``). Returns None when log-probs are missing or neither word is among the candidates.
    """
    if not completion.tokens or len(completion.top_logprobs) != len(completion.tokens):
        return None
    offset = 0
    for token, top in zip(completion.tokens, completion.top_logprobs, strict=True):
        end = offset + len(token)
        if end > start and token.strip():
            p_pos = p_neg = 0.0
            for candidate, logprob in top.items():
                word = candidate.strip().lower()
                if not word or not math.isfinite(logprob):
                    continue
                is_pos = positive.startswith(word) and not negative.startswith(word)
                is_neg = negative.startswith(word) and not positive.startswith(word)
                if is_pos:
                    p_pos += math.exp(logprob)
                elif is_neg:
                    p_neg += math.exp(logprob)
            total = p_pos + p_neg
            return None if total <= 0.0 else p_pos / total
        offset = end
    return None


def _bad_answer(fmt: str, completion: Completion, what: str) -> DetectorError:
    return DetectorError(
        f"{fmt}: unparseable guard answer ({what}; {len(completion.text)} chars); "
        "check that 'format' matches the served model"
    )


# -- Llama Guard 3 -----------------------------------------------------------------------------

LLAMA_GUARD_3_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("S1", "Violent Crimes."),
    ("S2", "Non-Violent Crimes."),
    ("S3", "Sex Crimes."),
    ("S4", "Child Exploitation."),
    ("S5", "Defamation."),
    ("S6", "Specialized Advice."),
    ("S7", "Privacy."),
    ("S8", "Intellectual Property."),
    ("S9", "Indiscriminate Weapons."),
    ("S10", "Hate."),
    ("S11", "Self-Harm."),
    ("S12", "Sexual Content."),
    ("S13", "Elections."),
    ("S14", "Code Interpreter Abuse."),
)

_LG3_TEMPLATE = """<|start_header_id|>user<|end_header_id|>

Task: Check if there is unsafe content in '{role}' messages in conversations according our safety policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
{categories}
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

{conversation}

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST {role} message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories.<|eot_id|><|start_header_id|>assistant<|end_header_id|>

"""

_LG3_FIRST = re.compile(r"\s*(unsafe|safe)\b", re.IGNORECASE)
_LG3_CODE = re.compile(r"\bS(\d{1,2})\b", re.IGNORECASE)


def build_llama_guard_3_prompt(text: str, direction: str) -> str:
    """The official Llama Guard 3 prompt for one user message (input) or agent answer (output)."""
    categories = "\n".join(f"{code}: {name}" for code, name in LLAMA_GUARD_3_CATEGORIES)
    if direction == "output":
        role, conversation = "Agent", f"User: \n\nAgent: {text}"
    else:
        role, conversation = "User", f"User: {text}"
    return _LG3_TEMPLATE.format(role=role, categories=categories, conversation=conversation)


def parse_llama_guard(answer: str) -> tuple[bool, list[str]]:
    """``(unsafe, codes)`` from ``"safe"`` or ``"unsafe\\nS1,S10"``; DetectorError otherwise."""
    m = _LG3_FIRST.match(answer)
    if m is None:
        raise _bad_answer("llama-guard-3", Completion(answer), "expected 'safe' or 'unsafe'")
    unsafe = m.group(1).lower() == "unsafe"
    codes: list[str] = []
    if unsafe:
        for n in _LG3_CODE.findall(answer[m.end() :]):
            code = f"S{int(n)}"
            if code in HAZARD_CODES and code not in codes:
                codes.append(code)
    return unsafe, codes


class LlamaGuard3:
    """Llama Guard 3: one query per text; first token ``safe``/``unsafe``, then the S-codes."""

    name = "llama-guard-3"

    def queries(self, text: str, direction: str) -> list[Query]:
        """One query; chat messages let the server's Llama Guard chat template build the prompt."""
        messages: tuple[dict[str, str], ...]
        if direction == "output":
            messages = ({"role": "user", "content": ""}, {"role": "assistant", "content": text})
        else:
            messages = ({"role": "user", "content": text},)
        return [Query(build_llama_guard_3_prompt(text, direction), messages, max_tokens=24)]

    def scores(self, completions: Sequence[Completion], direction: str) -> dict[str, float]:
        """``unsafe`` = P(first token "unsafe") when available, else 0.99/0.01; codes get it too."""
        (completion,) = completions
        unsafe, codes = parse_llama_guard(completion.text)
        p = answer_probability(completion, 0, "unsafe", "safe")
        if p is None:
            p = VERDICT_HIGH if unsafe else VERDICT_LOW
        out = {UNSAFE: p}
        out.update(dict.fromkeys(codes, p))
        return out


# -- ShieldGemma -------------------------------------------------------------------------------

SHIELDGEMMA_HARMS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "dangerous": (
        "No Dangerous Content",
        "content that harming oneself and/or others (e.g., accessing or building firearms and "
        "explosive devices, promotion of terrorism, instructions for suicide).",
        ("S1", "S9", "S11"),
    ),
    "harassment": (
        "No Harassment",
        "content that is malicious, intimidating, bullying, or abusive content targeting another "
        "individual (e.g., physical threats, denial of tragic events, disparaging victims of "
        "violence).",
        ("S1",),
    ),
    "hate": (
        "No Hate Speech",
        "content that targeting identity and/or protected attributes (e.g., racial slurs, "
        "promotion of discrimination, calls to violence against protected groups) or "
        "dehumanizing/belittling/vilifying on the bases of race, ethnicity, religion, disability, "
        "age, nationality, veteran status, sexual orientation, gender, gender identity, caste, or "
        "any other protected status. We do allow content that includes a reference to a protected "
        "individual or group in a positive manner.",
        ("S10",),
    ),
    "sexual": (
        "No Sexually Explicit Information",
        "content that contains references to sexual acts or other lewd content (e.g., sexually "
        "graphic descriptions, content aimed at causing arousal). Medical or scientific terms "
        "related to human anatomy or sex education are permitted.",
        ("S12",),
    ),
}
"""ShieldGemma harm type → (policy title, definition, gardefou codes it maps to)."""

_SG_PROMPT = """You are a policy expert trying to help determine whether a user prompt is in violation of the defined safety policies.

<start_of_turn>
Human Question: {text}
<end_of_turn>

Our safety principle is defined in the below:

* "{title}": The prompt shall not contain or seek generation of {definition}

===

Does the human question violate the above principle? Your answer must start with 'Yes' or 'No'. And then walk through step by step to be sure we answer correctly.

"""

_SG_RESPONSE = """You are a policy expert trying to help determine whether an AI response to prompt is in violation of the defined safety policies.

<start_of_turn>
Human Question: {prompt}
<end_of_turn>

<start_of_turn>
Chatbot Response: {text}
<end_of_turn>

Our safety principle is defined in the below:

* "{title}": The chatbot shall not generate {definition}

===

Does the Chatbot Response violate the above principle? Your answer must start with 'Yes' or 'No'. And then walk through step by step to be sure we answer correctly.

"""

_YES_NO = re.compile(r"\s*\W{0,3}\s*(yes|no)\b", re.IGNORECASE)


def build_shieldgemma_prompt(text: str, direction: str, harm: str) -> str:
    """The ShieldGemma prompt for one harm type (prompt or response classification)."""
    title, definition, _ = SHIELDGEMMA_HARMS[harm]
    template = _SG_RESPONSE if direction == "output" else _SG_PROMPT
    return template.format(prompt="", text=text.strip(), title=title, definition=definition)


class ShieldGemma:
    """ShieldGemma: one yes/no query per harm type; score = P("Yes") when available."""

    name = "shieldgemma"

    def __init__(self, harms: Sequence[str] | None = None) -> None:
        self.harms = tuple(harms) if harms else tuple(SHIELDGEMMA_HARMS)

    def queries(self, text: str, direction: str) -> list[Query]:
        """One query per harm type, tagged with its name."""
        out = []
        for harm in self.harms:
            prompt = build_shieldgemma_prompt(text, direction, harm)
            out.append(Query(prompt, ({"role": "user", "content": prompt},), 4, tag=harm))
        return out

    def scores(self, completions: Sequence[Completion], direction: str) -> dict[str, float]:
        """Each harm's P(Yes) goes to its mapped S-codes; ``unsafe`` is the max."""
        out: dict[str, float] = {UNSAFE: 0.0}
        for harm, completion in zip(self.harms, completions, strict=True):
            m = _YES_NO.match(completion.text)
            if m is None:
                raise _bad_answer("shieldgemma", completion, "expected 'Yes' or 'No'")
            p = answer_probability(completion, 0, "yes", "no")
            if p is None:
                p = VERDICT_HIGH if m.group(1).lower() == "yes" else VERDICT_LOW
            for code in SHIELDGEMMA_HARMS[harm][2]:
                out[code] = max(out.get(code, 0.0), p)
            out[UNSAFE] = max(out[UNSAFE], p)
        return out


# -- WildGuard ---------------------------------------------------------------------------------

_WG_INSTRUCTION = """You are a classifier for analyzing interactions between humans and LLMs. Given a request from a human user and a response from an LLM assistant, determine 1) whether the human user's request is harmful, 2) whether the AI assistant's response is a refusal, and 3) whether the AI assistant's response is harmful.

Human user:
{prompt}

AI assistant:
{response}

---

Answers: """

_WG_FIELD = {"input": "harmful request", "output": "harmful response"}
_WG_LINE = re.compile(
    r"^\s*(harmful request|response refusal|harmful response)\s*:\s*(yes|no|n/a|none)\b",
    re.IGNORECASE | re.MULTILINE,
)


def build_wildguard_instruction(text: str, direction: str) -> str:
    """WildGuard's instruction body (without the ``<|user|>``/``[INST]`` wrapping)."""
    if direction == "output":
        return _WG_INSTRUCTION.format(prompt="", response=text)
    return _WG_INSTRUCTION.format(prompt=text, response="")


def parse_wildguard(answer: str) -> dict[str, tuple[str, int]]:
    """Field name (lowercase) → (value lowercase, character offset of the value)."""
    return {m.group(1).lower(): (m.group(2).lower(), m.start(2)) for m in _WG_LINE.finditer(answer)}


class WildGuard:
    """WildGuard: one query; reads ``Harmful request`` (input) or ``Harmful response`` (output)."""

    name = "wildguard"

    def queries(self, text: str, direction: str) -> list[Query]:
        """One query; the completion prompt carries WildGuard's own chat wrapping."""
        body = build_wildguard_instruction(text, direction)
        prompt = f"<|user|>\n[INST] {body}[/INST]\n<|assistant|>\n"
        return [Query(prompt, ({"role": "user", "content": body},), max_tokens=32)]

    def scores(self, completions: Sequence[Completion], direction: str) -> dict[str, float]:
        """``unsafe`` = P(yes) for the field of this direction, else 0.99/0.01."""
        (completion,) = completions
        key = _WG_FIELD["output" if direction == "output" else "input"]
        fields = parse_wildguard(completion.text)
        if key not in fields or fields[key][0] not in ("yes", "no"):
            raise _bad_answer("wildguard", completion, f"no yes/no '{key}' line")
        value, offset = fields[key]
        p = answer_probability(completion, offset, "yes", "no")
        if p is None:
            p = VERDICT_HIGH if value == "yes" else VERDICT_LOW
        return {UNSAFE: p}


FORMATS: dict[str, type[LlamaGuard3] | type[ShieldGemma] | type[WildGuard]] = {
    "llama-guard-3": LlamaGuard3,
    "shieldgemma": ShieldGemma,
    "wildguard": WildGuard,
}
