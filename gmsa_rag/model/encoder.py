"""The GMSA encoder: the backbone's first k layers with LoRA on every linear layer.

The encoder's modules are copies of the backbone's first k layers that *share* their base
weights with the backbone (see :func:`share_copy`), so the LoRA adapters live in the encoder
alone: the decoder never needs adapters switched off, and two threads can encode and decode
at once. Token embeddings and the final norm are the backbone's own, frozen.
"""

from __future__ import annotations

import torch
from peft import LoraConfig, inject_adapter_in_model
from torch import nn

from gmsa_rag.model.blocks import linear_names, run_layers, share_copy


class Encoder(nn.Module):
    """forward(input_ids (b, n), mask (b, n)) -> last hidden state after the final norm (b, n, d)."""

    def __init__(self, body: nn.Module, num_layers: int, lora_r: int, lora_alpha: int, lora_dropout: float) -> None:
        super().__init__()
        self.layers = share_copy(nn.ModuleList(body.layers[:num_layers]), body)
        self.embed_tokens = body.embed_tokens  # frozen, shared
        self.norm = body.norm  # frozen, shared
        self.rotary_emb = body.rotary_emb
        if lora_r > 0:
            config = LoraConfig(
                r=lora_r,
                lora_alpha=lora_alpha,
                lora_dropout=lora_dropout,
                target_modules=linear_names(self.layers),
                bias="none",
            )
            inject_adapter_in_model(config, self.layers, adapter_name="encoder")

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(b, n) -> (b, n, d), with the backbone's own embedding scale (e.g. Gemma's sqrt(d))."""
        return self.embed_tokens(input_ids)

    def forward_embeds(self, embeds: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """embeds (b, n, d), mask (b, n) -> (b, n, d)."""
        return self.norm(run_layers(self.layers, self.rotary_emb, embeds, mask))

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.forward_embeds(self.embed(input_ids), mask)
