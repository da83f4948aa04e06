"""Refusal-direction ablation (after Arditi et al., 2024).

The direction is the difference of mean residual-stream activations at one layer, at the last
prompt token, between harmful and harmless instructions, unit-normalised. It is then removed
either at inference, by forward hooks that project it out of the embeddings' and every decoder
layer's output (``hooks``: any architecture), or from the weights, by orthogonalising every matrix
that writes to the residual stream (``weights``: Llama-style blocks only).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gardefou.errors import ConfigError, ModelError
from gardefou.guard import Guard
from gardefou.tamper._data import Example, Prompt
from gardefou.tamper._deps import require, resolve_device
from gardefou.tamper._lm import MAX_SEQ_TOKENS, load, prompt_text
from gardefou.tamper._measure import measure
from gardefou.tamper._results import device_name, new_results
from gardefou.tamper._stats import cost, gpu_hours

MODES = ("hooks", "weights")
WEIGHT_MODEL_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3"})
"""Architectures whose residual writers are exactly ``o_proj`` and ``down_proj`` (no post-norms)."""


def decoder_layers(model: Any) -> list[Any]:
    """The model's list of decoder blocks (Llama/Gemma/Qwen/Mistral, GPT-2, GPT-NeoX layouts)."""
    root = model.get_base_model() if hasattr(model, "get_base_model") else model
    for path in ("model.layers", "model.language_model.layers", "transformer.h", "gpt_neox.layers"):
        obj = root
        for attr in path.split("."):
            obj = getattr(obj, attr, None)
            if obj is None:
                break
        if obj is not None:
            return list(obj)
    raise ModelError(f"cannot find the decoder layers of {type(root).__name__}")


def mean_activations(
    model: Any, tokenizer: Any, prompts: Sequence[Prompt], layer: int, batch_size: int = 16
) -> Any:
    """Mean hidden state after ``layer`` blocks (0 = embeddings) at the last prompt token."""
    torch = require("torch")
    device = next(model.parameters()).device
    pad = int(tokenizer.pad_token_id)
    total = None
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start : start + batch_size]
        ids_list = [
            tokenizer(prompt_text(tokenizer, Example(p.text, "")), add_special_tokens=False)[
                "input_ids"
            ][-MAX_SEQ_TOKENS:]
            for p in chunk
        ]
        width = max(len(ids) for ids in ids_list)
        ids_t = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, ids in enumerate(ids_list):  # left padding: the last token is at -1
            ids_t[row, width - len(ids) :] = torch.tensor(ids)
            mask[row, width - len(ids) :] = 1
        with torch.no_grad():
            out = model(
                input_ids=ids_t.to(device),
                attention_mask=mask.to(device),
                output_hidden_states=True,
            )
        states = out.hidden_states
        if not 0 <= layer < len(states):
            raise ConfigError(f"--layer must be in 0..{len(states) - 1}, got {layer}")
        last = states[layer][:, -1, :].float().sum(dim=0)
        total = last if total is None else total + last
    if total is None:
        raise ConfigError("no prompt to compute activations on")
    return total / len(prompts)


def refusal_direction(
    model: Any,
    tokenizer: Any,
    harmful: Sequence[Prompt],
    harmless: Sequence[Prompt],
    layer: int,
) -> tuple[Any, float]:
    """The unit refusal direction at ``layer`` and the norm of the raw mean difference."""
    diff = mean_activations(model, tokenizer, harmful, layer) - mean_activations(
        model, tokenizer, harmless, layer
    )
    norm = float(diff.norm())
    if norm == 0.0:
        raise ModelError("harmful and harmless activations are identical: no direction")
    return diff / norm, norm


def _project_out(t: Any, d: Any) -> Any:
    """``t`` minus its component along the unit vector ``d`` (last dimension)."""
    d = d.to(dtype=t.dtype, device=t.device)
    return t - (t @ d).unsqueeze(-1) * d


def add_ablation_hooks(model: Any, direction: Any) -> list[Any]:
    """Project ``direction`` out of the embeddings, every decoder layer's output and every
    residual write inside a layer (see ``residual_writers``).

    Returns the hook handles: call ``.remove()`` on each to undo. A zero direction is an exact
    no-op (``t - 0 * d == t``).
    """

    def hook(_module: Any, _inputs: Any, output: Any) -> Any:
        if isinstance(output, tuple):
            return (_project_out(output[0], direction), *output[1:])
        return _project_out(output, direction)

    modules = [model.get_input_embeddings()]
    for block in decoder_layers(model):
        modules.append(block)
        modules.extend(residual_writers(block))
    return [m.register_forward_hook(hook) for m in modules]


def residual_writers(block: Any) -> list[Any]:
    """The sub-modules of a decoder block whose output is added to the residual stream.

    Hooking them too keeps the mid-block residual (after attention, before the MLP) clean.
    Gemma-style blocks add the outputs of their post-norms; Llama-style ones, of ``self_attn``
    and ``mlp`` (GPT-2: ``attn``).
    """
    names: tuple[str, ...]
    if hasattr(block, "pre_feedforward_layernorm") and hasattr(block, "post_feedforward_layernorm"):
        names = ("post_attention_layernorm", "post_feedforward_layernorm")
    else:
        names = ("self_attn", "attn", "attention", "mlp")
    return [getattr(block, n) for n in names if getattr(block, n, None) is not None]


def orthogonalize_weights(model: Any, direction: Any) -> None:
    """Remove ``direction`` from every residual-stream writer's weights, in place.

    Embeddings (untied from the output head first), attention ``o_proj`` and MLP ``down_proj``.
    """
    torch = require("torch")
    model_type = getattr(model.config, "model_type", "")
    if model_type not in WEIGHT_MODEL_TYPES:
        raise ConfigError(
            f"--mode weights supports {', '.join(sorted(WEIGHT_MODEL_TYPES))}, not {model_type!r}; "
            "use --mode hooks"
        )
    with torch.no_grad():
        emb = model.get_input_embeddings()
        head = model.get_output_embeddings()
        if head is not None and head.weight is emb.weight:
            head.weight = torch.nn.Parameter(emb.weight.detach().clone())
            model.config.tie_word_embeddings = False
        d = direction.to(dtype=emb.weight.dtype, device=emb.weight.device)
        emb.weight -= (emb.weight @ d).unsqueeze(-1) * d
        for block in decoder_layers(model):
            for lin in (block.self_attn.o_proj, block.mlp.down_proj):
                w = lin.weight  # (hidden, in): the output lives in the residual stream
                w -= d.unsqueeze(-1) * (d @ w).unsqueeze(0)
                if lin.bias is not None:
                    lin.bias -= (lin.bias @ d) * d


def default_layer(model: Any) -> int:
    """The middle of the network, where refusal directions are usually clearest."""
    return max(1, len(decoder_layers(model)) // 2)


def ablate(
    model: Any,
    tokenizer: Any,
    harmful: Sequence[Prompt],
    harmless: Sequence[Prompt],
    *,
    layer: int | None = None,
    mode: str = "hooks",
) -> dict[str, Any]:
    """Compute the direction and remove it (``mode`` hooks or weights); returns what was done."""
    if mode not in MODES:
        raise ConfigError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    start = time.perf_counter()
    chosen = default_layer(model) if layer is None else layer
    direction, norm = refusal_direction(model, tokenizer, harmful, harmless, chosen)
    handles: list[Any] = []
    if mode == "hooks":
        handles = add_ablation_hooks(model, direction)
    else:
        orthogonalize_weights(model, direction)
    return {
        "layer": chosen,
        "mode": mode,
        "mean_diff_norm": round(norm, 6),
        "harmful_prompts": len(harmful),
        "harmless_prompts": len(harmless),
        "wall_s": round(time.perf_counter() - start, 3),
        "direction": direction,
        "handles": handles,
    }


def run_ablate(
    model_path: str | Path,
    harmful: Sequence[Prompt],
    harmless: Sequence[Prompt],
    harmful_eval: Sequence[Prompt],
    benign_eval: Sequence[Prompt],
    *,
    layer: int | None = None,
    mode: str = "hooks",
    device: str = "auto",
    guard_factory: Callable[[], Guard] | None = None,
    label: str | None = None,
    price_per_gpu_hour: float = 2.0,
    max_new_tokens: int = 32,
    save_to: str | Path | None = None,
) -> dict[str, Any]:
    """Measure ``model_path``, ablate its refusal direction, measure again: ``results.json`` dict."""
    if not harmful or not harmless:
        raise ConfigError("ablation needs harmful and harmless prompts for the direction")
    if not harmful_eval:
        raise ConfigError("no held-out harmful evaluation prompt")
    dev = resolve_device(device)
    guard = guard_factory() if guard_factory is not None else None
    model, tokenizer = load(model_path, dev)
    results = new_results("ablate", model_path, label, dev, price_per_gpu_hour)
    results["eval"] = {"harmful": len(harmful_eval), "benign": len(benign_eval), "system": None}
    before = measure(
        model, tokenizer, harmful_eval, benign_eval, guard, max_new_tokens=max_new_tokens
    )
    done = ablate(model, tokenizer, harmful, harmless, layer=layer, mode=mode)
    after = measure(
        model, tokenizer, harmful_eval, benign_eval, guard, max_new_tokens=max_new_tokens
    )
    if save_to is not None:
        if mode != "weights":
            raise ConfigError("--save needs --mode weights (hooks do not change the weights)")
        model.save_pretrained(str(save_to))
        tokenizer.save_pretrained(str(save_to))
    wall = float(done["wall_s"])
    results["config"] = {
        "layer": done["layer"],
        "mode": mode,
        "max_new_tokens": max_new_tokens,
        "mean_diff_norm": done["mean_diff_norm"],
        "direction_prompts": {"harmful": len(harmful), "harmless": len(harmless)},
    }
    attack_cost = {
        "steps": 0,
        "train_wall_s": wall,
        "device_hours": round(gpu_hours(wall), 8),
        "cost": round(cost(wall, price_per_gpu_hour), 8),
    }
    results["points"] = [
        {"state": "before", "steps": 0, "train_wall_s": 0.0, "device_hours": 0.0, "cost": 0.0}
        | before.to_dict(),
        {"state": "after", **attack_cost} | after.to_dict(),
    ]
    results["device_name"] = device_name(dev)
    return results
