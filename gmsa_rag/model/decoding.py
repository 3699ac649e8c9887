"""Prefill and decode steps over a Hugging Face causal LM fed with input embeddings.

Kept apart from the GMSA model so the same loop serves the compressed path (soft tokens +
prompt), the full-text baseline and closed-book answers.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn
from transformers import DynamicCache

from gmsa_rag.errors import InputError
from gmsa_rag.model.blocks import positions_from_mask


@dataclass(frozen=True)
class SamplingParams:
    """How to pick tokens, in `generate`'s vocabulary."""

    max_new_tokens: int = 64
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    ignore_eos: bool = False  # decode exactly max_new_tokens (for timing)

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise InputError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.do_sample and not self.temperature > 0:
            raise InputError(f"temperature must be > 0 when sampling, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise InputError(f"top_p must be in (0, 1], got {self.top_p}")


def _cache_kwarg(model: nn.Module) -> str:
    """transformers renamed ``past_key_values`` to ``cache`` in 5.2x; accept both."""
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _new_cache(model: nn.Module) -> DynamicCache:
    try:
        return DynamicCache(config=model.config)
    except TypeError:  # older transformers
        return DynamicCache()


class Decoder:
    """Greedy/sampled decoding with a KV cache over one causal LM."""

    def __init__(self, model: nn.Module, eos_token_ids: set[int]) -> None:
        self.model = model
        self.eos_token_ids = eos_token_ids
        self._cache_name = _cache_kwarg(model)

    def prefill(self, embeds: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, DynamicCache]:
        """Run the whole prefix at once.

        embeds: (b, T, d) left-padded, mask: (b, T) -> next-token logits (b, V) and the filled cache.
        """
        cache = _new_cache(self.model)
        out = self.model(
            inputs_embeds=embeds,
            attention_mask=mask,
            position_ids=positions_from_mask(mask),
            use_cache=True,
            logits_to_keep=1,
            **{self._cache_name: cache},
        )
        return out.logits[:, -1, :].float(), cache

    def decode_step(self, tokens: torch.Tensor, mask: torch.Tensor, cache: DynamicCache) -> torch.Tensor:
        """One token per row. tokens: (b,), mask: (b, T+1) including the new token -> logits (b, V)."""
        position_ids = (mask.long().sum(-1, keepdim=True) - 1).clamp(min=0)  # (b, 1)
        out = self.model(
            input_ids=tokens[:, None],
            attention_mask=mask,
            position_ids=position_ids,
            use_cache=True,
            **{self._cache_name: cache},
        )
        return out.logits[:, -1, :].float()

    def iterate(
        self, embeds: torch.Tensor, mask: torch.Tensor, params: SamplingParams, generator: torch.Generator | None = None
    ) -> Iterator[torch.Tensor]:
        """Yield the next token of every row, (b,) long, until all rows hit EOS or the budget.

        Rows that finished keep yielding EOS so shapes stay aligned.
        """
        logits, cache = self.prefill(embeds, mask)
        b = embeds.shape[0]
        done = torch.zeros(b, dtype=torch.bool, device=embeds.device)
        eos = next(iter(self.eos_token_ids)) if self.eos_token_ids else 0
        for step in range(params.max_new_tokens):
            tokens = pick_tokens(logits, params, generator)  # (b,)
            tokens = torch.where(done, torch.full_like(tokens, eos), tokens)
            if not params.ignore_eos:
                done |= is_eos(tokens, self.eos_token_ids)
            yield tokens
            if bool(done.all()) or step == params.max_new_tokens - 1:
                return
            mask = torch.cat([mask, mask.new_ones(b, 1)], dim=1)
            logits = self.decode_step(tokens, mask, cache)


def is_eos(tokens: torch.Tensor, eos_token_ids: set[int]) -> torch.Tensor:
    """(b,) -> (b,) bool."""
    if not eos_token_ids:
        return torch.zeros_like(tokens, dtype=torch.bool)
    ids = torch.tensor(sorted(eos_token_ids), device=tokens.device)
    return torch.isin(tokens, ids)


def pick_tokens(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator | None) -> torch.Tensor:
    """logits (b, V) -> tokens (b,): argmax, or nucleus sampling at a temperature."""
    if not params.do_sample:
        return logits.argmax(-1)
    probs = torch.softmax(logits / params.temperature, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        keep = sorted_probs.cumsum(-1) - sorted_probs < params.top_p  # always keeps the top token
        sorted_probs = sorted_probs * keep
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]
