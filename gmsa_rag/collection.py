"""A named document collection: chunks in a faiss index, their soft tokens in a store.

    indexes/<name>/index/   VectorIndex: embeddings, chunk table, manifest (+ our settings)
    indexes/<name>/store/   SoftTokenStore: merged vectors per (model, chunk, rate)

Ingesting a file chunks it with the backbone tokenizer, embeds and indexes the chunks, and
precompresses them. Re-ingesting an unchanged file does nothing; a changed file replaces its
chunks; deleting a document removes it from the index and the store.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gmsa_rag.documents import Chunk, Skipped, chunk_document, load_documents
from gmsa_rag.errors import InputError, ModelMismatchError
from gmsa_rag.model import GMSAModel
from gmsa_rag.precompress import PrecompressReport, precompress
from gmsa_rag.retrieval import DEFAULT_EMBEDDER, Hit, IndexNotFoundError, VectorIndex, default_index_dir
from gmsa_rag.store import SoftTokenStore

SAMPLE_INDEX = "sample"

@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_added: int = 0
    precompress: PrecompressReport | None = None


@dataclass
class CollectionInfo:
    name: str
    directory: str
    documents: int
    chunks: int
    text_tokens: int
    embedder: str
    gmsa_fingerprint: str
    backbone: str
    rates: list[int]
    chunk_tokens: int
    overlap: int
    store_entries: int
    store_bytes: int


@dataclass
class SoftVectors:
    """The stored vectors of retrieved chunks at one rate, and what fetching them cost."""

    vectors: list[torch.Tensor]
    hits: int
    misses: int
    store_s: float
    compress_s: float


class Collection:
    """Documents of one index, bound to one GMSA model."""

    def __init__(self, directory: Path, model: GMSAModel, index: VectorIndex, store: SoftTokenStore) -> None:
        self.directory, self.model, self.index, self.store = directory, model, index, store

    @classmethod
    def open(
        cls,
        name: str,
        model: GMSAModel,
        *,
        root: str | Path | None = None,
        create: bool = False,
        chunk_tokens: int = 256,
        overlap: int = 0,
        embedder: str = DEFAULT_EMBEDDER,
        kind: str = "flat",
        store_size_limit: int = 2**31,
    ) -> "Collection":
        """Open the collection ``name`` (or create it when ``create``); refuse another backbone."""
        directory = default_index_dir(name, root)
        settings = {
            "backbone": model.config.backbone,
            "backbone_sha256": model.config.backbone_sha256,
            "gmsa_fingerprint": model.fingerprint(),
            "rates": list(model.config.rates),
            "chunk_tokens": chunk_tokens,
            "overlap": overlap,
        }
        try:
            index = VectorIndex.open(directory / "index", embedder if create else None)
        except IndexNotFoundError:
            if not create:
                raise InputError(f"no index named {name!r} in {directory.parent}; create it with `gmsa-rag index PATH --index {name}`") from None
            if not 0 < chunk_tokens <= model.config.max_chunk_tokens:
                raise InputError(f"chunk_tokens must be in 1..{model.config.max_chunk_tokens}, got {chunk_tokens}")
            index = VectorIndex.create(directory / "index", embedder, kind, extra=settings)
        recorded = index.extra
        if recorded.get("backbone_sha256") != model.config.backbone_sha256:
            raise ModelMismatchError(
                f"index {name!r} was chunked for backbone {recorded.get('backbone')!r} (weights "
                f"{str(recorded.get('backbone_sha256'))[:12]}...), but the model uses {model.config.backbone!r} "
                f"({model.config.backbone_sha256[:12]}...); use the same model, or index the documents again "
                "under another name"
            )
        store = SoftTokenStore(directory / "store", size_limit=store_size_limit)
        return cls(directory, model, index, store)

    @classmethod
    def sample(cls, model: GMSAModel, *, root: str | Path | None = None, progress: bool = True) -> "Collection":
        """The bundled sample collection (index ``sample``), built on first use."""
        from gmsa_rag.documents import SAMPLE_DIR

        collection = cls.open(SAMPLE_INDEX, model, root=root, create=True)
        if not len(collection.index):
            collection.ingest([SAMPLE_DIR], progress=progress)
        return collection

    @property
    def name(self) -> str:
        return self.directory.name

    @property
    def chunk_tokens(self) -> int:
        return int(self.index.extra["chunk_tokens"])

    @property
    def overlap(self) -> int:
        return int(self.index.extra.get("overlap", 0))

    # ---------------------------------------------------------------- ingest / delete

    def ingest(self, paths: Sequence[str | Path], *, compress: bool = True, progress: bool = True) -> IngestReport:
        """Add files/folders: new documents are indexed, changed ones replaced, unchanged skipped."""
        loaded = load_documents(paths)
        report = IngestReport(skipped=list(loaded.skipped))
        known = self.index.documents()
        for doc in loaded.documents:
            old = self.index.records(doc.doc_id) if doc.doc_id in known else []
            if old and old[0].metadata.get("doc_hash") == doc.content_hash:
                report.unchanged.append(doc.doc_id)
                continue
            try:
                chunks = chunk_document(doc, self.model.tokenizer, self.chunk_tokens, self.overlap)
            except InputError as exc:
                report.skipped.append(Skipped(doc.source, str(exc)))
                continue
            if old:
                self.store.delete_document(doc.doc_id)
            meta = {"doc_hash": doc.content_hash, "source": doc.source, **doc.metadata}
            self.index.add_document(
                doc.doc_id, [c.text for c in chunks], num_tokens=[c.num_tokens for c in chunks],
                metadata=meta, replace=bool(old), progress=progress,
            )
            (report.replaced if old else report.added).append(doc.doc_id)
            report.chunks_added += len(chunks)
        self.index.extra["gmsa_fingerprint"] = self.model.fingerprint()
        self.index.save()
        if compress:
            report.precompress = self.precompress(progress=progress)
        return report

    def delete(self, doc_id: str) -> int:
        """Remove a document from the index and its soft tokens from the store; returns its chunk count."""
        removed = self.index.remove_document(doc_id)
        self.index.save()
        self.store.delete_document(doc_id)
        return removed

    def chunks(self) -> list[Chunk]:
        return [Chunk(r.doc_id, r.index, r.text, r.num_tokens or 0) for r in self.index.records()]

    def precompress(self, *, batch_size: int = 16, progress: bool = True) -> PrecompressReport:
        """Compress every chunk the store lacks for this model (all rates)."""
        return precompress(self.model, self.store, self.chunks(), batch_size=batch_size, progress=progress)

    def info(self) -> CollectionInfo:
        records = self.index.records()
        stats = self.store.stats()
        extra = self.index.extra
        return CollectionInfo(
            name=self.name,
            directory=str(self.directory),
            documents=len(self.index.documents()),
            chunks=len(records),
            text_tokens=sum(r.num_tokens or 0 for r in records),
            embedder=self.index.embedder.name,
            gmsa_fingerprint=self.model.fingerprint(),
            backbone=str(extra.get("backbone")),
            rates=list(self.model.config.rates),
            chunk_tokens=self.chunk_tokens,
            overlap=self.overlap,
            store_entries=stats.entries,
            store_bytes=stats.volume,
        )

    # ---------------------------------------------------------------- query path

    def retrieve(self, question: str, k: int, doc_id: str | None = None) -> list[Hit]:
        """The top-``k`` chunks for ``question``, optionally only from document ``doc_id``."""
        if doc_id is None:
            return self.index.search(question, k)
        chunks = self.index.documents().get(doc_id)
        if not chunks:
            raise InputError(f"document {doc_id!r} is not in index {self.name!r}")
        ranked = self.index.search(question, len(self.index))  # exact scores for every chunk
        return [h for h in ranked if h.record.doc_id == doc_id][:k]

    def soft_vectors(self, hits: Sequence[Hit], rate: int) -> SoftVectors:
        """Stored merged vectors of ``hits`` at ``rate``; misses are compressed now and stored."""
        fingerprint = self.model.fingerprint()
        start = time.perf_counter()
        found = self.store.get_many(fingerprint, [h.record.content_hash for h in hits], rate)
        store_s = time.perf_counter() - start
        missing = [i for i, v in enumerate(found) if v is None]
        compress_s = 0.0
        if missing:
            start = time.perf_counter()
            results = self.model.compress([hits[i].record.text for i in missing])
            for i, result in zip(missing, results):
                record = hits[i].record
                self.store.put(fingerprint, record.content_hash, result.vectors, doc_id=record.doc_id, num_tokens=result.num_tokens)
                found[i] = result.vectors[rate]
            compress_s = time.perf_counter() - start
        return SoftVectors([v for v in found if v is not None], len(hits) - len(missing), len(missing), store_s, compress_s)
