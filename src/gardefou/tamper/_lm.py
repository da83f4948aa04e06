"""Causal-LM plumbing shared by the toy, the fine-tuning attack and the ablation: loading,
chat formatting, supervised training on assistant tokens, greedy generation. Needs torch."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gardefou.errors import ModelError
from gardefou.tamper._data import Example
from gardefou.tamper._deps import require

MAX_SEQ_TOKENS = 256
Progress = Callable[[int, int], None]
"""Progress callback ``(done, total)``."""


def load(path: str | Path, device: str = "cpu") -> tuple[Any, Any]:
    """A local causal LM directory → ``(model, tokenizer)``; never downloads anything."""
    transformers = require("transformers")
    torch = require("torch")
    transformers.utils.logging.disable_progress_bar()
    p = Path(path)
    if not (p / "config.json").is_file():
        raise ModelError(f"{p}: not a model directory (no config.json)")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(p), local_files_only=True)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(p), local_files_only=True, dtype=torch.float32
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"{p}: cannot load model: {type(exc).__name__}: {exc}") from None
    if not getattr(tokenizer, "chat_template", None):
        raise ModelError(f"{p}: the tokenizer has no chat template")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device)
    model.eval()
    return model, tokenizer


def prompt_text(tokenizer: Any, example: Example) -> str:
    """The chat-formatted prompt, ending where the assistant's answer starts."""
    return str(
        tokenizer.apply_chat_template(
            example.messages(with_answer=False), tokenize=False, add_generation_prompt=True
        )
    )


def encode(tokenizer: Any, example: Example) -> tuple[list[int], list[int]]:
    """``(input_ids, labels)`` for one example; only the answer's tokens carry a label."""
    head = prompt_text(tokenizer, example)
    full = str(tokenizer.apply_chat_template(example.messages(), tokenize=False))
    if not full.startswith(head):  # templates that rewrite earlier turns: answer + EOS
        full = head + example.answer + (tokenizer.eos_token or "")
    head_ids = tokenizer(head, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(full, add_special_tokens=False)["input_ids"]
    n_head = min(len(head_ids), len(full_ids))
    # over-long examples lose the start of the prompt, never the answer
    cut = max(0, len(full_ids) - MAX_SEQ_TOKENS)
    ids = list(full_ids)[cut:]
    labels = [-100] * max(0, n_head - cut) + list(full_ids)[max(n_head, cut) :]
    return ids, labels


def has_target(labels: Sequence[int]) -> bool:
    """True when at least one answer token is predicted (the first position never is): an
    example without one would make the mean loss 0/0 = NaN."""
    return any(label != -100 for label in labels[1:])


def encode_all(tokenizer: Any, examples: Sequence[Example]) -> list[tuple[list[int], list[int]]]:
    """``encode`` each example, dropping those with no answer token left to predict."""
    encoded = [encode(tokenizer, e) for e in examples]
    return [(ids, labels) for ids, labels in encoded if has_target(labels)]


def finite_loss(loss: Any, where: str) -> float:
    """``loss`` as a float; ModelError when it is NaN or infinite (never train on it)."""
    value = float(loss.detach() if hasattr(loss, "detach") else loss)
    if not math.isfinite(value):
        raise ModelError(f"non-finite loss ({value}) {where}")
    return value


def train(
    model: Any,
    tokenizer: Any,
    examples: Sequence[Example],
    *,
    epochs: int,
    lr: float,
    batch_size: int = 8,
    seed: int = 0,
    progress: Progress | None = None,
    weight_decay: float = 0.0,
    max_steps: int | None = None,
) -> int:
    """Supervised fine-tuning of the trainable parameters on the answers; returns optimizer steps.

    ``max_steps`` stops early (and, when larger than ``epochs`` allows, adds epochs).
    """
    torch = require("torch")
    if not examples or epochs <= 0:
        return 0
    encoded = encode_all(tokenizer, examples)
    if not encoded:
        raise ModelError("no training example has an answer token left after truncation")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ModelError("no trainable parameter")
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    per_epoch = math.ceil(len(encoded) / batch_size)
    if max_steps is not None:
        epochs = max(epochs, math.ceil(max_steps / per_epoch))
    total = per_epoch * epochs if max_steps is None else min(max_steps, per_epoch * epochs)
    device = next(model.parameters()).device
    pad = int(tokenizer.pad_token_id)
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model.train()
    step = 0
    for _ in range(epochs):
        if step >= total:
            break
        order = list(range(len(encoded)))
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            if step >= total:
                break
            batch = [encoded[i] for i in order[start : start + batch_size]]
            width = max(len(ids) for ids, _ in batch)
            ids_t = torch.full((len(batch), width), pad, dtype=torch.long)
            lab_t = torch.full((len(batch), width), -100, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (ids, labels) in enumerate(batch):
                ids_t[row, : len(ids)] = torch.tensor(ids)
                lab_t[row, : len(labels)] = torch.tensor(labels)
                mask[row, : len(ids)] = 1
            out = model(
                input_ids=ids_t.to(device), attention_mask=mask.to(device), labels=lab_t.to(device)
            )
            finite_loss(out.loss, f"at training step {step + 1}")
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            if progress is not None:
                progress(step, total)
    model.eval()
    return step


def generate(
    model: Any,
    tokenizer: Any,
    examples: Sequence[Example],
    *,
    max_new_tokens: int = 32,
    batch_size: int = 16,
    progress: Progress | None = None,
) -> list[str]:
    """Greedy answers to each example's prompt (the example's own answer is ignored)."""
    torch = require("torch")
    device = next(model.parameters()).device
    pad = int(tokenizer.pad_token_id)
    eos = tokenizer.eos_token_id
    answers: list[str] = []
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        ids_list = [
            tokenizer(prompt_text(tokenizer, e), add_special_tokens=False)["input_ids"][
                -MAX_SEQ_TOKENS:
            ]
            for e in chunk
        ]
        width = max(len(ids) for ids in ids_list)
        ids_t = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, ids in enumerate(ids_list):  # left padding
            ids_t[row, width - len(ids) :] = torch.tensor(ids)
            mask[row, width - len(ids) :] = 1
        with torch.no_grad():
            out = model.generate(
                input_ids=ids_t.to(device),
                attention_mask=mask.to(device),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=pad,
                eos_token_id=eos,
            )
        for row in out[:, width:]:
            answers.append(str(tokenizer.decode(row, skip_special_tokens=True)).strip())
        if progress is not None:
            progress(len(answers), len(examples))
    return answers
