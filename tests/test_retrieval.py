"""Tests of gmsa_rag.retrieval: the embedder, the faiss index kinds, persistence and integrity.

The real built-in embedder (all-minilm-l6-v2) is loaded once per module, with the network
blocked. Searches use hand-written chunks and paraphrased questions that share few words with
the chunk that answers them, among distractors on neighbouring topics.
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from gmsa_rag import retrieval
from gmsa_rag.errors import ConfigError, GMSAError, InputError, ModelMismatchError
from gmsa_rag.retrieval import (
    MANIFEST_NAME,
    ChunkInput,
    Embedder,
    EmbedderMismatchError,
    EmptyIndexError,
    IndexCorruptError,
    IndexExistsError,
    IndexNotFoundError,
    IndexWriteError,
    UnknownDocumentError,
    VectorIndex,
    content_hash,
    default_index_dir,
)

EMBEDDER = "all-minilm-l6-v2"

DOCUMENTS: dict[str, list[str]] = {
    "connes": [
        "Alain Connes, born on 1 April 1947 in Draguignan, is a French mathematician.",
        "Connes received the Fields Medal in 1982 for his classification of factors of type III.",
        "He is known for founding noncommutative geometry.",
    ],
    "volcano": [
        "Mount Vesuvius erupted in AD 79 and buried the Roman towns of Pompeii and Herculaneum under ash.",
        "Volcanic ash clouds can ground aircraft because the particles melt inside jet engines.",
    ],
    "baking": [
        "Sourdough bread rises thanks to wild yeast and lactic acid bacteria kept alive in a starter.",
        "To proof dough, leave it covered in a warm place until it has doubled in size.",
    ],
    "football": [
        "The 1998 FIFA World Cup final was won by France, who beat Brazil 3-0 in Saint-Denis.",
        "Zinedine Zidane scored two headers in that final.",
    ],
    "space": [
        "Voyager 1, launched by NASA in 1977, is the most distant human-made object from Earth.",
        "The Hubble Space Telescope orbits Earth at an altitude of about 540 kilometres.",
    ],
    "cats": [
        "Domestic cats sleep between twelve and sixteen hours a day.",
        "A cat purrs at a frequency of 25 to 150 hertz, which may help heal bones.",
    ],
}

# (question, doc id, chunk index): paraphrases with little word overlap with their chunk.
QUERIES: list[tuple[str, str, int]] = [
    ("When was the mathematician Connes born?", "connes", 0),
    ("Which medal was Connes awarded?", "connes", 1),
    ("What ancient cities were destroyed by a volcano near Naples?", "volcano", 0),
    ("Why do planes stay on the ground when a volcano erupts?", "volcano", 1),
    ("What makes a naturally leavened loaf grow?", "baking", 0),
    ("Who lifted the football trophy in the 1998 tournament?", "football", 0),
    ("Which spacecraft has travelled farther than anything else people built?", "space", 0),
    ("How many hours per day do house cats spend asleep?", "cats", 0),
]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    """The real built-in embedder, loaded once, with every socket connect refused."""
    mp = pytest.MonkeyPatch()
    attempts: list[object] = []

    def refuse(_sock: socket.socket, address: object, *args: object) -> None:
        attempts.append(address)
        raise OSError(f"network access attempted: {address!r}")

    mp.setattr(socket.socket, "connect", refuse)
    mp.setattr(socket.socket, "connect_ex", refuse)
    mp.setenv("HF_HUB_OFFLINE", "1")
    try:
        yield Embedder.load(EMBEDDER)
        assert attempts == []
    finally:
        mp.undo()


CHUNKS = [
    ChunkInput(doc_id, i, text, num_tokens=len(text.split()), metadata={"source": doc_id})
    for doc_id, texts in DOCUMENTS.items()
    for i, text in enumerate(texts)
]


@pytest.fixture(scope="module")
def chunk_vectors(embedder: Embedder) -> np.ndarray:
    """The vectors of CHUNKS, embedded once (tests that exercise embedding call add/add_document)."""
    return embedder.encode([c.text for c in CHUNKS])


def _fill(index: VectorIndex, vectors: np.ndarray) -> None:
    index.add_vectors(CHUNKS, vectors)


@pytest.fixture()
def flat(tmp_path: Path, embedder: Embedder, chunk_vectors: np.ndarray) -> VectorIndex:
    index = VectorIndex.create(tmp_path / "flat", embedder, extra={"gmsa_fingerprint": "abc", "rates": [4, 8]})
    _fill(index, chunk_vectors)
    index.save()
    return index


def _top(hits: list[retrieval.Hit]) -> list[tuple[str, int]]:
    return [(h.record.doc_id, h.record.index) for h in hits]


def _results(index: VectorIndex, k: int = 4) -> list[list[tuple[int, float]]]:
    return [[(h.record.chunk_id, h.score) for h in hits] for hits in index.search_many([q for q, _, _ in QUERIES], k)]


def _data_file(index_dir: Path, role: str) -> Path:
    manifest = json.loads((index_dir / MANIFEST_NAME).read_text())
    return index_dir / manifest["files"][role]["name"]


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------- embedder


def test_embedder_gives_unit_float32_vectors_in_input_order(embedder: Embedder) -> None:
    texts = ["short", "a much longer sentence about the history of volcanic eruptions", "mid length text"]
    vectors = embedder.encode(texts, batch_size=2)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.stack([embedder.encode([t])[0] for t in texts])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-5)  # length sorting restores input order
    assert embedder.name == EMBEDDER and embedder.dim == 384


def test_add_embeds_like_add_vectors(tmp_path: Path, embedder: Embedder, flat: VectorIndex) -> None:
    index = VectorIndex.create(tmp_path / "embedded", embedder)
    for doc_id, texts in DOCUMENTS.items():
        index.add_document(doc_id, texts, num_tokens=[len(t.split()) for t in texts], metadata={"source": doc_id})
    assert index.records() == flat.records()
    got, expected = _results(index), _results(flat)
    assert [[i for i, _ in row] for row in got] == [[i for i, _ in row] for row in expected]
    np.testing.assert_allclose([[s for _, s in r] for r in got], [[s for _, s in r] for r in expected], atol=1e-5)


# --------------------------------------------------------------------------- search


def test_paraphrased_questions_find_their_chunk_among_distractors(flat: VectorIndex) -> None:
    for (question, doc_id, chunk), hits in zip(QUERIES, flat.search_many([q for q, _, _ in QUERIES], k=3)):
        assert _top(hits)[0] == (doc_id, chunk), (question, [(h.record.text, round(h.score, 3)) for h in hits])
    assert _top(flat.search(QUERIES[0][0], k=1)) == [("connes", 0)]


def test_scores_are_sorted_ranks_count_and_k_is_honoured(flat: VectorIndex) -> None:
    hits = flat.search("volcanic eruption", k=5)
    assert len(hits) == 5
    assert [h.rank for h in hits] == list(range(5))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert all(-1.0 - 1e-5 <= h.score <= 1.0 + 1e-5 for h in hits)
    total = sum(len(t) for t in DOCUMENTS.values())
    everything = flat.search("volcanic eruption", k=1000)  # more than the collection holds
    assert len(everything) == total == len(flat)
    assert len({h.record.chunk_id for h in everything}) == total
    assert _top(everything[:5]) == _top(hits)


def test_records_carry_text_hash_tokens_and_metadata(flat: VectorIndex) -> None:
    records = flat.records("baking")
    assert [r.index for r in records] == [0, 1]
    assert records[0].text == DOCUMENTS["baking"][0]
    assert records[0].content_hash == content_hash(DOCUMENTS["baking"][0])
    assert records[0].num_tokens == len(DOCUMENTS["baking"][0].split())
    assert records[0].metadata == {"source": "baking"}
    assert flat.get(records[1].chunk_id) == records[1]
    assert flat.documents() == {doc: len(texts) for doc, texts in sorted(DOCUMENTS.items())}


def test_bad_searches_and_inputs_are_refused(tmp_path: Path, flat: VectorIndex, embedder: Embedder) -> None:
    for k in (0, -3):
        with pytest.raises(InputError, match="k must be an integer >= 1"):
            flat.search("anything", k=k)
    with pytest.raises(InputError, match="non-empty"):
        flat.search("   ")
    empty = VectorIndex.create(tmp_path / "empty", embedder)
    with pytest.raises(EmptyIndexError, match="is empty: add documents"):
        empty.search("anything")
    with pytest.raises(InputError, match="already indexed"):
        flat.add_document("cats", ["Cats again."])
    with pytest.raises(InputError, match="empty text"):
        flat.add([ChunkInput("new", 0, "  ")])
    with pytest.raises(InputError, match="not JSON-serialisable"):
        flat.add([ChunkInput("new", 0, "text", metadata={"when": object()})])
    with pytest.raises(ConfigError, match="Unknown index kind 'annoy'"):
        VectorIndex.create(tmp_path / "x", embedder, kind="annoy")
    with pytest.raises(ConfigError, match="Unknown parameter"):
        VectorIndex.create(tmp_path / "x", embedder, kind="hnsw", params={"nprobe": 3})
    with pytest.raises(IndexExistsError, match="already holds an index"):
        VectorIndex.create(flat.directory, embedder)
    with pytest.raises(InputError, match="Invalid index name"):
        default_index_dir("../escape")
    assert default_index_dir("papers", tmp_path) == tmp_path / "papers"
    assert default_index_dir("papers") == Path.cwd() / "indexes" / "papers"


# --------------------------------------------------------------------------- add / remove


def test_remove_document_drops_it_from_search_and_counts(flat: VectorIndex, embedder: Embedder) -> None:
    before = len(flat)
    old_ids = {r.chunk_id for r in flat.records("volcano")}
    assert flat.remove_document("volcano") == 2
    assert len(flat) == before - 2 and "volcano" not in flat.documents()
    assert flat.stats()["vectors"] == before - 2
    for hits in flat.search_many([QUERIES[2][0], QUERIES[3][0]], k=len(flat)):
        assert "volcano" not in {h.record.doc_id for h in hits}
    with pytest.raises(UnknownDocumentError, match="Unknown document 'volcano'"):
        flat.remove_document("volcano")
    with pytest.raises(UnknownDocumentError):
        flat.records("volcano")
    new_ids = flat.add_document("volcano", DOCUMENTS["volcano"])
    assert not set(new_ids) & old_ids  # ids are never reused
    flat.save()
    reopened = VectorIndex.open(flat.directory, embedder)
    assert reopened.manifest["counts"]["chunks"] == len(reopened) == before


def test_add_document_replace(flat: VectorIndex) -> None:
    ids = flat.add_document("cats", ["Cats are obligate carnivores."], replace=True)
    assert [r.chunk_id for r in flat.records("cats")] == ids and len(ids) == 1
    assert _top(flat.search("What do cats need to eat?", k=1)) == [("cats", 0)]


# --------------------------------------------------------------------------- persistence


def test_save_open_round_trip_gives_identical_results(flat: VectorIndex, embedder: Embedder) -> None:
    reopened = VectorIndex.open(flat.directory, embedder)
    assert _results(reopened) == _results(flat)
    assert reopened.records() == flat.records()
    manifest = reopened.manifest
    assert manifest["format_version"] == retrieval.FORMAT_VERSION
    assert manifest["embedder"] == {"name": EMBEDDER, "dim": 384}
    assert manifest["index"]["kind"] == "flat"
    assert manifest["counts"] == {"documents": 6, "chunks": 13, "vectors": 13, "tombstones": 0}
    assert manifest["extra"] == {"gmsa_fingerprint": "abc", "rates": [4, 8]}
    assert manifest["created_at"] <= manifest["updated_at"]
    files = sorted(p.name for p in flat.directory.iterdir() if not p.name.startswith("."))
    assert files == sorted([MANIFEST_NAME, retrieval.BACKUP_NAME, manifest["files"]["faiss"]["name"],
                            manifest["files"]["table"]["name"]])
    assert (flat.directory / retrieval.BACKUP_NAME).read_bytes() == (flat.directory / MANIFEST_NAME).read_bytes()


def test_open_without_embedder_loads_the_manifests_one(flat: VectorIndex) -> None:
    reopened = VectorIndex.open(flat.directory)
    assert reopened.embedder.name == EMBEDDER
    assert _top(reopened.search(QUERIES[4][0], k=1)) == [("baking", 0)]


def test_extra_is_saved_and_must_be_json(flat: VectorIndex, embedder: Embedder) -> None:
    generation = flat.manifest["generation"]
    flat.save()  # nothing changed: no new generation
    assert flat.manifest["generation"] == generation
    flat.extra["chunking"] = {"max_tokens": 256}  # a change of extra alone is saved
    flat.save()
    assert VectorIndex.open(flat.directory, embedder).extra["chunking"] == {"max_tokens": 256}
    flat.extra["bad"] = {1, 2}
    with pytest.raises(InputError, match="JSON-serialisable"):
        flat.save()


def test_missing_directory_or_manifest_is_reported(tmp_path: Path, embedder: Embedder) -> None:
    with pytest.raises(IndexNotFoundError, match="No index directory"):
        VectorIndex.open(tmp_path / "nope", embedder)
    (tmp_path / "plain").mkdir()
    with pytest.raises(IndexNotFoundError, match="no manifest.json"):
        VectorIndex.open(tmp_path / "plain", embedder)


def test_corrupt_faiss_file_is_detected_and_rebuild_recovers(flat: VectorIndex, embedder: Embedder) -> None:
    expected = _results(flat)
    faiss_file = _data_file(flat.directory, "faiss")
    _flip_byte(faiss_file, faiss_file.stat().st_size // 2)
    with pytest.raises(IndexCorruptError, match=r"faiss file .* is corrupt.*rebuild") as caught:
        VectorIndex.open(flat.directory, embedder)
    assert isinstance(caught.value, GMSAError)
    rebuilt = VectorIndex.rebuild(flat.directory, embedder, progress=False)
    got = _results(rebuilt)
    assert [[i for i, _ in row] for row in got] == [[i for i, _ in row] for row in expected]
    np.testing.assert_allclose(np.array([[s for _, s in r] for r in got]), [[s for _, s in r] for r in expected], atol=1e-5)
    assert not faiss_file.exists()  # the damaged generation was cleaned up
    reopened = VectorIndex.open(flat.directory, embedder)
    assert _results(reopened) == got and reopened.extra == flat.extra


def test_missing_faiss_file_is_corruption(flat: VectorIndex, embedder: Embedder) -> None:
    _data_file(flat.directory, "faiss").unlink()
    with pytest.raises(IndexCorruptError, match="is missing"):
        VectorIndex.open(flat.directory, embedder)


def test_corrupt_table_is_detected_and_cannot_be_rebuilt(flat: VectorIndex, embedder: Embedder) -> None:
    table = _data_file(flat.directory, "table")
    table.write_text(table.read_text().replace("Vesuvius", "Etna"))
    with pytest.raises(IndexCorruptError, match=r"chunk table .* is corrupt.*Re-index"):
        VectorIndex.open(flat.directory, embedder)
    with pytest.raises(IndexCorruptError, match="chunk table"):
        VectorIndex.rebuild(flat.directory, embedder)


def test_truncated_table_is_detected(flat: VectorIndex, embedder: Embedder) -> None:
    table = _data_file(flat.directory, "table")
    table.write_bytes(table.read_bytes()[:-40])
    with pytest.raises(IndexCorruptError, match="bytes with sha256"):
        VectorIndex.open(flat.directory, embedder)


def test_corrupt_manifest_is_detected(flat: VectorIndex, embedder: Embedder) -> None:
    path = flat.directory / MANIFEST_NAME
    original = path.read_text()
    path.write_text(original[: len(original) // 2])
    with pytest.raises(IndexCorruptError, match="not valid JSON"):
        VectorIndex.open(flat.directory, embedder)
    edited = json.loads(original)
    edited["counts"]["chunks"] = 99  # still valid JSON: caught by the manifest's own checksum
    path.write_text(json.dumps(edited))
    with pytest.raises(IndexCorruptError, match="does not match its recorded sha256"):
        VectorIndex.open(flat.directory, embedder)
    path.unlink()
    with pytest.raises(IndexCorruptError, match="no manifest.json"):
        VectorIndex.open(flat.directory, embedder)


def test_interrupted_save_leaves_the_previous_index_intact(
    flat: VectorIndex, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _results(flat)
    real_write = retrieval._write_atomic

    def crash_on_manifest(path: Path, data: bytes) -> None:
        if path.name == MANIFEST_NAME:
            raise OSError("simulated crash before the manifest is replaced")
        real_write(path, data)

    def data_files() -> set[str]:
        return {p.name for p in flat.directory.iterdir() if retrieval._DATA_FILE.match(p.name)}

    committed = data_files()
    flat.remove_document("cats")
    monkeypatch.setattr(retrieval, "_write_atomic", crash_on_manifest)
    with pytest.raises(IndexWriteError, match="simulated crash.*previously saved version is intact") as caught:
        flat.save()
    assert isinstance(caught.value, OSError)
    monkeypatch.undo()
    assert data_files() == committed  # the failed generation's files were removed
    reopened = VectorIndex.open(flat.directory, embedder)  # the old generation, complete
    assert "cats" in reopened.documents() and _results(reopened) == expected
    # a process killed mid-save leaves files no manifest names: the next save removes them
    (flat.directory / "index.0000ff-deadbeef.faiss").write_bytes(b"half")
    (flat.directory / ".chunks.0000ff-deadbeef.jsonl.1234abcd.tmp").write_bytes(b"half")
    assert VectorIndex.open(flat.directory, embedder).documents() == reopened.documents()
    flat.save()  # the retry commits
    assert len(data_files()) == 2 and not data_files() & committed
    assert not [p for p in flat.directory.iterdir() if p.name.endswith(".tmp")]
    assert "cats" not in VectorIndex.open(flat.directory, embedder).documents()


def test_overwrite_and_open_or_create(flat: VectorIndex, embedder: Embedder) -> None:
    same = VectorIndex.open_or_create(flat.directory, embedder)
    assert len(same) == len(flat)
    fresh = VectorIndex.create(flat.directory, embedder, kind="hnsw", overwrite=True)
    assert len(fresh) == 0 and VectorIndex.open(flat.directory, embedder).kind == "hnsw"
    assert len([p for p in flat.directory.iterdir() if retrieval._DATA_FILE.match(p.name)]) == 2


def test_other_embedder_is_refused(flat: VectorIndex, embedder: Embedder) -> None:
    with pytest.raises(EmbedderMismatchError, match="built with embedder 'all-minilm-l6-v2', not 'bge-small'"):
        VectorIndex.open(flat.directory, "bge-small")

    class Wider(Embedder):
        def __init__(self) -> None:
            self.model, self.name, self.dim = None, EMBEDDER, 768

    with pytest.raises(ModelMismatchError, match="384-d vectors but embedder"):
        VectorIndex.open(flat.directory, Wider())


# --------------------------------------------------------------------------- hnsw and ivf


def test_hnsw_finds_the_right_chunk_and_deletes_by_tombstone(
    tmp_path: Path, embedder: Embedder, chunk_vectors: np.ndarray
) -> None:
    index = VectorIndex.create(tmp_path / "hnsw", embedder, kind="hnsw", params={"compact_ratio": 0.5})
    _fill(index, chunk_vectors)
    for (question, doc_id, chunk), hits in zip(QUERIES, index.search_many([q for q, _, _ in QUERIES], k=3)):
        assert (doc_id, chunk) in _top(hits), question
    total = len(index)
    assert index.remove_document("space") == 2
    assert index.stats() == {"documents": 5, "chunks": total - 2, "vectors": total, "tombstones": 2}
    hits = index.search(QUERIES[6][0], k=len(index))
    assert "space" not in {h.record.doc_id for h in hits} and len(hits) == total - 2
    index.save()
    reopened = VectorIndex.open(index.directory, embedder)  # tombstones = faiss ids the table lacks
    assert reopened.num_tombstones == 2
    assert "space" not in {h.record.doc_id for h in reopened.search(QUERIES[6][0], k=20)}
    assert reopened.compact() == 2
    assert reopened.stats()["vectors"] == total - 2 and reopened.num_tombstones == 0
    assert _top(reopened.search(QUERIES[0][0], k=1)) == [("connes", 0)]
    reopened.remove_document("cats")  # 2 tombstones, 9 live chunks: kept
    assert reopened.num_tombstones == 2
    reopened.remove_document("baking")  # 4 tombstones > 0.5 * 7 live chunks: compacted
    assert reopened.num_tombstones == 0 and reopened.stats()["vectors"] == len(reopened) == 7
    reopened.save()
    assert VectorIndex.open(index.directory, embedder).stats()["vectors"] == 7


def test_ivf_trains_once_enough_vectors_exist(tmp_path: Path, embedder: Embedder, chunk_vectors: np.ndarray) -> None:
    index = VectorIndex.create(tmp_path / "ivf", embedder, kind="ivf", params={"train_min": 40, "nprobe": 64})
    _fill(index, chunk_vectors)
    assert not retrieval._is_ivf(index._index)  # 13 vectors: still exact flat
    filler = [ChunkInput(f"filler{i}", 0, f"Filler note {i} on topic {i % 5} of the archive.") for i in range(40)]
    index.add(filler, progress=False)
    assert retrieval._is_ivf(index._index)
    for (question, doc_id, chunk), hits in zip(QUERIES, index.search_many([q for q, _, _ in QUERIES], k=3)):
        assert (doc_id, chunk) in _top(hits), question
    index.remove_document("connes")
    assert index.stats()["vectors"] == len(index) == 50
    index.save()
    reopened = VectorIndex.open(index.directory, embedder)
    assert reopened.manifest["index"]["trained"] is True
    assert _results(reopened) == _results(index)


# --------------------------------------------------------------------------- scale


def _synthetic_chunks(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    subjects = ["The committee", "A local farmer", "The river authority", "Our research team", "The museum",
                "A small startup", "The city council", "The orchestra", "A veteran pilot", "The school board"]
    verbs = ["announced", "rejected", "studied", "repaired", "celebrated", "funded", "documented", "delayed"]
    objects = ["a new bridge", "the harvest festival", "an old railway line", "the water supply", "a rare manuscript",
               "the annual budget", "a solar farm", "the flood defences", "a jazz concert", "the village library"]
    tails = ["after months of debate", "despite heavy rain", "with support from volunteers", "in the spring of {y}",
             "for the first time since {y}", "to the surprise of residents", "at a cost of {m} million"]
    chunks = []
    for i in range(n):
        sentences = [
            f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} "
            + rng.choice(tails).format(y=rng.randint(1900, 2024), m=rng.randint(1, 90))
            + "."
            for _ in range(rng.randint(2, 4))
        ]
        chunks.append(f"Record {i}. " + " ".join(sentences))
    return chunks


def test_two_thousand_chunks_build_and_query(
    tmp_path: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = _synthetic_chunks(2000)
    chunks = [ChunkInput(f"doc{i // 10}", i % 10, text) for i, text in enumerate(texts)]
    start = time.perf_counter()
    vectors = embedder.encode(texts, progress=False)
    embed_s = time.perf_counter() - start
    report = [f"embedding: {len(texts)} chunks in {embed_s:.1f} s = {len(texts) / embed_s:.0f} chunks/s"]
    queries = [texts[i].split(". ", 2)[1] for i in range(0, 2000, 40)]  # 50 sentences taken from chunks
    top5: dict[str, list[list[int]]] = {}
    for kind in ("flat", "hnsw"):
        index = VectorIndex.create(tmp_path / kind, embedder, kind=kind)
        start = time.perf_counter()
        index.add_vectors(chunks, vectors)
        index.save()
        build_s = time.perf_counter() - start
        query_vectors = embedder.encode(queries)
        latencies, search_only = [], []
        for i, query in enumerate(queries):
            start = time.perf_counter()
            hits = index.search(query, k=5)
            latencies.append(time.perf_counter() - start)
            start = time.perf_counter()
            index.search_vectors(query_vectors[i : i + 1], 5)
            search_only.append(time.perf_counter() - start)
            assert len(hits) == 5 and hits[0].score > 0.5
            assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
        top5[kind] = [[h.record.chunk_id for h in hits] for hits in index.search_vectors(query_vectors, 5)]
        start = time.perf_counter()
        reopened = VectorIndex.open(index.directory, embedder)
        open_s = time.perf_counter() - start
        assert len(reopened) == 2000
        size = sum(p.stat().st_size for p in index.directory.iterdir())
        recall = ""
        if kind == "hnsw":  # recall@5 of the approximate index against the exact one
            overlap = [len(set(a) & set(b)) / 5 for a, b in zip(top5["hnsw"], top5["flat"])]
            recall = f", recall@5 vs flat {statistics.mean(overlap):.3f}"
            assert statistics.mean(overlap) >= 0.9
        report.append(
            f"{kind}: add+save {build_s * 1000:.0f} ms, open {open_s * 1000:.0f} ms, {size / 1e6:.1f} MB on disk, "
            f"query (embed+search) median {statistics.median(latencies) * 1000:.1f} ms, "
            f"search only median {statistics.median(search_only) * 1000:.2f} ms{recall}"
        )
    with capsys.disabled():
        print("\n[retrieval benchmark, 2,000 synthetic chunks, {} CPU cores]\n  ".format(os.cpu_count()) + "\n  ".join(report))
