"""Train the default GMSA model for the built-in backbone: stage 1 (autoencoder) then KEFT.

Used for the shipped weights (see gmsa_rag/default_model/MODEL_CARD.md). Every setting is here
so the run can be repeated; on a GPU it uses bf16 autocast, on a CPU fp32 unless told.

    python scripts/train_default.py --data DIR --out DIR [--ae-steps N] [--keft-steps N] [--device cuda]

DIR holds ae_train.jsonl / ae_heldout.jsonl / qa_train.jsonl / qa_heldout.jsonl
(``gmsa-rag data build``, or ``gmsa_rag.training.corpora.build_all`` for the bundled text
alone); ``--ae-train FILE`` trains stage 1 on another file, e.g. a token file of the
documentation corpus (``gmsa-rag data tokenize``). Outputs: OUT/ae, OUT/keft (save_pretrained
directories), OUT/*log.jsonl, OUT/quick_eval.json.

Data-parallel over processes (one thread each on a 2-core CPU, or N GPUs), the same recipe
at the same global batch (each process draws ``--batch-size`` / N of every batch):

    torchrun --standalone --nproc-per-node 2 scripts/train_default.py --data DIR --out DIR ...
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from pathlib import Path

import torch

from gmsa_rag.config import LSA_INITS, GMSAConfig
from gmsa_rag.io import read_jsonl
from gmsa_rag.model import GMSAModel
from gmsa_rag.model.gmsa import CONFIG_NAME, tensor_sha256
from gmsa_rag.training import parallel
from gmsa_rag.training.data import QASamples
from gmsa_rag.training.trainer import Trainer, TrainConfig, qa_scores

DEFAULT_GMSA = GMSAConfig(
    backbone="smollm2-135m-instruct",
    encoder_layers=8,
    lora_r=64,
    lora_alpha=128,
    lora_dropout=0.05,
    lsa_layers=1,
    lsa_init="random",  # converged fastest in the ablation (README); v1 used "backbone"
    rates=(4, 8),
    max_chunk_tokens=512,
    # The decoder adapter trains in stage 1 too (a 135M decoder cannot unpack several tokens from
    # one vector while frozen: docs/training/README.md). KEFT trains a copy of it (answer_adapter
    # "own"): continuing the one adapter made the model answer but no longer restate.
    decoder_adapter="lora",
    decoder_lora_r=32,
    decoder_lora_alpha=32,
    decoder_targets=("q_proj", "k_proj", "v_proj"),
    restate_decoder="adapted",
    answer_adapter="own",
)
RATE_CURRICULUM = ((30, 1), (60, 2))  # steps at rate 1, then 2, before {4, 8}: forces reading first


def int_list(text: str) -> tuple[int, ...]:
    """argparse type: "64,128" -> (64, 128)."""
    return tuple(int(x) for x in text.split(",") if x.strip())


def ae_train_config(
    data: Path, out_dir: Path, steps: int, batch_size: int, time_limit_s: float | None, curriculum: bool = True,
    precision: str = "auto", max_tokens: int = 128, train_file: Path | None = None, **changes,
) -> TrainConfig:
    """Stage 1 recipe: encoder LoRA + LSA + decoder LoRA jointly, rate curriculum 1 -> 2 -> {4, 8}
    (off when continuing a trained model), windows of up to ``max_tokens`` in 1-2 chunks.
    ``train_file`` replaces ``data/ae_train.jsonl`` (e.g. a token file of the documentation
    corpus); ``changes`` override single settings (the recipe search, scripts/ablation.py)."""
    schedule = tuple((until, rate) for until, rate in RATE_CURRICULUM if until < steps) if curriculum else ()
    recipe = TrainConfig(
        stage="autoencoder",
        train_data=str(train_file or data / "ae_train.jsonl"),
        eval_data=str(data / "ae_heldout.jsonl"),
        out_dir=str(out_dir),
        steps=steps,
        batch_size=batch_size,
        lr_encoder=8e-4,
        lr_aligner=5e-4,
        lr_decoder=5e-4,
        train_decoder=True,
        warmup_steps=min(100, steps // 10 + 1),
        rates=(4, 8),
        rate_schedule=schedule,
        chunk_tokens=128,
        max_chunks=2,
        min_tokens=16,
        max_tokens=max_tokens,
        eval_every=max(1, steps // 10),
        save_every=max(1, steps // 10),
        log_every=max(1, min(25, steps // 10)),
        time_limit_s=time_limit_s,
        precision=precision,
    )
    return dataclasses.replace(recipe, **changes)


def _joined_to_length(model: GMSAModel, texts: list[str], length: int) -> list[str]:
    """Consecutive held-out passages joined until each piece has at least ``length`` tokens
    (passages are ~130 tokens, so 256-token texts span two of them)."""
    pieces, current = [], ""
    for text in texts:
        current = f"{current} {text}".strip()
        if len(model.tokenizer(current, add_special_tokens=False)["input_ids"]) >= length:
            pieces.append(current)
            current = ""
    return pieces


def reconstruction_report(model: GMSAModel, data: Path, n: int, lengths: tuple[int, ...] = (128, 256)) -> dict:
    """BLEU / ROUGE-L / prefix-EM of greedy restatements of the first ``n`` held-out texts
    (those with at least ``length`` tokens), per text length and rate."""
    from gmsa_rag.evaluation.reconstruction import evaluate_reconstruction

    texts = [json.loads(line)["text"] for line in (data / "ae_heldout.jsonl").open()]
    report = {}
    for length in lengths:
        long_enough = _joined_to_length(model, texts, length)[:n]
        for rate in model.config.rates:
            result = evaluate_reconstruction(model, long_enough, rate, max_tokens=length, batch_size=32, progress=False)
            row = result.to_dict()
            row["sample"] = {"reference": result.references[0], "prediction": result.predictions[0]}
            report[f"tokens{length}_rate{rate}"] = row
    return report


def qa_quick(model: GMSAModel, data: Path, n_qa: int) -> dict:
    """EM / F1 / accuracy of short greedy answers to held-out questions (gold + two distractors)."""
    samples = QASamples(model, read_jsonl(data / "qa_heldout.jsonl", limit=n_qa), max_chunks=3)
    return {f"rate{rate}": s.to_dict() for rate, s in qa_scores(model, samples, n_qa, model.config.rates).items()}


def export(model: GMSAModel, directory: Path, max_bytes: int = 15_000_000) -> None:
    """save_pretrained in bf16, split into shards under ``max_bytes`` (the device's file limit);
    scripts/merge_shards.py joins them into a model directory again."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    model.config.save(directory / "config.json")
    tensors = {k: v.to(torch.bfloat16).cpu().contiguous() for k, v in model.trained_state_dict().items()}
    shard, size, index = {}, 0, 0
    for name in sorted(tensors):
        nbytes = tensors[name].numel() * 2
        if shard and size + nbytes > max_bytes:
            save_file(shard, str(directory / f"shard{index}.safetensors"))
            shard, size, index = {}, 0, index + 1
        shard[name], size = tensors[name], size + nbytes
    save_file(shard, str(directory / f"shard{index}.safetensors"))


def keft_train_config(args: argparse.Namespace, out_dir: Path) -> TrainConfig:
    """Stage 2 recipe: KEFT trains the answering adapter, which starts as the stage-1 one."""
    return TrainConfig(
        stage="keft",
        train_data=str(args.data / "qa_train.jsonl"),
        eval_data=str(args.data / "qa_heldout.jsonl"),
        out_dir=str(out_dir),
        steps=args.keft_steps,
        batch_size=args.keft_batch_size,
        lr_decoder=2e-4 * args.keft_lr_scale,
        # --keft-mix: restating samples mixed in (the answering adapter restates too)
        mix_data=str(args.data / "ae_train.jsonl") if args.keft_mix else None,
        mix_fraction=args.keft_mix,
        max_tokens=128,  # the restating samples' windows, as in stage 1
        warmup_steps=min(30, args.keft_steps // 10 + 1),
        rates=(4, 8),
        max_chunks=3,
        eval_every=max(1, args.keft_steps // 5),
        save_every=max(1, args.keft_steps // 5),
        log_every=max(1, min(25, args.keft_steps // 10)),
        time_limit_s=args.keft_time,
        precision=args.precision,
    )


def init_decoder_targets(init: Path | None) -> tuple[str, ...] | None:
    """The decoder adapters' scope of a model directory to continue from (None: not a directory)."""
    if init is None or not (init / CONFIG_NAME).is_file():
        return None
    return GMSAConfig.load(init / CONFIG_NAME).decoder_targets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ae-train", type=Path, default=None,
                        help="stage-1 text instead of DATA/ae_train.jsonl: {'text'} JSONL or a token file "
                             "(`gmsa-rag data tokenize`)")
    parser.add_argument("--work", type=Path, default=None, help="run directories (default: OUT/runs)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--ae-steps", type=int, default=3000, help="0: no stage 1 (KEFT on --init's weights)")
    parser.add_argument("--ae-time", type=float, default=None)
    parser.add_argument("--keft-steps", type=int, default=400, help="0: no KEFT (the stage-1 model is the result)")
    parser.add_argument("--keft-time", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--keft-batch-size", type=int, default=32)
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                        help="auto: bf16 autocast on CUDA, fp32 on CPU; bf16 also suits CPUs with AMX")
    parser.add_argument("--eval-texts", type=int, default=64, help="0: skip the final evaluation")
    parser.add_argument("--init", type=Path, default=None,
                        help="trained weights to continue from (a model directory such as gmsa_rag/default_model, "
                             "or a safetensors file); no rate curriculum then. CPU hours add up across sessions")
    parser.add_argument("--keep-answer-adapter", action="store_true",
                        help="with --init: stage 1 leaves the loaded answering adapter as it is, and KEFT goes on "
                             "training it (instead of restarting it as a copy of the new restating adapter)")
    parser.add_argument("--max-tokens", type=int, default=128, help="longest stage-1 window")
    parser.add_argument("--lr-scale", type=float, default=1.0,
                        help="stage 1: the peak learning rates scaled by this (continuations from --init did better at "
                             "0.5 than 1.0, then at 0.25 than 0.5, in two measured pairs: "
                             "docs/training/cpu_run_v10/README.md, docs/training/cpu_run_v11/README.md)")
    parser.add_argument("--keft-lr-scale", type=float, default=1.0,
                        help="KEFT: the answering adapter's peak learning rate (2e-4) scaled by this; a KEFT that "
                             "continues a trained answering adapter restarts its warm-up to that peak "
                             "(docs/training/cpu_run_v14/README.md)")
    parser.add_argument("--keft-mix", type=float, default=0.0,
                        help="share of KEFT samples that are stage-1 restatements (0: none)")
    parser.add_argument("--eval-lengths", type=int_list, default=(128,), help="comma-separated text lengths of the reconstruction check")
    parser.add_argument("--eval-qa", type=int, default=96)
    parser.add_argument("--lsa-init", choices=LSA_INITS, default=DEFAULT_GMSA.lsa_init,
                        help="LSA initialisation (v1 was trained with backbone)")
    parser.add_argument("--system-prompt", default=None,
                        help="the GMSA prompts' system turn (GMSAConfig.system_prompt): '' an empty one, 16 "
                             "positions shorter than the chat template's default, which is kept when not given")
    parser.add_argument("--decoder-targets", type=lambda text: tuple(t.strip() for t in text.split(",") if t.strip()),
                        default=None, help="projections the decoder adapters cover, comma-separated, or 'all-linear' "
                                           "(default: --init's, else q,k,v). Wider than --init's: the new projections "
                                           "start from B = 0, so training starts from --init's model")
    args = parser.parse_args()
    if args.keep_answer_adapter and not args.init:
        parser.error("--keep-answer-adapter needs --init (weights with a trained answering adapter)")
    if not (args.ae_steps or args.keft_steps):
        parser.error("--ae-steps and --keft-steps are both 0: nothing to train")
    for flag, scale in (("--lr-scale", args.lr_scale), ("--keft-lr-scale", args.keft_lr_scale)):
        if not scale > 0:
            parser.error(f"{flag} must be > 0, got {scale}")
    work = args.work or args.out / "runs"
    keft = keft_train_config(args, work / "keft") if args.keft_steps else None  # refused now, not after stage 1
    t0 = time.time()
    rank, _ = parallel.init_from_env()  # under torchrun: this process's share of each batch
    main_process = rank == 0

    targets = args.decoder_targets or init_decoder_targets(args.init) or DEFAULT_GMSA.decoder_targets
    gmsa = DEFAULT_GMSA.replace(lsa_init=args.lsa_init, system_prompt=args.system_prompt, decoder_targets=targets)
    model = GMSAModel.from_backbone("smollm2-135m-instruct", gmsa, device=args.device)
    info = {
        "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "backbone_file_sha256": model.config.backbone_sha256,
        "backbone_tensor_sha256": tensor_sha256(dict(model.backbone.state_dict())),
        "torch": torch.__version__,
    }
    if main_process:
        print(json.dumps(info), flush=True)
    if args.init:  # an older file may lack the decoder adapter (v1 stage 1) or the answering one (v2)
        init = args.init / "model.safetensors" if args.init.is_dir() else args.init
        missing_ok = ("decoder_lm.",) if args.keep_answer_adapter else ("decoder_lm.", "answer_lm.")
        fresh = model.load_trained(init, allow_missing_prefix=missing_ok, allow_new_projections=True)
        if main_process and fresh:
            print(f"{len(fresh)} trained tensors were not in {init} (e.g. {fresh[0]}): see GMSAModel.load_trained", flush=True)
    if args.ae_steps:
        ae = ae_train_config(args.data, work / "ae", args.ae_steps, args.batch_size, args.ae_time,
                             curriculum=not args.init, precision=args.precision, max_tokens=args.max_tokens,
                             train_file=args.ae_train, keep_answer_adapter=args.keep_answer_adapter)
        ae = dataclasses.replace(ae, lr_encoder=ae.lr_encoder * args.lr_scale, lr_aligner=ae.lr_aligner * args.lr_scale,
                                 lr_decoder=ae.lr_decoder * args.lr_scale)
        Trainer(model, ae).run()
        if main_process:
            export(model, args.out / "ae")
            shutil.copy(work / "ae" / "log.jsonl", args.out / "ae_log.jsonl")
            print(f"stage 1 done at {time.time() - t0:.0f}s", flush=True)

    if keft is not None:
        Trainer(model, keft).run()
    if not main_process:
        return
    if keft is not None:
        export(model, args.out / "keft")
        shutil.copy(work / "keft" / "log.jsonl", args.out / "keft_log.jsonl")
        print(f"stage 2 done at {time.time() - t0:.0f}s", flush=True)

    if args.eval_texts:
        info["reconstruction"] = reconstruction_report(model.eval(), args.data, args.eval_texts, args.eval_lengths)
    if args.eval_qa:
        info["qa_quick"] = qa_quick(model.eval(), args.data, args.eval_qa)
    info["seconds"] = time.time() - t0
    (args.out / "quick_eval.json").write_text(json.dumps(info, indent=2))
    print(json.dumps(info, indent=2), flush=True)


if __name__ == "__main__":
    main()
