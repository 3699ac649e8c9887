"""LangChain components over a :class:`~gmsa_rag.collection.Collection` (``pip install 'gmsa_rag[langchain]'``).

* :class:`GMSARetriever` — a ``BaseRetriever``: the collection's top-``k`` chunks as ``Document``\\ s whose
  metadata carries the soft-token cache key (``content_hash``, ``gmsa_fingerprint``, ``rate``), the
  soft-token count and whether the store already had them (``cache``: ``"hit"``/``"miss"``; a miss is
  compressed and stored during retrieval, so the reader then finds it warm).
* :class:`GMSAReader` — a ``Runnable`` taking ``{"context": list[Document], "question": str}`` and
  returning an ``AIMessage`` whose ``response_metadata`` holds ``sources`` and ``stats``; it answers
  from the documents' stored soft tokens through :class:`~gmsa_rag.pipeline.RAGPipeline`, compressing
  (and storing, keyed by ``content_hash(page_content)``) any that the store lacks, so Documents from
  any other retriever work too. ``invoke``/``batch``/``stream`` and their async forms all work;
  streaming yields one ``AIMessageChunk`` per decoded text piece, then one carrying the metadata.

    chain = {"context": GMSARetriever(collection=c), "question": RunnablePassthrough()} | GMSAReader(collection=c)
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import dataclasses
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun, CallbackManagerForRetrieverRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict

from gmsa_rag.documents import content_hash
from gmsa_rag.errors import InputError
from gmsa_rag.model import SamplingParams
from gmsa_rag.pipeline import Answer, AnswerStream, RAGPipeline
from gmsa_rag.retrieval import ChunkRecord, Hit

__all__ = ["ChatGMSA", "GMSAChatModel", "GMSAReader", "GMSARetriever", "EXTERNAL_DOC_ID"]

EXTERNAL_DOC_ID = "langchain:external"
"""The store's document id for Documents of other retrievers that name none (``store.delete_document``
with it drops their soft tokens)."""


class GMSARetriever(BaseRetriever):
    """The top-``k`` chunks of a collection, with their soft tokens fetched (or computed) at ``rate``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: Any
    """A :class:`gmsa_rag.collection.Collection`."""
    k: int = 4
    rate: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None, rate: int | None = None
    ) -> list[Document]:
        k = self.k if k is None else k
        rate = self.rate if rate is None else rate
        if k < 1:
            raise InputError(f"k must be >= 1, got {k}")
        if rate not in self.collection.model.config.rates:
            raise InputError(f"rate {rate!r} is not one this model was trained for: {list(self.collection.model.config.rates)}")
        hits = self.collection.retrieve(query, k)
        fingerprint = self.collection.model.fingerprint()
        cached = [self.collection.store.has(fingerprint, h.record.content_hash, rate) for h in hits]
        fetched = self.collection.soft_vectors(hits, rate)  # compresses and stores the misses
        return [
            Document(
                page_content=h.record.text,
                metadata={
                    **h.record.metadata,
                    "doc_id": h.record.doc_id,
                    "chunk": h.record.index,
                    "score": float(h.score),
                    "num_tokens": h.record.num_tokens,
                    "content_hash": h.record.content_hash,
                    "gmsa_fingerprint": fingerprint,
                    "rate": rate,
                    "soft_tokens": int(v.shape[0]),
                    "cache": "hit" if hit else "miss",
                },
            )
            for h, v, hit in zip(hits, fetched.vectors, cached)
        ]


def _hit(doc: Document, rank: int, tokenizer) -> Hit:
    meta = doc.metadata or {}
    text = doc.page_content
    num_tokens = meta.get("num_tokens")
    if not isinstance(num_tokens, int) or content_hash(text) != meta.get("content_hash"):
        num_tokens = len(tokenizer(text, add_special_tokens=False)["input_ids"]) or None
    record = ChunkRecord(
        chunk_id=-1,
        doc_id=str(meta.get("doc_id") or EXTERNAL_DOC_ID),
        index=int(meta["chunk"]) if isinstance(meta.get("chunk"), int) else rank,
        text=text,
        content_hash=content_hash(text),  # the store key, whatever the metadata says
        num_tokens=num_tokens,
        metadata=dict(meta),
    )
    score = meta.get("score", meta.get("relevance_score", 0.0))
    return Hit(record, float(score) if isinstance(score, (int, float)) else 0.0, rank)


def _merge(final: Any, chunk: Any) -> Any:
    if final is None:
        return chunk
    if isinstance(final, dict) and isinstance(chunk, dict):
        return {**final, **chunk}
    try:
        return final + chunk
    except TypeError:
        return chunk


def _metadata(answer: Answer) -> dict[str, Any]:
    return {
        "model_name": "gmsa_rag",
        "sources": [
            {"doc_id": s.doc_id, "chunk": s.chunk, "score": s.score, "snippet": s.snippet} for s in answer.sources
        ],
        "stats": {**dataclasses.asdict(answer.stats), "compression": answer.stats.compression},
    }


def _answer_stream(collection: Any, question: Any, docs: Sequence[Any], rate: int, params: SamplingParams,
                   scheduler: Any = None) -> AnswerStream:
    """Answer ``question`` from ``docs`` (Documents) through :class:`RAGPipeline`; closed-book without docs."""
    if not all(isinstance(d, Document) for d in docs):
        raise InputError("the context must be a list of Documents")
    hits = [_hit(d, i, collection.model.tokenizer) for i, d in enumerate(docs)]
    return RAGPipeline(collection, scheduler).stream(
        question, rate=rate, top_k=max(1, len(hits)), mode="gmsa" if hits else "closed", params=params, hits=hits
    )


class GMSAReader(RunnableSerializable[dict, AIMessage]):
    """Answer ``{"context": [Document, ...], "question": str}`` from the documents' soft tokens.

    With no documents it answers closed-book (``stats["mode"] == "closed"``). A plain ``str`` input is
    a question without context.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: Any
    """A :class:`gmsa_rag.collection.Collection`: its model reads, its store caches the soft tokens."""
    rate: int = 4
    max_new_tokens: int = 64
    params: SamplingParams | None = None
    """Full decoding settings; when given, ``max_new_tokens`` is ignored."""
    context_key: str = "context"
    question_key: str = "question"
    scheduler: Any = None
    """A :class:`gmsa_rag.serving.BatchScheduler` on the collection's model: concurrent calls
    (``batch``, ``abatch``, several threads or tasks) are then decoded together."""

    # ------------------------------------------------------------ core

    def _answer_stream(self, input: Any) -> AnswerStream:
        if isinstance(input, str):
            question, docs = input, []
        elif isinstance(input, dict):
            question, docs = input.get(self.question_key), input.get(self.context_key) or []
        else:
            raise InputError(f"GMSAReader takes {{{self.context_key!r}: [Document], {self.question_key!r}: str}}, got {type(input).__name__}")
        if isinstance(docs, Document):
            docs = [docs]
        params = self.params or SamplingParams(max_new_tokens=self.max_new_tokens)
        return _answer_stream(self.collection, question, list(docs), self.rate, params, self.scheduler)

    def _run(self, input: Any) -> AIMessage:
        answer = self._answer_stream(input).result()
        return AIMessage(content=answer.text, response_metadata=_metadata(answer))

    def _pieces(self, inputs: Iterator[Any]) -> Iterator[AIMessageChunk]:
        final = None
        for chunk in inputs:
            final = _merge(final, chunk)
        stream = self._answer_stream(final)
        for piece in stream:
            yield AIMessageChunk(content=piece)
        answer = stream.answer
        assert answer is not None
        yield AIMessageChunk(content="", response_metadata=_metadata(answer), chunk_position="last")

    # ------------------------------------------------------------ Runnable

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AIMessage:
        return self._call_with_config(self._run, input, config, run_type="llm")

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AIMessage:
        return await run_in_executor(config, self.invoke, input, config)

    def transform(self, input: Iterator[Any], config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[AIMessageChunk]:
        yield from self._transform_stream_with_config(input, self._pieces, config, run_type="llm")

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[AIMessageChunk]:
        yield from self.transform(iter([input]), config, **kwargs)

    async def atransform(
        self, input: AsyncIterator[Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[AIMessageChunk]:
        final = None
        async for chunk in input:
            final = _merge(final, chunk)
        # One worker thread drives the whole decode: the model's generator holds thread-local torch
        # state (inference mode) across its yields, so it must not hop between executor threads.
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        done = object()
        context = contextvars.copy_context()

        def drive() -> None:
            try:
                for piece in self.stream(final, config):
                    loop.call_soon_threadsafe(queue.put_nowait, piece)
            except BaseException as exc:  # re-raised in the caller's task
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, done)

        worker = threading.Thread(target=context.run, args=(drive,), name="gmsa-reader", daemon=True)
        worker.start()
        while (item := await queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item

    async def astream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AsyncIterator[AIMessageChunk]:
        async def one() -> AsyncIterator[Any]:
            yield input

        async for piece in self.atransform(one(), config, **kwargs):
            yield piece


def _stop_at(text: str, stop: Sequence[str] | None) -> tuple[str, bool]:
    cut = min((i for i in (text.find(s) for s in stop or ()) if i >= 0), default=-1)
    return (text, False) if cut < 0 else (text[:cut], True)


class ChatGMSA(BaseChatModel):
    """A chat model over a collection's GMSA model: answers the LAST human message.

    Its context is, in order of precedence: Documents passed as ``documents=[...]`` (per call or
    with ``.bind(documents=...)``), or the text of the system messages (each one a chunk,
    compressed on the fly and cached in the store by its content hash). Without either it answers
    closed-book. ``response_metadata`` carries ``sources`` and ``stats`` as :class:`GMSAReader`'s.
    The GMSA decoder reads one question, so earlier turns of the conversation are not used.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: Any
    rate: int = 4
    model_name: str = "gmsa_rag"
    max_tokens: int = 64
    temperature: float | None = None
    """None or 0: greedy decoding; above 0: sampling at that temperature."""
    top_p: float = 1.0
    stop: list[str] | None = None
    streaming: bool = False
    timeout: float | None = None  # accepted for LangChain's standard parameters; decoding is local
    max_retries: int | None = None
    scheduler: Any = None
    """A :class:`gmsa_rag.serving.BatchScheduler`: concurrent calls are decoded together (see :class:`GMSAReader`)."""

    @property
    def _llm_type(self) -> str:
        return "gmsa_rag"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "rate": self.rate, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "top_p": self.top_p}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(ls_provider="gmsa_rag", ls_model_name=kwargs.get("model", self.model_name),
                                 ls_model_type="chat", ls_max_tokens=self.max_tokens)
        if self.temperature is not None:
            params["ls_temperature"] = self.temperature
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _start(self, messages: list[BaseMessage], documents: Sequence[Document] | None) -> AnswerStream:
        question = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
        if question is None:
            raise InputError("ChatGMSA needs a human message (the question)")
        if documents is None:
            documents = [Document(page_content=m.text) for m in messages if isinstance(m, SystemMessage) and m.text.strip()]
        sampling = bool(self.temperature)
        params = SamplingParams(max_new_tokens=self.max_tokens, do_sample=sampling,
                                temperature=self.temperature if sampling else 1.0, top_p=self.top_p)
        return _answer_stream(self.collection, question.text, list(documents), self.rate, params, self.scheduler)

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, *, documents: Sequence[Document] | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        stop = stop or self.stop
        stream = self._start(messages, documents)
        text = ""
        for piece in stream:
            kept, stopped = _stop_at(text + piece, stop)
            piece, text = kept[len(text):], kept
            if piece:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
            if stopped:
                break
        stats = stream.stats
        answer = Answer(text.strip(), stream.sources, stats)
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=_metadata(answer), chunk_position="last"))

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, *, documents: Sequence[Document] | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            chunks = list(self._stream(messages, stop, run_manager, documents=documents))
            total = chunks[0]
            for c in chunks[1:]:
                total += c
            message = AIMessage(content=total.message.content.strip(), response_metadata=total.message.response_metadata)
            return ChatResult(generations=[ChatGeneration(message=message)])
        answer = self._start(messages, documents).result()
        text, _ = _stop_at(answer.text, stop or self.stop)
        answer = Answer(text.strip(), answer.sources, answer.stats)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer.text, response_metadata=_metadata(answer)))])


GMSAChatModel = ChatGMSA
"""Another name of :class:`ChatGMSA` (LangChain names chat models ``Chat<Provider>``)."""
