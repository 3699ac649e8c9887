"""The soft-token store: round trips, integrity, isolation, eviction, size limit, concurrency, disk errors."""

from __future__ import annotations

import errno
import hashlib
import logging
import math
import multiprocessing
import os
import sqlite3

import diskcache
import pytest
import torch

from gmsa_rag.errors import ConfigError, GMSAError, InputError
from gmsa_rag.store import (
    MARKER_NAME,
    REFS_NAME,
    SoftTokenStore,
    StoreError,
    content_hash,
    encode_value,
    entry_key,
)

FP = "a" * 32
OTHER_FP = "b" * 32
TOLERANCE = {"float16": 1e-3, "bfloat16": 8e-3, "float32": 0.0}  # relative, for values of order 1


def vectors(seed: int, num_tokens: int = 37, rate: int = 4, d: int = 24) -> torch.Tensor:
    """Deterministic (ceil(num_tokens / rate), d) vectors."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(math.ceil(num_tokens / rate), d, generator=gen)


def h(name: str) -> str:
    return content_hash(f"chunk text {name}")


def raw_shard(store: SoftTokenStore, key: str) -> diskcache.Cache:
    """The diskcache shard holding ``key`` (for tampering with stored bytes)."""
    return store._shard(key)


@pytest.fixture
def store(tmp_path):
    with SoftTokenStore(tmp_path / "store", size_limit=2**26) as s:
        yield s


# ------------------------------------------------------------------ round trips


def test_content_hash_is_sha256_of_nfc_text():
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert content_hash(composed) == content_hash(decomposed)
    assert content_hash("a") != content_hash("a ")
    assert len(content_hash("x")) == 64 and int(content_hash("x"), 16) >= 0


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_round_trip_within_dtype_tolerance(tmp_path, dtype):
    original = {4: vectors(1, rate=4), 8: vectors(2, rate=8)}
    with SoftTokenStore(tmp_path / "s", dtype=dtype) as store:
        store.put(FP, h("x"), original, num_tokens=37, doc_id="doc")
    with SoftTokenStore(tmp_path / "s", dtype=dtype) as store:  # reopened: it is on disk
        for rate, tensor in original.items():
            entry = store.get_entry(FP, h("x"), rate)
            assert entry is not None and entry.num_tokens == 37 and entry.dtype == dtype
            assert entry.vectors.dtype == torch.float32 and entry.vectors.shape == tensor.shape
            tol = TOLERANCE[dtype]
            torch.testing.assert_close(entry.vectors, tensor, rtol=tol, atol=tol * 4)
        assert store.stats().hits == 2 and store.stats().misses == 0


def test_stored_dtype_is_the_one_written_and_a_store_reads_every_dtype(tmp_path):
    with SoftTokenStore(tmp_path / "s", dtype="bfloat16") as store:
        store.put(FP, h("x"), {4: vectors(1)})
    with SoftTokenStore(tmp_path / "s", dtype="float32") as store:
        assert store.get_entry(FP, h("x"), 4).dtype == "bfloat16"
        store.put(FP, h("y"), {4: vectors(2)})
        assert torch.equal(store.get(FP, h("y"), 4), vectors(2))
    fp16 = len(encode_value(vectors(1), dtype="float16", fingerprint=FP, chunk_hash=h("x"), rate=4, num_tokens=None))
    fp32 = len(encode_value(vectors(1), dtype="float32", fingerprint=FP, chunk_hash=h("x"), rate=4, num_tokens=None))
    assert fp32 - fp16 == vectors(1).numel() * 2


def test_rates_are_stored_independently(store):
    a, b = vectors(1, rate=4), vectors(2, rate=8)
    store.put(FP, h("x"), {4: a, 8: b}, num_tokens=37)
    assert store.has(FP, h("x"), 4) and store.has(FP, h("x"), 8) and not store.has(FP, h("x"), 2)
    assert store.get(FP, h("x"), 2) is None
    store.put(FP, h("x"), {4: vectors(3, rate=4)})  # overwrite one rate only
    torch.testing.assert_close(store.get(FP, h("x"), 4), vectors(3), rtol=1e-3, atol=4e-3)
    torch.testing.assert_close(store.get(FP, h("x"), 8), b, rtol=1e-3, atol=4e-3)
    assert store.get_many(FP, [h("x"), h("nope")], 8)[1] is None
    assert len(store) == 2


def test_fingerprint_isolation(store):
    store.put(FP, h("x"), {4: vectors(1)})
    assert store.get(OTHER_FP, h("x"), 4) is None
    assert not store.has(OTHER_FP, h("x"), 4)
    store.put(OTHER_FP, h("x"), {4: vectors(2)})
    assert not torch.allclose(store.get(FP, h("x"), 4), store.get(OTHER_FP, h("x"), 4))
    # a value that is intact but was written for another key is refused (metadata names its key)
    key_a, key_b = entry_key(FP, h("x"), 4), entry_key(OTHER_FP, h("x"), 4)
    raw_shard(store, key_b).set(key_b, raw_shard(store, key_a).get(key_a))
    assert store.get(OTHER_FP, h("x"), 4) is None
    assert store.stats().corrupt == 1


# ------------------------------------------------------------------ integrity


def _flip(raw: bytes) -> bytes:
    i = len(raw) - 7  # inside the tensor data
    return raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]


CORRUPTIONS = {
    "flipped bit": _flip,
    "truncated": lambda raw: raw[: len(raw) // 2],
    "wrong magic": lambda raw: b"XXXXXXXX" + raw[8:],
    "empty": lambda raw: b"",
    "garbage": lambda raw: os.urandom(len(raw)),
    "checksum ok, header garbage": lambda raw: _rechecksum(raw[:40] + b"\xff" * 8 + raw[48:]),
}


def _rechecksum(raw: bytes) -> bytes:
    return raw[:8] + hashlib.sha256(raw[40:]).digest() + raw[40:]


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupt_value_is_a_counted_logged_miss_and_is_recomputed(store, caplog, kind):
    store.put(FP, h("x"), {4: vectors(1), 8: vectors(1, rate=8)}, num_tokens=37)
    key = entry_key(FP, h("x"), 4)
    shard = raw_shard(store, key)
    shard.set(key, CORRUPTIONS[kind](shard.get(key)))
    with caplog.at_level(logging.WARNING, logger="gmsa_rag.store"):
        assert store.get(FP, h("x"), 4) is None
    assert "discarding entry" in caplog.text and key in caplog.text
    stats = store.stats()
    assert (stats.corrupt, stats.misses, stats.hits) == (1, 1, 0)
    assert not store.has(FP, h("x"), 4)  # deleted, so the next lookup is a plain miss
    assert store.get(FP, h("x"), 8) is not None  # the other rate is untouched
    store.put(FP, h("x"), {4: vectors(1)}, num_tokens=37)  # recompute and store again
    torch.testing.assert_close(store.get(FP, h("x"), 4), vectors(1), rtol=1e-3, atol=4e-3)


class _Tripwire:
    """Unpickling this creates a file: proof that the store never unpickles."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickled_rows_are_never_unpickled(store, tmp_path):
    key = entry_key(FP, h("x"), 4)
    tripwire = tmp_path / "unpickled"
    with diskcache.Cache(raw_shard(store, key).directory) as plain:  # a writer using diskcache's default Disk
        plain.set(key, _Tripwire(str(tripwire)))
    assert store.get(FP, h("x"), 4) is None
    assert not tripwire.exists()
    assert store.stats().corrupt == 1
    with pytest.raises(TypeError):
        raw_shard(store, key).set(key, {"not": "bytes"})


def test_bad_input_is_refused_before_anything_is_written(store):
    with pytest.raises(InputError, match="fingerprint"):
        store.put("not-hex", h("x"), {4: vectors(1)})
    with pytest.raises(InputError, match="rate"):
        store.put(FP, h("x"), {0: vectors(1)})
    with pytest.raises(InputError, match="37 tokens at rate 4 give 10"):
        store.put(FP, h("x"), {4: vectors(1, num_tokens=80)}, num_tokens=37)
    nan = vectors(1)
    nan[0, 0] = float("nan")
    with pytest.raises(InputError, match="not finite"):
        store.put(FP, h("x"), {8: vectors(2, rate=8), 4: nan})
    with pytest.raises(InputError, match="bfloat16 or float32"):
        store.put(FP, h("x"), {4: vectors(1) * 1e6})  # overflows fp16
    with pytest.raises(InputError, match="shape"):
        store.put(FP, h("x"), {4: torch.zeros(3)})
    assert len(store) == 0 and store.document_chunks("d") == []
    with pytest.raises(ConfigError):
        SoftTokenStore(store.directory, dtype="int8")


# ------------------------------------------------------------------ documents and eviction


def test_delete_document_evicts_only_unshared_chunks(store):
    for name, docs in {"a1": ["A"], "a2": ["A"], "shared": ["A", "B"], "b1": ["B"]}.items():
        for doc in docs:
            store.put(FP, h(name), {4: vectors(1), 8: vectors(2, rate=8)}, doc_id=doc)
    store.put(OTHER_FP, h("a1"), {4: vectors(3)}, doc_id="A")  # another model's vectors of the same chunk
    store.put(FP, h("loose"), {4: vectors(4)})  # no document: only size_limit governs it
    assert store.chunk_documents(h("shared")) == ["A", "B"]
    assert store.document_chunks("A") == sorted([h("a1"), h("a2"), h("shared")])

    assert store.delete_document("A") == 5  # a1 x 2 rates + a1 other model + a2 x 2 rates
    for name, present in {"a1": False, "a2": False, "shared": True, "b1": True, "loose": True}.items():
        assert store.has(FP, h(name), 4) is present, name
    assert not store.has(OTHER_FP, h("a1"), 4)
    assert store.get(FP, h("shared"), 8) is not None
    assert store.chunk_documents(h("shared")) == ["B"] and store.document_chunks("A") == []

    assert store.delete_document("A") == 0 and store.delete_document("never-seen") == 0
    assert store.delete_document("B") == 4
    assert len(store) == 1 and store.has(FP, h("loose"), 4)


def test_add_references_without_writing_keeps_a_chunk_alive(store):
    store.put(FP, h("x"), {4: vectors(1)}, doc_id="A")
    store.add_references("B", [h("x")])  # B found the chunk already stored and skipped the put
    store.delete_document("A")
    assert store.has(FP, h("x"), 4)
    with pytest.raises(InputError):
        store.add_references("", [h("x")])


def test_size_limit_is_explicit_and_culls_oldest(tmp_path):
    limit = 2 * 2**20
    with SoftTokenStore(tmp_path / "s", size_limit=limit, shards=2) as store:
        assert [shard.size_limit for shard in store._shards] == [limit // 2] * 2  # split per shard, persisted
        big = torch.randn(64, 576)  # ~74 kB in fp16
        names = [f"c{i}" for i in range(100)]  # ~7.4 MB in total
        for name in names:
            store.put(FP, h(name), {4: big})
        assert store.volume() <= limit * 1.25, store.volume()
        assert 0 < len(store) < 40
        assert store.has(FP, h(names[-1]), 4) and not store.has(FP, h(names[0]), 4)
    with pytest.raises(ConfigError, match="size_limit"):
        SoftTokenStore(tmp_path / "t", size_limit=1000)


def test_reopen_keeps_the_shard_count(tmp_path):
    SoftTokenStore(tmp_path / "s", shards=3).close()
    with SoftTokenStore(tmp_path / "s") as store:
        assert len(store._shards) == 3
    with pytest.raises(ConfigError, match="3 shards"):
        SoftTokenStore(tmp_path / "s", shards=4)


# ------------------------------------------------------------------ several processes


N_WORKERS, N_OWN, N_SHARED = 4, 50, 10


def _writer(directory: str, worker: int, barrier) -> None:
    barrier.wait()  # all open (and create) the store at once, then write at once
    with SoftTokenStore(directory, shards=4, lock_timeout=120) as store:
        for i in range(N_OWN):
            store.put(FP, h(f"w{worker}-{i}"), {4: vectors(1000 * worker + i)}, doc_id=f"doc{worker}", num_tokens=37)
            if i % 5 == 0:  # the shared chunks: every worker writes the same values, interleaved
                j = i // 5
                store.put(FP, h(f"shared-{j}"), {4: vectors(j), 8: vectors(j, rate=8)}, doc_id=f"doc{worker}")


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    directory = str(tmp_path / "store")  # not created yet: the workers race to create it
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(N_WORKERS)
    workers = [ctx.Process(target=_writer, args=(directory, w, barrier)) for w in range(N_WORKERS)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=300)
    assert [p.exitcode for p in workers] == [0] * N_WORKERS

    with SoftTokenStore(directory) as store:
        assert len(store) == N_WORKERS * N_OWN + 2 * N_SHARED
        for w in range(N_WORKERS):
            for i in range(N_OWN):
                got = store.get(FP, h(f"w{w}-{i}"), 4)
                assert got is not None, (w, i)
                torch.testing.assert_close(got, vectors(1000 * w + i), rtol=1e-3, atol=4e-3)
        for j in range(N_SHARED):
            torch.testing.assert_close(store.get(FP, h(f"shared-{j}"), 8), vectors(j, rate=8), rtol=1e-3, atol=4e-3)
            assert store.chunk_documents(h(f"shared-{j}")) == [f"doc{w}" for w in range(N_WORKERS)]
        assert store.stats().corrupt == 0
        assert store.delete_document("doc0") == N_OWN
        assert len(store) == (N_WORKERS - 1) * N_OWN + 2 * N_SHARED


# ------------------------------------------------------------------ disk errors and foreign directories


def _fill_disk(store: SoftTokenStore) -> None:
    """Make SQLite report SQLITE_FULL: no shard database may grow by a single page."""
    for shard in store._shards:
        ((pages,),) = shard._sql("PRAGMA page_count").fetchall()
        shard._sql(f"PRAGMA max_page_count = {pages}")


def test_disk_full_raises_store_error_and_keeps_entries(store):
    store.put(FP, h("old"), {4: vectors(1)}, doc_id="A")
    _fill_disk(store)
    with pytest.raises(StoreError, match="disk is full") as info:
        store.put(FP, h("new"), {4: torch.randn(64, 576)}, doc_id="A")
    assert str(store.directory) in str(info.value) and isinstance(info.value, GMSAError)
    assert not store.has(FP, h("new"), 4)
    torch.testing.assert_close(store.get(FP, h("old"), 4), vectors(1), rtol=1e-3, atol=4e-3)
    store.close()  # fresh connections drop the page cap, as a freed disk would
    store.put(FP, h("new"), {4: vectors(2)})
    assert store.get(FP, h("new"), 4) is not None


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        (sqlite3.OperationalError("database or disk is full"), "disk is full"),
        (PermissionError(errno.EACCES, "Permission denied"), "no permission"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "no permission"),
    ],
)
def test_write_errors_become_store_errors(store, monkeypatch, error, message):
    store.put(FP, h("old"), {4: vectors(1)})

    def refuse(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(diskcache.Cache, "set", refuse)
    with pytest.raises(StoreError, match=message) as info:
        store.put(FP, h("new"), {4: vectors(2)})
    assert "entries stored before are unchanged" in str(info.value)
    monkeypatch.undo()
    assert store.get(FP, h("old"), 4) is not None and not store.has(FP, h("new"), 4)


def test_lock_timeout_is_reported(store, monkeypatch):
    def busy(self, *args, **kwargs):
        raise diskcache.Timeout

    store.lock_timeout = 0.05
    monkeypatch.setattr(diskcache.Cache, "set", busy)
    with pytest.raises(StoreError, match="locked by another process"):
        store.put(FP, h("x"), {4: vectors(1)})


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_directory(tmp_path):
    directory = tmp_path / "s"
    with SoftTokenStore(directory) as store:
        store.put(FP, h("old"), {4: vectors(1)})
    paths = [directory, *directory.rglob("*")]
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        with pytest.raises(StoreError, match="permission|read-only"):
            with SoftTokenStore(directory) as store:
                store.put(FP, h("new"), {4: vectors(2)})
    finally:
        for p in paths:
            p.chmod(0o755 if p.is_dir() else 0o644)
    with SoftTokenStore(directory) as store:
        assert store.get(FP, h("old"), 4) is not None


def test_unopenable_read_only_store_is_reported(tmp_path, monkeypatch):
    """What a read-only mount gives even to root: SQLite cannot open, the directory is not writable."""
    directory = tmp_path / "s"
    SoftTokenStore(directory).close()

    def cannot_open(self, *args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(diskcache.Cache, "__init__", cannot_open)
    monkeypatch.setattr("gmsa_rag.store.os.access", lambda path, mode: False)
    with pytest.raises(StoreError, match="000: no permission to write.*fix the permissions"):
        SoftTokenStore(directory)


def test_garbage_database_is_reported(tmp_path):
    directory = tmp_path / "s"
    SoftTokenStore(directory).close()
    (directory / "000" / "cache.db").write_bytes(os.urandom(8192))
    for suffix in ("-wal", "-shm"):
        (directory / "000" / f"cache.db{suffix}").unlink(missing_ok=True)
    with pytest.raises(StoreError, match=r"000.*not valid SQLite databases.*move"):
        SoftTokenStore(directory)


def test_garbage_refs_database_is_reported(tmp_path):
    directory = tmp_path / "s"
    SoftTokenStore(directory).close()
    for name in (REFS_NAME, REFS_NAME + "-wal", REFS_NAME + "-shm"):
        (directory / name).unlink(missing_ok=True)
    (directory / REFS_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="refs.sqlite.*not valid SQLite"):
        SoftTokenStore(directory)


def test_foreign_directories_are_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("milk")
    with pytest.raises(StoreError, match="not a soft-token store"):
        SoftTokenStore(tmp_path / "notes")
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["todo.txt"]  # nothing written there
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        SoftTokenStore(tmp_path / "file")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / MARKER_NAME).write_bytes(b"\x00\xff garbage")
    with pytest.raises(StoreError, match="not a readable soft-token store marker"):
        SoftTokenStore(tmp_path / "bad")
    (tmp_path / "future").mkdir()
    (tmp_path / "future" / MARKER_NAME).write_text('{"format": "gmsa-soft-token-store", "version": 99, "shards": 4}')
    with pytest.raises(StoreError, match="version 99"):
        SoftTokenStore(tmp_path / "future")


def test_stats_count_traffic(store):
    store.put(FP, h("x"), {4: vectors(1), 8: vectors(1, rate=8)})
    store.get(FP, h("x"), 4)
    store.get(FP, h("y"), 4)
    stats = store.stats()
    assert (stats.hits, stats.misses, stats.corrupt, stats.writes, stats.entries) == (1, 1, 0, 2, 2)
    assert stats.bytes_written > stats.bytes_read > vectors(1).numel() * 2
    assert stats.volume == store.volume() > 0


def test_opening_while_another_process_creates_the_store(tmp_path, monkeypatch):
    """Process A sees no marker, then process B creates the store: A must open it, not refuse it."""
    import pathlib

    directory = tmp_path / "store"
    SoftTokenStore(directory).close()  # "process B" created it
    real_exists = pathlib.Path.exists
    first = {"marker": True}

    def exists_once_missing(path, *args, **kwargs):
        if path.name == "gmsa-store.json" and first["marker"]:
            first["marker"] = False
            return False  # A's first look happened before B wrote the marker
        return real_exists(path, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "exists", exists_once_missing)
    with SoftTokenStore(directory) as store:
        assert len(store) == 0

