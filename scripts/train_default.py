"""Train the default GMSA model for the built-in backbone: stage 1 (autoencoder) then KEFT.

Used for the shipped weights (see gmsa_rag/default_model/MODEL_CARD.md). Every setting is here
so the run can be repeated; on a GPU it uses bf16 autocast, on a CPU fp32 unless told.

    python scripts/train_default.py --data DIR --out DIR [--ae-steps N] [--keft-steps N] [--device cuda]

DIR holds ae_train.jsonl / ae_heldout.jsonl / qa_train.jsonl / qa_heldout.jsonl
(``gmsa_rag.training.corpora.build_all``). Outputs: OUT/ae, OUT/keft (save_pretrained
directories), OUT/*log.jsonl, OUT/quick_eval.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

from gmsa_rag.config import GMSAConfig
from gmsa_rag.model import GMSAModel, SamplingParams
from gmsa_rag.model.gmsa import AUTOENCODER_PROMPT, tensor_sha256
from gmsa_rag.training.trainer import Trainer, TrainConfig

DEFAULT_GMSA = GMSAConfig(
    backbone="smollm2-135m-instruct",
    encoder_layers=8,
    lora_r=64,
    lora_alpha=128,
    lora_dropout=0.05,
    lsa_layers=1,
    rates=(4, 8),
    max_chunk_tokens=512,
    decoder_adapter="none",
)


def quick_eval(model: GMSAModel, data: Path, n_text: int, n_qa: int) -> dict:
    """Greedy reconstruction BLEU and QA EM-style accuracy on held-out data (a smoke-level check)."""
    import sacrebleu

    texts = [json.loads(line)["text"] for line in (data / "ae_heldout.jsonl").open()][:n_text]
    texts = [model.tokenizer.decode(model.tokenizer(t, add_special_tokens=False)["input_ids"][:128]) for t in texts]
    result: dict = {}
    for rate in model.config.rates if texts else ():
        vectors = [v.vectors[rate] for v in model.compress(texts)]
        outs = []
        for start in range(0, len(texts), 16):
            ctx = [[v] for v in vectors[start : start + 16]]
            outs += model.generate([AUTOENCODER_PROMPT] * len(ctx), ctx, SamplingParams(max_new_tokens=160))
        result[f"bleu_rate{rate}"] = sacrebleu.corpus_bleu(outs, [texts]).score
        result[f"sample_rate{rate}"] = {"text": texts[0], "reconstruction": outs[0]}
    qa = [json.loads(line) for line in (data / "qa_heldout.jsonl").open()][:n_qa]
    if qa:
        for rate in model.config.rates:
            hits = 0
            for start in range(0, len(qa), 16):
                part = qa[start : start + 16]
                ctx = [[v.vectors[rate] for v in model.compress([r["context"], *r.get("distractors", [])[:1]])] for r in part]
                outs = model.generate([r["question"] for r in part], ctx, SamplingParams(max_new_tokens=24))
                hits += sum(any(a.lower() in o.lower() for a in r["answers"]) for r, o in zip(part, outs))
            result[f"qa_accuracy_rate{rate}"] = hits / len(qa)
    return result


def export(model: GMSAModel, directory: Path, max_bytes: int = 15_000_000) -> None:
    """save_pretrained in bf16, split into shards under ``max_bytes`` (the device's file limit);
    ``cat`` of the shards' tensors (scripts/merge_shards.py) gives model.safetensors back."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    model.config.save(directory / "config.json")
    tensors = {k: v.to(torch.bfloat16).cpu().contiguous() for k, v in model.trained_state_dict().items()}
    shard, size, index = {}, 0, 0
    for name in sorted(tensors):
        nbytes = tensors[name].numel() * 2
        if shard and size + nbytes > max_bytes:
            save_file(shard, str(directory / f"shard{index}.safetensors"))
            shard, size, index = {}, 0, index + 1
        shard[name], size = tensors[name], size + nbytes
    save_file(shard, str(directory / f"shard{index}.safetensors"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=None, help="run directories (default: OUT/runs)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--ae-steps", type=int, default=3000)
    parser.add_argument("--ae-time", type=float, default=None)
    parser.add_argument("--keft-steps", type=int, default=400)
    parser.add_argument("--keft-time", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--eval-texts", type=int, default=48)
    parser.add_argument("--eval-qa", type=int, default=96)
    args = parser.parse_args()
    work = args.work or args.out / "runs"
    t0 = time.time()

    model = GMSAModel.from_backbone("smollm2-135m-instruct", DEFAULT_GMSA, device=args.device)
    info = {
        "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "backbone_file_sha256": model.config.backbone_sha256,
        "backbone_tensor_sha256": tensor_sha256(dict(model.backbone.state_dict())),
        "torch": torch.__version__,
    }
    print(json.dumps(info), flush=True)
    ae = TrainConfig(
        stage="autoencoder",
        train_data=str(args.data / "ae_train.jsonl"),
        eval_data=str(args.data / "ae_heldout.jsonl"),
        out_dir=str(work / "ae"),
        steps=args.ae_steps,
        batch_size=args.batch_size,
        lr_encoder=8e-4,
        lr_aligner=2.5e-4,
        warmup_steps=min(100, args.ae_steps // 10 + 1),
        rates=(4, 8),
        rate_schedule=((args.ae_steps // 20, 1), (args.ae_steps // 8, 2)),
        chunk_tokens=128,
        max_chunks=2,
        min_tokens=16,
        max_tokens=256,
        eval_every=max(1, args.ae_steps // 10),
        save_every=max(1, args.ae_steps // 10),
        log_every=max(1, min(25, args.ae_steps // 10)),
        time_limit_s=args.ae_time,
    )
    Trainer(model, ae).run()
    export(model, args.out / "ae")
    shutil.copy(work / "ae" / "log.jsonl", args.out / "ae_log.jsonl")
    print(f"stage 1 done at {time.time() - t0:.0f}s", flush=True)

    keft_config = model.config.replace(decoder_adapter="lora", decoder_lora_r=16, decoder_lora_alpha=32)
    keft_model = GMSAModel(keft_config, model.backbone, model.tokenizer, backbone_sha256=model.config.backbone_sha256)
    keft_model.load_trained(work / "ae" / "model" / "model.safetensors", allow_missing_prefix="decoder_lm.")
    keft = TrainConfig(
        stage="keft",
        train_data=str(args.data / "qa_train.jsonl"),
        eval_data=str(args.data / "qa_heldout.jsonl"),
        out_dir=str(work / "keft"),
        steps=args.keft_steps,
        batch_size=args.batch_size,
        lr_decoder=2e-4,
        warmup_steps=min(30, args.keft_steps // 10 + 1),
        rates=(4, 8),
        max_chunks=3,
        eval_every=max(1, args.keft_steps // 5),
        save_every=max(1, args.keft_steps // 5),
        log_every=max(1, min(25, args.keft_steps // 10)),
        time_limit_s=args.keft_time,
    )
    Trainer(keft_model, keft).run()
    export(keft_model, args.out / "keft")
    shutil.copy(work / "keft" / "log.jsonl", args.out / "keft_log.jsonl")
    print(f"stage 2 done at {time.time() - t0:.0f}s", flush=True)

    info["quick_eval_ae"] = quick_eval(model.eval(), args.data, args.eval_texts, 0)
    info["quick_eval_keft"] = quick_eval(keft_model.eval(), args.data, 16, args.eval_qa)
    info["seconds"] = time.time() - t0
    (args.out / "quick_eval.json").write_text(json.dumps(info, indent=2))
    print(json.dumps(info, indent=2), flush=True)


if __name__ == "__main__":
    main()
