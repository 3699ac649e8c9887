"""Quick CUDA check of the training path on a tiny random backbone (run on a GPU machine)."""

import json
import random
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tiny import WORDS, tiny_backbone  # noqa: E402

from gmsa_rag.config import GMSAConfig  # noqa: E402
from gmsa_rag.model import GMSAModel, SamplingParams  # noqa: E402
from gmsa_rag.training.trainer import TrainConfig, Trainer  # noqa: E402

rng = random.Random(0)
words = [w for w in WORDS if w.isalpha()]
with tempfile.TemporaryDirectory() as tmp:
    data = Path(tmp) / "ae.jsonl"
    data.write_text("".join(json.dumps({"text": " ".join(rng.choice(words) for _ in range(40))}) + "\n" for _ in range(64)))
    lm, tok = tiny_backbone("llama")
    model = GMSAModel(GMSAConfig(backbone="tiny", encoder_layers=2, lora_r=4, lora_alpha=8), lm.cuda(), tok)
    cfg = TrainConfig(stage="autoencoder", train_data=str(data), eval_data=str(data), out_dir=f"{tmp}/run", steps=6,
                      batch_size=4, chunk_tokens=32, max_tokens=48, eval_every=3, save_every=3)
    Trainer(model, cfg).run()
    ctx = [v.vectors[4] for v in model.compress(["the king of france"])]
    print("generate:", model.generate(["who ?"], [ctx], SamplingParams(max_new_tokens=4)))
    print("cuda smoke ok", torch.__version__, torch.cuda.get_device_name())
