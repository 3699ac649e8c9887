"""Turning encoder hidden states into summary vectors.

* :func:`group_merge` is GMSA's Group Merging: the valid positions of each row are split into
  consecutive groups of ``rate`` tokens and each group is mean-pooled; a remainder of
  ``n mod rate`` tokens is pooled into one extra vector, so ``n`` tokens give ``ceil(n/rate)``.
* :class:`MemoryTokens` is the ICAE-style baseline: learned memory embeddings appended after
  the text, whose last hidden states become the summary vectors.
"""

from __future__ import annotations

import torch
from torch import nn

from gmsa_rag.errors import InputError


def check_rate(rate: int) -> int:
    """Validate a compression rate (an integer >= 1) and return it."""
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
        raise InputError(f"compression rate must be an integer >= 1, got {rate!r}")
    return rate


def num_groups(lengths: torch.Tensor, rate: int) -> torch.Tensor:
    """ceil(length / rate) per row. lengths: (b,) -> (b,)."""
    return (lengths + rate - 1) // rate


def group_merge(hidden: torch.Tensor, mask: torch.Tensor, rate: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean-pool consecutive groups of ``rate`` valid tokens.

    hidden: (b, n, d), mask: (b, n) with 1 on real tokens (any padding side).
    Returns merged (b, G, d) with G = max ceil(len/rate), and group_mask (b, G) (1 = real group).
    Padded groups are zero vectors.
    """
    check_rate(rate)
    b, n, d = hidden.shape
    valid = mask.bool()  # (b, n)
    lengths = valid.sum(-1)  # (b,)
    groups = max(int(num_groups(lengths, rate).max().item()), 1) if b else 1
    rank = valid.long().cumsum(-1) - 1  # (b, n) index among valid tokens
    group_id = torch.where(valid, rank // rate, groups)  # (b, n); padding goes to a spill slot
    sums = hidden.new_zeros(b, groups + 1, d)  # (b, G+1, d)
    sums.scatter_add_(1, group_id[..., None].expand(b, n, d), hidden * valid[..., None].to(hidden.dtype))
    counts = torch.zeros(b, groups + 1, dtype=hidden.dtype, device=hidden.device)  # (b, G+1)
    counts.scatter_add_(1, group_id, valid.to(hidden.dtype))
    counts, sums = counts[:, :groups], sums[:, :groups]  # drop the spill slot
    merged = sums / counts.clamp(min=1)[..., None]  # (b, G, d)
    return merged, (counts > 0).long()


class MemoryTokens(nn.Module):
    """ICAE-style learned memory slots (the paper's baseline compressor).

    For a row of ``len`` tokens at rate r, ``ceil(len/r)`` memory embeddings are placed right
    after its last real token; the encoder's hidden states at those slots are the summary.
    """

    def __init__(self, slots: int, dim: int, init_std: float) -> None:
        super().__init__()
        self.embeddings = nn.Parameter(torch.randn(slots, dim) * init_std)  # (slots, d)

    def append(
        self, embeds: torch.Tensor, mask: torch.Tensor, rate: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Insert memory slots after each row's text.

        embeds: (b, n, d) right-padded, mask: (b, n).
        Returns (embeds (b, n+G, d), mask (b, n+G), slot_index (b, G), slot_mask (b, G)).
        """
        check_rate(rate)
        b, n, d = embeds.shape
        lengths = mask.long().sum(-1)  # (b,)
        counts = num_groups(lengths, rate)  # (b,)
        groups = max(int(counts.max().item()), 1)
        if groups > self.embeddings.shape[0]:
            raise InputError(
                f"a chunk needs {groups} memory tokens at rate {rate}, but the model has "
                f"{self.embeddings.shape[0]} (max_memory_tokens); use shorter chunks or a higher rate"
            )
        slot = torch.arange(groups, device=embeds.device)  # (G,)
        slot_mask = (slot[None, :] < counts[:, None]).long()  # (b, G)
        slot_index = lengths[:, None] + slot[None, :]  # (b, G) positions right after the text
        out = torch.cat([embeds, embeds.new_zeros(b, groups, d)], dim=1)  # (b, n+G, d)
        memory = self.embeddings[:groups].to(embeds.dtype)[None].expand(b, groups, d)
        memory = memory * slot_mask[..., None].to(embeds.dtype)
        out = out.scatter(1, slot_index[..., None].expand(b, groups, d), memory)
        out_mask = torch.cat([mask.long(), mask.new_zeros(b, groups).long()], dim=1)
        out_mask = out_mask.scatter(1, slot_index, slot_mask)
        return out, out_mask, slot_index, slot_mask

    @staticmethod
    def gather(hidden: torch.Tensor, slot_index: torch.Tensor, slot_mask: torch.Tensor) -> torch.Tensor:
        """hidden: (b, n+G, d) -> the slots' states (b, G, d), zero where slot_mask is 0."""
        d = hidden.shape[-1]
        picked = hidden.gather(1, slot_index[..., None].expand(*slot_index.shape, d))
        return picked * slot_mask[..., None].to(hidden.dtype)
