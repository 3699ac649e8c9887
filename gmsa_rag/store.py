"""The soft-token store: each chunk's merged vectors on disk, so queries skip the encoder.

What is stored
    One entry per (GMSA fingerprint, chunk content hash, rate). Its value is raw ``bytes``::

        b"GMSAST01" | sha256(payload) (32 bytes) | payload

    where ``payload`` is a safetensors file holding one tensor ``"vectors"`` of shape
    ``(ceil(num_tokens / rate), d)`` in the store's dtype (fp16 by default, bf16 or fp32
    selectable) and metadata naming the fingerprint, chunk hash, rate and token count.
    A read checks the magic, the checksum, the safetensors header, that the metadata names the
    key that was asked for, the dtype and the shape; a value failing any check is a miss: it is
    deleted, logged and counted (``StoreStats.corrupt``), never returned. Values come back as
    float32 tensors on the CPU.

Keys
    ``"<fingerprint>/<chunk_hash>/r<rate>"`` (a plain ``str``). The fingerprint is
    ``GMSAModel.fingerprint()`` (config + trained weights), so a store written by another model
    is never read back by this one; it simply misses.

No pickle anywhere
    diskcache pickles any key or value that is not ``str``/``bytes``/number, and unpickles
    whatever a database row says was pickled. The shards here use :class:`_RawBytesDisk`, which
    accepts only ``str`` keys and ``bytes`` values and refuses to unpickle a row (a row written
    by something else is treated as corrupt).

Layout of the directory (the shards are laid out as ``diskcache.FanoutCache`` lays them out)::

    gmsa-store.json      format marker: {"format", "version", "shards"}
    000/cache.db ...     value shards: one diskcache.Cache (SQLite, WAL) each
    refs.sqlite          document -> chunk references (for delete_document)

Several writer processes
    Each shard is its own SQLite database; a write is one short ``BEGIN IMMEDIATE``
    transaction, so writers in any number of processes (and threads) serialise per shard.
    Values are kept *inside* SQLite (never as side files), so **a value is written whole or
    not at all**: a killed process, a full disk or a permission error leaves the previous
    entries intact and no half-written file behind. Entries of one chunk at several rates are
    separate keys: a crash between two rates leaves the first one stored, whole.

Shared chunks and deletion
    Two documents can hold the same chunk text, and the vectors are content-addressed, so a
    chunk is stored once. diskcache gives an entry one tag only, so documents are not the tag:
    every entry is tagged with its *chunk hash* (evicting a chunk removes it at every rate and
    for every fingerprint), and which documents use which chunk is kept in a small SQLite table
    (``refs.sqlite``: doc_id, chunk_hash). ``delete_document`` drops the document's references
    and evicts exactly the chunks no other document still references. Entries stored without a
    ``doc_id`` are governed by ``size_limit`` only. Callers that skip ``put`` because a chunk is
    already stored should still call ``add_references`` for the new document.

Size limit
    ``size_limit`` (bytes, default 1 GiB) is split evenly over the shards, as FanoutCache does;
    a write to a shard that is over its share first drops that shard's 10 least recently
    *stored* entries (diskcache's ``cull_limit``). Reads never write (no LRU bookkeeping), which
    keeps queries lock-free. The refs table is not counted (it is tiny).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import diskcache
import torch
from diskcache.core import MODE_BINARY, MODE_RAW, UNKNOWN
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from gmsa_rag.documents import content_hash  # one definition: sha256 of the NFC text
from gmsa_rag.errors import ConfigError, GMSAError, InputError

logger = logging.getLogger(__name__)

STORE_FORMAT = "gmsa-soft-token-store"
STORE_VERSION = 1
MARKER_NAME = "gmsa-store.json"
REFS_NAME = "refs.sqlite"
DEFAULT_SHARDS = 4
MIN_SIZE_LIMIT = 2**20  # below ~1 MiB the SQLite pages themselves exceed a shard's share

VALUE_MAGIC = b"GMSAST01"
_DIGEST_LEN = 32
_TENSOR_NAME = "vectors"
_TMP_PREFIX = ".gmsa-store-tmp-"
_INLINE_LIMIT = 2**40  # diskcache's disk_min_file_size: keep every value inside SQLite
_SQLITE_BUSY_S = 0.5  # SQLite busy wait per attempt; our own loop retries up to lock_timeout

DTYPES: dict[str, torch.dtype] = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
_ST_DTYPES = {"float16": "F16", "bfloat16": "BF16", "float32": "F32"}  # safetensors header names
_HEX = re.compile(r"[0-9a-f]{16,128}")


class StoreError(GMSAError):
    """The store cannot be opened, read or written (not a store, disk full, no permission, locked)."""


class _CorruptValue(Exception):
    """A stored value failed a check; the message says which (internal: becomes a miss)."""


@dataclass(frozen=True)
class StoredVectors:
    """One entry read back: float32 vectors (ceil(num_tokens / rate), d) and the chunk's token count."""

    vectors: torch.Tensor
    num_tokens: int | None
    dtype: str  # the dtype it was stored in


@dataclass(frozen=True)
class StoreStats:
    """Counters of this store object (this process) plus the on-disk totals at the time of the call.

    ``hits + misses`` = lookups; ``corrupt`` lookups are also counted as misses.
    """

    hits: int
    misses: int
    corrupt: int
    writes: int
    bytes_written: int
    bytes_read: int
    entries: int  # values on disk, all processes
    volume: int  # bytes on disk the size limit governs


@dataclass
class _Counters:
    hits: int = 0
    misses: int = 0
    corrupt: int = 0
    writes: int = 0
    bytes_written: int = 0
    bytes_read: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self.lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)


class _RawBytesDisk(diskcache.Disk):
    """diskcache serialisation restricted to ``str`` keys and ``bytes`` values: nothing is pickled."""

    def put(self, key):  # type: ignore[override]
        if type(key) is not str:
            raise TypeError(f"soft-token store keys are str, got {type(key).__name__}")
        return super().put(key)

    def get(self, key, raw):  # type: ignore[override]
        if not raw:
            raise _CorruptValue("row holds a pickled key")
        return super().get(key, raw)

    def store(self, value, read, key=UNKNOWN):  # type: ignore[override]
        if type(value) is not bytes or read:
            raise TypeError(f"soft-token store values are bytes, got {type(value).__name__}")
        return super().store(value, read, key=key)

    def fetch(self, mode, filename, value, read):  # type: ignore[override]
        if mode not in (MODE_RAW, MODE_BINARY) or read:
            raise _CorruptValue(f"row holds a value of diskcache mode {mode} (not raw bytes)")
        result = super().fetch(mode, filename, value, read)
        if type(result) is not bytes:
            raise _CorruptValue(f"row holds a {type(result).__name__}, not bytes")
        return result


# ---------------------------------------------------------------- values


def _check_hex(name: str, value: str) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise InputError(f"{name} must be 16-128 lower-case hex characters, got {value!r}")
    return value


def entry_key(fingerprint: str, chunk_hash: str, rate: int) -> str:
    """The diskcache key of one entry, after validating its parts."""
    _check_hex("fingerprint", fingerprint)
    _check_hex("chunk hash", chunk_hash)
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
        raise InputError(f"compression rate must be an integer >= 1, got {rate!r}")
    return f"{fingerprint}/{chunk_hash}/r{rate}"


def _all_finite(tensor: torch.Tensor) -> bool:
    """No NaN or inf. aminmax propagates NaN; ~10 us for (64, 576) vs ~120 us for isfinite().all() on CPU."""
    low, high = torch.aminmax(tensor)
    return math.isfinite(float(low)) and math.isfinite(float(high))


def encode_value(vectors: torch.Tensor, *, dtype: str, fingerprint: str, chunk_hash: str, rate: int,
                 num_tokens: int | None) -> bytes:
    """Serialise (groups, d) vectors: magic | sha256(payload) | safetensors payload."""
    if vectors.ndim != 2 or vectors.shape[0] < 1 or vectors.shape[1] < 1:
        raise InputError(f"vectors at rate {rate} must have shape (groups >= 1, d >= 1), got {tuple(vectors.shape)}")
    if not vectors.is_floating_point():
        raise InputError(f"vectors at rate {rate} must be floating point, got {vectors.dtype}")
    if num_tokens is not None and vectors.shape[0] != math.ceil(num_tokens / rate):
        raise InputError(f"{num_tokens} tokens at rate {rate} give {math.ceil(num_tokens / rate)} vectors, "
                         f"got {vectors.shape[0]}")
    stored = vectors.detach().to("cpu", DTYPES[dtype]).contiguous()  # (groups, d)
    if not _all_finite(stored):
        hint = "" if _all_finite(vectors.detach()) else " (the input itself is not finite)"
        raise InputError(f"vectors at rate {rate} are not finite in {dtype}{hint}; store them as bfloat16 or float32")
    metadata = {"format": STORE_FORMAT, "version": str(STORE_VERSION), "fingerprint": fingerprint,
                "chunk_hash": chunk_hash, "rate": str(rate), "dtype": dtype,
                "num_tokens": "" if num_tokens is None else str(num_tokens)}
    payload = st_save({_TENSOR_NAME: stored}, metadata=metadata)
    return VALUE_MAGIC + hashlib.sha256(payload).digest() + payload


def _read_header(payload: bytes) -> tuple[dict, dict]:
    """The safetensors header of a payload: (tensor entries, metadata). Raises _CorruptValue."""
    if len(payload) < 8:
        raise _CorruptValue("payload shorter than a safetensors header")
    size = int.from_bytes(payload[:8], "little")
    if size > len(payload) - 8:
        raise _CorruptValue(f"safetensors header length {size} exceeds the payload")
    try:
        header = json.loads(payload[8 : 8 + size])
    except (UnicodeDecodeError, ValueError) as exc:
        raise _CorruptValue(f"safetensors header is not JSON ({exc})") from None
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__"), dict):
        raise _CorruptValue("safetensors header has no metadata")
    metadata = header.pop("__metadata__")
    if not all(isinstance(v, str) for v in metadata.values()) or not all(isinstance(v, dict) for v in header.values()):
        raise _CorruptValue("safetensors header has unexpected types")
    return header, metadata


def decode_value(raw: bytes, *, fingerprint: str, chunk_hash: str, rate: int) -> StoredVectors:
    """Check and deserialise a value written by :func:`encode_value` for this key. Raises _CorruptValue."""
    head = len(VALUE_MAGIC) + _DIGEST_LEN
    if len(raw) < head or raw[: len(VALUE_MAGIC)] != VALUE_MAGIC:
        raise _CorruptValue("missing magic bytes")
    payload = raw[head:]
    if hashlib.sha256(payload).digest() != raw[len(VALUE_MAGIC) : head]:
        raise _CorruptValue("checksum mismatch")
    header, meta = _read_header(payload)
    expected = {"format": STORE_FORMAT, "version": str(STORE_VERSION), "fingerprint": fingerprint,
                "chunk_hash": chunk_hash, "rate": str(rate)}
    wrong = {k: meta.get(k) for k, v in expected.items() if meta.get(k) != v}
    if wrong:
        raise _CorruptValue(f"metadata does not match the key: {wrong}")
    dtype, num_tokens = meta.get("dtype"), meta.get("num_tokens", "")
    if dtype not in DTYPES or list(header) != [_TENSOR_NAME] or header[_TENSOR_NAME].get("dtype") != _ST_DTYPES[dtype]:
        raise _CorruptValue(f"unexpected tensors/dtype {sorted(header)} {dtype!r}")
    shape = header[_TENSOR_NAME].get("shape")
    if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(s, int) and s >= 1 for s in shape)):
        raise _CorruptValue(f"shape {shape!r} is not (groups >= 1, d >= 1)")
    if num_tokens and (not num_tokens.isdigit() or math.ceil(int(num_tokens) / rate) != shape[0]):
        raise _CorruptValue(f"shape {shape} does not fit {num_tokens!r} tokens at rate {rate}")
    try:
        tensor = st_load(payload)[_TENSOR_NAME]  # (groups, d)
    except Exception as exc:  # safetensors raises its own SafetensorError
        raise _CorruptValue(f"safetensors cannot parse the payload ({exc})") from None
    if list(tensor.shape) != shape or not _all_finite(tensor):
        raise _CorruptValue("tensor shape or values are invalid")
    return StoredVectors(tensor.float(), int(num_tokens) if num_tokens else None, dtype)


# ---------------------------------------------------------------- directory and errors


_REASONS = {  # reason -> what to do about it
    "the disk is full": "free disk space or lower size_limit",
    "no permission to write (read-only file, directory or file system)": "fix the permissions or use another directory",
    "its files are not valid SQLite databases (garbage or corrupted)": "move the store directory away to start an empty one",
    "it is locked by another process": "retry when the other process is done",
    "the disk refused the write (disk I/O error: full, over a file size limit, or failing)":
        "free disk space or raise the file size limit, then retry",
}


def _describe(exc: BaseException, directory: Path | None = None) -> str:
    """The reason a disk operation failed, in words (one of _REASONS where it is recognised)."""
    text = str(exc).lower()
    writable = directory is None or not directory.exists() or os.access(directory, os.W_OK)
    permission = not writable or isinstance(exc, PermissionError) or "readonly" in text or "read-only" in text
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "full" in text:
        return "the disk is full"
    if permission or (isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS)):
        return "no permission to write (read-only file, directory or file system)"
    if "disk i/o error" in text:
        return "the disk refused the write (disk I/O error: full, over a file size limit, or failing)"
    if "not a database" in text or "malformed" in text:
        return "its files are not valid SQLite databases (garbage or corrupted)"
    if "locked" in text:
        return "it is locked by another process"
    return f"{type(exc).__name__}"


def _store_error(action: str, where: Path, exc: BaseException, directory: Path) -> StoreError:
    """A StoreError saying what failed, where, why, and what to do."""
    reason = _describe(exc, directory)
    fix = _REASONS.get(reason)
    return StoreError(f"cannot {action} {where}: {reason} ({exc})" + (f"; {fix}" if fix else ""))


def _write_marker(directory: Path, shards: int) -> None:
    """Create the format marker if absent (atomically: a half-written marker is never visible)."""
    marker = directory / MARKER_NAME
    tmp = directory / f"{_TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
    tmp.write_text(json.dumps({"format": STORE_FORMAT, "version": STORE_VERSION, "shards": shards}) + "\n")
    try:
        os.link(tmp, marker)  # fails if another process created it first: theirs wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def _read_marker(directory: Path) -> int:
    """Validate the format marker and return the store's shard count."""
    marker = directory / MARKER_NAME
    try:
        data = json.loads(marker.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StoreError(f"{marker} is not a readable soft-token store marker ({exc}); "
                         f"move the directory away to start a new store") from None
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
        raise StoreError(f"{marker} does not describe a soft-token store: {data!r}")
    if data.get("version") != STORE_VERSION:
        raise StoreError(f"{directory} is a soft-token store of version {data.get('version')!r}; "
                         f"this gmsa_rag reads version {STORE_VERSION}: rebuild it in a new directory")
    shards = data.get("shards")
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise StoreError(f"{marker} names an invalid shard count {shards!r}")
    return shards


def _prepare_directory(directory: Path, shards: int | None) -> int:
    """Create or recognise a store directory; return its shard count. Refuses foreign directories."""
    if directory.exists() and not directory.is_dir():
        raise StoreError(f"soft-token store path {directory} is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        marker = directory / MARKER_NAME
        if not marker.exists():
            foreign = sorted(p.name for p in directory.iterdir() if not p.name.startswith(_TMP_PREFIX))
            # another process may have created the store since the check above: look again
            if foreign and not marker.exists():
                raise StoreError(f"{directory} is not empty and is not a soft-token store (no {MARKER_NAME}; "
                                 f"found {foreign[:5]}); give an empty or new directory")
            if not foreign:
                _write_marker(directory, shards or DEFAULT_SHARDS)
    except OSError as exc:
        raise _store_error("create soft-token store", directory, exc, directory) from exc
    found = _read_marker(directory)
    if shards is not None and shards != found:
        raise ConfigError(f"soft-token store {directory} has {found} shards, not shards={shards}; "
                          f"leave shards unset to use the store's own")
    return found


# ---------------------------------------------------------------- the store


class SoftTokenStore:
    """Disk cache of merged vectors per (GMSA fingerprint, chunk content hash, rate).

    Safe to share between threads and between processes opening the same directory.

    >>> with SoftTokenStore(path) as store:                                  # doctest: +SKIP
    ...     store.put(model.fingerprint(), content_hash(text), chunk.vectors,
    ...               num_tokens=chunk.num_tokens, doc_id="notes.txt")
    ...     vectors = store.get(model.fingerprint(), content_hash(text), rate=4)  # (groups, d) float32
    """

    def __init__(self, directory: str | Path, *, size_limit: int = 2**30, dtype: str = "float16",
                 shards: int | None = None, lock_timeout: float = 60.0) -> None:
        """Open (creating if needed) the store in ``directory``.

        size_limit: bytes on disk for values, split evenly over the shards (>= 1 MiB).
        dtype: "float16" (default), "bfloat16" or "float32": how new values are stored.
        shards: SQLite databases writes spread over; fixed when the store is created
            (default 4), so leave it unset when opening an existing store.
        lock_timeout: seconds a write waits for other writers before raising StoreError.
        """
        if dtype not in DTYPES:
            raise ConfigError(f"store dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
        if isinstance(size_limit, bool) or not isinstance(size_limit, int) or size_limit < MIN_SIZE_LIMIT:
            raise ConfigError(f"size_limit must be an integer number of bytes >= {MIN_SIZE_LIMIT}, got {size_limit!r}")
        if shards is not None and (isinstance(shards, bool) or not isinstance(shards, int) or shards < 1):
            raise ConfigError(f"shards must be an integer >= 1, got {shards!r}")
        self.directory = Path(directory).expanduser()
        self.dtype = dtype
        self.size_limit = size_limit
        self.lock_timeout = float(lock_timeout)
        self._counters = _Counters()
        n = _prepare_directory(self.directory, shards)
        self._shards = tuple(self._open_shard(i, size_limit // n) for i in range(n))
        self._refs_lock = threading.RLock()
        self._refs_con: sqlite3.Connection | None = None
        self._refs_pid = -1
        try:
            with self._refs() as con:  # create (or check) the refs table now, to fail early
                con.execute("CREATE TABLE IF NOT EXISTS refs (doc_id TEXT NOT NULL, chunk_hash TEXT NOT NULL,"
                            " PRIMARY KEY (doc_id, chunk_hash)) WITHOUT ROWID")
                con.execute("CREATE INDEX IF NOT EXISTS refs_chunk ON refs (chunk_hash)")
        except StoreError:
            self.close()
            raise

    def _open_shard(self, index: int, size_limit: int) -> diskcache.Cache:
        """Open one shard; while another process is creating or writing it, retry up to lock_timeout."""
        path = self.directory / f"{index:03d}"
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return diskcache.Cache(str(path), timeout=_SQLITE_BUSY_S, disk=_RawBytesDisk, size_limit=size_limit,
                                       eviction_policy="least-recently-stored", cull_limit=10, tag_index=True,
                                       statistics=False, disk_min_file_size=_INLINE_LIMIT)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise _store_error("open soft-token store shard", path, exc, self.directory) from exc
                time.sleep(0.05)
            except (sqlite3.Error, OSError) as exc:
                raise _store_error("open soft-token store shard", path, exc, self.directory) from exc

    # ------------------------------------------------ reading

    def get(self, fingerprint: str, chunk_hash: str, rate: int) -> torch.Tensor | None:
        """The stored (ceil(num_tokens / rate), d) vectors as float32, or None on a miss."""
        entry = self.get_entry(fingerprint, chunk_hash, rate)
        return None if entry is None else entry.vectors

    def get_many(self, fingerprint: str, chunk_hashes: Sequence[str], rate: int) -> list[torch.Tensor | None]:
        """:meth:`get` for several chunks, in order."""
        return [self.get(fingerprint, h, rate) for h in chunk_hashes]

    def get_entry(self, fingerprint: str, chunk_hash: str, rate: int) -> StoredVectors | None:
        """Like :meth:`get`, with the chunk's token count and stored dtype. A corrupt value is a miss."""
        key = entry_key(fingerprint, chunk_hash, rate)
        try:
            raw = self._read(key)
            entry = None if raw is None else decode_value(raw, fingerprint=fingerprint, chunk_hash=chunk_hash, rate=rate)
        except _CorruptValue as exc:
            self._discard(key, str(exc))
            return None
        if entry is None:
            self._counters.add(misses=1)
            return None
        self._counters.add(hits=1, bytes_read=len(raw))
        return entry

    def has(self, fingerprint: str, chunk_hash: str, rate: int) -> bool:
        """Whether an entry exists (cheap: its checksum is verified only by :meth:`get`)."""
        key = entry_key(fingerprint, chunk_hash, rate)
        try:
            return key in self._shard(key)
        except sqlite3.Error as exc:
            raise _store_error("read soft-token store", self.directory, exc, self.directory) from exc

    def _shard(self, key: str) -> diskcache.Cache:
        return self._shards[self._shards[0].disk.hash(key) % len(self._shards)]  # FanoutCache's placement

    def _read(self, key: str) -> bytes | None:
        try:
            return self._shard(key).get(key, default=None, retry=True)
        except (sqlite3.Error, OSError) as exc:
            raise _store_error("read soft-token store", self.directory, exc, self.directory) from exc

    def _discard(self, key: str, reason: str) -> None:
        """Delete a value that failed its checks, count it, and log why."""
        self._counters.add(misses=1, corrupt=1)
        logger.warning("soft-token store %s: discarding entry %s (%s); it will be recomputed",
                       self.directory, key, reason)
        try:
            self._retry_locked(lambda: self._shard(key).delete(key, retry=False), "delete a corrupt entry")
        except StoreError as exc:  # the miss stands; deleting is best effort
            logger.warning("%s", exc)

    # ------------------------------------------------ writing

    def put(self, fingerprint: str, chunk_hash: str, vectors: Mapping[int, torch.Tensor], *,
            doc_id: str | None = None, num_tokens: int | None = None) -> None:
        """Store a chunk's vectors, one entry per rate (``ChunkVectors.vectors`` fits as is).

        doc_id: the document using this chunk (recorded for :meth:`delete_document`).
        num_tokens: the chunk's token count; when given, each rate's row count is checked.
        Raises InputError for bad vectors and StoreError when the disk refuses the write
        (full, read-only, locked); entries already stored stay as they were.
        """
        if not vectors:
            raise InputError(f"no vectors given for chunk {chunk_hash!r}")
        if num_tokens is not None and (isinstance(num_tokens, bool) or not isinstance(num_tokens, int) or num_tokens < 1):
            raise InputError(f"num_tokens must be an integer >= 1, got {num_tokens!r}")
        values = {entry_key(fingerprint, chunk_hash, rate): encode_value(
            tensor, dtype=self.dtype, fingerprint=fingerprint, chunk_hash=chunk_hash, rate=rate, num_tokens=num_tokens)
            for rate, tensor in vectors.items()}  # everything validated before anything is written
        if doc_id is not None:  # reference first: a concurrent delete_document then never strands the values
            self.add_references(doc_id, [chunk_hash])
        for key, value in values.items():
            self._write(key, value, tag=chunk_hash)

    def _write(self, key: str, value: bytes, tag: str) -> None:
        shard = self._shard(key)
        self._retry_locked(lambda: shard.set(key, value, tag=tag, retry=False), f"write {key}", shard)
        self._counters.add(writes=1, bytes_written=len(value))

    def _retry_locked(self, operation, what: str, shard: diskcache.Cache | None = None):
        """Run a diskcache write, retrying lock timeouts up to lock_timeout; wrap disk errors in StoreError."""
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return operation()
            except diskcache.Timeout:
                if time.monotonic() > deadline:
                    raise StoreError(f"cannot {what} in soft-token store {self.directory}: still locked by another "
                                     f"process after {self.lock_timeout:.0f} s") from None
            except (sqlite3.Error, OSError) as exc:
                for s in (shard,) if shard is not None else self._shards:
                    s.close()  # drops this thread's connection, rolling back anything left open
                error = _store_error(f"{what} in soft-token store", self.directory, exc, self.directory)
                raise StoreError(f"{error}; entries stored before are unchanged") from exc

    # ------------------------------------------------ documents

    def add_references(self, doc_id: str, chunk_hashes: Sequence[str]) -> None:
        """Record that ``doc_id`` uses these chunks (idempotent)."""
        if not isinstance(doc_id, str) or not doc_id:
            raise InputError(f"doc_id must be a non-empty string, got {doc_id!r}")
        for h in chunk_hashes:
            _check_hex("chunk hash", h)
        with self._refs() as con:
            con.executemany("INSERT OR IGNORE INTO refs VALUES (?, ?)", [(doc_id, h) for h in chunk_hashes])

    def document_chunks(self, doc_id: str) -> list[str]:
        """Chunk hashes referenced by a document, sorted."""
        with self._refs() as con:
            return [r[0] for r in con.execute("SELECT chunk_hash FROM refs WHERE doc_id = ? ORDER BY 1", (doc_id,))]

    def chunk_documents(self, chunk_hash: str) -> list[str]:
        """Documents referencing a chunk, sorted."""
        with self._refs() as con:
            return [r[0] for r in con.execute("SELECT doc_id FROM refs WHERE chunk_hash = ? ORDER BY 1", (chunk_hash,))]

    def delete_document(self, doc_id: str) -> int:
        """Forget a document; evict the chunks no other document references. Returns entries removed.

        Runs under the refs table's write lock, so a concurrent ``put`` of a shared chunk either
        lands before (and keeps the chunk) or after (and stores it again).
        """
        with self._refs() as con:
            chunks = [r[0] for r in con.execute("SELECT chunk_hash FROM refs WHERE doc_id = ?", (doc_id,))]
            con.execute("DELETE FROM refs WHERE doc_id = ?", (doc_id,))
            orphans = [h for h in chunks
                       if con.execute("SELECT 1 FROM refs WHERE chunk_hash = ? LIMIT 1", (h,)).fetchone() is None]
            return sum(self._evict(h) for h in orphans)

    def _evict(self, chunk_hash: str) -> int:
        """Remove every entry of a chunk (any fingerprint, any rate) from every shard."""
        removed = 0
        for shard in self._shards:

            def evict_here(shard: diskcache.Cache = shard) -> int:
                nonlocal removed
                try:
                    return shard.evict(chunk_hash, retry=False)
                except diskcache.Timeout as timeout:  # it removed some before the lock timed out
                    removed += timeout.args[0]
                    raise

            removed += self._retry_locked(evict_here, f"evict {chunk_hash}", shard)
        return removed

    @contextlib.contextmanager
    def _refs(self) -> Iterator[sqlite3.Connection]:
        """The refs connection inside one IMMEDIATE transaction (re-entrant in a thread)."""
        with self._refs_lock:
            con, nested = None, False
            try:
                con = self._refs_connection()
                nested = con.in_transaction
                if not nested:
                    con.execute("BEGIN IMMEDIATE")
                yield con
                if not nested:
                    con.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                if con is not None and not nested and con.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        con.execute("ROLLBACK")
                raise _store_error("use the document references", self.directory / REFS_NAME, exc,
                                   self.directory) from exc
            except BaseException:
                if con is not None and not nested and con.in_transaction:
                    con.execute("ROLLBACK")
                raise

    def _refs_connection(self) -> sqlite3.Connection:
        if self._refs_con is None or self._refs_pid != os.getpid():  # reconnect after a fork
            con = sqlite3.connect(self.directory / REFS_NAME, timeout=self.lock_timeout,
                                  isolation_level=None, check_same_thread=False)
            try:
                con.execute("PRAGMA journal_mode = WAL")
                con.execute("PRAGMA synchronous = NORMAL")  # as diskcache: durable at checkpoints, never corrupt
            except sqlite3.Error:
                con.close()
                raise
            self._refs_con, self._refs_pid = con, os.getpid()
        return self._refs_con

    # ------------------------------------------------ housekeeping

    def stats(self) -> StoreStats:
        """This object's counters and the store's current entry count and volume."""
        c = self._counters
        with c.lock:
            counts = (c.hits, c.misses, c.corrupt, c.writes, c.bytes_written, c.bytes_read)
        return StoreStats(*counts, entries=len(self), volume=self.volume())

    def volume(self) -> int:
        """Bytes on disk that ``size_limit`` governs (SQLite pages of all shards)."""
        try:
            return sum(shard.volume() for shard in self._shards)
        except sqlite3.Error as exc:
            raise _store_error("read soft-token store", self.directory, exc, self.directory) from exc

    def __len__(self) -> int:
        return sum(len(shard) for shard in self._shards)

    def close(self) -> None:
        """Close every database connection of this object (it reopens lazily if used again)."""
        for shard in self._shards:
            shard.close()
        with self._refs_lock:
            if self._refs_con is not None and self._refs_pid == os.getpid():
                self._refs_con.close()
            self._refs_con = None

    def __enter__(self) -> "SoftTokenStore":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SoftTokenStore({str(self.directory)!r}, dtype={self.dtype!r}, shards={len(self._shards)})"


# ---------------------------------------------------------------- benchmark


def bench_store(n: int = 1000, d: int = 576, rows: int = 64, dtype: str = "float16",
                directory: str | Path | None = None, with_doc_ids: bool = True) -> dict[str, float]:
    """Median microseconds per put and per get of ``n`` (rows, d) entries in a fresh store.

    with_doc_ids: each put also records a document reference (as ingestion does; one more commit).
    """
    gen = torch.Generator().manual_seed(0)
    tensors = [torch.randn(rows, d, generator=gen) for _ in range(min(n, 64))]
    fingerprint = "f" * 32
    hashes = [content_hash(f"chunk {i}") for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="gmsa-bench-store-") as tmp:
        with SoftTokenStore(directory or tmp, size_limit=2**34, dtype=dtype) as store:
            put_s, get_s = [], []
            for i, h in enumerate(hashes):
                t0 = time.perf_counter()
                store.put(fingerprint, h, {4: tensors[i % len(tensors)]}, num_tokens=rows * 4,
                          doc_id=f"doc{i // 10}" if with_doc_ids else None)
                put_s.append(time.perf_counter() - t0)
            for h in hashes:
                t0 = time.perf_counter()
                got = store.get(fingerprint, h, 4)
                get_s.append(time.perf_counter() - t0)
                assert got is not None
            volume = store.volume()
    return {"n": n, "rows": rows, "d": d, "dtype": dtype, "with_doc_ids": with_doc_ids,
            "put_us_median": statistics.median(put_s) * 1e6, "get_us_median": statistics.median(get_s) * 1e6,
            "puts_per_s": n / sum(put_s), "gets_per_s": n / sum(get_s), "bytes_per_entry": volume / n}
