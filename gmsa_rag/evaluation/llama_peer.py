"""The peer a CPU user would run instead of GMSA: the same backbone served by llama.cpp.

The built-in backbone ships as a GGUF file (SmolLM2-135M-Instruct, Q4_1); llama.cpp reads it
as it is, through ``llama-cpp-python`` (the benchmark-only ``llama`` extra, built from source
by pip where no wheel fits). :func:`bench_llama_cpp` gives it exactly the token ids of the
full-text baseline (same retrieval, same prompt, same chat template) and times its prefill
(time to first token) and its greedy decode, so its rows sit beside
:func:`~gmsa_rag.evaluation.bench.bench_latency`'s at the same context sizes.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from gmsa_rag.backbones import BUILTIN_BACKBONES, builtin_gguf
from gmsa_rag.errors import InputError
from gmsa_rag.evaluation.bench import top_k_for_tokens
from gmsa_rag.pipeline import full_text_prompt

INSTALL_HINT = "pip install 'gmsa_rag[llama]' (builds llama-cpp-python; needs a C/C++ compiler and cmake)"


@dataclass
class PeerRow:
    """Medians (seconds) of llama.cpp reading the retrieved text at one context size."""

    context_tokens: int  # retrieved text tokens, as in the GMSA rows
    prompt_tokens: int  # what llama.cpp prefilled: the full-text prompt in the chat template
    time_to_first_token_s: float  # prefill of the prompt and the first greedy token
    decode_tokens_per_s: float  # the remaining answer tokens, one step each
    total_s: float


def llama_cpp_missing() -> str | None:
    """Why the peer cannot run here (a message naming the fix), or None when it can."""
    try:
        import llama_cpp  # noqa: F401  (only whether it imports)
    except ImportError as exc:
        return f"llama.cpp peer skipped: llama-cpp-python is not importable ({exc}); {INSTALL_HINT}"
    return None


def peer_unavailable(backbone: str, gguf: Path | None = None) -> str | None:
    """Why the peer cannot serve ``backbone`` here (the extra is missing, or no GGUF to read),
    or None when it can."""
    missing = llama_cpp_missing()
    if missing or gguf is not None or backbone in BUILTIN_BACKBONES:
        return missing
    return f"llama.cpp peer skipped: it needs a GGUF of the backbone {backbone!r} (built-in backbones have one; else pass gguf=)"


def greedy_answer(llm, prompt: list[int], answer_tokens: int) -> tuple[list[int], float, float]:
    """llama.cpp's greedy answer of exactly ``answer_tokens`` tokens (EOS ignored, as in
    ``bench_latency``): its ids, the time to the first token and the total time."""
    llm.reset()  # no prefix reuse between repeats: every answer prefills its whole prompt
    start = time.perf_counter()
    llm.eval(prompt)
    tokens = [llm.sample(temp=0.0)]
    first = time.perf_counter() - start
    while len(tokens) < answer_tokens:
        llm.eval(tokens[-1:])
        tokens.append(llm.sample(temp=0.0))
    return tokens, first, time.perf_counter() - start


def load_llama(gguf: Path, n_ctx: int, threads: int):
    """A llama.cpp model of ``gguf`` with room for ``n_ctx`` positions, on ``threads`` threads."""
    from llama_cpp import Llama

    return Llama(model_path=str(gguf), n_ctx=n_ctx, n_batch=min(n_ctx, 2048), n_threads=threads,
                 n_threads_batch=threads, verbose=False)


def bench_llama_cpp(
    pipeline,
    question: str,
    *,
    context_tokens: Sequence[int] = (2048,),
    answer_tokens: int = 32,
    repeats: int = 3,
    gguf: Path | None = None,
    threads: int | None = None,
) -> list[PeerRow]:
    """Time llama.cpp answering ``question`` over the chunks the pipeline retrieves for each
    size (the same ``top_k`` rule as :func:`~gmsa_rag.evaluation.bench.bench_latency`).

    ``gguf`` defaults to the file of the model's built-in backbone; ``threads`` to torch's
    thread count, so both engines use the same cores. Raises :class:`InputError` when llama.cpp
    is missing or the backbone has no GGUF to default to.
    """
    backbone = pipeline.model.config.backbone
    unavailable = peer_unavailable(backbone, gguf)
    if unavailable:
        raise InputError(unavailable)
    if answer_tokens < 1 or repeats < 1:
        raise InputError("answer_tokens and repeats must be >= 1")
    collection, model = pipeline.collection, pipeline.model
    prompts = []
    for size in context_tokens:
        hits = collection.retrieve(question, top_k_for_tokens(collection, size))
        text_tokens = sum(h.record.num_tokens or 0 for h in hits)
        prompts.append((text_tokens, model.format_prompt(full_text_prompt(question, [h.record.text for h in hits]), "base")))
    n_ctx = max(len(p) for _, p in prompts) + answer_tokens + 8
    llm = load_llama(gguf or builtin_gguf(backbone), n_ctx, threads or torch.get_num_threads())
    greedy_answer(llm, prompts[0][1][:16], 2)  # warm-up
    rows = []
    for text_tokens, prompt in prompts:
        runs = [greedy_answer(llm, prompt, answer_tokens)[1:] for _ in range(repeats)]
        ttft, total = statistics.median([r[0] for r in runs]), statistics.median([r[1] for r in runs])
        decode = statistics.median([(answer_tokens - 1) / (r[1] - r[0]) for r in runs]) if answer_tokens > 1 else 0.0
        rows.append(PeerRow(context_tokens=text_tokens, prompt_tokens=len(prompt),
                            time_to_first_token_s=ttft, decode_tokens_per_s=decode, total_s=total))
    return rows
