"""The training loop for both stages: autoencoder pretraining and KEFT.

A run lives in one directory: ``log.jsonl`` (one line per logged step / evaluation),
``checkpoint/`` (model, optimizer and RNG state, written atomically every ``save_every``
steps) and, at the end, ``model/`` (the trained GMSA, ``save_pretrained`` format).
Starting a run in a directory that holds a checkpoint resumes it; a different config is
refused rather than silently restarted. A time limit counts the run's time over all its
resumptions (the checkpoint records it), so an interrupted run ends at the same budget.

Under ``torchrun`` (:mod:`~gmsa_rag.training.parallel`) each process draws its share of
every batch and gradients are averaged; only rank 0 evaluates, logs and writes files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import random
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from gmsa_rag.errors import CheckpointError, ConfigError
from gmsa_rag.evaluation.metrics import QAScores, clean_answer, score_qa
from gmsa_rag.model.decoding import SamplingParams
from gmsa_rag.model.gmsa import GMSAModel, TrainBatch, cpu_bf16_units
from gmsa_rag.io import fsync_dir, read_jsonl
from gmsa_rag.training import parallel
from gmsa_rag.training.data import AutoencoderSamples, MixedSamples, QASamples, batches
from gmsa_rag.training.token_file import is_token_file, read_token_file

STAGES = ("autoencoder", "keft")


@dataclass(frozen=True)
class TrainConfig:
    """One training run.

    ``rate_schedule`` lists (until_step, rate) pairs applied before sampling from ``rates``:
    ((100, 1), (200, 2)) trains rate 1, then 2, then {4, 8}. ``length_schedule`` lists
    (until_step, max_tokens) pairs the same way, a sequence-length curriculum for the
    autoencoder (windows of at most that many tokens; ``max_tokens`` after the last pair).
    ``train_decoder`` trains the GMSA model's decoder adapter in the autoencoder stage too
    (jointly with the encoder and LSA, at ``lr_decoder``); KEFT always trains it alone.
    A model with its own answering adapter gets it reset to a copy of the restating one when
    such a stage 1 saves, unless ``keep_answer_adapter`` (a continuation whose KEFT goes on
    training the answering adapter it loaded).
    """

    stage: str
    train_data: str
    out_dir: str
    eval_data: str | None = None
    steps: int = 1000
    batch_size: int = 8
    grad_accum: int = 1
    lr_encoder: float = 5e-4
    lr_aligner: float = 2e-4
    lr_decoder: float = 1e-4
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 2.0
    rates: tuple[int, ...] = (4, 8)
    rate_schedule: tuple[tuple[int, int], ...] = ()
    length_schedule: tuple[tuple[int, int], ...] = ()
    train_decoder: bool = False
    keep_answer_adapter: bool = False
    mix_data: str | None = None  # KEFT: autoencoder texts ({"text"} JSONL) mixed into the batches
    mix_fraction: float = 0.0  # KEFT: share of samples drawn from mix_data
    chunk_tokens: int = 128
    max_chunks: int = 2
    min_tokens: int = 16
    max_tokens: int = 256
    eval_every: int = 100
    eval_batches: int = 4
    eval_answers: int = 32  # KEFT: held-out questions answered greedily per evaluation (EM / F1); 0: loss only
    save_every: int = 100
    log_every: int = 10
    seed: int = 0
    precision: str = "auto"
    time_limit_s: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", tuple(int(r) for r in self.rates))
        for name in ("rate_schedule", "length_schedule"):
            object.__setattr__(self, name, tuple((int(a), int(b)) for a, b in getattr(self, name)))
        if self.stage not in STAGES:
            raise ConfigError(f"stage must be one of {STAGES}, got {self.stage!r}")
        for name in ("steps", "batch_size", "grad_accum", "eval_every", "save_every", "log_every", "chunk_tokens", "max_chunks"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.eval_answers < 0:
            raise ConfigError(f"eval_answers must be >= 0, got {self.eval_answers}")
        if not self.rates or min(self.rates) < 1:
            raise ConfigError(f"rates must be integers >= 1, got {self.rates}")
        for name in ("rate_schedule", "length_schedule"):
            _check_schedule(name, getattr(self, name), self.steps)
        if any(rate < 1 for _, rate in self.rate_schedule):
            raise ConfigError(f"rate_schedule rates must be >= 1, got {self.rate_schedule}")
        if any(not self.min_tokens <= length <= self.max_tokens for _, length in self.length_schedule):
            raise ConfigError(
                f"length_schedule lengths must lie in min_tokens..max_tokens ({self.min_tokens}..{self.max_tokens}), "
                f"got {self.length_schedule}"
            )
        if self.length_schedule and self.stage != "autoencoder":
            raise ConfigError("length_schedule applies to the autoencoder stage only")
        if self.train_decoder and self.stage != "autoencoder":
            raise ConfigError("train_decoder is for the autoencoder stage (KEFT always trains the decoder adapter)")
        if (self.mix_data is None) != (self.mix_fraction == 0.0) or not 0.0 <= self.mix_fraction < 1.0:
            raise ConfigError(
                f"mix_data and mix_fraction go together (a fraction in (0, 1)), got {self.mix_data!r} / {self.mix_fraction}"
            )
        if self.keep_answer_adapter and not (self.stage == "autoencoder" and self.train_decoder):
            raise ConfigError("keep_answer_adapter applies to an autoencoder stage with train_decoder (it alone resets the answering adapter)")
        if self.mix_data is not None and self.stage != "keft":
            raise ConfigError("mix_data applies to the KEFT stage only")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise ConfigError(f"precision must be auto, fp32 or bf16, got {self.precision!r}")

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown training config keys: {unknown}")
        return cls(**data)

    def resume_key(self) -> dict[str, Any]:
        """What must match to resume: everything except how long or how often to log/save, and
        where the run directory is (a moved run resumes)."""
        data = self.to_dict()
        for key in ("out_dir", "steps", "eval_every", "save_every", "log_every", "eval_batches", "eval_answers", "time_limit_s"):
            data.pop(key)
        return data

    def resumes(self, saved_key: dict[str, Any]) -> bool:
        """Whether a checkpoint's ``resume_key`` fits this config. A setting added to TrainConfig
        after the checkpoint was written counts as matching when this config leaves it at its
        default (the run did not use it then either)."""
        current = self.resume_key()
        defaults = TrainConfig(stage=self.stage, train_data="", out_dir="").resume_key()
        saved = dict(saved_key)
        saved.pop("out_dir", None)  # checkpoints written before out_dir left the key
        for key in current.keys() - saved.keys():
            if current[key] == defaults[key]:
                saved[key] = current[key]
        return saved == current


def _check_schedule(name: str, schedule: tuple[tuple[int, int], ...], steps: int) -> None:
    """A curriculum's steps must rise and end before the run does (else its last phase never comes)."""
    until = [u for u, _ in schedule]
    if any(b <= a for a, b in zip([0, *until], until)):
        raise ConfigError(f"{name} steps must be positive and increasing, got {schedule}")
    if until and until[-1] >= steps:
        raise ConfigError(f"{name} runs to step {until[-1]} but the run has only {steps} steps: shorten it or train longer")


def _scheduled(schedule: tuple[tuple[int, int], ...], step: int) -> int | None:
    for until, value in schedule:
        if step < until:
            return value
    return None


def rate_for_step(config: TrainConfig, step: int, rng: random.Random) -> int:
    rate = _scheduled(config.rate_schedule, step)
    return rate if rate is not None else config.rates[rng.randrange(len(config.rates))]


def max_tokens_for_step(config: TrainConfig, step: int) -> int:
    length = _scheduled(config.length_schedule, step)
    return length if length is not None else config.max_tokens


def lr_factor(config: TrainConfig, step: int, time_fraction: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_ratio``.

    With a time limit, the decay follows whichever is further along: steps or elapsed time,
    so a run cut short by its deadline still ends annealed.
    """
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    progress = max(progress, time_fraction)
    return config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def set_trainable(model: GMSAModel, stage: str, train_decoder: bool = False) -> dict[str, list[torch.nn.Parameter]]:
    """Freeze/unfreeze by stage and return the parameter groups to optimise.

    Autoencoder: encoder LoRA, LSA and separator (+ the restating decoder adapter with
    ``train_decoder``); KEFT: the answering decoder adapter alone (the restating one too, unless
    the model has its own answering adapter). Base backbone weights never train.
    """
    if train_decoder and model.config.decoder_adapter == "none":
        raise ConfigError("train_decoder needs a decoder adapter: set decoder_adapter 'lora' or 'qkv' in the GMSA config")
    wanted = {"keft": {"decoder"}, "autoencoder": {"encoder", "aligner"} | ({"decoder"} if train_decoder else set())}[stage]
    groups: dict[str, list[torch.nn.Parameter]] = {"encoder": [], "aligner": [], "decoder": []}
    params = dict(model.named_parameters())
    stage_decoder = "answer_lm." if stage == "keft" and model.config.answer_adapter == "own" else "decoder_lm."
    for name in model.trained_state_dict():
        param = params[name]
        if name.startswith(("decoder_lm.", "answer_lm.")):
            group = "decoder" if name.startswith(stage_decoder) else "frozen"  # the other role's adapter
        elif name.startswith("encoder.") or name.startswith("memory."):
            group = "encoder"
        else:  # aligner, separator
            group = "aligner"
        train = group in wanted
        param.requires_grad_(train)
        if train:
            groups[group].append(param)
    if not any(groups.values()):
        raise ConfigError(
            f"nothing to train in stage {stage!r}"
            + (" (KEFT needs decoder_adapter 'lora' or 'qkv' in the GMSA config)" if stage == "keft" else "")
        )
    return groups


def bf16_is_emulated(device: torch.device) -> bool:
    """Whether bf16 matmuls on ``device`` run without bf16 hardware (a CPU with neither AMX nor
    AVX-512 BF16), where bf16 autocast costs far more than it saves."""
    return device.type == "cpu" and not cpu_bf16_units()


class Trainer:
    """Runs one :class:`TrainConfig` on a :class:`GMSAModel`, resumable."""

    def __init__(self, model: GMSAModel, config: TrainConfig) -> None:
        self.model, self.config = model, config
        if config.precision == "bf16" and bf16_is_emulated(model.device):
            warnings.warn(
                "precision 'bf16' on a CPU without bf16 matrix units (AMX or AVX-512 BF16) runs emulated: a "
                "training step measured ~20x slower than fp32 on an AVX2-only CPU; use precision 'fp32' there",
                stacklevel=2,
            )
        self.out = Path(config.out_dir)
        self.groups = set_trainable(model, config.stage, config.train_decoder)
        self.params = [p for ps in self.groups.values() for p in ps]  # everything the optimiser steps
        self.role = "restate" if config.stage == "autoencoder" else "answer"  # the decoder that trains and is evaluated
        if config.train_decoder:  # the adapted decoder is now the one that restates (and reads) soft tokens
            model.config = model.config.replace(restate_decoder="adapted")
        lrs = {"encoder": config.lr_encoder, "aligner": config.lr_aligner, "decoder": config.lr_decoder}
        self.optimizer = torch.optim.AdamW(
            [{"params": ps, "lr": lrs[g], "name": g} for g, ps in self.groups.items() if ps],
            weight_decay=config.weight_decay,
        )
        self.base_lrs = [g["lr"] for g in self.optimizer.param_groups]
        self.train_source = self._source(config.train_data)
        if config.mix_data:  # keep the stage-1 skill (restating) while KEFT trains the same adapter
            restating = self._source(config.mix_data, stage="autoencoder")
            self.train_source = MixedSamples(self.train_source, restating, config.mix_fraction)
        self.eval_source = self._source(config.eval_data) if config.eval_data else None
        self.step = 0
        self.run_seconds = 0.0  # wall time trained so far, over all resumptions
        self.rank, self.world = parallel.rank(), parallel.world()
        self.rank_batch = parallel.per_rank_batch(config.batch_size)
        self.data_rng = random.Random(config.seed)
        self.torch_rng_state = torch.Generator().manual_seed(config.seed).get_state()
        self._reseed_other_ranks()

    def _reseed_other_ranks(self) -> None:
        """Processes past rank 0 draw other samples (and dropout masks) than rank 0, from
        seeds of (seed, rank, step): a resumed run restores rank 0's generators exactly."""
        if self.rank:
            key = f"{self.config.seed}:{self.rank}:{self.step}"
            self.data_rng = random.Random(key)
            self.torch_rng_state = torch.Generator().manual_seed(random.Random(key).getrandbits(63)).get_state()

    # ------------------------------------------------------------ data and precision

    def _source(self, path: str, stage: str | None = None):
        c = self.config
        if (stage or c.stage) == "autoencoder":  # {"text"} JSONL, or a token file (`gmsa-rag data tokenize`)
            if is_token_file(path):
                texts = read_token_file(path, self.model.tokenizer)
            else:
                texts = [r["text"] for r in read_jsonl(path, ["text"])]
            return AutoencoderSamples(
                self.model, texts, chunk_tokens=c.chunk_tokens, max_chunks=c.max_chunks,
                min_tokens=c.min_tokens, max_tokens=c.max_tokens,
            )
        return QASamples(self.model, read_jsonl(path, ["question", "answers", "context"]), max_chunks=c.max_chunks)

    def _autocast(self):
        device = self.model.device
        use_bf16 = self.config.precision == "bf16" or (self.config.precision == "auto" and device.type == "cuda")
        if not use_bf16:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=torch.bfloat16)

    # ------------------------------------------------------------ checkpoints

    @property
    def checkpoint_dir(self) -> Path:
        return self.out / "checkpoint"

    def save_checkpoint(self) -> None:
        """Model + optimizer + RNG state, flushed to disk and swapped into place atomically."""
        tmp = self.out / "checkpoint.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save_pretrained(tmp / "model")
        tensors, meta = _optimizer_to_tensors(self.optimizer)
        tensors["torch_rng_state"] = self.torch_rng_state
        save_file(tensors, str(tmp / "optimizer.safetensors"))
        state = {
            "step": self.step,
            "config": self.config.resume_key(),
            "optimizer": meta,
            "data_rng": _rng_to_json(self.data_rng.getstate()),
            "run_seconds": self.run_seconds,
        }
        (tmp / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
        _fsync_tree(tmp)
        old = self.out / "checkpoint.old"
        if self.checkpoint_dir.exists():  # else a killed swap left the last good state in old: keep it
            shutil.rmtree(old, ignore_errors=True)
            self.checkpoint_dir.rename(old)
        tmp.rename(self.checkpoint_dir)
        fsync_dir(self.out)
        shutil.rmtree(old, ignore_errors=True)

    def maybe_resume(self) -> bool:
        """Resume from ``checkpoint/`` if present (or from ``checkpoint.old`` after a crash mid-swap)."""
        directory = self.checkpoint_dir
        if not directory.exists() and (self.out / "checkpoint.old").exists():
            directory = self.out / "checkpoint.old"
        if not directory.exists():
            return False
        try:
            state = json.loads((directory / "trainer_state.json").read_text(encoding="utf-8"))
            tensors = load_file(str(directory / "optimizer.safetensors"))
        except (OSError, json.JSONDecodeError, SafetensorError) as exc:
            raise CheckpointError(f"checkpoint in {directory} is corrupted ({exc}); delete it to start over") from exc
        if not self.config.resumes(state.get("config") or {}):
            raise CheckpointError(
                f"the checkpoint in {directory} was made with a different training config; "
                "use the same settings to resume, or another --out directory to start a new run"
            )
        self.model.load_trained(directory / "model" / "model.safetensors")
        _optimizer_from_tensors(self.optimizer, tensors, state["optimizer"])
        self.torch_rng_state = tensors["torch_rng_state"]
        self.data_rng.setstate(_rng_from_json(state["data_rng"]))
        self.step = int(state["step"])
        self.run_seconds = float(state.get("run_seconds", 0.0))
        self._reseed_other_ranks()
        return True

    # ------------------------------------------------------------ the loop

    def _log(self, record: dict[str, Any]) -> None:
        if self.rank:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        with (self.out / "log.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def train_step(self, stream, time_fraction: float = 0.0) -> tuple[float, int]:
        """One optimiser step (``grad_accum`` micro-batches). Returns (mean loss, target tokens)."""
        c = self.config
        self.model.train()
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * lr_factor(c, self.step, time_fraction)
        total, tokens = 0.0, 0
        for _ in range(c.grad_accum):
            batch: TrainBatch = next(stream)
            rate = rate_for_step(c, self.step, self.data_rng)
            with self._autocast():
                loss = self.model(batch, rate, self.role) / c.grad_accum
            loss.backward()
            total += loss.item()
            tokens += sum(len(t) for t in batch.target_ids) + int(batch.chunk_mask.sum())
        if self.world > 1:
            parallel.average_gradients(self.params)
            total, tokens = parallel.sum_over_ranks(total / self.world, tokens)
        torch.nn.utils.clip_grad_norm_(self.params, c.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        return total, tokens

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Held-out loss per rate on fixed batches, and the no-context loss ("ignores soft tokens")."""
        if self.eval_source is None:
            return {}
        self.model.eval()
        c = self.config
        rng = random.Random(12345)
        fixed = [next(batches(self.eval_source, self.model, c.batch_size, rng)) for _ in range(c.eval_batches)]
        result = {}
        with self._autocast():
            for rate in sorted(set(self.config.rates)):
                result[f"eval_loss_rate{rate}"] = sum(self.model(b, rate, self.role).item() for b in fixed) / len(fixed)
            result["eval_loss_no_context"] = sum(
                self.model.lm_loss(self.model.decoder_for(self.role), [None] * len(b.prompt_ids), b.prompt_ids, b.target_ids).item()
                for b in fixed
            ) / len(fixed)
            for rate in sorted(set(self.config.rates)):  # how much the soft tokens tell the decoder
                result[f"eval_gap_rate{rate}"] = result["eval_loss_no_context"] - result[f"eval_loss_rate{rate}"]
            if isinstance(self.eval_source, QASamples) and c.eval_answers:
                for rate, scores in qa_scores(self.model, self.eval_source, c.eval_answers, c.rates).items():
                    result[f"eval_em_rate{rate}"], result[f"eval_f1_rate{rate}"] = scores.em, scores.f1
        return result

    def _sync_answer_adapter(self) -> None:
        """Stage 1 trains the restating adapter; a separate answering one follows it until KEFT
        (or keeps its trained weights: ``keep_answer_adapter``)."""
        c = self.config
        if c.stage == "autoencoder" and c.train_decoder and not c.keep_answer_adapter and self.model.config.answer_adapter == "own":
            self.model.reset_answer_adapter()

    def _checkpoint_now(self, started: float) -> None:
        self._sync_answer_adapter()
        self.torch_rng_state = torch.random.get_rng_state()
        self.run_seconds = time.monotonic() - started
        if not self.rank:
            self.save_checkpoint()

    def run(self) -> Path:
        """Train to ``steps`` (resuming if a checkpoint exists); returns the saved model directory."""
        c = self.config
        resumed = self.maybe_resume()
        self._log({"event": "start", "resumed_at": self.step if resumed else None, "config": c.to_dict()})
        with torch.random.fork_rng(devices=[self.model.device] if self.model.device.type == "cuda" else []):
            torch.random.set_rng_state(self.torch_rng_state)
            window = (lambda: max_tokens_for_step(c, self.step)) if c.length_schedule else None
            parallel.broadcast_parameters(self.params)
            stream = batches(self.train_source, self.model, self.rank_batch, self.data_rng, window)
            bar = tqdm(total=c.steps, initial=self.step, desc=f"train {c.stage}", unit="step", disable=self.rank > 0)
            window_loss, window_tokens, window_steps, window_seconds = 0.0, 0, 0, 0.0  # since the last log line
            started = time.monotonic() - self.run_seconds  # the time limit spans resumptions
            deadline = started + c.time_limit_s if c.time_limit_s else math.inf
            while self.step < c.steps and not parallel.any_rank(time.monotonic() >= deadline):
                elapsed_fraction = (time.monotonic() - started) / c.time_limit_s if c.time_limit_s else 0.0
                if self.world > 1 and c.time_limit_s:  # one learning rate for all processes
                    elapsed_fraction = parallel.sum_over_ranks(elapsed_fraction)[0] / self.world
                step_start = time.perf_counter()
                loss, tokens = self.train_step(stream, elapsed_fraction)
                window_seconds += time.perf_counter() - step_start  # training only, not evaluation
                window_loss, window_tokens, window_steps = window_loss + loss, window_tokens + tokens, window_steps + 1
                bar.update(1)
                if self.step % c.log_every == 0 or self.step == c.steps:  # after a resume the window may be shorter
                    record = {"step": self.step, "loss": window_loss / window_steps, "tokens_per_s": window_tokens / window_seconds,
                              "seconds_per_step": window_seconds / window_steps}
                    bar.set_postfix(loss=f"{record['loss']:.3f}", tok_s=f"{record['tokens_per_s']:.0f}")
                    self._log(record)
                    window_loss, window_tokens, window_steps, window_seconds = 0.0, 0, 0, 0.0
                if (self.step % c.eval_every == 0 or self.step == c.steps) and not self.rank:
                    metrics = self.evaluate()
                    if metrics:
                        self._log({"step": self.step, **metrics})
                        bar.write(f"step {self.step}: " + ", ".join(f"{k}={v:.3f}" for k, v in metrics.items()))
                if self.step % c.save_every == 0 or self.step == c.steps:
                    self._checkpoint_now(started)
            bar.close()
            if self.step < c.steps:  # stopped by the time limit: keep what was learned
                self._checkpoint_now(started)
                self._log({"event": "time_limit", "step": self.step})
        self.model.eval()
        self._sync_answer_adapter()
        if not self.rank:
            self.model.save_pretrained(self.out / "model")
        parallel.barrier()  # the model directory exists when every process returns it
        return self.out / "model"


# ---------------------------------------------------------------- held-out answers


@torch.inference_mode()
def qa_scores(
    model: GMSAModel, samples: QASamples, n: int, rates: tuple[int, ...], batch_size: int = 16,
    max_new_tokens: int = 24,
) -> dict[int, QAScores]:
    """Greedy answers to the first ``n`` questions of ``samples``, each read from its passages
    (gold + distractors, the tokens KEFT trains on) in an order fixed per question, so the
    gold is not always first -> EM / F1 / accuracy per rate."""
    records, items = samples.records[:n], samples.items[:n]
    scores = {}
    for rate in sorted(set(rates)):
        predictions: list[str] = []
        for start in range(0, len(items), batch_size):
            contexts = []
            for index, (chunks, _, _) in enumerate(items[start : start + batch_size], start):
                chunks = list(chunks)
                random.Random(index).shuffle(chunks)
                merged, groups = model.encode_ids(*model.pad_ids(chunks), (rate,))[rate]  # (c, G, d), (c, G)
                contexts.append([merged[i, : int(groups[i].sum())] for i in range(len(chunks))])
            questions = [r["question"] for r in records[start : start + batch_size]]
            outputs = model.generate(questions, contexts, SamplingParams(max_new_tokens=max_new_tokens))
            predictions += [clean_answer(o) for o in outputs]
        scores[rate] = score_qa(predictions, [r["answers"] for r in records])
    return scores


# ---------------------------------------------------------------- serialising state without pickle


def _fsync_tree(directory: Path) -> None:
    """Flush every file under ``directory`` and the directories themselves, so the rename
    that publishes a checkpoint never points at data a power loss could still take away."""
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        else:
            fsync_dir(path)
    fsync_dir(directory)


def _optimizer_to_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, slots in state["state"].items():
        for key, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"state.{index}.{key}"] = value.detach().to("cpu").contiguous()
            else:
                scalars[f"{index}.{key}"] = value
    groups = [{k: v for k, v in g.items()} for g in state["param_groups"]]
    return tensors, {"param_groups": groups, "scalars": scalars}


def _optimizer_from_tensors(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("state."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    for name, value in meta["scalars"].items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    try:
        optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"optimizer state does not fit this model: {exc}") from exc


def _rng_to_json(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _rng_from_json(data: list) -> tuple:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)
