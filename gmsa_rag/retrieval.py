"""Dense retrieval: a sentence-transformers embedder and a faiss index persisted in a directory.

Chunks are embedded with an :class:`Embedder` (built-in ``all-minilm-l6-v2``, 384-d), the vectors
are L2-normalised, so inner product is cosine similarity, and kept in a faiss index under stable
``int64`` chunk ids that are never reused. Three index kinds:

* ``"flat"`` (default): ``IndexIDMap2(IndexFlatIP)``, exact search; ``remove_ids`` is native.
* ``"hnsw"``: ``IndexIDMap2(IndexHNSWFlat, METRIC_INNER_PRODUCT)``, approximate, for large
  collections. HNSW cannot remove vectors, so a removed chunk becomes a *tombstone*: its vector
  stays in the graph and every search filters it out with an ``IDSelector``. When tombstones exceed
  ``compact_ratio`` of the live chunks (and on :meth:`VectorIndex.compact`) the graph is rebuilt
  from the live vectors, reconstructed from the index itself (no re-embedding). Tombstones are
  not stored anywhere: they are the ids in the faiss file that the chunk table no longer has.
* ``"ivf"``: ``IndexIVFFlat`` (inner product). Until ``train_min`` vectors exist it is an exact
  flat index; the add that reaches ``train_min`` trains the coarse quantizer once on all vectors
  present (``nlist`` = ``min(4 sqrt(n), n / 39)`` unless given) and moves them into the IVF.
  Removal is native. The quantizer is not retrained as the collection grows: after a large
  growth, :meth:`VectorIndex.rebuild` re-embeds and retrains.

On disk (the default home is ``indexes/<name>/`` of the working directory, see
:func:`default_index_dir`)::

    manifest.json              format version, embedder (name, dim), index kind and params,
                               counts, next id, timestamps, the caller's ``extra`` dict, and the
                               name, size and sha256 of the two files below; its own sha256 too
    index.<generation>.faiss   faiss.serialize_index bytes
    chunks.<generation>.jsonl  the chunk table, one JSON object per chunk, sorted by chunk id

A save writes the two data files under new generation names (temp file, fsync, rename), then
replaces the manifest atomically, then deletes the files of older generations. A crash at any
point leaves either the old or the new set complete, and readers always see one consistent set.
On open every file is checked against the manifest's sha256 before it is parsed; any mismatch
raises :class:`IndexCorruptError`. If only the faiss file is bad, :meth:`VectorIndex.rebuild`
re-embeds the texts of the (verified) chunk table. Every save also writes ``manifest.backup.json``
(the same bytes), so :meth:`VectorIndex.repair` can restore a damaged or deleted manifest (and
rebuild a bad faiss file). Nothing here is pickled.

One writer per index at a time (saves take a file lock, but two processes that both add and save
would each write their own view). Searches may run while another thread adds: an internal lock
serialises them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gmsa_rag.documents import content_hash  # one definition: sha256 of the NFC text
from gmsa_rag.io import fsync_dir
from gmsa_rag.errors import ConfigError, GMSAError, InputError, ModelMismatchError

if TYPE_CHECKING:
    import faiss
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DEFAULT_EMBEDDER",
    "INDEX_KINDS",
    "ChunkInput",
    "ChunkRecord",
    "Embedder",
    "EmbedderMismatchError",
    "EmptyIndexError",
    "Hit",
    "IndexCorruptError",
    "IndexExistsError",
    "IndexWriteError",
    "IndexNotFoundError",
    "RetrievalError",
    "UnknownDocumentError",
    "VectorIndex",
    "content_hash",
    "default_index_dir",
]

logger = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "all-minilm-l6-v2"
FORMAT_NAME = "gmsa_rag.vector_index"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
BACKUP_NAME = "manifest.backup.json"  # a second copy, for :meth:`VectorIndex.repair`
LOCK_NAME = ".lock"
INDEX_KINDS = ("flat", "hnsw", "ivf")
DEFAULT_PARAMS: Mapping[str, Mapping[str, Any]] = {
    "flat": {},
    "hnsw": {"m": 32, "ef_construction": 80, "ef_search": 64, "compact_ratio": 0.25},
    "ivf": {"nlist": None, "nprobe": 16, "train_min": 4096},
}
_INDEX_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_DATA_FILE = re.compile(r"^(index\.[0-9a-f]+-[0-9a-f]+\.faiss|chunks\.[0-9a-f]+-[0-9a-f]+\.jsonl)$")


# --------------------------------------------------------------------------- errors


class RetrievalError(GMSAError):
    """Base class of the errors of the vector index."""


class IndexNotFoundError(RetrievalError, FileNotFoundError):
    """The index directory (or its manifest) does not exist."""


class IndexExistsError(RetrievalError, FileExistsError):
    """``create`` was asked for a directory that already holds an index."""


class IndexCorruptError(RetrievalError):
    """A file of a persisted index is missing, truncated, modified or inconsistent."""


class EmptyIndexError(RetrievalError):
    """A search was asked of an index that holds no chunks."""


class UnknownDocumentError(RetrievalError, LookupError):
    """A document id that the index does not hold."""

    def __str__(self) -> str:  # LookupError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class EmbedderMismatchError(RetrievalError, ModelMismatchError):
    """The index was built with another embedder than the one given."""


class IndexWriteError(RetrievalError, OSError):
    """Saving failed (disk full, permissions...); the previously saved version is intact."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ChunkInput:
    """A chunk to add: what the caller knows before the index assigns an id.

    Attributes:
        doc_id: the document's stable id.
        index: position of the chunk in its document (0-based).
        text: the chunk text (what is embedded and what the GMSA encoder compresses).
        num_tokens: token count with the backbone tokenizer, if the caller has it.
        content_hash: the key of the chunk's soft tokens in the store; ``content_hash(text)``
            when not given.
        metadata: JSON-serialisable extras (source path, title, offsets...).
    """

    doc_id: str
    index: int
    text: str
    num_tokens: int | None = None
    content_hash: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk held by the index, under its stable id."""

    chunk_id: int
    doc_id: str
    index: int
    text: str
    content_hash: str
    num_tokens: int | None
    metadata: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The row of the chunk table."""
        return asdict(self)

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> ChunkRecord:
        """Parse a row of the chunk table (raises KeyError/TypeError/ValueError on a bad row)."""
        num_tokens = row["num_tokens"]
        record = cls(
            chunk_id=int(row["chunk_id"]),
            doc_id=str(row["doc_id"]),
            index=int(row["index"]),
            text=str(row["text"]),
            content_hash=str(row["content_hash"]),
            num_tokens=None if num_tokens is None else int(num_tokens),
            metadata=dict(row["metadata"]),
        )
        return record


@dataclass(frozen=True)
class Hit:
    """One search result: the chunk, its cosine similarity to the query, its 0-based rank."""

    record: ChunkRecord
    score: float
    rank: int


# --------------------------------------------------------------------------- embedder


class Embedder:
    """A sentence-transformers model that returns L2-normalised float32 vectors.

    Texts longer than the model's ``max_seq_length`` (256 word pieces for all-MiniLM-L6-v2) are
    truncated by sentence-transformers: the vector describes their beginning.
    """

    def __init__(self, model: SentenceTransformer, name: str) -> None:
        self.model = model
        self.name = name
        dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else None
        if dim is None:
            dim = model.get_sentence_embedding_dimension()
        if not dim:
            raise ConfigError(f"Cannot tell the output dimension of embedder {name!r}.")
        self.dim = int(dim)

    @classmethod
    def load(cls, name: str = DEFAULT_EMBEDDER, device: str | None = None) -> Embedder:
        """Load an embedder by name (see :func:`gmsa_rag.backbones.load_embedder`), offline for built-ins."""
        from gmsa_rag.backbones import load_embedder

        return cls(load_embedder(name, device=device), name)

    def __repr__(self) -> str:
        return f"Embedder(name={self.name!r}, dim={self.dim})"

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool | None = False) -> np.ndarray:
        """Embed ``texts`` -> ``(len(texts), dim)`` float32, rows of unit L2 norm.

        Texts are sorted by length so batches carry little padding; the result is in input order.
        ``progress=None`` shows a tqdm bar only on a terminal, ``True`` always, ``False`` never.
        """
        from tqdm.auto import tqdm

        if batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {batch_size}")
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)  # (n, dim)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        disable = None if progress is None else not progress
        with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=disable) as bar:
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                vectors = self.model.encode(
                    [texts[i] for i in rows],
                    batch_size=batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
                out[rows] = np.asarray(vectors, dtype=np.float32)  # (b, dim)
                bar.update(len(rows))
        return _normalise(out)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero); float32, C-contiguous."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)  # (n, 1)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


# --------------------------------------------------------------------------- faiss helpers


def _faiss() -> Any:
    import faiss

    return faiss


def _new_index(kind: str, dim: int, params: Mapping[str, Any]) -> faiss.Index:
    """An empty index of ``kind`` (an ``ivf`` index starts as an untrained exact flat index)."""
    faiss = _faiss()
    if kind == "hnsw":
        inner = faiss.IndexHNSWFlat(dim, int(params["m"]), faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = int(params["ef_construction"])
    else:
        inner = faiss.IndexFlatIP(dim)
    return faiss.IndexIDMap2(inner)


def _is_ivf(index: faiss.Index) -> bool:
    return isinstance(_faiss().downcast_index(index), _faiss().IndexIVF)


def _ids_of(index: faiss.Index) -> np.ndarray:
    """Every id stored in ``index`` (int64), in storage order."""
    faiss = _faiss()
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexIVF):
        lists = index.invlists
        parts = [
            faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
            for i in range(index.nlist)
            if lists.list_size(i)
        ]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    return faiss.vector_to_array(index.id_map).astype(np.int64)


def _vectors_of(index: faiss.Index) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` of an ``IndexIDMap2`` index (flat or HNSW): (n,), (n, dim)."""
    faiss = _faiss()
    index = faiss.downcast_index(index)
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    inner = faiss.downcast_index(index.index)
    vectors = inner.reconstruct_n(0, inner.ntotal) if inner.ntotal else np.empty((0, index.d), np.float32)
    return ids, np.ascontiguousarray(vectors, dtype=np.float32)


def _train_ivf(ids: np.ndarray, vectors: np.ndarray, params: Mapping[str, Any]) -> faiss.Index:
    """An ``IndexIVFFlat`` trained on ``vectors`` and holding them under ``ids``."""
    faiss = _faiss()
    n, dim = vectors.shape
    nlist = params.get("nlist") or max(1, min(int(4 * math.sqrt(n)), n // 39))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, int(nlist), faiss.METRIC_INNER_PRODUCT)  # keeps a ref to quantizer
    ivf.train(vectors)
    ivf.add_with_ids(vectors, ids)
    logger.info("trained an IVF index with nlist=%d on %d vectors", nlist, n)
    return ivf


# --------------------------------------------------------------------------- files


def default_index_dir(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """``<root>/<name>``, where root defaults to ``indexes/`` under the current working directory.

    Raises:
        InputError: a name with path separators or other characters a directory name should not have.
    """
    if not isinstance(name, str) or not _INDEX_NAME.match(name):
        raise InputError(
            f"Invalid index name {name!r}: use letters, digits, '.', '_' and '-' (not starting with "
            "'.' or '-'), at most 128 characters."
        )
    return Path(root if root is not None else Path.cwd() / "indexes") / name


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file next to ``path``, fsync it, then rename it onto ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _manifest_digest(manifest: Mapping[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON without its own ``manifest_sha256`` field."""
    body = {key: value for key, value in manifest.items() if key != "manifest_sha256"}
    return _sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())


def _encode_table(records: Iterable[ChunkRecord]) -> bytes:
    lines = (json.dumps(r.to_json(), ensure_ascii=False, sort_keys=True) for r in records)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _decode_table(data: bytes, path: Path) -> dict[int, ChunkRecord]:
    records: dict[int, ChunkRecord] = {}
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        try:
            record = ChunkRecord.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"Chunk table {path} is corrupt: line {number} is not a chunk row ({exc}).")
        if record.chunk_id in records:
            raise IndexCorruptError(f"Chunk table {path} is corrupt: chunk id {record.chunk_id} appears twice.")
        records[record.chunk_id] = record
    return records


def _read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of ``directory``, self-checksum verified.

    Raises:
        IndexNotFoundError: no directory, or a directory with no index files at all.
        IndexCorruptError: unreadable JSON, wrong format, or a self-checksum mismatch.
    """
    path = directory / MANIFEST_NAME
    if not directory.is_dir():
        raise IndexNotFoundError(f"No index directory at {directory}.")
    if not path.is_file():
        leftovers = sorted(p.name for p in directory.iterdir() if _DATA_FILE.match(p.name))
        if leftovers:
            raise IndexCorruptError(
                f"{directory} has index data files ({', '.join(leftovers[:3])}) but no {MANIFEST_NAME}: the "
                "manifest was deleted or the first save was interrupted. VectorIndex.repair restores it from "
                f"{BACKUP_NAME} if there is one; otherwise re-create the index."
            )
        raise IndexNotFoundError(f"{directory} is not a vector index: it has no {MANIFEST_NAME}.")
    return _read_manifest_file(path)


def _read_manifest_file(path: Path) -> dict[str, Any]:
    """Parse and self-check one manifest file (``manifest.json`` or its backup)."""
    directory = path.parent
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"Manifest {path} is missing.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"Manifest {path} is corrupt: it is not valid JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise IndexCorruptError(f"Manifest {path} is corrupt or not a {FORMAT_NAME} manifest.")
    if manifest.get("manifest_sha256") != _manifest_digest(manifest):
        raise IndexCorruptError(
            f"Manifest {path} is corrupt: its content does not match its recorded sha256 (it was edited "
            "or damaged)."
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RetrievalError(
            f"Index {directory} has format version {version!r}; this gmsa_rag reads up to {FORMAT_VERSION}. "
            "Upgrade gmsa_rag or re-create the index."
        )
    return manifest


def _restore_manifest(directory: Path, damage: IndexCorruptError) -> None:
    """Put the backup manifest back in place when it is sound and its data files verify."""
    backup = directory / BACKUP_NAME
    try:
        manifest = _read_manifest_file(backup)
        for role in ("table", "faiss"):
            _read_verified(directory, manifest, role)
    except (IndexCorruptError, OSError, KeyError) as exc:
        raise IndexCorruptError(
            f"{damage} The backup {backup} cannot replace it ({exc}); index the documents again."
        ) from exc
    _write_atomic(directory / MANIFEST_NAME, backup.read_bytes())
    fsync_dir(directory)
    logger.warning("restored %s from %s", directory / MANIFEST_NAME, backup)


def _read_verified(directory: Path, manifest: Mapping[str, Any], role: str) -> bytes:
    """The bytes of the data file ``role`` ("faiss" or "table"), checked against the manifest."""
    entry = manifest["files"][role]
    path = directory / entry["name"]
    what = "faiss file" if role == "faiss" else "chunk table"
    hint = (
        " The chunk table is intact if only this file is bad: VectorIndex.rebuild(directory) re-embeds it."
        if role == "faiss"
        else " Re-index the documents."
    )
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"The {what} {path} named by the manifest is missing.{hint}") from exc
    if len(data) != entry["bytes"] or _sha256(data) != entry["sha256"]:
        raise IndexCorruptError(
            f"The {what} {path} is corrupt: {len(data)} bytes with sha256 {_sha256(data)[:16]}..., the manifest "
            f"recorded {entry['bytes']} bytes with sha256 {entry['sha256'][:16]}....{hint}"
        )
    return data


def _load_files(directory: Path) -> tuple[dict[str, Any], bytes | None, bytes | None, Exception | None]:
    """Manifest and verified file bytes; retried once if a concurrent save swapped generations.

    Returns ``(manifest, faiss_bytes, table_bytes, faiss_error)``; a bad faiss file is returned as
    ``faiss_error`` (the table may still be good, which :meth:`VectorIndex.rebuild` needs), a bad
    table or manifest raises.
    """
    for attempt in range(2):
        manifest = _read_manifest(directory)
        try:
            table = _read_verified(directory, manifest, "table")
        except IndexCorruptError:
            if attempt == 0 and _read_manifest(directory) != manifest:
                continue  # a writer committed a new generation meanwhile
            raise
        try:
            return manifest, _read_verified(directory, manifest, "faiss"), table, None
        except IndexCorruptError as exc:
            if attempt == 0 and _read_manifest(directory) != manifest:
                continue
            return manifest, None, table, exc
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- the index


class VectorIndex:
    """A persisted, id-stable faiss index of document chunks with their text and metadata.

    Build one with :meth:`create` (or :meth:`open_or_create`), open it with :meth:`open`; add
    chunks with :meth:`add` / :meth:`add_document`, then :meth:`save` (adds and removals live in
    memory until then). Search with :meth:`search` / :meth:`search_many`.
    """

    def __init__(
        self,
        directory: Path,
        manifest: dict[str, Any],
        index: faiss.Index,
        records: dict[int, ChunkRecord],
        embedder: Embedder | None,
    ) -> None:
        """Internal: use :meth:`create`, :meth:`open` or :meth:`rebuild`."""
        self.directory = directory
        self._manifest = manifest
        self._index = index
        self._records = records
        self._embedder = embedder
        self._by_doc: dict[str, dict[int, int]] = {}  # doc_id -> {chunk index: chunk id}
        for record in records.values():
            self._by_doc.setdefault(record.doc_id, {})[record.index] = record.chunk_id
        self._tombstones: set[int] = set(int(i) for i in _ids_of(index)) - set(records)
        self._next_id = int(manifest["next_id"])
        self.extra: dict[str, Any] = dict(manifest.get("extra", {}))
        self._dirty = False
        self._lock = threading.RLock()

    # ----------------------------------------------------------- construction

    @classmethod
    def create(
        cls,
        directory: str | os.PathLike[str],
        embedder: Embedder | str = DEFAULT_EMBEDDER,
        kind: str = "flat",
        *,
        params: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        overwrite: bool = False,
    ) -> VectorIndex:
        """Create an empty index in ``directory`` and save it at once.

        Args:
            embedder: an :class:`Embedder` or the name of one (loaded here).
            kind: ``"flat"`` (exact), ``"hnsw"`` or ``"ivf"``; see the module docstring.
            params: overrides of :data:`DEFAULT_PARAMS` for the kind (hnsw: ``m``,
                ``ef_construction``, ``ef_search``, ``compact_ratio``; ivf: ``nlist``, ``nprobe``,
                ``train_min``).
            extra: JSON-serialisable facts the caller keeps with the index (GMSA fingerprint,
                rates, chunking settings); also editable later through :attr:`extra`.
            overwrite: replace an existing index in ``directory`` (its files are deleted on save).

        Raises:
            ConfigError: unknown kind or parameter. IndexExistsError: an index is already there.
        """
        if kind not in INDEX_KINDS:
            raise ConfigError(f"Unknown index kind {kind!r}; choose one of {', '.join(INDEX_KINDS)}.")
        merged = dict(DEFAULT_PARAMS[kind])
        unknown = set(params or {}) - set(merged)
        if unknown:
            raise ConfigError(f"Unknown parameter(s) {sorted(unknown)} for a {kind!r} index; known: {sorted(merged)}.")
        merged.update(params or {})
        directory = Path(directory)
        if (directory / MANIFEST_NAME).exists() and not overwrite:
            raise IndexExistsError(f"{directory} already holds an index; open it, or pass overwrite=True.")
        if isinstance(embedder, str):
            embedder = Embedder.load(embedder)
        now = _now()
        manifest: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "embedder": {"name": embedder.name, "dim": embedder.dim},
            "index": {"kind": kind, "params": merged},
            "next_id": 0,
            "created_at": now,
            "updated_at": now,
            "extra": {},
        }
        directory.mkdir(parents=True, exist_ok=True)
        index = cls(directory, manifest, _new_index(kind, embedder.dim, merged), {}, embedder)
        index.extra.update(extra or {})
        index._dirty = True
        index.save()
        return index

    @classmethod
    def open(cls, directory: str | os.PathLike[str], embedder: Embedder | str | None = None) -> VectorIndex:
        """Open a saved index, verifying every file against the manifest's sha256.

        Args:
            embedder: the embedder to query with; ``None`` loads the one named in the manifest on
                first use. One with another name or dimension than the manifest's is refused.

        Raises:
            IndexNotFoundError: no index there. IndexCorruptError: a file is missing, damaged or
            inconsistent (the message says which, and whether :meth:`rebuild` can help).
            EmbedderMismatchError: ``embedder`` is not the index's embedder.
        """
        directory = Path(directory)
        manifest, faiss_bytes, table_bytes, faiss_error = _load_files(directory)
        embedder = cls._check_embedder(manifest, embedder, directory)
        if faiss_error is not None:
            raise faiss_error
        assert faiss_bytes is not None and table_bytes is not None
        records = _decode_table(table_bytes, directory / manifest["files"]["table"]["name"])
        index = cls._deserialize(faiss_bytes, directory / manifest["files"]["faiss"]["name"])
        cls._check_consistency(manifest, index, records, directory)
        return cls(directory, manifest, index, records, embedder if isinstance(embedder, Embedder) else None)

    @classmethod
    def open_or_create(
        cls,
        directory: str | os.PathLike[str],
        embedder: Embedder | str = DEFAULT_EMBEDDER,
        kind: str = "flat",
        **create_kwargs: Any,
    ) -> VectorIndex:
        """:meth:`open` the index in ``directory`` if there is one, else :meth:`create` it."""
        if (Path(directory) / MANIFEST_NAME).exists():
            return cls.open(directory, embedder)
        return cls.create(directory, embedder, kind, **create_kwargs)

    @classmethod
    def rebuild(
        cls, directory: str | os.PathLike[str], embedder: Embedder | str | None = None, *, progress: bool | None = None
    ) -> VectorIndex:
        """Rebuild the faiss index of ``directory`` from its chunk table by re-embedding every text.

        For a damaged or lost faiss file (or to retrain an ``ivf`` index after growth). The chunk
        table and manifest must be intact; chunk ids, kind, params and ``extra`` are kept. The new
        set is committed atomically; the old faiss file is removed afterwards.

        Raises:
            IndexCorruptError: the manifest or the chunk table is damaged (nothing to rebuild from).
        """
        directory = Path(directory)
        manifest, _, table_bytes, faiss_error = _load_files(directory)
        embedder = cls._check_embedder(manifest, embedder, directory)
        if not isinstance(embedder, Embedder):
            embedder = Embedder.load(manifest["embedder"]["name"])
        assert table_bytes is not None
        records = _decode_table(table_bytes, directory / manifest["files"]["table"]["name"])
        if faiss_error is not None:
            logger.warning("rebuilding %s: %s", directory, faiss_error)
        kind, params = manifest["index"]["kind"], manifest["index"]["params"]
        rebuilt = cls(directory, manifest, _new_index(kind, embedder.dim, params), {}, embedder)
        ordered = [records[i] for i in sorted(records)]
        vectors = embedder.encode([r.text for r in ordered], progress=progress)  # (n, dim)
        rebuilt._insert(ordered, vectors)
        rebuilt._dirty = True
        rebuilt.save()
        return rebuilt

    @classmethod
    def repair(
        cls, directory: str | os.PathLike[str], embedder: Embedder | str | None = None, *, progress: bool | None = None
    ) -> list[str]:
        """Bring a damaged index back: restore the manifest from its backup, rebuild a bad faiss file.

        Returns what was done, in words (empty when the index was sound).

        Raises:
            IndexCorruptError: the manifest and its backup are both damaged, or the chunk table is
                (the documents must then be indexed again).
        """
        directory = Path(directory)
        actions: list[str] = []
        try:
            _read_manifest(directory)
        except IndexCorruptError as exc:
            _restore_manifest(directory, exc)
            actions.append(f"restored {MANIFEST_NAME} from {BACKUP_NAME} ({exc})")
        _, _, _, faiss_error = _load_files(directory)
        if faiss_error is not None:
            cls.rebuild(directory, embedder, progress=progress)
            actions.append(f"rebuilt the faiss file from the chunk table ({faiss_error})")
        return actions

    def is_stale(self) -> bool:
        """Whether the saved index is no longer the version this object read or wrote (another
        process saved since, or the files are gone)."""
        try:
            on_disk = _read_manifest(self.directory)
        except RetrievalError:
            return True
        return on_disk.get("manifest_sha256") != self._manifest.get("manifest_sha256")

    def reopen(self) -> VectorIndex:
        """A fresh :meth:`open` of the saved index, sharing this object's embedder if loaded."""
        return type(self).open(self.directory, self._embedder)

    @staticmethod
    def _check_embedder(
        manifest: Mapping[str, Any], embedder: Embedder | str | None, directory: Path
    ) -> Embedder | str | None:
        expected = manifest["embedder"]
        given = embedder.name if isinstance(embedder, Embedder) else embedder
        if given is not None and given != expected["name"]:
            raise EmbedderMismatchError(
                f"Index {directory} was built with embedder {expected['name']!r}, not {given!r}: its vectors "
                f"are not comparable. Open it with {expected['name']!r}, or build a new index."
            )
        if isinstance(embedder, Embedder) and embedder.dim != expected["dim"]:
            raise EmbedderMismatchError(
                f"Index {directory} holds {expected['dim']}-d vectors but embedder {given!r} gives {embedder.dim}-d."
            )
        return embedder

    @staticmethod
    def _deserialize(data: bytes, path: Path) -> faiss.Index:
        faiss = _faiss()
        try:
            return faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as exc:
            raise IndexCorruptError(f"The faiss file {path} cannot be read: {str(exc).splitlines()[-1]}") from exc

    @staticmethod
    def _check_consistency(
        manifest: Mapping[str, Any], index: faiss.Index, records: Mapping[int, ChunkRecord], directory: Path
    ) -> None:
        """Raise IndexCorruptError unless faiss file, table and manifest describe the same chunks."""
        problems = []
        if index.d != manifest["embedder"]["dim"]:
            problems.append(f"the faiss index is {index.d}-d, the manifest says {manifest['embedder']['dim']}-d")
        stored = _ids_of(index)
        if len(np.unique(stored)) != len(stored):
            problems.append("the faiss index holds an id twice")
        missing = set(records) - set(int(i) for i in stored)
        if missing:
            problems.append(f"{len(missing)} chunk(s) of the table have no vector (e.g. id {min(missing)})")
        unknown = len(stored) - len(records) + len(missing)
        if manifest["index"]["kind"] != "hnsw" and unknown > 0:  # hnsw: those are tombstones
            problems.append(f"the faiss index holds {unknown} vector(s) the table does not know")
        if records and max(records) >= manifest["next_id"]:
            problems.append("a chunk id is not below the manifest's next_id")
        if manifest.get("counts", {}).get("chunks") != len(records):
            problems.append(f"the table has {len(records)} chunks, the manifest counts {manifest.get('counts')}")
        if problems:
            raise IndexCorruptError(f"Index {directory} is inconsistent: {'; '.join(problems)}.")

    # ----------------------------------------------------------- properties

    @property
    def embedder(self) -> Embedder:
        """The query/chunk embedder, loaded on first use when the index was opened without one."""
        if self._embedder is None:
            self._embedder = Embedder.load(self._manifest["embedder"]["name"])
            self._check_embedder(self._manifest, self._embedder, self.directory)
        return self._embedder

    @property
    def kind(self) -> str:
        """``"flat"``, ``"hnsw"`` or ``"ivf"``."""
        return str(self._manifest["index"]["kind"])

    @property
    def params(self) -> dict[str, Any]:
        """The kind's parameters (a copy)."""
        return dict(self._manifest["index"]["params"])

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as last saved or opened (a deep copy; see :meth:`stats` for live counts)."""
        return json.loads(json.dumps(self._manifest))

    @property
    def dirty(self) -> bool:
        """Whether there are changes not yet saved."""
        return self._dirty

    @property
    def num_tombstones(self) -> int:
        """Removed chunks whose vectors an HNSW graph still holds (filtered out of every search)."""
        return len(self._tombstones)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"VectorIndex({str(self.directory)!r}, kind={self.kind!r}, chunks={len(self)}, documents={len(self._by_doc)})"

    def stats(self) -> dict[str, int]:
        """Live counts: documents, chunks, vectors in faiss, tombstones."""
        return {
            "documents": len(self._by_doc),
            "chunks": len(self._records),
            "vectors": int(self._index.ntotal),
            "tombstones": len(self._tombstones),
        }

    def documents(self) -> dict[str, int]:
        """``{doc_id: number of chunks}``, sorted by doc id."""
        with self._lock:  # a consistent snapshot while another thread adds or removes documents
            return {doc: len(chunks) for doc, chunks in sorted(self._by_doc.items())}

    def has_document(self, doc_id: str) -> bool:
        return doc_id in self._by_doc

    def records(self, doc_id: str | None = None) -> list[ChunkRecord]:
        """The chunks of ``doc_id`` in chunk order, or every chunk by id when ``doc_id`` is None.

        Raises:
            UnknownDocumentError: ``doc_id`` is not in the index.
        """
        with self._lock:  # a consistent snapshot while another thread adds or removes documents
            if doc_id is None:
                return [self._records[i] for i in sorted(self._records)]
            chunks = self._by_doc.get(doc_id)
            if chunks is None:
                raise self._unknown(doc_id)
            return [self._records[chunks[i]] for i in sorted(chunks)]

    def get(self, chunk_id: int) -> ChunkRecord:
        """The chunk with id ``chunk_id``.

        Raises:
            RetrievalError: no live chunk has that id.
        """
        try:
            return self._records[int(chunk_id)]
        except KeyError:
            raise RetrievalError(f"No chunk with id {chunk_id} in {self.directory}.") from None

    def _unknown(self, doc_id: str) -> UnknownDocumentError:
        known = ", ".join(repr(d) for d in list(sorted(self._by_doc))[:5])
        more = "..." if len(self._by_doc) > 5 else ""
        return UnknownDocumentError(
            f"Unknown document {doc_id!r} in index {self.directory} ({len(self._by_doc)} documents"
            + (f": {known}{more})" if known else ")")
            + "."
        )

    # ----------------------------------------------------------- writing

    def add(
        self, chunks: Iterable[ChunkInput], *, batch_size: int = 64, progress: bool | None = None
    ) -> list[int]:
        """Embed ``chunks`` and add them; returns their new ids, in input order.

        Embedding runs in length-sorted batches with a tqdm bar (``progress=None``: only on a
        terminal). Call :meth:`save` to persist.

        Raises:
            InputError: empty text, negative chunk index, non-JSON metadata, or a ``(doc_id, index)``
                pair that the index (or this call) already holds.
        """
        chunks = list(chunks)
        self._validate(chunks)
        if not chunks:
            return []
        vectors = self.embedder.encode([c.text for c in chunks], batch_size=batch_size, progress=progress)
        return self.add_vectors(chunks, vectors)

    def add_vectors(self, chunks: Sequence[ChunkInput], vectors: np.ndarray) -> list[int]:
        """Add ``chunks`` with precomputed ``vectors`` ``(len(chunks), dim)`` from this index's embedder.

        Rows are L2-normalised here. For callers that embed elsewhere (e.g. in bulk on a GPU).
        """
        chunks = list(chunks)
        self._validate(chunks)
        vectors = np.asarray(vectors, dtype=np.float32)
        dim = self._manifest["embedder"]["dim"]
        if vectors.shape != (len(chunks), dim):
            raise InputError(f"Expected vectors of shape ({len(chunks)}, {dim}), got {vectors.shape}.")
        with self._lock:
            self._validate(chunks)  # again, under the lock
            records = [
                ChunkRecord(
                    chunk_id=self._next_id + i,
                    doc_id=c.doc_id,
                    index=int(c.index),
                    text=c.text,
                    content_hash=c.content_hash or content_hash(c.text),
                    num_tokens=None if c.num_tokens is None else int(c.num_tokens),
                    metadata=json.loads(json.dumps(dict(c.metadata))),
                )
                for i, c in enumerate(chunks)
            ]
            self._insert(records, _normalise(vectors))  # advances _next_id
            self._dirty = True
            return [r.chunk_id for r in records]

    def add_document(
        self,
        doc_id: str,
        texts: Sequence[str],
        *,
        num_tokens: Sequence[int] | None = None,
        metadata: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        replace: bool = False,
        batch_size: int = 64,
        progress: bool | None = None,
    ) -> list[int]:
        """Add the chunks ``texts`` of one document (indices 0..n-1); returns their ids.

        ``metadata`` is one dict for every chunk or one per chunk. With ``replace=True`` an existing
        document of that id is removed first (its ids are not reused).

        Raises:
            InputError: the document is already indexed and ``replace`` is False, or lengths differ.
        """
        texts = list(texts)
        if num_tokens is not None and len(num_tokens) != len(texts):
            raise InputError(f"num_tokens has {len(num_tokens)} entries for {len(texts)} texts.")
        if metadata is None or isinstance(metadata, Mapping):
            metas: list[Mapping[str, Any]] = [metadata or {}] * len(texts)
        else:
            metas = list(metadata)
            if len(metas) != len(texts):
                raise InputError(f"metadata has {len(metas)} entries for {len(texts)} texts.")
        chunks = [
            ChunkInput(doc_id, i, text, None if num_tokens is None else num_tokens[i], None, metas[i])
            for i, text in enumerate(texts)
        ]
        with self._lock:
            if doc_id in self._by_doc:
                if not replace:
                    raise InputError(
                        f"Document {doc_id!r} is already indexed ({len(self._by_doc[doc_id])} chunks); pass "
                        "replace=True or remove_document() first."
                    )
                self._validate(chunks, ignore_existing=True)
                vectors = self.embedder.encode(texts, batch_size=batch_size, progress=progress)
                self.remove_document(doc_id)
                return self.add_vectors(chunks, vectors)
            return self.add(chunks, batch_size=batch_size, progress=progress)

    def remove_document(self, doc_id: str) -> int:
        """Remove every chunk of ``doc_id``; returns how many. Call :meth:`save` to persist.

        Raises:
            UnknownDocumentError: ``doc_id`` is not in the index.
        """
        with self._lock:
            chunks = self._by_doc.get(doc_id)
            if chunks is None:
                raise self._unknown(doc_id)
            ids = np.fromiter(chunks.values(), dtype=np.int64, count=len(chunks))
            if self.kind == "hnsw":
                self._tombstones.update(int(i) for i in ids)
            else:
                removed = self._index.remove_ids(_faiss().IDSelectorBatch(ids))
                assert removed == len(ids), (removed, len(ids))
            for chunk_id in ids:
                del self._records[int(chunk_id)]
            del self._by_doc[doc_id]
            self._dirty = True
            ratio = float(self.params.get("compact_ratio", 0.0))
            if self._tombstones and len(self._tombstones) > ratio * max(len(self._records), 1):
                self.compact()
            return len(ids)

    def compact(self) -> int:
        """Rebuild an HNSW graph without its tombstones (vectors come from the graph, not re-embedded).

        Returns how many tombstones were dropped (0 for other kinds, which remove natively).
        """
        with self._lock:
            if not self._tombstones:
                return 0
            ids, vectors = _vectors_of(self._index)  # (n,), (n, dim)
            keep = ~np.isin(ids, np.fromiter(self._tombstones, dtype=np.int64))
            fresh = _new_index(self.kind, self._index.d, self.params)
            if keep.any():
                fresh.add_with_ids(np.ascontiguousarray(vectors[keep]), np.ascontiguousarray(ids[keep]))
            dropped = len(self._tombstones)
            self._index, self._tombstones, self._dirty = fresh, set(), True
            logger.info("compacted %s: dropped %d tombstones, %d vectors left", self.directory, dropped, fresh.ntotal)
            return dropped

    def _validate(self, chunks: Sequence[ChunkInput], *, ignore_existing: bool = False) -> None:
        seen: set[tuple[str, int]] = set()
        for c in chunks:
            if not isinstance(c, ChunkInput):
                raise InputError(f"Expected ChunkInput items, got {type(c).__name__}.")
            if not isinstance(c.doc_id, str) or not c.doc_id:
                raise InputError(f"A chunk's doc_id must be a non-empty string, got {c.doc_id!r}.")
            if not isinstance(c.text, str) or not c.text.strip():
                raise InputError(f"Chunk {c.index} of document {c.doc_id!r} has empty text.")
            if not isinstance(c.index, int) or c.index < 0:
                raise InputError(f"Chunk index must be an int >= 0, got {c.index!r} (document {c.doc_id!r}).")
            try:
                json.dumps(dict(c.metadata))
            except (TypeError, ValueError) as exc:
                raise InputError(f"Metadata of chunk {c.index} of {c.doc_id!r} is not JSON-serialisable: {exc}") from exc
            key = (c.doc_id, c.index)
            existing = not ignore_existing and c.index in self._by_doc.get(c.doc_id, {})
            if key in seen or existing:
                raise InputError(f"Chunk {c.index} of document {c.doc_id!r} is given twice or already indexed.")
            seen.add(key)

    def _insert(self, records: Sequence[ChunkRecord], vectors: np.ndarray) -> None:
        """Put ``records`` with their unit ``vectors`` (n, dim) into faiss and the table."""
        if not records:
            return
        ids = np.fromiter((r.chunk_id for r in records), dtype=np.int64, count=len(records))
        self._index.add_with_ids(np.ascontiguousarray(vectors), ids)
        for record in records:
            self._records[record.chunk_id] = record
            self._by_doc.setdefault(record.doc_id, {})[record.index] = record.chunk_id
        self._next_id = max(self._next_id, int(ids.max()) + 1)
        self._maybe_train_ivf()

    def _maybe_train_ivf(self) -> None:
        if self.kind != "ivf" or _is_ivf(self._index):
            return
        if self._index.ntotal < int(self.params["train_min"]):
            return
        ids, vectors = _vectors_of(self._index)
        self._index = _train_ivf(ids, vectors, self.params)

    # ----------------------------------------------------------- persistence

    def save(self) -> None:
        """Persist atomically: new data files, then the manifest, then old files deleted.

        Holds a file lock on the directory while writing. A no-op when neither the chunks nor
        :attr:`extra` changed since the last save.

        Raises:
            InputError: :attr:`extra` is not JSON-serialisable.
            IndexWriteError: an OS error (disk full, permissions); the last saved version stays intact
                and the changes stay in memory, so ``save`` can be retried.
        """
        with self._lock:
            if not self._dirty and self.extra == self._manifest.get("extra"):
                return
            try:
                extra = json.loads(json.dumps(self.extra))
            except (TypeError, ValueError) as exc:
                raise InputError(f"VectorIndex.extra must be JSON-serialisable: {exc}") from exc
            try:
                self._commit(extra)
            except OSError as exc:
                raise IndexWriteError(
                    f"Cannot save the index {self.directory}: {exc}. The previously saved version is intact; "
                    "the changes are still in memory."
                ) from exc

    def _commit(self, extra: dict[str, Any]) -> None:
        """Write a new generation and switch the manifest to it (see :meth:`save`)."""
        from filelock import FileLock

        self.directory.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.directory / LOCK_NAME), timeout=600):
            generation = int(self._manifest.get("generation", 0)) + 1
            tag = f"{generation:06x}-{uuid.uuid4().hex[:8]}"
            faiss_bytes = _faiss().serialize_index(self._index).tobytes()
            table_bytes = _encode_table(self._records[i] for i in sorted(self._records))
            files = {"faiss": (f"index.{tag}.faiss", faiss_bytes), "table": (f"chunks.{tag}.jsonl", table_bytes)}
            manifest = dict(self._manifest)
            manifest.update(
                generation=generation,
                next_id=self._next_id,
                updated_at=_now(),
                extra=extra,
                counts=self.stats(),
                index=self._index_section(),
                files={
                    role: {"name": name, "bytes": len(data), "sha256": _sha256(data)}
                    for role, (name, data) in files.items()
                },
                library=_library_versions(),
            )
            manifest.pop("manifest_sha256", None)
            manifest["manifest_sha256"] = _manifest_digest(manifest)
            manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
            try:
                for name, data in files.values():
                    _write_atomic(self.directory / name, data)
                _write_atomic(self.directory / MANIFEST_NAME, manifest_bytes)  # the commit point
                _write_atomic(self.directory / BACKUP_NAME, manifest_bytes)  # before old files go
            except BaseException:
                if _read_bytes(self.directory / MANIFEST_NAME) != manifest_bytes:  # not committed: orphans
                    for name, _ in files.values():
                        (self.directory / name).unlink(missing_ok=True)
                raise
            fsync_dir(self.directory)
            self._manifest, self._dirty = manifest, False
            self._remove_stale({name for name, _ in files.values()})

    def _index_section(self) -> dict[str, Any]:
        section = {"kind": self.kind, "params": self.params}
        if self.kind == "ivf":
            section["trained"] = _is_ivf(self._index)
            if section["trained"]:
                section["nlist"] = int(_faiss().extract_index_ivf(self._index).nlist)
        return section

    def _remove_stale(self, current: set[str]) -> None:
        """Delete data files of older generations and temp files of interrupted saves."""
        for path in self.directory.iterdir():
            stale_data = _DATA_FILE.match(path.name) and path.name not in current
            stale_tmp = path.name.startswith(".") and path.name.endswith(".tmp")
            if stale_data or stale_tmp:
                path.unlink(missing_ok=True)

    # ----------------------------------------------------------- search

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The ``k`` chunks most similar to ``query``, best first (fewer if the index holds fewer).

        Raises:
            InputError: empty query or ``k < 1``. EmptyIndexError: the index holds no chunks.
        """
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int = 5) -> list[list[Hit]]:
        """:meth:`search` for several queries, embedded in one batch."""
        if isinstance(queries, str):
            raise InputError("search_many takes a list of queries; use search() for one.")
        queries = list(queries)
        for query in queries:
            if not isinstance(query, str) or not query.strip():
                raise InputError(f"A query must be a non-empty string, got {query!r}.")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"k must be an integer >= 1, got {k!r}.")
        if not self._records:
            raise EmptyIndexError(f"The index {self.directory} is empty: add documents before searching.")
        if not queries:
            return []
        vectors = self.embedder.encode(queries, progress=False)  # (q, dim)
        return self.search_vectors(vectors, int(k))

    def search_vectors(self, vectors: np.ndarray, k: int) -> list[list[Hit]]:
        """Search with query vectors ``(q, dim)`` from this index's embedder (normalised here)."""
        vectors = _normalise(np.atleast_2d(vectors))
        with self._lock:
            if not self._records:
                raise EmptyIndexError(f"The index {self.directory} is empty: add documents before searching.")
            k = min(int(k), len(self._records))
            params, keep_alive = self._search_params(k)
            scores, labels = self._index.search(vectors, k, params=params)  # (q, k) each; -1 = no result
            del keep_alive
            return [self._hits(row_scores, row_labels) for row_scores, row_labels in zip(scores, labels)]

    def _hits(self, scores: np.ndarray, labels: np.ndarray) -> list[Hit]:
        found = [(float(s), int(label)) for s, label in zip(scores, labels) if label >= 0 and int(label) in self._records]
        return [Hit(self._records[label], score, rank) for rank, (score, label) in enumerate(found)]

    def _search_params(self, k: int) -> tuple[Any, tuple[Any, ...]]:
        """faiss search parameters for ``k`` results, and the objects they point to (keep them alive)."""
        faiss = _faiss()
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW()
            params.efSearch = max(int(self.params["ef_search"]), k)
            if not self._tombstones:
                return params, ()
            batch = faiss.IDSelectorBatch(np.fromiter(self._tombstones, dtype=np.int64))
            not_batch = faiss.IDSelectorNot(batch)
            params.sel = not_batch
            return params, (batch, not_batch)
        if _is_ivf(self._index):
            params = faiss.SearchParametersIVF()
            params.nprobe = int(self.params["nprobe"])
            return params, ()
        return None, ()


def _library_versions() -> dict[str, str]:
    import importlib.metadata

    versions = {"faiss": _faiss().__version__}
    try:
        versions["gmsa_rag"] = importlib.metadata.version("gmsa_rag")
    except importlib.metadata.PackageNotFoundError:
        pass
    return versions
