"""A named document collection: chunks in a faiss index, their soft tokens in a store.

    indexes/<name>/index/   VectorIndex: embeddings, chunk table, manifest (+ our settings)
    indexes/<name>/store/   SoftTokenStore: merged vectors per (model, chunk, rate)

Ingesting a file chunks it with the backbone tokenizer, embeds and indexes the chunks, and
precompresses them. Re-ingesting an unchanged file does nothing; a changed file replaces its
chunks; deleting a document removes it from the index and the store.

Several processes may ingest into (or delete from) one collection at once: changes to the index
run under a file lock (``indexes/<name>/.write.lock``), starting from the latest saved index, so
no process overwrites another's documents; precompression runs outside it (the store takes many
writers). A writer that waits longer than ``lock_timeout`` gets :class:`CollectionBusyError`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from filelock import FileLock, Timeout

from gmsa_rag.documents import MAX_FILE_BYTES, Chunk, Skipped, chunk_document, load_documents
from gmsa_rag.errors import GMSAError, InputError, ModelMismatchError
from gmsa_rag.model import GMSAModel
from gmsa_rag.precompress import PrecompressReport, precompress
from gmsa_rag.retrieval import (
    BACKUP_NAME,
    DEFAULT_EMBEDDER,
    MANIFEST_NAME,
    Hit,
    IndexCorruptError,
    IndexNotFoundError,
    VectorIndex,
    default_index_dir,
)
from gmsa_rag.store import SoftTokenStore

SAMPLE_INDEX = "sample"
WRITE_LOCK = ".write.lock"


class CollectionBusyError(GMSAError):
    """Another process held the collection's write lock for longer than ``lock_timeout``."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_added: int = 0
    precompress: PrecompressReport | None = None


@dataclass
class RepairReport:
    """What :meth:`Collection.repair` did: index repairs in words, store entries dropped and recomputed."""

    index_actions: list[str]
    corrupt_entries: int
    precompress: PrecompressReport


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

    def __init__(self, directory: Path, model: GMSAModel, index: VectorIndex, store: SoftTokenStore,
                 lock_timeout: float = 300.0) -> None:
        self.directory, self.model, self.index, self.store = directory, model, index, store
        self.lock_timeout = lock_timeout

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
        lock_timeout: float = 300.0,
    ) -> "Collection":
        """Open the collection ``name`` (or create it when ``create``); refuse another backbone.

        ``lock_timeout``: seconds a write (create, ingest, delete) waits for another process's.
        """
        directory = default_index_dir(name, root)
        settings = {
            "backbone": model.config.backbone,
            "backbone_sha256": model.config.backbone_sha256,
            "gmsa_fingerprint": model.fingerprint(),
            "rates": list(model.config.rates),
            "chunk_tokens": chunk_tokens,
            "overlap": overlap,
        }
        if create:
            directory.mkdir(parents=True, exist_ok=True)
            with _write_lock(directory, lock_timeout):
                index = _open_or_create_index(directory / "index", name, embedder, kind, chunk_tokens, model, settings)
        else:
            index = _open_index(directory / "index", name)
        recorded = index.extra
        if recorded.get("backbone_sha256") != model.config.backbone_sha256:
            raise ModelMismatchError(
                f"index {name!r} was chunked for backbone {recorded.get('backbone')!r} (weights "
                f"{str(recorded.get('backbone_sha256'))[:12]}...), but the model uses {model.config.backbone!r} "
                f"({model.config.backbone_sha256[:12]}...); use the same model, or index the documents again "
                "under another name"
            )
        store = SoftTokenStore(directory / "store", size_limit=store_size_limit)
        return cls(directory, model, index, store, lock_timeout)

    @classmethod
    def repair(cls, name: str, model: GMSAModel, *, root: str | Path | None = None, progress: bool = False) -> RepairReport:
        """Repair collection ``name``: restore a damaged index manifest from its backup, rebuild a bad
        faiss file from the chunk table, drop store entries that fail their checksum and compute
        every missing one again. Documents that were intact stay as they were.

        Raises:
            IndexCorruptError: the chunk table, or the manifest and its backup, are damaged
                (index the documents again).
        """
        directory = default_index_dir(name, root)
        if not (directory / "index").is_dir():
            raise InputError(f"no index named {name!r} in {directory.parent}")
        with _write_lock(directory, 300.0):
            actions = VectorIndex.repair(directory / "index", progress=progress)
        collection = cls.open(name, model, root=root)
        fingerprint = model.fingerprint()
        before = collection.store.stats().corrupt
        for chunk in collection.chunks():  # a read checks the checksum and deletes a bad entry
            for rate in model.config.rates:
                collection.store.get_entry(fingerprint, chunk.content_hash, rate)
        corrupt = collection.store.stats().corrupt - before
        return RepairReport(actions, corrupt, collection.precompress(progress=progress))

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

    def ingest(self, paths: Sequence[str | Path], *, compress: bool = True, progress: bool = True,
               max_file_bytes: int = MAX_FILE_BYTES) -> IngestReport:
        """Add files/folders: new documents are indexed, changed ones replaced, unchanged skipped.

        Files over ``max_file_bytes`` are skipped unread. Safe to run from several processes.
        """
        loaded = load_documents(paths, max_file_bytes)
        report = IngestReport(skipped=list(loaded.skipped))
        with self._writing():
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
        with self._writing():
            removed = self.index.remove_document(doc_id)
            self.index.save()
        self.store.delete_document(doc_id)
        return removed

    def refresh(self) -> None:
        """Re-read the index if another process saved a newer version (unsaved changes are dropped)."""
        if self.index.is_stale():
            self.index = self.index.reopen()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the collection's write lock, working on the latest saved index."""
        with _write_lock(self.directory, self.lock_timeout):
            self.refresh()
            yield

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


# ---------------------------------------------------------------- opening and locking


@contextlib.contextmanager
def _write_lock(directory: Path, timeout: float) -> Iterator[None]:
    """The collection's inter-process write lock, or CollectionBusyError after ``timeout`` seconds."""
    lock = FileLock(str(directory / WRITE_LOCK), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise CollectionBusyError(
            f"collection {directory} is being written by another process (lock {directory / WRITE_LOCK} held for "
            f"more than {timeout:.0f} s); retry when it is done"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _open_index(path: Path, name: str) -> VectorIndex:
    """Open a collection's index; a damaged one raises with the command that repairs it."""
    try:
        return VectorIndex.open(path)
    except IndexNotFoundError:
        raise InputError(f"no index named {name!r} in {path.parent.parent}; create it with `gmsa-rag index PATH --index {name}`") from None
    except IndexCorruptError as exc:
        raise IndexCorruptError(f"{exc} Repair the collection with `gmsa-rag repair --index {name}` "
                                "(Collection.repair).") from exc


def _open_or_create_index(path: Path, name: str, embedder: str, kind: str, chunk_tokens: int, model: GMSAModel,
                          settings: dict) -> VectorIndex:
    """Open the index, or create it when there is none (also when a first save was killed before
    its manifest was written: those leftovers hold no documents)."""
    try:
        return VectorIndex.open(path, embedder)
    except IndexNotFoundError:
        pass
    except IndexCorruptError as exc:
        if (path / MANIFEST_NAME).exists() or (path / BACKUP_NAME).exists():
            raise IndexCorruptError(f"{exc} Repair the collection with `gmsa-rag repair --index {name}` "
                                    "(Collection.repair).") from exc
    if not 0 < chunk_tokens <= model.config.max_chunk_tokens:
        raise InputError(f"chunk_tokens must be in 1..{model.config.max_chunk_tokens}, got {chunk_tokens}")
    return VectorIndex.create(path, embedder, kind, extra=settings, overwrite=True)
