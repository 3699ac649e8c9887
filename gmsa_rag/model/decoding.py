"""Prefill and decode steps over a Hugging Face causal LM fed with input embeddings.

Kept apart from the GMSA model so the same loop serves the compressed path (soft tokens +
prompt), the full-text baseline and closed-book answers.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

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


class GrowingLayer(DynamicLayer):
    """A :class:`DynamicLayer` that keeps spare room behind its keys and values and writes new
    ones into it, where DynamicLayer concatenates: a decode step then copies one position per
    layer, not the whole cache (32 decode steps on 2 CPU cores, SmolLM2-135M fp32: 4% faster
    after 480 cached positions, 11% after 1,800). :attr:`keys` / :attr:`values` are views of the filled part,
    so everything that reads or replaces them (select, crop, join) works as before; a layer
    whose keys were replaced copies them into a new buffer at its next update.

    Buffers: (b, heads, capacity, head_dim); room: positions reserved beyond the first update.
    """

    def __init__(self, room: int = 0) -> None:
        super().__init__()
        self.room = room
        self._key_buffer: torch.Tensor | None = None
        self._value_buffer: torch.Tensor | None = None

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        length, new = self.get_seq_length(), key_states.shape[-2]
        needed = length + new
        if not self._writable(key_states, needed):
            room = self.room if self._key_buffer is None else max(64, needed // 2)
            self._key_buffer = self._grown(self.keys, key_states, needed + room)
            self._value_buffer = self._grown(self.values, value_states, needed + room)
        self._key_buffer[:, :, length:needed] = key_states
        self._value_buffer[:, :, length:needed] = value_states
        self.keys = self._key_buffer[:, :, :needed]
        self.values = self._value_buffer[:, :, :needed]
        return self.keys, self.values

    def _writable(self, states: torch.Tensor, needed: int) -> bool:
        """Whether the buffers still hold :attr:`keys` (nobody replaced them) and have room."""
        buffer = self._key_buffer
        return (
            buffer is not None
            and needed <= buffer.shape[-2]
            and self.keys.data_ptr() == buffer.data_ptr()
            and self.values.data_ptr() == self._value_buffer.data_ptr()
            and self.keys.shape[:2] == states.shape[:2]
        )

    @staticmethod
    def _grown(filled: torch.Tensor, like: torch.Tensor, capacity: int) -> torch.Tensor:
        """A new buffer (b, heads, capacity, head_dim) starting with ``filled``'s positions."""
        buffer = like.new_empty(*like.shape[:2], capacity, like.shape[-1])
        if filled.numel():
            buffer[:, :, : filled.shape[-2]] = filled
        return buffer

    def cast(self, dtype: torch.dtype) -> None:
        """Hold keys and values in ``dtype`` from now on, keeping the spare room."""
        if self._key_buffer is None:
            self.keys, self.values = self.keys.to(dtype), self.values.to(dtype)
            return
        length = self.get_seq_length()
        self._key_buffer, self._value_buffer = self._key_buffer.to(dtype), self._value_buffer.to(dtype)
        self.keys, self.values = self._key_buffer[:, :, :length], self._value_buffer[:, :, :length]

    def reset(self) -> None:
        self._key_buffer = self._value_buffer = None
        super().reset()


def _new_cache(model: nn.Module, room: int = 0) -> DynamicCache:
    """An empty KV cache whose full-attention layers are :class:`GrowingLayer` s with ``room``
    spare positions (sliding-window layers stay as transformers makes them)."""
    try:
        cache = DynamicCache(config=model.config)
    except TypeError:  # older transformers
        return DynamicCache()
    cache.layers = [GrowingLayer(room) if type(layer) is DynamicLayer else layer for layer in cache.layers]
    return cache


def _cast_cache(cache: DynamicCache, dtype: torch.dtype) -> None:
    """Every filled layer's keys and values in ``dtype`` (a bf16 prefill's cache, for fp32 steps)."""
    for layer in cache.layers:
        if isinstance(layer, GrowingLayer):
            layer.cast(dtype)
        elif layer.is_initialized:
            layer.keys, layer.values = layer.keys.to(dtype), layer.values.to(dtype)


def _last_position(embeds: torch.Tensor) -> torch.Tensor:
    """``logits_to_keep`` for the last position only, as an index: (1,) long.

    The integer form (``1``) slices the hidden states into a (b, 1, d) view that keeps the
    sequence's strides, which ``torch.matmul`` cannot fold into one matrix product; it falls
    back to a batched product over a copy of the transposed output embedding (49152 x 576 for
    the built-in backbone) at every prefill, ~0.1 s in bf16 on CPU. Indexing gathers a compact
    (b, 1, d) tensor instead; the logits are the same.
    """
    return torch.tensor([embeds.shape[1] - 1], device=embeds.device)


class Decoder:
    """Greedy/sampled decoding with a KV cache over one causal LM.

    ``prefill_model``, when given, is a copy of ``model`` in another precision (a bf16 twin)
    that runs the prefill; its KV cache is then cast to ``model``'s dtype for the decode steps.
    """

    def __init__(self, model: nn.Module, eos_token_ids: set[int], prefill_model: nn.Module | None = None) -> None:
        self.model = model
        self.prefill_model = prefill_model if prefill_model is not None else model
        self.eos_token_ids = eos_token_ids
        self._cache_name = _cache_kwarg(model)

    @property
    def batches_join(self) -> bool:
        """Whether :class:`DecodeBatch` es of this decoder can :meth:`~DecodeBatch.join`: its KV
        cache holds plain growing layers only (no sliding window)."""
        return all(type(layer) in (DynamicLayer, GrowingLayer) for layer in _new_cache(self.model).layers)

    def prefill(self, embeds: torch.Tensor, mask: torch.Tensor, room: int = 0) -> tuple[torch.Tensor, DynamicCache]:
        """Run the whole prefix at once; the cache keeps ``room`` positions spare for decoding.

        embeds: (b, T, d) left-padded, mask: (b, T) -> next-token logits (b, V) and the filled cache.
        """
        cache = _new_cache(self.prefill_model, room)
        out = self.prefill_model(
            inputs_embeds=embeds.to(self.prefill_model.dtype),
            attention_mask=mask,
            position_ids=positions_from_mask(mask),
            use_cache=True,
            logits_to_keep=_last_position(embeds),
            **{self._cache_name: cache},
        )
        if self.prefill_model is not self.model:
            _cast_cache(cache, self.model.dtype)
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

        Rows that finished keep yielding EOS so shapes stay aligned (:class:`DecodeBatch` lets
        them leave instead).
        """
        batch = DecodeBatch(self, embeds, mask, params, generator)
        done = torch.zeros(batch.size, dtype=torch.bool, device=embeds.device)
        eos = next(iter(self.eos_token_ids)) if self.eos_token_ids else 0
        while True:
            tokens = batch.next_tokens()  # (b,)
            tokens = torch.where(done, torch.full_like(tokens, eos), tokens)
            if not params.ignore_eos:
                done |= is_eos(tokens, self.eos_token_ids)
            yield tokens
            if bool(done.all()) or batch.exhausted:
                return
            batch.advance(tokens)


class DecodeBatch:
    """Rows decoded together: one prefill, then one decode step per token for the rows still
    running. Rows leave with :meth:`keep` (finished, or their caller went away); the KV cache,
    mask and logits shrink with them, so a finished row costs nothing afterwards.

        batch = DecodeBatch(decoder, embeds, mask, params)   # prefill
        tokens = batch.next_tokens()                          # (b,)
        batch.keep(rows); batch.advance(tokens[rows])         # one step for the rows kept
    """

    def __init__(self, decoder: Decoder, embeds: torch.Tensor, mask: torch.Tensor, params: SamplingParams,
                 generator: torch.Generator | None = None) -> None:
        self.decoder, self.params, self.generator = decoder, params, generator
        self.logits, self.cache = decoder.prefill(embeds, mask, room=params.max_new_tokens)  # (b, V)
        self.mask = mask  # (b, T)
        self.steps = 0  # tokens picked so far, per row

    @property
    def size(self) -> int:
        return self.mask.shape[0]

    @property
    def exhausted(self) -> bool:
        """Every row has had its ``max_new_tokens``."""
        return self.steps >= self.params.max_new_tokens

    def next_tokens(self) -> torch.Tensor:
        """The next token of every row, (b,) long."""
        self.steps += 1
        return pick_tokens(self.logits, self.params, self.generator)

    def keep(self, rows: Sequence[int]) -> None:
        """Keep only these rows (indices into the current batch, in order)."""
        if list(rows) == list(range(self.size)):
            return
        index = torch.tensor(list(rows), dtype=torch.long, device=self.mask.device)
        self.cache.batch_select_indices(index)
        self.mask, self.logits = self.mask[index], self.logits[index]

    def advance(self, tokens: torch.Tensor) -> None:
        """Feed each row its token (b,) and compute the next logits."""
        self.mask = torch.cat([self.mask, self.mask.new_ones(self.size, 1)], dim=1)
        self.logits = self.decoder.decode_step(tokens, self.mask, self.cache)

    @property
    def joinable(self) -> bool:
        """Whether other rows can :meth:`join`: every cache layer a plain growing one (not a
        sliding window, whose padding would shift what it keeps)."""
        return all(type(layer) in (DynamicLayer, GrowingLayer) and layer.is_initialized for layer in self.cache.layers)

    def join(self, *others: "DecodeBatch") -> None:
        """Append the rows of ``others`` (prefilled apart, same decoder) after this batch's,
        between two steps. Shorter KV caches and masks are padded on the left; the mask hides
        the padding and positions come from the mask, so no row's tokens change."""
        batches = (self, *others)
        if not all(batch.joinable for batch in batches):
            raise ValueError("only batches with plain dynamic KV caches can join")
        length = max(batch.mask.shape[1] for batch in batches)
        for layers in zip(*(batch.cache.layers for batch in batches)):  # keys/values: (b, heads, T, d)
            mine = layers[0]
            mine.keys = torch.cat([_left_pad(layer.keys, length, -2) for layer in layers])
            mine.values = torch.cat([_left_pad(layer.values, length, -2) for layer in layers])
        self.mask = torch.cat([_left_pad(batch.mask, length, -1) for batch in batches])
        self.logits = torch.cat([batch.logits for batch in batches])


def _left_pad(x: torch.Tensor, length: int, dim: int) -> torch.Tensor:
    """Zeros in front along ``dim`` (-1 or -2) up to ``length``."""
    missing = length - x.shape[dim]
    if missing == 0:
        return x
    pad = (missing, 0) if dim == -1 else (0, 0, missing, 0)
    return torch.nn.functional.pad(x, pad)


class IncrementalText:
    """Token ids in, text pieces out, as a stream shows them: each piece is what the decoded
    text gained; an incomplete multi-byte character is held back until it is whole."""

    def __init__(self, detokenize: Callable[[Sequence[int]], str]) -> None:
        self._detokenize = detokenize
        self.ids: list[int] = []
        self._shown = ""

    def add(self, token: int) -> str:
        """Append a token; the new text ("" when none yet)."""
        self.ids.append(token)
        text = self._detokenize(self.ids)
        if text.endswith("\ufffd"):
            return ""
        return self._show(text)

    def finish(self) -> str:
        """Whatever is still held back."""
        return self._show(self._detokenize(self.ids))

    def _show(self, text: str) -> str:
        if len(text) <= len(self._shown):
            return ""
        piece, self._shown = text[len(self._shown) :], text
        return piece


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
