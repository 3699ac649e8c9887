"""Decode steps with the trained LoRA decoder against its folded twin, in one process.

    python benchmarks/decode_fold.py --model default --positions 150,500 --steps 32 --repeats 5

The answering decoder runs as PEFT built it (base projection + LoRA A, B) and as the twin the
runner decodes with out of training (LoRA merged into the weights,
``gmsa_rag.model.blocks.fold_lora``): the same greedy decode of ``--steps`` tokens after a
prefill of ``--positions`` random soft positions, interleaved, medians of ``--repeats``.
Prints the medians, their ratio, and the largest logit difference between the two.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.model.blocks import fold_lora  # noqa: E402
from gmsa_rag.model.decoding import DecodeBatch, Decoder, SamplingParams  # noqa: E402


@torch.inference_mode()
def decode(decoder: Decoder, embeds: torch.Tensor, steps: int) -> tuple[float, torch.Tensor]:
    """Seconds for ``steps`` greedy decode steps after the prefill, and every step's logits."""
    mask = torch.ones(1, embeds.shape[1], dtype=torch.long)
    batch = DecodeBatch(decoder, embeds, mask, SamplingParams(max_new_tokens=steps + 1, ignore_eos=True))
    logits = []
    start = time.perf_counter()
    for _ in range(steps):
        batch.advance(batch.next_tokens())
        logits.append(batch.logits)
    return time.perf_counter() - start, torch.cat(logits)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--positions", default="150,500", help="comma-separated prefill lengths")
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    model = GMSAModel.from_pretrained(args.model).eval()
    lora = model.decoder_for("answer")
    engines = {"lora": Decoder(lora, set()), "folded": Decoder(fold_lora(lora), set())}
    dim = model.backbone.config.hidden_size
    rows = []
    for positions in (int(x) for x in args.positions.split(",")):
        embeds = torch.randn(1, positions, dim, generator=torch.Generator().manual_seed(positions)) * 0.02
        for engine in engines.values():
            decode(engine, embeds, 4)  # warm-up
        seconds, logits = {name: [] for name in engines}, {}
        for _ in range(args.repeats):
            for name, engine in engines.items():  # interleaved, so drift hits both
                elapsed, logits[name] = decode(engine, embeds, args.steps)
                seconds[name].append(elapsed)
        diff = (logits["lora"] - logits["folded"]).abs().max()
        lora_s, folded_s = statistics.median(seconds["lora"]), statistics.median(seconds["folded"])
        rows.append({"positions": positions, "steps": args.steps, "lora_s": lora_s, "folded_s": folded_s,
                     "speedup": lora_s / folded_s, "max_logit_diff": float(diff)})
    if args.json:
        print(json.dumps({"threads": torch.get_num_threads(), "rows": rows}, indent=2))
        return
    print(f"{args.steps} decode steps, medians of {args.repeats}, {torch.get_num_threads()} threads")
    for r in rows:
        print(f"  after {r['positions']:5d} positions: LoRA {r['lora_s']:.3f} s, folded {r['folded_s']:.3f} s, "
              f"{r['speedup']:.2f}x, max logit difference {r['max_logit_diff']:.1e}")


if __name__ == "__main__":
    main()
