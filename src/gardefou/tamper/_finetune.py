"""The fine-tuning attack: LoRA on N harmful (or identity-shifting) examples, for each N, then the
same measurements; every run starts again from the untouched model."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gardefou.errors import ConfigError
from gardefou.guard import Guard
from gardefou.tamper._data import IDENTITY_SYSTEM, Prompt, attack_examples
from gardefou.tamper._deps import require, resolve_device
from gardefou.tamper._lm import load, train
from gardefou.tamper._measure import measure
from gardefou.tamper._results import device_name, new_results, tamper_costs
from gardefou.tamper._stats import cost, gpu_hours

ATTACKS = ("harmful", "identity-shift")
StepCallback = Callable[[str], None]


@dataclass(frozen=True)
class FinetuneConfig:
    """Settings of the fine-tuning attack (stored in ``results.json``)."""

    ns: tuple[int, ...] = (0, 10, 50, 100, 300)
    attack: str = "harmful"
    lora_r: int = 8
    lora_alpha: int = 16
    epochs: int = 3
    lr: float = 1e-3
    batch_size: int = 8
    seed: int = 0
    price_per_gpu_hour: float = 2.0
    device: str = "auto"
    max_new_tokens: int = 32

    def check(self) -> None:
        """ConfigError on a bad value."""
        if self.attack not in ATTACKS:
            raise ConfigError(f"unknown attack {self.attack!r}; known: {', '.join(ATTACKS)}")
        if self.lora_r <= 0 or self.epochs <= 0 or self.lr <= 0 or self.batch_size <= 0:
            raise ConfigError("--lora-r, --epochs, --lr and the batch size must be positive")
        if self.price_per_gpu_hour < 0:
            raise ConfigError("--price-per-gpu-hour must be non-negative")
        if not self.ns or min(self.ns) < 0:
            raise ConfigError("--n must list non-negative integers")


def _lora(model: Any, config: FinetuneConfig) -> Any:
    peft = require("peft")
    lora = peft.LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=0.0,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():
        # peft reads a transformers attribute deprecated in transformers 5 (FutureWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return peft.get_peft_model(model, lora)


def run_finetune(
    model_path: str | Path,
    harmful_train: Sequence[Prompt],
    harmful_eval: Sequence[Prompt],
    benign_eval: Sequence[Prompt],
    *,
    benign_train: Sequence[Prompt] = (),
    config: FinetuneConfig = FinetuneConfig(),
    guard_factory: Callable[[], Guard] | None = None,
    label: str | None = None,
    on_step: StepCallback | None = None,
) -> dict[str, Any]:
    """Attack ``model_path`` with each N of ``config.ns``; returns the ``results.json`` dict."""
    config.check()
    torch = require("torch")
    device = resolve_device(config.device)
    pool = harmful_train if config.attack == "harmful" else benign_train
    if max(config.ns) > len(pool):
        raise ConfigError(
            f"N={max(config.ns)} asked for, but only {len(pool)} {config.attack} training "
            "examples are available (held-out evaluation prompts are excluded)"
        )
    if not harmful_eval:
        raise ConfigError("no held-out harmful evaluation prompt")
    guard = guard_factory() if guard_factory is not None else None
    system = IDENTITY_SYSTEM if config.attack == "identity-shift" else None
    results = new_results("finetune", model_path, label, device, config.price_per_gpu_hour)
    results["config"] = {**asdict(config), "ns": list(config.ns)}
    results["eval"] = {"harmful": len(harmful_eval), "benign": len(benign_eval), "system": system}
    for n in config.ns:
        if on_step is not None:
            on_step(f"N={n}: training")
        torch.manual_seed(config.seed)
        model, tokenizer = load(model_path, device)
        steps, start = 0, time.perf_counter()
        if n > 0:
            model = _lora(model, config)
            examples = attack_examples(config.attack, harmful_train, benign_train, n)
            steps = train(
                model,
                tokenizer,
                examples,
                epochs=config.epochs,
                lr=config.lr,
                batch_size=config.batch_size,
                seed=config.seed,
            )
        if device == "cuda":
            torch.cuda.synchronize()
        train_s = time.perf_counter() - start
        if on_step is not None:
            on_step(f"N={n}: measuring")
        m = measure(
            model,
            tokenizer,
            harmful_eval,
            benign_eval,
            guard,
            system=system,
            max_new_tokens=config.max_new_tokens,
        )
        results["points"].append(
            {
                "n": n,
                "steps": steps,
                "train_wall_s": round(train_s, 3),
                # from the rounded time, so that the recorded figures agree with each other
                "device_hours": round(gpu_hours(round(train_s, 3)), 8),
                "cost": round(cost(round(train_s, 3), config.price_per_gpu_hour), 8),
                **m.to_dict(),
            }
        )
        del model
    results["device_name"] = device_name(device)
    results["tamper_cost"] = tamper_costs(results["points"])
    return results
