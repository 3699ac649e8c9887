"""A paired continuation: stage 1 from the shipped weights at the recipe's peak learning rates
scaled by LR_SCALE, everything else as scripts/train_default.py continues (no rate curriculum,
answering adapter kept), a fixed step count, held-out loss every 50 steps.

    python docs/training/cpu_run_v10/lr_pair.py DATA TRAIN_TOKENS OUT STEPS LR_SCALE [RATES]

RATES (comma-separated, default the recipe's "4,8") are the rates drawn per batch: "4,8,8"
draws rate 8 twice as often (session 17's pair, ../cpu_run_v12/rate_pair/). Writes
OUT/log.jsonl (the Trainer's log). Session 15 ran LR_SCALE 1.0 and 0.5 on one fresh
documentation sample, one after the other on the idle machine (README.md here).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
from train_default import DEFAULT_GMSA, ae_train_config  # noqa: E402

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.training.trainer import Trainer  # noqa: E402

data, tokens, out, steps, scale = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rates = tuple(int(r) for r in sys.argv[6].split(",")) if len(sys.argv) > 6 else None
model = GMSAModel.from_backbone("smollm2-135m-instruct", DEFAULT_GMSA)
model.load_trained(ROOT / "gmsa_rag" / "default_model" / "model.safetensors")
base = ae_train_config(data, out, steps, 8, None, curriculum=False, precision="bf16", train_file=tokens,
                       keep_answer_adapter=True)
config = ae_train_config(data, out, steps, 8, None, curriculum=False, precision="bf16", train_file=tokens,
                         keep_answer_adapter=True, eval_every=50, save_every=50, rates=rates or base.rates,
                         lr_encoder=base.lr_encoder * scale, lr_aligner=base.lr_aligner * scale,
                         lr_decoder=base.lr_decoder * scale)
Trainer(model, config).run()
