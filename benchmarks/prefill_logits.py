"""The prefill's last-position logits: an index (today) against the integer ``logits_to_keep=1``.

    python benchmarks/prefill_logits.py --model default --positions 100,250,500 --repeats 5

``Decoder.prefill`` asks the backbone for the last position's logits with a one-element index
(``gmsa_rag.model.decoding._last_position``); the integer form hands the output embedding a
strided (b, 1, d) slice that ``torch.matmul`` cannot fold, so it multiplies over a copy of the
transposed embedding matrix. Both forms run the answering decoder's prefill in each precision
(``--precisions``), interleaved, on ``--positions`` random soft positions; prints medians,
their ratio and the largest logit difference.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.model import decoding  # noqa: E402


@torch.inference_mode()
def prefill(runner: decoding.Decoder, embeds: torch.Tensor, integer: bool) -> tuple[float, torch.Tensor]:
    """Seconds for one prefill and its next-token logits, with the index or the integer form."""
    mask = torch.ones(1, embeds.shape[1], dtype=torch.long)
    with mock.patch.object(decoding, "_last_position", lambda e: 1) if integer else contextlib.nullcontext():
        start = time.perf_counter()
        logits, _ = runner.prefill(embeds, mask, room=32)
        return time.perf_counter() - start, logits


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--positions", default="100,250,500", help="comma-separated prefill lengths")
    p.add_argument("--precisions", default="fp32,bf16-prefill")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    model = GMSAModel.from_pretrained(args.model).eval()
    dim = model.backbone.config.hidden_size
    rows = []
    for precision in args.precisions.split(","):
        runner = model.set_precision(precision).runner("answer")
        for positions in (int(x) for x in args.positions.split(",")):
            embeds = torch.randn(1, positions, dim, generator=torch.Generator().manual_seed(positions)) * 0.02
            for integer in (True, False):
                prefill(runner, embeds, integer)  # warm-up
            seconds, logits = {True: [], False: []}, {}
            for _ in range(args.repeats):
                for integer in (True, False):  # interleaved, so drift hits both
                    elapsed, logits[integer] = prefill(runner, embeds, integer)
                    seconds[integer].append(elapsed)
            before, after = statistics.median(seconds[True]), statistics.median(seconds[False])
            rows.append({"precision": precision, "positions": positions, "integer_s": before, "index_s": after,
                         "speedup": before / after, "max_logit_diff": float((logits[True] - logits[False]).abs().max())})
    if args.json:
        print(json.dumps({"threads": torch.get_num_threads(), "repeats": args.repeats, "rows": rows}, indent=2))
        return
    print(f"one prefill, medians of {args.repeats}, {torch.get_num_threads()} threads")
    for r in rows:
        print(f"  {r['precision']:>12} {r['positions']:5d} positions: logits_to_keep=1 {r['integer_s']:.3f} s, "
              f"index {r['index_s']:.3f} s, {r['speedup']:.2f}x, max logit difference {r['max_logit_diff']:.1e}")


if __name__ == "__main__":
    main()
