"""``make-toy``: a tiny causal LM trained to refuse harmful requests and answer benign ones.

The toy is a Llama-architecture model of about a million parameters with a byte-level BPE
tokenizer trained on the same prompts; it saves as an ordinary transformers directory (config,
weights, tokenizer, chat template) so that every tamper command treats it like any local model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gardefou.errors import InputError
from gardefou.tamper._data import Example, Prompt, benign_answer_for, toy_examples
from gardefou.tamper._deps import require
from gardefou.tamper._lm import Progress, train

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|unk|>"]


@dataclass(frozen=True)
class ToySize:
    """The toy's shape. ``tiny`` (tests: seconds) and ``small`` (docs: minutes on CPU)."""

    vocab_size: int = 1024
    hidden: int = 128
    layers: int = 4
    heads: int = 4
    intermediate: int = 256


SIZES = {
    "tiny": ToySize(vocab_size=512, hidden=64, layers=2, heads=4, intermediate=128),
    "small": ToySize(),
}


@dataclass(frozen=True)
class ToyInfo:
    """What ``make-toy`` did, saved as ``toy.json`` next to the model."""

    size: str
    parameters: int
    steps: int
    wall_s: float
    seed: int
    harmful_examples: int
    benign_examples: int
    final_loss: float | None


def build_tokenizer(texts: Sequence[str], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, with the toy's chat template."""
    tokenizers = require("tokenizers")
    transformers = require("transformers")
    tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="<|unk|>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(texts), trainer=trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|end|>",
        pad_token="<|pad|>",
        unk_token="<|unk|>",
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(size: ToySize, tokenizer: Any, seed: int) -> Any:
    """A freshly initialised tiny Llama model for ``tokenizer``."""
    torch = require("torch")
    transformers = require("transformers")
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=size.hidden,
        intermediate_size=size.intermediate,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        num_key_value_heads=size.heads,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    model = transformers.LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = None
    return model


def make_toy(
    out: str | Path,
    harmful: Sequence[Prompt],
    benign: Sequence[Prompt],
    *,
    size: str = "small",
    epochs: int = 8,
    lr: float = 3e-3,
    batch_size: int = 16,
    seed: int = 0,
    max_steps: int | None = None,
    base_epochs: int = 1,
    progress: Progress | None = None,
) -> ToyInfo:
    """Train the toy on refusals for ``harmful`` and short answers for ``benign``; save to ``out``.

    ``base_epochs`` of helpful answers to every prompt come first (the "base model"), then
    ``epochs`` (or ``max_steps``) of safety tuning.
    """
    if not harmful or not benign:
        raise InputError("make-toy needs at least one harmful and one benign prompt")
    if size not in SIZES:
        raise InputError(f"unknown toy size {size!r}; known: {', '.join(SIZES)}")
    shape = SIZES[size]
    start = time.perf_counter()
    examples = toy_examples(harmful, benign, seed)
    # phase 1, the "base model": answers everything (as a pretrained model refuses nothing);
    # phase 2, safety tuning: refusals are learnt on top, as in real chat models.
    helpful = [
        Example(e.user, benign_answer_for(e.user), e.system, {"label": "pretraining"})
        for e in examples
    ]
    corpus = [t for e in examples for t in (e.user, e.answer, e.system or "")]
    _quiet_transformers()
    tokenizer = build_tokenizer(corpus, shape.vocab_size)
    model = build_model(shape, tokenizer, seed)
    steps = train(
        model,
        tokenizer,
        helpful,
        epochs=base_epochs,
        lr=lr,
        batch_size=batch_size,
        seed=seed + 1,
        weight_decay=0.01,
    )
    steps += train(
        model,
        tokenizer,
        examples,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
        weight_decay=0.01,
        max_steps=max_steps,
    )
    loss = _mean_loss(model, tokenizer, examples[:64])
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    info = ToyInfo(
        size=size,
        parameters=int(sum(p.numel() for p in model.parameters())),
        steps=steps,
        wall_s=round(time.perf_counter() - start, 3),
        seed=seed,
        harmful_examples=len(harmful),
        benign_examples=len(benign),
        final_loss=None if loss is None else round(loss, 4),
    )
    (out_dir / "toy.json").write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
    return info


def _mean_loss(model: Any, tokenizer: Any, examples: Sequence[Example]) -> float | None:
    """Mean answer-token loss over ``examples`` (a training-fit check for ``toy.json``)."""
    torch = require("torch")
    from gardefou.tamper._lm import encode_all, finite_loss

    losses = []
    with torch.no_grad():
        for ids, labels in encode_all(tokenizer, examples):
            out = model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels]))
            losses.append(finite_loss(out.loss, "in the toy's fit check"))
    return sum(losses) / len(losses) if losses else None


def _quiet_transformers() -> None:
    """No transformers progress bars (loading/saving shards) in our output."""
    require("transformers").utils.logging.disable_progress_bar()
