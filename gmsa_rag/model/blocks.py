"""Backbone-agnostic access to a Hugging Face decoder-only model's layer stack.

Llama, Qwen2/3, Mistral and Gemma(2) models in transformers share one shape:
``causal_lm.model`` holds ``embed_tokens``, ``layers`` (a ModuleList of decoder layers that
take ``(hidden, attention_mask, position_ids, position_embeddings)``), ``norm`` and
``rotary_emb``. The encoder and the LSA run a slice of that stack with their own masks.
"""

from __future__ import annotations

import copy

import torch
from peft.tuners.lora import LoraLayer
from torch import nn

from gmsa_rag.errors import BackboneError


def base_model(causal_lm: nn.Module) -> nn.Module:
    """The transformer body (embeddings, layers, final norm) of a causal LM."""
    body = getattr(causal_lm, "model", None)
    for attr in ("embed_tokens", "layers", "norm", "rotary_emb"):
        if body is None or not hasattr(body, attr):
            raise BackboneError(
                f"{type(causal_lm).__name__} does not have the usual decoder layer stack "
                f"(model.{attr} is missing); supported: Llama, Qwen2/3, Mistral, Gemma families"
            )
    return body


def positions_from_mask(mask: torch.Tensor) -> torch.Tensor:
    """Position ids 0..len-1 over the valid tokens of each row (any padding side).

    mask: (b, n) with 1 for real tokens -> (b, n) long.
    """
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


def causal_bias(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Additive attention bias: causal and blind to padding.

    mask: (b, n) -> (b, 1, n, n), 0 where attention is allowed and the dtype's minimum
    elsewhere (finite, so fully padded rows give a uniform softmax, never NaN).
    """
    n = mask.shape[-1]
    causal = torch.ones(n, n, dtype=torch.bool, device=mask.device).tril()  # (n, n)
    allowed = causal[None, :, :] & mask.bool()[:, None, :]  # (b, n, n)
    bias = torch.zeros(allowed.shape, dtype=dtype, device=mask.device)
    bias.masked_fill_(~allowed, torch.finfo(dtype).min)
    return bias[:, None, :, :]


def run_layers(
    layers: nn.ModuleList, rotary_emb: nn.Module, hidden: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Run decoder layers over ``hidden`` with causal attention among valid positions.

    hidden: (b, n, d), mask: (b, n) -> (b, n, d).
    """
    position_ids = positions_from_mask(mask)  # (b, n)
    position_embeddings = rotary_emb(hidden, position_ids)  # (cos, sin), each (b, n, head_dim)
    bias = causal_bias(mask, hidden.dtype)  # (b, 1, n, n)
    for layer in layers:
        out = layer(
            hidden,
            attention_mask=bias,
            position_ids=position_ids,
            position_embeddings=position_embeddings,
        )
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


def share_copy(module: nn.Module, shared: nn.Module) -> nn.Module:
    """Deep-copy ``module``'s structure while reusing every parameter and buffer of ``shared``.

    The copy's modules are new objects (so adapters can be injected into them without
    touching the original), but their weights are the very same tensors: no memory is
    duplicated and frozen base weights stay one copy.
    """
    memo: dict[int, object] = {id(t): t for t in shared.parameters()}
    memo.update({id(t): t for t in shared.buffers()})
    return copy.deepcopy(module, memo)


def cast_copy(module: nn.Module, casts: dict[int, nn.Parameter], dtype: torch.dtype) -> nn.Module:
    """Deep-copy ``module`` with every parameter in ``dtype`` (frozen), for inference.

    ``casts`` maps an original parameter's id to its cast copy and is filled as parameters
    are cast, so copies made with the same ``casts`` share their cast weights (one bf16 copy
    of a backbone serves every decoder made from it). Buffers stay shared and as they are
    (rotary frequencies keep fp32).
    """
    memo: dict[int, object] = {id(b): b for b in module.buffers()}
    for param in module.parameters():
        if id(param) not in casts:
            casts[id(param)] = nn.Parameter(param.detach().to(dtype), requires_grad=False)
        memo[id(param)] = casts[id(param)]
    return copy.deepcopy(module, memo)


def fold_lora(module: nn.Module) -> nn.Module:
    """An inference copy of ``module`` with each LoRA layer merged into its base linear layer
    (W + scale·BA, by PEFT's own ``merge``): one matmul per adapted projection instead of three
    plus the adapter's bookkeeping (32 decode steps of SmolLM2-135M with q/k/v LoRA on its 30
    layers, 2 CPU cores: 1.14-1.19x faster, ``benchmarks/decode_fold.py``). Every other
    parameter and buffer is shared with ``module``; the merged weights are the copy's own, so
    ``module`` and the backbone it shares stay untouched. Returns ``module`` itself when it has
    no LoRA layer.
    """
    if not any(isinstance(m, LoraLayer) for m in module.modules()):
        return module
    folded = share_copy(module, module)  # new modules, the same tensors
    for parent in list(folded.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, LoraLayer):
                base = child.get_base_layer()
                for attr in ("weight", "bias"):  # merge writes in place: into the copy's own tensors
                    if getattr(base, attr, None) is not None:
                        setattr(base, attr, nn.Parameter(getattr(base, attr).detach().clone(), requires_grad=False))
                child.merge(safe_merge=True)
                setattr(parent, name, base)
    return folded.requires_grad_(False).eval()


def linear_names(layers: nn.ModuleList) -> list[str]:
    """Names of the nn.Linear leaves of a decoder layer (q_proj, ..., down_proj)."""
    names = {name.rsplit(".", 1)[-1] for name, mod in layers.named_modules() if isinstance(mod, nn.Linear)}
    return sorted(names)
