"""Stage-1 training-step throughput of the default recipe on this machine: one process, or
data-parallel processes under torchrun, at the same global batch.

    OMP_NUM_THREADS=2 python benchmarks/train_step_throughput.py --data DIR [--ae-train FILE]
    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 benchmarks/train_step_throughput.py --data DIR

Runs ``--warmup`` + ``--steps`` optimiser steps of ``scripts/train_default.py``'s stage-1
recipe (continuing the shipped default model, bf16 autocast, no periodic evaluation or
checkpoint) and prints, as JSON, the median seconds per step and trained tokens per second
(targets + soft-token chunks, summed over processes) over the timed steps.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from train_default import DEFAULT_GMSA, ae_train_config  # noqa: E402

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.training import parallel  # noqa: E402
from gmsa_rag.training.trainer import Trainer  # noqa: E402

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "gmsa_rag" / "default_model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder with ae_train.jsonl / ae_heldout.jsonl")
    parser.add_argument("--ae-train", type=Path, default=None, help="stage-1 text instead of DATA/ae_train.jsonl")
    parser.add_argument("--batch-size", type=int, default=8, help="global batch (split over processes)")
    parser.add_argument("--steps", type=int, default=8, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="bf16")
    args = parser.parse_args()
    rank, world = parallel.init_from_env()
    model = GMSAModel.from_backbone("smollm2-135m-instruct", DEFAULT_GMSA, device="cpu")
    model.load_trained(DEFAULT_MODEL / "model.safetensors")
    steps = args.warmup + args.steps
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        config = ae_train_config(
            args.data, out, steps, args.batch_size, None, curriculum=False, precision=args.precision,
            train_file=args.ae_train, keep_answer_adapter=True,
            eval_every=10**9, save_every=10**9, log_every=1, eval_batches=1,
        )
        Trainer(model, config).run()
        if rank:
            return
        rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    timed = [r for r in rows if "tokens_per_s" in r and r["step"] > args.warmup]
    tok_s = statistics.median(r["tokens_per_s"] for r in timed)
    print(json.dumps({
        "processes": world, "threads_per_process": torch.get_num_threads(), "global_batch": args.batch_size,
        "timed_steps": len(timed), "median_tokens_per_s": round(tok_s, 1),
        "median_seconds_per_step": round(statistics.median(r["seconds_per_step"] for r in timed), 2),
    }))


if __name__ == "__main__":
    main()
