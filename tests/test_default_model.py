"""The shipped default model on the real built-in backbone, loaded with the network blocked."""

import socket

import pytest
import torch

from gmsa_rag.documents import SAMPLE_DIR, chunk_text
from gmsa_rag.model import GMSAModel, SamplingParams


@pytest.fixture(scope="module")
def model():
    real_connect = socket.socket.connect

    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    socket.socket.connect = refuse
    try:
        yield GMSAModel.from_pretrained("default").eval()
    finally:
        socket.socket.connect = real_connect


@pytest.fixture(scope="module")
def chunks(model):
    return chunk_text((SAMPLE_DIR / "alain_connes.txt").read_text(), model.tokenizer, max_tokens=96)


def test_the_default_model_is_bound_to_the_builtin_backbone(model):
    assert model.config.backbone == "smollm2-135m-instruct"
    assert model.config.rates == (4, 8)
    assert len(model.fingerprint()) == 32


def test_greedy_streaming_equals_generate_on_the_real_model(model, chunks):
    context = [v.vectors[4] for v in model.compress(chunks)]
    params = SamplingParams(max_new_tokens=24)
    whole = model.generate(["Who is Alain Connes?"], [context], params)[0]
    pieces = list(model.stream("Who is Alain Connes?", context, params))
    assert whole and "".join(pieces) == whole


def test_cached_chunks_equal_a_fresh_batch_on_the_real_model(model, chunks):
    cached = [model.compress([c])[0].vectors[8] for c in chunks]  # each chunk on its own
    batched = [v.vectors[8] for v in model.compress(chunks)]  # one padded batch
    for a, b in zip(cached, batched):
        assert torch.allclose(a, b, atol=1e-4)
    assert torch.allclose(model.soft_tokens(cached), model.soft_tokens(batched), atol=1e-4)
