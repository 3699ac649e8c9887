"""The app's backend: one collection, one model, one lock, one batch scheduler.

Everything that reads or writes the collection (retrieval, the soft-token store, uploads,
deletes) and every encoder run happens under :attr:`AppEngine.lock` (the index is written in
place, and torch on a small CPU gains nothing from parallel requests). Decoding happens in
the :class:`~gmsa_rag.serving.BatchScheduler`, outside the lock, so answers asked together
are decoded together; with ``max_batch=1`` there is no scheduler and each answer holds the
lock to its end (one at a time, the old server). Nothing here imports Gradio: the UI layer (:mod:`app.ui`) turns these typed results
into components, and tests can drive the engine directly.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gmsa_rag.collection import Collection, CollectionInfo, IngestReport
from gmsa_rag.documents import SAMPLE_DIR
from gmsa_rag.errors import InputError
from gmsa_rag.model import GMSAModel, SamplingParams, describe_sizes
from gmsa_rag.pipeline import AnswerStats, AnswerStream, RAGPipeline, Source
from gmsa_rag.retrieval import default_index_dir
from gmsa_rag.serving import BatchScheduler

from app.uploads import Rejected, store_uploads

Progress = Callable[[float, str], None]  # (fraction done, what is happening)
_DONE = object()  # end of an answer's updates


@dataclass(frozen=True)
class DocumentRow:
    """One document of the collection as the app lists it."""

    doc_id: str
    chunks: int
    text_tokens: int
    cached_soft_tokens: int  # soft tokens in the store for this document, over all rates
    soft_token_bytes: int  # what those soft tokens take in fp16


@dataclass
class UploadResult(IngestReport):
    """What an upload did: the ingest's documents added / replaced / unchanged and chunks added,
    the files refused (before indexing, or unreadable: ``skipped`` is folded into ``rejected``)
    and the chunks compressed into the store."""

    rejected: list[Rejected] = field(default_factory=list)
    compressed: int = 0  # chunks compressed into the store by this upload

    @property
    def accepted(self) -> int:
        return len(self.added) + len(self.replaced) + len(self.unchanged)


@dataclass(frozen=True)
class AnswerUpdate:
    """A snapshot of an answer being streamed; ``stats`` is set on the last one only."""

    text: str
    sources: list[Source]
    stats: AnswerStats | None = None


def _no_progress(fraction: float, desc: str) -> None:
    pass


class AppEngine:
    """Collection operations and answers for the app (thread-safe through one lock)."""

    def __init__(self, collection: Collection, upload_dir: Path, *, max_upload_bytes: int, params: SamplingParams,
                 max_upload_files: int = 20, max_batch: int = 8) -> None:
        self.collection = collection
        self.model: GMSAModel = collection.model
        self.max_batch = max_batch
        self.scheduler = BatchScheduler(self.model, max_batch=max_batch) if max_batch > 1 else None
        self.pipeline = RAGPipeline(collection, self.scheduler)
        self.upload_dir = upload_dir
        self.max_upload_bytes = max_upload_bytes
        self.max_upload_files = max_upload_files
        self.params = params
        self.lock = threading.Lock()

    @classmethod
    def open(
        cls, model: GMSAModel, *, index: str = "app", root: str | Path | None = None, seed_sample: bool = True,
        max_upload_bytes: int = 20_000_000, max_upload_files: int = 20, max_new_tokens: int = 64,
        max_batch: int = 8, progress: bool = True,
    ) -> "AppEngine":
        """Open (or create) the app's collection; a new one starts with the bundled sample documents."""
        is_new = not (default_index_dir(index, root) / "index").exists()
        collection = Collection.open(index, model, root=root, create=True)
        if is_new and seed_sample:
            print(f"indexing the bundled sample collection into index {index!r} (first start only)...", flush=True)
            collection.ingest([SAMPLE_DIR], progress=progress)
        return cls(
            collection, collection.directory / "uploads", max_upload_bytes=max_upload_bytes,
            params=SamplingParams(max_new_tokens=max_new_tokens), max_upload_files=max_upload_files,
            max_batch=max_batch,
        )

    @property
    def rates(self) -> tuple[int, ...]:
        return tuple(self.model.config.rates)

    # ---------------------------------------------------------------- collection

    def add_files(self, paths: Sequence[str | Path], names: Sequence[str] | None = None,
                  progress: Progress = _no_progress) -> UploadResult:
        """Store uploads, then index and precompress each accepted file."""
        stored = store_uploads(paths, self.upload_dir, max_bytes=self.max_upload_bytes, names=names,
                               max_files=self.max_upload_files)
        result = UploadResult(rejected=list(stored.rejected))
        with self.lock:
            for i, path in enumerate(stored.stored):
                progress(i / max(1, len(stored.stored)), f"indexing {path.name}")
                self._merge(result, self.collection.ingest([path], compress=False, progress=False), path)
            if result.added or result.replaced:
                progress(0.99, "precompressing new chunks")
                result.compressed = self.collection.precompress(progress=True).computed
        return result

    @staticmethod
    def _merge(result: UploadResult, report: IngestReport, path: Path) -> None:
        result.added += report.added
        result.replaced += report.replaced
        result.unchanged += report.unchanged
        result.chunks_added += report.chunks_added
        for item in report.skipped:  # loaded but unusable (binary, not UTF-8, broken PDF...): drop the copy
            result.rejected.append(Rejected(path.name, item.reason.replace(str(path), path.name)))
        if report.skipped and not (report.added or report.replaced or report.unchanged):
            path.unlink(missing_ok=True)

    def delete(self, doc_id: str) -> int:
        """Remove a document from the index, the store and the upload directory; its chunk count."""
        if not doc_id:
            raise InputError("choose a document to delete")
        with self.lock:
            if doc_id not in self.collection.index.documents():
                raise InputError(f"document {doc_id!r} is not in the collection")
            removed = self.collection.delete(doc_id)
            upload = self.upload_dir / doc_id
            if upload.parent == self.upload_dir and upload.is_file() and not upload.is_symlink():
                upload.unlink()
        return removed

    def documents(self) -> list[DocumentRow]:
        """Every document with its chunk, token and cached soft-token counts."""
        fingerprint = self.model.fingerprint()
        rows: dict[str, list] = {}
        for record in self.collection.index.records():
            n = record.num_tokens or 0
            row = rows.setdefault(record.doc_id, [0, 0, 0, 0])
            row[0] += 1
            row[1] += n
            for rate in self.rates:
                if self.collection.store.has(fingerprint, record.content_hash, rate):
                    row[2] += math.ceil(n / rate)
                    row[3] += describe_sizes(self.model, n, rate)["soft_token_bytes"]
        return [DocumentRow(doc_id, *values) for doc_id, values in sorted(rows.items())]

    def info(self) -> CollectionInfo:
        return self.collection.info()

    # ---------------------------------------------------------------- answers

    def answer(self, question: str, *, mode: str = "gmsa", rate: int = 4, top_k: int = 4) -> Iterator[AnswerUpdate]:
        """Stream an answer: growing text with its sources, then a final update with stats.

        One worker thread produces the whole answer (see :meth:`_produce` for what runs under the
        lock): the answer finishes and the lock is released whatever the consumer does (a web
        server resumes this generator on varying threads, or abandons it). Errors raised there
        (bad input: :class:`~gmsa_rag.errors.GMSAError`) are re-raised here. Closing the
        generator early stops the worker after its current token and frees its batch row.
        """
        updates: queue.Queue = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=self._produce, args=(question, mode, int(rate), int(top_k), updates, stop),
            name="gmsa-answer", daemon=True,
        )
        worker.start()
        try:
            while (item := updates.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()

    def _produce(self, question: str, mode: str, rate: int, top_k: int, out: queue.Queue, stop: threading.Event) -> None:
        """The worker of :meth:`answer`: retrieval and soft tokens under the lock, then the
        decode (in the scheduler's batches, or still under the lock when there is none)."""
        try:
            with self.lock:
                if stop.is_set():
                    return
                stream = self.pipeline.stream(question, rate=rate, top_k=top_k, mode=mode, params=self.params)
                if self.scheduler is None:
                    self._send(stream, out, stop)
                    return
            self._send(stream, out, stop)
        except BaseException as exc:  # handed to the consumer, which raises it
            out.put(exc)
        finally:
            out.put(_DONE)  # after the lock is released

    @staticmethod
    def _send(stream: AnswerStream, out: queue.Queue, stop: threading.Event) -> None:
        """Put the growing answer on ``out``; stop (and free the decoder) when the consumer left."""
        text = ""
        out.put(AnswerUpdate(text, stream.sources))
        pieces = iter(stream)
        try:
            for piece in pieces:
                if stop.is_set():
                    return
                text += piece
                out.put(AnswerUpdate(text, stream.sources))
        finally:
            pieces.close()
        assert stream.answer is not None
        out.put(AnswerUpdate(stream.answer.text, stream.sources, stream.answer.stats))

    def close(self) -> None:
        """Stop the batch scheduler (answers in progress finish first)."""
        if self.scheduler is not None:
            self.scheduler.close()
