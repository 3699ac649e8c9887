"""A paired continuation: stage 1 from the shipped weights at the recipe's peak learning rates
scaled by LR_SCALE, everything else as scripts/train_default.py continues (no rate curriculum,
answering adapter kept), a fixed step count, held-out loss every 50 steps.

    python docs/training/cpu_run_v10/lr_pair.py DATA TRAIN_TOKENS OUT STEPS LR_SCALE [RATES] [--system-prompt TEXT] [--precision fp32]
        [--init MODEL_DIR] [--decoder-targets all-linear]

RATES (comma-separated, default the recipe's "4,8") are the rates drawn per batch: "4,8,8"
draws rate 8 twice as often (session 17's pair, ../cpu_run_v12/rate_pair/). --system-prompt
sets GMSAConfig.system_prompt ('' an empty system turn; the chat template's default when not
given; ../cpu_run_v13/system_pair/). --precision: bf16 autocast (the default, as every pair so
far ran) or fp32 (a CPU without AMX). Writes OUT/log.jsonl (the Trainer's log) and OUT/model.
Session 15 ran LR_SCALE 1.0 and 0.5 on one fresh documentation sample, one after the other on
the idle machine (README.md here). --init continues another model directory than the shipped
default. --decoder-targets widens the decoder adapters (both the restating and the answering
one) to other projections: the saved LoRA of q/k/v is loaded and the new projections start
from PEFT's fresh LoRA, whose B is zero, so the model's outputs are unchanged at step 0
(../cpu_run_v13/continued/scope_pair.sh).
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
from train_default import DEFAULT_GMSA, ae_train_config, int_list  # noqa: E402

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.training.trainer import Trainer  # noqa: E402

parser = argparse.ArgumentParser()
for name, kind in (("data", Path), ("tokens", Path), ("out", Path), ("steps", int), ("scale", float)):
    parser.add_argument(name, type=kind)
parser.add_argument("rates", type=int_list, nargs="?", default=None)
parser.add_argument("--system-prompt", default=None)
parser.add_argument("--precision", choices=("bf16", "fp32"), default="bf16")
parser.add_argument("--init", type=Path, default=ROOT / "gmsa_rag" / "default_model")
parser.add_argument("--decoder-targets", type=lambda text: tuple(text.split(",")), default=DEFAULT_GMSA.decoder_targets)
args = parser.parse_args()
gmsa = DEFAULT_GMSA.replace(system_prompt=args.system_prompt, decoder_targets=args.decoder_targets)
model = GMSAModel.from_backbone("smollm2-135m-instruct", gmsa)
fresh = model.load_trained(args.init / "model.safetensors", allow_new_projections=True)
print(f"{len(fresh)} new decoder-adapter tensors start fresh", flush=True)
settings = dict(curriculum=False, precision=args.precision, train_file=args.tokens, keep_answer_adapter=True)
base = ae_train_config(args.data, args.out, args.steps, 8, None, **settings)
config = ae_train_config(args.data, args.out, args.steps, 8, None, **settings, eval_every=50, save_every=50,
                         rates=args.rates or base.rates, lr_encoder=base.lr_encoder * args.scale,
                         lr_aligner=base.lr_aligner * args.scale, lr_decoder=base.lr_decoder * args.scale)
Trainer(model, config).run()
