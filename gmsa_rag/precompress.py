"""Bulk precompression: chunks -> merged vectors for every rate -> the soft-token store.

Skip-if-cached, keyed by (model fingerprint, chunk content hash): a killed run resumes where it
stopped, since every finished batch is already in the store and nothing is computed twice.
Chunks are sorted by length so a batch carries little padding.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

from gmsa_rag.documents import Chunk
from gmsa_rag.model import GMSAModel


@dataclass
class PrecompressReport:
    chunks: int
    computed: int
    cached: int
    tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    @property
    def chunks_per_s(self) -> float:
        return self.computed / self.seconds if self.seconds else 0.0


def missing_chunks(store, fingerprint: str, chunks: Sequence[Chunk], rates: Sequence[int]) -> list[Chunk]:
    """Chunks that lack a stored value for any rate (each distinct content once)."""
    seen: set[str] = set()
    todo = []
    for chunk in chunks:
        key = chunk.content_hash
        if key in seen:
            continue
        seen.add(key)
        if not all(store.has(fingerprint, key, r) for r in rates):
            todo.append(chunk)
    return todo


def plan(store, fingerprint: str, chunks: Sequence[Chunk], rates: Sequence[int]) -> list[Chunk]:
    """Record which documents use which chunks, then list the chunks to compute, shortest first."""
    by_doc: dict[str, list[str]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk.content_hash)
    for doc_id, hashes in by_doc.items():  # a chunk shared with another document stays referenced
        store.add_references(doc_id, hashes)
    return sorted(missing_chunks(store, fingerprint, chunks, rates), key=lambda c: c.num_tokens)


def precompress(
    model: GMSAModel,
    store,
    chunks: Sequence[Chunk],
    *,
    rates: Sequence[int] | None = None,
    batch_size: int = 16,
    progress: bool = True,
) -> PrecompressReport:
    """Compress every chunk not yet in ``store``, one encoder pass per batch for all rates."""
    rates = tuple(rates or model.config.rates)
    fingerprint = model.fingerprint()
    start = time.perf_counter()
    todo = plan(store, fingerprint, chunks, rates)
    tokens = 0
    bar = tqdm(total=len(todo), desc="precompress", unit="chunk", disable=not progress or not todo)
    for begin in range(0, len(todo), batch_size):
        batch = todo[begin : begin + batch_size]
        results = model.compress([c.text for c in batch], rates=rates, batch_size=batch_size)
        for chunk, result in zip(batch, results):
            store.put(fingerprint, chunk.content_hash, result.vectors, doc_id=chunk.doc_id, num_tokens=result.num_tokens)
            tokens += result.num_tokens
        bar.update(len(batch))
        elapsed = time.perf_counter() - start
        bar.set_postfix(tok_s=f"{tokens / elapsed:.0f}")
    bar.close()
    unique = len({c.content_hash for c in chunks})
    return PrecompressReport(
        chunks=unique, computed=len(todo), cached=unique - len(todo), tokens=tokens, seconds=time.perf_counter() - start
    )
