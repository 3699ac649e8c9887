"""Faults: kill -9 mid-work, damaged files, a full disk, concurrent writers, the wrong model.

Kills and disk limits run in child processes (tests/fault_worker.py) so they are real: a SIGKILL
runs no cleanup, and RLIMIT_FSIZE makes every write past the cap fail with EFBIG. After each
fault the collection must open, hold its previous state, and reach exactly the state of an
uninterrupted run. See docs/FAILURES.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from gmsa_rag.collection import Collection
from gmsa_rag.errors import CheckpointError, ModelMismatchError
from gmsa_rag.model import GMSAModel
from gmsa_rag.retrieval import BACKUP_NAME, MANIFEST_NAME, IndexCorruptError
from gmsa_rag.store import _read_header, entry_key
from fault_worker import CHUNK_TOKENS
from tiny import DOCS, tiny_backbone, tiny_model

WORKER = Path(__file__).parent / "fault_worker.py"
SEED = 7  # the kill points are drawn from this seed: random across cases, the same every run
MORE_DOCS = {
    "london.txt": "London is the capital of England. The river of London is old.",
    "lisbon.txt": "The city by the river was the capital of the west. It was great and old.",
}


def run_worker(scenario: str, args: dict, *, expect_kill: bool = False, timeout: int = 240) -> dict:
    """Run a worker; return its JSON result, or {} when it was (as expected) SIGKILLed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(WORKER), scenario, json.dumps(args)], capture_output=True, text=True,
                          env=env, timeout=timeout)
    if expect_kill:
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr[-3000:])
        return {}
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_docs(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def real_embedder(embedder, monkeypatch):
    monkeypatch.setattr("gmsa_rag.retrieval.Embedder.load", classmethod(lambda cls, name="x", device=None: embedder))
    return embedder


def open_collection(root: Path) -> Collection:
    return Collection.open("c", tiny_model(), root=root, create=True, chunk_tokens=CHUNK_TOKENS)


def index_state(collection: Collection) -> dict:
    """Chunks by (doc_id, index): text, hash, tokens and the faiss vector."""
    collection.index = collection.index.reopen()  # what is on disk, not in memory
    state = {}
    for record in collection.index.records():
        vector = collection.index._index.reconstruct(int(record.chunk_id))  # IndexIDMap2 maps the id
        state[(record.doc_id, record.index)] = (record.text, record.content_hash, record.num_tokens, vector)
    return state


def store_state(collection: Collection) -> dict:
    """Every stored value by key, as (metadata, header entries, the tensor's raw bytes): a bit-for-bit
    comparison of what is stored. (Not the whole value: safetensors writes the metadata keys of its
    JSON header in a per-process hash order, so two processes write the same content in different
    byte orders.)"""
    fp = collection.model.fingerprint()
    out = {}
    for chunk in collection.chunks():
        for rate in (4, 8):
            key = entry_key(fp, chunk.content_hash, rate)
            raw = collection.store._read(key)
            if raw is not None:
                payload = raw[40:]  # magic (8) + sha256 (32)
                assert hashlib.sha256(payload).digest() == raw[8:40], key
                header, metadata = _read_header(payload)
                data = payload[8 + int.from_bytes(payload[:8], "little"):]
                out[key] = (metadata, header, data)
    return out


def _tensors(entry: tuple) -> dict[str, np.ndarray]:
    _, header, data = entry
    dtypes = {"F16": np.float16, "F32": np.float32}
    return {name: np.frombuffer(data[info["data_offsets"][0]:info["data_offsets"][1]], dtype=dtypes[info["dtype"]])
            for name, info in header.items()}


def assert_same_store(a: dict, b: dict) -> None:
    """The same entries: keys, metadata and tensor headers exactly, values to rounding. Vectors
    computed in another encoder batch (other rows, other padding) can differ in their last bits
    on some CPUs (AVX2 kernels block by the batch's shape; bit-identical on the AMX Xeon)."""
    assert a.keys() == b.keys()
    for key in a:
        assert a[key][:2] == b[key][:2], key
        ta, tb = _tensors(a[key]), _tensors(b[key])
        for name in ta:
            np.testing.assert_allclose(ta[name].astype(np.float32), tb[name].astype(np.float32), rtol=1e-3, atol=1e-3)  # seen: 3e-5 (one fp16 step) on an AVX2 EPYC


def assert_same_index(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key][:3] == b[key][:3], key
        np.testing.assert_allclose(a[key][3], b[key][3], atol=1e-6)


@pytest.fixture
def reference(tmp_path, real_embedder):
    """The uninterrupted run: DOCS, then MORE_DOCS, indexed and precompressed."""
    first = write_docs(tmp_path / "first", DOCS)
    second = write_docs(tmp_path / "second", MORE_DOCS)
    collection = open_collection(tmp_path / "ref")
    collection.ingest([first], progress=False)
    collection.ingest([second], progress=False)
    return {"first": first, "second": second, "index": index_state(collection), "store": store_state(collection)}


# ------------------------------------------------------------------ kill -9


KILL_POINTS = ["embed:1", "embed:2", "save:1", "save:2", "save:3"]  # add_document calls / file writes of a save


@pytest.mark.parametrize("point", random.Random(SEED).sample(KILL_POINTS, 2))
def test_kill_during_indexing_then_rerun_equals_uninterrupted(tmp_path, reference, point):
    root = tmp_path / "killed"
    run_worker("ingest", {"root": str(root), "first": str(reference["first"]), "second": str(reference["second"]),
                          "kill": point}, expect_kill=True)
    collection = open_collection(root)  # opens cleanly: the first batch, nothing half-written
    assert set(collection.index.documents()) == set(DOCS)
    report = collection.ingest([reference["second"]], progress=False)
    assert sorted(report.added) == sorted(MORE_DOCS)
    assert_same_index(index_state(collection), reference["index"])
    assert store_state(collection) == reference["store"]
    assert not [p.name for p in (root / "c" / "index").iterdir() if p.name.endswith(".tmp")]  # debris swept


def test_kill_during_precompression_resumes_to_identical_entries(tmp_path, reference):
    root = tmp_path / "killed"
    collection = open_collection(root)
    collection.ingest([reference["first"]], progress=False)
    collection.ingest([reference["second"]], compress=False, progress=False)
    kill_at = random.Random(SEED).randint(2, 3)  # an encoder batch of 2 chunks
    run_worker("precompress", {"root": str(root), "kill": kill_at}, expect_kill=True)
    partial = store_state(open_collection(root))
    assert len(reference["store"]) > len(partial) > 0
    assert_same_store({k: reference["store"][k] for k in partial}, partial)  # what was stored is whole and right
    report = open_collection(root).precompress(progress=False)
    assert report.cached > 0 and report.computed > 0
    resumed = open_collection(root)
    assert_same_store(store_state(resumed), reference["store"])
    assert resumed.store.stats().corrupt == 0


@pytest.fixture
def ae_data(tmp_path):
    from test_training import texts

    path = tmp_path / "ae.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts(32)))
    return path


def trained_weights(out: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(out / "model" / "model.safetensors"))


def resumed_at(out: Path) -> list:
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    return [r["resumed_at"] for r in records if r.get("event") == "start"]


def test_kill_during_training_twice_then_resume_equals_uninterrupted(tmp_path, ae_data):
    """Killed in the step-6 checkpoint swap (between 'checkpoint -> checkpoint.old' and
    'checkpoint.tmp -> checkpoint'), resumed, killed in the swap again, resumed to the end."""
    from test_training import model, run_config
    from gmsa_rag.training.trainer import Trainer

    whole = tmp_path / "whole"
    Trainer(model(), run_config(ae_data, whole)).run()
    part = tmp_path / "part"
    args = {"data": str(ae_data), "out": str(part)}
    run_worker("train", {**args, "kill": "swap:2"}, expect_kill=True)  # in the step-6 save
    assert not (part / "checkpoint").exists() and (part / "checkpoint.old").is_dir()
    run_worker("train", {**args, "kill": "swap:1"}, expect_kill=True)  # resumed from .old, killed again
    assert (part / "checkpoint.old").is_dir()  # the step-3 state survived the second kill
    Trainer(model(), run_config(ae_data, part)).run()
    assert resumed_at(part) == [None, 3, 3]
    a, b = trained_weights(whole), trained_weights(part)
    assert all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ damaged files


@pytest.fixture
def built(tmp_path, real_embedder):
    collection = open_collection(tmp_path / "idx")
    collection.ingest([write_docs(tmp_path / "docs", DOCS)], progress=False)
    return collection


def test_corrupt_store_entry_is_a_miss_recomputed_and_repair_finds_it(built, caplog):
    fp = built.model.fingerprint()
    before = store_state(built)
    chunk = built.chunks()[0]
    key = entry_key(fp, chunk.content_hash, 4)
    shard = built.store._shard(key)
    raw = bytearray(shard.get(key))
    raw[-5] ^= 0xFF  # one flipped byte inside the vectors
    shard.set(key, bytes(raw))
    hit = next(h for h in built.retrieve(chunk.text, 5) if h.record.content_hash == chunk.content_hash)
    soft = built.soft_vectors([hit], 4)  # the query path: a miss, recomputed, never the bad bytes
    assert (soft.hits, soft.misses) == (0, 1) and "discarding entry" in caplog.text
    assert store_state(built) == before

    shard.set(key, bytes(raw))  # damaged again; this time `repair` finds it without a query
    report = Collection.repair("c", built.model, root=built.directory.parent)
    assert report.index_actions == [] and report.corrupt_entries == 1 and report.precompress.computed == 1
    assert store_state(built) == before


def test_corrupt_faiss_file_is_reported_and_repaired(built):
    before = index_state(built)
    faiss_file = built.index.directory / built.index.manifest["files"]["faiss"]["name"]
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match="faiss file .* is corrupt.*gmsa-rag repair --index c"):
        Collection.open("c", built.model, root=built.directory.parent)
    report = Collection.repair("c", built.model, root=built.directory.parent)
    assert len(report.index_actions) == 1 and "rebuilt the faiss file" in report.index_actions[0]
    assert_same_index(index_state(Collection.open("c", built.model, root=built.directory.parent)), before)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "edited", "deleted"])
def test_damaged_manifest_is_reported_and_restored_from_its_backup(built, damage):
    before = index_state(built)
    manifest = built.index.directory / MANIFEST_NAME
    data = manifest.read_bytes()
    if damage == "truncated":
        manifest.write_bytes(data[: len(data) // 3])
    elif damage == "garbage":
        manifest.write_bytes(os.urandom(len(data)))
    elif damage == "edited":
        manifest.write_bytes(data.replace(b'"next_id": ', b'"next_id": 1'))
    else:
        manifest.unlink()
    with pytest.raises(IndexCorruptError, match="repair"):
        Collection.open("c", built.model, root=built.directory.parent)
    with pytest.raises(IndexCorruptError, match="repair"):  # create=True must not wipe it either
        Collection.open("c", built.model, root=built.directory.parent, create=True)
    report = Collection.repair("c", built.model, root=built.directory.parent)
    assert "restored manifest.json" in report.index_actions[0]
    reopened = Collection.open("c", built.model, root=built.directory.parent)
    assert_same_index(index_state(reopened), before)
    assert reopened.ingest([], progress=False).precompress.computed == 0


def test_manifest_and_backup_both_damaged_says_to_reindex(built):
    for name in (MANIFEST_NAME, BACKUP_NAME):
        (built.index.directory / name).write_bytes(b"{")
    with pytest.raises(IndexCorruptError, match="index the documents again"):
        Collection.repair("c", built.model, root=built.directory.parent)


def test_first_save_killed_before_its_manifest_is_recreated(tmp_path, real_embedder):
    index_dir = tmp_path / "idx" / "c" / "index"
    index_dir.mkdir(parents=True)
    (index_dir / "index.000001-deadbeef.faiss").write_bytes(b"half")  # data files, no manifest yet
    collection = open_collection(tmp_path / "idx")
    assert len(collection.index) == 0 and not (index_dir / "index.000001-deadbeef.faiss").exists()


# ------------------------------------------------------------------ full disk


def test_disk_full_is_a_clear_error_and_the_previous_state_is_intact(tmp_path, real_embedder):
    root = tmp_path / "idx"
    collection = open_collection(root)
    collection.ingest([write_docs(tmp_path / "a", {k: DOCS[k] for k in ("paris.txt", "rome.txt")})], progress=False)
    collection.ingest([write_docs(tmp_path / "b", {"berlin.txt": DOCS["berlin.txt"]})], compress=False, progress=False)
    index_before, store_before = index_state(collection), store_state(collection)
    collection.store.close()
    big = write_docs(tmp_path / "big", {"big.txt": " ".join(f"The city number {i} is old." for i in range(300))})

    outcome = run_worker("disk_full", {"root": str(root), "big": str(big), "limit": 2048})
    assert outcome["ingest"].startswith("IndexWriteError") and "File too large" in outcome["ingest"]
    assert "previously saved version is intact" in outcome["ingest"]
    assert outcome["precompress"].startswith("StoreError")
    assert "the disk refused the write (disk I/O error: full, over a file size limit" in outcome["precompress"]

    after = open_collection(root)  # opens cleanly, as it was
    assert_same_index(index_state(after), index_before)
    assert store_state(after) == store_before and after.store.stats().corrupt == 0
    assert not [p for p in (root / "c" / "index").iterdir() if p.name.endswith(".tmp")]
    report = after.ingest([big], progress=False)  # with room again, everything completes
    assert report.added == ["big.txt"] and set(after.index.documents()) == set(DOCS) | {"big.txt"}
    assert all(after.store.has(after.model.fingerprint(), c.content_hash, 4) for c in after.chunks())


# ------------------------------------------------------------------ concurrent writers


def test_concurrent_ingests_into_one_collection_lose_nothing(tmp_path, real_embedder):
    root, start = tmp_path / "idx", tmp_path / "start"
    folders = [write_docs(tmp_path / f"w{w}", {f"w{w}-{name}": f"{text} Worker {w} wrote this." for name, text in DOCS.items()})
               for w in range(3)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    procs = [subprocess.Popen([sys.executable, str(WORKER), "concurrent",
                               json.dumps({"root": str(root), "folder": str(f), "start": str(start)})],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for f in folders]
    time.sleep(1.0)  # let them import and race to create the collection
    start.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all("error" not in r for r in results), results
    collection = open_collection(root)
    expected = {f"w{w}-{name}" for w in range(3) for name in DOCS}
    assert set(collection.index.documents()) == expected
    fp = collection.model.fingerprint()
    hashes = {c.content_hash for c in collection.chunks()}
    assert all(collection.store.has(fp, h, r) for h in hashes for r in (4, 8))
    assert len(collection.store) == 2 * len(hashes) and collection.store.stats().corrupt == 0
    for doc_id in expected:  # the reference table knows every document
        assert collection.store.document_chunks(doc_id)


def test_a_held_write_lock_gives_a_clear_busy_error(built):
    from filelock import FileLock

    from gmsa_rag.collection import WRITE_LOCK, CollectionBusyError

    built.lock_timeout = 0.2
    with FileLock(str(built.directory / WRITE_LOCK)):  # another holder (flock: a second open file)
        with pytest.raises(CollectionBusyError, match="being written by another process"):
            built.ingest([], progress=False)
        with pytest.raises(CollectionBusyError):
            built.delete("paris.txt")
    assert "paris.txt" in built.index.documents()


# ------------------------------------------------------------------ the wrong model or weights


def test_another_backbone_is_refused_with_the_fix(built):
    with pytest.raises(ModelMismatchError, match="use the same model, or index the documents again under another name"):
        Collection.open("c", tiny_model(seed=1), root=built.directory.parent)


def test_other_trained_weights_never_read_the_stored_vectors(built):
    """Same backbone, other GMSA weights: another fingerprint, so every stored value misses and
    the new model's own vectors are computed (never the old model's)."""
    other = tiny_model()
    with torch.no_grad():
        other.separator.add_(0.5)
    assert other.fingerprint() != built.model.fingerprint()
    collection = Collection.open("c", other, root=built.directory.parent)
    hits = collection.retrieve("capital of Germany", 2)
    soft = collection.soft_vectors(hits, 4)
    assert soft.misses == 2 and soft.hits == 0
    fresh = other.compress([h.record.text for h in hits])
    for got, want in zip(soft.vectors, fresh):
        torch.testing.assert_close(got, want.vectors[4], rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("problem", ["unexpected key", "wrong shape", "pickle", "empty", "huge header"])
def test_bad_safetensors_weights_fail_with_checkpoint_error(tmp_path, problem):
    model = tiny_model()
    model.save_pretrained(tmp_path / "m")
    path = tmp_path / "m" / "model.safetensors"
    tensors = {k: v.clone().contiguous() for k, v in model.trained_state_dict().items()}
    if problem == "unexpected key":
        tensors["encoder.extra.weight"] = torch.zeros(2, 2)
        save_file(tensors, str(path))
    elif problem == "wrong shape":
        name = sorted(tensors)[0]
        tensors[name] = torch.zeros(*[s + 1 for s in tensors[name].shape])
        save_file(tensors, str(path))
    elif problem == "pickle":
        import pickle  # security-scan: allow (a test writes a pickle to prove it is refused)

        path.write_bytes(pickle.dumps({"x": 1}))
    elif problem == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes((2**62).to_bytes(8, "little") + b"{}")
    lm, tokenizer = tiny_backbone("llama")
    with pytest.raises(CheckpointError, match="do not fit|has shape|corrupted"):
        GMSAModel.from_parts(tmp_path / "m", model.config, lm, tokenizer)
