"""The GMSA model on tiny random backbones of every supported family."""

from __future__ import annotations

import contextlib

import pytest
import torch

from gmsa_rag.config import GMSAConfig
from gmsa_rag.errors import CheckpointError, ConfigError, InputError, ModelMismatchError
from gmsa_rag.model import GMSAModel, SamplingParams, TrainBatch, gmsa
from gmsa_rag.model.gmsa import cpu_bf16_units
from peft.tuners.lora import LoraLayer
from tiny import FAMILIES, SAMPLE, tiny_backbone

CHUNKS = [
    SAMPLE,
    "paris is the capital of france and the city is on the river",
    "rome is the capital of italy",
]
TINY = GMSAConfig(backbone="tiny", encoder_layers=2, lora_r=4, lora_alpha=8, lora_dropout=0.0, rates=(1, 2, 4, 8))


def build(family: str = "llama", config: GMSAConfig = TINY, seed: int = 0) -> GMSAModel:
    lm, tokenizer = tiny_backbone(family, seed)
    model = GMSAModel(config, lm, tokenizer)
    _perturb_trainables(model)
    return model.eval()


def _perturb_trainables(model: GMSAModel) -> None:
    """Give LoRA B matrices non-zero values so the adapters actually change the encoder."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, param in model.trained_state_dict().items():
            if "lora_B" in name:
                dict(model.named_parameters())[name].copy_(torch.randn(param.shape, generator=gen) * 0.05)


def batch_for(model: GMSAModel, owners: list[list[int]], prompt: str, targets: list[str]) -> TrainBatch:
    ids, mask = model.pad_ids([model.tokenize_chunk(c) for c in CHUNKS])
    return TrainBatch(
        chunk_ids=ids,
        chunk_mask=mask,
        owners=owners,
        prompt_ids=[model.format_prompt(prompt)] * len(owners),
        target_ids=[model.format_target(t) for t in targets],
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_forward_and_backward(family):
    model = build(family).train()
    batch = batch_for(model, [[0], [1, 2]], "restate the aforementioned text", [CHUNKS[0], CHUNKS[1]])
    loss = model(batch, rate=4)
    assert torch.isfinite(loss) and loss.item() > 0
    loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.requires_grad}
    assert any("lora_A" in n and g is not None and g.abs().sum() > 0 for n, g in grads.items())
    assert any(n.startswith("aligner.") and g is not None and g.abs().sum() > 0 for n, g in grads.items())
    assert grads["separator"] is not None and grads["separator"].abs().sum() > 0
    assert all(p.grad is None for p in model.backbone.parameters()), "the backbone must stay frozen"


@pytest.mark.parametrize("family", ["llama", "qwen3", "gemma"])
def test_one_encoder_pass_gives_every_rate(family):
    model = build(family)
    out = model.compress([SAMPLE])[0]
    n = out.num_tokens
    assert set(out.vectors) == set(TINY.rates)
    for rate, vectors in out.vectors.items():
        assert vectors.shape == (-(-n // rate), model.dim)
    # rate 1 is the encoder output itself; rate 2 is the mean of its pairs
    assert torch.allclose(out.vectors[2][0], out.vectors[1][:2].mean(0), atol=1e-6)


@pytest.mark.parametrize("family", ["llama", "qwen2", "gemma2"])
def test_cached_composition_equals_fresh_end_to_end(family):
    """Chunks compressed one at a time and recombined == all chunks compressed together."""
    model = build(family)
    cached = [model.compress([c])[0].vectors[4].clone() for c in CHUNKS]  # one at a time, batch of 1
    soft_cached = model.soft_tokens(cached)
    with torch.no_grad():  # fresh: one padded batch through the training-path encoder
        ids, mask = model.pad_ids([model.tokenize_chunk(c) for c in CHUNKS])
        merged, gmask = model.encode_ids(ids, mask, (4,))[4]
        fresh_chunks = [merged[i, : int(gmask[i].sum())] for i in range(len(CHUNKS))]
        soft_fresh = model.align([model.compose(fresh_chunks)])[0]
    assert soft_cached.shape == soft_fresh.shape
    assert torch.allclose(soft_cached, soft_fresh, atol=1e-5)
    # and the decoder reads them identically
    params = SamplingParams(max_new_tokens=6)
    assert model.generate(["what is the capital ?"], [cached], params) == model.generate(
        ["what is the capital ?"], [fresh_chunks], params
    )


def test_separator_sits_between_chunks():
    model = build()
    a, b = model.compress(CHUNKS[:2])
    composed = model.compose([a.vectors[4], b.vectors[4]])
    assert composed.shape[0] == a.vectors[4].shape[0] + 1 + b.vectors[4].shape[0]
    assert torch.equal(composed[a.vectors[4].shape[0]], model.separator[0])


@pytest.mark.parametrize("family", ["llama", "mistral", "gemma2", "qwen3"])
def test_streaming_equals_generate(family):
    model = build(family)
    model._eos = set()  # random weights may pick EOS first; decode the full budget instead
    context = [v.vectors[8] for v in model.compress(CHUNKS[:2])]
    params = SamplingParams(max_new_tokens=12, do_sample=True)  # sampled: random weights argmax one token
    seed = torch.Generator().manual_seed
    whole = model.generate(["who was born in paris ?"], [context], params, generator=seed(0))[0]
    pieces = list(model.stream("who was born in paris ?", context, params, generator=seed(0)))
    assert "".join(pieces) == whole
    assert whole.strip() != ""
    assert len(pieces) > 1



@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_prefill_projects_only_the_last_position_from_a_compact_tensor(family):
    """The prefill's logits are the full forward's at the last position, and the output
    embedding sees a compact (b, 1, d) tensor (a strided slice would make matmul copy the
    transposed embedding matrix at every prefill)."""
    from gmsa_rag.model.blocks import positions_from_mask
    from gmsa_rag.model.decoding import Decoder

    lm, _ = tiny_backbone(family)
    seen = []
    lm.get_output_embeddings().register_forward_hook(lambda module, args, out: seen.append(args[0]))
    embeds = torch.randn(2, 7, lm.config.hidden_size)  # (b, T, d), the second row left-padded by 2
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, :2] = 0
    with torch.inference_mode():
        logits, cache = Decoder(lm, set()).prefill(embeds, mask, room=4)
        seen_by_prefill = seen.pop()
        full = lm(inputs_embeds=embeds, attention_mask=mask, position_ids=positions_from_mask(mask)).logits
    assert logits.shape == (2, lm.config.vocab_size) and cache.get_seq_length() == 7
    assert torch.allclose(logits, full[:, -1], atol=1e-5)
    assert seen_by_prefill.shape == (2, 1, lm.config.hidden_size)
    assert seen_by_prefill.stride() == torch.empty(seen_by_prefill.shape).stride()


def test_stream_can_be_resumed_on_other_threads():
    """Web servers and async executors resume a generator on varying threads; inference mode
    is thread-local, so each step must enter it again (or the KV cache update fails)."""
    import threading

    def next_on_a_new_thread(iterator):
        result = []
        thread = threading.Thread(target=lambda: result.append(next(iterator, None)))
        thread.start()
        thread.join()
        assert result, "the step raised on its thread"
        return result[0]

    model = build()
    model._eos = set()
    context = [v.vectors[4] for v in model.compress(CHUNKS[:2])]
    params = SamplingParams(max_new_tokens=10, do_sample=True)
    seed = torch.Generator().manual_seed
    whole = model.generate(["who ?"], [context], params, generator=seed(0))[0]
    stream = model.stream("who ?", context, params, generator=seed(0))
    pieces = []
    while (piece := next_on_a_new_thread(stream)) is not None:
        pieces.append(piece)
    assert "".join(pieces) == whole and len(pieces) > 1

def test_batched_generation_matches_single():
    model = build()
    model._eos = set()
    context = [v.vectors[4] for v in model.compress(CHUNKS)]
    params = SamplingParams(max_new_tokens=5)
    batch = model.generate(["what is the capital ?", "who ?"], [context, context[:1]], params)
    single = [
        model.generate(["what is the capital ?"], [context], params)[0],
        model.generate(["who ?"], [context[:1]], params)[0],
    ]
    assert batch == single


def test_sampling_is_reproducible_with_a_generator():
    model = build()
    model._eos = set()
    params = SamplingParams(max_new_tokens=8, do_sample=True, temperature=1.5, top_p=0.9)
    one = model.generate(["the city ?"], None, params, generator=torch.Generator().manual_seed(3))
    two = model.generate(["the city ?"], None, params, generator=torch.Generator().manual_seed(3))
    assert one == two


@pytest.mark.parametrize(
    "variant",
    [
        dict(merger="icae", max_memory_tokens=32),
        dict(aligner="linear"),
        dict(lsa_init="random"),
        dict(decoder_adapter="lora"),
        dict(decoder_adapter="qkv"),
        dict(decoder_adapter="lora", decoder_targets=("all-linear",), decoder_layers=(0, 2), restate_decoder="adapted"),
        dict(decoder_adapter="qkv", decoder_targets=("q_proj", "o_proj"), decoder_layers=(1,)),
        dict(decoder_adapter="lora", restate_decoder="adapted", answer_adapter="own"),
        dict(decoder_adapter="qkv", answer_adapter="own"),
        dict(lsa_layers=2),
    ],
)
def test_save_load_round_trip(tmp_path, variant):
    config = TINY.replace(**variant)
    model = build("llama", config)
    model.save_pretrained(tmp_path / "gmsa")
    lm, tokenizer = tiny_backbone("llama")
    loaded = GMSAModel.from_parts(tmp_path / "gmsa", model.config, lm, tokenizer).eval()
    assert loaded.fingerprint() == model.fingerprint()
    context = [v.vectors[4] for v in model.compress(CHUNKS)]
    context_loaded = [v.vectors[4] for v in loaded.compress(CHUNKS)]
    for a, b in zip(context, context_loaded):
        assert torch.equal(a, b)
    assert torch.equal(model.soft_tokens(context), loaded.soft_tokens(context_loaded))
    params = SamplingParams(max_new_tokens=6)
    assert model.generate(["who ?"], [context], params) == loaded.generate(["who ?"], [context_loaded], params)
    # only trained parameters are saved: no backbone weight in the file
    from safetensors.torch import load_file

    saved = load_file(str(tmp_path / "gmsa" / "model.safetensors"))
    assert set(saved) == set(model.trained_state_dict())
    assert not any(k.startswith("backbone.") for k in saved)


def test_variants_differ_from_the_default():
    base = build()
    random_lsa = build(config=TINY.replace(lsa_init="random"))
    w_base = base.aligner.layers[0].self_attn.q_proj.weight
    w_rand = random_lsa.aligner.layers[0].self_attn.q_proj.weight
    assert torch.equal(w_base, base.backbone.model.layers[0].self_attn.q_proj.weight)
    assert not torch.equal(w_base, w_rand)
    assert base.fingerprint() != random_lsa.fingerprint()


def test_lsa_is_a_copy_not_a_share():
    model = build()
    lsa_w = model.aligner.layers[0].mlp.up_proj.weight
    assert lsa_w.data_ptr() != model.backbone.model.layers[0].mlp.up_proj.weight.data_ptr()
    enc_w = model.encoder.layers[0].mlp.up_proj.base_layer.weight
    assert enc_w.data_ptr() == model.backbone.model.layers[0].mlp.up_proj.weight.data_ptr()


def test_mismatched_base_is_refused(tmp_path):
    model = build(seed=0)
    model.save_pretrained(tmp_path / "gmsa")
    other_lm, tokenizer = tiny_backbone("llama", seed=1)
    with pytest.raises(ModelMismatchError, match="trained on backbone"):
        GMSAModel.from_parts(tmp_path / "gmsa", model.config, other_lm, tokenizer)


def test_corrupted_or_foreign_weights_are_refused(tmp_path):
    model = build()
    model.save_pretrained(tmp_path / "gmsa")
    lm, tokenizer = tiny_backbone("llama")
    with pytest.raises(CheckpointError, match="do not fit"):
        GMSAModel.from_parts(tmp_path / "gmsa", model.config.replace(lsa_layers=2), lm, tokenizer)
    (tmp_path / "gmsa" / "model.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="corrupted"):
        GMSAModel.from_parts(tmp_path / "gmsa", model.config, lm, tokenizer)


def test_fingerprint_tracks_weights_and_config():
    import copy

    a = build()
    b = copy.deepcopy(a)
    assert a.fingerprint() == a.fingerprint() == b.fingerprint()
    with torch.no_grad():
        b.separator.add_(1e-3)
    b._fingerprint = None
    assert a.fingerprint() != b.fingerprint()
    c = build(config=TINY.replace(rates=(4, 8)))
    assert c.fingerprint() != a.fingerprint()


def test_bad_input_is_a_clear_error():
    model = build()
    with pytest.raises(InputError, match="empty"):
        model.compress([""])
    with pytest.raises(InputError, match="empty"):
        model.compress(["   \n"])
    with pytest.raises(InputError, match="rate"):
        model.compress([SAMPLE], rates=[0])
    with pytest.raises(InputError, match="rate"):
        model.compress([SAMPLE], rates=[-4])
    with pytest.raises(InputError, match="max_chunk_tokens"):
        model.compress([" ".join(["city"] * 600)])
    with pytest.raises(InputError, match="context"):
        model.generate(["who ?"], [[torch.zeros(600, model.dim)]])
    with pytest.raises(InputError, match="max_new_tokens"):
        SamplingParams(max_new_tokens=0)


@pytest.mark.parametrize(
    "bad",
    [dict(rates=(0,)), dict(rates=(-2,)), dict(rates=()), dict(merger="magic"), dict(encoder_layers=0), dict(rates=(4, 4))],
)
def test_bad_config_is_refused(bad):
    with pytest.raises(ConfigError):
        TINY.replace(**bad)


def test_config_json_round_trip(tmp_path):
    TINY.save(tmp_path / "c.json")
    assert GMSAConfig.load(tmp_path / "c.json") == TINY
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        GMSAConfig.load(tmp_path / "bad.json")
    (tmp_path / "extra.json").write_text('{"backbone": "x", "bogus": 1}')
    with pytest.raises(ConfigError, match="bogus"):
        GMSAConfig.load(tmp_path / "extra.json")


def test_too_many_encoder_layers_is_refused():
    lm, tokenizer = tiny_backbone("llama")
    with pytest.raises(InputError, match="encoder_layers"):
        GMSAModel(TINY.replace(encoder_layers=9), lm, tokenizer)


def test_decoder_adapter_covers_exactly_its_scope():
    """LoRA lands on the named projections of the named layers only, never on the base backbone."""
    model = build("llama", TINY.replace(decoder_adapter="lora", decoder_targets=("q_proj", "down_proj"), decoder_layers=(1,)))
    lora = {k for k in model.trained_state_dict() if k.startswith("decoder_lm.")}
    assert lora and all(".layers.1." in k and (".q_proj." in k or ".down_proj." in k) for k in lora)
    assert {".q_proj.", ".down_proj."} == {p for p in (".q_proj.", ".down_proj.") if any(p in k for k in lora)}
    assert not any("lora" in name for name, _ in model.backbone.named_parameters())
    everything = build("llama", TINY.replace(decoder_adapter="lora", decoder_targets=("all-linear",)))
    covered = {k.split(".lora_")[0].rsplit(".", 1)[-1] for k in everything.trained_state_dict() if k.startswith("decoder_lm.")}
    assert covered == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


@pytest.mark.parametrize(
    "variant, message",
    [
        (dict(decoder_adapter="lora", decoder_targets=("qkv_proj",)), "not linear layers"),
        (dict(decoder_adapter="qkv", decoder_layers=(7,)), "do not exist"),
    ],
)
def test_decoder_adapter_scope_is_checked_against_the_backbone(variant, message):
    with pytest.raises(InputError, match=message):
        build("llama", TINY.replace(**variant))


def test_config_refuses_bad_decoder_settings():
    with pytest.raises(ConfigError, match="restate_decoder 'adapted' needs a decoder adapter"):
        TINY.replace(restate_decoder="adapted")
    with pytest.raises(ConfigError, match="answer_adapter 'own' needs a decoder adapter"):
        TINY.replace(answer_adapter="own")
    with pytest.raises(ConfigError, match="answer_adapter must be one of"):
        TINY.replace(decoder_adapter="lora", answer_adapter="separate")
    with pytest.raises(ConfigError, match="decoder_layers"):
        TINY.replace(decoder_layers=(1, 1))
    with pytest.raises(ConfigError, match="decoder_targets"):
        TINY.replace(decoder_targets=())


def test_a_config_written_before_the_decoder_scope_fields_loads_as_before():
    """v1 directories have no decoder_targets / decoder_layers / restate_decoder: q/k/v of every
    layer and the base decoder for restating, as v1 was trained."""
    data = TINY.replace(decoder_adapter="lora").to_dict()
    for key in ("decoder_targets", "decoder_layers", "restate_decoder"):
        data.pop(key)
    config = GMSAConfig.from_dict(data)
    assert config.decoder_targets == ("q_proj", "k_proj", "v_proj") and config.decoder_layers == ()
    assert config.restate_decoder == "base"


@pytest.mark.parametrize(
    "variant, restate, answer",
    [
        (dict(), "backbone", "backbone"),
        (dict(decoder_adapter="lora"), "backbone", "decoder_lm"),  # v1: KEFT-only adapter
        (dict(decoder_adapter="lora", restate_decoder="adapted"), "decoder_lm", "decoder_lm"),  # v2: shared
        (dict(decoder_adapter="lora", restate_decoder="adapted", answer_adapter="own"), "decoder_lm", "answer_lm"),
    ],
)
def test_decoder_roles(variant, restate, answer):
    model = build("llama", TINY.replace(**variant))
    assert model.decoder_for("base") is model.backbone
    assert model.decoder_for("restate") is getattr(model, restate)
    assert model.decoder_for("answer") is model.decoder is getattr(model, answer)
    with pytest.raises(InputError, match="decoder role"):
        model.decoder_for("adapted")


def test_own_answer_adapter_is_separate_and_resets_to_the_restating_one():
    """The answering adapter has its own tensors (same scope); reset copies the restating ones."""
    model = build("llama", TINY.replace(decoder_adapter="lora", restate_decoder="adapted", answer_adapter="own"))
    state = model.trained_state_dict()
    restating = {k.removeprefix("decoder_lm."): v for k, v in state.items() if k.startswith("decoder_lm.")}
    answering = {k.removeprefix("answer_lm."): v for k, v in state.items() if k.startswith("answer_lm.")}
    assert restating and restating.keys() == answering.keys()
    with torch.no_grad():
        for name, param in model.decoder_lm.named_parameters():
            if "lora_B" in name:
                param.normal_()  # as if stage 1 had trained it
    ids = [model.format_prompt("the city ?")]

    def logits(decoder):
        return decoder(input_ids=torch.tensor(ids)).logits
    assert not torch.equal(logits(model.decoder_for("restate")), logits(model.decoder_for("answer")))
    before = model.fingerprint()
    model.reset_answer_adapter()
    assert torch.equal(logits(model.decoder_for("restate")), logits(model.decoder_for("answer")))
    assert model.fingerprint() != before
    with pytest.raises(ConfigError, match="reset_answer_adapter needs"):
        build("llama", TINY.replace(decoder_adapter="lora")).reset_answer_adapter()


def test_loading_a_file_without_an_answering_adapter_copies_the_restating_one(tmp_path):
    """A shared-adapter file (v2) loaded into an "own" model: the answering adapter starts as
    the loaded restating one, not as a fresh LoRA."""
    shared = build("llama", TINY.replace(decoder_adapter="lora", restate_decoder="adapted"))
    with torch.no_grad():
        for name, param in shared.decoder_lm.named_parameters():
            if "lora_B" in name:
                param.normal_()
    shared.save_pretrained(tmp_path / "v2")
    own = build("llama", shared.config.replace(answer_adapter="own"))
    own.load_trained(tmp_path / "v2" / "model.safetensors", allow_missing_prefix="answer_lm.")
    state = own.trained_state_dict()
    restating = {k.removeprefix("decoder_lm."): v for k, v in state.items() if k.startswith("decoder_lm.")}
    assert all(torch.equal(shared.trained_state_dict()["decoder_lm." + k], v) for k, v in restating.items())
    assert all(torch.equal(state["answer_lm." + k], v) for k, v in restating.items())


def test_a_narrower_decoder_scope_loads_widened_and_computes_the_same(tmp_path):
    """allow_new_projections: a q/k/v file loads into an all-linear model; the new projections
    keep their fresh LoRA (B = 0), so both decoders compute what the file's model did, and the
    trained answering adapter is kept, not reset to the restating one. Without the flag, refused."""
    narrow = build("llama", TINY.replace(decoder_adapter="lora", answer_adapter="own"))  # trained: every B != 0
    narrow.save_pretrained(tmp_path / "narrow")
    wide = GMSAModel(narrow.config.replace(decoder_targets=("all-linear",)), *tiny_backbone("llama", 0)).eval()
    with pytest.raises(CheckpointError, match="missing"):
        wide.load_trained(tmp_path / "narrow" / "model.safetensors")
    fresh = wide.load_trained(tmp_path / "narrow" / "model.safetensors", allow_new_projections=True)
    assert fresh and all(".mlp." in k or ".o_proj." in k for k in fresh)
    assert {k.split(".")[0] for k in fresh} == {"decoder_lm", "answer_lm"}
    ids = torch.tensor([narrow.format_prompt("the city ?")])
    for role in ("restate", "answer"):
        expected = narrow.decoder_for(role)(input_ids=ids).logits
        assert torch.allclose(wide.decoder_for(role)(input_ids=ids).logits, expected, atol=1e-5)
    assert not torch.allclose(narrow.decoder_for("restate")(input_ids=ids).logits, narrow.decoder_for("answer")(input_ids=ids).logits)


def test_bf16_precision_casts_the_decoders_once_and_leaves_the_encoder(monkeypatch):
    """precision "bf16": each decoder role gets a bf16 twin (sharing one bf16 copy of the
    backbone's weights), built once; compress still runs on the fp32 weights, so stored
    vectors do not change; training and set_precision drop the twins."""
    model = build(config=TINY.replace(decoder_adapter="lora", answer_adapter="own"))
    before = model.compress(CHUNKS[:2])
    model.set_precision("bf16")
    answer, base = model.decoder_for("answer"), model.decoder_for("base")
    assert answer is model.decoder_for("answer")  # made once
    assert answer is not model.answer_lm and all(p.dtype == torch.bfloat16 for p in answer.parameters())
    assert all(p.dtype == torch.float32 for p in model.backbone.parameters())
    shared = {p.data_ptr() for p in base.parameters()}
    folded = sum(isinstance(m, LoraLayer) for m in model.answer_lm.modules())  # its LoRA merged into own weights
    assert not any(isinstance(m, LoraLayer) for m in answer.modules())
    assert len(shared & {p.data_ptr() for p in answer.parameters()}) == len(list(model.backbone.parameters())) - folded
    after = model.compress(CHUNKS[:2])
    assert all(torch.equal(a.vectors[r], b.vectors[r]) for a, b in zip(before, after) for r in a.vectors)
    assert isinstance(model.autocast(), contextlib.nullcontext)
    soft = model.soft_tokens([after[0].vectors[4]])
    text = "".join(model.stream("who ?", params=SamplingParams(max_new_tokens=4), soft_tokens=soft))
    assert isinstance(text, str)
    model.train()
    assert model.decoder_for("answer") is model.answer_lm  # training never sees the twins
    model.eval().set_precision("autocast")
    assert model.decoder_for("answer") is model.answer_lm
    assert not isinstance(model.autocast(), contextlib.nullcontext)
    model.set_precision("auto")
    assert model.resolved_precision() == ("bf16-prefill" if cpu_bf16_units() else "fp32")  # on CPU
    monkeypatch.setattr(gmsa, "cpu_bf16_units", lambda: ("AVX-512 BF16",))
    assert model.resolved_precision() == "bf16-prefill"
    monkeypatch.setattr(gmsa, "cpu_bf16_units", lambda: ())
    assert model.resolved_precision() == "fp32"
    with pytest.raises(InputError, match="precision"):
        model.set_precision("fp8")


def test_inference_decodes_with_the_lora_folded_in_and_leaves_the_trained_weights():
    """Out of training, the runner decodes with a twin whose LoRA is merged into its own copies
    of the adapted projections: the same logits, every other weight shared with the backbone,
    the trained adapter and the backbone untouched, made once and remade when weights change."""
    model = build(config=TINY.replace(decoder_adapter="lora", restate_decoder="adapted", answer_adapter="own")).eval()
    with torch.no_grad():
        for name, param in model.answer_lm.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.5)  # as if KEFT had trained it
    trained = {k: v.clone() for k, v in model.trained_state_dict().items()}
    base = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    ids = torch.tensor([model.format_prompt("the city ?")])
    runner = model.runner("answer")
    twin = runner.model
    assert twin is not model.answer_lm and not any(isinstance(m, LoraLayer) for m in twin.modules())
    assert model.runner("answer").model is twin  # made once
    with torch.no_grad():
        want, got = model.answer_lm(input_ids=ids).logits, twin(input_ids=ids).logits
        plain = model.backbone(input_ids=ids).logits
    assert not torch.allclose(want, plain, atol=1e-3)  # the adapter matters here
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    assert all(torch.equal(v, model.trained_state_dict()[k]) for k, v in trained.items())
    assert all(torch.equal(v, model.backbone.state_dict()[k]) for k, v in base.items())
    backbone = {p.data_ptr() for p in model.backbone.parameters()}
    own = [p for p in twin.parameters() if p.data_ptr() not in backbone]
    assert len(own) == sum(isinstance(m, LoraLayer) for m in model.answer_lm.modules())  # the merged projections only
    assert model.runner("base").model is model.backbone  # nothing to fold
    model.reset_answer_adapter()  # weights changed: the twin is made again from them
    fresh = model.runner("answer").model
    with torch.no_grad():
        torch.testing.assert_close(fresh(input_ids=ids).logits, model.answer_lm(input_ids=ids).logits, atol=1e-4, rtol=1e-4)
    assert fresh is not twin
    model.train()
    assert model.runner("answer").model is model.answer_lm  # training never sees the twins


def test_bf16_prefill_precision_prefills_in_bf16_and_decodes_in_fp32():
    """precision "bf16-prefill": the runner prefills with the decoder's bf16 twin, then casts
    the KV cache so the fp32 decoder takes the steps; its greedy tokens stay close to fp32's."""
    from gmsa_rag.model.decoding import DecodeBatch, Decoder

    model = build(config=TINY.replace(decoder_adapter="lora", answer_adapter="own")).eval()
    soft = model.soft_tokens([model.compress(CHUNKS[:2])[0].vectors[4]])
    params = SamplingParams(max_new_tokens=6, ignore_eos=True)
    model.set_precision("bf16-prefill")
    runner = model.runner("answer")
    assert runner.model is model.runner("answer").model  # the fp32 twin, LoRA folded, made once
    assert all(p.dtype == torch.bfloat16 for p in runner.prefill_model.parameters())
    embeds = model.prompt_embeds("who ?", soft)  # (T, d) fp32, read by the fp32 decoder's embeddings
    mask = torch.ones(1, embeds.shape[0], dtype=torch.long)

    def two_steps(runner):  # logits after the prefill and after one decode step
        batch = DecodeBatch(runner, embeds[None], mask, params)
        first = batch.logits
        batch.advance(torch.tensor([7]))
        return first, batch.logits, batch.cache

    with torch.inference_mode():
        first, second, cache = two_steps(runner)
        want_first, want_second, _ = two_steps(Decoder(model.answer_lm, set()))
    assert all(layer.keys.dtype == torch.float32 for layer in cache.layers)
    room = embeds.shape[0] + params.max_new_tokens  # the prefill's buffers, kept through the cast
    assert all(layer._key_buffer.shape[-2] == room and layer._key_buffer.dtype == torch.float32 for layer in cache.layers)
    assert second.dtype == torch.float32 and cache.get_seq_length() == embeds.shape[0] + 1
    scale = want_second.abs().max()
    assert 0 < (first - want_first).abs().max() < 0.05 * scale  # bf16 rounding, no more
    assert (second - want_second).abs().max() < 0.05 * scale
    assert "".join(model.stream("who ?", params=params, soft_tokens=soft)).strip()
    model.train()
    assert model.runner("answer").prefill_model is model.answer_lm  # training never sees the twins


DEFAULT_SYSTEM_TEMPLATE = (  # like SmolLM2's: a default system turn unless the messages bring one
    "{% if messages[0]['role'] != 'system' %}<|system|> you are a helpful model {% endif %}"
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def test_system_prompt_replaces_the_templates_default_except_for_the_base_backbone():
    lm, tokenizer = tiny_backbone("llama")
    tokenizer.chat_template = DEFAULT_SYSTEM_TEMPLATE
    default = GMSAModel(TINY, lm, tokenizer)
    empty = GMSAModel(TINY.replace(system_prompt=""), lm, tokenizer)
    text = "the city ?"
    assert len(empty.format_prompt(text)) < len(default.format_prompt(text))
    assert empty.format_prompt(text, "restate") == empty.format_prompt(text, "answer")
    assert empty.format_prompt(text, "base") == default.format_prompt(text, "base") == default.format_prompt(text)
    assert "helpful" not in tokenizer.decode(empty.format_prompt(text))
    # the prompts the decoders read follow it: one prompt position fewer per dropped token
    soft = torch.zeros(3, default.dim)
    shorter = len(default.format_prompt(text)) - len(empty.format_prompt(text))
    assert default.prompt_embeds(text, soft).shape[0] - empty.prompt_embeds(text, soft).shape[0] == shorter


def test_system_prompt_round_trips_and_leaves_older_configs_fingerprints_alone(tmp_path):
    assert "system_prompt" not in TINY.to_dict()  # unset: the JSON (and so the fingerprint) of older models
    config = TINY.replace(system_prompt="")
    config.save(tmp_path / "c.json")
    assert GMSAConfig.load(tmp_path / "c.json").system_prompt == ""
    lm, tokenizer = tiny_backbone("llama")
    assert GMSAModel(config, lm, tokenizer).fingerprint() != GMSAModel(TINY, lm, tokenizer).fingerprint()
    with pytest.raises(ConfigError, match="system_prompt"):
        TINY.replace(system_prompt=3)


def test_a_template_that_refuses_a_system_turn_fails_at_construction():
    lm, tokenizer = tiny_backbone("llama")
    tokenizer.chat_template = (
        "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
        + tokenizer.chat_template
    )
    GMSAModel(TINY, lm, tokenizer)  # the template's default: fine
    with pytest.raises(ConfigError, match="refused the system_prompt"):
        GMSAModel(TINY.replace(system_prompt=""), lm, tokenizer)
