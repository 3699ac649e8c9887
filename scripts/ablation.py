"""Stage-1 recipe search and the paper's comparison: one run per variant, same steps and data.

    python scripts/ablation.py --variant NAME --data DIR --out DIR [--steps N] [--max-tokens 64] [--seed S]

Every variant is the default recipe (scripts/train_default.py: decoder LoRA trained in stage 1,
rate curriculum 1 -> 2 -> {4, 8}, random-init LSA) with one thing changed, so two runs at the
same budget differ in that thing only:

    default          the recipe itself
    gmsa             LSA initialised from the backbone's first layer (the paper's GMSA)
    icae             ICAE-style learned memory tokens (+ backbone-init LSA, as the paper compares)
    linear           a linear projection instead of LSA
    frozen_decoder   no decoder adapter in stage 1 (the paper's stage 1)
    dec_r8, dec_r64  decoder LoRA rank 8 / 64 instead of 32
    dec_all_linear   decoder LoRA on every linear layer, not only q/k/v
    dec_lr_low       decoder learning rate 1.5e-4 instead of 5e-4
    no_rate_curriculum  rates 4 / 8 from the first step
    length_curriculum   windows of at most 64 tokens for the first half, then the full length

Writes OUT/VARIANT[_sS]_log.jsonl (training and held-out losses, the no-context loss and the
gap) and OUT/VARIANT[_sS]_eval.json (greedy reconstruction BLEU / ROUGE-L / prefix-EM of held-out
texts at the --eval-lengths, rates 4 and 8). ``scripts/plot_ablation.py`` draws the curves.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_default import DEFAULT_GMSA, ae_train_config, int_list, reconstruction_report  # noqa: E402

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.training.trainer import Trainer  # noqa: E402

# name -> (GMSA config changes, training changes given the run's steps and window length)
VARIANTS = {
    "default": ({}, lambda steps, tokens: {}),
    "gmsa": ({"lsa_init": "backbone"}, lambda steps, tokens: {}),
    "icae": ({"merger": "icae", "lsa_init": "backbone"}, lambda steps, tokens: {}),
    "linear": ({"aligner": "linear"}, lambda steps, tokens: {}),
    "frozen_decoder": ({"decoder_adapter": "none", "restate_decoder": "base", "answer_adapter": "shared"},
                       lambda steps, tokens: {"train_decoder": False}),
    "dec_r8": ({"decoder_lora_r": 8, "decoder_lora_alpha": 8}, lambda steps, tokens: {}),
    "dec_r64": ({"decoder_lora_r": 64, "decoder_lora_alpha": 64}, lambda steps, tokens: {}),
    "dec_all_linear": ({"decoder_targets": ("all-linear",)}, lambda steps, tokens: {}),
    "dec_lr_low": ({}, lambda steps, tokens: {"lr_decoder": 1.5e-4}),
    "no_rate_curriculum": ({}, lambda steps, tokens: {"rate_schedule": ()}),
    "length_curriculum": ({}, lambda steps, tokens: {"length_schedule": ((steps // 2, min(64, tokens)),)}),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64, help="longest training window")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--eval-texts", type=int, default=24)
    parser.add_argument("--eval-lengths", type=int_list, default=(64, 128))
    args = parser.parse_args()
    t0 = time.time()
    gmsa_changes, train_changes = VARIANTS[args.variant]
    config = DEFAULT_GMSA.replace(**gmsa_changes)
    model = GMSAModel.from_backbone(config.backbone, config, device=args.device)
    name = args.variant + (f"_s{args.seed}" if args.seed else "")
    work = args.out / "runs" / name
    changes = {"seed": args.seed, **train_changes(args.steps, args.max_tokens)}
    recipe = ae_train_config(args.data, work, args.steps, args.batch_size, args.time_limit,
                             precision=args.precision, max_tokens=args.max_tokens, **changes)
    Trainer(model, recipe).run()
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(work / "log.jsonl", args.out / f"{name}_log.jsonl")
    train_seconds = time.time() - t0
    report = reconstruction_report(model.eval(), args.data, args.eval_texts, lengths=args.eval_lengths)
    result = {"variant": args.variant, "seed": args.seed, "gmsa_changes": gmsa_changes, "train_changes": changes,
              "steps": args.steps, "batch_size": args.batch_size, "max_tokens": args.max_tokens,
              "train_seconds": train_seconds, "reconstruction": report}
    (args.out / f"{name}_eval.json").write_text(json.dumps(result, indent=2, default=list))
    print(json.dumps({k: {m: v.get(m) for m in ("bleu", "rouge_l", "prefix_em")} for k, v in report.items()}), flush=True)


if __name__ == "__main__":
    main()
