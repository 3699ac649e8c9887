"""Benchmarks run end to end on a tiny collection and report consistent figures (no time asserts)."""

import sys

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


def test_llama_cpp_peer_without_the_extra_says_how_to_install_it(collection, monkeypatch):
    from gmsa_rag.errors import InputError
    from gmsa_rag.evaluation import llama_peer

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # `import llama_cpp` now raises ImportError
    assert "gmsa_rag[llama]" in llama_peer.llama_cpp_missing()
    with pytest.raises(InputError, match="llama-cpp-python is not importable"):
        llama_peer.bench_llama_cpp(RAGPipeline(collection), "capital of France?", context_tokens=(16,))


def test_llama_cpp_peer_times_the_full_text_prompt(collection):
    """With the `llama` extra: llama.cpp serves the built-in GGUF over the same retrieved text."""
    pytest.importorskip("llama_cpp", reason="the llama extra (llama-cpp-python) is not installed")
    from gmsa_rag.backbones import builtin_gguf
    from gmsa_rag.errors import InputError
    from gmsa_rag.evaluation.llama_peer import bench_llama_cpp

    pipeline = RAGPipeline(collection)
    with pytest.raises(InputError, match="needs a GGUF of the backbone 'tiny'"):
        bench_llama_cpp(pipeline, "capital of France?")
    rows = bench_llama_cpp(pipeline, "capital of France?", context_tokens=(16, 48), answer_tokens=3, repeats=1,
                           threads=1, gguf=builtin_gguf())  # the tiny tokenizer's ids are within its vocabulary
    assert [r.context_tokens > 0 for r in rows] == [True, True]
    assert rows[0].prompt_tokens < rows[1].prompt_tokens
    assert all(0 < r.time_to_first_token_s < r.total_s and r.decode_tokens_per_s > 0 for r in rows)


def test_llama_cpp_reads_the_same_weights_as_the_backbone_it_was_converted_to():
    """llama.cpp on the Q4_1 GGUF and transformers on its float32 conversion agree on the next
    token's logits (the peer answers from the weights GMSA's decoder has; llama.cpp computes
    with quantized activations, so near-ties may break differently), and greedy_answer
    follows llama.cpp's own argmax."""
    pytest.importorskip("llama_cpp", reason="the llama extra (llama-cpp-python) is not installed")
    import numpy as np
    import torch
    from llama_cpp import Llama

    from gmsa_rag.backbones import builtin_gguf, load_backbone
    from gmsa_rag.evaluation.llama_peer import greedy_answer, load_llama

    backbone, tokenizer, _ = load_backbone("smollm2-135m-instruct")
    scorer = Llama(model_path=str(builtin_gguf()), n_ctx=256, n_threads=1, logits_all=True, verbose=False)
    answerer = load_llama(builtin_gguf(), 256, 1)
    for question in ("Name three primary colours.", "Who wrote Hamlet?", "What is the capital of France?"):
        prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True,
                                               tokenize=True)
        prompt = list(prompt["input_ids"] if hasattr(prompt, "keys") else prompt)
        scorer.reset()
        scorer.eval(prompt)
        theirs = np.array(scorer.scores[len(prompt) - 1])
        with torch.inference_mode():
            ours = backbone(torch.tensor([prompt])).logits[0, -1].numpy()
        assert np.corrcoef(theirs, ours)[0, 1] > 0.99, question
        assert set(theirs.argsort()[-5:]) == set(ours.argsort()[-5:]), question
        tokens, first, total = greedy_answer(answerer, prompt, 4)
        assert len(tokens) == 4 and tokens[0] == int(theirs.argmax()) and 0 < first <= total
