"""evaluate_reconstruction on a tiny random model, and reading its JSONL input."""

from __future__ import annotations

import json
import math

import pytest

from gmsa_rag.config import GMSAConfig
from gmsa_rag.errors import InputError
from gmsa_rag.evaluation.reconstruction import ReconstructionResult, evaluate_reconstruction, read_texts_jsonl
from gmsa_rag.model import AUTOENCODER_PROMPT, GMSAModel
from tiny import WORDS, tiny_backbone

TEXTS = [
    "the king of france was born in paris in the first year . he was a great king",
    "rome is the capital of italy and the river is old",
    "music and film in london were new",
]


@pytest.fixture(scope="module")
def model() -> GMSAModel:
    lm, tokenizer = tiny_backbone("llama")
    config = GMSAConfig(backbone="tiny", encoder_layers=2, lora_r=4, lora_alpha=8, rates=(4, 8))
    return GMSAModel(config, lm, tokenizer).eval()


def decoded(model: GMSAModel, text: str) -> str:
    return model.tokenizer.decode(model.tokenizer(text, add_special_tokens=False)["input_ids"])


def test_texts_use_tiny_words():
    assert all(word in WORDS for text in TEXTS for word in text.split())


def test_result_fields(model):
    result = evaluate_reconstruction(model, TEXTS, rate=4, max_new_tokens=12, progress=False)
    assert isinstance(result, ReconstructionResult)
    assert result.n == result.scores.n == 3
    assert (result.rate, result.max_tokens, result.max_new_tokens, result.role) == (4, 128, 12, "restate")
    assert result.model == model.fingerprint()
    assert len(result.predictions) == len(result.examples) == 3
    # references are the texts' tokens decoded back ("year ." -> "year."); nothing truncated here
    assert result.references == [decoded(model, t) for t in TEXTS]
    assert all(isinstance(p, str) for p in result.predictions)
    assert 0.0 <= result.scores.bleu <= 100.0
    for value in (result.scores.rouge_l, result.scores.prefix_em, result.scores.prefix_ratio, result.scores.exact):
        assert 0.0 <= value <= 1.0
    for example, text in zip(result.examples, TEXTS):
        assert example.num_tokens == len(text.split())
        assert example.soft_tokens == math.ceil(example.num_tokens / 4)
        assert 0.0 <= example.rouge_l <= 1.0 and 0.0 <= example.prefix_ratio <= 1.0
    assert result.compression_seconds >= 0 and result.generation_seconds > 0

    d = result.to_dict()
    json.dumps(d)
    for key in ("n", "bleu", "rouge_l", "prefix_em", "prefix_tokens", "rate", "model", "timing"):
        assert key in d
    assert "predictions" not in d
    full = result.to_dict(predictions=True)
    assert [p["prediction"] for p in full["predictions"]] == result.predictions
    json.dumps(full)


def test_default_max_new_tokens_and_truncation(model):
    result = evaluate_reconstruction(model, TEXTS, rate=8, max_tokens=5, batch_size=2, progress=False)
    assert result.max_new_tokens == 5 + 8
    assert result.references == [" ".join(t.split()[:5]) for t in TEXTS]
    assert [e.num_tokens for e in result.examples] == [5, 5, 5]
    assert [e.soft_tokens for e in result.examples] == [1, 1, 1]


def test_perfect_restatement_scores_top_and_keeps_order(model, monkeypatch):
    """Wiring check: a decoder that restates exactly gets BLEU 100, prefix-EM 1, in input order."""
    seen: dict[int, str] = {}
    compress = model.compress

    def recording_compress(texts, rates=None, batch_size=16):
        chunks = compress(texts, rates=rates, batch_size=batch_size)
        for text, chunk in zip(texts, chunks):
            seen[id(chunk.vectors[rates[0]])] = text
        return chunks

    def echo_generate(prompts, contexts, params, *, role="answer", generator=None):
        assert prompts == [AUTOENCODER_PROMPT] * len(contexts) and role == "restate"
        assert all(len(ctx) == 1 for ctx in contexts)
        return [seen[id(ctx[0])] for ctx in contexts]

    monkeypatch.setattr(model, "compress", recording_compress)
    monkeypatch.setattr(model, "generate", echo_generate)
    result = evaluate_reconstruction(model, TEXTS * 2, rate=4, batch_size=4, progress=False)
    assert result.predictions == result.references == [decoded(model, t) for t in TEXTS * 2]
    assert result.scores.bleu == pytest.approx(100.0)
    assert result.scores.rouge_l == result.scores.prefix_em == result.scores.exact == 1.0


def test_batching_and_train_mode_do_not_change_predictions(model):
    one = evaluate_reconstruction(model, TEXTS, rate=4, max_new_tokens=8, batch_size=1, progress=False)
    model.train()  # dropout would make predictions random; the evaluation runs in eval mode
    try:
        batched = evaluate_reconstruction(model, TEXTS, rate=4, max_new_tokens=8, batch_size=16, progress=False)
        assert model.training and model.encoder.training  # the caller's mode is restored
    finally:
        model.eval()
    assert batched.predictions == one.predictions


def test_bad_arguments(model):
    with pytest.raises(InputError):
        evaluate_reconstruction(model, [], rate=4, progress=False)
    with pytest.raises(InputError, match="rate"):
        evaluate_reconstruction(model, TEXTS, rate=0, progress=False)
    with pytest.raises(InputError, match="max_tokens"):
        evaluate_reconstruction(model, TEXTS, rate=4, max_tokens=model.config.max_chunk_tokens + 1, progress=False)
    with pytest.raises(InputError, match="text 1"):
        evaluate_reconstruction(model, [TEXTS[0], "  "], rate=4, progress=False)


# ------------------------------------------------------------------ read_texts_jsonl


def test_read_texts_jsonl(tmp_path):
    path = tmp_path / "texts.jsonl"
    path.write_text("\n".join(json.dumps({"text": t, "id": i}) for i, t in enumerate(TEXTS)) + "\n\n")
    assert read_texts_jsonl(path) == TEXTS
    assert read_texts_jsonl(str(path), limit=2) == TEXTS[:2]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"text": "ok"}\n{"text": "broken\n', r":2: not valid JSON"),
        ('{"text": "ok"}\n{"body": "x"}\n', r":2: missing keys \['text'\]"),
        ('["text"]\n', r":1: expected a JSON object"),
        ('{"text": ""}\n', r":1: 'text' must be a non-empty string"),
        ('{"text": 3}\n', r":1: 'text' must be a non-empty string"),
        ("", "no records"),
        ("\n  \n", "no records"),
    ],
)
def test_read_texts_jsonl_errors(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_texts_jsonl(path)


def test_read_texts_jsonl_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_texts_jsonl(tmp_path / "absent.jsonl")


def test_restates_with_the_decoder_stage_1_trained(monkeypatch):
    """Restating decodes with the "restate" decoder unless told otherwise; a bad role is refused."""
    lm, tokenizer = tiny_backbone("llama")
    config = GMSAConfig(backbone="tiny", encoder_layers=2, lora_r=4, lora_alpha=8, rates=(4,), decoder_adapter="lora")
    model = GMSAModel(config, lm, tokenizer).eval()
    used = []
    generate = model.generate

    def spy(prompts, contexts, params, *, role="answer", generator=None):
        used.append(role)
        return generate(prompts, contexts, params, role=role, generator=generator)

    monkeypatch.setattr(model, "generate", spy)
    result = evaluate_reconstruction(model, TEXTS[:1], rate=4, max_new_tokens=4, progress=False)
    assert used == ["restate"] and result.role == "restate" and result.to_dict()["decoder"] == "restate"
    evaluate_reconstruction(model, TEXTS[:1], rate=4, max_new_tokens=4, role="answer", progress=False)
    assert used[-1] == "answer"  # an explicit choice wins
    with pytest.raises(InputError, match="role must be one of"):
        evaluate_reconstruction(model, TEXTS[:1], rate=4, role="adapted", progress=False)
