"""A paired continuation from the shipped weights: stage 1 as scripts/train_default.py continues
it at --lr-scale 0.25 (no rate curriculum, answering adapter kept), with the rates drawn per batch
from RATES (comma-separated; "4,8,8" draws rate 8 twice as often), a fixed step count, held-out
loss every 50 steps.

    python docs/training/cpu_run_v12/rate_pair/rate_pair.py DATA TRAIN_TOKENS OUT STEPS RATES

Writes OUT/log.jsonl (the Trainer's log) and OUT/model.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "scripts"))
from train_default import DEFAULT_GMSA, ae_train_config  # noqa: E402

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.training.trainer import Trainer  # noqa: E402

LR_SCALE = 0.25  # v12's setting
data, tokens, out, steps = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
rates = tuple(int(r) for r in sys.argv[5].split(","))
model = GMSAModel.from_backbone("smollm2-135m-instruct", DEFAULT_GMSA)
model.load_trained(ROOT / "gmsa_rag" / "default_model" / "model.safetensors")
base = ae_train_config(data, out, steps, 8, None, curriculum=False, precision="bf16", train_file=tokens,
                       keep_answer_adapter=True)
config = ae_train_config(data, out, steps, 8, None, curriculum=False, precision="bf16", train_file=tokens,
                         keep_answer_adapter=True, eval_every=50, save_every=50, rates=rates,
                         lr_encoder=base.lr_encoder * LR_SCALE, lr_aligner=base.lr_aligner * LR_SCALE,
                         lr_decoder=base.lr_decoder * LR_SCALE)
Trainer(model, config).run()
