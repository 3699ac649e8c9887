"""Layer Semantic Alignment: map high-level summary vectors into the decoder's input space.

LSA is a small stack of transformer blocks initialised from the backbone's *first* decoder
layers (plus its final norm): those layers already read input embeddings, so starting from
them bridges the gap between the encoder's last-layer semantics and the decoder's first
layer. It sees the composed summary vectors with its own positions 0..m-1 and a causal mask.

Ablations (paper §4): a plain linear projection, or LSA with random initialisation.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from gmsa_rag.model.blocks import run_layers


class LayerSemanticAlignment(nn.Module):
    """k_LSA decoder blocks + final norm, trained as a unit.

    forward(x (b, m, d), mask (b, m)) -> (b, m, d)
    """

    def __init__(self, body: nn.Module, num_layers: int, random_init: bool = False) -> None:
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(body.layers[i]) for i in range(num_layers))
        self.norm = copy.deepcopy(body.norm)
        self.rotary_emb = body.rotary_emb  # parameter-free; shared with the backbone
        for param in self.parameters():
            param.requires_grad_(True)
        if random_init:
            self._reinitialise(getattr(body.config, "initializer_range", 0.02))

    def _reinitialise(self, std: float) -> None:
        for module in self.layers.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.norm(run_layers(self.layers, self.rotary_emb, x, mask))


class LinearAligner(nn.Module):
    """Ablation: one linear projection instead of LSA (position-wise, no attention)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.proj(x) * mask[..., None].to(x.dtype)
