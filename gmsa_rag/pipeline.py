"""Retrieve -> soft tokens -> answer, with what each step cost.

    question ──faiss──> top-k chunks ──store (compress on a miss)──> merged vectors
             ──compose + LSA──> soft tokens ──[soft ; question]──> decoder ──> answer

``mode="full"`` gives the same backbone the chunks' text instead (the baseline a user would
otherwise run), ``mode="closed"`` nothing. The same code answers from plain text chunks
(:func:`answer_chunks`) for the CLI demo and evaluation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from gmsa_rag.errors import InputError
from gmsa_rag.model import GMSAModel, SamplingParams

if TYPE_CHECKING:
    from gmsa_rag.serving import BatchScheduler

MODES = ("gmsa", "full", "closed")


@dataclass
class Source:
    doc_id: str
    chunk: int
    score: float
    snippet: str
    text: str = field(repr=False, default="")


@dataclass(kw_only=True)
class StageTimes:
    """Where an answer's time went, in seconds (one answer's, or medians over several)."""

    retrieval_s: float = 0.0
    store_s: float = 0.0
    compress_s: float = 0.0
    lsa_s: float = 0.0
    prefill_s: float = 0.0
    decode_s: float = 0.0
    time_to_first_token_s: float = 0.0
    total_s: float = 0.0

    @staticmethod
    def names() -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(StageTimes))


@dataclass(kw_only=True)
class AnswerStats(StageTimes):
    """What one answer cost; ``text_tokens`` is what the chunks cost as text."""

    mode: str
    rate: int | None
    top_k: int
    text_tokens: int = 0
    soft_tokens: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    generated_tokens: int = 0  # decoded tokens (time to first token is timed at the first one)
    text_pieces: int = 0  # streamed pieces, about one per generated token

    @property
    def compression(self) -> float:
        """Text tokens per soft token (0 when no soft tokens were used)."""
        return self.text_tokens / self.soft_tokens if self.soft_tokens else 0.0


@dataclass
class Answer:
    text: str
    sources: list[Source]
    stats: AnswerStats


def full_text_prompt(question: str, chunks: Sequence[str]) -> str:
    """The prompt of the full-text baseline: the chunks as plain text, then the question."""
    context = "\n\n".join(chunks)
    return f"Context:\n{context}\n\nQuestion: {question}"


class AnswerStream:
    """Iterate for the answer's text pieces; afterwards :attr:`answer` holds text, sources, stats.

    ``decode(on_token)`` starts the decoder; it calls ``on_token()`` after every generated
    token, so the first-token time is right even when a token yields no text (EOS, a partial
    character).
    """

    def __init__(self, decode: Callable[[Callable[[], None]], Iterator[str]], sources: list[Source],
                 stats: AnswerStats, start: float) -> None:
        self._decode, self.sources, self.stats, self._start = decode, sources, stats, start
        self._text: list[str] = []
        self._ready = start
        self.answer: Answer | None = None

    def _token_decoded(self) -> None:
        stats = self.stats
        if not stats.generated_tokens:
            now = time.perf_counter()
            stats.time_to_first_token_s = now - self._start
            stats.prefill_s = now - self._ready
        stats.generated_tokens += 1

    def __iter__(self) -> Iterator[str]:
        stats, self._ready = self.stats, time.perf_counter()
        # closing() so that a consumer who stops early stops the decoder now (a batched row leaves its batch)
        with contextlib.closing(self._decode(self._token_decoded)) as pieces:
            for piece in pieces:
                stats.text_pieces += 1
                self._text.append(piece)
                yield piece
        stats.total_s = time.perf_counter() - self._start
        stats.decode_s = stats.total_s - stats.time_to_first_token_s if stats.generated_tokens else 0.0
        self.answer = Answer("".join(self._text).strip(), self.sources, stats)

    def result(self) -> Answer:
        """Drain the stream (if not yet) and return the answer."""
        for _ in self:
            pass
        assert self.answer is not None
        return self.answer


def _check(model: GMSAModel, question: str, mode: str, rate: int) -> None:
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    if mode not in MODES:
        raise InputError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "gmsa" and rate not in model.config.rates:
        raise InputError(f"rate {rate!r} is not one this model was trained for: {list(model.config.rates)}")


def _decoder(model, question, mode, chunks, soft, params, scheduler=None) -> Callable[[Callable[[], None]], Iterator[str]]:
    """The answer's decoding, started with a per-token callback (see :class:`AnswerStream`):
    alone (``model.stream``), or as a row of the scheduler's batches."""
    if mode == "gmsa":
        prompt, reader = question, {"soft_tokens": soft}
    else:  # the plain backbone reads the chunks as text, or nothing (closed book)
        prompt, reader = (full_text_prompt(question, chunks) if mode == "full" else question), {"role": "base"}
    run = model.stream if scheduler is None else scheduler.stream
    return lambda on_token: run(prompt, params=params, on_token=on_token, **reader)


def _align(model: GMSAModel, vectors: list[torch.Tensor], stats: AnswerStats) -> torch.Tensor:
    start = time.perf_counter()
    soft = model.soft_tokens(vectors)
    stats.lsa_s = time.perf_counter() - start
    stats.soft_tokens = soft.shape[0]
    return soft


def answer_chunks(
    model: GMSAModel,
    question: str,
    chunks: Sequence[str],
    *,
    mode: str = "gmsa",
    rate: int = 4,
    params: SamplingParams | None = None,
) -> AnswerStream:
    """Answer from text chunks given directly (compressed now, no index or store)."""
    _check(model, question, mode, rate)
    if mode != "closed" and not chunks:
        raise InputError(f"mode {mode!r} needs at least one chunk of text")
    start = time.perf_counter()
    stats = AnswerStats(mode=mode, rate=rate if mode == "gmsa" else None, top_k=len(chunks))
    stats.text_tokens = sum(len(model.tokenizer(c, add_special_tokens=False)["input_ids"]) for c in chunks)
    soft = None
    if mode == "gmsa":
        vectors = [v.vectors[rate] for v in model.compress(list(chunks), rates=(rate,))]
        stats.compress_s, stats.cache_misses = time.perf_counter() - start, len(chunks)
        soft = _align(model, vectors, stats)
    sources = [Source(doc_id="", chunk=i, score=0.0, snippet=c[:200], text=c) for i, c in enumerate(chunks)]
    return AnswerStream(_decoder(model, question, mode, chunks, soft, params), sources, stats, start)


class RAGPipeline:
    """Question answering over a :class:`~gmsa_rag.collection.Collection`.

    With a :class:`~gmsa_rag.serving.BatchScheduler`, answers asked from several threads at
    once are decoded together (retrieval and soft tokens stay in each caller's thread).
    """

    def __init__(self, collection, scheduler: BatchScheduler | None = None) -> None:
        self.collection = collection
        self.model: GMSAModel = collection.model
        self.scheduler = scheduler
        if scheduler is not None and scheduler.model is not self.model:
            raise InputError("the batch scheduler serves another model than the collection's")
        collection.index.embedder  # load the embedder now, not inside the first question's timing

    def stream(
        self,
        question: str,
        *,
        rate: int = 4,
        top_k: int = 4,
        mode: str = "gmsa",
        params: SamplingParams | None = None,
        doc_id: str | None = None,
        hits: Sequence | None = None,
    ) -> AnswerStream:
        """Retrieve, fetch or compute soft tokens, and return a stream of the answer's pieces.

        ``doc_id`` restricts retrieval to one document (the "oracle" context of evaluations);
        ``hits`` skips retrieval and reads those chunks (found by another retriever).
        """
        _check(self.model, question, mode, rate)
        if top_k < 1:
            raise InputError(f"top_k must be >= 1, got {top_k}")
        start = time.perf_counter()
        stats = AnswerStats(mode=mode, rate=rate if mode == "gmsa" else None, top_k=top_k)
        if hits is None:
            hits = [] if mode == "closed" else self.collection.retrieve(question, top_k, doc_id)
        stats.retrieval_s = time.perf_counter() - start
        sources = [
            Source(h.record.doc_id, h.record.index, h.score, h.record.text[:200], h.record.text) for h in hits
        ]
        stats.text_tokens = sum(h.record.num_tokens or 0 for h in hits)
        soft = None
        if mode == "gmsa":
            fetched = self.collection.soft_vectors(hits, rate)
            stats.cache_hits, stats.cache_misses = fetched.hits, fetched.misses
            stats.store_s, stats.compress_s = fetched.store_s, fetched.compress_s
            soft = _align(self.model, fetched.vectors, stats)
        decode = _decoder(self.model, question, mode, [s.text for s in sources], soft, params, self.scheduler)
        return AnswerStream(decode, sources, stats, start)

    def ask(self, question: str, **kwargs) -> Answer:
        """Answer in one call; see :meth:`stream` for the arguments."""
        return self.stream(question, **kwargs).result()
