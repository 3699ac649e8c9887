"""How fast the trainer's data path reads a token file (`gmsa-rag data tokenize`), in one process.

    python benchmarks/token_file_throughput.py DIR/docs_train.tok --batch-size 64 --batches 200

Measures, with the default model's tokenizer and chunking: loading the file (checksum,
decompression, offsets checked), then drawing stage-1 batches exactly as
``Trainer`` does (``AutoencoderSamples`` windows of up to 256 tokens cut into chunks, then
``collate`` into padded tensors). Prints the load time and the median batches/s and target
tokens/s over ``--repeats`` runs, as JSON. A training step on a GPU needs a batch per step,
so the data path must outrun ``steps/s x batch size x tokens per sample`` by a wide margin.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gmsa_rag.model import GMSAModel  # noqa: E402
from gmsa_rag.training.data import AutoencoderSamples, batches  # noqa: E402
from gmsa_rag.training.token_file import read_token_file  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("token_file")
    parser.add_argument("--model", default="default")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=200, help="batches drawn per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=256, help="longest stage-1 window")
    args = parser.parse_args(argv)

    model = GMSAModel.from_pretrained(args.model, device="cpu")
    start = time.perf_counter()
    tokens = read_token_file(args.token_file, model.tokenizer)
    load_s = time.perf_counter() - start
    samples = AutoencoderSamples(model, tokens, max_tokens=args.max_tokens)

    rates, token_rates = [], []
    for repeat in range(args.repeats):
        stream = batches(samples, model, args.batch_size, random.Random(repeat))
        start, target_tokens = time.perf_counter(), 0
        for _ in range(args.batches):
            batch = next(stream)
            target_tokens += sum(len(t) for t in batch.target_ids)
        seconds = time.perf_counter() - start
        rates.append(args.batches / seconds)
        token_rates.append(target_tokens / seconds)
    result = {
        "token_file": args.token_file,
        "file_mb": round(Path(args.token_file).stat().st_size / 2**20, 2),
        "texts": len(tokens),
        "tokens": tokens.n_tokens,
        "load_s": round(load_s, 3),
        "load_tokens_per_s": round(tokens.n_tokens / load_s),
        "batch_size": args.batch_size,
        "batches_per_repeat": args.batches,
        "median_batches_per_s": round(statistics.median(rates), 2),
        "median_target_tokens_per_s": round(statistics.median(token_rates)),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
