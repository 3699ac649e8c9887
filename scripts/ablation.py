"""The paper's comparison at small scale: one stage-1 run per variant, same steps and data.

    python scripts/ablation.py --variant gmsa|icae|linear|random_lsa --data DIR --out DIR [--steps N]

Variants (all on the built-in backbone, same recipe as scripts/train_default.py stage 1):
    gmsa        group merging + LSA initialised from the backbone's first layer
    icae        ICAE-style learned memory tokens + LSA
    linear      group merging + a linear projection instead of LSA
    random_lsa  group merging + a randomly initialised LSA layer

Writes OUT/VARIANT_log.jsonl (training and held-out losses) and OUT/VARIANT_eval.json
(reconstruction BLEU / ROUGE-L / prefix-EM on held-out 128-token texts at rates 4 and 8).
``scripts/plot_ablation.py`` draws the loss curves.
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
from train_default import DEFAULT_GMSA, ae_train_config, reconstruction_report  # noqa: E402

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.training.trainer import Trainer  # noqa: E402

VARIANTS = {
    "gmsa": {},
    "icae": {"merger": "icae"},
    "linear": {"aligner": "linear"},
    "random_lsa": {"lsa_init": "random"},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--eval-texts", type=int, default=32)
    args = parser.parse_args()
    t0 = time.time()
    config = DEFAULT_GMSA.replace(**VARIANTS[args.variant])
    model = GMSAModel.from_backbone(config.backbone, config, device=args.device)
    work = args.out / "runs" / args.variant
    Trainer(model, ae_train_config(args.data, work, args.steps, args.batch_size, args.time_limit)).run()
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(work / "log.jsonl", args.out / f"{args.variant}_log.jsonl")
    train_seconds = time.time() - t0
    report = reconstruction_report(model.eval(), args.data, args.eval_texts, lengths=(128,))
    result = {"variant": args.variant, "config": VARIANTS[args.variant], "steps": args.steps,
              "batch_size": args.batch_size, "train_seconds": train_seconds, "reconstruction": report}
    (args.out / f"{args.variant}_eval.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: {m: v.get(m) for m in ("bleu", "rouge_l", "prefix_em")} for k, v in report.items()}), flush=True)


if __name__ == "__main__":
    main()
