"""The refusal direction and its removal (after Arditi et al., 2024), with an affine variant.

Layer ``l`` is the residual stream entering decoder block ``l`` (0 = the embeddings' output;
``l = n_layers`` = the last block's output, before the final norm). The direction at ``l`` is
``mean(harmful) - mean(harmless)`` of those activations at the last prompt token (the
post-instruction position where the assistant turn starts), unit-normalised: ``r``.

- ``directional`` (the paper): ``x <- x - r r^T x`` at every layer and position: hooks on the
  embeddings, every block's output and every sub-layer write to the residual stream (attention
  and MLP outputs, or Gemma's post-norms). Hooking both a block and its writers is harmless: the
  projection is idempotent, so once the writes carry nothing along ``r`` the block-output hook is
  the identity. In the weights (``mode="weights"``, Llama-style blocks): the embeddings, every
  ``o_proj`` and ``down_proj`` are orthogonalised, ``W <- W - r r^T W``: the same model.
- ``affine`` (after Marshall et al., 2024, "Refusal in LLMs: an affine function"):
  ``x <- x - r (r^T x - c)`` at layer ``l`` only, every position, with ``c = r^T mean(harmless)``:
  the component is set to the harmless mean's rather than to 0. Directional ablation assumes
  that harmless activations sit near 0 along ``r`` (refusal is a feature *added* for harmful
  prompts). When the model instead learnt an *answer* feature that harmful prompts lack (the
  README toy: harmless -7.4, harmful -1.1 along ``r``), 0 lies on the harmful side and the
  ablated model refuses everything; and holding every layer at ``c`` garbles the text, since
  ``c`` is the value at the assistant token only. Hooks only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gardefou.errors import ConfigError, ModelError
from gardefou.tamper._data import Example, Prompt
from gardefou.tamper._deps import require
from gardefou.tamper._lm import MAX_SEQ_TOKENS, prompt_text

METHODS = ("directional", "affine")
WEIGHT_MODEL_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3"})
"""Architectures whose residual writers are exactly ``o_proj`` and ``down_proj`` (no post-norms)."""


@dataclass(frozen=True)
class Direction:
    """A unit refusal direction at one layer and where both prompt sets sit along it."""

    layer: int
    vector: Any
    norm: float
    """Norm of the raw mean difference (0 would mean no direction)."""
    harmful_proj: float
    harmless_proj: float
    """Mean projection of the harmless activations: the affine method's reference ``c``."""

    def reference(self, method: str) -> float:
        """The value the stream's component along the direction is set to."""
        if method not in METHODS:
            raise ConfigError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
        return self.harmless_proj if method == "affine" else 0.0


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


def residual_writers(block: Any) -> list[Any]:
    """The sub-modules of a decoder block whose output is added to the residual stream.

    Gemma-style blocks add the outputs of their post-norms; Llama-style ones, of ``self_attn``
    and ``mlp`` (GPT-2: ``attn``).
    """
    names: tuple[str, ...]
    if hasattr(block, "pre_feedforward_layernorm") and hasattr(block, "post_feedforward_layernorm"):
        names = ("post_attention_layernorm", "post_feedforward_layernorm")
    else:
        names = ("self_attn", "attn", "attention", "mlp")
    return [getattr(block, n) for n in names if getattr(block, n, None) is not None]


def _stream_modules(model: Any) -> list[Any]:
    """Module whose output is the residual stream at layer ``i`` (embeddings, then blocks)."""
    return [model.get_input_embeddings(), *decoder_layers(model)]


def last_token_activations(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Prompt],
    layers: Sequence[int],
    batch_size: int = 16,
) -> dict[int, Any]:
    """Residual stream at each of ``layers`` at the last prompt token: ``{layer: (n, hidden)}``."""
    torch = require("torch")
    modules = _stream_modules(model)
    for layer in layers:
        if not 0 <= layer < len(modules):
            raise ConfigError(f"--layer must be in 0..{len(modules) - 1}, got {layer}")
    if not prompts:
        raise ConfigError("no prompt to compute activations on")
    device = next(model.parameters()).device
    pad = int(tokenizer.pad_token_id)
    captured: dict[int, list[Any]] = {layer: [] for layer in layers}

    def capture(layer: int) -> Any:
        def hook(_module: Any, _inputs: Any, output: Any) -> None:
            t = output[0] if isinstance(output, tuple) else output
            captured[layer].append(t[:, -1, :].detach().float().cpu())

        return hook

    handles = [modules[layer].register_forward_hook(capture(layer)) for layer in layers]
    try:
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
                model(input_ids=ids_t.to(device), attention_mask=mask.to(device))
    finally:
        for h in handles:
            h.remove()
    return {layer: torch.cat(chunks) for layer, chunks in captured.items()}


def refusal_directions(
    model: Any,
    tokenizer: Any,
    harmful: Sequence[Prompt],
    harmless: Sequence[Prompt],
    layers: Sequence[int],
) -> dict[int, Direction]:
    """The refusal direction at each of ``layers`` (one forward pass per prompt set)."""
    acts_h = last_token_activations(model, tokenizer, harmful, layers)
    acts_b = last_token_activations(model, tokenizer, harmless, layers)
    out: dict[int, Direction] = {}
    for layer in layers:
        diff = acts_h[layer].mean(dim=0) - acts_b[layer].mean(dim=0)
        norm = float(diff.norm())
        if norm == 0.0:
            continue  # e.g. layer 0: the last token is the same for every prompt
        unit = diff / norm
        out[layer] = Direction(
            layer,
            unit,
            norm,
            float((acts_h[layer] @ unit).mean()),
            float((acts_b[layer] @ unit).mean()),
        )
    if not out:
        raise ModelError("harmful and harmless activations are identical: no direction")
    return out


def refusal_direction(
    model: Any, tokenizer: Any, harmful: Sequence[Prompt], harmless: Sequence[Prompt], layer: int
) -> Direction:
    """The refusal direction at one layer."""
    return refusal_directions(model, tokenizer, harmful, harmless, [layer])[layer]


def _set_component(t: Any, d: Any, value: float) -> Any:
    """``t`` with its component along the unit vector ``d`` set to ``value`` (last dimension)."""
    d = d.to(dtype=t.dtype, device=t.device)
    return t - ((t @ d) - value).unsqueeze(-1) * d


def _hook(direction: Any, value: float) -> Any:
    def hook(_module: Any, _inputs: Any, output: Any) -> Any:
        if isinstance(output, tuple):
            return (_set_component(output[0], direction, value), *output[1:])
        return _set_component(output, direction, value)

    return hook


def add_ablation_hooks(model: Any, direction: Any) -> list[Any]:
    """Directional ablation at every layer and position: ``x <- x - r r^T x`` on the embeddings'
    output, every block's output and every residual write inside a block (``residual_writers``).

    Returns the handles: ``.remove()`` each to undo. A zero direction is an exact no-op.
    """
    hook = _hook(direction, 0.0)
    modules = _stream_modules(model)
    for block in decoder_layers(model):
        modules += residual_writers(block)
    return [m.register_forward_hook(hook) for m in modules]


def add_affine_hook(model: Any, direction: Any, layer: int, reference: float) -> list[Any]:
    """Affine edit at one layer, every position: the component of the residual stream entering
    block ``layer`` is set to ``reference``. Returns the handle (in a list, as above); a zero
    direction is an exact no-op."""
    modules = _stream_modules(model)
    if not 0 <= layer < len(modules):
        raise ConfigError(f"--layer must be in 0..{len(modules) - 1}, got {layer}")
    return [modules[layer].register_forward_hook(_hook(direction, reference))]


def orthogonalize_weights(model: Any, direction: Any) -> None:
    """Directional ablation in the weights, in place: the embeddings (untied from the output
    head first), attention ``o_proj`` and MLP ``down_proj`` stop writing along ``direction``."""
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


def apply(model: Any, direction: Direction, method: str, mode: str) -> list[Any]:
    """Remove ``direction`` by ``method`` (directional / affine) in ``mode`` (hooks / weights);
    returns the hook handles (none in weights mode)."""
    if method not in METHODS:
        raise ConfigError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if mode == "weights":
        if method != "directional":
            raise ConfigError("--mode weights supports --method directional only")
        orthogonalize_weights(model, direction.vector)
        return []
    if method == "directional":
        return add_ablation_hooks(model, direction.vector)
    return add_affine_hook(model, direction.vector, direction.layer, direction.harmless_proj)
