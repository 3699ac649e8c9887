"""The ``gmsa-rag`` command line: parses arguments, calls the library, prints.

Exit codes: 0 success, 1 a gmsa_rag error (bad input, missing model...), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gmsa_rag.config import ANSWER_ADAPTERS, DECODER_ROLES
from gmsa_rag.documents import MAX_FILE_BYTES
from gmsa_rag.errors import GMSAError, InputError


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


def _with_decoder_adapter(config, args):
    """KEFT, and stage 1 with --train-decoder, need a decoder adapter: add the flags' one if the
    config has none (a config that has one keeps it); --answer-adapter says which one answers."""
    if config.decoder_adapter == "none" and (args.stage == "keft" or args.train_decoder):
        changes = {"decoder_adapter": args.decoder_adapter}
        if args.decoder_r:
            changes.update(decoder_lora_r=args.decoder_r, decoder_lora_alpha=args.decoder_r)
        if args.decoder_targets:
            changes["decoder_targets"] = tuple(t.strip() for t in args.decoder_targets.split(",") if t.strip())
        config = config.replace(**changes)
    return config.replace(answer_adapter=args.answer_adapter) if args.answer_adapter else config


def _load_model_for_training(args):
    from gmsa_rag.config import GMSAConfig
    from gmsa_rag.model import GMSAModel

    device = _device(args.device)
    if args.init:
        init = Path(args.init)
        config = _with_decoder_adapter(GMSAConfig.load(init / "config.json"), args)
        from gmsa_rag.backbones import load_backbone

        lm, tokenizer, resolved = load_backbone(config.backbone, device=device)
        model = GMSAModel(config, lm, tokenizer, backbone_sha256=resolved.sha256)
        # a stage-1 model may lack the decoder adapter, and one from before --answer-adapter own its answering adapter
        model.load_trained(init / "model.safetensors", allow_missing_prefix=("decoder_lm.", "answer_lm."))
        return model
    config = _with_decoder_adapter(GMSAConfig.load(args.gmsa_config) if args.gmsa_config else GMSAConfig(), args)
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
    train.add_argument("--decoder-adapter", default="lora", choices=["lora", "qkv"],
                       help="decoder adapter added for KEFT or --train-decoder when the model has none")
    train.add_argument("--decoder-r", type=int, help="rank (and alpha) of that decoder LoRA (default: the config's)")
    train.add_argument("--decoder-targets", help="comma-separated projections it covers, or all-linear (default q,k,v)")
    train.add_argument("--train-decoder", dest="train_decoder", action="store_true", default=None,
                       help="stage 1: train the decoder adapter jointly with the encoder and LSA (small backbones need it)")
    train.add_argument("--lr-decoder", dest="lr_decoder", type=float)
    train.add_argument("--answer-adapter", choices=ANSWER_ADAPTERS,
                       help="shared: KEFT continues the stage-1 decoder adapter; own: KEFT trains a copy of it, "
                            "so the model still restates (default: the config's)")
    train.add_argument("--train-data", dest="train_data",
                       help="JSONL: {'text'} or a token file from `gmsa-rag data tokenize` (autoencoder), "
                            "or QA records (keft)")
    train.add_argument("--eval-data", dest="eval_data", help="held-out JSONL in the same format")
    train.add_argument("--out", dest="out_dir", help="run directory (resumes if it holds a checkpoint)")
    train.add_argument("--steps", type=int)
    train.add_argument("--batch-size", dest="batch_size", type=int)
    train.add_argument("--grad-accum", dest="grad_accum", type=int)
    train.add_argument("--rates", type=_rates)
    train.add_argument("--precision", choices=["auto", "fp32", "bf16"])
    train.add_argument("--seed", type=int)
    train.add_argument("--time-limit", dest="time_limit_s", type=float,
                       help="stop (and save) after this many seconds of training, counted over resumptions")
    train.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    train.set_defaults(func=cmd_train)


# ---------------------------------------------------------------- ask / compress


def _load_model(args):
    from gmsa_rag.model import GMSAModel

    if args.model == "untrained":
        model = GMSAModel.from_backbone(args.backbone or "smollm2-135m-instruct", device=_device(args.device))
    else:
        model = GMSAModel.from_pretrained(args.model, backbone=args.backbone, device=_device(args.device))
    return model.eval().set_precision(args.precision)


def _chunks_from_files(model, paths: list[str], chunk_tokens: int) -> list[str]:
    from gmsa_rag.documents import SAMPLE_DIR, chunk_text, read_text

    files = [Path(p) for p in paths] if paths else sorted(SAMPLE_DIR.glob("*.txt"))
    return [c for f in files for c in chunk_text(read_text(f), model.tokenizer, chunk_tokens)]


def _print_answer(stream, as_json: bool, model) -> None:
    from dataclasses import asdict

    if as_json:
        answer = stream.result()
        data = {"answer": answer.text, "sources": [asdict(s) for s in answer.sources], "stats": asdict(answer.stats), "model": model.fingerprint()}
        for source in data["sources"]:
            source.pop("text")
        print(json.dumps(data))
        return
    for piece in stream:
        print(piece, end="", flush=True)
    answer = stream.answer
    s = answer.stats
    print()
    for source in answer.sources:
        print(f"  [{source.doc_id or 'text'} #{source.chunk}  score {source.score:.3f}] {source.snippet[:90]!r}")
    rate = f" {s.rate}x" if s.rate else ""
    print(
        f"[{s.mode}{rate}: {s.soft_tokens} soft tokens for {s.text_tokens} text tokens, "
        f"cache {s.cache_hits} hit / {s.cache_misses} miss, first token {s.time_to_first_token_s:.2f}s, total {s.total_s:.2f}s]"
    )


def cmd_ask(args) -> int:
    from gmsa_rag.model import SamplingParams
    from gmsa_rag.pipeline import RAGPipeline, answer_chunks

    model = _load_model(args)
    params = SamplingParams(max_new_tokens=args.max_new_tokens)
    if args.index or not args.text:
        from gmsa_rag.collection import Collection

        if args.index:
            collection = Collection.open(args.index, model, root=args.root)
        else:
            collection = Collection.sample(model, root=args.root)
        if not len(collection.index):
            raise InputError(f"index {args.index!r} holds no documents; add some with `gmsa-rag index PATH --index {args.index}`")
        stream = RAGPipeline(collection).stream(args.question, rate=args.rate, top_k=args.top_k, mode=args.mode, params=params)
    else:
        chunks = _chunks_from_files(model, args.text, args.chunk_tokens)  # no index: compress these now
        stream = answer_chunks(model, args.question, chunks, mode=args.mode, rate=args.rate, params=params)
    _print_answer(stream, args.json, model)
    return 0


def cmd_index(args) -> int:
    from gmsa_rag.collection import Collection

    model = _load_model(args)
    collection = Collection.open(
        args.index, model, root=args.root, create=True, chunk_tokens=args.chunk_tokens, overlap=args.overlap, kind=args.kind
    )
    report = collection.ingest(args.paths, compress=not args.no_precompress, progress=not args.quiet,
                               max_file_bytes=args.max_file_bytes)
    for skipped in report.skipped:
        print(f"skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    pre = report.precompress
    print(
        f"index {args.index!r}: {len(report.added)} added, {len(report.replaced)} replaced, "
        f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped; {report.chunks_added} new chunks"
        + (f"; precompressed {pre.computed} chunks ({pre.cached} cached) at {pre.tokens_per_s:.0f} tokens/s" if pre else "")
    )
    return 0 if report.added or report.replaced or report.unchanged or not report.skipped else 1


def cmd_precompress(args) -> int:
    from gmsa_rag.collection import Collection

    model = _load_model(args)
    collection = Collection.open(args.index, model, root=args.root)
    if args.engine == "ray":
        from gmsa_rag.distributed import precompress_ray

        report = precompress_ray(
            args.model, collection.store, collection.chunks(), batch_size=args.batch_size,
            concurrency=args.concurrency, num_gpus=args.num_gpus, cpus_per_actor=args.cpus_per_actor,
            backbone=args.backbone, device=args.device, fingerprint=model.fingerprint(),
            address=args.ray_address, progress=not args.quiet,
        )
    else:
        report = collection.precompress(batch_size=args.batch_size, progress=not args.quiet)
    print(
        f"{report.chunks} chunks: {report.computed} compressed, {report.cached} already cached; "
        f"{report.tokens} tokens in {report.seconds:.1f}s ({report.tokens_per_s:.0f} tokens/s)"
    )
    return 0


def cmd_info(args) -> int:
    from dataclasses import asdict

    from gmsa_rag.collection import Collection

    info = Collection.open(args.index, _load_model(args), root=args.root).info()
    if args.json:
        print(json.dumps(asdict(info)))
    else:
        for key, value in asdict(info).items():
            print(f"{key:18s} {value}")
    return 0


def cmd_repair(args) -> int:
    from gmsa_rag.collection import Collection

    report = Collection.repair(args.index, _load_model(args), root=args.root, progress=not args.quiet)
    for action in report.index_actions:
        print(action)
    pre = report.precompress
    print(f"index {args.index!r}: {len(report.index_actions)} index repair(s), {report.corrupt_entries} corrupt store "
          f"entries dropped, {pre.computed} chunks compressed again")
    return 0


def cmd_delete(args) -> int:
    from gmsa_rag.collection import Collection

    collection = Collection.open(args.index, _load_model(args), root=args.root)
    removed = collection.delete(args.doc_id)
    print(f"deleted {args.doc_id!r} ({removed} chunks) from index {args.index!r}")
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


def _add_model_args(parser, text: bool = False) -> None:
    parser.add_argument("--model", default="default", help="'default' (shipped), 'untrained', or a saved model directory")
    parser.add_argument("--backbone", default=None, help="backbone override (default: the model's own)")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--root", default=None, help="where indexes live (default: ./indexes)")
    parser.add_argument(
        "--precision", default="auto", choices=["auto", "fp32", "bf16", "bf16-prefill", "autocast"],
        help="inference precision (bf16: decoder weights cast once; bf16-prefill: bf16 for the prefill, "
             "fp32 for decode steps; autocast: fp32 weights under bf16 autocast; auto: bf16 on a CUDA GPU, "
             "bf16-prefill on a CPU with AMX or AVX-512 BF16, else fp32)",
    )
    if text:
        parser.add_argument("--text", action="append", default=[], help="text file(s) to read (default: the bundled sample)")
        parser.add_argument("--chunk-tokens", type=int, default=256)


def _add_ask(sub) -> None:
    ask = sub.add_parser("ask", help="answer a question from an index (default: the bundled sample) or --text files")
    ask.add_argument("question")
    _add_model_args(ask, text=True)
    ask.add_argument("--index", help="answer from this index (default: 'sample', built from the bundled documents)")
    ask.add_argument("--mode", default="gmsa", choices=["gmsa", "full", "closed"])
    ask.add_argument("--rate", type=int, default=4)
    ask.add_argument("--top-k", type=int, default=4)
    ask.add_argument("--max-new-tokens", type=int, default=64)
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(func=cmd_ask)

    compress = sub.add_parser("compress", help="compress text files and show soft-token shapes and sizes")
    _add_model_args(compress, text=True)
    compress.add_argument("--rates", type=_rates)
    compress.add_argument("--json", action="store_true")
    compress.set_defaults(func=cmd_compress)

    index = sub.add_parser("index", help="add files/folders to an index: chunk, embed, precompress")
    index.add_argument("paths", nargs="+")
    index.add_argument("--index", required=True, help="index name (a folder under --root)")
    _add_model_args(index)
    index.add_argument("--chunk-tokens", type=int, default=256, help="chunk size for a new index")
    index.add_argument("--overlap", type=int, default=0, help="token overlap between chunks for a new index")
    index.add_argument("--kind", default="flat", choices=["flat", "hnsw", "ivf"], help="faiss index kind for a new index")
    index.add_argument("--no-precompress", action="store_true", help="only index; compress later or on demand")
    index.add_argument("--quiet", action="store_true", help="no progress bars")
    index.add_argument("--max-file-bytes", type=int, default=MAX_FILE_BYTES,
                       help=f"skip files larger than this (default {MAX_FILE_BYTES:,})")
    index.set_defaults(func=cmd_index)

    pre = sub.add_parser("precompress", help="compress every chunk of an index not yet in its store (resumable)")
    pre.add_argument("--index", required=True)
    _add_model_args(pre)
    pre.add_argument("--batch-size", type=int, default=16)
    pre.add_argument("--engine", default="local", choices=["local", "ray"], help="ray: a Ray Data actor pool")
    pre.add_argument("--concurrency", type=int, default=1, help="ray: number of compressor actors")
    pre.add_argument("--num-gpus", type=float, default=None, help="ray: GPUs per actor (default: 1 if the cluster has GPUs)")
    pre.add_argument("--cpus-per-actor", type=int, default=1)
    pre.add_argument("--ray-address", default=None, help="ray: an existing cluster (default: start a local one)")
    pre.add_argument("--quiet", action="store_true")
    pre.set_defaults(func=cmd_precompress)

    info = sub.add_parser("info", help="what an index holds")
    info.add_argument("--index", required=True)
    _add_model_args(info)
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_info)

    delete = sub.add_parser("delete", help="remove a document from an index and its store")
    delete.add_argument("doc_id")
    delete.add_argument("--index", required=True)
    _add_model_args(delete)
    delete.set_defaults(func=cmd_delete)

    repair = sub.add_parser("repair", help="repair a damaged index (manifest, faiss file) and drop/recompute bad store entries")
    repair.add_argument("--index", required=True)
    _add_model_args(repair)
    repair.add_argument("--quiet", action="store_true")
    repair.set_defaults(func=cmd_repair)


# ---------------------------------------------------------------- eval


def cmd_eval_reconstruct(args) -> int:
    from gmsa_rag.evaluation.reconstruction import evaluate_reconstruction, read_texts_jsonl

    model = _load_model(args)
    texts = read_texts_jsonl(args.data, limit=args.limit)
    result = evaluate_reconstruction(
        model, texts, args.rate, max_tokens=args.max_tokens, batch_size=args.batch_size, role=args.decoder
    )
    _print_result(result, args, lambda data: (
        f"n={data['n']} rate={args.rate}: BLEU {data['bleu']:.2f} (0-100), ROUGE-L {data['rouge_l']:.3f}, "
        f"prefix-EM@{data['prefix_tokens']} {data['prefix_em']:.3f}  [model {data['model']}]"
    ))
    return 0


def _print_result(result, args, summary) -> None:
    """Write per-item predictions if asked, then print the scores as JSON or one summary line."""
    if args.predictions:
        Path(args.predictions).write_text(json.dumps(result.to_dict(predictions=True), indent=1), encoding="utf-8")
    data = result.to_dict()
    print(json.dumps(data) if args.json else summary(data))


def cmd_eval_qa(args) -> int:
    from gmsa_rag.evaluation.qa import eval_collection, evaluate_qa, read_questions

    model = _load_model(args)
    questions = read_questions(args.data, limit=args.limit)
    collection = eval_collection(model, args.docs, root=args.root)
    result = evaluate_qa(
        collection, questions, mode=args.mode, rate=args.rate, context=args.context, top_k=args.top_k,
        max_new_tokens=args.max_new_tokens,
    )

    def summary(data):
        recall = f", recall@{args.top_k} {data['recall_at_k']:.3f}" if data["recall_at_k"] is not None else ""
        return (
            f"n={data['n']} {args.mode}{f' {args.rate}x' if data['rate'] else ''} ({args.context}): EM {data['em']:.3f}, "
            f"F1 {data['f1']:.3f}, accuracy {data['accuracy']:.3f}{recall}; latency median "
            f"{data['latency_ms']['median']:.0f} ms, p90 {data['latency_ms']['p90']:.0f} ms  [model {data['model']}]"
        )

    _print_result(result, args, summary)
    return 0


def _add_eval(sub) -> None:
    evaluate = sub.add_parser("eval", help="evaluate a GMSA model")
    kinds = evaluate.add_subparsers(dest="kind", required=True)
    rec = kinds.add_parser("reconstruct", help="autoencoder reconstruction: BLEU, ROUGE-L, prefix-EM")
    rec.add_argument("--data", required=True, help="JSONL with one {'text': ...} per line")
    rec.add_argument("--rate", type=int, required=True)
    rec.add_argument("--max-tokens", type=int, default=128, help="cut each text to its first N tokens")
    rec.add_argument("--limit", type=int, help="evaluate the first N texts only")
    rec.add_argument("--batch-size", type=int, default=16)
    rec.add_argument("--decoder", choices=DECODER_ROLES, default="restate",
                     help="decoder that restates: restate = the one stage 1 trained with (config.restate_decoder), "
                          "answer = the one that answers questions (KEFT's), base = the plain backbone")
    rec.add_argument("--predictions", help="write per-text predictions to this JSON file")
    rec.add_argument("--json", action="store_true")
    _add_model_args(rec)
    rec.set_defaults(func=cmd_eval_reconstruct)

    qa = kinds.add_parser("qa", help="question answering: EM, F1, accuracy, recall@k, latency")
    qa.add_argument("--data", required=True, help="JSONL: {'id', 'question', 'answers': [...], 'doc_id'} per line")
    qa.add_argument("--docs", required=True, help="JSONL: {'doc_id', 'text'} per line")
    qa.add_argument("--context", default="retrieved", choices=["oracle", "retrieved"])
    qa.add_argument("--mode", default="gmsa", choices=["gmsa", "full", "closed"])
    qa.add_argument("--rate", type=int, default=4)
    qa.add_argument("--top-k", type=int, default=4)
    qa.add_argument("--limit", type=int, help="the first N questions only")
    qa.add_argument("--max-new-tokens", type=int, default=32)
    qa.add_argument("--predictions", help="write per-question predictions to this JSON file")
    qa.add_argument("--json", action="store_true")
    _add_model_args(qa)
    qa.set_defaults(func=cmd_eval_qa)


# ---------------------------------------------------------------- bench


def _bench_collection(args, model):
    from gmsa_rag.collection import Collection

    if args.index:
        return Collection.open(args.index, model, root=args.root)
    return Collection.sample(model, root=args.root, progress=False)


def cmd_bench_report(args) -> int:
    import shlex

    from gmsa_rag.evaluation.report import ReportSettings, run_report

    defaults = ReportSettings()
    settings = ReportSettings(
        questions=Path(args.questions) if args.questions else defaults.questions,
        docs=Path(args.docs) if args.docs else defaults.docs,
        limit=args.limit, top_k=args.top_k, max_new_tokens=args.max_new_tokens,
        context_tokens=args.context_tokens or defaults.context_tokens, latency_repeats=args.latency_repeats,
        answer_tokens=args.answer_tokens, root=Path(args.root) if args.root else None, fresh=args.fresh,
        progress=not args.quiet,
    )
    command = shlex.join(["gmsa-rag", *(args.argv or [])])
    report = run_report(_load_model(args), args.out, settings, model_name=args.model, command=command)
    out = Path(args.out)
    print(f"wrote {out / 'report.md'}, {out / 'report.json'}, {out / 'accuracy_vs_rate.png'}, {out / 'latency_vs_context.png'}")
    for r in report.qa:
        recall = f" recall@{r.top_k} {r.recall_at_k:.3f}" if r.recall_at_k is not None else ""
        label = "closed" if r.mode == "closed" else f"{r.mode}{f' {r.rate}x' if r.rate else ''} {r.context}"
        print(f"  {label:22s} n={r.n} EM {r.em:.3f} F1 {r.f1:.3f} accuracy {r.accuracy:.3f}{recall}")
    cached = sum(t.cached for t in report.timings)
    computed = sum(t.seconds for t in report.timings if not t.cached)
    print(f"  {cached} of {len(report.timings)} parts from cache; {computed:.1f}s computing the others")
    return 0


def cmd_bench(args) -> int:
    from dataclasses import asdict

    from gmsa_rag.evaluation import bench
    from gmsa_rag.pipeline import RAGPipeline

    if args.kind == "report":
        return cmd_bench_report(args)
    model = _load_model(args)
    collection = _bench_collection(args, model)
    if args.kind == "precompress":
        texts = [c.text for c in collection.chunks()][: args.limit or 64]
        result = asdict(bench.bench_precompress(model, texts, batch_size=args.batch_size, repeats=args.repeats))
        lines = [
            f"{result['chunks']} chunks, {result['tokens']} tokens, batch {result['batch_size']}, median of {result['repeats']}:",
            f"  GMSA encoder ({result['encoder_layers']} layers, all rates): {result['encoder_tokens_per_s']:.0f} tokens/s",
            f"  full forward ({result['backbone_layers']} layers):            {result['full_forward_tokens_per_s']:.0f} tokens/s",
            f"  speed-up {result['speedup']:.2f}x (layer ratio {result['backbone_layers'] / result['encoder_layers']:.2f}x)",
        ]
    elif args.kind == "latency":
        report = bench.bench_latency(
            RAGPipeline(collection), args.question, context_tokens=args.context_tokens or (2048,), rates=args.rates,
            answer_tokens=args.answer_tokens, repeats=args.repeats,
        )
        result = report.to_dict()
        lines = [f"answer {report.answer_tokens} tokens, medians of {report.repeats} (seconds):",
                 f"{'mode':10s} {'rate':>4s} {'ctx':>5s} {'soft':>5s} {'ttft':>6s} {'total':>6s} {'retr':>6s} {'store':>6s} "
                 f"{'compr':>6s} {'lsa':>6s} {'prefill':>7s} {'bound':>6s} {'decode':>6s} {'ttft x':>6s} {'e2e x':>6s}"]
        for r in report.rows:
            lines.append(
                f"{r.mode:10s} {r.rate or '-':>4} {r.context_tokens:5d} {r.soft_tokens:5d} {r.time_to_first_token_s:6.3f} "
                f"{r.total_s:6.3f} {r.retrieval_s:6.3f} {r.store_s:6.3f} {r.compress_s:6.3f} {r.lsa_s:6.3f} "
                f"{r.prefill_s:7.3f} {r.prefill_bound_s:6.3f} {r.decode_s:6.3f} {r.ttft_speedup_vs_full:6.2f} {r.total_speedup_vs_full:6.2f}"
            )
        if args.llama_cpp:
            result["llama_cpp"], peer_lines = _llama_cpp_rows(RAGPipeline(collection), args)
            lines += peer_lines
    else:
        result = [asdict(r) for r in bench.bench_store(collection)]
        lines = [
            f"rate {r['rate']}: {r['bytes_per_1k_text_tokens']:,.0f} bytes per 1,000 text tokens stored vs "
            f"{r['kv_cache_bytes_per_1k_text_tokens']:,.0f} for the KV cache ({r['ratio_vs_kv']:.0f}x less)"
            for r in result
        ]
    print(json.dumps(result) if args.json else "\n".join(lines))
    return 0


def _llama_cpp_rows(pipeline, args) -> tuple[list[dict] | str, list[str]]:
    """The llama.cpp peer's rows (or why it was skipped) and their lines for `bench latency`."""
    from dataclasses import asdict

    import torch

    from gmsa_rag.evaluation import llama_peer

    unavailable = llama_peer.peer_unavailable(pipeline.model.config.backbone)
    if unavailable:
        return unavailable, [unavailable]
    rows = llama_peer.bench_llama_cpp(pipeline, args.question, context_tokens=args.context_tokens or (2048,),
                                      answer_tokens=args.answer_tokens, repeats=args.repeats)
    lines = [f"llama.cpp, the backbone's GGUF reading the same text ({torch.get_num_threads()} threads):"]
    lines += [f"  ctx {r.context_tokens:5d} (prompt {r.prompt_tokens}): ttft {r.time_to_first_token_s:6.3f} s, "
              f"decode {r.decode_tokens_per_s:6.1f} tokens/s, total {r.total_s:6.3f} s" for r in rows]
    return [asdict(r) for r in rows], lines


def _add_bench(sub) -> None:
    b = sub.add_parser(
        "bench", help="benchmarks: precompress throughput, query latency, store size; report: all of them with QA"
    )
    b.add_argument("kind", choices=["precompress", "latency", "store", "report"])
    _add_model_args(b)
    b.add_argument("--index", help="index to measure (default: the bundled sample collection)")
    b.add_argument("--repeats", type=int, default=3)
    b.add_argument("--batch-size", type=int, default=16)
    b.add_argument("--limit", type=int, help="precompress: chunks to time (default 64); report: the first N questions")
    b.add_argument("--question", default="What does ASCII stand for and when was it first published?")
    b.add_argument("--context-tokens", type=_rates, help="latency: comma-separated sizes (default 2048; report: 512,1024,2048)")
    b.add_argument("--rates", type=_rates, default=(4, 8))
    b.add_argument("--answer-tokens", type=int, default=32)
    b.add_argument("--llama-cpp", action="store_true",
                   help="latency: also time llama.cpp serving the backbone's GGUF over the same text (the `llama` extra)")
    b.add_argument("--json", action="store_true")
    report = b.add_argument_group("report", "bench report: QA, latency and store on the bundled evaluation set")
    report.add_argument("--out", default="report", help="report: output directory (holds the cache for reruns)")
    report.add_argument("--latency-repeats", type=int, default=3, help="report: latency repeats")
    report.add_argument("--top-k", type=int, default=4, help="report: chunks per question")
    report.add_argument("--max-new-tokens", type=int, default=32, help="report: QA answer budget")
    report.add_argument("--questions", help="report: questions JSONL (default: benchmarks/data/qa_eval.jsonl)")
    report.add_argument("--docs", help="report: documents JSONL (default: benchmarks/data/qa_eval_docs.jsonl)")
    report.add_argument("--fresh", action="store_true", help="report: recompute every part, ignoring the cache")
    report.add_argument("--quiet", action="store_true", help="report: no progress bars")
    b.set_defaults(func=cmd_bench)


# ---------------------------------------------------------------- app


def cmd_app(args) -> int:
    from app.main import AppSettings, serve

    if args.max_upload_mb <= 0:
        raise InputError(f"--max-upload-mb must be > 0, got {args.max_upload_mb}")
    if args.max_upload_files < 1:
        raise InputError(f"--max-upload-files must be >= 1, got {args.max_upload_files}")
    if args.max_batch < 1:
        raise InputError(f"--max-batch must be >= 1, got {args.max_batch}")
    settings = AppSettings(
        host=args.host, port=args.port, index=args.index, root=Path(args.root) if args.root else None,
        max_upload_mb=args.max_upload_mb, max_upload_files=args.max_upload_files,
        max_new_tokens=args.max_new_tokens, seed_sample=not args.no_sample,
        queue_size=args.queue_size, max_batch=args.max_batch,
    )
    serve(_load_model(args), settings)
    return 0


def _add_app(sub) -> None:
    app = sub.add_parser("app", help="the Gradio chat app: upload documents, ask, compare with full text")
    _add_model_args(app)
    app.add_argument("--host", default="127.0.0.1", help="address to bind (default: localhost only)")
    app.add_argument("--port", type=int, default=7860)
    app.add_argument("--index", default="app", help="the app's collection (a new one starts with the bundled sample)")
    app.add_argument("--no-sample", action="store_true", help="start a new collection empty")
    app.add_argument("--max-upload-mb", type=float, default=20.0, help="size limit per uploaded file")
    app.add_argument("--max-upload-files", type=int, default=20, help="files accepted per upload batch")
    app.add_argument("--max-new-tokens", type=int, default=64)
    app.add_argument("--queue-size", type=int, default=16, help="requests allowed to wait; more are refused")
    app.add_argument("--max-batch", type=int, default=8,
                     help="answers decoded together (1: one at a time, each answer to its end)")
    app.set_defaults(func=cmd_app)


# ---------------------------------------------------------------- data


def cmd_data_build(args) -> int:
    from gmsa_rag.training.corpora import build_all
    from gmsa_rag.training.corpora.doc_corpus import build_doc_corpus

    sources = [s.strip() for s in args.sources.split(",") if s.strip()] if args.sources else None
    base = None if args.no_wiki_news else build_all(args.out)
    docs = build_doc_corpus(args.out, sources=sources, cache_dir=args.cache, refresh=args.refresh,
                            progress=not args.quiet)
    failed = [r for r in docs.sources if r.error]
    if args.json:
        result = docs.to_dict()
        if base is not None:
            result["wiki_news"] = {"files": {k: str(v) for k, v in base.files.items()}, "counts": base.counts}
        print(json.dumps(result, indent=2))
    else:
        for r in docs.sources:
            if r.error:
                print(f"{r.name:16s} FAILED: {r.error}")
                continue
            print(f"{r.name:16s} {r.files:6d} files {r.documents:6d} docs {r.passages.get('train', 0):7d}"
                  f" + {r.passages.get('heldout', 0):5d} passages {r.tokens.get('train', 0):10,d}"
                  f" + {r.tokens.get('heldout', 0):9,d} tokens  {r.seconds:6.1f} s{' (cached)' if r.cached else ''}")
        t = docs.totals
        print(f"total: {t['tokens_train']:,d} training tokens, {t['tokens_heldout']:,d} held-out "
              f"({t['passages_train']:,d} + {t['passages_heldout']:,d} passages), {t['qa_train']:,d} + "
              f"{t['qa_heldout']:,d} questions in {docs.seconds:.0f} s; "
              f"wrote {', '.join(str(f) for f in docs.files.values())}")
    for r in failed:
        print(f"error: source {r.name}: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def cmd_data_tokenize(args) -> int:
    import random
    import time

    from gmsa_rag.backbones import load_tokenizer
    from gmsa_rag.io import read_jsonl
    from gmsa_rag.training.token_file import write_token_file

    start = time.perf_counter()
    texts = [r["text"] for path in args.data for r in read_jsonl(path, ["text"])]
    random.Random(args.seed).shuffle(texts)  # a --max-tokens file samples every input alike
    tokenizer = load_tokenizer(args.backbone)
    tokens = write_token_file(args.out, texts, tokenizer, min_tokens=args.min_tokens, max_tokens=args.max_tokens)
    size = Path(args.out).stat().st_size
    result = {"out": args.out, "texts": len(tokens), "tokens": tokens.n_tokens, "bytes": size,
              "bytes_per_token": round(size / tokens.n_tokens, 3), "tokenizer": tokens.tokenizer,
              "seconds": round(time.perf_counter() - start, 1)}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"wrote {args.out}: {tokens.n_tokens:,d} tokens in {len(tokens):,d} texts, {size / 1e6:.1f} MB "
              f"({result['bytes_per_token']} bytes/token) in {result['seconds']} s")
    return 0


def _add_data(sub) -> None:
    from gmsa_rag.training.corpora.doc_sources import DOC_SOURCES

    data = sub.add_parser("data", help="build training data")
    kinds = data.add_subparsers(dest="kind", required=True)
    build = kinds.add_parser(
        "build", help="the training corpora: Wikipedia/news (bundled) and Debian's documentation packages "
                      "(downloaded once with apt-get into the cache)")
    build.add_argument("--out", required=True, help="folder for the JSONL files")
    build.add_argument("--sources", help="comma-separated documentation sources (default: all of "
                                         + ", ".join(s.name for s in DOC_SOURCES) + ")")
    build.add_argument("--no-wiki-news", action="store_true", help="only the documentation corpus")
    build.add_argument("--cache", help="packages and conversions (default: $GMSA_RAG_CACHE/debian-docs)")
    build.add_argument("--refresh", action="store_true", help="download the packages again")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.add_argument("--json", action="store_true")
    build.set_defaults(func=cmd_data_build)

    tok = kinds.add_parser("tokenize", help="pre-tokenize {'text'} JSONL files into one token file for "
                                            "`gmsa-rag train --train-data` (compressed, checksummed)")
    tok.add_argument("data", nargs="+", help="JSONL files with one {'text': ...} per line")
    tok.add_argument("--out", required=True, help="the token file to write (e.g. DIR/ae_train.tok)")
    tok.add_argument("--backbone", default="smollm2-135m-instruct", help="whose tokenizer")
    tok.add_argument("--max-tokens", type=int, help="stop before this many tokens (a run-sized file)")
    tok.add_argument("--min-tokens", type=int, default=16, help="leave out shorter texts")
    tok.add_argument("--seed", type=int, default=0, help="the texts are shuffled with this seed first")
    tok.add_argument("--json", action="store_true")
    tok.set_defaults(func=cmd_data_tokenize)


# ---------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gmsa-rag", description="Question answering with GMSA context compression.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_ask(sub)
    _add_eval(sub)
    _add_bench(sub)
    _add_train(sub)
    _add_app(sub)
    _add_data(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for reports that record their command
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
