"""The training loop on tiny backbones: learning, resuming, refusing bad input."""

from __future__ import annotations

import dataclasses
import json
import random
import warnings

import pytest
import torch
from safetensors.torch import load_file

from gmsa_rag.config import GMSAConfig
from gmsa_rag.errors import CheckpointError, ConfigError, InputError
from gmsa_rag.model import AUTOENCODER_PROMPT, GMSAModel
from gmsa_rag.training.data import QASamples, batches, collate
from gmsa_rag.training.trainer import TrainConfig, Trainer, lr_factor, max_tokens_for_step
from tiny import WORDS, tiny_backbone

TINY = GMSAConfig(backbone="tiny", encoder_layers=2, lora_r=8, lora_alpha=16, lora_dropout=0.1, rates=(1, 2))


def texts(n: int = 64, words: int = 40, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    vocab = [w for w in WORDS if w.isalpha()]
    return [" ".join(rng.choice(vocab) for _ in range(words)) for _ in range(n)]


@pytest.fixture
def ae_file(tmp_path):
    path = tmp_path / "ae.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts()))
    return path


def model(config: GMSAConfig = TINY) -> GMSAModel:
    """The same fresh model every call (LoRA's random init drawn from a local seed)."""
    lm, tokenizer = tiny_backbone("llama")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return GMSAModel(config, lm, tokenizer)


def run_config(ae_file, out, **overrides) -> TrainConfig:
    settings = dict(
        stage="autoencoder", train_data=str(ae_file), eval_data=str(ae_file), out_dir=str(out), steps=6,
        batch_size=4, chunk_tokens=24, max_tokens=40, rates=(1, 2), eval_every=3, save_every=3, log_every=1,
        lr_encoder=5e-3, lr_aligner=5e-3, warmup_steps=2, seed=7,
    )
    settings.update(overrides)
    return TrainConfig(**settings)


def step_losses(out) -> dict[int, float]:
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in records if "loss" in r}


def test_loss_drops_when_fitting_a_batch(ae_file, tmp_path):
    m = model(TINY.replace(lora_dropout=0.0))
    config = run_config(ae_file, tmp_path / "o", steps=40, warmup_steps=1, lr_encoder=1e-2, lr_aligner=1e-2, rates=(1,))
    trainer = Trainer(m, config)
    batch = collate(m, [trainer.train_source.sample(random.Random(i)) for i in range(4)])
    with torch.no_grad():
        before = m.eval()(batch, 1).item()
    for _ in range(40):
        trainer.train_step(iter(lambda: batch, None))  # the real optimiser step, on one fixed batch
    with torch.no_grad():
        after = m.eval()(batch, 1).item()
    assert after < before - 0.3, (before, after)


def test_training_run_writes_model_and_logs(ae_file, tmp_path):
    out = tmp_path / "run"
    saved = Trainer(model(), run_config(ae_file, out)).run()
    assert (saved / "model.safetensors").is_file() and (saved / "config.json").is_file()
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert any("eval_loss_rate2" in r for r in records)
    assert any("eval_loss_no_context" in r for r in records)
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in records if "loss" in r)


def test_resume_reproduces_the_uninterrupted_run(ae_file, tmp_path):
    whole = tmp_path / "whole"
    Trainer(model(), run_config(ae_file, whole)).run()
    part = tmp_path / "part"
    interrupted = Trainer(model(), run_config(ae_file, part))
    real_step = interrupted.train_step

    def dies_at_step_5(*args, **kwargs):
        if interrupted.step == 4:
            raise KeyboardInterrupt  # killed mid-run: step 4 is done but not checkpointed
        return real_step(*args, **kwargs)

    interrupted.train_step = dies_at_step_5
    with pytest.raises(KeyboardInterrupt):
        interrupted.run()
    assert not (part / "model").exists()
    resumed = Trainer(model(), run_config(ae_file, part))  # a fresh process: new random LoRA init
    assert resumed.maybe_resume() and resumed.step == 3
    resumed.run()
    a, b = step_losses(whole), step_losses(part)
    for step in (4, 5, 6):
        assert b[step] == pytest.approx(a[step], rel=1e-5, abs=1e-6), step


def test_log_window_after_a_resume_averages_its_own_steps(ae_file, tmp_path):
    whole = tmp_path / "whole"
    Trainer(model(), run_config(ae_file, whole)).run()  # log_every=1: every step's loss
    part = tmp_path / "part"
    interrupted = Trainer(model(), run_config(ae_file, part, log_every=4))
    real_step = interrupted.train_step

    def dies_at_step_5(*args, **kwargs):
        if interrupted.step == 4:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    interrupted.train_step = dies_at_step_5
    with pytest.raises(KeyboardInterrupt):
        interrupted.run()
    Trainer(model(), run_config(ae_file, part, log_every=4)).run()  # resumes at 3: the step-4 window is one step
    assert step_losses(part)[4] == pytest.approx(step_losses(whole)[4], rel=1e-5, abs=1e-6)


def test_time_limit_spans_resumptions(ae_file, tmp_path, monkeypatch):
    """A time-limited run killed and resumed stops where the uninterrupted one does, with the
    same learning-rate schedule (elapsed time is saved in the checkpoint, not restarted)."""
    clock = [0.0]
    monkeypatch.setattr("gmsa_rag.training.trainer.time.monotonic", lambda: clock[0])

    def trainer(out, kill_at: int | None = None) -> Trainer:
        t = Trainer(model(), run_config(ae_file, out, steps=20, time_limit_s=45))
        real_step = t.train_step

        def ten_seconds_a_step(*args, **kwargs):
            if t.step == kill_at:
                raise KeyboardInterrupt
            clock[0] += 10.0
            return real_step(*args, **kwargs)

        t.train_step = ten_seconds_a_step
        return t

    trainer(tmp_path / "whole").run()
    with pytest.raises(KeyboardInterrupt):
        trainer(tmp_path / "part", kill_at=4).run()  # checkpoint at step 3, 30 s in
    clock[0] += 1000.0  # the process was down for a while: that does not count
    trainer(tmp_path / "part").run()
    a, b = step_losses(tmp_path / "whole"), step_losses(tmp_path / "part")
    assert max(a) == max(b) == 5  # 50 s of training >= 45 s
    for step in (4, 5):
        assert b[step] == pytest.approx(a[step], rel=1e-5, abs=1e-6), step


def test_resume_with_another_config_is_refused(ae_file, tmp_path):
    out = tmp_path / "run"
    Trainer(model(), run_config(ae_file, out, steps=3)).run()
    with pytest.raises(CheckpointError, match="different training config"):
        Trainer(model(), run_config(ae_file, out, batch_size=2)).maybe_resume()
    # a longer run with the same settings is fine
    assert Trainer(model(), run_config(ae_file, out, steps=9)).maybe_resume()


def test_corrupted_checkpoint_is_refused_not_restarted(ae_file, tmp_path):
    out = tmp_path / "run"
    Trainer(model(), run_config(ae_file, out, steps=3)).run()
    (out / "checkpoint" / "optimizer.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupted"):
        Trainer(model(), run_config(ae_file, out)).run()


def test_bad_training_files(tmp_path):
    m = model()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(InputError, match="no records"):
        Trainer(m, run_config(empty, tmp_path / "o"))
    short = tmp_path / "short.jsonl"
    short.write_text(json.dumps({"text": "the city"}) + "\n")
    with pytest.raises(InputError, match="at least"):
        Trainer(m, run_config(short, tmp_path / "o"))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "a"}\n{oops\n')
    with pytest.raises(InputError, match="broken.jsonl:2"):
        Trainer(m, run_config(broken, tmp_path / "o"))
    with pytest.raises(InputError, match="not found"):
        Trainer(m, run_config(tmp_path / "missing.jsonl", tmp_path / "o"))


def test_keft_trains_only_the_decoder_adapter(tmp_path):
    m = model(TINY.replace(decoder_adapter="lora"))
    qa = tmp_path / "qa.jsonl"
    record = {"question": "what is the capital of france ?", "answers": ["paris"], "context": "paris is the capital of france", "distractors": ["rome is in italy"]}
    qa.write_text(json.dumps(record) + "\n")
    before = {k: v.clone() for k, v in m.trained_state_dict().items()}
    Trainer(m, TrainConfig(stage="keft", train_data=str(qa), out_dir=str(tmp_path / "k"), steps=2, batch_size=2, rates=(1,), lr_decoder=1e-2)).run()
    after = m.trained_state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith("decoder_lm.") for k in changed)
    with pytest.raises(ConfigError, match="decoder_adapter"):
        Trainer(model(), TrainConfig(stage="keft", train_data=str(qa), out_dir=str(tmp_path / "k2")))


def test_keft_evaluation_reports_held_out_em_f1(tmp_path):
    """The KEFT loop's evaluation answers held-out questions greedily and scores them: a model
    fitted to one question scores F1 1 on it after training and not before."""
    m = model(TINY.replace(decoder_adapter="lora", lora_dropout=0.0))
    qa = tmp_path / "qa.jsonl"
    record = {"question": "what is the capital of france ?", "answers": ["paris"],
              "context": "paris is the capital of france", "distractors": ["rome is in italy"]}
    qa.write_text(json.dumps(record) + "\n")
    config = TrainConfig(stage="keft", train_data=str(qa), eval_data=str(qa), out_dir=str(tmp_path / "k"), steps=30,
                         batch_size=2, rates=(1, 2), lr_decoder=3e-2, warmup_steps=1, eval_every=30, eval_answers=1)
    trainer = Trainer(m, config)
    before = trainer.evaluate()
    trainer.run()
    records = [json.loads(line) for line in (tmp_path / "k" / "log.jsonl").read_text().splitlines()]
    after = next(r for r in records if "eval_f1_rate1" in r)
    assert before["eval_f1_rate1"] < 0.5 and after["eval_f1_rate1"] == after["eval_em_rate1"] == 1.0, (before, after)
    assert 0.0 <= after["eval_f1_rate2"] <= 1.0
    no_answers = Trainer(m, dataclasses.replace(config, eval_answers=0, out_dir=str(tmp_path / "k2"))).evaluate()
    assert "eval_loss_rate1" in no_answers and "eval_f1_rate1" not in no_answers


def test_qa_samples_shuffle_the_gold_chunk():
    m = model()
    records = [{"question": "who ?", "answers": ["x"], "context": "paris is a city", "distractors": ["rome is a city", "the king"]}]
    source = QASamples(m, records, max_chunks=3)
    gold = tuple(m.tokenizer("paris is a city", add_special_tokens=False)["input_ids"])
    positions = {source.sample(random.Random(s)).chunks.index(gold) for s in range(20)}
    assert len(positions) > 1


def test_schedule_warms_up_then_decays():
    c = TrainConfig(stage="autoencoder", train_data="-", out_dir="-", steps=100, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_factor(c, 0) == pytest.approx(0.1)
    assert lr_factor(c, 10) == pytest.approx(1.0)
    assert lr_factor(c, 100) == pytest.approx(0.1)
    assert lr_factor(c, 20, time_fraction=1.0) == pytest.approx(0.1)  # a time limit anneals too


def test_stage1_decoder_training_touches_only_its_scope_and_keeps_the_base_decoder(ae_file, tmp_path):
    """train_decoder: encoder LoRA, LSA, separator and the scoped decoder adapter change; no base
    weight does, so full-text mode (the plain backbone) answers bit-identically afterwards."""
    m = model(TINY.replace(decoder_adapter="lora", decoder_targets=("q_proj", "v_proj"), decoder_layers=(1, 2)))
    prompt = m.format_prompt("paris is the capital of france . what is the capital ?")
    ids = torch.tensor([prompt])

    def base_logits() -> torch.Tensor:
        with torch.no_grad():
            return m.backbone(input_ids=ids).logits

    base_before = {k: v.clone() for k, v in m.backbone.state_dict().items()}
    logits_before = base_logits()
    trained_before = {k: v.clone() for k, v in m.trained_state_dict().items()}
    Trainer(m, run_config(ae_file, tmp_path / "o", steps=3, train_decoder=True, lr_decoder=5e-3)).run()
    after = m.trained_state_dict()
    changed = {k for k in trained_before if not torch.equal(trained_before[k], after[k])}
    decoder_changed = {k for k in changed if k.startswith("decoder_lm.")}
    assert decoder_changed and all(".layers.0." not in k for k in decoder_changed)
    assert all((".q_proj." in k or ".v_proj." in k) for k in decoder_changed)
    assert any(k.startswith("encoder.") for k in changed) and any(k.startswith("aligner.") for k in changed)
    assert all(torch.equal(base_before[k], v) for k, v in m.backbone.state_dict().items())
    assert torch.equal(base_logits(), logits_before)
    assert m.config.restate_decoder == "adapted"
    saved = GMSAConfig.load(tmp_path / "o" / "model" / "config.json")
    assert saved.restate_decoder == "adapted"  # eval reconstruct then decodes with the adapter


def test_own_answer_adapter_follows_stage_1_and_keft_trains_it_alone(ae_file, tmp_path):
    """answer_adapter "own": after stage 1 the answering adapter equals the restating one; KEFT
    then changes the answering adapter only, so the model restates as stage 1 left it."""
    m = model(TINY.replace(decoder_adapter="lora", answer_adapter="own"))

    def adapter(prefix: str) -> dict[str, torch.Tensor]:
        return {k.removeprefix(prefix): v.clone() for k, v in m.trained_state_dict().items() if k.startswith(prefix)}

    fresh = adapter("decoder_lm.")
    Trainer(m, run_config(ae_file, tmp_path / "ae", steps=3, train_decoder=True, lr_decoder=5e-3)).run()
    restating = adapter("decoder_lm.")
    assert any(not torch.equal(fresh[k], restating[k]) for k in fresh)
    assert all(torch.equal(v, adapter("answer_lm.")[k]) for k, v in restating.items())
    saved = GMSAModel.from_parts(tmp_path / "ae" / "model", GMSAConfig.load(tmp_path / "ae" / "model" / "config.json"),
                                 m.backbone, m.tokenizer)
    assert all(torch.equal(v, saved.trained_state_dict()["answer_lm." + k]) for k, v in restating.items())

    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"question": "what is the capital of france ?", "answers": ["paris"],
                              "context": "paris is the capital of france", "distractors": ["rome is in italy"]}) + "\n")
    others = {k: v.clone() for k, v in m.trained_state_dict().items() if not k.startswith("answer_lm.")}
    Trainer(m, TrainConfig(stage="keft", train_data=str(qa), out_dir=str(tmp_path / "k"), steps=2, batch_size=2,
                           rates=(1,), lr_decoder=1e-2)).run()
    assert all(torch.equal(v, m.trained_state_dict()[k]) for k, v in others.items())
    assert any(not torch.equal(v, adapter("answer_lm.")[k]) for k, v in restating.items())


def test_keep_answer_adapter_leaves_a_trained_answering_adapter_as_loaded(ae_file, tmp_path):
    """A continuation of stage 1 (--keep-answer-adapter) trains the restating adapter but saves
    the answering one it started with, so KEFT continues that instead of starting over."""
    m = model(TINY.replace(decoder_adapter="lora", answer_adapter="own"))
    base = {id(p) for p in m.backbone.parameters()}
    with torch.no_grad():  # stands in for a KEFT-trained answering adapter
        for p in m.answer_lm.parameters():
            if id(p) not in base:
                p.add_(0.01 * torch.randn_like(p))
    answering = {k: v.clone() for k, v in m.trained_state_dict().items() if k.startswith("answer_lm.")}
    restating = {k: v.clone() for k, v in m.trained_state_dict().items() if k.startswith("decoder_lm.")}
    config = run_config(ae_file, tmp_path / "ae", steps=3, train_decoder=True, lr_decoder=5e-3, keep_answer_adapter=True)
    Trainer(m, config).run()
    after = m.trained_state_dict()
    assert all(torch.equal(v, after[k]) for k, v in answering.items())
    assert any(not torch.equal(v, after[k]) for k, v in restating.items())
    saved = load_file(tmp_path / "ae" / "model" / "model.safetensors")
    assert all(torch.equal(v, saved[k].to(v.dtype)) for k, v in answering.items())


def test_keep_answer_adapter_needs_a_stage_1_that_trains_the_decoder(ae_file, tmp_path):
    with pytest.raises(ConfigError, match="keep_answer_adapter applies to an autoencoder stage with train_decoder"):
        run_config(ae_file, tmp_path / "o", keep_answer_adapter=True)


def test_stage1_without_train_decoder_leaves_the_adapter_alone(ae_file, tmp_path):
    m = model(TINY.replace(decoder_adapter="lora"))
    before = {k: v.clone() for k, v in m.trained_state_dict().items()}
    Trainer(m, run_config(ae_file, tmp_path / "o", steps=2)).run()
    after = m.trained_state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("decoder_lm."))
    assert m.config.restate_decoder == "base"


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(rate_schedule=((3, 1), (8, 2))), "only 6 steps"),
        (dict(rate_schedule=((3, 1), (2, 2))), "increasing"),
        (dict(length_schedule=((6, 20),)), "only 6 steps"),
        (dict(length_schedule=((2, 8),)), "min_tokens..max_tokens"),
        (dict(stage="keft", length_schedule=((2, 20),)), "autoencoder stage only"),
        (dict(stage="keft", train_decoder=True), "autoencoder stage"),
    ],
)
def test_recipes_that_cannot_work_are_refused_before_training(ae_file, tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        run_config(ae_file, tmp_path / "o", **overrides)


def test_train_decoder_without_an_adapter_is_refused(ae_file, tmp_path):
    with pytest.raises(ConfigError, match="train_decoder needs a decoder adapter"):
        Trainer(model(), run_config(ae_file, tmp_path / "o", train_decoder=True))


def test_length_schedule_caps_the_windows_then_lets_go(ae_file, tmp_path):
    m = model()
    config = run_config(ae_file, tmp_path / "o", steps=6, length_schedule=((3, 20),), max_tokens=40, min_tokens=16)
    trainer = Trainer(m, config)
    lengths = {}
    for step in range(6):
        trainer.step = step
        batch = next(batches(trainer.train_source, m, 16, trainer.data_rng, lambda: max_tokens_for_step(config, trainer.step)))
        lengths[step] = max(len(t) - 1 for t in batch.target_ids)  # target = window + EOS
    assert all(lengths[s] <= 20 for s in range(3)), lengths
    assert max(lengths[s] for s in range(3, 6)) > 20, lengths


def test_keft_can_mix_in_restating_samples(ae_file, tmp_path):
    """mix_data: a share of KEFT samples are autoencoder samples (restating prompt, text target)."""
    m = model(TINY.replace(decoder_adapter="lora"))
    qa = tmp_path / "qa.jsonl"
    record = {"question": "what is the capital of france ?", "answers": ["paris"], "context": "paris is the capital of france"}
    qa.write_text(json.dumps(record) + "\n")
    config = TrainConfig(stage="keft", train_data=str(qa), out_dir=str(tmp_path / "k"), steps=2, batch_size=2, rates=(1,),
                         mix_data=str(ae_file), mix_fraction=0.5, max_tokens=40)
    trainer = Trainer(m, config)
    restate = tuple(m.format_prompt(AUTOENCODER_PROMPT))
    prompts = [trainer.train_source.sample(random.Random(i)).prompt for i in range(40)]
    assert 5 < sum(p == restate for p in prompts) < 35
    trainer.run()
    with pytest.raises(ConfigError, match="go together"):
        dataclasses.replace(config, mix_fraction=0.0)
    with pytest.raises(ConfigError, match="KEFT stage only"):
        run_config(ae_file, tmp_path / "o", mix_data=str(ae_file), mix_fraction=0.3)


def test_a_checkpoint_from_before_a_new_setting_still_resumes(ae_file, tmp_path):
    """resumes(): a key the checkpoint lacks matches when left at its default; a moved run
    directory resumes; any real difference is refused."""
    config = run_config(ae_file, tmp_path / "o")
    old = config.resume_key()
    old.pop("mix_fraction"), old.pop("mix_data")
    assert config.resumes(old)
    assert config.resumes({**old, "out_dir": "/elsewhere"})
    assert not dataclasses.replace(config, mix_data=str(ae_file), mix_fraction=0.2, stage="keft").resumes(old)
    assert not dataclasses.replace(config, lr_encoder=1.0).resumes(old)


def test_a_token_file_trains_like_its_jsonl(ae_file, tmp_path):
    from gmsa_rag.training.token_file import write_token_file

    m = model()
    tok_file = tmp_path / "ae.tok"
    write_token_file(tok_file, texts(), m.tokenizer)  # the same texts, pre-tokenized
    Trainer(m, run_config(ae_file, tmp_path / "a", steps=3, eval_data=None)).run()
    Trainer(model(), run_config(tok_file, tmp_path / "b", steps=3, eval_data=None)).run()
    assert step_losses(tmp_path / "a") == step_losses(tmp_path / "b")
    write_token_file(tok_file, ["x " * 40], _OtherTokenizer())
    with pytest.raises(CheckpointError, match="tokenized by"):  # another tokenizer's ids are refused
        Trainer(model(), run_config(tok_file, tmp_path / "c", steps=1))


class _OtherTokenizer:
    name_or_path = "other"

    def __len__(self) -> int:
        return 10

    def get_vocab(self) -> dict[str, int]:
        return {"x": 0}

    def __call__(self, texts, add_special_tokens=False):
        return {"input_ids": [[0] * len(t.split()) for t in texts]}


def test_bf16_on_a_cpu_without_bf16_units_warns(ae_file, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    with pytest.warns(UserWarning, match="emulated"):
        Trainer(model(), run_config(ae_file, tmp_path / "a", precision="bf16"))
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Trainer(model(), run_config(ae_file, tmp_path / "b", precision="bf16"))
        Trainer(model(), run_config(ae_file, tmp_path / "c", precision="fp32"))
