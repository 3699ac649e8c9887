"""Benchmarks that print measured figures: medians over repeats, ratios from one process.

* :func:`bench_precompress` — encoder throughput (tokens/s, all rates from one pass) against a
  plain full-model forward pass over the same batches.
* :func:`bench_latency` — answering over ~N retrieved text tokens: full text vs. GMSA cold
  (compress now) vs. GMSA warm (store hit), interleaved, with the pipeline's time split and the
  compressed-prefill lower bound (a bare decoder prefill of as many positions as GMSA feeds it).
* :func:`bench_store` — bytes per 1,000 text tokens at each rate, as stored, vs. the KV cache.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch
from tqdm.auto import tqdm

from gmsa_rag.model import GMSAModel, SamplingParams
from gmsa_rag.model.gmsa import describe_sizes
from gmsa_rag.pipeline import StageTimes


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


@dataclass
class PrecompressBench:
    chunks: int
    tokens: int
    batch_size: int
    repeats: int
    encoder_tokens_per_s: float
    full_forward_tokens_per_s: float
    speedup: float
    encoder_layers: int
    backbone_layers: int


@torch.inference_mode()
def bench_precompress(model: GMSAModel, texts: Sequence[str], *, batch_size: int = 16, repeats: int = 3) -> PrecompressBench:
    """Median tokens/s of ``model.compress`` (every rate) vs. the backbone's full forward pass."""
    ids = [model.tokenize_chunk(t) for t in texts]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batches = [[ids[i] for i in order[s : s + batch_size]] for s in range(0, len(order), batch_size)]
    tokens = sum(len(x) for x in ids)
    body = model.backbone.model
    enc_times, full_times = [], []
    for _ in range(repeats):  # interleaved, so drift hits both alike
        start = time.perf_counter()
        model.compress(texts, batch_size=batch_size)
        enc_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        for batch in batches:
            input_ids, mask = model.pad_ids(batch)
            body(input_ids=input_ids, attention_mask=mask, use_cache=False)
        full_times.append(time.perf_counter() - start)
    enc, full = _median(enc_times), _median(full_times)
    return PrecompressBench(
        chunks=len(texts), tokens=tokens, batch_size=batch_size, repeats=repeats,
        encoder_tokens_per_s=tokens / enc, full_forward_tokens_per_s=tokens / full, speedup=full / enc,
        encoder_layers=model.config.encoder_layers, backbone_layers=model.backbone.config.num_hidden_layers,
    )


@dataclass(kw_only=True)
class LatencyRow(StageTimes):
    """Medians (seconds) of one mode at one context size: each of the answers' stage times, and
    the ratios against full text."""

    mode: str
    rate: int | None
    context_tokens: int
    soft_tokens: int
    prefill_bound_s: float = 0.0  # bare decoder prefill of the same number of positions
    ttft_speedup_vs_full: float = 0.0
    total_speedup_vs_full: float = 0.0


@dataclass
class LatencyBench:
    answer_tokens: int
    repeats: int
    rows: list[LatencyRow] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "LatencyBench":
        """The inverse of :meth:`to_dict`."""
        return cls(data["answer_tokens"], data["repeats"], [LatencyRow(**r) for r in data["rows"]])


def _prefill_bound(model: GMSAModel, positions: int, repeats: int) -> float:
    """Median time of one decoder prefill over ``positions`` input embeddings (no LSA, no store)."""
    decoder = model.runner()
    embeds = torch.randn(1, positions, model.dim, device=model.device) * 0.02
    mask = torch.ones(1, positions, dtype=torch.long, device=model.device)
    times = []
    with torch.inference_mode(), model.autocast():
        for _ in range(repeats):
            start = time.perf_counter()
            decoder.prefill(embeds, mask)
            times.append(time.perf_counter() - start)
    return _median(times)


def top_k_for_tokens(collection, context_tokens: int) -> int:
    """How many chunks the latency benchmarks retrieve for ~``context_tokens`` of text."""
    return max(1, round(context_tokens / max(1, collection.chunk_tokens)))


def bench_latency(
    pipeline,
    question: str,
    *,
    context_tokens: Sequence[int] = (512, 1024, 2048),
    rates: Sequence[int] = (4, 8),
    answer_tokens: int = 32,
    repeats: int = 3,
    progress: bool = False,
) -> LatencyBench:
    """Time full / GMSA cold / GMSA warm answers over top-k chunks worth ~``context_tokens``.

    Every answer decodes exactly ``answer_tokens`` tokens (EOS ignored) so modes compare
    like for like; runs are interleaved across modes within each repeat.
    """
    collection, model = pipeline.collection, pipeline.model
    params = SamplingParams(max_new_tokens=answer_tokens, ignore_eos=True)
    report = LatencyBench(answer_tokens=answer_tokens, repeats=repeats)
    runs_total = len(context_tokens) * repeats * (1 + 2 * len(rates))
    bar = tqdm(total=runs_total, desc="latency", unit="run", disable=not progress)
    pipeline.ask(question, top_k=1, params=SamplingParams(max_new_tokens=2))  # warm-up (lazy loads)
    for size in context_tokens:
        top_k = top_k_for_tokens(collection, size)
        variants = [("full", None, False)] + [("gmsa", r, cold) for r in rates for cold in (True, False)]
        runs: dict[tuple, list] = {v: [] for v in variants}
        for _ in range(repeats):
            for mode, rate, cold in variants:
                if cold:
                    hits = collection.retrieve(question, top_k)
                    for h in hits:  # evict just these chunks' soft tokens
                        collection.store.delete_document(h.record.doc_id)
                answer = pipeline.ask(question, mode=mode, rate=rate or 4, top_k=top_k, params=params)
                runs[(mode, rate, cold)].append(answer.stats)
                bar.update()
        full_ttft = _median([s.time_to_first_token_s for s in runs[("full", None, False)]])
        full_total = _median([s.total_s for s in runs[("full", None, False)]])
        for (mode, rate, cold), stats in runs.items():
            med = {k: _median([getattr(s, k) for s in stats]) for k in StageTimes.names()}
            soft = stats[0].soft_tokens
            prompt_len = len(model.format_prompt(question))
            row = LatencyRow(
                mode=f"{mode}{' cold' if cold else ' warm' if mode == 'gmsa' else ''}", rate=rate,
                context_tokens=stats[0].text_tokens, soft_tokens=soft, **med,
                prefill_bound_s=_prefill_bound(model, soft + prompt_len, repeats) if mode == "gmsa" else 0.0,
            )
            row.ttft_speedup_vs_full = full_ttft / row.time_to_first_token_s if row.time_to_first_token_s else 0.0
            row.total_speedup_vs_full = full_total / row.total_s if row.total_s else 0.0
            report.rows.append(row)
        pipeline.collection.precompress(progress=False)  # leave the store warm again
    bar.close()
    return report


@dataclass
class StoreBench:
    rate: int
    text_tokens: int
    stored_bytes: int
    bytes_per_1k_text_tokens: float
    kv_cache_bytes_per_1k_text_tokens: float
    ratio_vs_kv: float


def bench_store(collection) -> list[StoreBench]:
    """Bytes the store holds per 1,000 text tokens at each rate (values as written, fp16)."""
    from gmsa_rag.store import encode_value

    model = collection.model
    fingerprint = model.fingerprint()
    chunks = collection.chunks()
    tokens = sum(c.num_tokens for c in chunks)
    rows = []
    for rate in model.config.rates:
        stored = 0
        for chunk in chunks:
            vectors = collection.store.get(fingerprint, chunk.content_hash, rate)
            if vectors is None:
                continue
            stored += len(encode_value(vectors, fingerprint=fingerprint, chunk_hash=chunk.content_hash, rate=rate,
                                       dtype=collection.store.dtype, num_tokens=chunk.num_tokens))
        kv = describe_sizes(model, 1000, rate)["kv_cache_bytes"]
        per_1k = stored / tokens * 1000 if tokens else 0.0
        rows.append(StoreBench(rate, tokens, stored, per_1k, kv, kv / per_1k if per_1k else 0.0))
    return rows
