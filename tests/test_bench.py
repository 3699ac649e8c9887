"""Benchmarks run end to end on a tiny collection and report consistent figures (no time asserts)."""

import pytest

from gmsa_rag.evaluation.bench import bench_latency, bench_precompress, bench_store
from gmsa_rag.pipeline import RAGPipeline


def test_bench_store_counts_real_bytes(collection):
    rows = {r.rate: r for r in bench_store(collection)}
    assert set(rows) == {4, 8}
    assert rows[4].stored_bytes > rows[8].stored_bytes > 0
    assert rows[4].ratio_vs_kv > 1 and rows[4].text_tokens == sum(c.num_tokens for c in collection.chunks())


def test_bench_precompress_reports_both_paths(collection):
    result = bench_precompress(collection.model, [c.text for c in collection.chunks()], batch_size=2, repeats=1)
    assert result.tokens > 0 and result.encoder_tokens_per_s > 0 and result.full_forward_tokens_per_s > 0
    assert result.speedup == pytest.approx(result.encoder_tokens_per_s / result.full_forward_tokens_per_s)


def test_bench_latency_rows_and_store_left_warm(collection):
    report = bench_latency(RAGPipeline(collection), "capital of France?", context_tokens=(16,), rates=(4,), answer_tokens=3, repeats=1)
    modes = [r.mode for r in report.rows]
    assert modes == ["full", "gmsa cold", "gmsa warm"]
    cold, warm = report.rows[1], report.rows[2]
    assert cold.compress_s > 0 and warm.compress_s == 0 and warm.prefill_bound_s > 0
    assert report.rows[0].ttft_speedup_vs_full == 1.0
    assert bench_store(collection)[0].stored_bytes > 0
