"""Answering a question from text chunks: GMSA soft tokens, the full text, or nothing.

This module holds the query path shared by the CLI (and, later, the app and the retrieval
pipeline): compress the chunks (or reuse stored vectors), compose, align, decode, and
report what it cost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from gmsa_rag.errors import InputError
from gmsa_rag.model import GMSAModel, SamplingParams

MODES = ("gmsa", "full", "closed")


@dataclass
class AnswerStats:
    """What one answer cost. Times are seconds; ``text_tokens`` is what the chunks would cost as text."""

    mode: str
    rate: int | None
    text_tokens: int
    soft_tokens: int
    compress_s: float = 0.0
    time_to_first_token_s: float = 0.0
    total_s: float = 0.0
    text_pieces: int = 0  # streamed pieces (about one per generated token)


@dataclass
class Answer:
    text: str
    stats: AnswerStats
    chunks: list[str] = field(default_factory=list)


def full_text_prompt(question: str, chunks: Sequence[str]) -> str:
    """The prompt of the full-text baseline: the chunks as plain text, then the question."""
    context = "\n\n".join(chunks)
    return f"Context:\n{context}\n\nQuestion: {question}"


def _check(question: str, mode: str, rate: int | None, model: GMSAModel) -> None:
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    if mode not in MODES:
        raise InputError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "gmsa" and rate not in model.config.rates:
        raise InputError(f"rate {rate!r} is not one this model was trained for: {list(model.config.rates)}")


def stream_answer(
    model: GMSAModel,
    question: str,
    chunks: Sequence[str],
    *,
    mode: str = "gmsa",
    rate: int = 4,
    params: SamplingParams | None = None,
    stats_out: list[AnswerStats] | None = None,
) -> Iterator[str]:
    """Yield the answer's text pieces; the final :class:`AnswerStats` is appended to ``stats_out``."""
    _check(question, mode, rate, model)
    if mode != "closed" and not chunks:
        raise InputError(f"mode {mode!r} needs at least one chunk of text")
    start = time.perf_counter()
    text_tokens = sum(len(model.tokenizer(c, add_special_tokens=False)["input_ids"]) for c in chunks)
    stats = AnswerStats(mode=mode, rate=rate if mode == "gmsa" else None, text_tokens=text_tokens, soft_tokens=0)
    if mode == "gmsa":
        vectors = [v.vectors[rate] for v in model.compress(list(chunks), rates=(rate,))]
        stats.compress_s = time.perf_counter() - start
        stats.soft_tokens = sum(v.shape[0] for v in vectors) + len(vectors) - 1
        pieces = model.stream(question, vectors, params)
    elif mode == "full":
        pieces = model.stream(full_text_prompt(question, chunks), None, params, use_base=True)
    else:
        pieces = model.stream(question, None, params, use_base=True)
    for piece in pieces:
        if not stats.time_to_first_token_s:
            stats.time_to_first_token_s = time.perf_counter() - start
        stats.text_pieces += 1
        yield piece
    stats.total_s = time.perf_counter() - start
    if stats_out is not None:
        stats_out.append(stats)


def answer(model: GMSAModel, question: str, chunks: Sequence[str], **kwargs) -> Answer:
    """Answer in one call (see :func:`stream_answer` for the arguments)."""
    stats: list[AnswerStats] = []
    text = "".join(stream_answer(model, question, chunks, stats_out=stats, **kwargs))
    return Answer(text=text.strip(), stats=stats[0], chunks=list(chunks))
