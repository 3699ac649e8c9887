"""The ``gmsa-rag`` command line: parses arguments, calls the library, prints.

Exit codes: 0 success, 1 a gmsa_rag error (bad input, missing model...), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gmsa_rag.errors import GMSAError


def _rates(text: str) -> tuple[int, ...]:
    try:
        rates = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"rates must be comma-separated integers, got {text!r}") from None
    if not rates or min(rates) < 1:
        raise argparse.ArgumentTypeError(f"rates must be integers >= 1, got {text!r}")
    return rates


def _device(name: str | None) -> str:
    import torch

    if name:
        return name
    return "cuda" if torch.cuda.is_available() else "cpu"


# ---------------------------------------------------------------- train


def _load_model_for_training(args):
    from gmsa_rag.config import GMSAConfig
    from gmsa_rag.model import GMSAModel

    device = _device(args.device)
    if args.init:
        init = Path(args.init)
        config = GMSAConfig.load(init / "config.json")
        if args.stage == "keft" and config.decoder_adapter == "none":
            config = config.replace(decoder_adapter=args.decoder_adapter)
        from gmsa_rag.backbones import load_backbone

        lm, tokenizer, resolved = load_backbone(config.backbone, device=device)
        model = GMSAModel(config, lm, tokenizer, backbone_sha256=resolved.sha256)
        model.load_trained(init / "model.safetensors", allow_missing_prefix="decoder_lm.")
        return model
    config = GMSAConfig.load(args.gmsa_config) if args.gmsa_config else GMSAConfig()
    if args.stage == "keft" and config.decoder_adapter == "none":
        config = config.replace(decoder_adapter=args.decoder_adapter)
    return GMSAModel.from_backbone(args.backbone or config.backbone, config, device=device)


def cmd_train(args) -> int:
    from gmsa_rag.training.trainer import TrainConfig, Trainer

    settings = json.loads(Path(args.config).read_text(encoding="utf-8")) if args.config else {}
    settings.update({k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__ and v is not None})
    settings["stage"] = args.stage
    config = TrainConfig.from_dict(settings)
    model = _load_model_for_training(args)
    out = Trainer(model, config).run()
    print(f"saved trained GMSA model to {out}")
    return 0


def _add_train(sub) -> None:
    train = sub.add_parser("train", help="train a GMSA model (autoencoder pretraining, then KEFT)")
    train.add_argument("stage", choices=["autoencoder", "keft"])
    train.add_argument("--config", help="JSON file of training settings (flags override it)")
    train.add_argument("--gmsa-config", help="JSON file of the GMSA model config (new models)")
    train.add_argument("--init", help="start from a saved GMSA model directory (KEFT starts from stage 1)")
    train.add_argument("--backbone", help="backbone name or directory (default: the config's)")
    train.add_argument("--decoder-adapter", default="lora", choices=["lora", "qkv"], help="KEFT decoder adapter")
    train.add_argument("--train-data", dest="train_data", help="JSONL: {'text'} (autoencoder) or QA records (keft)")
    train.add_argument("--eval-data", dest="eval_data", help="held-out JSONL in the same format")
    train.add_argument("--out", dest="out_dir", help="run directory (resumes if it holds a checkpoint)")
    train.add_argument("--steps", type=int)
    train.add_argument("--batch-size", dest="batch_size", type=int)
    train.add_argument("--grad-accum", dest="grad_accum", type=int)
    train.add_argument("--rates", type=_rates)
    train.add_argument("--precision", choices=["auto", "fp32", "bf16"])
    train.add_argument("--seed", type=int)
    train.add_argument("--time-limit", dest="time_limit_s", type=float, help="stop (and save) after this many seconds")
    train.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    train.set_defaults(func=cmd_train)


# ---------------------------------------------------------------- ask / compress


def _load_model(args):
    from gmsa_rag.model import GMSAModel

    if args.model == "untrained":
        return GMSAModel.from_backbone(args.backbone or "smollm2-135m-instruct", device=_device(args.device)).eval()
    return GMSAModel.from_pretrained(args.model, backbone=args.backbone, device=_device(args.device)).eval()


def _chunks_from_files(model, paths: list[str], chunk_tokens: int) -> list[str]:
    from gmsa_rag.documents import SAMPLE_DIR, chunk_text, read_text

    files = [Path(p) for p in paths] if paths else sorted(SAMPLE_DIR.glob("*.txt"))
    return [c for f in files for c in chunk_text(read_text(f), model.tokenizer, chunk_tokens)]


def cmd_ask(args) -> int:
    from dataclasses import asdict

    from gmsa_rag.model import SamplingParams
    from gmsa_rag.pipeline import AnswerStats, stream_answer

    model = _load_model(args)
    chunks = _chunks_from_files(model, args.text, args.chunk_tokens)
    params = SamplingParams(max_new_tokens=args.max_new_tokens)
    stats: list[AnswerStats] = []
    pieces = stream_answer(model, args.question, chunks, mode=args.mode, rate=args.rate, params=params, stats_out=stats)
    if args.json:
        text = "".join(pieces).strip()
        print(json.dumps({"question": args.question, "answer": text, "stats": asdict(stats[0]), "model": model.fingerprint()}))
        return 0
    for piece in pieces:
        print(piece, end="", flush=True)
    s = stats[0]
    print(
        f"\n[{s.mode}{f' {s.rate}x' if s.rate else ''}: {s.soft_tokens} soft tokens for {s.text_tokens} text tokens, "
        f"first token {s.time_to_first_token_s:.2f}s, total {s.total_s:.2f}s]"
    )
    return 0


def cmd_compress(args) -> int:
    from gmsa_rag.model import describe_sizes

    model = _load_model(args)
    chunks = _chunks_from_files(model, args.text, args.chunk_tokens)
    results = model.compress(chunks, rates=args.rates or model.config.rates)
    rows = []
    for chunk, result in zip(chunks, results):
        for rate, vectors in result.vectors.items():
            sizes = describe_sizes(model, result.num_tokens, rate)
            rows.append({"text_tokens": result.num_tokens, "rate": rate, "shape": list(vectors.shape), **sizes})
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(
                f"{r['text_tokens']:5d} tokens -> rate {r['rate']}: soft tokens {tuple(r['shape'])}, "
                f"{r['soft_token_bytes']:,} bytes (fp16) vs KV cache {r['kv_cache_bytes']:,} bytes"
            )
    return 0


def _add_model_args(parser) -> None:
    parser.add_argument("--model", default="default", help="'default' (shipped), 'untrained', or a saved model directory")
    parser.add_argument("--backbone", default=None, help="backbone override (default: the model's own)")
    parser.add_argument("--text", action="append", default=[], help="text file(s) to read (default: the bundled sample)")
    parser.add_argument("--chunk-tokens", type=int, default=256)
    parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")


def _add_ask(sub) -> None:
    ask = sub.add_parser("ask", help="answer a question from text files (default: the bundled sample)")
    ask.add_argument("question")
    _add_model_args(ask)
    ask.add_argument("--mode", default="gmsa", choices=["gmsa", "full", "closed"])
    ask.add_argument("--rate", type=int, default=4)
    ask.add_argument("--max-new-tokens", type=int, default=64)
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(func=cmd_ask)
    compress = sub.add_parser("compress", help="compress text files and show soft-token shapes and sizes")
    _add_model_args(compress)
    compress.add_argument("--rates", type=_rates)
    compress.add_argument("--json", action="store_true")
    compress.set_defaults(func=cmd_compress)


# ---------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gmsa-rag", description="Question answering with GMSA context compression.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_ask(sub)
    _add_train(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GMSAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
