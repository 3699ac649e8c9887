"""Group merging: exact values, remainders, padding on either side, every rate."""

import math

import pytest
import torch

from gmsa_rag.errors import InputError
from gmsa_rag.model.merging import MemoryTokens, group_merge


def test_exact_values_with_remainder_and_padding():
    # row 0: 5 real tokens (values 1..5) + 2 pads; row 1: 3 real tokens + 4 pads
    hidden = torch.tensor(
        [[1.0, 2, 3, 4, 5, 100, 100], [10.0, 20, 30, 100, 100, 100, 100]]
    )[..., None].repeat(1, 1, 2)
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0]])
    merged, gmask = group_merge(hidden, mask, rate=2)
    assert merged.shape == (2, 3, 2)
    assert gmask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert merged[0, :, 0].tolist() == [1.5, 3.5, 5.0]  # remainder (5) pooled on its own
    assert merged[1, :, 0].tolist() == [15.0, 30.0, 0.0]  # padded group is zero
    assert torch.equal(merged[..., 0], merged[..., 1])


def test_left_and_right_padding_agree():
    torch.manual_seed(0)
    real = torch.randn(7, 3)
    right = torch.cat([real, torch.full((2, 3), 9.0)])[None]
    left = torch.cat([torch.full((2, 3), 9.0), real])[None]
    m_right = torch.tensor([[1] * 7 + [0, 0]])
    m_left = torch.tensor([[0, 0] + [1] * 7])
    for rate in (1, 2, 3, 4, 7, 8):
        a, _ = group_merge(right, m_right, rate)
        b, _ = group_merge(left, m_left, rate)
        assert torch.allclose(a, b, atol=1e-6), rate


@pytest.mark.parametrize("rate", list(range(1, 12)))
def test_every_rate_matches_a_plain_loop(rate):
    torch.manual_seed(rate)
    lengths = [1, 4, 9, 10]
    hidden = torch.randn(len(lengths), 10, 5)
    mask = torch.tensor([[1] * n + [0] * (10 - n) for n in lengths])
    merged, gmask = group_merge(hidden, mask, rate)
    assert merged.shape[1] == math.ceil(max(lengths) / rate)
    for row, n in enumerate(lengths):
        groups = math.ceil(n / rate)
        assert int(gmask[row].sum()) == groups
        for g in range(groups):
            expected = hidden[row, g * rate : min((g + 1) * rate, n)].mean(0)
            assert torch.allclose(merged[row, g], expected, atol=1e-6)


def test_rate_one_is_identity_and_large_rate_is_mean():
    hidden = torch.randn(1, 6, 4)
    mask = torch.ones(1, 6, dtype=torch.long)
    assert torch.allclose(group_merge(hidden, mask, 1)[0], hidden)
    assert torch.allclose(group_merge(hidden, mask, 100)[0][0, 0], hidden[0].mean(0), atol=1e-6)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "4", True])
def test_bad_rates_are_refused(bad):
    with pytest.raises(InputError, match="rate"):
        group_merge(torch.zeros(1, 2, 2), torch.ones(1, 2), bad)


def test_memory_tokens_go_right_after_the_text():
    memory = MemoryTokens(slots=4, dim=2, init_std=1.0)
    embeds = torch.zeros(2, 5, 2)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]])
    out, out_mask, index, slot_mask = memory.append(embeds, mask, rate=2)
    assert index.tolist() == [[5, 6, 7], [2, 3, 4]]
    assert slot_mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    assert out_mask.tolist() == [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0, 0, 0]]
    assert torch.equal(out[1, 2], memory.embeddings[0].detach())
    with pytest.raises(InputError, match="memory tokens"):
        memory.append(torch.zeros(1, 20, 2), torch.ones(1, 20), rate=2)
